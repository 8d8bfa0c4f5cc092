/**
 * The artifact records, version 1. One TypeBox schema per kind; the JSON
 * Schema published in docs/schema/ is generated from these, so the validator
 * and the published document cannot drift apart.
 *
 * Conventions, which docs/schema/README.md repeats for decoder writers:
 * - field names are snake_case; every record has `kind`, `source` and `collected_at`;
 * - times are ISO 8601 in UTC with a `Z` suffix (`2026-11-23T18:00:00.000Z`);
 * - a value the source did not have, or that could not be read, is `null`,
 *   never an empty string or a sentinel number;
 * - no record ever holds a password hash or other secret.
 */
import { type Static, type TLiteral, type TSchema, Type } from '@sinclair/typebox';

/** The schema version records carry in a collection manifest. */
export const SCHEMA_VERSION = 1;

/** The `$id` of the published JSON Schema document. */
export const SCHEMA_ID = 'https://triage.dev/schema/artifact-v1.schema.json';

/** ISO 8601 UTC timestamp with optional fraction, e.g. `2026-11-23T18:00:00.000Z`. */
const TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$';

const Time = Type.String({ pattern: TIME_PATTERN, description: 'ISO 8601 time in UTC' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Uint = (description?: string) =>
  Type.Integer({ minimum: 0, ...(description === undefined ? {} : { description }) });
const Port = Type.Integer({ minimum: 0, maximum: 65535 });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lowercase hex' });

function record<K extends string, P extends Record<string, TSchema>>(kind: K, description: string, props: P) {
  return Type.Object(
    {
      kind: Type.Literal(kind) as TLiteral<K>,
      source: Type.String({
        minLength: 1,
        description: 'The file, procfs path or command the record was read from',
      }),
      collected_at: Time,
      ...props,
    },
    { title: kind, description, additionalProperties: false },
  );
}

/** One per collection: what host this is. */
export const HostInfo = record('host_info', 'The host the collection was taken from.', {
  hostname: Nullable(Type.String()),
  os_id: Nullable(Type.String({ description: 'ID from os-release, e.g. ubuntu' })),
  os_name: Nullable(Type.String({ description: 'PRETTY_NAME from os-release' })),
  os_version: Nullable(Type.String({ description: 'VERSION_ID from os-release' })),
  kernel_release: Nullable(Type.String({ description: 'uname -r; null for an offline image' })),
  machine_id: Nullable(Type.String({ description: '/etc/machine-id' })),
  boot_time: Nullable(Time),
  timezone: Nullable(Type.String({ description: 'IANA name from /etc/timezone or /etc/localtime' })),
  live: Type.Boolean({ description: 'true when collected from the running system, false for --root' }),
});

/** An account from /etc/passwd, with status (never the hash) from /etc/shadow. */
export const UserAccount = record('user_account', 'A local account; shadow gives status and dates only.', {
  username: Type.String(),
  uid: Type.Integer(),
  gid: Type.Integer(),
  gecos: Type.String(),
  home: Type.String(),
  shell: Type.String(),
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
        'set: a hash is present; locked: hash prefixed with !; empty: no password needed; disabled: * or !! with no hash; unknown: shadow unreadable or no entry',
    },
  ),
  last_change: Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'date, UTC' })),
  min_days: Nullable(Type.Integer()),
  max_days: Nullable(Type.Integer()),
  warn_days: Nullable(Type.Integer()),
  inactive_days: Nullable(Type.Integer()),
  expires: Nullable(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'date, UTC' })),
});

/** A group from /etc/group. */
export const Group = record('group', 'A local group.', {
  name: Type.String(),
  gid: Type.Integer(),
  members: Type.Array(Type.String()),
});

/** What a login event records. */
export const LoginEventType = Type.Union([
  Type.Literal('login'),
  Type.Literal('logout'),
  Type.Literal('failed_login'),
  Type.Literal('boot'),
  Type.Literal('shutdown'),
  Type.Literal('runlevel'),
  Type.Literal('last_login'),
  Type.Literal('session_open'),
  Type.Literal('session_close'),
  Type.Literal('sudo'),
  Type.Literal('su'),
  Type.Literal('other'),
]);

/** A login-related event from wtmp, btmp, lastlog, auth.log/secure or the journal. */
export const LoginEvent = record('login_event', 'A login, logout, failure, boot or privilege change.', {
  event: LoginEventType,
  time: Nullable(Time),
  user: Nullable(Type.String()),
  terminal: Nullable(Type.String({ description: 'tty or pts, e.g. pts/0' })),
  remote_host: Nullable(Type.String({ description: 'host name or address the login came from' })),
  remote_address: Nullable(Type.String({ description: 'IPv4 or IPv6 address when known' })),
  pid: Nullable(Uint()),
  success: Nullable(Type.Boolean()),
  method: Nullable(Type.String({ description: 'e.g. password, publickey, keyboard-interactive' })),
  message: Nullable(Type.String({ description: 'the log line, for text sources' })),
});

/** How a startup item gets run. */
export const StartupMechanism = Type.Union([
  Type.Literal('systemd_unit'),
  Type.Literal('systemd_timer'),
  Type.Literal('cron'),
  Type.Literal('at_job'),
  Type.Literal('rc_local'),
  Type.Literal('sysv_init'),
  Type.Literal('xdg_autostart'),
  Type.Literal('shell_profile'),
  Type.Literal('ld_preload'),
  Type.Literal('modules_load'),
  Type.Literal('udev_rule'),
]);

/** Something that runs at boot, login, on a schedule or on an event. */
export const StartupItem = record('startup_item', 'A startup or persistence item.', {
  mechanism: StartupMechanism,
  name: Type.String({ description: 'unit name, file name, or file:line for line-based sources' }),
  path: Type.String({ description: 'the file that defines it, relative to the collected root' }),
  user: Nullable(Type.String({ description: 'the account it runs as, when the source says' })),
  command: Nullable(Type.String({ description: 'what it runs' })),
  executable: Nullable(Type.String({ description: 'the program of command, resolved to an absolute path' })),
  schedule: Nullable(Type.String({ description: 'cron schedule, timer OnCalendar, at time' })),
  enabled: Nullable(
    Type.Boolean({
      description:
        'whether it will run: systemd linked from .wants/.requires (false when masked); scripts by execute bit or rc?.d link; XDG Hidden/autostart-enabled; null when the source does not say',
    }),
  ),
  line: Nullable(Uint('1-based line in path')),
  file_mtime: Nullable(Time),
});

/** A running process, from /proc. */
export const Process = record('process', 'A running process (live collection only).', {
  pid: Uint(),
  ppid: Nullable(Uint()),
  name: Type.String({ description: 'comm' }),
  state: Nullable(Type.String()),
  uid: Nullable(Type.Integer()),
  user: Nullable(Type.String()),
  exe: Nullable(Type.String({ description: 'target of /proc/PID/exe without the " (deleted)" suffix' })),
  exe_deleted: Type.Boolean(),
  cmdline: Type.Array(Type.String()),
  cwd: Nullable(Type.String()),
  start_time: Nullable(Time),
});

/** A socket from /proc/net/{tcp,tcp6,udp,udp6}. */
export const NetworkConnection = record('network_connection', 'A TCP or UDP socket (live only).', {
  protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp')]),
  family: Type.Union([Type.Literal('ipv4'), Type.Literal('ipv6')]),
  local_address: Type.String(),
  local_port: Port,
  remote_address: Type.String(),
  remote_port: Port,
  state: Type.String({ description: 'LISTEN, ESTABLISHED, … (UDP: UNCONN or ESTABLISHED)' }),
  uid: Nullable(Type.Integer()),
  inode: Uint(),
  pid: Nullable(Uint()),
  process_name: Nullable(Type.String()),
});

/** A line of an authorized_keys file. */
export const SshAuthorizedKey = record('ssh_authorized_key', 'A key allowed to log in as a user.', {
  user: Nullable(Type.String()),
  path: Type.String(),
  line: Uint(),
  key_type: Type.String(),
  fingerprint: Type.String({ description: 'SHA256:base64, as ssh-keygen -l prints it' }),
  comment: Nullable(Type.String()),
  options: Nullable(Type.String({ description: 'e.g. command="...",from="..."' })),
  file_mtime: Nullable(Time),
});

/** A line of a known_hosts file. */
export const SshKnownHost = record('ssh_known_host', 'A host a user has connected to over SSH.', {
  user: Nullable(Type.String()),
  path: Type.String(),
  line: Uint(),
  hosts: Type.String({ description: 'the host pattern field, possibly hashed (|1|...)' }),
  hashed: Type.Boolean(),
  key_type: Type.String(),
  fingerprint: Type.String(),
  marker: Nullable(Type.String({ description: '@cert-authority or @revoked' })),
});

/** A line of a shell history file. */
export const ShellHistoryEntry = record('shell_history_entry', 'A command from a shell history file.', {
  user: Nullable(Type.String()),
  shell: Type.String({ description: 'bash, zsh, sh, ash, fish, python, mysql, …' }),
  path: Type.String(),
  line: Uint(),
  command: Type.String(),
  time: Nullable(Time),
});

/** An installed package. */
export const InstalledPackage = record('installed_package', 'A package from dpkg or rpm.', {
  manager: Type.Union([Type.Literal('dpkg'), Type.Literal('rpm')]),
  name: Type.String(),
  version: Type.String(),
  architecture: Nullable(Type.String()),
  status: Nullable(Type.String()),
  install_time: Nullable(Time),
});

/** A loaded kernel module. */
export const KernelModule = record('kernel_module', 'A loaded kernel module (live only).', {
  name: Type.String(),
  size: Uint(),
  refcount: Nullable(Type.Integer()),
  used_by: Type.Array(Type.String()),
  state: Nullable(Type.String()),
  taint: Nullable(Type.String({ description: 'taint flags, e.g. (OE) for out-of-tree unsigned' })),
});

/** Metadata and hash of a file referenced by a startup item or a process. */
export const FileMetadata = record('file_metadata', 'A referenced executable, hashed once.', {
  path: Type.String(),
  exists: Type.Boolean(),
  size: Nullable(Uint()),
  mode: Nullable(Type.String({ pattern: '^[0-7]{4,6}$', description: 'octal, e.g. 100755' })),
  uid: Nullable(Type.Integer()),
  gid: Nullable(Type.Integer()),
  owner: Nullable(Type.String()),
  mtime: Nullable(Time),
  atime: Nullable(Time),
  ctime: Nullable(Time),
  btime: Nullable(Time),
  sha256: Nullable(Sha256),
  referenced_by: Type.Array(Type.String(), { description: 'kind:identifier of each referencing record' }),
  error: Nullable(Type.String({ description: 'why it could not be read or hashed' })),
});

/** Every record schema, in the order kinds are listed in docs. */
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
/** A record of any kind. */
export type ArtifactRecord = Static<typeof ArtifactRecord>;
/** The kind names. */
export type ArtifactKind = ArtifactRecord['kind'];
/** A startup mechanism name. */
export type StartupMechanism = Static<typeof StartupMechanism>;
/** A login event type. */
export type LoginEventType = Static<typeof LoginEventType>;

/** Every kind, in documentation order. */
export const ARTIFACT_KINDS: readonly ArtifactKind[] = RECORD_SCHEMAS.map(
  (s) => (s.properties.kind as TLiteral<ArtifactKind>).const,
);
