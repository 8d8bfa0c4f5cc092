import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { prng, randomBytes } from '../testing/seeded-random.js';
import { type XpressToken, xpressHuffmanCompress } from '../testing/xpress-encoder.js';
import { xpressHuffmanDecompress } from './xpress-huffman.js';

const SAMPLES = fileURLToPath(new URL('../../../../../shared/windows-samples/', import.meta.url));
const ascii = (s: string) => new TextEncoder().encode(s);

/** A 256-byte code-length table from `{ byteIndex: byte }`, then the bit stream bytes. */
function stream(table: Record<number, number>, tail: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(256 + tail.length);
  for (const [index, value] of Object.entries(table)) bytes[Number(index)] = value;
  bytes.set(tail, 256);
  return bytes;
}

function expectDataInvalid(run: () => unknown, message?: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(isTriageError(error, 'DATA_INVALID'), String(error)).toBe(true);
  if (message) expect((error as Error).message).toMatch(message);
}

/** What a token list decodes to. */
function apply(tokens: readonly XpressToken[]): Uint8Array {
  const out: number[] = [];
  for (const t of tokens) {
    if (t.kind === 'literal') out.push(t.byte);
    else for (let i = 0; i < t.length; i++) out.push(out[out.length - t.offset] as number);
  }
  return Uint8Array.from(out);
}

// [MS-XCA] section 3.2, examples 1 and 2 (LZ77+Huffman), byte for byte.
const MS_XCA_EXAMPLE_1 = stream(
  {
    48: 0x50,
    49: 0x55,
    50: 0x55,
    51: 0x55,
    52: 0x55,
    53: 0x55,
    54: 0x55,
    55: 0x55,
    56: 0x55,
    57: 0x55,
    58: 0x55,
    59: 0x45,
    60: 0x44,
    61: 0x04,
    128: 0x04,
  },
  [
    0xd8, 0x52, 0x3e, 0xd7, 0x94, 0x11, 0x5b, 0xe9, 0x19, 0x5f, 0xf9, 0xd6, 0x7c, 0xdf, 0x8d, 0x04, 0, 0, 0,
    0,
  ],
);
const MS_XCA_EXAMPLE_2 = stream(
  { 48: 0x30, 49: 0x23, 128: 0x02, 143: 0x20 },
  [0xa8, 0xdc, 0x00, 0x00, 0xff, 0x26, 0x01],
);

describe('xpressHuffmanDecompress: published and hand-made vectors', () => {
  it('decodes [MS-XCA] 3.2 example 1: 26 literals with 4- and 5-bit codes', () => {
    const out = xpressHuffmanDecompress(MS_XCA_EXAMPLE_1, 26);
    expect(new TextDecoder().decode(out)).toBe('abcdefghijklmnopqrstuvwxyz');
  });

  it('decodes [MS-XCA] 3.2 example 2: "abc", then one 297-byte match with a 16-bit extended length', () => {
    const out = xpressHuffmanDecompress(MS_XCA_EXAMPLE_2, 300);
    expect(new TextDecoder().decode(out)).toBe('abc'.repeat(100));
  });

  it('decodes a two-symbol stream built by hand: literal A (code 0), match length 3 offset 1 (code 1)', () => {
    // Byte 0x20 holds symbols 0x40 (low nibble) and 0x41 'A' (high nibble): 'A' gets a 1-bit code.
    // Byte 0x80 holds symbol 256 (low nibble): match, 0 offset bits, length 0 + 3, also 1 bit.
    // Canonical codes: 'A' = 0, 256 = 1. Bits "01", then padding: word 0x4000, word 0.
    const input = stream({ 32: 0x10, 128: 0x01 }, [0x00, 0x40, 0x00, 0x00]);
    expect([...xpressHuffmanDecompress(input, 4)]).toEqual([0x41, 0x41, 0x41, 0x41]);
    // The same bits decode to fewer bytes when less output is wanted (a prefix of the stream).
    expect([...xpressHuffmanDecompress(input, 1)]).toEqual([0x41]);
  });

  it('returns an empty buffer for an output size of 0, whatever the input', () => {
    expect(xpressHuffmanDecompress(new Uint8Array(0), 0).length).toBe(0);
    expect(xpressHuffmanDecompress(Uint8Array.of(1, 2, 3), 0).length).toBe(0);
  });
});

describe('xpressHuffmanDecompress: round trips through the test encoder', () => {
  const random = prng(0x5eed);
  const cases: [string, Uint8Array][] = [
    ['one byte', Uint8Array.of(7)],
    ['text', ascii('It was the best of times, it was the worst of times; '.repeat(40))],
    ['random bytes (literals, no matches)', randomBytes(random, 5000)],
    ['64 KiB of zeros minus one', new Uint8Array(65_535)],
    ['exactly 64 KiB', randomBytes(random, 65_536)],
    ['64 KiB plus one', randomBytes(random, 65_537)],
    [
      'three blocks of mixed data',
      Uint8Array.from({ length: 200_000 }, (_, i) => (i % 1000 < 500 ? i & 7 : i * 31)),
    ],
    [
      '300,000 zeros (16-bit extended lengths, matches that reach back across blocks)',
      new Uint8Array(300_000),
    ],
  ];
  it.each(cases)('%s', (_name, input) => {
    const compressed = xpressHuffmanCompress(input);
    expect(Buffer.from(xpressHuffmanDecompress(compressed, input.length)).equals(Buffer.from(input))).toBe(
      true,
    );
  });

  it('writes literals only when asked, and still round-trips', () => {
    const input = ascii('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const compressed = xpressHuffmanCompress(input, { matches: false });
    expect(new TextDecoder().decode(xpressHuffmanDecompress(compressed, input.length))).toBe(
      'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    );
  });

  it('decodes every offset bit length (0 to 15) and every length form (4-bit, byte, 16-bit, 32-bit)', () => {
    const random = prng(7);
    const tokens: XpressToken[] = Array.from(randomBytes(random, 40_000), (byte) => ({
      kind: 'literal' as const,
      byte,
    }));
    for (let bits = 0; bits <= 15; bits++) {
      tokens.push({ kind: 'match', length: 4, offset: (1 << bits) + (bits > 0 ? 1 : 0) });
    }
    tokens.push({ kind: 'match', length: 17, offset: 3 }); // nibble 14: the last one-nibble length
    tokens.push({ kind: 'match', length: 18, offset: 5 }); // nibble 15 + byte 0
    tokens.push({ kind: 'match', length: 272, offset: 9 }); // nibble 15 + byte 254
    tokens.push({ kind: 'match', length: 273, offset: 9 }); // byte 255 + 16-bit 270
    tokens.push({ kind: 'match', length: 70_000, offset: 12_345 }); // byte 255 + 16-bit 0 + 32-bit 69,997
    const expected = apply(tokens);
    const compressed = xpressHuffmanCompress(expected, { tokens });
    const out = xpressHuffmanDecompress(compressed, expected.length);
    expect(Buffer.from(out).equals(Buffer.from(expected))).toBe(true);
  });

  it('decodes the two real Windows 10 MAM Prefetch streams to SCCA files of the declared size', () => {
    for (const [name, size] of [
      ['NOTEPAD.EXE-D8414F97.pf', 34_286],
      ['BYTECODEGENERATOR.EXE-C1E9BCE6.pf', 603_246],
    ] as const) {
      const file = readFileSync(`${SAMPLES}prefetch/${name}`);
      expect(file.readUInt32LE(4)).toBe(size);
      const out = Buffer.from(xpressHuffmanDecompress(file.subarray(8), size));
      expect(out.readUInt32LE(0)).toBe(30);
      expect(out.subarray(4, 8).toString('latin1')).toBe('SCCA');
      expect(out.readUInt32LE(12)).toBe(size); // the SCCA header's own file size
    }
  });
});

describe('xpressHuffmanDecompress: corrupt streams are DATA_INVALID, never a crash or a hang', () => {
  it('rejects input too short to hold a block table', () => {
    expectDataInvalid(() => xpressHuffmanDecompress(new Uint8Array(0), 1), /ends where a block should start/);
    expectDataInvalid(
      () => xpressHuffmanDecompress(new Uint8Array(255), 10),
      /ends where a block should start/,
    );
  });

  it('rejects a table whose code lengths are all zero (no symbols)', () => {
    expectDataInvalid(
      () => xpressHuffmanDecompress(new Uint8Array(300), 10),
      /invalid Huffman code-length table/,
    );
  });

  it('rejects an over-subscribed table (512 one-bit codes) and an incomplete one (one 1-bit code)', () => {
    expectDataInvalid(
      () => xpressHuffmanDecompress(new Uint8Array(260).fill(0x11), 10),
      /invalid Huffman code-length table/,
    );
    expectDataInvalid(
      () => xpressHuffmanDecompress(stream({ 32: 0x10 }, [0, 0, 0, 0]), 4),
      /code-length table/,
    );
  });

  it('rejects a match that reaches before the start of the output', () => {
    // Same table as the hand-made vector, but bits "1...": a match first, with nothing to copy from.
    const input = stream({ 32: 0x10, 128: 0x01 }, [0x00, 0x80, 0x00, 0x00]);
    expectDataInvalid(() => xpressHuffmanDecompress(input, 4), /before the start of the output/);
  });

  it('rejects a match that runs past the declared output size', () => {
    // Example 2 holds a 297-byte match after 3 literals: 100 bytes of output cannot hold it.
    expectDataInvalid(() => xpressHuffmanDecompress(MS_XCA_EXAMPLE_2, 100), /past the end of the output/);
  });

  it('rejects a missing or invalid extended length', () => {
    expectDataInvalid(() => xpressHuffmanDecompress(MS_XCA_EXAMPLE_2.subarray(0, 260), 300), /length byte/);
    expectDataInvalid(
      () => xpressHuffmanDecompress(MS_XCA_EXAMPLE_2.subarray(0, 262), 300),
      /16-bit match length/,
    );
    const small = Uint8Array.from(MS_XCA_EXAMPLE_2);
    small.set([0x05, 0x00], 261); // a 16-bit length of 5: below the 15 the escape implies
    expectDataInvalid(() => xpressHuffmanDecompress(small, 300), /below 15/);
    const zero = Uint8Array.from([...MS_XCA_EXAMPLE_2.subarray(0, 261), 0, 0, 1, 2]); // 32-bit length cut short
    expectDataInvalid(() => xpressHuffmanDecompress(zero, 300), /32-bit match length/);
  });

  it('rejects a stream that ends before the output is complete', () => {
    const input = ascii('The quick brown fox jumps over the lazy dog. '.repeat(200));
    const compressed = xpressHuffmanCompress(input);
    expectDataInvalid(() =>
      xpressHuffmanDecompress(compressed.subarray(0, compressed.length - 40), input.length),
    );
    // More output than the stream holds: its bits run out (or decode into an impossible match).
    expectDataInvalid(() => xpressHuffmanDecompress(MS_XCA_EXAMPLE_1, 5000));
  });

  it('rejects an output size that is not an integer in range with INVALID_ARGUMENT', () => {
    for (const size of [-1, 1.5, Number.NaN, 2 ** 31]) {
      let error: unknown;
      try {
        xpressHuffmanDecompress(MS_XCA_EXAMPLE_1, size);
      } catch (e) {
        error = e;
      }
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('either decodes or throws DATA_INVALID for random bytes after a valid table', () => {
    const random = prng(99);
    let decoded = 0;
    for (let i = 0; i < 200; i++) {
      const input = Uint8Array.from([
        ...MS_XCA_EXAMPLE_1.subarray(0, 256),
        ...randomBytes(random, 1 + i * 3),
      ]);
      try {
        expect(xpressHuffmanDecompress(input, 1 + (i % 97)).length).toBe(1 + (i % 97));
        decoded++;
      } catch (e) {
        expect(isTriageError(e, 'DATA_INVALID'), String(e)).toBe(true);
      }
    }
    // Literal-only tables decode any bits; both outcomes occur.
    expect(decoded).toBeGreaterThan(0);
  });
});
