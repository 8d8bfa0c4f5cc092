/**
 * Syslog text lines as rsyslog and syslog-ng write them to /var/log/auth.log
 * and /var/log/secure, and the year the traditional (BSD) time stamp leaves
 * out. Pure functions.
 *
 * Two time stamp forms are read:
 * - traditional: `Nov 22 03:13:05 web01 sshd[7042]: message`, local time, no
 *   year, optionally with a fraction;
 * - RFC 3339 (rsyslog's high-precision template):
 *   `2026-11-22T03:13:05.123456+01:00 web01 sshd[7042]: message`.
 */
import { type WallClock, wallClockMs } from './timezone.js';

/** A traditional time stamp: a wall clock without its year. */
export type SyslogStamp = Omit<WallClock, 'year'>;

/** One parsed syslog line. */
export interface SyslogLine {
  /** The traditional time stamp; null for an RFC 3339 line. */
  readonly stamp: SyslogStamp | null;
  /** The instant of an RFC 3339 line, in ms since the epoch; null for a traditional line. */
  readonly epochMs: number | null;
  readonly host: string;
  /** The tag without the pid, e.g. `sshd`, `sudo`, `CRON`. */
  readonly program: string;
  readonly pid: number | null;
  /** The text after `program[pid]: `. */
  readonly message: string;
}

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

const BSD = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))? (.*)$/;
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2}) (.*)$/;
const REST = /^(\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/;

function millis(fraction: string | undefined): number {
  return fraction === undefined ? 0 : Number(fraction.padEnd(3, '0').slice(0, 3));
}

function rest(text: string): Omit<SyslogLine, 'stamp' | 'epochMs'> | null {
  const m = REST.exec(text);
  if (!m) return null;
  const pid = m[3] === undefined ? null : Number(m[3]);
  return {
    host: m[1] as string,
    program: m[2] as string,
    pid: pid !== null && Number.isSafeInteger(pid) ? pid : null,
    message: m[4] as string,
  };
}

/**
 * Splits a syslog line into time stamp, host, program, pid and message.
 *
 * @param line - one line, without its newline
 * @returns the parts, or null when the line is not in either syslog form
 *   (`-- MARK --`, a continuation, garbage)
 */
export function parseSyslogLine(line: string): SyslogLine | null {
  const bsd = BSD.exec(line);
  if (bsd) {
    const month = MONTHS[bsd[1] as string];
    const day = Number(bsd[2]);
    const hour = Number(bsd[3]);
    const minute = Number(bsd[4]);
    const second = Number(bsd[5]);
    if (month === undefined || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    const parts = rest(bsd[7] as string);
    if (!parts) return null;
    const stamp = { month, day, hour, minute, second: Math.min(second, 59), millisecond: millis(bsd[6]) };
    return { stamp, epochMs: null, ...parts };
  }
  const iso = RFC3339.exec(line);
  if (iso) {
    const wall = {
      year: Number(iso[1]),
      month: Number(iso[2]),
      day: Number(iso[3]),
      hour: Number(iso[4]),
      minute: Number(iso[5]),
      second: Math.min(Number(iso[6]), 59),
      millisecond: millis(iso[7]),
    };
    if (
      wall.month < 1 ||
      wall.month > 12 ||
      wall.day < 1 ||
      wall.day > 31 ||
      wall.hour > 23 ||
      wall.minute > 59
    ) {
      return null;
    }
    const zone = iso[8] as string;
    let offsetMinutes = 0;
    if (zone !== 'Z') {
      const digits = zone.slice(1).replace(':', '');
      offsetMinutes =
        (zone[0] === '-' ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
    }
    const parts = rest(iso[9] as string);
    if (!parts) return null;
    return { stamp: null, epochMs: wallClockMs(wall) - offsetMinutes * 60_000, ...parts };
  }
  return null;
}

/**
 * Log lines run forward in time. A line more than a month before the one
 * above it is in the next year; one less than a month before it across New
 * Year (so almost a year "after" it within one calendar) is a line slightly
 * out of order, in the previous year. Forward gaps of up to eleven months
 * stay in the same year.
 */
const BACKWARD_LIMIT_MS = 31 * 86_400_000;
const YEAR_MS = 366 * 86_400_000;

/** How far the last line may be after the file's mtime (an unknown or wrong time zone). */
export const MTIME_TOLERANCE_MS = 2 * 86_400_000;

function position(stamp: SyslogStamp): number {
  // 2000 is a leap year, so February 29 has a place.
  return wallClockMs({ year: 2000, ...stamp });
}

/**
 * +1 when `current` is in the year after `previous` (Dec → Jan, or any step
 * back of more than a month), −1 when in the year before (a line slightly out
 * of order across New Year), else 0.
 */
export function yearStep(previous: SyslogStamp, current: SyslogStamp): -1 | 0 | 1 {
  const delta = position(current) - position(previous);
  if (delta < -BACKWARD_LIMIT_MS) return 1;
  if (delta > YEAR_MS - BACKWARD_LIMIT_MS) return -1;
  return 0;
}

/**
 * First pass of year inference: feed every traditional time stamp of a file
 * in order, then ask for the year of the first line. The last line was
 * written no later than the file's mtime, so its year is the latest that
 * puts it at or before the mtime; earlier lines count year boundaries back
 * from there. Memory does not grow with the file.
 */
export class SyslogYearScanner {
  #previous: SyslogStamp | null = null;
  #net = 0;

  /** Adds the next line's time stamp. */
  add(stamp: SyslogStamp): void {
    if (this.#previous) this.#net += yearStep(this.#previous, stamp);
    this.#previous = stamp;
  }

  /**
   * The year of the first line added.
   *
   * @param mtime - the file's mtime as a wall clock in the host's time zone
   * @returns the year, or null when no line was added
   */
  firstYear(mtime: WallClock): number | null {
    const last = this.#previous;
    if (!last) return null;
    const limit = wallClockMs(mtime) + MTIME_TOLERANCE_MS;
    let year = mtime.year + 1;
    while (year > mtime.year - 1 && wallClockMs({ year, ...last }) > limit) year--;
    return year - this.#net;
  }
}

/**
 * Second pass of year inference: assigns each traditional time stamp its
 * year, starting from {@link SyslogYearScanner.firstYear} and applying the
 * same year boundaries.
 */
export class SyslogYearWalker {
  #previous: SyslogStamp | null = null;
  #year: number;

  /** @param firstYear - the year of the first line */
  constructor(firstYear: number) {
    this.#year = firstYear;
  }

  /** The year of the next line. */
  yearOf(stamp: SyslogStamp): number {
    if (this.#previous) this.#year += yearStep(this.#previous, stamp);
    this.#previous = stamp;
    return this.#year;
  }
}
