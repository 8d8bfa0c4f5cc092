import { lstat, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ArtifactRecord } from '@triage/artifact-schema';
import type { CollectContext, Collector } from '../context.js';
import { openChunks, regularFile } from '../io.js';
import { decodeUtf8, splitByteLines } from '../parsers/chunks.js';
import {
  type HistoryCommand,
  type Lines,
  parseBashHistory,
  parseFishHistory,
  parsePlainHistory,
  parseZshHistory,
  unmetafyZsh,
} from '../parsers/history.js';
import { withoutTrailingSlashes } from '../parsers/paths.js';

type Parser = (lines: Lines) => AsyncGenerator<HistoryCommand>;

/** The history files read in each home: path relative to the home, the `shell` value, the parser. */
export const HISTORY_FILES: ReadonlyArray<{
  readonly file: string;
  readonly shell: string;
  readonly parse: Parser;
  readonly zsh?: boolean;
}> = [
  { file: '.bash_history', shell: 'bash', parse: parseBashHistory },
  { file: '.zsh_history', shell: 'zsh', parse: parseZshHistory, zsh: true },
  { file: '.zhistory', shell: 'zsh', parse: parseZshHistory, zsh: true },
  { file: '.sh_history', shell: 'sh', parse: parsePlainHistory },
  { file: '.ash_history', shell: 'ash', parse: parsePlainHistory },
  { file: '.local/share/fish/fish_history', shell: 'fish', parse: parseFishHistory },
  { file: '.python_history', shell: 'python', parse: parsePlainHistory },
  { file: '.mysql_history', shell: 'mysql', parse: parsePlainHistory },
  { file: '.psql_history', shell: 'psql', parse: parsePlainHistory },
];

async function* fileLines(ctx: CollectContext, path: string, zsh: boolean): AsyncGenerator<string> {
  const chunks = await openChunks(ctx, path);
  if (chunks === null) return;
  for await (const line of splitByteLines(chunks))
    yield decodeUtf8(zsh ? unmetafyZsh(line.bytes) : line.bytes);
}

/**
 * A history file that is a symlink (to /dev/null, classically, so the shell
 * keeps nothing) is itself a finding: it goes to the log.
 */
async function noteSymlink(ctx: CollectContext, path: string): Promise<void> {
  try {
    const parent = await ctx.hostPath(posix.dirname(path));
    const at = posix.join(parent, posix.basename(path));
    if ((await lstat(at)).isSymbolicLink()) ctx.log(`${path} is a symlink to ${await readlink(at)}`);
  } catch {
    // Missing or unreadable: the read below reports what matters.
  }
}

function iso(seconds: number | null): string | null {
  if (seconds === null || seconds <= 0) return null;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

async function* historyFile(
  ctx: CollectContext,
  path: string,
  user: string | null,
  spec: (typeof HISTORY_FILES)[number],
): AsyncGenerator<ArtifactRecord> {
  await noteSymlink(ctx, path);
  if ((await regularFile(ctx, path)) === null) return;
  for await (const entry of spec.parse(fileLines(ctx, path, spec.zsh === true))) {
    yield ctx.record('shell_history_entry', path, {
      user,
      shell: spec.shell,
      path,
      line: entry.line,
      command: entry.command,
      time: iso(entry.time),
    });
  }
}

/**
 * `shell_history_entry`: every command in the history files of every home
 * in /etc/passwd (each home once; the first account in passwd order is its
 * user), and /root when no account has it: bash (with `#<epoch>` times),
 * zsh (extended format, multi-line commands, metafied bytes), sh, ash, fish
 * (with `when:` times), python, mysql and psql (libedit escapes decoded).
 * Files are streamed; a line longer than 1 MiB is cut. A history file that
 * is a symlink, or not a regular file, is noted in the log.
 */
export const historyCollector: Collector = {
  name: 'history',
  kinds: ['shell_history_entry'],
  liveOnly: false,
  async *collect(ctx) {
    const homes = new Map<string, string | null>();
    for (const account of await ctx.accounts()) {
      if (account.home.startsWith('/') && !homes.has(account.home)) homes.set(account.home, account.name);
    }
    if (!homes.has('/root')) homes.set('/root', null);
    for (const [home, user] of homes) {
      for (const spec of HISTORY_FILES) {
        const path = `${withoutTrailingSlashes(home)}/${spec.file}`;
        try {
          yield* historyFile(ctx, path, user, spec);
        } catch (error) {
          ctx.error(path, error);
        }
      }
    }
  },
};
