/**
 * /etc/passwd, /etc/shadow and /etc/group lines, and os-release. Password
 * hashes are classified and dropped here: no parser result holds one, so
 * nothing downstream can leak it. Pure functions.
 */

/** How a password field lets the account log in. */
export type PasswordStatus = 'set' | 'locked' | 'empty' | 'disabled' | 'unknown';

/** A problem with a line, by kind only (never the line). */
export interface LineProblem {
  readonly problem: string;
}

/**
 * Classifies a password field of shadow (or of passwd, for accounts not in
 * shadow) without keeping it:
 * - `empty`: the field is empty, so no password is asked for;
 * - `locked`: `!` (or `!!`…) in front of a hash, as `passwd -l` leaves it;
 * - `disabled`: `*`, `!`, `!!`, `*LK*`, `!*`: no hash at all;
 * - `set`: anything else (a crypt hash).
 *
 * @param field - the second field of the line
 */
export function passwordStatus(field: string): Exclude<PasswordStatus, 'unknown'> {
  if (field === '') return 'empty';
  if (field.startsWith('!')) {
    const rest = field.replace(/^!+/, '');
    return rest === '' || rest.startsWith('*') ? 'disabled' : 'locked';
  }
  if (field.startsWith('*')) return 'disabled';
  return 'set';
}

/** A passwd line, with the password field reduced to what it means. */
export interface PasswdEntry {
  readonly username: string;
  /** True when the password field is `x`: the password is in shadow. */
  readonly shadowed: boolean;
  /** The password field's meaning when not shadowed; null when shadowed. */
  readonly status: Exclude<PasswordStatus, 'unknown'> | null;
  readonly uid: number;
  readonly gid: number;
  readonly gecos: string;
  readonly home: string;
  readonly shell: string;
}

function integer(text: string): number | null {
  if (!/^-?\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** Whether a passwd or group line is an NIS compatibility entry (`+user`, `-@netgroup`, `+`). */
export function isNisEntry(line: string): boolean {
  return line.startsWith('+') || line.startsWith('-');
}

/**
 * Parses one /etc/passwd line.
 *
 * @returns the entry, a problem, or null for a blank line, comment or NIS entry
 */
export function parsePasswdLine(line: string): PasswdEntry | LineProblem | null {
  if (line.trim() === '' || line.startsWith('#') || isNisEntry(line)) return null;
  const f = line.split(':');
  if (f.length !== 7) return { problem: `expected 7 fields, found ${f.length}` };
  const [username, password, uidText, gidText, gecos, home, shell] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const uid = integer(uidText);
  const gid = integer(gidText);
  if (username === '') return { problem: 'empty user name' };
  if (uid === null || gid === null) return { problem: 'uid or gid is not an integer' };
  const shadowed = password === 'x';
  return {
    username,
    shadowed,
    status: shadowed ? null : passwordStatus(password),
    uid,
    gid,
    gecos,
    home,
    shell,
  };
}

/** A shadow line: status and aging, never the hash. */
export interface ShadowEntry {
  readonly username: string;
  readonly status: Exclude<PasswordStatus, 'unknown'>;
  /** YYYY-MM-DD of the last password change (day 0 forces a change at next login). */
  readonly lastChange: string | null;
  readonly minDays: number | null;
  readonly maxDays: number | null;
  readonly warnDays: number | null;
  readonly inactiveDays: number | null;
  /** YYYY-MM-DD the account expires. */
  readonly expires: string | null;
}

/**
 * Days since 1970-01-01 → `YYYY-MM-DD` (UTC), as shadow stores dates.
 *
 * @returns the date, or null for an empty or out-of-range field
 */
export function shadowDate(text: string): string | null {
  const days = integer(text);
  if (days === null || days < 0 || days > 2_932_896) return null;
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Parses one /etc/shadow line. The hash is classified by
 * {@link passwordStatus} and not returned.
 *
 * @returns the entry, a problem, or null for a blank line, comment or NIS entry
 */
export function parseShadowLine(line: string): ShadowEntry | LineProblem | null {
  if (line.trim() === '' || line.startsWith('#') || isNisEntry(line)) return null;
  const f = line.split(':');
  if (f.length < 2 || f.length > 9) return { problem: `expected 9 fields, found ${f.length}` };
  const field = (i: number) => f[i] ?? '';
  const optional = (i: number) => (field(i) === '' ? null : integer(field(i)));
  if (field(0) === '') return { problem: 'empty user name' };
  return {
    username: field(0),
    status: passwordStatus(field(1)),
    lastChange: shadowDate(field(2)),
    minDays: optional(3),
    maxDays: optional(4),
    warnDays: optional(5),
    inactiveDays: optional(6),
    expires: shadowDate(field(7)),
  };
}

/** A group line. */
export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/**
 * Parses one /etc/group line.
 *
 * @returns the entry, a problem, or null for a blank line, comment or NIS entry
 */
export function parseGroupLine(line: string): GroupEntry | LineProblem | null {
  if (line.trim() === '' || line.startsWith('#') || isNisEntry(line)) return null;
  const f = line.split(':');
  if (f.length !== 4) return { problem: `expected 4 fields, found ${f.length}` };
  const gid = integer(f[2] as string);
  if (f[0] === '') return { problem: 'empty group name' };
  if (gid === null) return { problem: 'gid is not an integer' };
  const members = (f[3] as string)
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  return { name: f[0] as string, gid, members };
}

/** Whether a parser result is a problem. */
export function isLineProblem(value: object): value is LineProblem {
  return 'problem' in value;
}

/**
 * Parses os-release (`KEY=value`, shell-style quoting with `\` escapes inside
 * double quotes).
 *
 * @param text - the file's contents
 * @returns the variables
 */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2] as string;
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
      value = value.slice(1, -1).replace(/\\([$"`\\])/g, '$1');
    } else if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) {
      value = value.slice(1, -1);
    }
    out.set(m[1] as string, value);
  }
  return out;
}
