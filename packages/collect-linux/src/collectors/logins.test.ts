import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ArtifactRecord, assertRecord, type LoginEvent } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { createContext } from '../context.js';
import { openChunks } from '../io.js';
import { encodeLastlog, LASTLOG_RECORD_SIZE } from '../parsers/lastlog.js';
import { encodeUtmp, UTMP_RECORD_SIZE, UtmpType } from '../parsers/utmp.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { put } from '../testing/fixture-root/write.js';
import { utmpEvent } from './logins.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-logins-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(live = false) {
  const records: LoginEvent[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: ['login_event'],
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record as ArtifactRecord);
    records.push(record as LoginEvent);
  }
  return { records, errors, logs };
}

const at = (iso: string) => Date.parse(iso) / 1000;
const login = {
  type: UtmpType.USER_PROCESS,
  pid: 10,
  line: 'pts/0',
  user: 'alice',
  host: 'laptop.example.com',
  seconds: at('2026-11-20T09:00:00Z'),
};

describe('login_event over the fixture root', () => {
  it('reads every source without errors', async () => {
    await buildFixtureRoot(root);
    const { records, errors } = await collect();
    expect(errors).toEqual([]);
    const bySource = new Map<string, number>();
    for (const r of records) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
    expect(Object.fromEntries(bySource)).toEqual({
      '/var/log/wtmp': 6,
      '/var/log/wtmp.1': 3,
      '/var/log/btmp': 4,
      '/run/utmp': 1,
      '/var/log/lastlog': 3,
      '/var/log/auth.log': 10,
      '/var/log/auth.log.1': 6,
      '/var/log/auth.log.2.gz': 3,
    });
  });

  it('dates syslog lines across New Year in the host zone', async () => {
    await buildFixtureRoot(root);
    const { records } = await collect();
    const times = records.filter((r) => r.source === '/var/log/auth.log.1').map((r) => r.time);
    // Dec 31 23:58:01 and Jan 1 00:00:02 Berlin time (UTC+1), rotated 2026-01-01.
    expect(times[0]).toBe('2025-12-31T22:58:01.000Z');
    expect(times[2]).toBe('2025-12-31T23:00:02.000Z');
    expect(records.find((r) => r.source === '/var/log/auth.log.2.gz')?.time).toBe('2025-12-21T09:00:01.000Z');
  });

  it('names the uid when lastlog cannot name one account', async () => {
    await buildFixtureRoot(root);
    const { records } = await collect();
    expect(records.filter((r) => r.event === 'last_login').map((r) => [r.user, r.message])).toEqual([
      ['root', 'uid 0, shared by root, sysupdate'],
      ['alice', null],
      [null, 'uid 1002, not in /etc/passwd'],
    ]);
  });
});

describe('binary login files', () => {
  it('keeps the whole records of a truncated wtmp and reports the tail', async () => {
    const bytes = encodeUtmp([login, { ...login, type: UtmpType.DEAD_PROCESS, user: '' }, login]);
    await put(root, '/var/log/wtmp', bytes.subarray(0, 2 * UTMP_RECORD_SIZE + 17));
    const { records, errors } = await collect();
    expect(records.map((r) => r.event)).toEqual(['login', 'logout']);
    expect(records[0]).toMatchObject({ remote_host: 'laptop.example.com', remote_address: null });
    expect(errors).toEqual([
      {
        collector: 'logins',
        code: 'DATA_INVALID',
        path: '/var/log/wtmp',
        message:
          '/var/log/wtmp: 17 bytes after the last whole 384-byte record at offset 768 (truncated); the whole records were kept',
      },
    ]);
  });

  it('skips records that are not utmp, reporting them once per file', async () => {
    const bytes = encodeUtmp([login, login, login]);
    bytes.fill(0x41, UTMP_RECORD_SIZE, 2 * UTMP_RECORD_SIZE);
    await put(root, '/var/log/btmp', bytes);
    const { records, errors } = await collect();
    expect(records.map((r) => [r.event, r.success])).toEqual([
      ['failed_login', false],
      ['failed_login', false],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      '/var/log/btmp: 1 records that are not utmp records skipped (first at offset 384)',
    ]);
  });

  it('reads gzip-compressed rotations and reports other compressions as skipped', async () => {
    await put(root, '/var/log/wtmp.2.gz', gzipSync(encodeUtmp([login])));
    await put(root, '/var/log/wtmp.3.xz', 'xz');
    const { records, logs } = await collect();
    expect(records.map((r) => [r.source, r.event])).toEqual([['/var/log/wtmp.2.gz', 'login']]);
    expect(logs).toContain('logins: /var/log/wtmp.3.xz: compression not supported; not read');
  });

  it('reads /var/run/utmp when it is not /run/utmp, open sessions only', async () => {
    await put(root, '/var/run/utmp', encodeUtmp([{ type: UtmpType.BOOT_TIME, seconds: 1 }, login]));
    const { records } = await collect();
    expect(records.map((r) => [r.source, r.event, r.user])).toEqual([['/var/run/utmp', 'login', 'alice']]);
  });

  it('maps clock changes and unknown run levels', () => {
    expect(utmpEvent({ ...parsedLogin(), type: UtmpType.OLD_TIME }, 'wtmp')).toMatchObject({
      event: 'other',
    });
    expect(
      utmpEvent({ ...parsedLogin(), type: UtmpType.RUN_LVL, user: 'runlevel', pid: 0, host: '' }, 'wtmp'),
    ).toMatchObject({ event: 'runlevel', message: null, pid: null });
    expect(utmpEvent({ ...parsedLogin(), type: UtmpType.LOGIN_PROCESS }, 'wtmp')).toBeNull();
    expect(utmpEvent({ ...parsedLogin(), type: UtmpType.EMPTY }, 'btmp')).toBeNull();
    expect(utmpEvent({ ...parsedLogin(), seconds: 0 }, 'wtmp')).toMatchObject({ time: null });
  });

  it('reads only the passwd uids of a large sparse lastlog', async () => {
    await put(root, '/etc/passwd', 'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
    await put(root, '/var/log/lastlog', new Uint8Array(0));
    const handle = await open(join(root, 'var/log/lastlog'), 'r+');
    const alice = encodeLastlog([
      { uid: 1000, seconds: at('2026-11-20T09:00:00Z'), line: 'pts/0', host: '::1' },
    ]);
    await handle.write(
      alice.subarray(1000 * LASTLOG_RECORD_SIZE),
      0,
      LASTLOG_RECORD_SIZE,
      1000 * LASTLOG_RECORD_SIZE,
    );
    await handle.truncate(100 * 1024 * 1024);
    await handle.close();
    const { records, logs, errors } = await collect();
    expect(errors).toEqual([]);
    expect(records.map((r) => [r.event, r.user, r.remote_address])).toEqual([['last_login', 'alice', '::1']]);
    expect(logs.some((l) => l.includes('(sparse): read the records of the 2 uids in /etc/passwd only'))).toBe(
      true,
    );
  });
});

function parsedLogin() {
  return {
    type: UtmpType.USER_PROCESS,
    pid: 10,
    line: 'pts/0',
    id: '',
    user: 'alice',
    host: '',
    exitTermination: 0,
    exitStatus: 0,
    session: 0,
    seconds: 100,
    microseconds: 0,
    address: null,
  };
}

describe('text auth logs', () => {
  it('reads syslog times as UTC when the host zone is unknown, saying so', async () => {
    await put(
      root,
      '/var/log/secure',
      'Mar  3 10:00:00 rhel sshd[5]: Accepted password for root from 192.0.2.1 port 1 ssh2\n',
      {
        mtime: new Date('2026-03-04T00:00:00Z'),
      },
    );
    const { records, logs } = await collect();
    expect(records.map((r) => [r.source, r.time, r.remote_address])).toEqual([
      ['/var/log/secure', '2026-03-03T10:00:00.000Z', '192.0.2.1'],
    ]);
    expect(logs).toContain('logins: host time zone unknown; syslog times read as UTC');
  });

  it('counts lines not in syslog form and dates nothing without a year', async () => {
    await put(root, '/etc/timezone', 'Not/AZone\n');
    await put(root, '/var/log/auth.log', 'garbage\n\n2026-01-02T03:04:05Z h su: (to root) bob on pts/2\n');
    const { records, logs } = await collect();
    expect(records.map((r) => [r.event, r.time, r.user])).toEqual([
      ['su', '2026-01-02T03:04:05.000Z', 'bob'],
    ]);
    expect(logs).toContain(
      'logins: time zone Not/AZone is not known to this runtime; syslog times read as UTC',
    );
    expect(logs).toContain('logins: /var/log/auth.log: 1 events from 3 lines, 1 lines not in syslog form');
  });

  it('does not read a FIFO in place of a log (it could block forever)', async () => {
    try {
      execFileSync('mkfifo', [join(root, 'var/log/auth.log')], { stdio: 'ignore' });
    } catch {
      await put(root, '/var/log/auth.log', '');
      return;
    }
    const { records, logs } = await collect();
    expect(records).toEqual([]);
    expect(logs).toContain('logins: /var/log/auth.log is not a regular file; not read');
  }, 10_000);

  it('opens a FIFO without blocking even past the regular-file check', async () => {
    try {
      execFileSync('mkfifo', [join(root, 'fifo')], { stdio: 'ignore' });
    } catch {
      return;
    }
    const ctx = createContext({
      root,
      live: false,
      now: () => FIXTURE_NOW,
      collector: 'logins',
      onError: () => {},
      onLog: () => {},
      onReference: () => {},
      shared: {},
    });
    const chunks = await openChunks(ctx, '/fifo');
    const read: Uint8Array[] = [];
    for await (const chunk of chunks ?? []) read.push(chunk);
    expect(read).toEqual([]);
  }, 10_000);

  it('notes an offline journal as not parsed', async () => {
    await put(root, '/var/log/journal/0123/system.journal', 'LPKSHHRH');
    const { logs } = await collect();
    expect(logs).toContain('logins: systemd journal in /var/log/journal not parsed offline (binary format)');
  });
});

describe('login_event on this machine (live)', () => {
  it('yields valid records and no errors other than permission denied', async () => {
    const { errors } = await collect(true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
  });
});
