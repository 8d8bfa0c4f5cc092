import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactRecord,
  assertRecord,
  type SshAuthorizedKey,
  type SshKnownHost,
} from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { FIXTURE_KEYS } from '../testing/fixture-root/accounts-user-files.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { put } from '../testing/fixture-root/write.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-ssh-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(live = false) {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: ['ssh_authorized_key', 'ssh_known_host'],
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record);
    records.push(record);
  }
  return {
    keys: records.filter((r): r is SshAuthorizedKey => r.kind === 'ssh_authorized_key'),
    hosts: records.filter((r): r is SshKnownHost => r.kind === 'ssh_known_host'),
    errors,
    logs,
  };
}

const { alice, admin, attacker } = FIXTURE_KEYS;
const PASSWD = 'root:x:0:0::/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n';

describe('ssh over the fixture root', () => {
  it('finds the planted key with its forced command, by fingerprint', async () => {
    await buildFixtureRoot(root);
    const { keys, hosts, errors } = await collect();
    expect(errors).toEqual([]);
    expect(keys.map((k) => [k.user, k.path, k.line, k.fingerprint])).toEqual([
      ['root', '/root/.ssh/authorized_keys', 2, admin.fingerprint],
      ['root', '/root/.ssh/authorized_keys', 3, attacker.fingerprint],
      ['alice', '/home/alice/.ssh/authorized_keys', 1, alice.fingerprint],
    ]);
    expect(keys[1]?.options).toContain('command="/bin/sh -c');
    expect(hosts.map((h) => [h.user, h.hashed, h.marker])).toEqual([
      ['alice', false, null],
      ['alice', true, null],
      ['alice', false, null],
      [null, false, '@cert-authority'],
      [null, false, '@revoked'],
    ]);
  });
});

describe('ssh edge cases', () => {
  it('reports malformed lines by path and number, never their text, and reads on', async () => {
    await put(root, '/etc/passwd', PASSWD);
    await put(
      root,
      '/home/alice/.ssh/authorized_keys',
      `command="never closed ${alice.key}\nssh-ed25519 SECRETLOOKINGnotbase64!!\n${alice.key} ok\n`,
    );
    await put(root, '/home/alice/.ssh/known_hosts', `@bogus host ${admin.key}\nhost ${admin.key}\n`);
    const { keys, hosts, errors } = await collect();
    expect(keys.map((k) => [k.line, k.comment])).toEqual([[3, 'ok']]);
    expect(hosts.map((h) => h.line)).toEqual([2]);
    expect(errors).toEqual([
      {
        collector: 'ssh',
        code: 'DATA_INVALID',
        path: '/home/alice/.ssh/authorized_keys',
        message: '/home/alice/.ssh/authorized_keys line 1: unterminated quote in options; skipped',
      },
      {
        collector: 'ssh',
        code: 'DATA_INVALID',
        path: '/home/alice/.ssh/authorized_keys',
        message: '/home/alice/.ssh/authorized_keys line 2: key data is not base64; skipped',
      },
      {
        collector: 'ssh',
        code: 'DATA_INVALID',
        path: '/home/alice/.ssh/known_hosts',
        message: '/home/alice/.ssh/known_hosts line 1: unknown marker; skipped',
      },
    ]);
    expect(JSON.stringify(errors)).not.toContain('SECRETLOOKING');
  });

  it('follows AuthorizedKeysFile from included files, outside Match blocks', async () => {
    await put(root, '/etc/passwd', PASSWD);
    await put(
      root,
      '/etc/ssh/sshd_config',
      'Include sshd_config.d/*.conf\nAuthorizedKeysFile .ssh/ignored\n',
    );
    await put(
      root,
      '/etc/ssh/sshd_config.d/10-keys.conf',
      'AuthorizedKeysFile .ssh/authorized_keys /etc/ssh/keys/%u\nAuthorizedKeysCommand /usr/local/bin/keys %u\nMatch User root\n  AuthorizedKeysFile /srv/other\n',
    );
    await put(root, '/etc/ssh/keys/alice', `${attacker.key} planted\n`);
    await put(root, '/srv/other', `${attacker.key} not-read\n`);
    const { keys, logs } = await collect();
    expect(keys.map((k) => [k.user, k.path, k.comment])).toEqual([
      ['alice', '/etc/ssh/keys/alice', 'planted'],
    ]);
    expect(logs).toContain(
      'ssh: sshd_config sets AuthorizedKeysCommand /usr/local/bin/keys %u; keys it returns are not collected',
    );
    expect(logs).toContain('ssh: sshd_config AuthorizedKeysFile adds /etc/ssh/keys/%u');
  });

  it('reads /root/.ssh even when passwd has no root, with no user', async () => {
    await put(root, '/etc/passwd', 'alice:x:1000:1000::/home/alice:/bin/bash\n');
    await put(root, '/root/.ssh/authorized_keys2', `${admin.key}\n`);
    await put(root, '/root/.ssh/known_hosts', `h ${admin.key}\n`);
    const { keys, hosts } = await collect();
    expect(keys.map((k) => [k.user, k.path])).toEqual([[null, '/root/.ssh/authorized_keys2']]);
    expect(hosts.map((h) => [h.user, h.path])).toEqual([[null, '/root/.ssh/known_hosts']]);
  });

  it('reads a home shared by two accounts once', async () => {
    await put(root, '/etc/passwd', `${PASSWD}toor:x:0:0::/root:/bin/sh\n`);
    await put(root, '/root/.ssh/authorized_keys', `${admin.key}\n`);
    const { keys } = await collect();
    expect(keys.map((k) => k.user)).toEqual(['root']);
  });
});

describe('ssh on this machine (live)', () => {
  it('yields valid records and no errors other than permission denied', async () => {
    const { errors } = await collect(true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
  });
});
