/**
 * Marvin32, the keyed checksum Windows uses for the Hash-1 and Hash-2
 * fields of a new-format transaction log entry (Suhanov, "Format of
 * transaction log files" > "New format" > "Log entries", notes 1-3).
 *
 * The algorithm is Microsoft's (SymCrypt `lib/marvin32.c`, .NET
 * `System.Marvin`): two 32-bit registers seeded from the 64-bit seed (low
 * half first), each little-endian 32-bit word of input added to the first
 * register and mixed, the 0-3 trailing bytes padded with one 0x80 byte, two
 * final mixing rounds, and the 64-bit result `hi:lo`. Incremental, so a log
 * entry of any size is hashed in bounded chunks.
 */

/**
 * The seed for registry log entries: the bytes 82 EF 4D 88 7A 4E 55 C5 of the
 * specification read as one hexadecimal number (its low 32 bits seed the first
 * register). Checked against every entry of the regipy sample logs.
 */
export const REGISTRY_LOG_SEED = 0x82ef4d887a4e55c5n;

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

/** An incremental Marvin32 computation. */
export class Marvin32 {
  #lo: number;
  #hi: number;
  /** Up to 3 bytes left over from the previous `update`. */
  readonly #tail = new Uint8Array(4);
  #tailLength = 0;

  /** @param seed - the 64-bit seed; default {@link REGISTRY_LOG_SEED} */
  constructor(seed: bigint = REGISTRY_LOG_SEED) {
    this.#lo = Number(seed & 0xffffffffn);
    this.#hi = Number((seed >> 32n) & 0xffffffffn);
  }

  #block(word: number): void {
    let lo = (this.#lo + word) >>> 0;
    let hi = this.#hi;
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 20);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 9);
    hi = (hi ^ lo) >>> 0;
    lo = rotl(lo, 27);
    lo = (lo + hi) >>> 0;
    hi = rotl(hi, 19);
    this.#lo = lo;
    this.#hi = hi;
  }

  /** Adds bytes to the hashed input. */
  update(bytes: Uint8Array): this {
    let at = 0;
    while (this.#tailLength > 0 && this.#tailLength < 4 && at < bytes.length) {
      this.#tail[this.#tailLength++] = bytes[at++] ?? 0;
      if (this.#tailLength === 4) {
        this.#block(
          ((this.#tail[0] ?? 0) |
            ((this.#tail[1] ?? 0) << 8) |
            ((this.#tail[2] ?? 0) << 16) |
            ((this.#tail[3] ?? 0) << 24)) >>>
            0,
        );
        this.#tailLength = 0;
      }
    }
    const whole = at + Math.floor((bytes.length - at) / 4) * 4;
    for (; at < whole; at += 4) {
      this.#block(
        ((bytes[at] ?? 0) |
          ((bytes[at + 1] ?? 0) << 8) |
          ((bytes[at + 2] ?? 0) << 16) |
          ((bytes[at + 3] ?? 0) << 24)) >>>
          0,
      );
    }
    while (at < bytes.length) this.#tail[this.#tailLength++] = bytes[at++] ?? 0;
    return this;
  }

  /** The 64-bit hash of everything added so far (the object must not be updated afterwards). */
  digest(): bigint {
    let final = 0x80 * 2 ** (8 * this.#tailLength);
    for (let i = 0; i < this.#tailLength; i++) final += (this.#tail[i] ?? 0) * 2 ** (8 * i);
    this.#block(final >>> 0);
    this.#block(0);
    return (BigInt(this.#hi) << 32n) | BigInt(this.#lo);
  }
}

/**
 * Marvin32 of `bytes` in one call.
 *
 * @param bytes - the input
 * @param seed - default {@link REGISTRY_LOG_SEED}
 */
export function marvin32(bytes: Uint8Array, seed: bigint = REGISTRY_LOG_SEED): bigint {
  return new Marvin32(seed).update(bytes).digest();
}
