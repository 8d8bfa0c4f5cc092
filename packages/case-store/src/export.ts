/**
 * Exporting a timeline of the case: one row per timestamped artifact, in
 * time order, as JSON lines in Timesketch's fields or as CSV. Rows stream
 * out of one SQLite statement (one consistent snapshot) to a caller-supplied
 * writer, so the whole timeline is never in memory.
 */
import type {
  ArtifactKind,
  ArtifactRecord,
  ExecutionEvidence,
  FileMetadata,
  InstalledPackage,
  LoginEvent,
  Process,
  ShellHistoryEntry,
  SshAuthorizedKey,
  StartupItem,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { CaseStore } from './store.js';

/** The output format of {@link exportTimeline}. */
export type TimelineFormat = 'jsonl' | 'csv';

/** Receives the output, in order; a returned promise is awaited before the next chunk (backpressure). */
export type TimelineWriter = (chunk: string) => void | Promise<void>;

/** What {@link exportTimeline} wrote. */
export interface TimelineResult {
  /** Rows written (not counting the CSV header). */
  readonly rows: number;
  /** Records of the timeline kinds left out because their time is null. */
  readonly skipped: number;
  /** {@link TimelineResult.skipped} per kind; kinds with none are absent. */
  readonly skippedByKind: Readonly<Partial<Record<ArtifactKind, number>>>;
}

/**
 * The kinds on the timeline and the field that gives each its time (the
 * `artifacts.time` column): for a `startup_item`, `event_time` when set (a
 * service install), else `file_mtime`; for `execution_evidence`, by its
 * artifact: Prefetch `last_run`, Amcache `first_seen`, ShimCache `last_modified`.
 */
export const TIMELINE_KINDS: Readonly<Partial<Record<ArtifactKind, string>>> = {
  login_event: 'time',
  process: 'start_time',
  startup_item: 'event_time or file_mtime',
  shell_history_entry: 'time',
  file_metadata: 'mtime',
  ssh_authorized_key: 'file_mtime',
  installed_package: 'install_time',
  execution_evidence: 'last_run, first_seen or last_modified',
};

/** The CSV header line, without its line break. */
export const TIMELINE_CSV_HEADER = 'datetime,timestamp_desc,message,host,kind,artifact_id';

/** Prefix of the record's own fields in a JSON line (`record_user`, `record_command`, …). */
export const TIMELINE_RECORD_PREFIX = 'record_';

/** Output is handed to the writer in chunks of about this many characters (whole rows). */
const CHUNK_CHARS = 64 * 1024;

const LOGIN_DESCRIPTIONS: Readonly<Record<LoginEvent['event'], string>> = {
  login: 'Login',
  logout: 'Logout',
  failed_login: 'Failed Login',
  boot: 'Boot',
  shutdown: 'Shutdown',
  runlevel: 'Runlevel Change',
  last_login: 'Last Login',
  session_open: 'Session Start',
  session_close: 'Session End',
  sudo: 'Sudo',
  su: 'Su',
  other: 'Login Event',
  explicit_logon: 'Explicit Credentials Logon',
  privileged_logon: 'Special Privileges Logon',
  session_disconnect: 'Session Disconnect',
  session_reconnect: 'Session Reconnect',
};

const EXECUTION_DESCRIPTIONS: Readonly<Record<ExecutionEvidence['artifact'], string>> = {
  prefetch: 'Last Run (Prefetch)',
  amcache: 'First Seen (Amcache)',
  shimcache: 'File Modified (ShimCache)',
};

/** Timesketch's `timestamp_desc`: what the time of the row means. */
export function timestampDescription(record: ArtifactRecord): string {
  switch (record.kind) {
    case 'login_event':
      return LOGIN_DESCRIPTIONS[record.event];
    case 'process':
      return 'Process Start';
    case 'shell_history_entry':
      return 'Command Run';
    case 'installed_package':
      return 'Package Installed';
    case 'startup_item':
      return record.event_time === undefined || record.event_time === null
        ? 'File Modified'
        : 'Service Installed';
    case 'ssh_authorized_key':
    case 'file_metadata':
      return 'File Modified';
    case 'execution_evidence':
      return EXECUTION_DESCRIPTIONS[record.artifact];
    default:
      return 'Time';
  }
}

function loginMessage(r: LoginEvent): string {
  const parts: string[] = [r.event];
  if (r.success === false && r.event !== 'failed_login') parts.push('(failed)');
  if (r.user !== null) parts.push(r.user);
  const from = r.remote_address ?? r.remote_host;
  if (from !== null) parts.push(`from ${from}`);
  if (r.terminal !== null) parts.push(`on ${r.terminal}`);
  if (r.method !== null) parts.push(`via ${r.method}`);
  if (r.pid !== null) parts.push(`pid ${r.pid}`);
  return r.message === null ? parts.join(' ') : `${parts.join(' ')}: ${r.message}`;
}

function processMessage(r: Process): string {
  const cmdline = r.cmdline.join(' ');
  return (
    `process ${r.pid} ${r.name}${r.user === null ? '' : ` (${r.user})`}: ` +
    `${cmdline === '' ? (r.exe ?? r.name) : cmdline}${r.exe_deleted ? ' [executable deleted]' : ''}`
  );
}

function startupMessage(r: StartupItem): string {
  const where =
    r.registry_key === undefined || r.registry_key === null ? r.path : `${r.registry_key} in ${r.path}`;
  return (
    `${r.mechanism} ${r.name}${r.enabled === false ? ' (disabled)' : ''}: ${r.command ?? '(no command)'} ` +
    `[defined in ${where}]`
  );
}

function executionMessage(r: ExecutionEvidence): string {
  const facts: string[] = [];
  if (r.run_count !== null) facts.push(`run ${r.run_count} times`);
  if (r.executed === false) facts.push('not executed');
  if (r.sha1 !== null) facts.push(`sha1 ${r.sha1}`);
  return `${r.artifact}: ${r.path ?? r.name}${facts.length === 0 ? '' : ` (${facts.join(', ')})`}`;
}

function historyMessage(r: ShellHistoryEntry): string {
  return `${r.user ?? 'unknown user'} (${r.shell}): ${r.command}`;
}

function fileMessage(r: FileMetadata): string {
  return (
    `${r.path}${r.exists ? '' : ' (missing)'}${r.sha256 === null ? '' : ` sha256 ${r.sha256}`}` +
    `${r.referenced_by.length === 0 ? '' : ` referenced by ${r.referenced_by.join(', ')}`}`
  );
}

function authorizedKeyMessage(r: SshAuthorizedKey): string {
  return (
    `authorized key ${r.key_type} ${r.fingerprint}${r.comment === null ? '' : ` ${r.comment}`} ` +
    `for ${r.user ?? 'unknown user'} in ${r.path}:${r.line}${r.options === null ? '' : ` options ${r.options}`}`
  );
}

function packageMessage(r: InstalledPackage): string {
  return `${r.manager} package ${r.name} ${r.version}${r.architecture === null ? '' : ` ${r.architecture}`} installed`;
}

/** Timesketch's `message`: one line saying what happened. */
export function timelineMessage(record: ArtifactRecord): string {
  switch (record.kind) {
    case 'login_event':
      return loginMessage(record);
    case 'process':
      return processMessage(record);
    case 'startup_item':
      return startupMessage(record);
    case 'shell_history_entry':
      return historyMessage(record);
    case 'file_metadata':
      return fileMessage(record);
    case 'ssh_authorized_key':
      return authorizedKeyMessage(record);
    case 'installed_package':
      return packageMessage(record);
    case 'execution_evidence':
      return executionMessage(record);
    default:
      return record.kind;
  }
}

/** One CSV field, quoted as RFC 4180 requires (comma, double quote, CR or LF inside; quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

interface TimelineRow {
  readonly id: number;
  readonly kind: ArtifactKind;
  readonly time: string | null;
  readonly json: string;
  readonly case_id: string;
  readonly host: string;
  readonly collection_id: string;
}

function jsonLine(row: TimelineRow & { readonly time: string }, record: ArtifactRecord): string {
  const line: Record<string, unknown> = {
    message: timelineMessage(record),
    datetime: row.time,
    timestamp_desc: timestampDescription(record),
    host: row.host,
    kind: row.kind,
    artifact_id: row.id,
    case_id: row.case_id,
    collection_id: row.collection_id,
  };
  for (const [field, value] of Object.entries(record)) {
    if (field === 'kind') continue;
    line[`${TIMELINE_RECORD_PREFIX}${field}`] = value;
  }
  return `${JSON.stringify(line)}\n`;
}

function csvLine(row: TimelineRow & { readonly time: string }, record: ArtifactRecord): string {
  return `${[
    row.time,
    timestampDescription(record),
    timelineMessage(record),
    row.host,
    row.kind,
    String(row.id),
  ]
    .map(csvField)
    .join(',')}\r\n`;
}

/**
 * Writes the case's timeline: one row per record of the
 * {@link TIMELINE_KINDS} whose time is set, ordered by time (compared as
 * instants to the millisecond, then as text, then by artifact id).
 *
 * - `jsonl`: one JSON object per line (`\n`) with Timesketch's `message`,
 *   `datetime` (the record's ISO 8601 UTC time) and `timestamp_desc`, plus
 *   `host`, `kind`, `artifact_id`, `case_id`, `collection_id` and every
 *   field of the record but `kind` as `record_<field>`.
 * - `csv`: the header {@link TIMELINE_CSV_HEADER}, then one line per row,
 *   RFC 4180: CRLF line ends, fields with a comma, quote or line break
 *   quoted with quotes doubled. Values are written as they are (no
 *   spreadsheet-formula escaping).
 *
 * The rows come from one statement, so the export is one snapshot of the
 * database; while it runs the store's connection is busy and must not be
 * used for anything else (not even from `write`).
 *
 * @param store - the case database
 * @param format - `jsonl` or `csv`
 * @param write - receives whole rows in chunks of about 64 KiB; awaited
 * @returns rows written and records skipped for having no time
 * @throws TriageError `INVALID_ARGUMENT` for another format; whatever `write` throws (the export stops there)
 */
export async function exportTimeline(
  store: CaseStore,
  format: TimelineFormat,
  write: TimelineWriter,
): Promise<TimelineResult> {
  if (format !== 'jsonl' && format !== 'csv') {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `Unknown timeline format ${JSON.stringify(format)}; use jsonl or csv.`,
    );
  }
  const kinds = Object.keys(TIMELINE_KINDS);
  const statement = store.db.prepare(
    `SELECT a.id AS id, a.kind AS kind, a.time AS time, a.json AS json,
            c.case_id AS case_id, c.host AS host, c.collection_id AS collection_id
     FROM artifacts a JOIN collections c ON c.id = a.collection_ref
     WHERE a.kind IN (${kinds.map(() => '?').join(', ')})
     ORDER BY strftime('%Y-%m-%dT%H:%M:%fZ', a.time), a.time, a.id`,
  );
  const toLine = format === 'jsonl' ? jsonLine : csvLine;
  let buffer = format === 'csv' ? `${TIMELINE_CSV_HEADER}\r\n` : '';
  let rows = 0;
  let skipped = 0;
  const skippedByKind: Partial<Record<ArtifactKind, number>> = {};
  for (const row of statement.iterate(...kinds) as IterableIterator<TimelineRow>) {
    if (row.time === null) {
      skipped++;
      skippedByKind[row.kind] = (skippedByKind[row.kind] ?? 0) + 1;
      continue;
    }
    buffer += toLine({ ...row, time: row.time }, JSON.parse(row.json) as ArtifactRecord);
    rows++;
    if (buffer.length >= CHUNK_CHARS) {
      const chunk = buffer;
      buffer = '';
      await write(chunk);
    }
  }
  if (buffer !== '') await write(buffer);
  return { rows, skipped, skippedByKind };
}
