import { TriageError } from '@triage/errors';
import type { CollectContext, Collector } from '../context.js';
import {
  isLineProblem,
  isNisEntry,
  type LineProblem,
  parseGroupLine,
  parsePasswdLine,
  parseShadowLine,
  type ShadowEntry,
} from '../parsers/accounts.js';

function lineError(path: string, line: number, problem: LineProblem): TriageError {
  return new TriageError('DATA_INVALID', `${path} line ${line}: ${problem.problem}; skipped`, {
    context: { path, line },
  });
}

/**
 * Reads /etc/shadow into status and aging per user. Returns null when it
 * cannot be read (reported) or does not exist (logged): every account is
 * then `unknown`. The hashes are dropped by the parser, line by line.
 */
async function readShadow(ctx: CollectContext): Promise<Map<string, ShadowEntry> | null> {
  const path = '/etc/shadow';
  const out = new Map<string, ShadowEntry>();
  try {
    if ((await ctx.stat(path)) === null) {
      ctx.log(`no ${path}; password status unknown`);
      return null;
    }
    let number = 0;
    for await (const line of ctx.lines(path)) {
      number++;
      const entry = parseShadowLine(line);
      if (entry === null) continue;
      if (isLineProblem(entry)) ctx.error(path, lineError(path, number, entry));
      else if (!out.has(entry.username)) out.set(entry.username, entry);
    }
    return out;
  } catch (error) {
    ctx.error(path, error);
    return null;
  }
}

/**
 * `user_account` and `group`: every account in /etc/passwd with its
 * password status and aging from /etc/shadow, and every group in /etc/group.
 *
 * Password hashes never leave the parser: a record, error or log line holds
 * only `set`, `locked`, `empty`, `disabled` or `unknown`. An unreadable
 * shadow is reported once and makes every status `unknown`; a passwd
 * password field other than `x` (a hash or empty field kept in passwd
 * itself, which login honours) is classified the same way. Malformed lines
 * are reported by line number and skipped; NIS `+`/`-` entries are counted in
 * the log.
 */
export const accountsCollector: Collector = {
  name: 'accounts',
  kinds: ['user_account', 'group'],
  liveOnly: false,
  async *collect(ctx) {
    const shadow = await readShadow(ctx);
    const passwd = '/etc/passwd';
    let number = 0;
    let nis = 0;
    try {
      for await (const line of ctx.lines(passwd)) {
        number++;
        if (isNisEntry(line)) nis++;
        const entry = parsePasswdLine(line);
        if (entry === null) continue;
        if (isLineProblem(entry)) {
          ctx.error(passwd, lineError(passwd, number, entry));
          continue;
        }
        const aging = entry.shadowed ? shadow?.get(entry.username) : undefined;
        yield ctx.record('user_account', passwd, {
          username: entry.username,
          uid: entry.uid,
          gid: entry.gid,
          gecos: entry.gecos,
          home: entry.home,
          shell: entry.shell,
          password_status: entry.status ?? aging?.status ?? 'unknown',
          last_change: aging?.lastChange ?? null,
          min_days: aging?.minDays ?? null,
          max_days: aging?.maxDays ?? null,
          warn_days: aging?.warnDays ?? null,
          inactive_days: aging?.inactiveDays ?? null,
          expires: aging?.expires ?? null,
        });
      }
    } catch (error) {
      ctx.error(passwd, error);
    }
    if (nis > 0) ctx.log(`${passwd}: ${nis} NIS compatibility entries not expanded`);

    const group = '/etc/group';
    number = 0;
    try {
      for await (const line of ctx.lines(group)) {
        number++;
        const entry = parseGroupLine(line);
        if (entry === null) continue;
        if (isLineProblem(entry)) {
          ctx.error(group, lineError(group, number, entry));
          continue;
        }
        yield ctx.record('group', group, { name: entry.name, gid: entry.gid, members: [...entry.members] });
      }
    } catch (error) {
      ctx.error(group, error);
    }
  },
};
