/**
 * Built-in triage rules: the things an examiner looks at first, found by
 * plain SQL and JavaScript over the case database (data in, data out; the
 * database is only read). Each hit names the artifact row it came from.
 * The exact rules are documented in docs/case-database.md.
 */
import { posix } from 'node:path';
import type {
  ArtifactKind,
  ArtifactRecord,
  LoginEvent,
  NetworkConnection,
  Process,
  SshAuthorizedKey,
  StartupItem,
  UserAccount,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { CaseStore } from './store.js';

/** The name of a built-in rule. */
export type HitRule =
  | 'uid0-not-root'
  | 'login-new-address'
  | 'runs-from-temp'
  | 'deleted-exe'
  | 'authorized-keys-recent'
  | 'unusual-listener'
  | 'ld-preload'
  | 'ifeo-debugger';

/** How urgent a hit is. */
export type HitSeverity = 'high' | 'medium' | 'low';

/** Every built-in rule, in the order hits of equal severity are listed. */
export const HIT_RULES: readonly HitRule[] = [
  'uid0-not-root',
  'ld-preload',
  'ifeo-debugger',
  'runs-from-temp',
  'deleted-exe',
  'login-new-address',
  'authorized-keys-recent',
  'unusual-listener',
];

/**
 * TCP ports whose listeners `unusual-listener` does not report: ssh, smtp,
 * dns, http, pop3, rpcbind, ntp, imap, https, smtps, submission, ipp (CUPS),
 * imaps, pop3s, mdns.
 */
export const EXPECTED_LISTEN_PORTS: readonly number[] = [
  22, 25, 53, 80, 110, 111, 123, 143, 443, 465, 587, 631, 993, 995, 5353,
];

/** Directories that programs should not run from: `runs-from-temp`. */
export const TEMP_DIRECTORIES: readonly string[] = ['/tmp', '/dev/shm', '/var/tmp'];

/**
 * Windows folders that programs should not run from (`runs-from-temp`),
 * matched case-insensitively: the system and per-user temp folders, the
 * public profile, the recycle bin, and `%TEMP%` / `%TMP%` in a command not
 * yet expanded.
 */
export const WINDOWS_TEMP_DIRECTORIES: readonly string[] = [
  'C:\\Windows\\Temp',
  'C:\\Users\\*\\AppData\\Local\\Temp',
  'C:\\Users\\Public',
  'C:\\$Recycle.Bin',
  '%TEMP%',
  '%TMP%',
];

/** The patterns of {@link WINDOWS_TEMP_DIRECTORIES}: each needs something after it. Any drive letter. */
const WINDOWS_TEMP_PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/^[a-z]:\\windows\\temp\\[^\\]/, 'C:\\Windows\\Temp'],
  [/^[a-z]:\\users\\[^\\]+\\appdata\\local\\temp\\[^\\]/, "a user's AppData\\Local\\Temp"],
  [/^[a-z]:\\users\\public\\[^\\]/, 'C:\\Users\\Public'],
  [/^[a-z]:\\\$recycle\.bin\\[^\\]/, 'the recycle bin'],
  [/^%te?mp%\\[^\\]/, '%TEMP%'],
];

/** Default look-back of `authorized-keys-recent`, in days. */
export const DEFAULT_AUTHORIZED_KEY_DAYS = 7;

/** How long the first-seen baseline of `login-new-address` lasts: 24 hours. */
const LOGIN_BASELINE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One finding. */
export interface Hit {
  /** The rule that fired. */
  readonly rule: HitRule;
  /** How urgent it is. */
  readonly severity: HitSeverity;
  /** The case the artifact belongs to. */
  readonly case: string;
  /** The host the artifact came from. */
  readonly host: string;
  /** One line for the examiner: what was found and why it matters. */
  readonly message: string;
  /** `artifacts.id` of the record (also `artifact_id` in the `v_<kind>` views). */
  readonly artifactId: number;
  /** The record's kind. */
  readonly kind: ArtifactKind;
  /** The record, as stored. */
  readonly record: ArtifactRecord;
}

/** Options for {@link hits}. */
export interface HitsOptions {
  /**
   * The clock: the reference time of `authorized-keys-recent` for a
   * collection without `ended_at` (an imported collection always has one);
   * default the store's clock.
   */
  readonly now?: () => Date;
  /** `authorized-keys-recent`: how many days before the collection ended count as recent; default 7. */
  readonly authorizedKeyDays?: number;
  /** `unusual-listener`: ports not reported; default {@link EXPECTED_LISTEN_PORTS}. */
  readonly expectedPorts?: readonly number[];
  /** Only these rules; default all of {@link HIT_RULES}. */
  readonly rules?: readonly HitRule[];
}

interface Row {
  readonly id: number;
  readonly case_id: string;
  readonly host: string;
  readonly json: string;
  readonly started_at: string;
  readonly ended_at: string | null;
}

interface Context {
  readonly store: CaseStore;
  readonly now: () => Date;
  readonly authorizedKeyDays: number;
  readonly expectedPorts: ReadonlySet<number>;
}

const SEVERITY_RANK: Readonly<Record<HitSeverity, number>> = { high: 0, medium: 1, low: 2 };

/**
 * Artifacts of one kind with their case and host, filtered by `where` (a
 * constant SQL condition over `a`, the artifacts row), in row order.
 */
function rowsOf(store: CaseStore, kind: ArtifactKind, where: string): Row[] {
  return store.db
    .prepare(
      `SELECT a.id AS id, c.case_id AS case_id, c.host AS host, a.json AS json,
              c.started_at AS started_at, c.ended_at AS ended_at
       FROM artifacts a JOIN collections c ON c.id = a.collection_ref
       WHERE a.kind = ? AND (${where})
       ORDER BY a.id`,
    )
    .all(kind) as Row[];
}

function hitOf<R extends ArtifactRecord>(
  rule: HitRule,
  severity: HitSeverity,
  row: Row,
  record: R,
  message: string,
): Hit {
  return {
    rule,
    severity,
    case: row.case_id,
    host: row.host,
    message,
    artifactId: row.id,
    kind: record.kind,
    record,
  };
}

function parse<R extends ArtifactRecord>(row: Row): R {
  return JSON.parse(row.json) as R;
}

/** `uid0-not-root`: an account other than `root` with uid 0. */
function uid0NotRoot(ctx: Context): Hit[] {
  const where = "json_extract(a.json, '$.uid') = 0 AND json_extract(a.json, '$.username') <> 'root'";
  return rowsOf(ctx.store, 'user_account', where).map((row) => {
    const r = parse<UserAccount>(row);
    return hitOf(
      'uid0-not-root',
      'high',
      row,
      r,
      `account ${r.username} has uid 0 (root's powers): shell ${r.shell}, home ${r.home}, password ${r.password_status}`,
    );
  });
}

/** `ld-preload`: any `ld_preload` startup item. */
function ldPreload(ctx: Context): Hit[] {
  return rowsOf(ctx.store, 'startup_item', "json_extract(a.json, '$.mechanism') = 'ld_preload'").map(
    (row) => {
      const r = parse<StartupItem>(row);
      const what = r.executable ?? r.command ?? '(nothing named)';
      return hitOf(
        'ld-preload',
        'high',
        row,
        r,
        `${r.name} preloads ${what} into every dynamically linked program (defined in ${r.path})`,
      );
    },
  );
}

/** `ifeo-debugger`: any Image File Execution Options debugger, which runs instead of the program it names. */
function ifeoDebugger(ctx: Context): Hit[] {
  return rowsOf(ctx.store, 'startup_item', "json_extract(a.json, '$.mechanism') = 'ifeo_debugger'").map(
    (row) => {
      const r = parse<StartupItem>(row);
      return hitOf(
        'ifeo-debugger',
        'high',
        row,
        r,
        `starting ${r.name} runs ${r.command ?? '(nothing named)'} instead (Image File Execution Options debugger${r.registry_key ? ` in ${r.registry_key}` : ''})`,
      );
    },
  );
}

/**
 * Why a Windows path (`C:\…`, `\??\C:\…`, `%TEMP%\…`) is suspicious as
 * something that runs: under one of {@link WINDOWS_TEMP_DIRECTORIES}. Null
 * when it is not, or when it is not a Windows path.
 */
export function suspiciousWindowsPath(path: string): string | null {
  const lower = path
    .replaceAll('/', '\\')
    .replace(/^\\\?\?\\/, '')
    .toLowerCase();
  for (const [pattern, label] of WINDOWS_TEMP_PATTERNS) {
    if (pattern.test(lower)) return `under ${label}`;
  }
  return null;
}

/**
 * The Windows paths a command line names: quoted strings and words that
 * start with a drive (`C:\`) or an environment variable (`%TEMP%\`).
 */
export function windowsCommandPaths(command: string): string[] {
  const paths: string[] = [];
  const isPath = (word: string) => /^(?:\\\?\?\\)?[A-Za-z]:\\|^%[A-Za-z_()0-9]+%\\/.test(word);
  for (const quoted of command.matchAll(/"([^"]*)"/g)) {
    const text = quoted[1] ?? '';
    if (isPath(text)) paths.push(text);
  }
  const unquoted = command.replace(/"[^"]*"/g, ' ');
  for (const word of unquoted.split(/[\s,;|&()]+/)) {
    if (isPath(word)) paths.push(word);
  }
  return paths;
}

/**
 * Why an absolute path is suspicious as something that runs: under a temp
 * directory, or inside a hidden directory (a component starting with `.`
 * other than the last one); for a Windows path, {@link suspiciousWindowsPath}.
 * Null when it is not.
 */
export function suspiciousExecutablePath(path: string): string | null {
  if (!path.startsWith('/')) return suspiciousWindowsPath(path);
  const normal = posix.normalize(path);
  const reasons: string[] = [];
  const temp = TEMP_DIRECTORIES.find((dir) => normal.startsWith(`${dir}/`) && normal.length > dir.length + 1);
  if (temp !== undefined) reasons.push(`under ${temp}`);
  const directories = normal.split('/').slice(1, -1);
  const hidden = directories.find((part) => part.startsWith('.') && part !== '.' && part !== '..');
  if (hidden !== undefined) reasons.push(`in hidden directory ${hidden}`);
  return reasons.length === 0 ? null : reasons.join(', ');
}

/**
 * The absolute paths a command line names, skipping redirection targets
 * (`>/dev/null`, `2> /tmp/log`); surrounding quotes are dropped and
 * `NAME=/path` assignments give their value.
 */
export function commandPaths(command: string): string[] {
  const paths: string[] = [];
  let redirectNext = false;
  for (const raw of command.split(/[\s;|&()`]+/)) {
    if (raw === '') continue;
    if (/^\d*(?:<<?|>>?)$/.test(raw)) {
      redirectNext = true;
      continue;
    }
    if (redirectNext) {
      redirectNext = false;
      continue;
    }
    if (/^\d*[<>]/.test(raw)) continue;
    let word = unquoted(raw);
    const assignment = /^[A-Za-z_][A-Za-z0-9_]*=(.*)$/.exec(word);
    if (assignment) word = unquoted(assignment[1] ?? '');
    if (word.startsWith('/')) paths.push(word);
  }
  return paths;
}

/**
 * `word` without its leading and trailing quote characters, in linear time
 * (`/['"]+$/` is quadratic in a run of quotes inside a planted command line).
 */
function unquoted(word: string): string {
  const isQuote = (i: number) => {
    const c = word.charCodeAt(i);
    return c === 0x22 || c === 0x27;
  };
  let start = 0;
  let end = word.length;
  while (start < end && isQuote(start)) start++;
  while (end > start && isQuote(end - 1)) end--;
  return word.slice(start, end);
}

/** The suspicious paths among `candidates`, each once, with why. */
function suspiciousOf(candidates: readonly (string | null)[]): string[] {
  const found = new Map<string, string>();
  for (const path of candidates) {
    if (path === null || found.has(path)) continue;
    const why = suspiciousExecutablePath(path);
    if (why !== null) found.set(path, why);
  }
  return [...found].map(([path, why]) => `${path} (${why})`);
}

/** `runs-from-temp`: a startup item or process whose program lives in a temp or hidden directory. */
function runsFromTemp(ctx: Context): Hit[] {
  const out: Hit[] = [];
  for (const row of rowsOf(ctx.store, 'startup_item', '1')) {
    const r = parse<StartupItem>(row);
    const found = suspiciousOf([
      r.executable,
      ...(r.command === null ? [] : [...commandPaths(r.command), ...windowsCommandPaths(r.command)]),
    ]);
    if (found.length > 0) {
      out.push(
        hitOf(
          'runs-from-temp',
          'high',
          row,
          r,
          `${r.mechanism} ${r.name} (${r.path}) runs ${found.join(', ')}${r.command === null ? '' : `: ${r.command}`}`,
        ),
      );
    }
  }
  for (const row of rowsOf(ctx.store, 'process', "json_extract(a.json, '$.exe') IS NOT NULL")) {
    const r = parse<Process>(row);
    const found = suspiciousOf([r.exe]);
    if (found.length > 0) {
      out.push(
        hitOf(
          'runs-from-temp',
          'high',
          row,
          r,
          `process ${r.pid} (${r.name}${r.user === null ? '' : `, user ${r.user}`}) runs ${found.join(', ')}`,
        ),
      );
    }
  }
  return out;
}

/** `deleted-exe`: a process whose executable was deleted after it started. */
function deletedExe(ctx: Context): Hit[] {
  return rowsOf(ctx.store, 'process', "json_extract(a.json, '$.exe_deleted') = 1").map((row) => {
    const r = parse<Process>(row);
    const cmdline = r.cmdline.join(' ');
    return hitOf(
      'deleted-exe',
      'high',
      row,
      r,
      `process ${r.pid} (${r.name}${r.user === null ? '' : `, user ${r.user}`}) runs a deleted executable ${r.exe ?? '(unknown)'}${cmdline === '' ? '' : `: ${cmdline}`}`,
    );
  });
}

/** An address as compared by `login-new-address`: trimmed, lower case, IPv4-mapped IPv6 as IPv4. */
function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(lower);
  return mapped ? (mapped[1] ?? lower) : lower;
}

interface AddressSeen {
  readonly first: Row;
  readonly record: LoginEvent;
  readonly firstMs: number;
  count: number;
}

/**
 * `login-new-address`: per case and host, successful logins (`event` login,
 * `success` true) with a remote address and a time. The host's baseline is
 * the 24 hours from its earliest such login; an address whose first
 * successful login comes after the baseline is new, one hit per address, on
 * its earliest login record.
 */
function loginNewAddress(ctx: Context): Hit[] {
  const where = `json_extract(a.json, '$.event') = 'login' AND json_extract(a.json, '$.success') = 1
    AND json_extract(a.json, '$.remote_address') IS NOT NULL AND a.time IS NOT NULL`;
  const hosts = new Map<string, { startMs: number; start: string; addresses: Map<string, AddressSeen> }>();
  for (const row of rowsOf(ctx.store, 'login_event', where)) {
    const r = parse<LoginEvent>(row);
    const ms = Date.parse(r.time ?? '');
    const address = normaliseAddress(r.remote_address ?? '');
    if (Number.isNaN(ms) || address === '' || address === '0.0.0.0' || address === '::') continue;
    const key = `${row.case_id}\u0000${row.host}`;
    let host = hosts.get(key);
    if (!host) {
      host = { startMs: ms, start: r.time ?? '', addresses: new Map() };
      hosts.set(key, host);
    } else if (ms < host.startMs) {
      host.startMs = ms;
      host.start = r.time ?? '';
    }
    const seen = host.addresses.get(address);
    if (!seen) {
      host.addresses.set(address, { first: row, record: r, firstMs: ms, count: 1 });
    } else if (ms < seen.firstMs) {
      host.addresses.set(address, { first: row, record: r, firstMs: ms, count: seen.count + 1 });
    } else {
      seen.count++;
    }
  }
  const out: Hit[] = [];
  for (const host of hosts.values()) {
    const baselineEnd = host.startMs + LOGIN_BASELINE_MS;
    for (const [address, seen] of host.addresses) {
      if (seen.firstMs < baselineEnd) continue;
      const r = seen.record;
      const days = Math.floor((seen.firstMs - host.startMs) / DAY_MS);
      out.push(
        hitOf(
          'login-new-address',
          'medium',
          seen.first,
          r,
          `first successful login from ${address}${r.user === null ? '' : ` as ${r.user}`} at ${r.time}, ` +
            `${days} days after the host's earliest recorded remote login (${host.start}); ` +
            `${seen.count} successful login record${seen.count === 1 ? '' : 's'} from it`,
        ),
      );
    }
  }
  return out;
}

/**
 * `authorized-keys-recent`: an authorized_keys line whose file was modified
 * within `authorizedKeyDays` days before the collection ended (or at any
 * time after that, which a clock or a forged mtime would explain).
 */
function authorizedKeysRecent(ctx: Context): Hit[] {
  const out: Hit[] = [];
  for (const row of rowsOf(ctx.store, 'ssh_authorized_key', 'a.time IS NOT NULL')) {
    const r = parse<SshAuthorizedKey>(row);
    const mtime = Date.parse(r.file_mtime ?? '');
    const endedMs = row.ended_at === null ? Number.NaN : Date.parse(row.ended_at);
    const reference = Number.isNaN(endedMs) ? ctx.now().getTime() : endedMs;
    const referenceText = Number.isNaN(endedMs) ? 'now' : `the collection ended (${row.ended_at})`;
    if (Number.isNaN(mtime) || mtime < reference - ctx.authorizedKeyDays * DAY_MS) continue;
    const when =
      mtime > reference
        ? `after ${referenceText}`
        : `${((reference - mtime) / DAY_MS).toFixed(1)} days before ${referenceText}`;
    out.push(
      hitOf(
        'authorized-keys-recent',
        'medium',
        row,
        r,
        `${r.path} (user ${r.user ?? 'unknown'}) was modified ${r.file_mtime}, ${when}; line ${r.line}: ` +
          `${r.key_type} ${r.fingerprint}${r.comment === null ? '' : ` ${r.comment}`}` +
          `${r.options === null ? '' : ` with options ${r.options}`}`,
      ),
    );
  }
  return out;
}

function isLoopback(address: string): boolean {
  const lower = address.toLowerCase();
  return lower.startsWith('127.') || lower === '::1' || lower.startsWith('::ffff:127.');
}

/**
 * `unusual-listener`: a socket in state LISTEN (TCP) on a port outside
 * `expectedPorts`; medium, or low when bound to a loopback address only.
 */
function unusualListener(ctx: Context): Hit[] {
  const out: Hit[] = [];
  for (const row of rowsOf(ctx.store, 'network_connection', "json_extract(a.json, '$.state') = 'LISTEN'")) {
    const r = parse<NetworkConnection>(row);
    if (ctx.expectedPorts.has(r.local_port)) continue;
    const loopback = isLoopback(r.local_address);
    const by =
      r.process_name === null && r.pid === null
        ? 'by an unknown process'
        : `by ${r.process_name ?? 'pid'}${r.pid === null ? '' : ` (pid ${r.pid})`}`;
    const endpoint =
      r.family === 'ipv6' ? `[${r.local_address}]:${r.local_port}` : `${r.local_address}:${r.local_port}`;
    out.push(
      hitOf(
        'unusual-listener',
        loopback ? 'low' : 'medium',
        row,
        r,
        `${r.protocol} listener on ${endpoint}${loopback ? ' (loopback only)' : ''} ${by}` +
          `${r.uid === null ? '' : `, uid ${r.uid}`}`,
      ),
    );
  }
  return out;
}

const RULES: Readonly<Record<HitRule, (ctx: Context) => Hit[]>> = {
  'uid0-not-root': uid0NotRoot,
  'ld-preload': ldPreload,
  'ifeo-debugger': ifeoDebugger,
  'runs-from-temp': runsFromTemp,
  'deleted-exe': deletedExe,
  'login-new-address': loginNewAddress,
  'authorized-keys-recent': authorizedKeysRecent,
  'unusual-listener': unusualListener,
};

/**
 * Runs the built-in triage rules over the case database (read only).
 *
 * @param store - the case database
 * @param options - the clock, rule parameters and which rules to run
 * @returns the hits, most severe first; then by rule ({@link HIT_RULES} order), case, host and artifact id
 * @throws TriageError `INVALID_ARGUMENT` for an unknown rule, a negative or non-finite `authorizedKeyDays`, or a port outside 0–65535
 */
export function hits(store: CaseStore, options: HitsOptions = {}): Hit[] {
  const authorizedKeyDays = options.authorizedKeyDays ?? DEFAULT_AUTHORIZED_KEY_DAYS;
  if (!Number.isFinite(authorizedKeyDays) || authorizedKeyDays < 0) {
    throw new TriageError('INVALID_ARGUMENT', 'authorizedKeyDays must be a number of days, 0 or more.', {
      context: { authorizedKeyDays: String(authorizedKeyDays) },
    });
  }
  const expectedPorts = options.expectedPorts ?? EXPECTED_LISTEN_PORTS;
  for (const port of expectedPorts) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new TriageError('INVALID_ARGUMENT', `Expected port ${String(port)} is not a port (0-65535).`);
    }
  }
  const rules = options.rules ?? HIT_RULES;
  for (const rule of rules) {
    if (!Object.hasOwn(RULES, rule)) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        `Unknown rule ${JSON.stringify(rule)}; the rules are ${HIT_RULES.join(', ')}.`,
      );
    }
  }
  const ctx: Context = {
    store,
    now: options.now ?? store.now,
    authorizedKeyDays,
    expectedPorts: new Set(expectedPorts),
  };
  const selected = HIT_RULES.filter((rule) => rules.includes(rule));
  const found = selected.flatMap((rule) => RULES[rule](ctx));
  const ruleRank = (rule: HitRule) => HIT_RULES.indexOf(rule);
  return found.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      ruleRank(a.rule) - ruleRank(b.rule) ||
      compare(a.case, b.case) ||
      compare(a.host, b.host) ||
      a.artifactId - b.artifactId,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
