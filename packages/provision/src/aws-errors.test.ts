/** The SDK-error edge: every failure becomes a TriageError with the SDK error as cause and no SDK text. */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { awsErrorName, call, callOrAbsent, translateAwsError } from './aws-errors.js';

const sdkError = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`SDK text that must not leak ${name}`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...extra,
  });
const iamOp = { service: 'IAM' as const, action: 'CreateRole', target: 'triage-acme-upload' };
const s3Op = { service: 'S3' as const, action: 'PutBucketEncryption', target: 'triage-acme-1' };

describe('translateAwsError', () => {
  it.each([
    ['AccessDenied', 403, iamOp, 'PERMISSION_DENIED'],
    ['AccessDeniedException', 400, iamOp, 'PERMISSION_DENIED'],
    ['NoSuchEntityException', 404, iamOp, 'NOT_FOUND'],
    ['NoSuchBucket', 404, s3Op, 'NOT_FOUND'],
    ['EntityAlreadyExistsException', 409, iamOp, 'ALREADY_EXISTS'],
    ['MalformedPolicyDocumentException', 400, iamOp, 'POLICY_INVALID'],
    ['MalformedPolicy', 400, s3Op, 'POLICY_INVALID'],
    ['InvalidClientTokenId', 403, iamOp, 'CREDENTIALS_INVALID'],
    ['ExpiredToken', 400, s3Op, 'CREDENTIALS_INVALID'],
    ['Throttling', 400, iamOp, 'THROTTLED'],
    ['SlowDown', 503, s3Op, 'THROTTLED'],
    ['ServiceFailureException', 500, iamOp, 'SERVICE_UNAVAILABLE'],
    ['LimitExceededException', 409, iamOp, 'CONFIG_INVALID'],
    ['ValidationError', 400, iamOp, 'INVALID_ARGUMENT'],
    ['InvalidArgument', 400, s3Op, 'S3_REQUEST_REJECTED'],
    ['KMS.NotFoundException', 400, s3Op, 'S3_REQUEST_REJECTED'],
  ] as const)('%s (%i) from %o is %s', (name, status, op, code) => {
    const cause = sdkError(name, status);
    const error = translateAwsError(cause, op);
    expect(error.code).toBe(code);
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(new RegExp(`^${op.service} ${op.action} on ${op.target} failed: .+\\.$`));
    expect(error.message).not.toContain('SDK text');
    expect(error.context).toMatchObject({
      service: op.service,
      action: op.action,
      target: op.target,
      httpStatus: status,
    });
  });

  it('network errors are retryable NETWORK_ERROR or TIMEOUT; TriageErrors pass through', () => {
    const reset = translateAwsError(Object.assign(new Error('socket'), { code: 'ECONNRESET' }), iamOp);
    expect(reset.code).toBe('NETWORK_ERROR');
    expect(reset.retryable).toBe(true);
    expect(translateAwsError(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), iamOp).code).toBe(
      'TIMEOUT',
    );
    expect(translateAwsError(sdkError('AbortError'), iamOp).code).toBe('ABORTED');
    const mine = translateAwsError(sdkError('AccessDenied', 403), iamOp);
    expect(translateAwsError(mine, s3Op)).toBe(mine);
  });

  it('names without the SDK suffix, from Code or name', () => {
    expect(awsErrorName(sdkError('NoSuchEntityException'))).toBe('NoSuchEntity');
    expect(awsErrorName({ Code: 'NoSuchTagSet', name: 'S3ServiceException' })).toBe('NoSuchTagSet');
    expect(awsErrorName('nope')).toBe('');
  });
});

describe('call and callOrAbsent', () => {
  it('return the value, translate failures, and read "there is none" as undefined', async () => {
    expect(await call(iamOp, async () => 1)).toBe(1);
    const denied = await call(iamOp, () => Promise.reject(sdkError('AccessDenied', 403))).catch(
      (e: unknown) => e,
    );
    expect(isTriageError(denied, 'PERMISSION_DENIED')).toBe(true);
    expect(
      await callOrAbsent(iamOp, ['NoSuchEntity'], () =>
        Promise.reject(sdkError('NoSuchEntityException', 404)),
      ),
    ).toBe(undefined);
    const other = await callOrAbsent(iamOp, ['NoSuchEntity'], () =>
      Promise.reject(sdkError('AccessDenied', 403)),
    ).catch((e: unknown) => e);
    expect(isTriageError(other, 'PERMISSION_DENIED')).toBe(true);
  });
});
