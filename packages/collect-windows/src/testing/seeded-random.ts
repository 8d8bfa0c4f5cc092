/**
 * A small seeded PRNG (mulberry32) for tests and the fuzz harness, so every
 * generated input can be reproduced from its seed.
 */
import { seededRandom } from '@triage/testkit';

/** Numbers in [0, 1) from a 32-bit seed, the same sequence for the same seed (the test kit's mulberry32). */
export const prng = seededRandom;

/** `n` bytes from a PRNG. */
export function randomBytes(random: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}
