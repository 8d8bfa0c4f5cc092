import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactRecord, assertRecord, type ShellHistoryEntry } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { link, put } from '../testing/fixture-root/write.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-history-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(live = false) {
  const records: ShellHistoryEntry[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: ['shell_history_entry'],
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record as ArtifactRecord);
    records.push(record as ShellHistoryEntry);
  }
  return { records, errors, logs };
}

describe('shell_history_entry over the fixture root', () => {
  it('dates the intruder’s commands', async () => {
    await buildFixtureRoot(root);
    const { records, errors } = await collect();
    expect(errors).toEqual([]);
    expect(records.find((r) => r.command.includes('| sh'))).toMatchObject({
      user: 'sysupdate',
      shell: 'bash',
      path: '/var/lib/sysupdate/.bash_history',
      line: 6,
      time: '2026-11-22T02:15:40.000Z',
    });
    expect(records.filter((r) => r.shell === 'zsh').map((r) => r.command)).toEqual([
      'git pull',
      'for f in *.log; do\n  gzip $f\ndone',
      'ls -la',
    ]);
  });
});

describe('shell_history_entry edge cases', () => {
  const PASSWD = 'root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/usr/bin/fish\n';

  it('reads every supported file of a home', async () => {
    await put(root, '/etc/passwd', PASSWD);
    await put(root, '/home/alice/.local/share/fish/fish_history', '- cmd: whoami\n  when: 1795313600\n');
    await put(root, '/home/alice/.python_history', 'import os\n');
    await put(root, '/home/alice/.mysql_history', '_HiStOrY_V2_\nshow\\040databases;\n');
    await put(root, '/home/alice/.psql_history', '\\dt\n');
    await put(root, '/home/alice/.sh_history', 'echo sh\n');
    await put(root, '/home/alice/.ash_history', 'echo ash\n');
    const { records } = await collect();
    expect(records.map((r) => [r.shell, r.command, r.time])).toEqual([
      ['sh', 'echo sh', null],
      ['ash', 'echo ash', null],
      ['fish', 'whoami', '2026-11-22T02:13:20.000Z'],
      ['python', 'import os', null],
      ['mysql', 'show databases;', null],
      ['psql', '\\dt', null],
    ]);
  });

  it('unmetafies zsh history bytes', async () => {
    await put(root, '/etc/passwd', PASSWD);
    // "ś" is C5 9B; zsh stores 9B as 83 BB.
    await put(
      root,
      '/root/.zsh_history',
      Uint8Array.of(...Buffer.from(': 1:0;echo '), 0xc5, 0x83, 0xbb, 0x0a),
    );
    const { records } = await collect();
    expect(records.map((r) => r.command)).toEqual(['echo ś']);
  });

  it('notes a history file linked to /dev/null', async () => {
    await put(root, '/etc/passwd', PASSWD);
    await link(root, '/root/.bash_history', '/dev/null');
    const { records, errors, logs } = await collect();
    expect(records).toEqual([]);
    expect(errors).toEqual([]);
    expect(logs).toContain('history: /root/.bash_history is a symlink to /dev/null');
  });

  it('reads /root when no account has it, with no user', async () => {
    await put(root, '/etc/passwd', 'alice:x:1000:1000::/home/alice:/bin/bash\n');
    await put(root, '/root/.bash_history', 'id\n');
    const { records } = await collect();
    expect(records.map((r) => [r.user, r.path])).toEqual([[null, '/root/.bash_history']]);
  });
});

describe('shell_history_entry on this machine (live)', () => {
  it('yields valid records and no errors other than permission denied', async () => {
    const { errors } = await collect(true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
  });
});
