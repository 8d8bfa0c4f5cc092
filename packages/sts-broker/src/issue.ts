/**
 * Minting short-lived upload credentials: GetSessionToken with MFA, or
 * AssumeRole with MFA and a session policy confined to `case/host/`.
 * Every argument is checked before the one STS call; SDK errors are
 * translated at this edge.
 */
import { createHash } from 'node:crypto';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  type Credentials,
  GetSessionTokenCommand,
  type GetSessionTokenCommandOutput,
  type STSClient,
  type Tag,
} from '@aws-sdk/client-sts';
import { TriageError } from '@triage/errors';
import { uploadSessionPolicy } from '@triage/iam-policy';
import { translateAwsError } from './aws-errors.js';
import {
  ASSUME_ROLE_MAX_SECONDS,
  ASSUME_ROLE_MIN_SECONDS,
  checkBucket,
  checkDuration,
  checkMfaCode,
  checkMfaSerial,
  checkName,
  checkPrefix,
  checkRoleArn,
  checkSourceIdentity,
  DEFAULT_MAX_SESSION_DURATION,
  invalid,
  SESSION_POLICY_MAX_CHARS,
  SESSION_TOKEN_MAX_SECONDS,
  SESSION_TOKEN_MIN_SECONDS,
} from './validate.js';

/** A clock: returns the current time. */
export type Clock = () => Date;

/** Where credentials may write: a bucket and a key prefix ending in `/`. */
export interface UploadScope {
  /** The evidence bucket. */
  readonly bucket: string;
  /**
   * Key prefix: `case/host/` for assume-role; for session-token the whole
   * prefix the uploader user may write, ending in `/`, or `''` for the whole
   * bucket (what setup's `uploaderGroupPolicy` allows).
   */
  readonly prefix: string;
}

/** How credentials were minted. */
export type CredentialMode = 'session-token' | 'assume-role';

/**
 * Temporary credentials as minted. `secretAccessKey` and `sessionToken` are
 * secret: hand them to the bundle, never to a log or the ledger
 * ({@link ledgerEntryFor} leaves them out).
 */
export interface IssuedCredentials {
  readonly mode: CredentialMode;
  readonly accessKeyId: string;
  /** Secret. */
  readonly secretAccessKey: string;
  /** Secret. */
  readonly sessionToken: string;
  /** When STS says the credentials stop working. */
  readonly expiration: Date;
  /**
   * When STS issued the token, on STS's clock: `expiration − durationSeconds`.
   * This is the time `aws:TokenIssueTime` carries, which revocation cuts on,
   * so it is taken from STS rather than from this machine's clock.
   */
  readonly issuedAt: Date;
  /** This machine's clock (the `now` option) when the request was sent. */
  readonly requestedAt: Date;
  /** The duration requested, in seconds. */
  readonly durationSeconds: number;
  /** Where the credentials may write. */
  readonly scope: UploadScope;
  /** assume-role: the role assumed. */
  readonly roleArn?: string;
  /** assume-role: the RoleSessionName sent. */
  readonly sessionName?: string;
  /** assume-role: the session's ARN (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`). */
  readonly assumedRoleArn?: string;
  /** assume-role: the SourceIdentity sent. */
  readonly sourceIdentity?: string;
  /** assume-role: the case the session is confined to. */
  readonly caseId?: string;
  /** assume-role: the host the session is confined to. */
  readonly host?: string;
}

/** Options for {@link issueSessionToken}. */
export interface IssueSessionTokenOptions {
  /**
   * An STS client signing with the uploader user's **long-term** access key
   * (the caller builds it). Temporary credentials cannot call GetSessionToken
   * with MFA usefully, and the user's policy only allows uploads with MFA.
   */
  readonly sts: STSClient;
  /** The uploader's MFA device: its ARN (`arn:aws:iam::ACCOUNT:mfa/NAME`) or a hardware serial. */
  readonly mfaSerial: string;
  /** The 6 digits the MFA device shows now. Never logged or echoed. */
  readonly mfaCode: string;
  /** Lifetime in seconds, 900–129,600; default 3,600. */
  readonly durationSeconds?: number;
  /** What the uploader user may write (its identity policy's prefix, `''` for the whole bucket); recorded as the scope. */
  readonly scope: UploadScope;
  /** The clock; default `() => new Date()`. */
  readonly now?: Clock;
  /** Cancels the STS call. */
  readonly abortSignal?: AbortSignal;
}

/** Options for {@link issueAssumeRole}. */
export interface IssueAssumeRoleOptions {
  /**
   * An STS client signing with the uploader user's **long-term** access key:
   * the role's trust policy requires MFA and a caller that is the uploader
   * user, so the caller builds the client from that key.
   */
  readonly sts: STSClient;
  /** The uploader role, `arn:aws:iam::ACCOUNT:role/NAME`. */
  readonly roleArn: string;
  /** The case; a name (letters, digits, `._-`, up to 128). */
  readonly caseId: string;
  /** The host; a name (letters, digits, `._-`, up to 128). */
  readonly host: string;
  /** The evidence bucket. */
  readonly bucket: string;
  /** The uploader user's MFA device (ARN or hardware serial). */
  readonly mfaSerial: string;
  /** The 6 digits the MFA device shows now. Never logged or echoed. */
  readonly mfaCode: string;
  /** Lifetime in seconds, 900 to `min(maxSessionDuration, 43,200)`; default `min(3,600, that maximum)`. */
  readonly durationSeconds?: number;
  /** The role's MaxSessionDuration (3,600–43,200); default 3,600 (AWS's default for a role). */
  readonly maxSessionDuration?: number;
  /** Who asked for the credentials (e.g. the admin's name), sent as SourceIdentity: 2–64 of `[\w+=,.@-]`. */
  readonly sourceIdentity: string;
  /**
   * Extra session tags. `triage:case` and `triage:host` are always sent and
   * cannot be overridden; keys starting with `aws:` are refused. Default none.
   */
  readonly tags?: Readonly<Record<string, string>>;
  /** The clock; default `() => new Date()`. */
  readonly now?: Clock;
  /** Cancels the STS call. */
  readonly abortSignal?: AbortSignal;
}

const SESSION_NAME_ALLOWED = /[^\w+=,.@-]/g;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const MAX_TAGS = 50;

/**
 * The RoleSessionName for a case and host: `case-host`, with every character
 * outside AWS's `[\w+=,.@-]` replaced by `_`, padded to 2 and, when longer
 * than 64, cut to 55 characters plus `-` and 8 hex digits of its SHA-256 (so
 * long names stay distinct).
 *
 * @param caseId - the case
 * @param host - the host
 * @returns a valid RoleSessionName (2–64 characters)
 */
export function sessionNameFor(caseId: string, host: string): string {
  const full = `${caseId}-${host}`.replace(SESSION_NAME_ALLOWED, '_').padEnd(2, '_');
  if (full.length <= 64) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, 55)}-${digest}`;
}

/**
 * The session policy {@link issueAssumeRole} sends, as sent: compact JSON of
 * `uploadSessionPolicy(bucket, caseId, host)` from `@triage/iam-policy`.
 *
 * @param bucket - the evidence bucket
 * @param caseId - the case
 * @param host - the host
 * @returns the policy text
 * @throws INVALID_ARGUMENT when it exceeds AWS's 2,048-character limit for session policies
 */
export function sessionPolicyText(bucket: string, caseId: string, host: string): string {
  const text = JSON.stringify(uploadSessionPolicy(bucket, caseId, host));
  if (text.length > SESSION_POLICY_MAX_CHARS) {
    throw invalid(
      'bucket',
      `the session policy would be ${text.length} characters, over AWS's ${SESSION_POLICY_MAX_CHARS}: use a shorter bucket, case or host name`,
    );
  }
  return text;
}

function checkScope(scope: unknown): UploadScope {
  if (typeof scope !== 'object' || scope === null) {
    throw invalid('scope', 'scope must be { bucket, prefix }');
  }
  const { bucket, prefix } = scope as Record<string, unknown>;
  return { bucket: checkBucket('scope.bucket', bucket), prefix: checkPrefix('scope.prefix', prefix) };
}

function checkTags(tags: Readonly<Record<string, string>> | undefined, caseId: string, host: string): Tag[] {
  const list: Tag[] = [
    { Key: 'triage:case', Value: caseId },
    { Key: 'triage:host', Value: host },
  ];
  const seen = new Set(list.map((t) => (t.Key as string).toLowerCase()));
  for (const [key, value] of Object.entries(tags ?? {})) {
    const lower = key.toLowerCase();
    if (key.length < 1 || key.length > 128 || !TAG_TEXT.test(key) || lower.startsWith('aws:')) {
      throw invalid(
        'tags',
        'tag keys must be 1–128 letters, digits, spaces or _.:/=+-@ and must not start with "aws:"',
      );
    }
    if (seen.has(lower)) {
      throw invalid(
        'tags',
        'tags must not repeat a key (case-insensitively) nor set triage:case or triage:host',
      );
    }
    if (typeof value !== 'string' || value.length > 256 || !TAG_TEXT.test(value)) {
      throw invalid('tags', 'tag values must be up to 256 letters, digits, spaces or _.:/=+-@');
    }
    seen.add(lower);
    list.push({ Key: key, Value: value });
  }
  if (list.length > MAX_TAGS) {
    throw invalid('tags', `at most ${MAX_TAGS - 2} extra tags may be passed (STS allows ${MAX_TAGS} in all)`);
  }
  return list;
}

function credentialsFrom(
  operation: string,
  credentials: Credentials | undefined,
  durationSeconds: number,
  requestedAt: Date,
): Pick<IssuedCredentials, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'expiration' | 'issuedAt'> {
  const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = credentials ?? {};
  if (
    !AccessKeyId ||
    !SecretAccessKey ||
    !SessionToken ||
    !(Expiration instanceof Date) ||
    Number.isNaN(Expiration.getTime())
  ) {
    throw new TriageError(
      'DATA_INVALID',
      `STS answered ${operation} without complete credentials; check the client's endpoint is STS`,
      { context: { operation } },
    );
  }
  if (Expiration.getTime() <= requestedAt.getTime()) {
    throw new TriageError(
      'CREDENTIALS_EXPIRING',
      `STS answered ${operation} with credentials that expire at ${Expiration.toISOString()}, before now by this machine's clock; check the clock`,
      { context: { operation, expiration: Expiration.toISOString() } },
    );
  }
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretAccessKey,
    sessionToken: SessionToken,
    expiration: new Date(Expiration.getTime()),
    issuedAt: new Date(Expiration.getTime() - durationSeconds * 1000),
  };
}

/**
 * Mints temporary credentials with STS GetSessionToken and MFA.
 *
 * **The token carries every permission of the user whose key signs the
 * request**: GetSessionToken cannot narrow it with a session policy. Use it
 * only for the uploader user, whose policy (setup's `uploaderGroupPolicy`)
 * allows nothing but uploads (to the whole bucket), only with MFA, and
 * assuming the upload role. Never call it with an admin's key. Prefer
 * {@link issueAssumeRole}, whose session is confined to one case and host. Revoking such a token
 * (see {@link planRevocation}) denies every token of that user issued before
 * the cut-off, whatever case it was for.
 *
 * The duration and the MFA code are checked before any call.
 *
 * @param options - see {@link IssueSessionTokenOptions}
 * @returns the credentials, scoped to `options.scope`
 * @throws INVALID_ARGUMENT for a duration outside 900–129,600 s, a malformed MFA code (never echoed), serial or scope
 * @throws PERMISSION_DENIED when STS refuses (wrong or reused MFA code, device not the user's)
 * @throws CREDENTIALS_INVALID when STS does not accept the client's key
 * @throws THROTTLED, NETWORK_ERROR, TIMEOUT, SERVICE_UNAVAILABLE, ABORTED for transport failures
 * @throws DATA_INVALID when STS answers without credentials; CREDENTIALS_EXPIRING when they are already expired by this clock
 */
export async function issueSessionToken(options: IssueSessionTokenOptions): Promise<IssuedCredentials> {
  const durationSeconds = checkDuration(
    'durationSeconds',
    options.durationSeconds ?? 3_600,
    SESSION_TOKEN_MIN_SECONDS,
    SESSION_TOKEN_MAX_SECONDS,
  );
  const mfaCode = checkMfaCode(options.mfaCode);
  const mfaSerial = checkMfaSerial(options.mfaSerial);
  const scope = checkScope(options.scope);
  const requestedAt = (options.now ?? (() => new Date()))();
  let output: GetSessionTokenCommandOutput;
  try {
    output = await options.sts.send(
      new GetSessionTokenCommand({
        DurationSeconds: durationSeconds,
        SerialNumber: mfaSerial,
        TokenCode: mfaCode,
      }),
      options.abortSignal ? { abortSignal: options.abortSignal } : {},
    );
  } catch (error) {
    throw translateAwsError(error, 'GetSessionToken');
  }
  return {
    mode: 'session-token',
    ...credentialsFrom('GetSessionToken', output.Credentials, durationSeconds, requestedAt),
    requestedAt,
    durationSeconds,
    scope,
  };
}

/**
 * Mints temporary credentials with STS AssumeRole and MFA, confined to
 * `bucket/caseId/host/` by the session policy
 * `uploadSessionPolicy(bucket, caseId, host)` from `@triage/iam-policy`. It
 * sends RoleSessionName {@link sessionNameFor}`(caseId, host)`, the session
 * policy, SerialNumber and TokenCode, SourceIdentity, and the session tags
 * `triage:case`, `triage:host` plus `tags`. The role's trust policy must allow
 * `sts:AssumeRole`, `sts:TagSession` and `sts:SetSourceIdentity` for the
 * uploader user with MFA, as setup's `uploaderRoleTrustPolicy` does.
 *
 * Every argument is checked before the call. MFA is always sent: for an
 * endpoint that ignores it (MinIO's AssumeRole, moto), any well-formed code
 * works; that is the endpoint's choice, not a mode of this function.
 *
 * @param options - see {@link IssueAssumeRoleOptions}
 * @returns the credentials, scoped to `{ bucket, prefix: 'caseId/host/' }`
 * @throws INVALID_ARGUMENT for a duration outside 900..min(maxSessionDuration, 43,200), a malformed MFA code (never echoed), serial, role ARN, case, host, bucket, source identity or tag, or a session policy over 2,048 characters
 * @throws PERMISSION_DENIED when STS refuses (wrong or reused MFA code, trust policy)
 * @throws CREDENTIALS_INVALID when STS does not accept the client's key
 * @throws THROTTLED, NETWORK_ERROR, TIMEOUT, SERVICE_UNAVAILABLE, ABORTED for transport failures
 * @throws DATA_INVALID when STS answers without credentials; CREDENTIALS_EXPIRING when they are already expired by this clock
 */
export async function issueAssumeRole(options: IssueAssumeRoleOptions): Promise<IssuedCredentials> {
  const maxSessionDuration = checkDuration(
    'maxSessionDuration',
    options.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    3_600,
    ASSUME_ROLE_MAX_SECONDS,
  );
  const maxDuration = Math.min(maxSessionDuration, ASSUME_ROLE_MAX_SECONDS);
  const durationSeconds = checkDuration(
    'durationSeconds',
    options.durationSeconds ?? Math.min(3_600, maxDuration),
    ASSUME_ROLE_MIN_SECONDS,
    maxDuration,
  );
  const mfaCode = checkMfaCode(options.mfaCode);
  const mfaSerial = checkMfaSerial(options.mfaSerial);
  const roleArn = checkRoleArn('roleArn', options.roleArn);
  const caseId = checkName('caseId', options.caseId);
  const host = checkName('host', options.host);
  const bucket = checkBucket('bucket', options.bucket);
  const sourceIdentity = checkSourceIdentity(options.sourceIdentity);
  const tags = checkTags(options.tags, caseId, host);
  const policy = sessionPolicyText(bucket, caseId, host);
  const sessionName = sessionNameFor(caseId, host);
  const requestedAt = (options.now ?? (() => new Date()))();
  let output: AssumeRoleCommandOutput;
  try {
    output = await options.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        Policy: policy,
        DurationSeconds: durationSeconds,
        SerialNumber: mfaSerial,
        TokenCode: mfaCode,
        SourceIdentity: sourceIdentity,
        Tags: tags,
      }),
      options.abortSignal ? { abortSignal: options.abortSignal } : {},
    );
  } catch (error) {
    throw translateAwsError(error, 'AssumeRole');
  }
  const assumedRoleArn = output.AssumedRoleUser?.Arn;
  return {
    mode: 'assume-role',
    ...credentialsFrom('AssumeRole', output.Credentials, durationSeconds, requestedAt),
    requestedAt,
    durationSeconds,
    scope: { bucket, prefix: `${caseId}/${host}/` },
    roleArn,
    sessionName,
    ...(assumedRoleArn ? { assumedRoleArn } : {}),
    sourceIdentity,
    caseId,
    host,
  };
}
