/**
 * The edge where STS and IAM SDK errors become TriageErrors. Nothing from the
 * SDK's error types leaves this package except as `cause`. Messages come from
 * this table, never from the AWS message text (which is only kept, redacted,
 * in the cause), so they cannot echo a parameter.
 */
import { isTriageError, redactText, TriageError, type TriageErrorCode } from '@triage/errors';

interface SdkLikeError {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string };
}

const CREDENTIAL_ERRORS = new Set([
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidAccessKeyId',
  'UnrecognizedClientException',
  'IncompleteSignature',
  'CredentialsProviderError',
]);
const THROTTLE_ERRORS = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
]);
const SERVER_ERRORS = new Set([
  'ServiceFailure',
  'ServiceFailureException',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
]);
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

/** What to tell the user when AWS refuses, per operation. */
const ACCESS_DENIED_HINTS: Readonly<Record<string, string>> = {
  GetSessionToken:
    "STS refused GetSessionToken: the MFA code may be wrong or already used (wait for the next one), the MFA device may not be the user's, or the key is not the uploader's long-term key",
  AssumeRole:
    "STS refused AssumeRole: the MFA code may be wrong or already used (wait for the next one), or the role's trust policy does not allow this long-term key, sts:TagSession or sts:SetSourceIdentity",
};

function classify(operation: string, error: SdkLikeError): { code: TriageErrorCode; hint: string } {
  const name = error.name ?? '';
  const code = error.code ?? '';
  const status = error.$metadata?.httpStatusCode;
  if (name === 'AbortError') return { code: 'ABORTED', hint: `${operation} was cancelled` };
  if (CREDENTIAL_ERRORS.has(name) || CREDENTIAL_ERRORS.has(code)) {
    return {
      code: 'CREDENTIALS_INVALID',
      hint: `AWS did not accept the credentials the ${operation} client signs with (${name}): check the access key is active and its secret is right`,
    };
  }
  if (THROTTLE_ERRORS.has(name)) {
    return { code: 'THROTTLED', hint: `AWS throttled ${operation}: wait a few seconds and try again` };
  }
  if (name === 'ConcurrentModificationException' || name === 'EntityTemporarilyUnmodifiableException') {
    return {
      code: 'THROTTLED',
      hint: `${operation}: IAM is busy with another change to the same entity; wait a few seconds and try again`,
    };
  }
  if (name === 'UnmodifiableEntityException') {
    return {
      code: 'PERMISSION_DENIED',
      hint: `${operation}: the entity is managed by AWS and cannot be changed; name the uploader role or user`,
    };
  }
  if (name === 'NoSuchEntity' || name === 'NoSuchEntityException' || status === 404) {
    return {
      code: 'NOT_FOUND',
      hint: `${operation}: the named user, role or key does not exist in this account; check the name and the account the client uses`,
    };
  }
  if (name === 'MalformedPolicyDocument' || name === 'MalformedPolicyDocumentException') {
    return { code: 'POLICY_INVALID', hint: `AWS refused the policy document of ${operation} as malformed` };
  }
  if (name === 'PackedPolicyTooLarge' || name === 'PackedPolicyTooLargeException') {
    return {
      code: 'INVALID_ARGUMENT',
      hint: `${operation}: the session policy and tags are too large once packed; pass fewer or shorter tags`,
    };
  }
  if (name === 'LimitExceeded' || name === 'LimitExceededException') {
    return {
      code: 'CONFIG_INVALID',
      hint: `${operation}: an IAM quota is exhausted (a user's inline policies may total 2,048 characters, a role's 10,240); remove superseded triage-revoke-* policies`,
    };
  }
  if (name === 'RegionDisabledException') {
    return {
      code: 'CONFIG_INVALID',
      hint: `${operation}: STS is not activated in this region; activate it or use another region`,
    };
  }
  if (
    name === 'AccessDenied' ||
    name === 'AccessDeniedException' ||
    name === 'UnauthorizedOperation' ||
    status === 403
  ) {
    return {
      code: 'PERMISSION_DENIED',
      hint:
        ACCESS_DENIED_HINTS[operation] ??
        `AWS refused ${operation}: the credentials in use are not allowed to do it`,
    };
  }
  if (
    name === 'ValidationError' ||
    name === 'InvalidParameterValue' ||
    name === 'InvalidParameterCombination' ||
    name === 'InvalidInput' ||
    name === 'InvalidInputException' ||
    name === 'IDPRejectedClaim'
  ) {
    return {
      code: 'INVALID_ARGUMENT',
      hint: `AWS refused the parameters of ${operation} (${name}); check the duration against the role's maximum session duration`,
    };
  }
  if (name === 'TimeoutError' || code === 'ETIMEDOUT' || name === 'RequestTimeout') {
    return { code: 'TIMEOUT', hint: `${operation} timed out; try again` };
  }
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) {
    return {
      code: 'NETWORK_ERROR',
      hint: `${operation} could not reach AWS (${code || name}); check the network and endpoint`,
    };
  }
  if (SERVER_ERRORS.has(name) || (status !== undefined && status >= 500)) {
    return { code: 'SERVICE_UNAVAILABLE', hint: `AWS could not serve ${operation} right now; try again` };
  }
  return {
    code: 'INTERNAL',
    hint: `unexpected error from ${operation} (${name || 'unknown'}); re-run with --debug and report it`,
  };
}

/**
 * Translates an SDK error from `operation` into a TriageError; a TriageError
 * passes through unchanged.
 */
export function translateAwsError(error: unknown, operation: string): TriageError {
  if (isTriageError(error)) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError;
  const { code, hint } = classify(operation, sdk);
  const awsError = sdk.name ?? sdk.code ?? 'unknown';
  return new TriageError(code, hint, {
    cause: error,
    context: {
      operation,
      awsError: redactText(String(awsError)).slice(0, 100),
      ...(sdk.$metadata?.httpStatusCode === undefined ? {} : { httpStatus: sdk.$metadata.httpStatusCode }),
      ...(sdk.$metadata?.requestId === undefined ? {} : { requestId: sdk.$metadata.requestId }),
    },
  });
}
