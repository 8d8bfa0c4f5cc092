/**
 * The edge where SDK and network errors become TriageErrors. Nothing from
 * the SDK's error types leaves this package except as `cause`.
 */
import { type ErrorContext, isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';

interface SdkLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

const CREDENTIAL_ERRORS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'InvalidClientTokenId',
  'InvalidToken',
  'SignatureDoesNotMatch',
  'TokenRefreshRequired',
  'CredentialsProviderError',
]);
const THROTTLE_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequests',
  'RequestLimitExceeded',
]);
const SERVER_ERRORS = new Set([
  'InternalError',
  'ServiceUnavailable',
  'InternalServerError',
  'XMinioServerNotInitialized',
]);
const TIMEOUT_ERRORS = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);
const DIGEST_ERRORS = new Set(['BadDigest', 'InvalidDigest', 'XAmzContentChecksumMismatch']);

/** What an S3 call was doing, for messages and safe context. */
export interface Operation {
  /** e.g. `UploadPart`, `HeadObject`. */
  readonly action: string;
  readonly bucket: string;
  readonly key?: string;
  readonly partNumber?: number;
}

function describe(op: Operation): string {
  const where = op.key === undefined ? `s3://${op.bucket}` : `s3://${op.bucket}/${op.key}`;
  return `${op.action}${op.partNumber === undefined ? '' : ` part ${op.partNumber}`} on ${where}`;
}

function classify(error: SdkLikeError): { code: TriageErrorCode; retryable: boolean; hint: string } {
  const name = error.name ?? '';
  const code = error.code ?? '';
  const status = error.$metadata?.httpStatusCode;
  if (name === 'AbortError') return { code: 'ABORTED', retryable: false, hint: 'cancelled' };
  if (
    /^(CERT_|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_TLS_CERT_ALTNAME)/.test(code)
  ) {
    return {
      code: 'TLS_UNTRUSTED',
      retryable: false,
      hint: `the server's TLS certificate is not trusted (${code}); pass its CA certificate with the \`ca\` option (verification stays on)`,
    };
  }
  if (CREDENTIAL_ERRORS.has(name) || CREDENTIAL_ERRORS.has(code)) {
    return {
      code: 'CREDENTIALS_INVALID',
      retryable: false,
      hint: `the credentials were refused (${name}): they are wrong, expired or revoked; get new ones`,
    };
  }
  if (name === 'NoSuchBucket')
    return { code: 'NOT_FOUND', retryable: false, hint: 'the bucket does not exist' };
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchUpload')) {
    return { code: 'NOT_FOUND', retryable: false, hint: 'no such object' };
  }
  if (name === 'NoSuchUpload') {
    return {
      code: 'NOT_FOUND',
      retryable: false,
      hint: 'the multipart upload no longer exists (aborted or expired)',
    };
  }
  if (name === 'PreconditionFailed' || status === 412) {
    return {
      code: 'ALREADY_EXISTS',
      retryable: false,
      hint: 'the object already exists and is never overwritten',
    };
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    return {
      code: 'PERMISSION_DENIED',
      retryable: false,
      hint: 'access denied: the credentials are not allowed to do this',
    };
  }
  if (DIGEST_ERRORS.has(name)) {
    return {
      code: 'INTEGRITY_MISMATCH',
      retryable: true,
      hint: 'the server computed another checksum: the data changed in transit',
    };
  }
  if (THROTTLE_ERRORS.has(name) || status === 429 || (status === 503 && name === 'SlowDown')) {
    return { code: 'THROTTLED', retryable: true, hint: 'the server asked to slow down' };
  }
  // The errno code is the truthful part: the SDK names a reset socket 'TimeoutError'.
  if (code === 'ETIMEDOUT') {
    return { code: 'TIMEOUT', retryable: true, hint: 'the request timed out or the connection stalled' };
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) {
    return { code: 'NETWORK_ERROR', retryable: true, hint: `the connection failed (${code || name})` };
  }
  if (TIMEOUT_ERRORS.has(name)) {
    return { code: 'TIMEOUT', retryable: true, hint: 'the request timed out or the connection stalled' };
  }
  if (/socket hang up|other side closed/i.test(error.message ?? '')) {
    return { code: 'NETWORK_ERROR', retryable: true, hint: 'the connection failed' };
  }
  if (
    SERVER_ERRORS.has(name) ||
    name === 'ConditionalRequestConflict' ||
    (status !== undefined && status >= 500)
  ) {
    return { code: 'SERVICE_UNAVAILABLE', retryable: true, hint: `the server failed (${name || status})` };
  }
  if (status !== undefined && status >= 400) {
    return {
      code: 'S3_REQUEST_REJECTED',
      retryable: false,
      hint: `the server rejected the request (${name || status})`,
    };
  }
  return { code: 'NETWORK_ERROR', retryable: true, hint: `unexpected failure (${name || 'unknown'})` };
}

/**
 * Translates any error from an S3 call into a TriageError with a specific
 * code, keeping the original as `cause`. TriageErrors pass through.
 */
export function translate(error: unknown, op: Operation): TriageError {
  if (isTriageError(error)) return error;
  const sdk = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as SdkLikeError;
  const { code, retryable, hint } = classify(sdk);
  const context: ErrorContext = {
    action: op.action,
    bucket: op.bucket,
    ...(op.key === undefined ? {} : { key: op.key }),
    ...(op.partNumber === undefined ? {} : { partNumber: op.partNumber }),
    ...(sdk.name ? { s3Error: sdk.name } : {}),
    ...(sdk.$metadata?.httpStatusCode ? { httpStatus: sdk.$metadata.httpStatusCode } : {}),
  };
  return new TriageError(code, `${describe(op)} failed: ${hint}.`, { cause: error, context, retryable });
}

/** The HTTP status of an SDK error, if any. */
export function statusOf(error: unknown): number | undefined {
  const cause = isTriageError(error) ? error.cause : error;
  return (cause as SdkLikeError | undefined)?.$metadata?.httpStatusCode;
}
