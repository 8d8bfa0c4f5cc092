/**
 * OpenSSH public key lines: authorized_keys (`[options] type base64 [comment]`)
 * and known_hosts (`[@marker] hosts type base64 [comment]`), with the
 * SHA-256 fingerprint `ssh-keygen -l` prints. Pure functions.
 */
import { createHash } from 'node:crypto';

/** A key line that parsed. */
export interface ParsedKey {
  readonly keyType: string;
  /** The key blob as base64, as written. */
  readonly blob: string;
  /** `SHA256:` and the unpadded base64 SHA-256 of the blob. */
  readonly fingerprint: string;
  readonly comment: string | null;
}

/** An authorized_keys line. */
export interface AuthorizedKeyLine extends ParsedKey {
  /** The options field as written, e.g. `command="…",no-pty`; null when absent. */
  readonly options: string | null;
}

/** A known_hosts line. */
export interface KnownHostLine extends ParsedKey {
  readonly marker: '@cert-authority' | '@revoked' | null;
  /** The host patterns field, possibly hashed. */
  readonly hosts: string;
  /** Whether `hosts` is a hashed `|1|salt|hash` entry. */
  readonly hashed: boolean;
}

/** Why a line was not read (never echoes the line). */
export interface KeyLineProblem {
  readonly problem: string;
}

/** A parse result: null for a blank or comment line. */
export type KeyLineResult<T> = T | KeyLineProblem | null;

/** Key types start like this; options never do. */
const KEY_TYPE = /^(?:ssh-|ecdsa-|sk-)[A-Za-z0-9@._-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The fingerprint `ssh-keygen -l` prints for a key blob.
 *
 * @param blob - the decoded key blob
 * @returns `SHA256:` followed by unpadded base64
 */
export function sshFingerprint(blob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Splits at the first run of blanks: [word, rest]. */
function word(text: string): [string, string] {
  const m = /^(\S+)[ \t]*(.*)$/.exec(text);
  return m ? [m[1] as string, m[2] as string] : ['', ''];
}

/**
 * Reads `type base64 [comment]`, checking the blob is base64 and names the
 * same key type inside (as sshd and ssh-keygen do).
 */
function parseKey(text: string): ParsedKey | KeyLineProblem {
  const [keyType, afterType] = word(text);
  if (!KEY_TYPE.test(keyType)) return { problem: 'no key type where one was expected' };
  const [blob, comment] = word(afterType);
  if (blob === '') return { problem: 'no key data after the key type' };
  if (!BASE64.test(blob)) return { problem: 'key data is not base64' };
  const bytes = Buffer.from(blob, 'base64');
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  if (nameLength < 0 || nameLength > bytes.length - 4) return { problem: 'key data is too short' };
  const inner = bytes.subarray(4, 4 + nameLength).toString('latin1');
  if (inner !== keyType) return { problem: 'key data does not match the key type' };
  const trimmed = comment.trim();
  return { keyType, blob, fingerprint: sshFingerprint(bytes), comment: trimmed === '' ? null : trimmed };
}

/**
 * Splits the options field off an authorized_keys line: everything up to the
 * first blank outside double quotes (`\"` inside quotes is a quote).
 */
function splitOptions(text: string): [string, string] | KeyLineProblem {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && text[i + 1] === '"') {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t'))
      return [text.slice(0, i), text.slice(i).replace(/^[ \t]+/, '')];
  }
  return { problem: quoted ? 'unterminated quote in options' : 'options but no key' };
}

function isProblem(value: object): value is KeyLineProblem {
  return 'problem' in value;
}

/**
 * Parses one authorized_keys line.
 *
 * @param line - the line, without its newline
 * @returns the key, a problem (malformed line), or null (blank or comment)
 */
export function parseAuthorizedKeyLine(line: string): KeyLineResult<AuthorizedKeyLine> {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  const [first] = word(text);
  if (KEY_TYPE.test(first)) {
    const key = parseKey(text);
    return isProblem(key) ? key : { ...key, options: null };
  }
  const split = splitOptions(text);
  if (!Array.isArray(split)) return split;
  const key = parseKey(split[1]);
  return isProblem(key) ? key : { ...key, options: split[0] };
}

/**
 * Parses one known_hosts line.
 *
 * @param line - the line, without its newline
 * @returns the entry, a problem (malformed line), or null (blank or comment)
 */
export function parseKnownHostLine(line: string): KeyLineResult<KnownHostLine> {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  let [first, rest] = word(text);
  let marker: KnownHostLine['marker'] = null;
  if (first.startsWith('@')) {
    if (first !== '@cert-authority' && first !== '@revoked') return { problem: 'unknown marker' };
    marker = first;
    [first, rest] = word(rest);
  }
  if (first === '') return { problem: 'no host patterns' };
  const key = parseKey(rest);
  if (isProblem(key)) return key;
  return { ...key, marker, hosts: first, hashed: first.startsWith('|1|') };
}
