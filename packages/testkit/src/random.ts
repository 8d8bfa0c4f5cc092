/**
 * mulberry32: a small seeded PRNG for tests, fuzzers and benches, so every
 * generated input can be reproduced from its seed. (`@triage/trail` keeps
 * its own copy for its shipped synthetic-trail generator: shipped code does
 * not depend on the test kit.)
 *
 * @param seed - any 32-bit integer
 * @returns a function giving numbers in [0, 1), the same sequence for the same seed
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
