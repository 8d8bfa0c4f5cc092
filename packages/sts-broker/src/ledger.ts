/**
 * The issuance ledger: an append-only JSON Lines file, one line per issuance
 * and one per revocation. It never holds a secret key or session token; it is
 * what revocation plans are made from, so it must be complete, untampered and
 * private (mode 0600).
 */
import { randomUUID } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isTriageError, TriageError } from '@triage/errors';
import type { CredentialMode, IssuedCredentials, UploadScope } from './issue.js';
import {
  ACCESS_KEY_ID,
  BUCKET,
  invalid,
  isIsoTime,
  LABEL,
  NAME,
  PREFIX,
  ROLE_ARN,
  SOURCE_IDENTITY,
  USER_ARN,
} from './validate.js';

/** The ledger line format version this package reads and writes. */
export const LEDGER_VERSION = 1;

/** One issuance. Times are ISO 8601 UTC as `Date.prototype.toISOString` writes them. */
export interface IssueLedgerEntry {
  readonly v: 1;
  readonly type: 'issue';
  /** Unique in the ledger. */
  readonly id: string;
  readonly mode: CredentialMode;
  /** Not secret: it names the credential in CloudTrail. */
  readonly accessKeyId: string;
  readonly scope: UploadScope;
  readonly case: string;
  readonly host: string;
  /** The client whose bucket it is. */
  readonly client: string;
  /** Who issued it (the admin). */
  readonly issuer: string;
  /** STS's issue time ({@link IssuedCredentials.issuedAt}). */
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** This machine's clock when the request was sent. */
  readonly requestedAt?: string;
  /** assume-role only (required there). */
  readonly roleArn?: string;
  /** assume-role only. */
  readonly sessionName?: string;
  /** assume-role only. */
  readonly assumedRoleArn?: string;
  readonly sourceIdentity?: string;
  /** The uploader user whose key minted it; revocation of session tokens targets this user. */
  readonly userArn?: string;
}

/** The selector of a revocation, as recorded. */
export interface RevocationSelectorRecord {
  readonly case?: string;
  readonly host?: string;
  readonly accessKeyId?: string;
  /** ISO time. */
  readonly before?: string;
}

/** One revocation: a deny policy attached to one role or user. */
export interface RevokeLedgerEntry {
  readonly v: 1;
  readonly type: 'revoke';
  readonly id: string;
  /** When it was applied. */
  readonly at: string;
  /** Tokens of `target` issued before this time are denied everything. */
  readonly cutoff: string;
  readonly targetKind: 'role' | 'user';
  /** The role or user ARN the deny is attached to. */
  readonly target: string;
  /** The inline policy's name, `triage-revoke-YYYYMMDDTHHMMSSZ`. */
  readonly policyName: string;
  /** Which ledger entries it was for (`entries`) and which others it also cut (`collateral`), by id. */
  readonly scope: {
    readonly selector: RevocationSelectorRecord;
    readonly entries: readonly string[];
    readonly collateral: readonly string[];
  };
  /** Access keys set Inactive in the same step. */
  readonly deactivatedKeys?: { readonly userName: string; readonly accessKeyIds: readonly string[] };
}

/** A ledger line. */
export type LedgerEntry = IssueLedgerEntry | RevokeLedgerEntry;

/** What {@link ledgerEntryFor} needs beyond the credentials. */
export interface LedgerMeta {
  /** The client whose bucket it is; a name (letters, digits, `._-`). */
  readonly client: string;
  /** Who issued it; 1–128 of `[\w+=,.@-]`. */
  readonly issuer: string;
  /** The case. Required for session-token; for assume-role it defaults to the case the session is confined to (and must match). */
  readonly case?: string;
  /** The host. Required for session-token; for assume-role it defaults to the session's host (and must match). */
  readonly host?: string;
  /** The uploader user's ARN; recommended for session-token, so revocation knows whose tokens they are. */
  readonly userArn?: string;
  /** The entry id; default a random UUID. */
  readonly id?: string;
}

class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

type Json = Record<string, unknown>;

const ID = /^[A-Za-z0-9._:-]{1,128}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const ASSUMED_ROLE_ARN = /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/[\w+=,.@-]{1,64}\/[\w+=,.@-]{2,64}$/;
const POLICY_NAME = /^triage-revoke-\d{8}T\d{6}Z$/;

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FieldError(field || 'line', 'must be a JSON object');
  }
  return value as Json;
}

function only(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new FieldError(field ? `${field}.${key}` : key, 'is not a ledger field');
  }
}

function text(value: Json, key: string, parent: string, pattern: RegExp, hint: string): string {
  const field = parent ? `${parent}.${key}` : key;
  const v = value[key];
  if (v === undefined) throw new FieldError(field, 'is required');
  if (typeof v !== 'string' || !pattern.test(v)) throw new FieldError(field, hint);
  return v;
}

function optionalText(value: Json, key: string, parent: string, pattern: RegExp, hint: string) {
  return value[key] === undefined ? undefined : text(value, key, parent, pattern, hint);
}

function time(value: Json, key: string, parent = ''): string {
  const field = parent ? `${parent}.${key}` : key;
  const v = value[key];
  if (v === undefined) throw new FieldError(field, 'is required');
  if (!isIsoTime(v))
    throw new FieldError(field, 'must be an ISO 8601 UTC time like 2026-11-23T18:00:00.000Z');
  return v;
}

function optionalTime(value: Json, key: string, parent = ''): string | undefined {
  return value[key] === undefined ? undefined : time(value, key, parent);
}

function idList(value: Json, key: string, parent: string): string[] {
  const field = `${parent}.${key}`;
  const v = value[key];
  if (!Array.isArray(v)) throw new FieldError(field, 'must be a list of entry ids');
  return v.map((item, i) => {
    if (typeof item !== 'string' || !ID.test(item))
      throw new FieldError(`${field}[${i}]`, 'must be an entry id');
    return item;
  });
}

const NAME_HINT = 'must be 1–128 letters, digits, dot, dash or underscore, starting with a letter or digit';

function issueEntry(line: Json): IssueLedgerEntry {
  only(line, '', [
    'v',
    'type',
    'id',
    'mode',
    'accessKeyId',
    'scope',
    'case',
    'host',
    'client',
    'issuer',
    'issuedAt',
    'expiresAt',
    'requestedAt',
    'roleArn',
    'sessionName',
    'assumedRoleArn',
    'sourceIdentity',
    'userArn',
  ]);
  const id = text(line, 'id', '', ID, 'must be 1–128 letters, digits or ._:-');
  const mode = line.mode;
  if (mode !== 'session-token' && mode !== 'assume-role') {
    throw new FieldError('mode', 'must be "session-token" or "assume-role"');
  }
  const accessKeyId = text(line, 'accessKeyId', '', ACCESS_KEY_ID, 'must be an access key id');
  const rawScope = object(line.scope, 'scope');
  only(rawScope, 'scope', ['bucket', 'prefix']);
  const scope = {
    bucket: text(rawScope, 'bucket', 'scope', BUCKET, 'must be an S3 bucket name'),
    prefix: text(rawScope, 'prefix', 'scope', PREFIX, 'must be empty or path segments each ending in /'),
  };
  const caseId = text(line, 'case', '', NAME, NAME_HINT);
  const host = text(line, 'host', '', NAME, NAME_HINT);
  const client = text(line, 'client', '', NAME, NAME_HINT);
  const issuer = text(line, 'issuer', '', LABEL, 'must be 1–128 of letters, digits and _+=,.@-');
  const issuedAt = time(line, 'issuedAt');
  const expiresAt = time(line, 'expiresAt');
  if (expiresAt <= issuedAt) throw new FieldError('expiresAt', 'must be after issuedAt');
  const requestedAt = optionalTime(line, 'requestedAt');
  const roleArn = optionalText(line, 'roleArn', '', ROLE_ARN, 'must be an IAM role ARN');
  const sessionName = optionalText(line, 'sessionName', '', SESSION_NAME, 'must be a role session name');
  const assumedRoleArn = optionalText(
    line,
    'assumedRoleArn',
    '',
    ASSUMED_ROLE_ARN,
    'must be an assumed-role ARN',
  );
  const sourceIdentity = optionalText(
    line,
    'sourceIdentity',
    '',
    SOURCE_IDENTITY,
    'must be a source identity',
  );
  const userArn = optionalText(line, 'userArn', '', USER_ARN, 'must be an IAM user ARN');
  if (mode === 'assume-role') {
    if (roleArn === undefined) throw new FieldError('roleArn', 'is required for assume-role');
    if (scope.prefix !== `${caseId}/${host}/`) {
      throw new FieldError('scope.prefix', 'must be case/host/ for assume-role');
    }
  } else {
    for (const [key, v] of Object.entries({ roleArn, sessionName, assumedRoleArn })) {
      if (v !== undefined) throw new FieldError(key, 'is only for assume-role entries');
    }
  }
  return {
    v: 1,
    type: 'issue',
    id,
    mode,
    accessKeyId,
    scope,
    case: caseId,
    host,
    client,
    issuer,
    issuedAt,
    expiresAt,
    ...(requestedAt === undefined ? {} : { requestedAt }),
    ...(roleArn === undefined ? {} : { roleArn }),
    ...(sessionName === undefined ? {} : { sessionName }),
    ...(assumedRoleArn === undefined ? {} : { assumedRoleArn }),
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
    ...(userArn === undefined ? {} : { userArn }),
  };
}

function revokeEntry(line: Json): RevokeLedgerEntry {
  only(line, '', [
    'v',
    'type',
    'id',
    'at',
    'cutoff',
    'targetKind',
    'target',
    'policyName',
    'scope',
    'deactivatedKeys',
  ]);
  const id = text(line, 'id', '', ID, 'must be 1–128 letters, digits or ._:-');
  const at = time(line, 'at');
  const cutoff = time(line, 'cutoff');
  const targetKind = line.targetKind;
  if (targetKind !== 'role' && targetKind !== 'user') {
    throw new FieldError('targetKind', 'must be "role" or "user"');
  }
  const target =
    targetKind === 'role'
      ? text(line, 'target', '', ROLE_ARN, 'must be an IAM role ARN')
      : text(line, 'target', '', USER_ARN, 'must be an IAM user ARN');
  const policyName = text(line, 'policyName', '', POLICY_NAME, 'must be triage-revoke-YYYYMMDDTHHMMSSZ');
  const rawScope = object(line.scope, 'scope');
  only(rawScope, 'scope', ['selector', 'entries', 'collateral']);
  const rawSelector = object(rawScope.selector, 'scope.selector');
  only(rawSelector, 'scope.selector', ['case', 'host', 'accessKeyId', 'before']);
  const selectorCase = optionalText(rawSelector, 'case', 'scope.selector', NAME, NAME_HINT);
  const selectorHost = optionalText(rawSelector, 'host', 'scope.selector', NAME, NAME_HINT);
  const selectorKey = optionalText(
    rawSelector,
    'accessKeyId',
    'scope.selector',
    ACCESS_KEY_ID,
    'must be an access key id',
  );
  const selectorBefore = optionalTime(rawSelector, 'before', 'scope.selector');
  const selector: RevocationSelectorRecord = {
    ...(selectorCase === undefined ? {} : { case: selectorCase }),
    ...(selectorHost === undefined ? {} : { host: selectorHost }),
    ...(selectorKey === undefined ? {} : { accessKeyId: selectorKey }),
    ...(selectorBefore === undefined ? {} : { before: selectorBefore }),
  };
  const scope = {
    selector,
    entries: idList(rawScope, 'entries', 'scope'),
    collateral: idList(rawScope, 'collateral', 'scope'),
  };
  let deactivatedKeys: RevokeLedgerEntry['deactivatedKeys'];
  if (line.deactivatedKeys !== undefined) {
    const raw = object(line.deactivatedKeys, 'deactivatedKeys');
    only(raw, 'deactivatedKeys', ['userName', 'accessKeyIds']);
    const userName = text(
      raw,
      'userName',
      'deactivatedKeys',
      /^[\w+=,.@-]{1,64}$/,
      'must be an IAM user name',
    );
    if (!Array.isArray(raw.accessKeyIds)) {
      throw new FieldError('deactivatedKeys.accessKeyIds', 'must be a list of access key ids');
    }
    const accessKeyIds = raw.accessKeyIds.map((k, i) => {
      if (typeof k !== 'string' || !ACCESS_KEY_ID.test(k)) {
        throw new FieldError(`deactivatedKeys.accessKeyIds[${i}]`, 'must be an access key id');
      }
      return k;
    });
    deactivatedKeys = { userName, accessKeyIds };
  }
  return {
    v: 1,
    type: 'revoke',
    id,
    at,
    cutoff,
    targetKind,
    target,
    policyName,
    scope,
    ...(deactivatedKeys === undefined ? {} : { deactivatedKeys }),
  };
}

/** Validates one ledger line's value; returns it with its keys in the canonical order. */
function toEntry(value: unknown): LedgerEntry {
  const line = object(value, '');
  if (line.v !== LEDGER_VERSION) {
    throw new FieldError('v', `must be ${LEDGER_VERSION} (a newer triage may have written it; upgrade)`);
  }
  if (line.type === 'issue') return issueEntry(line);
  if (line.type === 'revoke') return revokeEntry(line);
  throw new FieldError('type', 'must be "issue" or "revoke"');
}

/**
 * Validates a ledger entry (e.g. one built by hand) as {@link appendLedger}
 * and {@link readLedger} do.
 *
 * @param value - a parsed ledger line
 * @returns the entry with its keys in the canonical order
 * @throws INVALID_ARGUMENT naming the first wrong field (context `field`), never its value
 */
export function parseLedgerEntry(value: unknown): LedgerEntry {
  try {
    return toEntry(value);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    throw new TriageError('INVALID_ARGUMENT', `ledger entry field ${error.message}; fix the entry`, {
      context: { field: error.field },
    });
  }
}

/**
 * The ledger line for credentials just issued. It copies what identifies and
 * bounds the credential (access key id, scope, case, host, times, role,
 * session name, source identity) and never the secret key or session token:
 * it checks that neither appears anywhere in the line.
 *
 * @param issued - what {@link issueSessionToken} or {@link issueAssumeRole} returned
 * @param meta - client, issuer, and for session-token the case and host
 * @returns the entry, ready for {@link appendLedger}
 * @throws INVALID_ARGUMENT for a missing or malformed field, a case or host that does not match an assume-role session's, or a field holding the secret key or token
 */
export function ledgerEntryFor(issued: IssuedCredentials, meta: LedgerMeta): IssueLedgerEntry {
  const caseId = meta.case ?? issued.caseId;
  const host = meta.host ?? issued.host;
  if (issued.mode === 'assume-role' && (caseId !== issued.caseId || host !== issued.host)) {
    throw invalid('meta', 'meta.case and meta.host must match the case and host the session is confined to');
  }
  if (caseId === undefined || host === undefined) {
    throw invalid('meta', 'meta.case and meta.host are required for session-token credentials');
  }
  const candidate = {
    v: LEDGER_VERSION,
    type: 'issue',
    id: meta.id ?? randomUUID(),
    mode: issued.mode,
    accessKeyId: issued.accessKeyId,
    scope: { bucket: issued.scope.bucket, prefix: issued.scope.prefix },
    case: caseId,
    host,
    client: meta.client,
    issuer: meta.issuer,
    issuedAt: issued.issuedAt.toISOString(),
    expiresAt: issued.expiration.toISOString(),
    requestedAt: issued.requestedAt.toISOString(),
    ...(issued.roleArn === undefined ? {} : { roleArn: issued.roleArn }),
    ...(issued.sessionName === undefined ? {} : { sessionName: issued.sessionName }),
    ...(issued.assumedRoleArn === undefined ? {} : { assumedRoleArn: issued.assumedRoleArn }),
    ...(issued.sourceIdentity === undefined ? {} : { sourceIdentity: issued.sourceIdentity }),
    ...(meta.userArn === undefined ? {} : { userArn: meta.userArn }),
  };
  const entry = parseLedgerEntry(candidate) as IssueLedgerEntry;
  const line = JSON.stringify(entry);
  for (const secret of [issued.secretAccessKey, issued.sessionToken]) {
    if (secret.length > 0 && line.includes(secret)) {
      throw invalid(
        'meta',
        'a ledger field holds the secret key or session token; pass names, not credentials',
      );
    }
  }
  return entry;
}

function ioError(path: string, action: string, error: unknown): TriageError {
  const code = (error as { code?: string }).code ?? 'unknown';
  if (code === 'ELOOP') {
    return new TriageError(
      'IO_ERROR',
      `ledger ${path} is a symbolic link; use the real file's path (links are refused so nobody can redirect the ledger)`,
      { cause: error, context: { path, errno: code } },
    );
  }
  return new TriageError(
    'IO_ERROR',
    `could not ${action} ledger ${path} (${code}); check the path and its folder`,
    {
      cause: error,
      context: { path, errno: code },
    },
  );
}

function checkFile(path: string, stats: Stats): void {
  if (!stats.isFile()) {
    throw new TriageError(
      'IO_ERROR',
      `ledger ${path} is not a regular file; give the path of the ledger file`,
      {
        context: { path },
      },
    );
  }
  // Mode bits mean nothing on Windows; everywhere else the ledger is private.
  if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
    throw new TriageError(
      'IO_ERROR',
      `ledger ${path} has mode ${mode}, so others may read or alter it; check it was not tampered with, then chmod 600 it`,
      { context: { path, mode } },
    );
  }
}

async function openForAppend(path: string): Promise<{ handle: FileHandle; created: boolean }> {
  const base = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  try {
    return { handle: await open(path, base | constants.O_CREAT | constants.O_EXCL, 0o600), created: true };
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw ioError(path, 'create', error);
  }
  try {
    return { handle: await open(path, base), created: false };
  } catch (error) {
    throw ioError(path, 'open', error);
  }
}

/**
 * Appends one entry to the ledger at `path` as one JSON line, creating the
 * file with mode 0600 when it does not exist.
 *
 * The line is written with a single `write` on a descriptor opened with
 * `O_APPEND`, then `fsync`ed (and the folder too when the file was created).
 * On a local file system POSIX appends of one `write` do not interleave, so
 * several processes may append at once without a lock; on NFS they may. The
 * file is opened with `O_NOFOLLOW` (a symbolic link is refused).
 *
 * An existing ledger with any group or other permission bit is refused
 * rather than warned about: revocation is planned from it, so a ledger
 * others could alter cannot be trusted until someone checks it.
 *
 * @param path - the ledger file
 * @param entry - an issue or revoke entry (from {@link ledgerEntryFor} or `applyRevocation`)
 * @throws INVALID_ARGUMENT when the entry does not validate (an unknown field such as a secret is refused)
 * @throws IO_ERROR when the file cannot be opened or written, is not a regular file or a link, or has a mode wider than 0600
 */
export async function appendLedger(path: string, entry: LedgerEntry): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(parseLedgerEntry(entry))}\n`, 'utf8');
  const { handle, created } = await openForAppend(path);
  try {
    checkFile(path, await handle.stat());
    const { bytesWritten } = await handle.write(bytes, 0, bytes.length);
    if (bytesWritten !== bytes.length) {
      throw new TriageError(
        'IO_ERROR',
        `wrote only ${bytesWritten} of ${bytes.length} bytes to ledger ${path} (disk full?); its last line is torn: free space, remove that line and append again`,
        { context: { path } },
      );
    }
    await handle.sync();
  } catch (error) {
    if (isTriageError(error)) throw error;
    throw ioError(path, 'write', error);
  } finally {
    await handle.close();
  }
  if (created) {
    try {
      const folder = await open(dirname(path), constants.O_RDONLY);
      try {
        await folder.sync();
      } finally {
        await folder.close();
      }
    } catch (error) {
      throw ioError(path, 'sync the folder of', error);
    }
  }
}

/**
 * Reads and validates every line of the ledger at `path`.
 *
 * @param path - the ledger file
 * @returns the entries, in file order
 * @throws NOT_FOUND when there is no file at `path`
 * @throws IO_ERROR when it cannot be read, is a link or not a regular file, or has a mode wider than 0600
 * @throws DATA_INVALID for the first bad line, naming its number (context `line`, and `field` when one is wrong): not JSON, an invalid entry, a repeated id, an empty line, or a last line without its newline (a torn write)
 */
export async function readLedger(path: string): Promise<LedgerEntry[]> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      throw new TriageError('NOT_FOUND', `there is no ledger at ${path}; check the path`, {
        cause: error,
        context: { path },
      });
    }
    throw ioError(path, 'open', error);
  }
  let content: string;
  try {
    checkFile(path, await handle.stat());
    content = await handle.readFile('utf8');
  } catch (error) {
    if (isTriageError(error)) throw error;
    throw ioError(path, 'read', error);
  } finally {
    await handle.close();
  }
  const bad = (line: number, problem: string, field?: string) =>
    new TriageError('DATA_INVALID', `ledger ${path} line ${line} ${problem}`, {
      context: { path, line, ...(field === undefined ? {} : { field }) },
    });
  if (content.length === 0) return [];
  const lines = content.split('\n');
  const last = lines.pop();
  if (last !== '') {
    throw bad(
      lines.length + 1,
      'has no newline at its end: a write was cut off; check the line, then remove it or end it with a newline',
    );
  }
  const entries: LedgerEntry[] = [];
  const seen = new Map<string, number>();
  lines.forEach((text, index) => {
    const number = index + 1;
    if (text.trim() === '') throw bad(number, 'is empty; remove it');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw bad(number, 'is not JSON; restore the ledger from a backup or remove the line after checking it');
    }
    let entry: LedgerEntry;
    try {
      entry = toEntry(value);
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      throw bad(number, `field ${error.message}`, error.field);
    }
    const earlier = seen.get(entry.id);
    if (earlier !== undefined) throw bad(number, `repeats the id of line ${earlier}`, 'id');
    seen.set(entry.id, number);
    entries.push(entry);
  });
  return entries;
}
