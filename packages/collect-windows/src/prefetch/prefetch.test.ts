import { crc32 } from 'node:zlib';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { filetimeToIso } from '../lnk/binary.js';
import { bufferSource } from '../source.js';
import { filetime } from '../testing/lnk-builder.js';
import { buildPrefetch, type PrefetchSpec } from '../testing/prefetch-builder.js';
import { readSample } from '../testing/sample-files.js';
import { mamWrap } from '../testing/xpress-encoder.js';
import { type PrefetchFile, parsePrefetch } from './prefetch.js';

const RUNS = [
  filetime('2024-03-01T10:00:00Z', 1234567n),
  filetime('2024-02-28T09:00:00Z'),
  filetime('2024-02-27T08:00:00Z'),
  0n,
];

function spec(version: PrefetchSpec['version'], extra: Partial<PrefetchSpec> = {}): PrefetchSpec {
  return {
    version,
    executable: 'MIMIKATZ.EXE',
    hash: 0x0badf00d,
    runCount: 42,
    lastRuns: RUNS,
    filenames: [
      '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS\\SYSTEM32\\NTDLL.DLL',
      '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\USERS\\PUBLIC\\MIMIKATZ.EXE',
      '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS\\SYSTEM32\\SAMLIB.DLL',
    ],
    volumes: [
      {
        devicePath: '\\VOLUME{01d3096ba3a46863-2ca3d1ae}',
        serial: 0x2ca3d1ae,
        created: filetime('2017-07-30T19:40:03Z'),
        directories: [
          '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\USERS',
          '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS',
        ],
        fileReferences: 3,
      },
      {
        devicePath: '\\DEVICE\\HARDDISKVOLUME4',
        serial: 0xdeadbeef,
        created: 0n,
        directories: [],
        fileReferences: 0,
      },
    ],
    ...extra,
  };
}

function expectContent(pf: PrefetchFile, s: PrefetchSpec): void {
  expect(pf.version).toBe(s.version);
  expect(pf.executableName).toBe(s.executable);
  expect(pf.prefetchHash).toBe('0BADF00D');
  expect(pf.runCount).toBe(s.runCount);
  const slots = s.version < 26 ? 1 : 8;
  expect(pf.lastRunTimes).toEqual(
    s.lastRuns
      .slice(0, slots)
      .filter((t) => t !== 0n)
      .map(filetimeToIso),
  );
  expect(pf.filenames).toEqual(s.filenames);
  expect(pf.volumes).toEqual([
    {
      devicePath: '\\VOLUME{01d3096ba3a46863-2ca3d1ae}',
      serialNumber: '2CA3D1AE',
      creationTime: '2017-07-30T19:40:03.0000000Z',
      directories: [
        '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\USERS',
        '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS',
      ],
      fileReferenceCount: 3,
    },
    {
      devicePath: '\\DEVICE\\HARDDISKVOLUME4',
      serialNumber: 'DEADBEEF',
      creationTime: null,
      directories: [],
      fileReferenceCount: 0,
    },
  ]);
}

async function expectDataInvalid(input: Uint8Array, message: RegExp, maxBytes?: number): Promise<void> {
  const error = await parsePrefetch(input, maxBytes === undefined ? {} : { maxBytes }).catch(
    (e: unknown) => e,
  );
  expect(isTriageError(error, 'DATA_INVALID'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

const messages = (pf: PrefetchFile) => pf.diagnostics.map((d) => `${d.structure}: ${d.message}`);

describe('parsePrefetch: SCCA versions', () => {
  it.each([
    [17, undefined, 0x90],
    [23, undefined, 0x98],
    [26, undefined, 0xd0],
    [30, 0x130, 0xd0],
    [30, 0x128, 0xc8],
    [31, 0x128, 0xc8],
  ] as const)(
    'version %i (metrics at %s) reads every field, run count at %i',
    async (version, metricsOffset, runAt) => {
      const s = spec(version, metricsOffset === undefined ? {} : { metricsOffset });
      const pf = await parsePrefetch(buildPrefetch(s).bytes);
      expectContent(pf, s);
      expect(pf.compressed).toBe(false);
      expect(pf.runCountOffset).toBe(runAt);
      expect(pf.diagnostics).toEqual([]);
    },
  );

  it('reads a MAM-compressed version 30 and 31 file the same as its SCCA content', async () => {
    for (const version of [30, 31] as const) {
      const s = spec(version);
      const pf = await parsePrefetch(mamWrap(buildPrefetch(s).bytes));
      expect(pf.compressed).toBe(true);
      expectContent(pf, s);
      expect(pf.diagnostics).toEqual([]);
    }
  });

  it('checks the CRC-32 of a MAM file that has one (high bit of the signature)', async () => {
    const plain = mamWrap(buildPrefetch(spec(30)).bytes);
    const withCrc = new Uint8Array(plain.length + 4);
    withCrc.set(plain.subarray(0, 8));
    withCrc[3] = 0x84;
    withCrc.set(plain.subarray(8), 12);
    const crc = crc32(withCrc.subarray(12), crc32(new Uint8Array(4), crc32(withCrc.subarray(0, 8))));
    new DataView(withCrc.buffer).setUint32(8, crc, true);
    const good = await parsePrefetch(withCrc);
    expectContent(good, spec(30));
    expect(good.diagnostics).toEqual([]);
    withCrc[9] = (withCrc[9] as number) ^ 0xff;
    const bad = await parsePrefetch(withCrc);
    expectContent(bad, spec(30));
    expect(messages(bad)).toEqual([
      expect.stringMatching(/^MAM header: CRC-32 0x[0-9A-F]{8} does not match the data/),
    ]);
  });

  it('keeps what decompressed before a corrupt block, with a diagnostic', async () => {
    // Enough filenames for three 64 KiB blocks; cut the compressed stream in its last block.
    const many = Array.from(
      { length: 1500 },
      (_, i) => `\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\DIR${i % 97}\\FILE${i}.DLL`,
    );
    const s = spec(30, { filenames: many });
    const mam = mamWrap(buildPrefetch(s).bytes);
    const pf = await parsePrefetch(mam.subarray(0, mam.length - 3000));
    expect(pf.compressed).toBe(true);
    expect(pf.executableName).toBe('MIMIKATZ.EXE');
    expect(pf.runCount).toBe(42);
    expect(pf.filenames.length).toBeGreaterThan(100);
    expect(pf.filenames.length).toBeLessThan(1500);
    expect(messages(pf)).toContainEqual(
      expect.stringMatching(/^MAM compressed stream: .*Only the first \d+ of \d+ bytes/),
    );
  });
});

describe('parsePrefetch: not Prefetch, or unsupported', () => {
  it('rejects other files, unknown versions and other MAM compressions with DATA_INVALID', async () => {
    await expectDataInvalid(
      new TextEncoder().encode('MZ\x90\x00'.padEnd(200, '\0')),
      /SCCA signature is missing/,
    );
    await expectDataInvalid(new Uint8Array(20), /shorter than the 84-byte header/);
    const v40 = buildPrefetch(spec(30)).bytes;
    v40[0] = 40;
    await expectDataInvalid(v40, /format version 40 is not one of/);
    const lznt1 = mamWrap(buildPrefetch(spec(30)).bytes);
    lznt1[3] = 0x02;
    await expectDataInvalid(lznt1, /compression format 2 is not Xpress Huffman/);
    await expectDataInvalid(
      mamWrap(buildPrefetch(spec(30)).bytes),
      /declares \d+ uncompressed bytes, above the 1000-byte limit/,
      1000,
    );
    await expectDataInvalid(Uint8Array.of(0x4d, 0x41, 0x4d, 0x04, 0x10, 0, 0), /MAM header is cut short/);
  });

  it('rejects a MAM file whose stream is corrupt before the end of the SCCA header', async () => {
    const mam = mamWrap(buildPrefetch(spec(30)).bytes);
    await expectDataInvalid(mam.subarray(0, 8 + 200), /corrupt before the end of the 84-byte SCCA header/);
  });
});

describe('parsePrefetch: damage inside the file', () => {
  it('reads a filename section that runs past the end up to the end', async () => {
    const { bytes, filenamesOffset } = buildPrefetch(spec(23, { volumes: [] }));
    const cut = bytes.subarray(0, filenamesOffset + 200); // the first name whole, the second cut
    const pf = await parsePrefetch(cut);
    expect(pf.filenames[0]).toBe('\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS\\SYSTEM32\\NTDLL.DLL');
    expect(pf.runCount).toBe(42);
    expect(messages(pf)).toEqual([
      expect.stringMatching(/^file header: the header records \d+ bytes, the file has \d+/),
      expect.stringMatching(/^filename strings: the section \(\d+ bytes\) runs past the end of the file/),
      expect.stringMatching(/^filename strings: 2 filenames found, but the metrics array declares 3/),
    ]);
  });

  it('caps a volume count the section cannot hold and skips a volume whose path is out of bounds', async () => {
    const { bytes, volumesOffset } = buildPrefetch(spec(26));
    const view = new DataView(bytes.buffer);
    view.setUint32(112, 1_000_000, true); // volumes count
    view.setUint32(volumesOffset, 0x7fff_0000, true); // volume 0's device path offset
    const pf = await parsePrefetch(bytes);
    expect(pf.volumes.map((v) => v.devicePath)).toEqual(['\\DEVICE\\HARDDISKVOLUME4']);
    const m = messages(pf);
    expect(m[0]).toMatch(/^volumes information: 1000000 volumes declared, but only 5 entries fit/);
    expect(m[1]).toMatch(/^volumes\[0\]: volumes\[0\] lies outside the file/);
    // Entries 2 to 4 are the section's string data read as entries: garbage offsets, each reported.
    expect(m.slice(2)).toEqual(
      [2, 3, 4].map((k) => expect.stringMatching(new RegExp(`^volumes\\[${k}\\]: .* lies outside the file`))),
    );
  });

  it('stops reading directory strings at the end of the file', async () => {
    const { bytes } = buildPrefetch(spec(30));
    const view = new DataView(bytes.buffer);
    const volumesOffset = view.getUint32(108, true);
    view.setUint32(volumesOffset + 32, 5_000_000, true); // directory count of volume 0
    const pf = await parsePrefetch(bytes);
    expect(pf.volumes[0]?.directories.length).toBeGreaterThanOrEqual(2);
    expect(messages(pf)).toEqual([
      expect.stringMatching(/^volumes\[0\]: directory string 2 runs past the end of the file/),
    ]);
  });

  it('falls back to the value before 0xD0 when a version 30 metrics offset is unknown', async () => {
    const { bytes } = buildPrefetch(spec(30, { metricsOffset: 0x128 }));
    new DataView(bytes.buffer).setUint32(84, 0x140, true);
    const pf = await parsePrefetch(bytes);
    expect(pf.runCount).toBe(42);
    expect(pf.runCountOffset).toBe(0xc8);
    expect(messages(pf)[0]).toMatch(
      /metrics array offset 0x140 is neither 0x128 nor 0x130; run count read at 0xc8/,
    );
  });

  it('leaves a last run time past year 9999 out, with a diagnostic', async () => {
    const pf = await parsePrefetch(
      buildPrefetch(spec(26, { lastRuns: [0xffff_ffff_ffff_0000n, RUNS[1] as bigint] })).bytes,
    );
    expect(pf.lastRunTimes).toEqual([filetimeToIso(RUNS[1] as bigint)]);
    expect(messages(pf)).toEqual([expect.stringMatching(/time value 0xffffffffffff0000 is past year 9999/)]);
  });

  it('parses every prefix of a real file past the header without throwing', async () => {
    const bytes = readSample('prefetch/PING.EXE-B29F6629.pf');
    for (let n = 84; n < bytes.length; n += 37) {
      const pf = await parsePrefetch(bytes.subarray(0, n));
      expect(pf.executableName).toBe('PING.EXE');
      expect(pf.diagnostics.length, `prefix ${n}`).toBeGreaterThan(0);
    }
  });

  it('reads a ByteSource, and maxBytes with a diagnostic', async () => {
    const bytes = readSample('prefetch/CMD.EXE-087B4001.pf');
    expect(await parsePrefetch(bufferSource(bytes))).toEqual(await parsePrefetch(bytes));
    const cut = await parsePrefetch(bufferSource(bytes), { maxBytes: 5000 });
    expect(messages(cut)[0]).toBe('file: only the first 5000 bytes were read (maxBytes)');
    const error = await parsePrefetch({
      ...bufferSource(bytes, 'x.pf'),
      read: () => Promise.reject(new Error('EIO')),
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'IO_ERROR')).toBe(true);
  });
});
