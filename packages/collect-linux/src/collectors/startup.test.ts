import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactRecord,
  assertRecord,
  type FileMetadata,
  type StartupItem,
} from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { link, put } from '../testing/fixture-root/write.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-startup-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
sysupdate:x:0:0::/root:/bin/bash
`;

async function collect(): Promise<{ items: StartupItem[]; files: FileMetadata[]; errors: CollectorError[] }> {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  for await (const record of collectLinux({
    root,
    live: false,
    only: ['startup_item', 'file_metadata'],
    onError: (e) => errors.push(e),
  })) {
    assertRecord(record);
    records.push(record);
  }
  return {
    items: records.filter((r): r is StartupItem => r.kind === 'startup_item'),
    files: records.filter((r): r is FileMetadata => r.kind === 'file_metadata'),
    errors,
  };
}

const unit = (exec: string, extra = '') =>
  `[Unit]\nDescription=x\n\n[Service]\n${exec}\n${extra}\n[Install]\nWantedBy=multi-user.target\n`;

describe('systemd', () => {
  it('reads a merged-/usr system once, under /usr/lib', async () => {
    await put(root, '/usr/lib/systemd/system/foo.service', unit('ExecStart=/usr/bin/foo'));
    await link(root, '/lib', 'usr/lib');
    const { items, errors } = await collect();
    expect(errors).toEqual([]);
    expect(items.map((i) => i.path)).toEqual(['/usr/lib/systemd/system/foo.service']);
  });

  it('treats a /dev/null link as masked, even when a wants link exists', async () => {
    await put(root, '/lib/systemd/system/foo.service', unit('ExecStart=/usr/bin/foo'));
    await link(root, '/etc/systemd/system/foo.service', '/dev/null');
    await link(
      root,
      '/etc/systemd/system/multi-user.target.wants/foo.service',
      '/lib/systemd/system/foo.service',
    );
    const { items } = await collect();
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ path: '/lib/systemd/system/foo.service', enabled: false });
  });

  it('skips aliases, keeps units linked from outside the unit directories', async () => {
    await put(root, '/lib/systemd/system/ssh.service', unit('ExecStart=/usr/sbin/sshd -D'));
    await link(root, '/etc/systemd/system/sshd.service', '/lib/systemd/system/ssh.service');
    await link(
      root,
      '/etc/systemd/system/multi-user.target.wants/sshd.service',
      '/lib/systemd/system/ssh.service',
    );
    await put(root, '/opt/app/app.service', unit('ExecStart=/opt/app/bin/app'));
    await link(root, '/etc/systemd/system/app.service', '/opt/app/app.service');
    const { items } = await collect();
    expect(items.map((i) => [i.path, i.name, i.enabled])).toEqual([
      ['/etc/systemd/system/app.service', 'app.service', false],
      ['/lib/systemd/system/ssh.service', 'ssh.service', true],
    ]);
  });

  it('enables a template through an instance link and reads drop-ins', async () => {
    await put(
      root,
      '/lib/systemd/system/getty@.service',
      unit('ExecStart=-/sbin/agetty -o "-p -- \\\\u" --noclear - $TERM'),
    );
    await link(
      root,
      '/etc/systemd/system/getty.target.wants/getty@tty1.service',
      '/lib/systemd/system/getty@.service',
    );
    await put(root, '/lib/systemd/system/cron.service', unit('ExecStart=/usr/sbin/cron -f', 'User=croner'));
    await put(
      root,
      '/etc/systemd/system/cron.service.d/override.conf',
      '[Service]\nExecStartPost=/bin/sh -c "/var/tmp/.x/implant &"\n',
    );
    await put(
      root,
      '/etc/systemd/system/service.d/10-all.conf',
      '[Service]\nEnvironment=LD_PRELOAD=/usr/lib/x.so\n',
    );
    await put(root, '/var/tmp/.x/implant', '#!/bin/sh\n', { mode: 0o755 });
    const { items, files } = await collect();
    expect(items.map((i) => [i.path, i.name, i.command, i.executable, i.user, i.enabled, i.line])).toEqual([
      [
        '/lib/systemd/system/cron.service',
        'cron.service',
        '/usr/sbin/cron -f',
        '/usr/sbin/cron',
        'croner',
        false,
        5,
      ],
      [
        '/lib/systemd/system/getty@.service',
        'getty@.service',
        '/sbin/agetty -o "-p -- \\\\u" --noclear - $TERM',
        '/sbin/agetty',
        null,
        true,
        5,
      ],
      [
        '/etc/systemd/system/cron.service.d/override.conf',
        'cron.service',
        '/bin/sh -c "/var/tmp/.x/implant &"',
        '/var/tmp/.x/implant',
        'croner',
        false,
        2,
      ],
      ['/etc/systemd/system/service.d/10-all.conf', 'service', null, null, null, false, null],
    ]);
    expect(files.find((f) => f.path === '/var/tmp/.x/implant')).toMatchObject({
      exists: true,
      referenced_by: ['startup_item:/etc/systemd/system/cron.service.d/override.conf:2'],
    });
  });

  it("reads a user's units, enabled from their own wants directory", async () => {
    await put(root, '/etc/passwd', PASSWD);
    await put(root, '/home/alice/.config/systemd/user/sync.service', unit('ExecStart=%h/.local/bin/sync'));
    await put(root, '/home/alice/.config/systemd/user/sync.timer', '[Timer]\nOnCalendar=hourly\n');
    await link(
      root,
      '/home/alice/.config/systemd/user/timers.target.wants/sync.timer',
      '/home/alice/.config/systemd/user/sync.timer',
    );
    const { items } = await collect();
    expect(
      items.map((i) => [i.mechanism, i.name, i.user, i.command, i.executable, i.schedule, i.enabled]),
    ).toEqual([
      ['systemd_unit', 'sync.service', 'alice', '%h/.local/bin/sync', null, null, false],
      ['systemd_timer', 'sync.timer', 'alice', 'sync.service', null, 'OnCalendar=hourly', true],
    ]);
  });
});

describe('per-user and whole-file sources', () => {
  it('attributes a shared home to the first account and finds orphaned homes', async () => {
    await put(root, '/etc/passwd', PASSWD);
    await put(root, '/root/.bashrc', '# root\n');
    await put(root, '/home/alice/.zshrc', '# alice\n');
    await put(root, '/home/bob/.profile', '# no account any more\n');
    const { items } = await collect();
    expect(items.map((i) => [i.mechanism, i.path, i.user])).toEqual([
      ['shell_profile', '/root/.bashrc', 'root'],
      ['shell_profile', '/home/alice/.zshrc', 'alice'],
      ['shell_profile', '/home/bob/.profile', null],
    ]);
  });

  it('tells enabled scripts from ones that would not run', async () => {
    await put(root, '/etc/rc.d/rc.local', '#!/bin/sh\n', { mode: 0o644 });
    await link(root, '/etc/rc.local', 'rc.d/rc.local');
    await put(root, '/etc/cron.hourly/good', '#!/bin/sh\n', { mode: 0o755 });
    await put(root, '/etc/cron.hourly/bad.sh', '#!/bin/sh\n', { mode: 0o755 });
    await put(root, '/etc/cron.hourly/notexec', '#!/bin/sh\n', { mode: 0o644 });
    await mkdir(join(root, '/etc/cron.hourly/subdir'));
    const { items } = await collect();
    expect(items.map((i) => [i.mechanism, i.path, i.enabled])).toEqual([
      ['cron', '/etc/cron.hourly/bad.sh', false],
      ['cron', '/etc/cron.hourly/good', true],
      ['cron', '/etc/cron.hourly/notexec', false],
      ['rc_local', '/etc/rc.local', false],
    ]);
  });

  it('reads at jobs of both layouts and user crontabs of Red Hat', async () => {
    await put(root, '/etc/passwd', PASSWD);
    const job =
      "#!/bin/sh\n# atrun uid=1000 gid=1000\n# mail alice 0\ncd /tmp || {\n echo 'Execution directory inaccessible' >&2\n exit 1\n}\n/usr/bin/id\n";
    await put(root, '/var/spool/at/a0000101c89d98', job, { mode: 0o600 });
    await put(root, '/var/spool/at/spool/.keep', '');
    await put(root, '/var/spool/cron/alice', '0 3 * * * /usr/bin/id\n', { mode: 0o600 });
    const { items } = await collect();
    expect(items.map((i) => [i.mechanism, i.path, i.user, i.command, i.schedule, i.enabled, i.line])).toEqual(
      [
        ['cron', '/var/spool/cron/alice', 'alice', '/usr/bin/id', '0 3 * * *', null, 1],
        [
          'at_job',
          '/var/spool/at/a0000101c89d98',
          'alice',
          '/usr/bin/id',
          '2026-11-24T02:00:00.000Z',
          false,
          8,
        ],
      ],
    );
  });
});

describe('failures', () => {
  it('reports a symlink loop and goes on', async () => {
    await link(root, '/etc/cron.d/loop', '/etc/cron.d/loop');
    await put(root, '/etc/cron.d/ok', '* * * * * root /usr/bin/id\n');
    const { items, errors } = await collect();
    expect(items.map((i) => i.path)).toEqual(['/etc/cron.d/ok']);
    expect(errors).toEqual([
      expect.objectContaining({ collector: 'startup', code: 'DATA_INVALID', path: '/etc/cron.d/loop' }),
    ]);
    expect(JSON.stringify(errors)).not.toContain(root);
  });

  it('reports a file too large to read and goes on', async () => {
    await put(root, '/etc/crontab', `# ${'x'.repeat(5 * 1024 * 1024)}\n`);
    await put(root, '/etc/ld.so.preload', '/usr/lib/x.so\n');
    const { items, errors } = await collect();
    expect(items.map((i) => i.path)).toEqual(['/etc/ld.so.preload']);
    expect(errors).toEqual([expect.objectContaining({ code: 'DATA_INVALID', path: '/etc/crontab' })]);
  });
});
