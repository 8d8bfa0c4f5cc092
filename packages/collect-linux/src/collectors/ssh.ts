import type { ArtifactRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { CollectContext, Collector } from '../context.js';
import { regularFile } from '../io.js';
import { withoutTrailingSlashes } from '../parsers/paths.js';
import { parseAuthorizedKeyLine, parseKnownHostLine } from '../parsers/ssh-keys.js';
import { expandAuthorizedKeysPath, parseSshdConfig } from '../parsers/sshd-config.js';

/** sshd's default AuthorizedKeysFile. */
const DEFAULT_AUTHORIZED_KEYS = ['.ssh/authorized_keys', '.ssh/authorized_keys2'];
const MAX_INCLUDE_DEPTH = 16;

interface SshdSettings {
  authorizedKeysFile: string[] | null;
  authorizedKeysCommand: string | null;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Follows sshd_config and its Includes in order; the first value of a keyword wins, as in sshd. */
async function readSshdConfig(
  ctx: CollectContext,
  path: string,
  settings: SshdSettings,
  depth: number,
): Promise<void> {
  if (depth > MAX_INCLUDE_DEPTH) {
    ctx.log(`${path}: Include nested more than ${MAX_INCLUDE_DEPTH} deep; not followed`);
    return;
  }
  let text: string | null;
  try {
    text = await ctx.readText(path, 1024 * 1024);
  } catch (error) {
    ctx.error(path, error);
    return;
  }
  if (text === null) return;
  for (const directive of parseSshdConfig(text)) {
    if (directive.keyword === 'authorizedkeysfile' && settings.authorizedKeysFile === null) {
      settings.authorizedKeysFile = [...directive.args];
    } else if (directive.keyword === 'authorizedkeyscommand' && settings.authorizedKeysCommand === null) {
      settings.authorizedKeysCommand = directive.args.join(' ');
    } else if (directive.keyword === 'include') {
      for (const arg of directive.args) {
        const pattern = arg.startsWith('/') ? arg : `/etc/ssh/${arg}`;
        const slash = pattern.lastIndexOf('/');
        const dir = pattern.slice(0, slash) || '/';
        const name = pattern.slice(slash + 1);
        if (/[*?[]/.test(dir)) {
          ctx.log(`${path} line ${directive.line}: Include with a wildcard directory not followed`);
          continue;
        }
        const files = /[*?]/.test(name)
          ? (await ctx.list(dir)).filter((n) => globToRegExp(name).test(n)).map((n) => `${dir}/${n}`)
          : [pattern];
        for (const file of files) await readSshdConfig(ctx, file, settings, depth + 1);
      }
    }
  }
}

/** The key files to read per account: sshd's defaults plus what sshd_config names. */
async function authorizedKeysPatterns(ctx: CollectContext): Promise<string[]> {
  const settings: SshdSettings = { authorizedKeysFile: null, authorizedKeysCommand: null };
  await readSshdConfig(ctx, '/etc/ssh/sshd_config', settings, 0);
  if (settings.authorizedKeysCommand !== null && settings.authorizedKeysCommand !== 'none') {
    ctx.log(
      `sshd_config sets AuthorizedKeysCommand ${settings.authorizedKeysCommand}; keys it returns are not collected`,
    );
  }
  const configured = (settings.authorizedKeysFile ?? []).filter((p) => p !== 'none');
  const extra = configured.filter((p) => !DEFAULT_AUTHORIZED_KEYS.includes(p));
  if (extra.length > 0) ctx.log(`sshd_config AuthorizedKeysFile adds ${extra.join(' ')}`);
  return [...DEFAULT_AUTHORIZED_KEYS, ...extra];
}

function lineError(path: string, line: number, problem: string): TriageError {
  return new TriageError('DATA_INVALID', `${path} line ${line}: ${problem}; skipped`, {
    context: { path, line },
  });
}

async function* authorizedKeys(
  ctx: CollectContext,
  path: string,
  user: string | null,
): AsyncGenerator<ArtifactRecord> {
  const stats = await regularFile(ctx, path);
  if (stats === null) return;
  const fileMtime = stats.mtime.toISOString();
  let number = 0;
  for await (const line of ctx.lines(path)) {
    number++;
    const key = parseAuthorizedKeyLine(line);
    if (key === null) continue;
    if ('problem' in key) {
      ctx.error(path, lineError(path, number, key.problem));
      continue;
    }
    yield ctx.record('ssh_authorized_key', path, {
      user,
      path,
      line: number,
      key_type: key.keyType,
      fingerprint: key.fingerprint,
      comment: key.comment,
      options: key.options,
      file_mtime: fileMtime,
    });
  }
}

async function* knownHosts(
  ctx: CollectContext,
  path: string,
  user: string | null,
): AsyncGenerator<ArtifactRecord> {
  if ((await regularFile(ctx, path)) === null) return;
  let number = 0;
  for await (const line of ctx.lines(path)) {
    number++;
    const entry = parseKnownHostLine(line);
    if (entry === null) continue;
    if ('problem' in entry) {
      ctx.error(path, lineError(path, number, entry.problem));
      continue;
    }
    yield ctx.record('ssh_known_host', path, {
      user,
      path,
      line: number,
      hosts: entry.hosts,
      hashed: entry.hashed,
      key_type: entry.keyType,
      fingerprint: entry.fingerprint,
      marker: entry.marker,
    });
  }
}

function joinHome(home: string, relative: string): string {
  return `${withoutTrailingSlashes(home)}/${relative}`;
}

/**
 * `ssh_authorized_key` and `ssh_known_host`.
 *
 * Authorized keys: for every account in /etc/passwd, `.ssh/authorized_keys`
 * and `.ssh/authorized_keys2` in its home plus any other AuthorizedKeysFile
 * sshd_config (and the files it Includes) sets outside Match blocks, with
 * `%h`, `%u`, `%U` expanded; /root/.ssh as well when no account has /root as
 * home. An AuthorizedKeysCommand is noted in the log. Known hosts:
 * `.ssh/known_hosts` and `known_hosts2` of every home, and
 * /etc/ssh/ssh_known_hosts and `ssh_known_hosts2` (user null).
 *
 * Each file is read once even when accounts share a home (the first account
 * in passwd order is its user). A malformed line is reported with the path
 * and line number, never its text, and the rest of the file is read.
 */
export const sshCollector: Collector = {
  name: 'ssh',
  kinds: ['ssh_authorized_key', 'ssh_known_host'],
  liveOnly: false,
  async *collect(ctx) {
    const accounts = await ctx.accounts();
    const patterns = await authorizedKeysPatterns(ctx);
    const keyFiles = new Map<string, string | null>();
    const homes = new Map<string, string | null>();
    for (const account of accounts) {
      if (!account.home.startsWith('/')) continue;
      if (!homes.has(account.home)) homes.set(account.home, account.name);
      for (const pattern of patterns) {
        const path = expandAuthorizedKeysPath(pattern, account);
        if (path !== null && !keyFiles.has(path)) keyFiles.set(path, account.name);
      }
    }
    if (!homes.has('/root')) {
      homes.set('/root', null);
      for (const name of DEFAULT_AUTHORIZED_KEYS) keyFiles.set(joinHome('/root', name), null);
    }
    for (const [path, user] of keyFiles) {
      try {
        yield* authorizedKeys(ctx, path, user);
      } catch (error) {
        ctx.error(path, error);
      }
    }
    const knownHostFiles: Array<[string, string | null]> = [];
    for (const [home, user] of homes) {
      knownHostFiles.push(
        [joinHome(home, '.ssh/known_hosts'), user],
        [joinHome(home, '.ssh/known_hosts2'), user],
      );
    }
    knownHostFiles.push(['/etc/ssh/ssh_known_hosts', null], ['/etc/ssh/ssh_known_hosts2', null]);
    const seen = new Set<string>();
    for (const [path, user] of knownHostFiles) {
      if (seen.has(path)) continue;
      seen.add(path);
      try {
        yield* knownHosts(ctx, path, user);
      } catch (error) {
        ctx.error(path, error);
      }
    }
  },
};
