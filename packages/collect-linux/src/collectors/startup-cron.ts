/**
 * cron (system and user crontabs, the run-parts directories, anacron) and at jobs.
 */
import { posix } from 'node:path';
import type { StartupItem } from '@triage/artifact-schema';
import type { StartupScope } from './startup-common.js';

/** A parsed crontab line. */
export type CrontabLine =
  | {
      readonly type: 'job';
      /** The five time fields joined by one space, or the `@` keyword (`@reboot`). */
      readonly schedule: string;
      /** The user field of /etc/crontab and /etc/cron.d files; null in user crontabs. */
      readonly user: string | null;
      readonly command: string;
    }
  | { readonly type: 'env'; readonly name: string; readonly value: string }
  | { readonly type: 'invalid' };

const ENV_LINE = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;

/**
 * Parses one crontab line as cron(8) reads it. Blank lines and `#` comments
 * give null; `NAME=value` is an environment setting; `@keyword command` and
 * `m h dom mon dow command` are jobs, with a user field after the schedule
 * in system crontabs (`withUser`).
 *
 * @param line - one line, without its newline
 * @param withUser - true for /etc/crontab and /etc/cron.d, false for user crontabs
 * @returns the line's meaning, or null for blank and comment lines
 */
export function parseCrontabLine(line: string, withUser: boolean): CrontabLine | null {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  const env = ENV_LINE.exec(text);
  if (env) return { type: 'env', name: env[1] as string, value: unquote(env[2] as string) };
  let schedule: string;
  let rest: string;
  const special = /^(@[A-Za-z]+)\s+(.*)$/.exec(text);
  if (special) {
    schedule = special[1] as string;
    rest = special[2] as string;
  } else {
    const fields = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(text);
    if (!fields || !/^[\d*]/.test(fields[1] as string)) return { type: 'invalid' };
    schedule = fields.slice(1, 6).join(' ');
    rest = fields[6] as string;
  }
  let user: string | null = null;
  if (withUser) {
    const split = /^(\S+)\s+(.*)$/.exec(rest);
    if (!split) return { type: 'invalid' };
    user = split[1] as string;
    rest = split[2] as string;
  }
  const command = rest.trim();
  return command === '' ? { type: 'invalid' } : { type: 'job', schedule, user, command };
}

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0] ? v.slice(1, -1) : v;
}

/** A parsed /etc/anacrontab line. */
export type AnacrontabLine =
  | {
      readonly type: 'job';
      /** `every 1d, delay 5m` or `@monthly, delay 15m`. */
      readonly schedule: string;
      /** The job identifier, e.g. `cron.daily`. */
      readonly id: string;
      readonly command: string;
    }
  | { readonly type: 'env'; readonly name: string; readonly value: string }
  | { readonly type: 'invalid' };

/**
 * Parses one anacrontab(5) line: `period delay job-identifier command`, the
 * period in days or `@monthly`/`@weekly`/`@daily`/`@yearly`, the delay in minutes.
 *
 * @param line - one line, without its newline
 * @returns the line's meaning, or null for blank and comment lines
 */
export function parseAnacrontabLine(line: string): AnacrontabLine | null {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  const env = ENV_LINE.exec(text);
  if (env) return { type: 'env', name: env[1] as string, value: unquote(env[2] as string) };
  const m = /^(\d+|@[A-Za-z]+)\s+(\d+)\s+(\S+)\s+(\S.*)$/.exec(text);
  if (!m) return { type: 'invalid' };
  const period = m[1] as string;
  return {
    type: 'job',
    schedule: `${period.startsWith('@') ? period : `every ${period}d`}, delay ${m[2]}m`,
    id: m[3] as string,
    command: (m[4] as string).trim(),
  };
}

/** What an at(1) spool file says. */
export interface AtJob {
  /** From the `# atrun uid=N` header. */
  readonly uid: number | null;
  /** From the `# mail USER N` header: the submitting user. */
  readonly mailUser: string | null;
  /** The commands the user gave (the script's tail), or null when the file has none. */
  readonly command: string | null;
  /** 1-based line the commands start on. */
  readonly line: number | null;
}

/**
 * Parses an at job spool file. at(1) writes a header (`# atrun uid=`,
 * `# mail`), `umask`, exported environment, `cd DIR || { … }`, then the
 * user's commands, since at 3.1.14 wrapped in `${SHELL:-/bin/sh} << 'marcinDELIMITER…'`.
 * The command is that tail, the here-document wrapper removed. A file
 * without the `cd … || {` block (another at implementation) gives everything
 * after the leading comments.
 *
 * @param text - the spool file's text
 */
export function parseAtJob(text: string): AtJob {
  const lines = text.split(/\r?\n/);
  const uid = /^# atrun uid=(\d+)/m.exec(text);
  const mail = /^# mail\s+(\S+)/m.exec(text);
  let start = lines.findIndex((l) => l.includes('Execution directory inaccessible'));
  if (start >= 0) {
    const close = lines.findIndex((l, i) => i > start && l.trim() === '}');
    start = close < 0 ? lines.length : close + 1;
  } else {
    start = 0;
    while (start < lines.length && (lines[start] as string).startsWith('#')) start++;
  }
  let end = lines.length;
  const heredoc = /<<\s*'?([A-Za-z0-9_]+)'?\s*$/.exec(lines[start] ?? '');
  if (heredoc && /^\$\{SHELL/.test(lines[start] as string)) {
    const close = lines.findIndex((l, i) => i > start && l === heredoc[1]);
    if (close > start) {
      start++;
      end = close;
    }
  }
  while (start < end && (lines[start] as string).trim() === '') start++;
  while (end > start && (lines[end - 1] as string).trim() === '') end--;
  const command = start < end ? lines.slice(start, end).join('\n') : null;
  return {
    uid: uid ? Number(uid[1]) : null,
    mailUser: mail ? (mail[1] as string) : null,
    command,
    line: command === null ? null : start + 1,
  };
}

/**
 * When an at job runs, from its spool file name: queue letter, 5 hex digits
 * of job number, 8 hex digits of minutes since the epoch (`a0000101c8f3a0`).
 *
 * @returns the ISO time, or null for a name of another form
 */
export function atJobTime(fileName: string): string | null {
  const m = /^[a-zA-Z=][0-9a-f]{5}([0-9a-f]{8})$/.exec(fileName);
  return m ? new Date(Number.parseInt(m[1] as string, 16) * 60_000).toISOString() : null;
}

/** run-parts runs only executable files whose names are letters, digits, `_` and `-` (Debian's rule). */
const RUN_PARTS_NAME = /^[A-Za-z0-9_-]+$/;

/**
 * Yields cron items: one per job line of /etc/crontab, /etc/cron.d/* (user
 * from the line), user crontabs in /var/spool/cron/crontabs, /var/spool/cron/tabs
 * and /var/spool/cron (user = the file's name), and /etc/anacrontab; and one
 * per file of /etc/cron.{hourly,daily,weekly,monthly} (`enabled`: run-parts
 * would run it — executable and a plain name). Environment lines are not
 * items. Lines cron would reject are counted in the log, not reported.
 */
export async function* cronItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const tabs: { path: string; withUser: boolean; user: string | null }[] = [
    { path: '/etc/crontab', withUser: true, user: null },
  ];
  for (const f of await scope.files('/etc/cron.d')) tabs.push({ path: f.path, withUser: true, user: null });
  const seen = new Set<string>();
  for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron/tabs', '/var/spool/cron']) {
    const id = await scope.identity(dir);
    if (seen.has(id)) continue;
    seen.add(id);
    for (const f of await scope.files(dir, (n) => !n.startsWith('.'))) {
      tabs.push({ path: f.path, withUser: false, user: f.name });
    }
  }
  for (const tab of tabs) yield* crontabItems(scope, tab.path, tab.withUser, tab.user);

  for (const period of ['hourly', 'daily', 'weekly', 'monthly']) {
    for (const f of await scope.files(`/etc/cron.${period}`)) {
      scope.noteMtime(f.path, f.stats);
      yield await scope.item({
        mechanism: 'cron',
        name: f.name,
        path: f.path,
        user: null,
        command: f.path,
        executable: f.path,
        schedule: `@${period}`,
        enabled: (f.stats.mode & 0o111) !== 0 && RUN_PARTS_NAME.test(f.name),
        line: null,
      });
    }
  }

  const anacrontab = '/etc/anacrontab';
  const text = await scope.read(anacrontab);
  if (text !== null) {
    let invalid = 0;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const parsed = parseAnacrontabLine(lines[i] as string);
      if (parsed?.type === 'invalid') invalid++;
      if (parsed?.type !== 'job') continue;
      yield await scope.item({
        mechanism: 'cron',
        name: `${anacrontab}:${i + 1}`,
        path: anacrontab,
        user: null,
        command: parsed.command,
        executable: await scope.executable(parsed.command),
        schedule: parsed.schedule,
        enabled: null,
        line: i + 1,
      });
    }
    if (invalid > 0) scope.ctx.log(`${anacrontab}: ${invalid} lines not understood, skipped`);
  }
}

async function* crontabItems(
  scope: StartupScope,
  path: string,
  withUser: boolean,
  fileUser: string | null,
): AsyncGenerator<StartupItem> {
  const text = await scope.read(path);
  if (text === null) return;
  let invalid = 0;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const parsed = parseCrontabLine(lines[i] as string, withUser);
    if (parsed?.type === 'invalid') invalid++;
    if (parsed?.type !== 'job') continue;
    yield await scope.item({
      mechanism: 'cron',
      name: `${path}:${i + 1}`,
      path,
      user: parsed.user ?? fileUser,
      command: parsed.command,
      executable: await scope.executable(parsed.command),
      schedule: parsed.schedule,
      enabled: null,
      line: i + 1,
    });
  }
  if (invalid > 0) scope.ctx.log(`${path}: ${invalid} lines not understood, skipped`);
}

/**
 * Yields one `at_job` item per job in /var/spool/cron/atjobs (Debian) or
 * /var/spool/at (Red Hat): `schedule` from the file name, `user` from the
 * `# atrun uid=` header (the `# mail` name when the uid has no account),
 * `command` the job's commands, `enabled` the owner execute bit: at(1)
 * sets it once the job file is complete and atd runs only files that have it.
 */
export async function* atItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const seen = new Set<string>();
  for (const dir of ['/var/spool/cron/atjobs', '/var/spool/at']) {
    const id = await scope.identity(dir);
    if (seen.has(id)) continue;
    seen.add(id);
    for (const f of await scope.files(dir, (n) => !n.startsWith('.'))) {
      scope.noteMtime(f.path, f.stats);
      const text = await scope.read(f.path);
      if (text === null) continue;
      const job = parseAtJob(text);
      const firstLine = job.command?.split('\n')[0] ?? null;
      yield await scope.item({
        mechanism: 'at_job',
        name: posix.basename(f.path),
        path: f.path,
        user: (job.uid === null ? null : await scope.ctx.userName(job.uid)) ?? job.mailUser,
        command: job.command,
        executable: await scope.executable(firstLine),
        schedule: atJobTime(f.name),
        enabled: (f.stats.mode & 0o100) !== 0,
        line: job.line,
      });
    }
  }
}
