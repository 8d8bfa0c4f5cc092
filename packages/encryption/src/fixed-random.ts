import { createHash } from 'node:crypto';
import type { RandomBytes } from './stanzas.js';

/**
 * Deterministic "randomness" for test vectors and the spec's worked example:
 * returns the given byte strings in order, then fails. Never use it to encrypt
 * real data.
 */
export function fixedRandom(...outputs: Uint8Array[]): RandomBytes {
  const queue = [...outputs];
  return (length: number) => {
    const next = queue.shift();
    if (!next || next.length !== length) {
      throw new Error(
        `fixedRandom: asked for ${length} bytes, next prepared output is ${next?.length ?? 'none'}`,
      );
    }
    return next;
  };
}

/**
 * A deterministic byte generator for vectors: SHA-256(seed || u32be(i)) blocks,
 * concatenated. Documented in test-fixtures/encryption/README.md so other
 * implementations can regenerate the same plaintexts and randomness.
 */
export function seededRandom(seed: string): RandomBytes {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (length: number) => {
    if (pool.length < length) {
      const blocks: Buffer[] = [pool];
      for (let have = pool.length; have < length; have += 32) {
        const index = Buffer.alloc(4);
        index.writeUInt32BE(counter++);
        blocks.push(createHash('sha256').update(seed, 'utf8').update(index).digest());
      }
      pool = Buffer.concat(blocks);
    }
    const out = pool.subarray(0, length);
    pool = pool.subarray(length);
    return Uint8Array.from(out);
  };
}

/** Bytes `start`, `start+1`, … (mod 256): the spec example's readable inputs. */
export function counting(start: number, length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}
