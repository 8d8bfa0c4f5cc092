import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { ArtifactRecord, LoginEvent, LoginEventType } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { CollectContext, Collector } from '../context.js';
import { openChunks, READ_FLAGS, regularFile } from '../io.js';
import { type AuthEvent, parseAuthMessage, parseJournalEntry } from '../parsers/auth-log.js';
import { decodeUtf8, fixedSizeRecords, splitByteLines } from '../parsers/chunks.js';
import {
  LASTLOG_RECORD_SIZE,
  type LastlogEntry,
  parseLastlog,
  parseLastlogRecord,
} from '../parsers/lastlog.js';
import { parseSyslogLine, SyslogYearScanner, SyslogYearWalker } from '../parsers/syslog.js';
import { fromWallClock, isKnownTimeZone, toWallClock } from '../parsers/timezone.js';
import { parseUtmpRecord, UTMP_RECORD_SIZE, type UtmpEntry, UtmpType } from '../parsers/utmp.js';
import { readTimezone } from './host.js';

/** A lastlog file up to this size is read whole (finding entries of deleted accounts); a larger, sparse one only at the uids in passwd. */
const LASTLOG_SCAN_LIMIT = 64 * 1024 * 1024;
/** How long `journalctl` may run. */
const JOURNAL_TIMEOUT_MS = 120_000;

/** Text lines of a plain or gzip-compressed file inside the root, in bounded memory. */
async function* textLines(ctx: CollectContext, path: string, gzip: boolean): AsyncGenerator<string> {
  if (!gzip) {
    yield* ctx.lines(path);
    return;
  }
  const chunks = await openChunks(ctx, path, { gunzip: true });
  if (chunks === null) return;
  for await (const line of splitByteLines(chunks)) yield decodeUtf8(line.bytes);
}

/** Directory entries, or none (reported) when the directory cannot be read. */
async function listDir(ctx: CollectContext, path: string): Promise<string[]> {
  try {
    return await ctx.list(path);
  } catch (error) {
    ctx.error(path, error);
    return [];
  }
}

function iso(epochMs: number | null): string | null {
  if (epochMs === null || !Number.isFinite(epochMs)) return null;
  const date = new Date(epochMs);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function addressOf(host: string | null): string | null {
  return host !== null && isIP(host) !== 0 ? host : null;
}

type LoginFields = Omit<LoginEvent, 'kind' | 'source' | 'collected_at'>;

/** A record's fields with `event` first and everything not given null. */
function fields({ event, ...rest }: Partial<LoginFields> & { event: LoginEventType }): LoginFields {
  return {
    event,
    time: null,
    user: null,
    terminal: null,
    remote_host: null,
    remote_address: null,
    pid: null,
    success: null,
    method: null,
    message: null,
    ...rest,
  };
}

/** Which binary login file a record came from. */
type UtmpFile = 'wtmp' | 'btmp' | 'utmp';

function printable(code: number): string | null {
  return code > 32 && code < 127 ? String.fromCharCode(code) : null;
}

/**
 * Maps one utmp record to an event, or null to skip it.
 *
 * - wtmp: BOOT_TIME → boot; RUN_LVL → runlevel, or shutdown when the user is
 *   `shutdown`; USER_PROCESS → login; DEAD_PROCESS → logout; OLD_TIME and
 *   NEW_TIME (a clock change) → other; EMPTY, INIT_PROCESS, LOGIN_PROCESS and
 *   ACCOUNTING are skipped. For boot, shutdown and run-level records the
 *   message names the kernel (and run level), which utmp keeps in `ut_host`.
 * - btmp: every record but EMPTY is a failed login (the user as typed).
 * - utmp: only USER_PROCESS, the sessions open when it was read.
 */
export function utmpEvent(entry: UtmpEntry, file: UtmpFile): LoginFields | null {
  const time = entry.seconds > 0 ? iso(entry.seconds * 1000 + Math.floor(entry.microseconds / 1000)) : null;
  const session = {
    time,
    user: entry.user || null,
    terminal: entry.line || null,
    remote_host: entry.host || null,
    remote_address: entry.address ?? addressOf(entry.host || null),
    pid: entry.pid > 0 ? entry.pid : null,
  };
  if (file === 'btmp') {
    if (entry.type === UtmpType.EMPTY) return null;
    return fields({ event: 'failed_login', ...session, success: false });
  }
  if (file === 'utmp') {
    return entry.type === UtmpType.USER_PROCESS
      ? fields({ event: 'login', ...session, success: true })
      : null;
  }
  const kernel = entry.host ? `kernel ${entry.host}` : null;
  switch (entry.type) {
    case UtmpType.USER_PROCESS:
      return fields({ event: 'login', ...session, success: true });
    case UtmpType.DEAD_PROCESS:
      return fields({ event: 'logout', ...session });
    case UtmpType.BOOT_TIME:
      return fields({ event: 'boot', time, message: kernel });
    case UtmpType.RUN_LVL: {
      if (entry.user === 'shutdown') return fields({ event: 'shutdown', time, message: kernel });
      const level = printable(entry.pid & 0xff);
      const previous = printable((entry.pid >> 8) & 0xff);
      const parts = [
        level === null ? null : `runlevel ${level}${previous === null ? '' : ` (previous ${previous})`}`,
        kernel,
      ].filter((p) => p !== null);
      return fields({ event: 'runlevel', time, message: parts.length > 0 ? parts.join(', ') : null });
    }
    case UtmpType.OLD_TIME:
      return fields({ event: 'other', time, message: 'system clock changed: the time before the change' });
    case UtmpType.NEW_TIME:
      return fields({ event: 'other', time, message: 'system clock changed: the time after the change' });
    default:
      return null;
  }
}

/** Rotated names of a log: `name`, `name.1`, `name.2.gz`, `name-20261101`, newest first. */
function rotations(names: readonly string[], base: string): Array<{ name: string; gzip: boolean }> {
  const escaped = base.replace(/[.]/g, '\\.');
  const pattern = new RegExp(`^${escaped}(?:\\.(\\d+)|-(\\d{8}))?(\\.gz)?$`);
  const found: Array<{ name: string; gzip: boolean; order: number }> = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    // Current file first, then .1, .2, …; date suffixes newest first after them.
    const order = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? 1e9 - Number(m[2]) / 1e8 : 0;
    found.push({ name, gzip: m[3] !== undefined, order });
  }
  return found.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
}

function otherCompressed(names: readonly string[], base: string): string[] {
  return names
    .filter((n) => n.startsWith(`${base}.`) || n.startsWith(`${base}-`))
    .filter((n) => /\.(?:xz|bz2|zst|lz4)$/.test(n));
}

async function* utmpFile(
  ctx: CollectContext,
  path: string,
  file: UtmpFile,
  gzip: boolean,
): AsyncGenerator<ArtifactRecord> {
  if ((await regularFile(ctx, path)) === null) return;
  const chunks = await openChunks(ctx, path, { gunzip: gzip });
  if (chunks === null) return;
  let invalid = 0;
  let firstInvalid = -1;
  for await (const { offset, bytes } of fixedSizeRecords(chunks, UTMP_RECORD_SIZE)) {
    if (bytes.length < UTMP_RECORD_SIZE) {
      ctx.error(
        path,
        new TriageError(
          'DATA_INVALID',
          `${path}: ${bytes.length} bytes after the last whole ${UTMP_RECORD_SIZE}-byte record at offset ${offset} (truncated); the whole records were kept`,
          { context: { path, offset, bytes: bytes.length } },
        ),
      );
      break;
    }
    const entry = parseUtmpRecord(bytes);
    if (entry === null) {
      if (invalid++ === 0) firstInvalid = offset;
      continue;
    }
    const event = utmpEvent(entry, file);
    if (event) yield ctx.record('login_event', path, event);
  }
  if (invalid > 0) {
    ctx.error(
      path,
      new TriageError(
        'DATA_INVALID',
        `${path}: ${invalid} records that are not utmp records skipped (first at offset ${firstInvalid})`,
        { context: { path, records: invalid, offset: firstInvalid } },
      ),
    );
  }
}

async function* binaryLogins(ctx: CollectContext): AsyncGenerator<ArtifactRecord> {
  const names = await listDir(ctx, '/var/log');
  for (const [base, file] of [
    ['wtmp', 'wtmp'],
    ['btmp', 'btmp'],
  ] as const) {
    for (const { name, gzip } of rotations(names, base)) {
      const path = `/var/log/${name}`;
      try {
        yield* utmpFile(ctx, path, file, gzip);
      } catch (error) {
        ctx.error(path, error);
      }
    }
    for (const name of otherCompressed(names, base))
      ctx.log(`/var/log/${name}: compression not supported; not read`);
  }
  // /var/run is normally a symlink to /run: read the file once (same device and inode).
  const seen = new Set<string>();
  for (const path of ['/run/utmp', '/var/run/utmp']) {
    try {
      const stats = await ctx.stat(path);
      if (stats === null) continue;
      const key = `${stats.dev}:${stats.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield* utmpFile(ctx, path, 'utmp', false);
    } catch (error) {
      ctx.error(path, error);
    }
  }
  for (const db of ['/var/lib/wtmpdb/wtmp.db', '/var/lib/lastlog/lastlog2.db']) {
    if ((await ctx.stat(db)) !== null) ctx.log(`${db} (SQLite) present; not read`);
  }
}

function lastlogEvent(
  entry: LastlogEntry,
  accounts: ReadonlyArray<{ readonly name: string; readonly uid: number }>,
): LoginFields {
  const names = accounts.filter((a) => a.uid === entry.uid).map((a) => a.name);
  const host = entry.host || null;
  return fields({
    event: 'last_login',
    time: iso(entry.seconds * 1000),
    user: names[0] ?? null,
    terminal: entry.line || null,
    remote_host: host,
    remote_address: addressOf(host),
    // lastlog is indexed by uid: say so when the name is not certain.
    message:
      names.length === 0
        ? `uid ${entry.uid}, not in /etc/passwd`
        : names.length > 1
          ? `uid ${entry.uid}, shared by ${names.join(', ')}`
          : null,
  });
}

async function* lastlog(ctx: CollectContext): AsyncGenerator<ArtifactRecord> {
  const path = '/var/log/lastlog';
  const stats = await regularFile(ctx, path);
  if (stats === null) return;
  const accounts = await ctx.accounts();
  if (stats.size <= LASTLOG_SCAN_LIMIT) {
    const chunks = await openChunks(ctx, path);
    if (chunks === null) return;
    for await (const { offset, bytes } of fixedSizeRecords(chunks, LASTLOG_RECORD_SIZE * 256)) {
      const parsed = parseLastlog(bytes, offset / LASTLOG_RECORD_SIZE);
      for (const entry of parsed.entries)
        yield ctx.record('login_event', path, lastlogEvent(entry, accounts));
      if (parsed.trailingBytes > 0) {
        ctx.error(
          path,
          new TriageError(
            'DATA_INVALID',
            `${path}: ${parsed.trailingBytes} bytes after the last whole ${LASTLOG_RECORD_SIZE}-byte record (truncated)`,
            { context: { path, bytes: parsed.trailingBytes } },
          ),
        );
      }
    }
    return;
  }
  const uids = [...new Set(accounts.map((a) => a.uid))].filter((u) => u >= 0).sort((a, b) => a - b);
  ctx.log(
    `${path} is ${stats.size} bytes (sparse): read the records of the ${uids.length} uids in /etc/passwd only`,
  );
  const handle = await open(await ctx.hostPath(path), READ_FLAGS);
  try {
    const buffer = new Uint8Array(LASTLOG_RECORD_SIZE);
    for (const uid of uids) {
      const { bytesRead } = await handle.read(buffer, 0, LASTLOG_RECORD_SIZE, uid * LASTLOG_RECORD_SIZE);
      const entry = bytesRead === LASTLOG_RECORD_SIZE ? parseLastlogRecord(buffer, uid) : null;
      if (entry) yield ctx.record('login_event', path, lastlogEvent(entry, accounts));
    }
  } finally {
    await handle.close();
  }
}

function authRecord(
  ctx: CollectContext,
  source: string,
  event: AuthEvent,
  time: string | null,
  pid: number | null,
  message: string,
): ArtifactRecord {
  return ctx.record(
    'login_event',
    source,
    fields({
      event: event.event,
      time,
      user: event.user,
      terminal: event.terminal,
      remote_host: event.remoteHost,
      remote_address: addressOf(event.remoteHost),
      pid,
      success: event.success,
      method: event.method,
      message,
    }),
  );
}

/**
 * One auth.log or secure file, read twice in bounded memory: once to place
 * the year boundaries (traditional time stamps have no year; the last line
 * is at or before the file's mtime), once to yield the events.
 */
async function* authLog(
  ctx: CollectContext,
  path: string,
  gzip: boolean,
  mtimeMs: number,
  timeZone: string | null,
): AsyncGenerator<ArtifactRecord> {
  const scanner = new SyslogYearScanner();
  for await (const line of textLines(ctx, path, gzip)) {
    const parsed = parseSyslogLine(line);
    if (parsed?.stamp) scanner.add(parsed.stamp);
  }
  const firstYear = scanner.firstYear(toWallClock(mtimeMs, timeZone));
  const walker = firstYear === null ? null : new SyslogYearWalker(firstYear);
  let lines = 0;
  let unparsed = 0;
  let events = 0;
  for await (const line of textLines(ctx, path, gzip)) {
    lines++;
    const parsed = parseSyslogLine(line);
    if (parsed === null) {
      if (line.trim() !== '') unparsed++;
      continue;
    }
    // Every line with a traditional stamp advances the walker, event or not.
    const year = parsed.stamp && walker ? walker.yearOf(parsed.stamp) : null;
    const event = parseAuthMessage(parsed.program, parsed.message);
    if (event === null) continue;
    const epochMs =
      parsed.epochMs ??
      (parsed.stamp && year !== null ? fromWallClock({ year, ...parsed.stamp }, timeZone) : null);
    events++;
    yield authRecord(ctx, path, event, iso(epochMs), parsed.pid, line);
  }
  ctx.log(
    `${path}: ${events} events from ${lines} lines${unparsed > 0 ? `, ${unparsed} lines not in syslog form` : ''}${
      firstYear === null ? '' : `; first line dated ${firstYear} from the file's mtime`
    }`,
  );
}

/** Returns whether any auth.log or secure file was found. */
async function* authLogs(ctx: CollectContext): AsyncGenerator<ArtifactRecord, boolean> {
  const names = await listDir(ctx, '/var/log');
  const files = [...rotations(names, 'auth.log'), ...rotations(names, 'secure')];
  for (const base of ['auth.log', 'secure']) {
    for (const name of otherCompressed(names, base))
      ctx.log(`/var/log/${name}: compression not supported; not read`);
  }
  if (files.length === 0) return false;
  let timeZone = await readTimezone(ctx);
  if (timeZone !== null && !isKnownTimeZone(timeZone)) {
    ctx.log(`time zone ${timeZone} is not known to this runtime; syslog times read as UTC`);
    timeZone = null;
  } else if (timeZone === null) {
    ctx.log('host time zone unknown; syslog times read as UTC');
  }
  for (const { name, gzip } of files) {
    const path = `/var/log/${name}`;
    try {
      const stats = await regularFile(ctx, path);
      if (stats === null) continue;
      yield* authLog(ctx, path, gzip, stats.mtimeMs, timeZone);
    } catch (error) {
      ctx.error(path, error);
    }
  }
  return true;
}

const JOURNAL_DIRS = ['/var/log/journal', '/run/log/journal'];
const JOURNALCTL = ['/usr/bin/journalctl', '/bin/journalctl'];

/**
 * Live only, when no text auth log exists (Debian 12 and others without
 * rsyslog): the auth and authpriv facilities from `journalctl -o json`,
 * streamed, with a time limit.
 */
async function* journal(ctx: CollectContext, textLogsFound: boolean): AsyncGenerator<ArtifactRecord> {
  const present: string[] = [];
  for (const dir of JOURNAL_DIRS) if ((await listDir(ctx, dir)).length > 0) present.push(dir);
  if (present.length === 0) return;
  if (!ctx.live) {
    ctx.log(`systemd journal in ${present.join(', ')} not parsed offline (binary format)`);
    return;
  }
  if (textLogsFound) {
    ctx.log('systemd journal not read: auth events taken from the text logs, which it duplicates');
    return;
  }
  let binary: string | null = null;
  for (const candidate of JOURNALCTL) {
    if ((await ctx.stat(candidate))?.isFile()) {
      binary = candidate;
      break;
    }
  }
  if (binary === null) {
    ctx.log('systemd journal present but no journalctl; not parsed');
    return;
  }
  const source = 'journalctl';
  const child = spawn(
    binary,
    ['--output=json', '--no-pager', '--quiet', 'SYSLOG_FACILITY=4', 'SYSLOG_FACILITY=10'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0' },
      timeout: JOURNAL_TIMEOUT_MS,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: unknown }>(
    (resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  let events = 0;
  let bad = 0;
  try {
    for await (const line of splitByteLines(child.stdout)) {
      let entry: unknown;
      try {
        entry = JSON.parse(decodeUtf8(line.bytes));
      } catch {
        bad++;
        continue;
      }
      const message = parseJournalEntry(entry);
      if (message === null) continue;
      const event = parseAuthMessage(message.program, message.message);
      if (event === null) continue;
      events++;
      yield authRecord(ctx, source, event, iso(message.epochMs), message.pid, message.message);
    }
  } finally {
    if (child.exitCode === null) child.kill();
  }
  const result = await exited;
  if (result.error !== undefined) ctx.error(source, result.error);
  else if (result.signal !== null) {
    ctx.error(
      source,
      new TriageError(
        'TIMEOUT',
        `journalctl stopped by ${result.signal} (limit ${JOURNAL_TIMEOUT_MS / 1000} s); events so far kept`,
      ),
    );
  } else if (result.code !== 0) {
    ctx.error(source, new TriageError('IO_ERROR', `journalctl exited with status ${result.code}`));
  }
  ctx.log(`journalctl: ${events} auth events${bad > 0 ? `, ${bad} lines not JSON` : ''}`);
}

/**
 * `login_event`: logins, logouts, failures, boots, sudo and su, from
 *
 * - /var/log/wtmp and its rotations (`wtmp.1`, `wtmp-YYYYMMDD`, `.gz`): the
 *   login history; /var/log/btmp and rotations: failed logins;
 * - /run/utmp (or /var/run/utmp when it is a different file): sessions open
 *   at collection time (USER_PROCESS records only; they repeat wtmp's logins,
 *   which is the point when one was tampered with);
 * - /var/log/lastlog: each uid's last login (`last_login`);
 * - /var/log/auth.log and /var/log/secure with rotations, gzip included:
 *   sshd, PAM sessions, sudo, su, login; `message` is the log line. The year
 *   of traditional time stamps comes from the file's mtime, the local time
 *   zone from {@link readTimezone};
 * - live, when no text log exists: the journal's auth facilities via
 *   `journalctl`. Offline the journal is not parsed (logged).
 *
 * Binary files are streamed record by record; a truncated tail or records
 * that cannot be utmp are reported and the good records kept. wtmpdb and
 * lastlog2 SQLite databases are noted in the log, not read.
 */
export const loginsCollector: Collector = {
  name: 'logins',
  kinds: ['login_event'],
  liveOnly: false,
  async *collect(ctx) {
    yield* binaryLogins(ctx);
    try {
      yield* lastlog(ctx);
    } catch (error) {
      ctx.error('/var/log/lastlog', error);
    }
    const textLogsFound = yield* authLogs(ctx);
    try {
      yield* journal(ctx, textLogsFound);
    } catch (error) {
      ctx.error('journalctl', error);
    }
  },
};
