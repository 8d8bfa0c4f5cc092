/**
 * The artifact records, version 2 (the version writers write). One TypeBox
 * schema per kind; the JSON Schema published in docs/schema/ is generated
 * from these, so the validator and the published document cannot drift apart.
 *
 * Conventions, which docs/schema/README.md repeats for decoder writers:
 * - field names are snake_case; every record has `kind`, `source` and `collected_at`;
 * - times are ISO 8601 in UTC with a `Z` suffix (`2026-11-23T18:00:00.000Z`);
 * - a value the source did not have, or that could not be read, is `null`,
 *   never an empty string or a sentinel number;
 * - no record ever holds a password hash or other secret.
 *
 * Version 2 extends version 1 (records-v1.ts) without breaking it: every
 * version 1 record is a valid version 2 record. It adds the kind
 * `execution_evidence`; Windows fields on `user_account`, `login_event` and
 * `startup_item`, each **optional** (absent: the collector has no such
 * concept, as a Linux collector or a version 1 record; present and null: the
 * source should have had it and did not); Windows values of `login_event.event`
 * and `startup_item.mechanism`; and it lets `user_account`'s `uid`, `gid`,
 * `gecos`, `home` and `shell` be null (Windows accounts have no uid or shell).
 */
import { type Static, type TLiteral, Type } from '@sinclair/typebox';
import { Nullable, record, Time, Uint } from './primitives.js';
import {
  FileMetadataV1,
  GroupV1,
  HostInfoV1,
  InstalledPackageV1,
  KernelModuleV1,
  LoginEventV1,
  NetworkConnectionV1,
  ProcessV1,
  RECORD_SCHEMAS_V1,
  ShellHistoryEntryV1,
  SshAuthorizedKeyV1,
  SshKnownHostV1,
  StartupItemV1,
  UserAccountV1,
} from './records-v1.js';

/** The schema version writers put in a collection's header (`schema_version`). */
export const SCHEMA_VERSION = 2;

/** Every schema version readers accept, oldest first. */
export const SCHEMA_VERSIONS = [1, 2] as const;

/** A schema version this package knows. */
export type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

/**
 * The `$id` of a version's published JSON Schema document.
 *
 * @param version - the schema version
 */
export function schemaId(version: SchemaVersion): string {
  return `https://triage.dev/schema/artifact-v${version}.schema.json`;
}

/** The `$id` of the published JSON Schema document of {@link SCHEMA_VERSION}. */
export const SCHEMA_ID = schemaId(SCHEMA_VERSION);

/** True when `value` is a schema version this package knows. */
export function isSchemaVersion(value: unknown): value is SchemaVersion {
  return (SCHEMA_VERSIONS as readonly unknown[]).includes(value);
}

const SOURCE_V2 =
  'The file, procfs path or command the record was read from (on Windows, e.g. C:\\Windows\\System32\\config\\SAM)';

/** A field added in version 2: absent in version 1 records and from collectors without the concept. */
const Added = <T extends Parameters<typeof Nullable>[0]>(schema: T) => Type.Optional(Nullable(schema));

const Sid = Type.String({ pattern: '^S-1-[0-9]+(-[0-9]+)*$', description: 'a Windows security identifier' });

/** Drops the envelope members of a version 1 schema's properties, to extend them. */
function fieldsOf<P extends { kind: unknown; source: unknown; collected_at: unknown }>(properties: P) {
  const { kind: _kind, source: _source, collected_at: _collectedAt, ...fields } = properties;
  return fields;
}

/** One per collection: what host this is. */
export const HostInfo = record(
  'host_info',
  'The host the collection was taken from.',
  {
    ...fieldsOf(HostInfoV1.properties),
    hostname: Nullable(
      Type.String({ description: '/etc/hostname; on Windows the ComputerName of the SYSTEM hive' }),
    ),
    os_id: Nullable(Type.String({ description: 'ID from os-release, e.g. ubuntu; windows on Windows' })),
    os_name: Nullable(
      Type.String({
        description: 'PRETTY_NAME from os-release; on Windows ProductName, e.g. Windows 10 Pro',
      }),
    ),
    os_version: Nullable(
      Type.String({
        description: 'VERSION_ID from os-release; on Windows the build (CurrentBuild), e.g. 19045',
      }),
    ),
    machine_id: Nullable(Type.String({ description: '/etc/machine-id; on Windows MachineGuid' })),
    timezone: Nullable(
      Type.String({
        description:
          'IANA name from /etc/timezone or /etc/localtime; on Windows the TimeZoneKeyName, e.g. Eastern Standard Time',
      }),
    ),
  },
  SOURCE_V2,
);

/** A Windows account control flag name (the ACB bits of the SAM F value). */
export const AccountFlag = Type.Union([
  Type.Literal('disabled'),
  Type.Literal('home_dir_required'),
  Type.Literal('password_not_required'),
  Type.Literal('temp_duplicate'),
  Type.Literal('normal'),
  Type.Literal('mns_logon'),
  Type.Literal('interdomain_trust'),
  Type.Literal('workstation_trust'),
  Type.Literal('server_trust'),
  Type.Literal('password_never_expires'),
  Type.Literal('locked_out'),
  Type.Literal('encrypted_text_password_allowed'),
  Type.Literal('smartcard_required'),
  Type.Literal('trusted_for_delegation'),
  Type.Literal('not_delegated'),
  Type.Literal('use_des_key_only'),
]);

/** A local account: /etc/passwd with shadow's status and dates, or a Windows SAM account or profile. */
export const UserAccount = record(
  'user_account',
  'A local account; shadow gives status and dates only. On Windows: a SAM account, or a profile of the ProfileList.',
  {
    ...fieldsOf(UserAccountV1.properties),
    uid: Nullable(Type.Integer({ description: 'null on Windows (see rid)' })),
    gid: Nullable(Type.Integer({ description: 'null on Windows' })),
    gecos: Nullable(Type.String({ description: 'the GECOS field; on Windows the full name' })),
    home: Nullable(
      Type.String({ description: 'the home directory; on Windows the profile folder (ProfileImagePath)' }),
    ),
    shell: Nullable(Type.String({ description: 'the login shell; null on Windows' })),
    password_status: Type.Union(
      [
        Type.Literal('set'),
        Type.Literal('locked'),
        Type.Literal('empty'),
        Type.Literal('disabled'),
        Type.Literal('unknown'),
      ],
      {
        description:
          'set: a hash is present; locked: hash prefixed with !; empty: no password needed; disabled: * or !! with no hash; unknown: shadow unreadable or no entry. On Windows (where no hash is read): disabled or locked from the account flags, else unknown',
      },
    ),
    last_change: Nullable(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: 'date, UTC; on Windows the date of password_last_set',
      }),
    ),
    expires: Nullable(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: 'date, UTC; on Windows the date of account_expires',
      }),
    ),
    sid: Added(Sid),
    rid: Added(Uint('the relative id, e.g. 500 for the built-in Administrator')),
    account_control: Added(Uint('the raw account control bits (ACB) of the SAM F value, e.g. 529 = 0x211')),
    account_flags: Added(
      Type.Array(AccountFlag, { description: 'the names of the set account control bits' }),
    ),
    disabled: Added(Type.Boolean({ description: 'the account is disabled (ACB bit 0x1)' })),
    comment: Added(Type.String({ description: 'the account comment (SAM V value)' })),
    last_logon: Added(Time),
    last_failed_logon: Added(Time),
    password_last_set: Added(Time),
    account_expires: Added(Time),
    logon_count: Added(Uint()),
    failed_logon_count: Added(Uint('bad password count since the last successful logon')),
  },
  SOURCE_V2,
);

/** A group from /etc/group. */
export const Group = GroupV1;

/** What a login event records. */
export const LoginEventType = Type.Union([
  ...LoginEventV1.properties.event.anyOf,
  Type.Literal('explicit_logon'),
  Type.Literal('privileged_logon'),
  Type.Literal('session_disconnect'),
  Type.Literal('session_reconnect'),
]);

/** A login-related event from wtmp, btmp, lastlog, auth.log/secure, the journal, or a Windows event log. */
export const LoginEvent = record(
  'login_event',
  'A login, logout, failure, boot or privilege change.',
  {
    ...fieldsOf(LoginEventV1.properties),
    event: LoginEventType,
    method: Nullable(
      Type.String({
        description:
          'e.g. password, publickey, keyboard-interactive; on Windows the authentication package (NTLM, Kerberos, Negotiate)',
      }),
    ),
    event_id: Added(Uint('the Windows event id, e.g. 4624')),
    record_id: Added(Uint('the EventRecordID of the Windows event')),
    computer: Added(Type.String({ description: 'the host that wrote the event (System/Computer)' })),
    logon_type: Added(
      Uint(
        '2 interactive, 3 network, 4 batch, 5 service, 7 unlock, 8 network cleartext, 9 new credentials, 10 remote interactive (RDP), 11 cached',
      ),
    ),
    domain: Added(Type.String({ description: "the account's domain" })),
    sid: Added(Sid),
    logon_id: Added(
      Type.String({
        description: 'the logon session id, e.g. 0x3e7: joins a logon to its logoff and privileges',
      }),
    ),
    session_id: Added(Uint('the Remote Desktop session id')),
    workstation: Added(Type.String({ description: 'the workstation name the event names' })),
    subject_user: Added(Type.String({ description: 'the account that asked for the logon' })),
    subject_domain: Added(Type.String()),
    target_server: Added(
      Type.String({ description: 'the server explicit credentials were used for (4648)' }),
    ),
    process_path: Added(Type.String({ description: 'the process that asked for the logon' })),
    status: Added(Type.String({ description: 'the failure status, e.g. 0xc000006d' })),
    sub_status: Added(Type.String({ description: 'the failure sub-status, e.g. 0xc000006a (bad password)' })),
  },
  SOURCE_V2,
);

/** How a startup item gets run. */
export const StartupMechanism = Type.Union([
  ...StartupItemV1.properties.mechanism.anyOf,
  Type.Literal('run_key'),
  Type.Literal('run_once_key'),
  Type.Literal('service'),
  Type.Literal('service_install'),
  Type.Literal('scheduled_task'),
  Type.Literal('startup_folder'),
  Type.Literal('winlogon'),
  Type.Literal('ifeo_debugger'),
  Type.Literal('appinit_dll'),
]);

/** How a Windows service starts. */
export const ServiceStartType = Type.Union([
  Type.Literal('boot'),
  Type.Literal('system'),
  Type.Literal('auto'),
  Type.Literal('auto_delayed'),
  Type.Literal('demand'),
  Type.Literal('disabled'),
]);

/** Something that runs at boot, login, on a schedule or on an event. */
export const StartupItem = record(
  'startup_item',
  'A startup or persistence item.',
  {
    ...fieldsOf(StartupItemV1.properties),
    mechanism: StartupMechanism,
    name: Type.String({
      description:
        'unit name, file name, or file:line for line-based sources; on Windows the value, service, task or shortcut name',
    }),
    path: Type.String({
      description:
        'the file that defines it, as seen inside the collected root (on Windows the hive, task file, shortcut or event log)',
    }),
    registry_key: Added(
      Type.String({
        description: 'the key holding it, e.g. HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
      }),
    ),
    registry_value: Added(Type.String({ description: 'the value holding it, e.g. Updater' })),
    key_last_written: Added(Time),
    start_type: Added(ServiceStartType),
    service_type: Added(
      Type.String({
        description:
          'from the Type value: kernel_driver, file_system_driver, own_process, share_process, user_own_process, user_share_process (…_interactive), else 0x…; from a 7045 event as it words it (user mode service, kernel mode driver)',
      }),
    ),
    service_dll: Added(Type.String({ description: 'Parameters\\ServiceDll of a shared-process service' })),
    hidden: Added(Type.Boolean({ description: 'a scheduled task marked Hidden' })),
    event_time: Added(Time),
  },
  SOURCE_V2,
);

/** Where an execution evidence record comes from. */
export const ExecutionArtifact = Type.Union([
  Type.Literal('shimcache'),
  Type.Literal('amcache'),
  Type.Literal('prefetch'),
]);

/** Evidence that a program was present or ran, from ShimCache, Amcache or Prefetch. */
export const ExecutionEvidence = record(
  'execution_evidence',
  'A program recorded by ShimCache (AppCompatCache), Amcache or Prefetch.',
  {
    artifact: ExecutionArtifact,
    path: Nullable(Type.String({ description: 'the program, as the artifact records it' })),
    name: Type.String({ description: 'its file name, e.g. NOTEPAD.EXE' }),
    sha1: Nullable(Type.String({ pattern: '^[0-9a-f]{40}$', description: 'SHA-1, lowercase hex (Amcache)' })),
    size: Nullable(Uint('file size in bytes (Amcache)')),
    executed: Nullable(
      Type.Boolean({
        description:
          'true: it ran (Prefetch; ShimCache insert flag set); false: ShimCache says not executed; null: not recorded',
      }),
    ),
    run_count: Nullable(Uint('(Prefetch)')),
    last_run: Nullable(Time),
    run_times: Nullable(
      Type.Array(Time, { description: 'the last run times, newest first (Prefetch, up to 8)' }),
    ),
    first_seen: Nullable(Time),
    last_modified: Nullable(Time),
    position: Nullable(Uint('order in the ShimCache, 0 = most recently inserted')),
    volume_serial: Nullable(Type.String({ description: 'the serial number of the volume (Prefetch)' })),
    publisher: Nullable(Type.String()),
    product: Nullable(Type.String()),
    version: Nullable(Type.String()),
    registry_key: Nullable(Type.String({ description: 'the key it was read from (Amcache, ShimCache)' })),
  },
  SOURCE_V2,
);

/** A running process, from /proc. */
export const Process = ProcessV1;
/** A socket from /proc/net/{tcp,tcp6,udp,udp6}. */
export const NetworkConnection = NetworkConnectionV1;
/** A line of an authorized_keys file. */
export const SshAuthorizedKey = SshAuthorizedKeyV1;
/** A line of a known_hosts file. */
export const SshKnownHost = SshKnownHostV1;
/** A line of a shell history file. */
export const ShellHistoryEntry = ShellHistoryEntryV1;
/** An installed package. */
export const InstalledPackage = InstalledPackageV1;
/** A loaded kernel module. */
export const KernelModule = KernelModuleV1;

/** Metadata and hash of a file referenced by a startup item, a process or execution evidence. */
export const FileMetadata = record(
  'file_metadata',
  'A referenced executable, hashed once.',
  {
    ...fieldsOf(FileMetadataV1.properties),
    path: Type.String({ description: 'as referenced (on Windows, e.g. C:\\ProgramData\\upd\\svchost.exe)' }),
    mode: Nullable(
      Type.String({ pattern: '^[0-7]{4,6}$', description: 'octal, e.g. 100755; null on a Windows volume' }),
    ),
    uid: Nullable(Type.Integer({ description: 'null on a Windows volume' })),
    gid: Nullable(Type.Integer({ description: 'null on a Windows volume' })),
    owner: Nullable(Type.String({ description: 'null on a Windows volume' })),
  },
  SOURCE_V2,
);

/** Every record schema of version 2, in the order kinds are listed in docs. */
export const RECORD_SCHEMAS = [
  HostInfo,
  UserAccount,
  Group,
  LoginEvent,
  StartupItem,
  Process,
  NetworkConnection,
  SshAuthorizedKey,
  SshKnownHost,
  ShellHistoryEntry,
  InstalledPackage,
  KernelModule,
  FileMetadata,
  ExecutionEvidence,
] as const;

/** A record of any kind. */
export const ArtifactRecord = Type.Union([...RECORD_SCHEMAS]);

/** The `host_info` record. */
export type HostInfo = Static<typeof HostInfo>;
/** The `user_account` record. */
export type UserAccount = Static<typeof UserAccount>;
/** The `group` record. */
export type Group = Static<typeof Group>;
/** The `login_event` record. */
export type LoginEvent = Static<typeof LoginEvent>;
/** The `startup_item` record. */
export type StartupItem = Static<typeof StartupItem>;
/** The `process` record. */
export type Process = Static<typeof Process>;
/** The `network_connection` record. */
export type NetworkConnection = Static<typeof NetworkConnection>;
/** The `ssh_authorized_key` record. */
export type SshAuthorizedKey = Static<typeof SshAuthorizedKey>;
/** The `ssh_known_host` record. */
export type SshKnownHost = Static<typeof SshKnownHost>;
/** The `shell_history_entry` record. */
export type ShellHistoryEntry = Static<typeof ShellHistoryEntry>;
/** The `installed_package` record. */
export type InstalledPackage = Static<typeof InstalledPackage>;
/** The `kernel_module` record. */
export type KernelModule = Static<typeof KernelModule>;
/** The `file_metadata` record. */
export type FileMetadata = Static<typeof FileMetadata>;
/** The `execution_evidence` record. */
export type ExecutionEvidence = Static<typeof ExecutionEvidence>;
/** A record of any kind. */
export type ArtifactRecord = Static<typeof ArtifactRecord>;
/** The kind names. */
export type ArtifactKind = ArtifactRecord['kind'];
/** A startup mechanism name. */
export type StartupMechanism = Static<typeof StartupMechanism>;
/** A login event type. */
export type LoginEventType = Static<typeof LoginEventType>;
/** A Windows account control flag name. */
export type AccountFlag = Static<typeof AccountFlag>;
/** A Windows service start type. */
export type ServiceStartType = Static<typeof ServiceStartType>;
/** Where an execution evidence record comes from. */
export type ExecutionArtifact = Static<typeof ExecutionArtifact>;

/** A record schema of any version. */
export type RecordSchema = (typeof RECORD_SCHEMAS)[number] | (typeof RECORD_SCHEMAS_V1)[number];

/**
 * The record schemas of a version, in documentation order.
 *
 * @param version - the schema version
 */
export function recordSchemas(version: SchemaVersion): readonly RecordSchema[] {
  return version === 1 ? RECORD_SCHEMAS_V1 : RECORD_SCHEMAS;
}

/** The kind name of a record schema. */
export function kindOf(schema: RecordSchema): ArtifactKind {
  return (schema.properties.kind as TLiteral<ArtifactKind>).const;
}

/**
 * The kinds of a version, in documentation order.
 *
 * @param version - the schema version
 */
export function artifactKinds(version: SchemaVersion): readonly ArtifactKind[] {
  return recordSchemas(version).map(kindOf);
}

/** Every kind of {@link SCHEMA_VERSION}, in documentation order. */
export const ARTIFACT_KINDS: readonly ArtifactKind[] = artifactKinds(SCHEMA_VERSION);
