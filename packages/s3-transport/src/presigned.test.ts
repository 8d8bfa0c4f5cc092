import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { codeOf } from './testing/support.js';
import { createTransport } from './transport.js';

const credentials = { accessKeyId: 'FAKEKEYID', secretAccessKey: 'FAKESECRET' };

describe('presignUpload (offline: a single-PUT plan needs no request)', () => {
  it("refuses a client that would sign the SDK's default empty-body CRC32 into the URL", async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials,
    });
    const transport = createTransport({ bucket: 'b', client });
    expect(await codeOf(transport.presignUpload('k', { size: 10 }))).toBe('INVALID_ARGUMENT');
  });

  it('signs If-None-Match and the content type; leaves the secret out; caps expiry at the credentials', async () => {
    const expiration = new Date(Date.now() + 10 * 60_000);
    const transport = createTransport({
      bucket: 'b',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: async () => ({ ...credentials, sessionToken: 'FAKETOKEN', expiration }),
    });
    const plan = await transport.presignUpload('case/host/c.tri', { size: 10, expiresInSeconds: 3600 });
    expect(plan.kind).toBe('single');
    const url = new URL(plan.put?.url ?? '');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-type;host;if-none-match');
    expect(plan.put?.headers).toEqual({ 'if-none-match': '*', 'content-type': 'application/octet-stream' });
    expect(JSON.stringify(plan)).not.toContain('FAKESECRET');
    expect(new Date(plan.expiresAt).getTime()).toBeLessThanOrEqual(expiration.getTime() - 60_000);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBeLessThan(600);
  });
});
