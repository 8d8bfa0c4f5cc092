/**
 * Pure parsers for /proc/[pid]/stat, /proc/[pid]/status, /proc/[pid]/cmdline
 * and /proc/stat. No file access: the processes collector reads, these parse.
 */

/**
 * Clock ticks per second of the starttime field of /proc/[pid]/stat
 * (`sysconf(_SC_CLK_TCK)`, USER_HZ). Node cannot call sysconf; USER_HZ is
 * 100 on every mainstream Linux architecture (x86, x86_64, arm, arm64,
 * ppc64, s390x, riscv), so it is assumed rather than measured.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/[pid]/stat the collector uses. */
export interface ProcStat {
  readonly pid: number;
  /** The command name, between the first `(` and the last `)`; may hold spaces and parentheses. */
  readonly comm: string;
  /** One letter: R, S, D, Z, T, t, X, I, … */
  readonly state: string;
  readonly ppid: number;
  /** Clock ticks after boot when the process started. */
  readonly startTicks: number;
}

/**
 * Parses /proc/[pid]/stat. The command name is cut at the last `)` because
 * a process may name itself `a) S 1 (b` to fool naive splitting.
 *
 * @param text - the file's contents
 * @returns the fields, or null when the text is not a stat line
 */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open <= 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ")": field 3 (state) is index 0, so field N is index N - 3.
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const state = rest[0];
  const ppid = Number(rest[1]);
  const startTicks = Number(rest[19]);
  if (!Number.isSafeInteger(pid) || state === undefined || !Number.isSafeInteger(ppid)) return null;
  if (!Number.isSafeInteger(startTicks)) return null;
  return { pid, comm: text.slice(open + 1, close), state, ppid, startTicks };
}

/**
 * The real uid from the `Uid:` line of /proc/[pid]/status (real, effective,
 * saved, filesystem).
 *
 * @returns the real uid, or null when the line is missing
 */
export function parseStatusUid(text: string): number | null {
  const m = /^Uid:\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * The boot time from the `btime` line of /proc/stat, in seconds since the epoch.
 *
 * @returns the seconds, or null when the line is missing
 */
export function parseBootTime(text: string): number | null {
  const m = /^btime\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : null;
}

/**
 * When a process started: boot time plus its start ticks.
 *
 * @param bootSeconds - /proc/stat btime
 * @param startTicks - field 22 of /proc/[pid]/stat
 * @returns ISO time in UTC
 */
export function processStartTime(bootSeconds: number, startTicks: number): string {
  return new Date(
    bootSeconds * 1000 + Math.round((startTicks * 1000) / CLOCK_TICKS_PER_SECOND),
  ).toISOString();
}

/**
 * Splits /proc/[pid]/cmdline at NUL bytes. Kernel threads have an empty
 * file. A process that set its title (nginx, postgres, node's
 * `process.title`) leaves the rest of its argument area as NULs, which would
 * read as a tail of empty arguments: trailing empty strings are dropped (a
 * genuine trailing `""` argument is lost with them, an accepted trade). A
 * title written with spaces instead of NULs stays one string, as `ps` shows it.
 *
 * @param bytes - the file's bytes
 * @returns the arguments, possibly none
 */
export function parseCmdline(bytes: Uint8Array): string[] {
  const parts = new TextDecoder().decode(bytes).split('\0');
  while (parts.length > 0 && parts.at(-1) === '') parts.pop();
  return parts;
}

const DELETED = ' (deleted)';

/**
 * Splits the target of /proc/[pid]/exe into the path and whether the file was deleted.
 *
 * @param target - what readlink returned, e.g. `/tmp/x (deleted)`
 */
export function parseExeLink(target: string): { readonly path: string; readonly deleted: boolean } {
  return target.endsWith(DELETED)
    ? { path: target.slice(0, -DELETED.length), deleted: true }
    : { path: target, deleted: false };
}
