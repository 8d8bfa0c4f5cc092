/**
 * Command-line helpers shared by the startup sources: splitting a command into
 * words and finding the program it runs. Pure except for the `isFile` lookup
 * the caller passes in, so tests need no file system.
 */
import { posix } from 'node:path';

/**
 * The directories searched, in order, for a command given without a slash:
 * the default PATH of cron and of systemd's ExecStart search.
 */
export const SEARCH_DIRS: readonly string[] = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Splits a command line into words the way a shell would for simple cases:
 * whitespace separates words, single and double quotes group, a backslash
 * escapes the next character (inside double quotes only before `"`, `\`, `$`
 * and a backtick). Unterminated quotes end at the end of the text. Nothing
 * is expanded.
 *
 * @param command - the command text
 * @returns the words, without quotes
 */
export function splitWords(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i] as string;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1] as string))
        word += command[++i];
      else word += c;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'" || c === '"') quote = c;
    else if (c === '\\' && i + 1 < command.length) word += command[++i];
    else word += c;
  }
  if (inWord) words.push(word);
  return words;
}

/** Looks a path up inside the collected root: true when it is (or links to) a regular file. */
export type IsFile = (path: string) => Promise<boolean>;

/** Options for {@link resolveExecutable}. */
export interface ResolveOptions {
  /** Tried before {@link SEARCH_DIRS} for a bare program name (udev: `/usr/lib/udev`). */
  readonly firstDirs?: readonly string[];
}

const ABSOLUTE_IN_TEXT = /(?:^|[\s;|&(`'"=])(\/[^\s;|&()`'"<>]+)/g;

/**
 * Finds the program a command runs, as an absolute path inside the root:
 *
 * - leading `NAME=value` assignments and an `env` wrapper (with its options
 *   and assignments) are skipped;
 * - an absolute first word is the program;
 * - a shell with `-c` (`sh -c`, `bash -lc`…): the first absolute path in the
 *   script that is not a directory, else the script's first word searched as
 *   below, else the shell itself;
 * - a bare name is searched in `firstDirs` then {@link SEARCH_DIRS} with `isFile`;
 * - anything else (`./x`, `$HOME/x`, `%h/x`, a builtin such as `cd`) is null.
 *
 * Kept deliberately simple: it does not expand variables or follow `&&`.
 *
 * @param command - the command text as the source wrote it
 * @param isFile - tells whether a path inside the root is a regular file
 * @param options - extra directories to search first
 * @returns the absolute program path, or null when it cannot be told
 */
export async function resolveExecutable(
  command: string,
  isFile: IsFile,
  options: ResolveOptions = {},
): Promise<string | null> {
  const words = splitWords(command);
  let i = 0;
  while (i < words.length && ASSIGNMENT.test(words[i] as string)) i++;
  if (i < words.length && posix.basename(words[i] as string) === 'env') {
    i++;
    while (i < words.length && (ASSIGNMENT.test(words[i] as string) || (words[i] as string).startsWith('-')))
      i++;
  }
  const first = words[i];
  if (first === undefined || first === '') return null;
  const program = first.startsWith('/') ? posix.normalize(first) : await search(first, isFile, options);
  const script = shellScript(words.slice(i));
  if (script === null) return program;
  for (const match of script.matchAll(ABSOLUTE_IN_TEXT)) {
    const candidate = posix.normalize(match[1] as string);
    if (candidate !== '/' && (await isFile(candidate))) return candidate;
  }
  const inner = splitWords(script).find((w) => !ASSIGNMENT.test(w));
  const innerProgram =
    inner === undefined || inner.startsWith('/') ? null : await search(inner, isFile, options);
  return innerProgram ?? program;
}

/** The script of `sh -c SCRIPT` (also `bash -lc`, `sh -e -c`), or null when `words` is no such call. */
function shellScript(words: readonly string[]): string | null {
  const shell = posix.basename(words[0] ?? '');
  if (!SHELLS.has(shell)) return null;
  let i = shell === 'busybox' ? 2 : 1;
  if (shell === 'busybox' && !SHELLS.has(words[1] ?? '')) return null;
  for (; i < words.length; i++) {
    const word = words[i] as string;
    if (!word.startsWith('-')) return null;
    if (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(word)) return words[i + 1] ?? null;
  }
  return null;
}

async function search(name: string, isFile: IsFile, options: ResolveOptions): Promise<string | null> {
  if (name.includes('/') || name.includes('$') || name.includes('%') || name.includes('`')) return null;
  for (const dir of [...(options.firstDirs ?? []), ...SEARCH_DIRS]) {
    const candidate = posix.join(dir, name);
    if (await isFile(candidate)) return candidate;
  }
  return null;
}
