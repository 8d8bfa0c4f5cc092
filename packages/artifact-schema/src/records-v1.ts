/**
 * The artifact records of schema version 1, frozen: collections written
 * with `schema_version` 1 are validated against exactly these, and
 * docs/schema/artifact-v1.schema.json is generated from them. Never change
 * a definition here; a change is a new version (records.ts).
 */
import { Type } from '@sinclair/typebox';
import { Nullable, Port, record, Sha256, Time, Uint } from './primitives.js';

/** One per collection: what host this is. */
export const HostInfoV1 = record('host_info', 'The host the collection was taken from.', {
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
export const UserAccountV1 = record('user_account', 'A local account; shadow gives status and dates only.', {
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
export const GroupV1 = record('group', 'A local group.', {
  name: Type.String(),
  gid: Type.Integer(),
  members: Type.Array(Type.String()),
});

/** What a login event records. */
export const LoginEventTypeV1 = Type.Union([
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
export const LoginEventV1 = record('login_event', 'A login, logout, failure, boot or privilege change.', {
  event: LoginEventTypeV1,
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
export const StartupMechanismV1 = Type.Union([
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
export const StartupItemV1 = record('startup_item', 'A startup or persistence item.', {
  mechanism: StartupMechanismV1,
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
export const ProcessV1 = record('process', 'A running process (live collection only).', {
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
export const NetworkConnectionV1 = record('network_connection', 'A TCP or UDP socket (live only).', {
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
export const SshAuthorizedKeyV1 = record('ssh_authorized_key', 'A key allowed to log in as a user.', {
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
export const SshKnownHostV1 = record('ssh_known_host', 'A host a user has connected to over SSH.', {
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
export const ShellHistoryEntryV1 = record('shell_history_entry', 'A command from a shell history file.', {
  user: Nullable(Type.String()),
  shell: Type.String({ description: 'bash, zsh, sh, ash, fish, python, mysql, …' }),
  path: Type.String(),
  line: Uint(),
  command: Type.String(),
  time: Nullable(Time),
});

/** An installed package. */
export const InstalledPackageV1 = record('installed_package', 'A package from dpkg or rpm.', {
  manager: Type.Union([Type.Literal('dpkg'), Type.Literal('rpm')]),
  name: Type.String(),
  version: Type.String(),
  architecture: Nullable(Type.String()),
  status: Nullable(Type.String()),
  install_time: Nullable(Time),
});

/** A loaded kernel module. */
export const KernelModuleV1 = record('kernel_module', 'A loaded kernel module (live only).', {
  name: Type.String(),
  size: Uint(),
  refcount: Nullable(Type.Integer()),
  used_by: Type.Array(Type.String()),
  state: Nullable(Type.String()),
  taint: Nullable(Type.String({ description: 'taint flags, e.g. (OE) for out-of-tree unsigned' })),
});

/** Metadata and hash of a file referenced by a startup item or a process. */
export const FileMetadataV1 = record('file_metadata', 'A referenced executable, hashed once.', {
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
export const RECORD_SCHEMAS_V1 = [
  HostInfoV1,
  UserAccountV1,
  GroupV1,
  LoginEventV1,
  StartupItemV1,
  ProcessV1,
  NetworkConnectionV1,
  SshAuthorizedKeyV1,
  SshKnownHostV1,
  ShellHistoryEntryV1,
  InstalledPackageV1,
  KernelModuleV1,
  FileMetadataV1,
] as const;
