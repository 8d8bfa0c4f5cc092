/**
 * The tamper matrix: every way the issue lists of damaging an envelope, each
 * with the exact error code the spec (docs/formats/envelope.md §6) predicts.
 * Expected codes come from the field layout, not from running the decoder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './fixed-random.js';
import { MAX_CHUNK_LOG2, MIN_CHUNK_LOG2 } from './format.js';
import { decryptBytes, encryptBytes } from './io.js';
import { generateExaminerKeyPair } from './keys.js';
import { scryptParamsWithinBounds } from './stanzas.js';
import type { Identity } from './stream.js';
import { codeOf } from './test-support.js';

const C = 64;
const SEALED = C + 16;
const X_HEADER = 12 + 3 + 104 + 32; // 151
const P_HEADER = 12 + 3 + 91 + 32; // 138
const PASSWORD = 'tamper-matrix';
const SCRYPT = { logN: 10, r: 8, p: 1 };

const examiner = generateExaminerKeyPair(seededRandom('tamper:examiner'));
const outsider = generateExaminerKeyPair(seededRandom('tamper:outsider'));
const plaintext = seededRandom('tamper:plaintext')(3 * C + 8); // chunks of 64, 64, 64 and a final 8

let keyed: Uint8Array;
let keyedOther: Uint8Array;
let passworded: Uint8Array;

beforeAll(async () => {
  keyed = await encryptBytes(plaintext, {
    recipients: [examiner.recipient],
    chunkSize: C,
    randomBytes: seededRandom('tamper:keyed'),
  });
  keyedOther = await encryptBytes(plaintext, {
    recipients: [examiner.recipient],
    chunkSize: C,
    randomBytes: seededRandom('tamper:keyed-other'),
  });
  passworded = await encryptBytes(plaintext, {
    recipients: [{ password: PASSWORD, scrypt: SCRYPT }],
    chunkSize: C,
    randomBytes: seededRandom('tamper:password'),
  });
});

function codeFor(bytes: Uint8Array, identities: readonly Identity[] = [examiner.identity]): Promise<string> {
  return codeOf(decryptBytes(bytes, { identities }));
}

function flipped(bytes: Uint8Array, offset: number, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[offset] = (copy[offset] as number) ^ (1 << bit);
  return copy;
}

/** Bits to flip at a header offset: all eight where the outcome depends on the value, else one. */
function bitsAt(offset: number, valueBytes: readonly number[]): number[] {
  return valueBytes.includes(offset) ? [0, 1, 2, 3, 4, 5, 6, 7] : [offset % 8];
}

function chunkLog2Outcome(value: number): string {
  return value >= MIN_CHUNK_LOG2 && value <= MAX_CHUNK_LOG2 ? 'ENVELOPE_TAMPERED' : 'ENVELOPE_BAD_HEADER';
}

/** Expected code for a bit flip in the header of the one-key envelope (§3, §6). */
function expectedKeyedHeaderFlip(offset: number, value: number): string {
  if (offset < 8) return 'ENVELOPE_BAD_HEADER'; // magic
  if (offset === 8 || offset === 10) return 'ENVELOPE_UNSUPPORTED_VERSION'; // version, flags
  if (offset === 9) return chunkLog2Outcome(value);
  if (offset === 11) return 'ENVELOPE_BAD_HEADER'; // stanza_count 0, or stanzas read from the MAC
  if (offset <= 14) return 'ENVELOPE_BAD_HEADER'; // stanza type, length
  if (offset < X_HEADER - 32) return 'ENVELOPE_NO_MATCHING_IDENTITY'; // stanza body
  return 'ENVELOPE_TAMPERED'; // header MAC
}

/** Expected code for a bit flip in the header of the password envelope. */
function expectedPasswordHeaderFlip(offset: number, value: number, original: Uint8Array): string {
  if (offset < 8) return 'ENVELOPE_BAD_HEADER';
  if (offset === 8 || offset === 10) return 'ENVELOPE_UNSUPPORTED_VERSION';
  if (offset === 9) return chunkLog2Outcome(value);
  if (offset <= 14) return 'ENVELOPE_BAD_HEADER';
  if (offset >= 31 && offset <= 33) {
    const params = { logN: original[31] as number, r: original[32] as number, p: original[33] as number };
    const changed = { ...params, [offset === 31 ? 'logN' : offset === 32 ? 'r' : 'p']: value };
    return scryptParamsWithinBounds(changed) ? 'ENVELOPE_WRONG_PASSWORD' : 'ENVELOPE_BAD_HEADER';
  }
  if (offset < P_HEADER - 32) return 'ENVELOPE_WRONG_PASSWORD'; // salt, nonce, secretbox
  return 'ENVELOPE_TAMPERED';
}

/** Expected code when the one-key envelope is cut to `length` bytes (§6 steps 1, 3 and 7). */
function expectedTruncation(length: number): string {
  if (length < X_HEADER) return 'ENVELOPE_TRUNCATED';
  const payload = length - X_HEADER;
  const rest = payload <= SEALED ? payload : ((payload - 1) % SEALED) + 1; // what is left for the final chunk
  if (rest < 16) return 'ENVELOPE_TRUNCATED';
  if (rest === SEALED) return 'ENVELOPE_TRUNCATED'; // cut at a chunk boundary, before the final chunk
  return 'ENVELOPE_TAMPERED'; // cut mid-chunk
}

function chunksOf(envelope: Uint8Array, headerLength: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = headerLength; offset < envelope.length; offset += SEALED) {
    out.push(envelope.subarray(offset, Math.min(offset + SEALED, envelope.length)));
  }
  return out;
}

const join = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

describe('tamper matrix', () => {
  it('starts from envelopes that decrypt', async () => {
    expect(keyed.length).toBe(X_HEADER + 3 * SEALED + 8 + 16);
    expect(await decryptBytes(keyed, { identities: [examiner.identity] })).toEqual(plaintext);
    expect(await decryptBytes(passworded, { identities: [{ password: PASSWORD }] })).toEqual(plaintext);
  });

  it('flips a bit in every header byte of a key envelope', async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < X_HEADER; offset++) {
      for (const bit of bitsAt(offset, [9, 11, 12])) {
        const damaged = flipped(keyed, offset, bit);
        const expected = expectedKeyedHeaderFlip(offset, damaged[offset] as number);
        expect(await codeFor(damaged), `header byte ${offset} bit ${bit}`).toBe(expected);
        seen.push(expected);
      }
    }
    // Every header outcome occurred: BAD_HEADER, UNSUPPORTED_VERSION, NO_MATCHING_IDENTITY, TAMPERED.
    expect(new Set(seen).size).toBe(4);
  });

  it('flips a bit in every header byte of a password envelope', async () => {
    for (let offset = 0; offset < P_HEADER; offset++) {
      for (const bit of bitsAt(offset, [9, 31, 32, 33])) {
        const damaged = flipped(passworded, offset, bit);
        const expected = expectedPasswordHeaderFlip(offset, damaged[offset] as number, passworded);
        expect(await codeFor(damaged, [{ password: PASSWORD }]), `header byte ${offset} bit ${bit}`).toBe(
          expected,
        );
      }
    }
  });

  it('flips a bit in every payload byte: ENVELOPE_TAMPERED', async () => {
    for (let offset = X_HEADER; offset < keyed.length; offset++) {
      expect(await codeFor(flipped(keyed, offset, offset % 8)), `payload byte ${offset}`).toBe(
        'ENVELOPE_TAMPERED',
      );
    }
  });

  it('truncates at every length, at chunk boundaries and mid-chunk', async () => {
    for (let length = 0; length < keyed.length; length++) {
      expect(await codeFor(keyed.subarray(0, length)), `cut to ${length} bytes`).toBe(
        expectedTruncation(length),
      );
    }
  });

  it('swaps every pair of chunks: ENVELOPE_TAMPERED', async () => {
    const header = keyed.subarray(0, X_HEADER);
    const chunks = chunksOf(keyed, X_HEADER);
    for (let i = 0; i < chunks.length; i++) {
      for (let j = i + 1; j < chunks.length; j++) {
        const order = [...chunks];
        [order[i], order[j]] = [order[j] as Uint8Array, order[i] as Uint8Array];
        expect(await codeFor(join(header, ...order)), `swap ${i} and ${j}`).toBe('ENVELOPE_TAMPERED');
      }
    }
  });

  it('duplicates and drops every chunk', async () => {
    const header = keyed.subarray(0, X_HEADER);
    const chunks = chunksOf(keyed, X_HEADER);
    for (let i = 0; i < chunks.length; i++) {
      const duplicated = [...chunks.slice(0, i + 1), chunks[i] as Uint8Array, ...chunks.slice(i + 1)];
      expect(await codeFor(join(header, ...duplicated)), `duplicate ${i}`).toBe('ENVELOPE_TAMPERED');
      const dropped = chunks.filter((_, k) => k !== i);
      // Dropping the final chunk leaves a full non-final chunk at the end: a cut at a boundary.
      const expected = i === chunks.length - 1 ? 'ENVELOPE_TRUNCATED' : 'ENVELOPE_TAMPERED';
      expect(await codeFor(join(header, ...dropped)), `drop ${i}`).toBe(expected);
    }
  });

  it('rejects a header from another envelope to the same key', async () => {
    expect(await codeFor(join(keyedOther.subarray(0, X_HEADER), keyed.subarray(X_HEADER)))).toBe(
      'ENVELOPE_TAMPERED',
    );
    expect(await codeFor(join(keyed.subarray(0, X_HEADER), keyedOther.subarray(X_HEADER)))).toBe(
      'ENVELOPE_TAMPERED',
    );
  });

  it('rejects appended data', async () => {
    expect(await codeFor(join(keyed, new Uint8Array([0])))).toBe('ENVELOPE_TAMPERED');
    expect(await codeFor(join(keyed, keyed.subarray(X_HEADER)))).toBe('ENVELOPE_TAMPERED');
  });

  it('names a wrong key and a wrong password', async () => {
    expect(await codeFor(keyed, [outsider.identity])).toBe('ENVELOPE_NO_MATCHING_IDENTITY');
    expect(await codeFor(keyed, [{ password: PASSWORD }])).toBe('ENVELOPE_NO_MATCHING_IDENTITY');
    expect(await codeFor(passworded, [{ password: 'not it' }])).toBe('ENVELOPE_WRONG_PASSWORD');
    expect(await codeFor(passworded, [examiner.identity])).toBe('ENVELOPE_NO_MATCHING_IDENTITY');
    // The right identity among wrong ones still opens.
    expect(await codeFor(keyed, [outsider.identity, examiner.identity])).toBe('resolved');
  });
});
