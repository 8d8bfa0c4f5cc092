import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decryptBytes, encryptBytes } from './io.js';
import { generateExaminerKeyPair } from './keys.js';

const examiner = generateExaminerKeyPair();
const second = generateExaminerKeyPair();

/** Splits bytes at the given (sorted, deduplicated) cut points into a stream of pieces. */
function split(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let previous = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.slice(previous, point));
    previous = point;
  }
  return new ReadableStream({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece);
      controller.close();
    },
  });
}

describe('round trip (property-based)', () => {
  it('decrypts whatever was encrypted, for any size, chunk size and piece boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 5 * 1024 + 3 }),
        fc.constantFrom(64, 128, 1024, 65_536),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (plaintext, chunkSize, inputCuts, envelopeCuts) => {
          const envelope = await encryptBytes(split(plaintext, inputCuts), {
            recipients: [examiner.recipient, second.recipient],
            chunkSize,
          });
          const sealedChunks = Math.max(1, Math.ceil(plaintext.length / chunkSize));
          expect(envelope.length).toBe(12 + 2 * 107 + 32 + plaintext.length + 16 * sealedChunks);
          const opened = await decryptBytes(split(envelope, envelopeCuts), { identities: [second.identity] });
          expect(Buffer.from(opened).equals(Buffer.from(plaintext))).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips with a password', async () => {
    const plaintext = new TextEncoder().encode('evidence');
    const envelope = await encryptBytes(plaintext, {
      recipients: [{ password: 'pässword', scrypt: { logN: 10, r: 8, p: 1 } }],
    });
    // NFC and NFD spellings of the same password open it.
    expect(await decryptBytes(envelope, { identities: [{ password: 'pa\u0308ssword' }] })).toEqual(plaintext);
  });

  it('makes a fresh file key each time: same input, different envelopes', async () => {
    const plaintext = new Uint8Array(100);
    const a = await encryptBytes(plaintext, { recipients: [examiner.recipient] });
    const b = await encryptBytes(plaintext, { recipients: [examiner.recipient] });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
