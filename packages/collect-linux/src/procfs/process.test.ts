import { describe, expect, it } from 'vitest';
import {
  parseBootTime,
  parseCmdline,
  parseExeLink,
  parseProcStat,
  parseStatusUid,
  processStartTime,
} from './process.js';

const tail = '0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 919583 3133440 373 18446744073709551615 1 1 0 0 0 0 0';

describe('parseProcStat', () => {
  it('reads state, ppid and start ticks', () => {
    expect(parseProcStat(`19668 (cat) R 19661 19661 18920 ${tail}`)).toEqual({
      pid: 19668,
      comm: 'cat',
      state: 'R',
      ppid: 19661,
      startTicks: 919583,
    });
  });

  it('keeps spaces and parentheses of the command name, cutting at the last )', () => {
    expect(parseProcStat(`42 (evil) S 1 (x) S 7 7 7 ${tail}`)).toMatchObject({
      pid: 42,
      comm: 'evil) S 1 (x',
      state: 'S',
      ppid: 7,
    });
    expect(parseProcStat(`43 (Web Content) S 2 2 2 ${tail}`)).toMatchObject({ comm: 'Web Content', ppid: 2 });
    expect(parseProcStat(`44 () Z 1 1 1 ${tail}`)).toMatchObject({ comm: '', state: 'Z' });
  });

  it('rejects what is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S')).toBeNull();
    expect(parseProcStat('garbage')).toBeNull();
  });
});

describe('status, stat and cmdline', () => {
  it('reads the real uid', () => {
    expect(
      parseStatusUid('Name:\tbash\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n'),
    ).toBe(1000);
    expect(parseStatusUid('Name:\tx\n')).toBeNull();
  });

  it('reads the boot time and computes start times at 100 ticks per second', () => {
    const boot = parseBootTime('cpu  1 2 3\nintr 5\nctxt 7\nbtime 1795448114\nprocesses 9\n');
    expect(boot).toBe(1795448114);
    expect(processStartTime(1795448114, 919583)).toBe(new Date((1795448114 + 9195.83) * 1000).toISOString());
    expect(processStartTime(0, 150)).toBe('1970-01-01T00:00:01.500Z');
    expect(parseBootTime('cpu 1\n')).toBeNull();
  });

  it('splits cmdline at NULs; kernel threads have none', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(parseCmdline(enc('/usr/bin/node\0--flag\0a b\0'))).toEqual(['/usr/bin/node', '--flag', 'a b']);
    expect(parseCmdline(enc('nginx: worker process'))).toEqual(['nginx: worker process']);
    expect(parseCmdline(enc('a\0\0b\0'))).toEqual(['a', '', 'b']);
    expect(parseCmdline(enc('npm exec tsx\0\0\0\0\0'))).toEqual(['npm exec tsx']);
    expect(parseCmdline(new Uint8Array(0))).toEqual([]);
  });

  it('tells deleted executables', () => {
    expect(parseExeLink('/tmp/x (deleted)')).toEqual({ path: '/tmp/x', deleted: true });
    expect(parseExeLink('/memfd:payload (deleted)')).toEqual({ path: '/memfd:payload', deleted: true });
    expect(parseExeLink('/usr/bin/bash')).toEqual({ path: '/usr/bin/bash', deleted: false });
  });
});
