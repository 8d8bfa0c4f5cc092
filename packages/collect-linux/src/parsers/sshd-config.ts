/**
 * The parts of sshd_config that say where authorized keys live. Pure
 * functions.
 */

import { withoutTrailingSlashes } from './paths.js';

/** One directive of the unconditional part of an sshd_config file. */
export interface SshdDirective {
  /** Lower-cased keyword, e.g. `authorizedkeysfile`. */
  readonly keyword: string;
  /** Arguments with quotes removed. */
  readonly args: readonly string[];
  /** 1-based line number. */
  readonly line: number;
}

/** Splits an argument string the way sshd does: blanks separate, double quotes group, `#` starts a comment. */
function splitArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inArg = false;
  let quoted = false;
  for (const c of text) {
    if (quoted) {
      if (c === '"') quoted = false;
      else current += c;
      continue;
    }
    if (c === '"') {
      quoted = true;
      inArg = true;
    } else if (c === ' ' || c === '\t') {
      if (inArg) args.push(current);
      current = '';
      inArg = false;
    } else if (c === '#' && !inArg) {
      break;
    } else {
      current += c;
      inArg = true;
    }
  }
  if (inArg) args.push(current);
  return args;
}

/**
 * The directives of an sshd_config file up to its first `Match` block
 * (what follows applies only to some connections).
 *
 * @param text - the file's contents
 */
export function parseSshdConfig(text: string): SshdDirective[] {
  const out: SshdDirective[] = [];
  const lines = text.split('\n');
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(line) ?? /^([A-Za-z]+)()$/.exec(line);
    if (!m) continue;
    const keyword = (m[1] as string).toLowerCase();
    if (keyword === 'match') break;
    out.push({ keyword, args: splitArgs(m[2] as string), line: index + 1 });
  }
  return out;
}

/**
 * Expands the `%` tokens of an AuthorizedKeysFile path and makes it absolute
 * (relative paths are under the home directory), as sshd does.
 *
 * @param pattern - e.g. `.ssh/authorized_keys`, `/etc/ssh/keys/%u`
 * @param user - the account
 * @returns the path, or null when it uses a token sshd would reject
 */
export function expandAuthorizedKeysPath(
  pattern: string,
  user: { readonly name: string; readonly uid: number; readonly home: string },
): string | null {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c !== '%') {
      out += c;
      continue;
    }
    const token = pattern[++i];
    if (token === '%') out += '%';
    else if (token === 'h') out += user.home;
    else if (token === 'u') out += user.name;
    else if (token === 'U') out += String(user.uid);
    else return null;
  }
  if (out.startsWith('/')) return out;
  return `${withoutTrailingSlashes(user.home)}/${out}`;
}
