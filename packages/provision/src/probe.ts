/**
 * The live probe: with a fresh short-lived upload credential, try what it
 * should do (PutObject under its prefix) and what it must not (read, list,
 * delete, write elsewhere), and report every unexpected answer.
 */
import { randomBytes } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { TriageError } from '@triage/errors';
import { awsErrorName, httpStatus, translateAwsError } from './aws-errors.js';
import { type Finding, finding } from './findings.js';

/** The probe's inputs, as {@link auditClient} takes them. */
export interface ProbeOptions {
  /**
   * An S3 client built by the caller with a fresh short credential, minted
   * exactly as one would be for a host (e.g. AssumeRole with the case/host
   * session policy).
   */
  readonly s3: S3Client;
  /** The prefix the credential may write under, e.g. `case-1/host-1` (slashes at the ends ignored). */
  readonly prefix: string;
}

/** Options for {@link probeUploader}. */
export interface ProbeUploaderOptions extends ProbeOptions {
  readonly bucket: string;
  /** The clock for the probe object's name and body; default `() => new Date()`. */
  readonly now?: () => Date;
  /** A random suffix for the probe keys; default 8 random hex characters. */
  readonly randomId?: () => string;
}

type Answer =
  | { readonly kind: 'allowed'; readonly how: string }
  | { readonly kind: 'denied'; readonly how: string }
  | { readonly kind: 'other'; readonly how: string };

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);

async function attempt(action: string, target: string, fn: () => Promise<unknown>): Promise<Answer> {
  try {
    await fn();
    return { kind: 'allowed', how: 'succeeded' };
  } catch (error) {
    const name = awsErrorName(error);
    const status = httpStatus(error);
    // An error answer without a body (HEAD, or a bare 403) has no code: the SDK calls it Unknown.
    const code = name !== '' && name !== 'Unknown' ? name : `HTTP ${status ?? 'error'}`;
    if (CREDENTIAL_ERRORS.has(name)) {
      throw new TriageError(
        'CREDENTIALS_INVALID',
        `The probe credential was refused (${name}): mint a fresh one and audit again.`,
        { cause: error, context: { action, target, awsError: name } },
      );
    }
    if (name === 'NoSuchBucket') throw translateAwsError(error, { service: 'S3', action, target });
    if (name === 'AccessDenied' || status === 403) return { kind: 'denied', how: `refused (${code})` };
    // Past authorisation: the request was allowed and failed for another reason.
    if (name === 'NoSuchKey' || name === 'PreconditionFailed' || status === 404 || status === 412)
      return { kind: 'allowed', how: `not refused: ${code}, so it was authorised` };
    if (status === undefined || status >= 500 || name === 'SlowDown' || name === 'Throttling')
      throw translateAwsError(error, { service: 'S3', action, target });
    return { kind: 'other', how: `answered ${code}` };
  }
}

function trimPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  if (trimmed === '' || trimmed.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `The probe prefix "${prefix}" must be a non-empty path such as "case-1/host-1".`,
      { context: { prefix } },
    );
  }
  return trimmed;
}

/**
 * Probes an upload credential against the bucket: PutObject under `prefix/`
 * must succeed; GetObject and DeleteObject of that object, ListObjectsV2 of
 * the prefix, and PutObject outside the prefix must each be refused with
 * AccessDenied. An unexpected success is a `high` finding; a refused upload
 * or an unexpected error answer is `medium`; each expected answer is `info`.
 *
 * It writes one small object, `<prefix>/.triage-probe-<time>-<random>`
 * (with `If-None-Match: *`), which a write-only credential cannot remove
 * afterwards; a credential that can also write outside the prefix leaves a
 * second one, `triage-probe-outside/<time>-<random>`.
 *
 * @param options - the probe client, bucket and prefix
 * @returns one finding per attempt
 * @throws INVALID_ARGUMENT when the prefix is empty or has empty, `.` or `..` segments
 * @throws CREDENTIALS_INVALID when the probe credential is refused as unknown or expired
 * @throws NOT_FOUND when the bucket does not exist
 * @throws NETWORK_ERROR, TIMEOUT, THROTTLED, SERVICE_UNAVAILABLE when an answer could not be had
 */
export async function probeUploader(options: ProbeUploaderOptions): Promise<Finding[]> {
  const { s3, bucket } = options;
  const prefix = trimPrefix(options.prefix);
  const now = (options.now ?? (() => new Date()))();
  const id = (options.randomId ?? (() => randomBytes(4).toString('hex')))();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const inside = `${prefix}/.triage-probe-${stamp}-${id}`;
  const outside = `triage-probe-outside/${stamp}-${id}`;
  const body = `triage audit probe ${now.toISOString()}\n`;
  const url = (key: string) => `s3://${bucket}/${key}`;
  const put = (key: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        IfNoneMatch: '*',
        ContentType: 'text/plain',
      }),
    );

  const findings: Finding[] = [];
  const putInside = await attempt('PutObject', url(inside), () => put(inside));
  if (putInside.kind === 'allowed' && putInside.how === 'succeeded')
    findings.push(
      finding('probe-put-inside', 'info', `PutObject to ${url(inside)} succeeded, as it should.`),
    );
  else
    findings.push(
      finding(
        'probe-put-inside',
        'medium',
        `PutObject to ${url(inside)} ${putInside.how}: the credential cannot upload under ${prefix}/; check its session policy and the role.`,
      ),
    );

  const mustBeRefused: readonly [string, string, string, () => Promise<unknown>][] = [
    [
      'probe-get-inside',
      'GetObject',
      url(inside),
      async () => {
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: inside }));
        await got.Body?.transformToByteArray();
      },
    ],
    [
      'probe-list',
      'ListObjectsV2',
      `s3://${bucket}/${prefix}/`,
      () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1 })),
    ],
    [
      'probe-delete-inside',
      'DeleteObject',
      url(inside),
      () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: inside })),
    ],
    ['probe-put-outside', 'PutObject', url(outside), () => put(outside)],
  ];
  for (const [findingId, action, target, fn] of mustBeRefused) {
    const answer = await attempt(action, target, fn);
    if (answer.kind === 'denied')
      findings.push(finding(findingId, 'info', `${action} on ${target} was ${answer.how}, as it should be.`));
    else if (answer.kind === 'allowed')
      findings.push(
        finding(
          findingId,
          'high',
          `${action} on ${target} ${answer.how}: the upload credential is not write-only under ${prefix}/; fix the role, session and bucket policies before issuing credentials.`,
        ),
      );
    else
      findings.push(
        finding(
          findingId,
          'medium',
          `${action} on ${target} ${answer.how} instead of AccessDenied: check the bucket and the credential.`,
        ),
      );
  }
  return findings;
}
