/**
 * Wall-clock time in an IANA time zone ↔ UTC, with the time zone data that
 * ships with Node's ICU. Pure functions.
 */

/** A local date and time, as a syslog time stamp or a file's mtime is read on the host. */
export interface WallClock {
  readonly year: number;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0–999; default 0. */
  readonly millisecond?: number;
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatter(timeZone: string): Intl.DateTimeFormat | null {
  let cached = formatters.get(timeZone);
  if (cached === undefined) {
    try {
      cached = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch {
      cached = null;
    }
    formatters.set(timeZone, cached);
  }
  return cached;
}

/**
 * Whether `timeZone` is an IANA name this runtime knows (`Europe/Berlin`, `UTC`).
 */
export function isKnownTimeZone(timeZone: string): boolean {
  return formatter(timeZone) !== null;
}

/**
 * The wall clock in `timeZone` at an instant.
 *
 * @param epochMs - the instant
 * @param timeZone - IANA name; null or unknown means UTC
 */
export function toWallClock(epochMs: number, timeZone: string | null): WallClock {
  const format = timeZone === null ? null : formatter(timeZone);
  if (format === null) {
    const d = new Date(epochMs);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    };
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(epochMs))) parts[part.type] = part.value;
  const year = Number(parts.year);
  return {
    year: parts.era === 'BC' ? 1 - year : year,
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    millisecond: ((epochMs % 1000) + 1000) % 1000,
  };
}

/** The wall clock read as if it were UTC, in milliseconds (no validation). */
export function wallClockMs(wall: WallClock): number {
  const ms = Date.UTC(
    wall.year,
    wall.month - 1,
    wall.day,
    wall.hour,
    wall.minute,
    wall.second,
    wall.millisecond ?? 0,
  );
  // Date.UTC maps years 0–99 to 1900–1999.
  return wall.year >= 0 && wall.year < 100 ? new Date(ms).setUTCFullYear(wall.year) : ms;
}

function offsetAt(epochMs: number, timeZone: string | null): number {
  return wallClockMs(toWallClock(epochMs, timeZone)) - epochMs;
}

/**
 * The instant a wall-clock time in `timeZone` denotes. In the hour a
 * daylight-saving change repeats, the earlier instant; in the hour it skips,
 * the time as if the change had not happened yet.
 *
 * @param wall - the local time
 * @param timeZone - IANA name; null or unknown means UTC
 * @returns milliseconds since the epoch, or null when the date does not
 *   exist (February 29 of a common year, a 31st of a 30-day month)
 */
export function fromWallClock(wall: WallClock, timeZone: string | null): number | null {
  const local = wallClockMs(wall);
  if (!Number.isFinite(local)) return null;
  const check = new Date(local);
  if (
    check.getUTCMonth() !== wall.month - 1 ||
    check.getUTCDate() !== wall.day ||
    check.getUTCHours() !== wall.hour ||
    check.getUTCMinutes() !== wall.minute ||
    check.getUTCSeconds() !== wall.second
  ) {
    return null;
  }
  if (timeZone === null || formatter(timeZone) === null) return local;
  const first = offsetAt(local, timeZone);
  const guess = local - first;
  const second = offsetAt(guess, timeZone);
  if (second === first) {
    // In a repeated hour the earlier instant has the larger offset.
    const earlier = local - offsetAt(guess - 3_600_000, timeZone);
    return earlier < guess && offsetAt(earlier, timeZone) === local - earlier ? earlier : guess;
  }
  const retry = local - second;
  if (offsetAt(retry, timeZone) === second) return retry;
  // A skipped hour: read it with the offset in force before the change.
  return local - offsetAt(Math.min(guess, retry), timeZone);
}
