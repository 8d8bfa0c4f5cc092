import { describe, expect, it } from 'vitest';
import {
  parseSyslogLine,
  type SyslogStamp,
  SyslogYearScanner,
  SyslogYearWalker,
  yearStep,
} from './syslog.js';
import { fromWallClock, toWallClock } from './timezone.js';

describe('parseSyslogLine', () => {
  it('reads a traditional line', () => {
    expect(
      parseSyslogLine('Nov 22 03:13:05 web01 sshd[7042]: Accepted password for x from ::1 port 2 ssh2'),
    ).toEqual({
      stamp: { month: 11, day: 22, hour: 3, minute: 13, second: 5, millisecond: 0 },
      epochMs: null,
      host: 'web01',
      program: 'sshd',
      pid: 7042,
      message: 'Accepted password for x from ::1 port 2 ssh2',
    });
  });

  it('reads a space-padded day, a fraction and a tag without pid', () => {
    const line = parseSyslogLine('Jan  1 00:00:02.5 web01 sudo:    alice : TTY=pts/0 ; COMMAND=/bin/id');
    expect(line?.stamp).toEqual({ month: 1, day: 1, hour: 0, minute: 0, second: 2, millisecond: 500 });
    expect(line?.pid).toBeNull();
    expect(line?.program).toBe('sudo');
    expect(line?.message).toBe('   alice : TTY=pts/0 ; COMMAND=/bin/id');
  });

  it('reads RFC 3339 time stamps with offsets and long fractions', () => {
    const line = parseSyslogLine('2026-11-22T03:20:00.123456+01:00 web01 sudo: x');
    expect(line?.stamp).toBeNull();
    expect(new Date(line?.epochMs ?? 0).toISOString()).toBe('2026-11-22T02:20:00.123Z');
    expect(parseSyslogLine('2026-11-22T02:20:00Z web01 CRON[1]: x')?.epochMs).toBe(
      Date.parse('2026-11-22T02:20:00Z'),
    );
    expect(parseSyslogLine('2026-11-22T02:20:00-0500 web01 CRON[1]: x')?.epochMs).toBe(
      Date.parse('2026-11-22T07:20:00Z'),
    );
  });

  it('returns null for lines in neither form', () => {
    for (const line of [
      '',
      '-- MARK --',
      'Foo 22 03:13:05 web01 sshd[1]: x',
      'Nov 32 03:13:05 web01 sshd[1]: x',
      'Nov 22 25:13:05 web01 sshd[1]: x',
      'Nov 22 03:13:05 web01',
      '2026-13-01T00:00:00Z web01 a: b',
      'garbage',
    ]) {
      expect(parseSyslogLine(line), line).toBeNull();
    }
  });
});

const stamp = (month: number, day: number, hour = 0): SyslogStamp => ({
  month,
  day,
  hour,
  minute: 0,
  second: 0,
});

function years(stamps: SyslogStamp[], mtimeIso: string, timeZone: string | null = null): number[] {
  const scanner = new SyslogYearScanner();
  for (const s of stamps) scanner.add(s);
  const first = scanner.firstYear(toWallClock(Date.parse(mtimeIso), timeZone));
  if (first === null) return [];
  const walker = new SyslogYearWalker(first);
  return stamps.map((s) => walker.yearOf(s));
}

describe('year inference', () => {
  it('dates lines of the mtime year', () => {
    expect(years([stamp(11, 1), stamp(11, 22)], '2026-11-22T10:00:00Z')).toEqual([2026, 2026]);
  });

  it('rolls over at New Year, walking back from a January mtime', () => {
    expect(
      years([stamp(12, 30), stamp(12, 31, 23), stamp(1, 1), stamp(1, 2)], '2026-01-02T06:00:00Z'),
    ).toEqual([2025, 2025, 2026, 2026]);
  });

  it('puts a December log rotated in January in the previous year', () => {
    expect(years([stamp(12, 20), stamp(12, 31, 23)], '2026-01-01T06:25:00Z')).toEqual([2025, 2025]);
  });

  it('walks back over several year boundaries', () => {
    expect(years([stamp(6, 1), stamp(1, 5), stamp(7, 1), stamp(2, 1)], '2026-03-01T00:00:00Z')).toEqual([
      2024, 2025, 2025, 2026,
    ]);
  });

  it('tolerates a line slightly out of order across New Year', () => {
    expect(years([stamp(1, 1, 0), stamp(12, 31, 23), stamp(1, 1, 0)], '2026-01-01T12:00:00Z')).toEqual([
      2026, 2025, 2026,
    ]);
  });

  it('allows the last line to be up to two days after the mtime (a wrong time zone)', () => {
    // Host in UTC+10 read as UTC: its last line looks 10 hours after the mtime.
    expect(years([stamp(11, 22, 13)], '2026-11-22T03:00:00Z')).toEqual([2026]);
    // Read in the host zone the mtime itself is already the next year.
    expect(years([stamp(1, 1, 0)], '2025-12-31T23:30:00Z')).toEqual([2026]);
    expect(years([stamp(1, 1, 0)], '2025-12-31T23:30:00Z', 'Europe/Berlin')).toEqual([2026]);
  });

  it('has no first year without lines', () => {
    expect(new SyslogYearScanner().firstYear(toWallClock(0, null))).toBeNull();
  });

  it('steps a year forward for a step back of more than a month, back for a small step across New Year', () => {
    expect(yearStep(stamp(12, 31), stamp(1, 1))).toBe(1);
    expect(yearStep(stamp(6, 1), stamp(1, 5))).toBe(1);
    expect(yearStep(stamp(1, 1), stamp(12, 31))).toBe(-1);
    // A clock set back a few weeks, and a long quiet gap, stay in the year.
    expect(yearStep(stamp(3, 1), stamp(2, 10))).toBe(0);
    expect(yearStep(stamp(2, 1), stamp(11, 1))).toBe(0);
  });
});

describe('time zones', () => {
  const wall = (year: number, month: number, day: number, hour: number, minute = 0) => ({
    year,
    month,
    day,
    hour,
    minute,
    second: 0,
  });
  const utc = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  it('converts local time to UTC with the zone in force', () => {
    expect(utc(fromWallClock(wall(2026, 1, 1, 0), 'Europe/Berlin'))).toBe('2025-12-31T23:00:00.000Z');
    expect(utc(fromWallClock(wall(2026, 7, 1, 12), 'Europe/Berlin'))).toBe('2026-07-01T10:00:00.000Z');
    expect(utc(fromWallClock(wall(2026, 7, 1, 12), 'America/New_York'))).toBe('2026-07-01T16:00:00.000Z');
    expect(utc(fromWallClock(wall(2026, 7, 1, 12), null))).toBe('2026-07-01T12:00:00.000Z');
  });

  it('takes the earlier instant in a repeated hour', () => {
    expect(utc(fromWallClock(wall(2026, 10, 25, 2, 30), 'Europe/Berlin'))).toBe('2026-10-25T00:30:00.000Z');
    expect(utc(fromWallClock(wall(2026, 11, 1, 1, 30), 'America/New_York'))).toBe('2026-11-01T05:30:00.000Z');
  });

  it('reads a skipped hour with the offset before the change', () => {
    expect(utc(fromWallClock(wall(2026, 3, 29, 2, 30), 'Europe/Berlin'))).toBe('2026-03-29T01:30:00.000Z');
    expect(utc(fromWallClock(wall(2026, 3, 8, 2, 30), 'America/New_York'))).toBe('2026-03-08T07:30:00.000Z');
  });

  it('rejects dates that do not exist', () => {
    expect(fromWallClock(wall(2025, 2, 29, 0), 'Europe/Berlin')).toBeNull();
    expect(fromWallClock(wall(2026, 4, 31, 0), null)).toBeNull();
    expect(fromWallClock(wall(2024, 2, 29, 0), null)).toBe(Date.parse('2024-02-29T00:00:00Z'));
  });

  it('falls back to UTC for an unknown zone', () => {
    expect(fromWallClock(wall(2026, 7, 1, 12), 'Not/AZone')).toBe(Date.parse('2026-07-01T12:00:00Z'));
    expect(toWallClock(Date.parse('2026-07-01T12:00:00Z'), 'Not/AZone').hour).toBe(12);
  });

  it('reads an instant as the local wall clock', () => {
    expect(toWallClock(Date.parse('2025-12-31T23:30:00Z'), 'Europe/Berlin')).toEqual({
      year: 2026,
      month: 1,
      day: 1,
      hour: 0,
      minute: 30,
      second: 0,
      millisecond: 0,
    });
  });
});
