import { describe, expect, it } from 'vitest';
import { translate } from './errors.js';

const op = { action: 'UploadPart', bucket: 'acme', key: 'case/host/c.tri', partNumber: 3 };
const sdk = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`${name} message`), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : {}),
    ...extra,
  });

describe('translate', () => {
  it.each([
    [sdk('AccessDenied', 403), 'PERMISSION_DENIED', false],
    [sdk('Forbidden', 403), 'PERMISSION_DENIED', false],
    [sdk('ExpiredToken', 400), 'CREDENTIALS_INVALID', false],
    [sdk('InvalidAccessKeyId', 403), 'CREDENTIALS_INVALID', false],
    [sdk('SignatureDoesNotMatch', 403), 'CREDENTIALS_INVALID', false],
    [sdk('NoSuchBucket', 404), 'NOT_FOUND', false],
    [sdk('NoSuchKey', 404), 'NOT_FOUND', false],
    [sdk('NotFound', 404), 'NOT_FOUND', false],
    [sdk('NoSuchUpload', 404), 'NOT_FOUND', false],
    [sdk('PreconditionFailed', 412), 'ALREADY_EXISTS', false],
    [sdk('SlowDown', 503), 'THROTTLED', true],
    [sdk('TooManyRequests', 429), 'THROTTLED', true],
    [sdk('InternalError', 500), 'SERVICE_UNAVAILABLE', true],
    [sdk('Error', 502), 'SERVICE_UNAVAILABLE', true],
    [sdk('XAmzContentChecksumMismatch', 400), 'INTEGRITY_MISMATCH', true],
    [sdk('BadDigest', 400), 'INTEGRITY_MISMATCH', true],
    [sdk('RequestTimeout', 400), 'TIMEOUT', true],
    [sdk('TimeoutError'), 'TIMEOUT', true],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'NETWORK_ERROR', true],
    [new Error('socket hang up'), 'NETWORK_ERROR', true],
    [
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
      'NETWORK_ERROR',
      true,
    ],
    [Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT' }), 'TIMEOUT', true],
    [sdk('InvalidArgument', 400), 'S3_REQUEST_REJECTED', false],
    [sdk('AbortError'), 'ABORTED', false],
    [
      Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
      'TLS_UNTRUSTED',
      false,
    ],
    [
      Object.assign(new Error('unable to verify the first certificate'), {
        code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      }),
      'TLS_UNTRUSTED',
      false,
    ],
    [
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      }),
      'TLS_UNTRUSTED',
      false,
    ],
  ])('%s → %s', (error, code, retryable) => {
    const translated = translate(error, op);
    expect(translated.code).toBe(code);
    expect(translated.retryable).toBe(retryable);
    expect(translated.cause).toBe(error);
    expect(translated.message).toContain('UploadPart part 3 on s3://acme/case/host/c.tri failed');
  });

  it('keeps safe context and never the error message body', () => {
    const translated = translate(sdk('AccessDenied', 403), op);
    expect(translated.context).toEqual({
      action: 'UploadPart',
      bucket: 'acme',
      key: 'case/host/c.tri',
      partNumber: 3,
      s3Error: 'AccessDenied',
      httpStatus: 403,
    });
  });
});
