/**
 * The edge where S3, IAM and STS errors become TriageErrors. SDK errors leave
 * this package only as `cause`; messages carry the AWS error name and the
 * resource, never the SDK's message text.
 */
import { isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';

/** What a call was doing, for messages and safe context. */
export interface AwsOperation {
  readonly service: 'S3' | 'IAM' | 'STS';
  /** The API action, e.g. `PutBucketPolicy`. */
  readonly action: string;
  /** The bucket, user, role… it acted on. */
  readonly target: string;
}

interface SdkLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly Code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidClientTokenId',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'CredentialsProviderError',
  'UnrecognizedClient',
]);
const THROTTLE_ERRORS = new Set(['Throttling', 'SlowDown', 'TooManyRequests', 'RequestLimitExceeded']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

/**
 * The AWS error name without the SDK's `Exception` suffix: IAM's
 * `NoSuchEntityException` and moto's `NoSuchEntity` both give `NoSuchEntity`.
 */
export function awsErrorName(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const e = error as SdkLikeError;
  const name = e.Code ?? e.name ?? '';
  return name.endsWith('Exception') && name !== 'Exception' ? name.slice(0, -'Exception'.length) : name;
}

/** The HTTP status of an SDK error, if it has one. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as SdkLikeError).$metadata?.httpStatusCode;
}

function classify(
  error: unknown,
  op: AwsOperation,
): { code: TriageErrorCode; hint: string; retryable?: boolean } {
  const name = awsErrorName(error);
  const errno = typeof error === 'object' && error !== null ? ((error as SdkLikeError).code ?? '') : '';
  const status = httpStatus(error);
  if (name === 'AbortError') return { code: 'ABORTED', hint: 'it was cancelled' };
  if (CREDENTIAL_ERRORS.has(name)) {
    return {
      code: 'CREDENTIALS_INVALID',
      hint: `the admin credentials were refused (${name}): they are wrong, expired or revoked; get fresh ones`,
    };
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || status === 403) {
    return {
      code: 'PERMISSION_DENIED',
      hint: `access denied (${name || status}): use admin credentials allowed to call ${op.service} ${op.action}`,
    };
  }
  if (name === 'NoSuchEntity' || name === 'NoSuchBucket' || name === 'NotFound' || status === 404) {
    return { code: 'NOT_FOUND', hint: `it does not exist (${name || status}): run setup first` };
  }
  if (name === 'EntityAlreadyExists' || name === 'BucketAlreadyExists') {
    return { code: 'ALREADY_EXISTS', hint: `it already exists (${name}): choose another name` };
  }
  if (name === 'MalformedPolicyDocument' || name === 'MalformedPolicy') {
    return {
      code: 'POLICY_INVALID',
      hint: `${op.service} refused the policy (${name}): check that every principal it names exists`,
    };
  }
  if (THROTTLE_ERRORS.has(name) || status === 429) {
    return { code: 'THROTTLED', hint: 'AWS asked to slow down: wait a minute and run it again' };
  }
  if (errno === 'ETIMEDOUT' || name === 'TimeoutError' || name === 'RequestTimeout') {
    return { code: 'TIMEOUT', hint: 'the request timed out: check the network and run it again' };
  }
  if (NETWORK_CODES.has(errno) || NETWORK_CODES.has(name)) {
    return {
      code: 'NETWORK_ERROR',
      hint: `the connection failed (${errno || name}): check the endpoint and network`,
    };
  }
  if (status !== undefined && status >= 500) {
    return {
      code: 'SERVICE_UNAVAILABLE',
      hint: `${op.service} failed (${name || status}): run it again later`,
    };
  }
  if (name === 'LimitExceeded') {
    return {
      code: 'CONFIG_INVALID',
      hint: `an IAM quota was reached (${name}): remove unused entities and retry`,
    };
  }
  if (op.service === 'S3') {
    return {
      code: 'S3_REQUEST_REJECTED',
      hint: `S3 rejected the request (${name || status || 'unknown error'}): check the region, KMS key and settings`,
    };
  }
  return {
    code: 'INVALID_ARGUMENT',
    hint: `${op.service} rejected the request (${name || status || 'unknown error'}): check the names and values passed`,
  };
}

/**
 * Translates an SDK (or network) error into a TriageError, keeping it as
 * `cause`. TriageErrors pass through unchanged.
 *
 * @param error - what the SDK threw
 * @param op - what was being done
 * @returns the TriageError to throw
 */
export function translateAwsError(error: unknown, op: AwsOperation): TriageError {
  if (isTriageError(error)) return error;
  const { code, hint, retryable } = classify(error, op);
  const name = awsErrorName(error);
  const status = httpStatus(error);
  return new TriageError(code, `${op.service} ${op.action} on ${op.target} failed: ${hint}.`, {
    cause: error,
    context: {
      service: op.service,
      action: op.action,
      target: op.target,
      ...(name ? { awsError: name } : {}),
      ...(status === undefined ? {} : { httpStatus: status }),
    },
    ...(retryable === undefined ? {} : { retryable }),
  });
}

/**
 * Runs one AWS call, translating what it throws.
 *
 * @throws the translated TriageError
 */
export async function call<T>(op: AwsOperation, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateAwsError(error, op);
  }
}

/**
 * Runs one AWS read that may answer "there is none": returns `undefined` when
 * the error's name is one of `absent`, else translates the error.
 *
 * @throws the translated TriageError for any other failure
 */
export async function callOrAbsent<T>(
  op: AwsOperation,
  absent: readonly string[],
  fn: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    if (absent.includes(awsErrorName(error))) return undefined;
    throw translateAwsError(error, op);
  }
}
