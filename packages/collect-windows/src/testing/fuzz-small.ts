/**
 * A small mutation fuzzer for the LNK, Task XML and Prefetch parsers and the
 * Xpress Huffman decompressor. It starts from the real shared samples (and,
 * for the decompressor, streams of the test encoder), applies seeded
 * mutations (bit flips, byte writes, overwritten runs, boundary values in
 * size fields, insertions, truncation; for XML also markup damage), and
 * checks the one rule: a parser either returns a well-formed result (plain
 * JSON: no BigInt, no cycle) or throws the documented `DATA_INVALID`. Any
 * other outcome throws an Error naming the seed and input index, so it can
 * be replayed with `{ count: index + 1, seed }`.
 *
 * Work per input is bounded by construction: inputs are at most the sample's
 * size plus a few hundred bytes, Prefetch runs with `maxBytes` 1 MiB (a MAM
 * header declaring more is DATA_INVALID), and the decompressor's output size
 * is at most 1 MiB. Each report carries the slowest input's time for the
 * bench; the tests assert no times.
 */
import { isTriageError } from '@triage/errors';
import { parseLnk } from '../lnk/lnk.js';
import { parsePrefetch } from '../prefetch/prefetch.js';
import { parseTaskXml } from '../tasks/task-xml.js';
import { xpressHuffmanDecompress } from '../xpress/xpress-huffman.js';
import {
  buildLnk,
  consoleBlock,
  fileEntryItem,
  knownFolderBlock,
  linkInfo,
  networkItem,
  rawBlock,
  rootFolderItem,
  specialFolderBlock,
  targetBlock,
  trackerBlock,
  volumeItem,
} from './lnk-builder.js';
import { buildPrefetch } from './prefetch-builder.js';
import { listSamples, readSample } from './sample-files.js';
import { prng } from './seeded-random.js';
import { mamWrap, xpressHuffmanCompress } from './xpress-encoder.js';

/** How many inputs and from which seed. */
export interface FuzzOptions {
  readonly count: number;
  readonly seed: number;
}

/** What a fuzz run saw. */
export interface FuzzReport {
  readonly inputs: number;
  /** Inputs that parsed (possibly with diagnostics). */
  readonly parsed: number;
  /** Inputs rejected with DATA_INVALID. */
  readonly rejected: number;
  /** Diagnostics over all parsed inputs. */
  readonly diagnostics: number;
  /** The slowest input's time in milliseconds and its index (for the bench; not asserted). */
  readonly slowestMs: number;
  readonly slowestInput: number;
}

const BOUNDARY_U32 = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
];

/** One seeded mutation of `input`; `describe` says what it did. */
export function mutate(input: Uint8Array, random: () => number): { bytes: Uint8Array; describe: string } {
  const int = (n: number) => Math.floor(random() * n);
  const out = Uint8Array.from(input);
  const kind = int(7);
  if (out.length === 0) return { bytes: Uint8Array.of(int(256)), describe: 'empty → one byte' };
  switch (kind) {
    case 0: {
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) {
        const at = int(out.length);
        out[at] = (out[at] as number) ^ (1 << int(8));
      }
      return { bytes: out, describe: `${flips} bit flips` };
    }
    case 1: {
      const writes = 1 + int(16);
      for (let i = 0; i < writes; i++) out[int(out.length)] = int(256);
      return { bytes: out, describe: `${writes} random bytes` };
    }
    case 2: {
      const at = int(out.length);
      const n = Math.min(1 + int(64), out.length - at);
      for (let i = 0; i < n; i++) out[at + i] = int(256);
      return { bytes: out, describe: `${n} random bytes at ${at}` };
    }
    case 3: {
      // Boundary values in a (probably) size or offset field.
      const at = int(Math.max(1, out.length - 3)) & ~1;
      const value = BOUNDARY_U32[int(BOUNDARY_U32.length)] as number;
      const width = random() < 0.5 ? 2 : 4;
      for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = (value >>> (8 * i)) & 0xff;
      return { bytes: out, describe: `u${width * 8} ${value} at ${at}` };
    }
    case 4: {
      const at = int(out.length + 1);
      const n = 1 + int(32);
      const inserted = Uint8Array.from({ length: n }, () => int(256));
      const bytes = new Uint8Array(out.length + n);
      bytes.set(out.subarray(0, at));
      bytes.set(inserted, at);
      bytes.set(out.subarray(at), at + n);
      return { bytes, describe: `${n} bytes inserted at ${at}` };
    }
    case 5: {
      const n = int(out.length);
      return { bytes: out.subarray(0, n), describe: `truncated to ${n}` };
    }
    default: {
      // Two mutations in a row.
      const first = mutate(out, random);
      const second = mutate(first.bytes, random);
      return { bytes: second.bytes, describe: `${first.describe}, then ${second.describe}` };
    }
  }
}

/** Markup damage for XML text: a cut, a stray `<`/`&`/`]]>`, a repeated or dropped tag. */
function mutateXmlText(text: string, random: () => number): { text: string; describe: string } {
  const int = (n: number) => Math.floor(random() * n);
  const at = int(text.length + 1);
  switch (int(5)) {
    case 0: {
      const n = 1 + int(40);
      return { text: text.slice(0, at) + text.slice(at + n), describe: `${n} characters cut at ${at}` };
    }
    case 1: {
      const junk = [
        '<',
        '&',
        ']]>',
        '<!--',
        '<![CDATA[',
        '&#xD800;',
        '&#99999999;',
        '"',
        '<a b=c>',
        '</Task>',
      ][int(10)] as string;
      return {
        text: text.slice(0, at) + junk + text.slice(at),
        describe: `${JSON.stringify(junk)} at ${at}`,
      };
    }
    case 2: {
      const tags = [...text.matchAll(/<[A-Za-z][^>]*>/g)];
      const tag = tags[int(tags.length)];
      if (!tag) return { text, describe: 'no tag' };
      return { text: text.slice(0, at) + tag[0] + text.slice(at), describe: `${tag[0]} repeated at ${at}` };
    }
    case 3: {
      const tags = [...text.matchAll(/<\/?[A-Za-z][^>]*>/g)];
      const tag = tags[int(tags.length)];
      if (!tag || tag.index === undefined) return { text, describe: 'no tag' };
      return {
        text: text.slice(0, tag.index) + text.slice(tag.index + tag[0].length),
        describe: `${tag[0]} dropped`,
      };
    }
    default:
      return { text: text.slice(0, at), describe: `cut at ${at}` };
  }
}

/** Whether a result is plain data: JSON round-trips it (no BigInt, no cycle). */
function checkPlain(result: unknown): number {
  JSON.stringify(result);
  const diagnostics = (result as { diagnostics?: unknown }).diagnostics;
  if (diagnostics !== undefined && !Array.isArray(diagnostics))
    throw new Error('diagnostics is not an array');
  return Array.isArray(diagnostics) ? diagnostics.length : 0;
}

async function runFuzz(
  name: string,
  options: FuzzOptions,
  corpus: readonly { name: string; bytes: Uint8Array }[],
  makeInput: (
    random: () => number,
    base: { name: string; bytes: Uint8Array },
  ) => { bytes: Uint8Array; describe: string },
  parse: (bytes: Uint8Array, random: () => number) => Promise<unknown> | unknown,
): Promise<FuzzReport> {
  const random = prng(options.seed);
  let parsed = 0;
  let rejected = 0;
  let diagnostics = 0;
  let slowestMs = 0;
  let slowestInput = -1;
  for (let i = 0; i < options.count; i++) {
    const base = corpus[Math.floor(random() * corpus.length)] as { name: string; bytes: Uint8Array };
    const input = makeInput(random, base);
    const started = performance.now();
    try {
      const result = await parse(input.bytes, random);
      diagnostics += checkPlain(result);
      parsed++;
    } catch (error) {
      if (isTriageError(error, 'DATA_INVALID')) rejected++;
      else {
        throw new Error(
          `${name}: input ${i} (seed ${options.seed}; ${base.name}, ${input.describe}) threw ${String(error)}`,
          { cause: error },
        );
      }
    }
    const ms = performance.now() - started;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestInput = i;
    }
  }
  return { inputs: options.count, parsed, rejected, diagnostics, slowestMs, slowestInput };
}

/**
 * Fuzzes any parser with byte mutations of a corpus: the harness the four
 * exports use, open for tests of the harness itself.
 *
 * @param parse - resolves to a result, or throws; only DATA_INVALID is allowed
 */
export function fuzzParser(
  name: string,
  options: FuzzOptions,
  corpus: readonly { name: string; bytes: Uint8Array }[],
  parse: (bytes: Uint8Array) => Promise<unknown> | unknown,
): Promise<FuzzReport> {
  return runFuzz(name, options, corpus, (random, base) => mutate(base.bytes, random), parse);
}

const corpusOf = (folder: 'lnk' | 'prefetch' | 'tasks') =>
  listSamples(folder).map((name) => ({ name, bytes: new Uint8Array(readSample(name)) }));

/**
 * A synthetic shortcut holding what the samples lack: Unicode LinkInfo with a
 * network share, a network shell item, and every ExtraData block kind.
 */
function everyStructureLnk(): Uint8Array {
  const guid = '20d04fe0-3aea-1069-a2d8-08002b30309d';
  return buildLnk({
    items: [
      rootFolderItem(guid),
      volumeItem('C:\\'),
      fileEntryItem({
        shortName: 'PROGRA~1',
        longName: 'Program Files',
        localizedName: '@shell32.dll,-1',
        directory: true,
      }),
      networkItem('\\\\srv\\share', 'Microsoft Network', 'comment'),
    ],
    linkInfo: linkInfo({
      volume: { driveType: 3, serial: 0x1234abcd, label: 'Données', unicodeLabel: true },
      localBasePath: 'C:\\x',
      network: { netName: '\\\\SRV\\S', deviceName: 'Z:', providerType: 0x20000 },
      commonPathSuffix: 'a.exe',
      unicode: { localBasePath: 'C:\\x', commonPathSuffix: 'a.exe', netName: '\\\\SRV\\S' },
    }),
    strings: {
      name: 'n',
      relativePath: '.\\a.exe',
      workingDirectory: 'C:\\',
      arguments: '-a',
      iconLocation: 'i',
    },
    extra: [
      consoleBlock('Consolas'),
      rawBlock(0xa0000004, [0xe9, 0xfd, 0, 0]),
      targetBlock(0xa0000006, 'darwin'),
      targetBlock(0xa0000001, '%windir%\\a.exe'),
      targetBlock(0xa0000007, '%windir%\\i.ico'),
      knownFolderBlock('1ac14e77-02e7-4e5d-b744-2eb1ae5198b7', 20),
      specialFolderBlock(0x25, 20),
      rawBlock(0xa0000009, new Uint8Array(24)),
      rawBlock(0xa0000008, [0x41, 0, 0, 0]),
      rawBlock(0xa000000c, [...volumeItem('D:\\'), 0, 0]),
      trackerBlock('host', guid, guid),
    ],
  });
}

/** Fuzzes {@link parseLnk} with mutations of every sample shortcut and of one holding every structure. */
export function fuzzLnk(options: FuzzOptions): Promise<FuzzReport> {
  const corpus = [...corpusOf('lnk'), { name: 'synthetic: every structure', bytes: everyStructureLnk() }];
  return runFuzz(
    'fuzzLnk',
    options,
    corpus,
    (random, base) => mutate(base.bytes, random),
    (bytes) => parseLnk(bytes),
  );
}

/**
 * Fuzzes {@link parsePrefetch} with mutations of every sample (SCCA v17/23/26,
 * MAM v30) and of a synthetic MAM version 31 file; at most 1 MiB decompressed.
 */
export function fuzzPrefetch(options: FuzzOptions): Promise<FuzzReport> {
  const v31 = buildPrefetch({
    version: 31,
    executable: 'A.EXE',
    hash: 1,
    runCount: 3,
    lastRuns: [133_000_000_000_000_000n],
    filenames: ['\\VOLUME{1}\\A.EXE', '\\VOLUME{1}\\B.DLL'],
    volumes: [
      {
        devicePath: '\\VOLUME{1}',
        serial: 1,
        created: 133_000_000_000_000_000n,
        directories: ['\\VOLUME{1}\\X'],
      },
    ],
  }).bytes;
  const corpus = [...corpusOf('prefetch'), { name: 'synthetic: MAM v31', bytes: mamWrap(v31) }];
  return runFuzz(
    'fuzzPrefetch',
    options,
    corpus,
    (random, base) => mutate(base.bytes, random),
    (bytes) => parsePrefetch(bytes, { maxBytes: 1024 * 1024 }),
  );
}

/** Fuzzes {@link parseTaskXml} with byte mutations of the sample tasks and markup damage to their text. */
export function fuzzTaskXml(options: FuzzOptions): Promise<FuzzReport> {
  const corpus = corpusOf('tasks');
  return runFuzz(
    'fuzzTaskXml',
    options,
    corpus,
    (random, base) => {
      if (random() < 0.5) return mutate(base.bytes, random);
      // Markup damage on the text, re-encoded as UTF-16LE with a BOM or as UTF-8.
      const text = Buffer.from(base.bytes.subarray(2)).toString('utf16le');
      const damaged = mutateXmlText(text, random);
      const utf8 = random() < 0.3;
      const bytes = utf8
        ? Buffer.from(damaged.text, 'utf8')
        : Buffer.from(`\uFEFF${damaged.text}`, 'utf16le');
      return {
        bytes: new Uint8Array(bytes),
        describe: `${damaged.describe} (${utf8 ? 'UTF-8' : 'UTF-16LE'})`,
      };
    },
    (bytes) => parseTaskXml(bytes),
  );
}

/**
 * Fuzzes {@link xpressHuffmanDecompress} with mutations of the two real MAM
 * streams and of test-encoder streams, asking for the declared size or a
 * nearby one (at most 1 MiB); a result must have exactly the size asked for.
 */
export function fuzzXpress(options: FuzzOptions): Promise<FuzzReport> {
  const corpus = [
    ...corpusOf('prefetch')
      .filter((s) => s.bytes[0] === 0x4d && s.bytes[1] === 0x41 && s.bytes[2] === 0x4d)
      .map((s) => ({ name: s.name, bytes: s.bytes })),
    { name: 'encoder: text', bytes: encoded(new TextEncoder().encode('abcabcabd '.repeat(3000))) },
    { name: 'encoder: zeros', bytes: encoded(new Uint8Array(70_000)) },
  ];
  return runFuzz(
    'fuzzXpress',
    options,
    corpus,
    (random, base) => mutate(base.bytes, random),
    (bytes, random) => {
      const isMam = bytes[0] === 0x4d && bytes[1] === 0x41 && bytes[2] === 0x4d;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const declared = bytes.length >= 8 ? view.getUint32(4, true) : 0;
      const stream = bytes.subarray(8);
      const jitter = Math.floor(random() * 5) - 2;
      const size = Math.max(0, Math.min(1024 * 1024, (isMam || bytes.length >= 8 ? declared : 0) + jitter));
      const out = xpressHuffmanDecompress(stream, size);
      if (out.length !== size) throw new Error(`output of ${out.length} bytes, ${size} asked for`);
      return { diagnostics: [] };
    },
  );
}

/** A test-encoder stream behind an 8-byte MAM-like header holding its size, so it mutates like the samples. */
function encoded(data: Uint8Array): Uint8Array {
  const body = xpressHuffmanCompress(data);
  const out = new Uint8Array(8 + body.length);
  out.set([0x4d, 0x41, 0x4d, 0x04]);
  new DataView(out.buffer).setUint32(4, data.length, true);
  out.set(body, 8);
  return out;
}
