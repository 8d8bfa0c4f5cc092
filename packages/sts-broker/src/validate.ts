/**
 * Argument checks shared by issuance, the ledger and revocation. Every check
 * runs before any AWS call; messages name the argument and the allowed form,
 * never the value (an MFA code, or a secret pasted into the wrong field, must
 * not end up in a log).
 */
import { TriageError } from '@triage/errors';

/** Case, host and client names: the same rule as `@triage/bundle`. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const NAME_HINT =
  'must be 1–128 letters, digits, dot, dash or underscore, starting with a letter or digit';

/** S3 bucket names (path-style safe). */
export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * An upload prefix: empty (the whole bucket, as the uploader user's own
 * policy allows) or name segments, each ending in `/`. No `*`, `?` or `$`:
 * the prefix goes into policy resources, where they are wildcards or
 * variables and would widen the scope.
 */
export const PREFIX = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,127}\/)*$/;

/** An IAM role ARN. */
export const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** An IAM user ARN. */
export const USER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** STS's SerialNumber pattern: an MFA device ARN or a hardware serial. */
export const MFA_SERIAL = /^[\w+=/:,.@-]{9,256}$/;

/** STS's SourceIdentity pattern (and not starting with `aws:`). */
export const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

/** Issuer (the admin) and other free labels in the ledger. */
export const LABEL = /^[\w+=,.@-]{1,128}$/;

/** Access key IDs as STS and MinIO issue them. */
export const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** GetSessionToken's duration range for IAM users, in seconds. */
export const SESSION_TOKEN_MIN_SECONDS = 900;
export const SESSION_TOKEN_MAX_SECONDS = 129_600;

/** AssumeRole's duration bounds, in seconds. */
export const ASSUME_ROLE_MIN_SECONDS = 900;
export const ASSUME_ROLE_MAX_SECONDS = 43_200;
export const DEFAULT_MAX_SESSION_DURATION = 3_600;

/** AWS's limit on the plain text of inline plus managed session policies. */
export const SESSION_POLICY_MAX_CHARS = 2_048;

export function invalid(argument: string, message: string): TriageError {
  return new TriageError('INVALID_ARGUMENT', message, { context: { argument } });
}

export function checkPattern(argument: string, value: unknown, pattern: RegExp, hint: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    throw invalid(argument, `${argument} ${hint}`);
  }
  return value;
}

export function checkName(argument: string, value: unknown): string {
  return checkPattern(argument, value, NAME, NAME_HINT);
}

export function checkBucket(argument: string, value: unknown): string {
  return checkPattern(
    argument,
    value,
    BUCKET,
    'must be an S3 bucket name: 3–63 lower-case letters, digits, dots or dashes',
  );
}

export function checkPrefix(argument: string, value: unknown): string {
  return checkPattern(
    argument,
    value,
    PREFIX,
    'must be empty (the whole bucket) or path segments each ending in / (letters, digits, dot, dash, underscore; no wildcards), e.g. IR-2026-042/',
  );
}

export function checkRoleArn(argument: string, value: unknown): string {
  return checkPattern(argument, value, ROLE_ARN, 'must be an IAM role ARN, arn:aws:iam::ACCOUNT:role/NAME');
}

export function checkUserArn(argument: string, value: unknown): string {
  return checkPattern(argument, value, USER_ARN, 'must be an IAM user ARN, arn:aws:iam::ACCOUNT:user/NAME');
}

export function checkMfaSerial(value: unknown): string {
  return checkPattern(
    'mfaSerial',
    value,
    MFA_SERIAL,
    "must be the MFA device's ARN (arn:aws:iam::ACCOUNT:mfa/NAME) or a hardware serial number",
  );
}

/** Exactly six ASCII digits. The message never contains the code. */
export function checkMfaCode(value: unknown): string {
  if (typeof value !== 'string' || !/^[0-9]{6}$/.test(value)) {
    throw invalid('mfaCode', 'malformed MFA code: enter the 6 digits the MFA device shows now');
  }
  return value;
}

export function checkSourceIdentity(value: unknown): string {
  const text = checkPattern(
    'sourceIdentity',
    value,
    SOURCE_IDENTITY,
    'must be 2–64 letters, digits or _+=,.@- (e.g. the admin name)',
  );
  if (text.toLowerCase().startsWith('aws:')) {
    throw invalid('sourceIdentity', 'sourceIdentity must not start with "aws:" (reserved by AWS)');
  }
  return text;
}

export function checkDuration(argument: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(argument, `${argument} must be a whole number of seconds from ${min} to ${max}`);
  }
  return value;
}

export function checkDate(argument: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw invalid(argument, `${argument} must be a valid Date`);
  }
  return value;
}

/** Whether `text` is an ISO 8601 UTC time as `Date.prototype.toISOString` writes it. */
export function isIsoTime(text: unknown): text is string {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text)) return false;
  const date = new Date(text);
  return !Number.isNaN(date.getTime()) && date.toISOString() === text;
}

/** The last path segment of an IAM ARN: the role or user name. */
export function nameFromArn(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/** The account of an IAM or STS ARN. */
export function accountFromArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}

/** Compact UTC form of a time for names: `20261123T180000Z`. */
export function compactTime(date: Date): string {
  return `${date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '')}`;
}
