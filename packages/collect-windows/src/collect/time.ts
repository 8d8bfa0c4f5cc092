/**
 * Windows times as the artifact schema writes them: ISO 8601 in UTC with all
 * seven fractional digits of a FILETIME's 100 ns (as the EVTX, LNK and
 * Prefetch parsers write them), so they sort as text and lose nothing.
 */

/** FILETIME ticks (100 ns since 1601-01-01 UTC) at the Unix epoch. */
const UNIX_EPOCH_TICKS = 116_444_736_000_000_000n;
/** The latest time the schema can hold: 9999-12-31T23:59:59.9999999Z. */
const MAX_TICKS = 2_650_467_743_999_999_999n;

/**
 * A FILETIME as ISO 8601 UTC with seven fractional digits.
 *
 * @param ticks - 100 ns intervals since 1601-01-01 UTC
 * @returns the time, or null for 0, for "never" (0x7FFFFFFFFFFFFFFF) and for anything past year 9999
 */
export function filetimeToIso(ticks: bigint): string | null {
  if (ticks <= 0n || ticks > MAX_TICKS) return null;
  const sinceEpoch = ticks - UNIX_EPOCH_TICKS;
  // Floor division, so times before 1970 keep a non-negative fraction.
  let ms = sinceEpoch / 10_000n;
  let rest = sinceEpoch % 10_000n;
  if (rest < 0n) {
    ms -= 1n;
    rest += 10_000n;
  }
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 23)}${String(rest).padStart(4, '0')}Z`;
}

/**
 * The FILETIME stored little-endian at `offset` of `bytes`, as ISO 8601.
 *
 * @returns the time, or null when the bytes are too short or the value is 0, "never" or out of range
 */
export function filetimeAt(bytes: Uint8Array, offset: number): string | null {
  if (offset < 0 || offset + 8 > bytes.length) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return filetimeToIso(view.getBigUint64(offset, true));
}

/** The `YYYY-MM-DD` date of an ISO time, or null. */
export function dateOf(iso: string | null): string | null {
  return iso === null ? null : iso.slice(0, 10);
}

/** A `Date` (from `stat`) as ISO 8601 UTC with milliseconds. */
export function isoOfMs(ms: number): string {
  return new Date(ms).toISOString();
}
