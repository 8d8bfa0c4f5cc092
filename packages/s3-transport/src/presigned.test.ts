import { createHash, randomBytes } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { type Fetch, type PresignedPlan, type PresignedRequest, uploadWithPlan } from './presigned.js';
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

describe('presignUpload: exact or capacity (offline: refused before any request)', () => {
  const transport = createTransport({
    bucket: 'b',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: async () => credentials,
  });
  it.each([
    ['both size and maxSize', { size: 10, maxSize: 10 }],
    ['neither size nor maxSize', {}],
    ['a maxSize of 0', { maxSize: 0 }],
    ['a maxSize over 5 TiB', { maxSize: 5 * 1024 ** 4 + 1 }],
    [
      'a maxSize needing more than 10,000 parts',
      { maxSize: 10_001 * 5 * 1024 * 1024, partSize: 5 * 1024 * 1024 },
    ],
    ['a part size under 5 MiB', { maxSize: 100, partSize: 1024 }],
  ])('refuses %s with INVALID_ARGUMENT', async (_label, options) => {
    expect(await codeOf(transport.presignUpload('k', options))).toBe('INVALID_ARGUMENT');
  });
});

/** A fake S3 behind presigned URLs: parts, complete, abort and HEAD, with SHA-256 checks like S3's. */
function fakeS3() {
  const parts = new Map<number, Buffer>();
  const state: {
    object?: Buffer;
    checksum?: string;
    aborted: number;
    completed: number;
    requests: string[];
  } = {
    aborted: 0,
    completed: 0,
    requests: [],
  };
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest();
  const fetch: Fetch = async (url, init) => {
    const path = new URL(url).pathname;
    state.requests.push(`${init.method} ${path}`);
    const body = init.body === undefined ? Buffer.alloc(0) : Buffer.from(init.body);
    const part = /^\/part\/(\d+)$/.exec(path);
    if (init.method === 'PUT' && part) {
      if (sha(body).toString('base64') !== init.headers['x-amz-checksum-sha256']) {
        return new Response('<Error><Code>BadDigest</Code></Error>', { status: 400 });
      }
      parts.set(Number(part[1]), body);
      return new Response(null, {
        status: 200,
        headers: { etag: `"p${part[1]}"`, 'x-amz-checksum-sha256': sha(body).toString('base64') },
      });
    }
    if (init.method === 'POST' && path === '/complete') {
      const numbers = [...String(init.body).matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) =>
        Number(m[1]),
      );
      state.object = Buffer.concat(numbers.map((n) => parts.get(n) ?? Buffer.alloc(0)));
      state.checksum = `${createHash('sha256')
        .update(Buffer.concat(numbers.map((n) => sha(parts.get(n) ?? Buffer.alloc(0)))))
        .digest('base64')}-${numbers.length}`;
      state.completed++;
      return new Response(
        '<CompleteMultipartUploadResult><ETag>"x-1"</ETag></CompleteMultipartUploadResult>',
      );
    }
    if (init.method === 'DELETE' && path === '/abort') {
      state.aborted++;
      return new Response(null, { status: 204 });
    }
    if (init.method === 'HEAD' && path === '/head') {
      if (!state.object) return new Response(null, { status: 404 });
      return new Response(null, {
        status: 200,
        headers: {
          'content-length': String(state.object.length),
          'x-amz-checksum-sha256': state.checksum ?? '',
        },
      });
    }
    return new Response(null, { status: 400 });
  };
  return { fetch, state };
}

const PART = 5 * 1024 * 1024;
const SIGNATURE = 'feedfacecafebeef0123456789abcdef';
function capacityPlan(maxSize: number): PresignedPlan {
  const request = (method: PresignedRequest['method'], path: string): PresignedRequest => ({
    method,
    url: `https://fake.invalid${path}?X-Amz-Signature=${SIGNATURE}`,
    headers: {},
  });
  return {
    version: 1,
    bucket: 'b',
    key: 'case/host/c.triage',
    maxSize,
    expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    kind: 'multipart',
    partSize: PART,
    uploadId: 'upload-1',
    parts: Array.from({ length: Math.ceil(maxSize / PART) }, (_, i) => request('PUT', `/part/${i + 1}`)),
    complete: request('POST', '/complete'),
    abort: request('DELETE', '/abort'),
    head: request('HEAD', '/head'),
  };
}
async function* pieces(bytes: Uint8Array, size = 64 * 1024): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
const hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const quick = { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 } };

describe('uploadWithPlan with a capacity plan (fake S3)', () => {
  it('uploads a body of unknown length in fixed parts and verifies the bytes sent', async () => {
    const s3 = fakeS3();
    const data = randomBytes(2 * PART + 17);
    const receipt = await uploadWithPlan(capacityPlan(4 * PART), pieces(data), {
      ...quick,
      fetch: s3.fetch,
    }).done();
    expect(receipt).toMatchObject({ size: data.length, parts: 3, partSize: PART, sourceSha256: hex(data) });
    expect(receipt.verification).toEqual({ method: 'head', sizeMatches: true, checksumMatches: true });
    expect(s3.state.object?.equals(data)).toBe(true);
    expect(s3.state.aborted).toBe(0);
  });

  it('uploads a small known-length body as a one-part multipart upload (no single PUT in the plan)', async () => {
    const s3 = fakeS3();
    const data = randomBytes(1000);
    const receipt = await uploadWithPlan(capacityPlan(PART), data, { ...quick, fetch: s3.fetch }).done();
    expect(receipt).toMatchObject({ size: 1000, parts: 1, multipartUploadId: 'upload-1' });
    expect(s3.state.requests).toEqual(['PUT /part/1', 'POST /complete', 'HEAD /head']);
  });

  it('an empty body is one empty part and an empty object', async () => {
    const s3 = fakeS3();
    const receipt = await uploadWithPlan(capacityPlan(3 * PART), pieces(new Uint8Array(0)), {
      ...quick,
      fetch: s3.fetch,
    }).done();
    expect(receipt).toMatchObject({ size: 0, parts: 1, sourceSha256: hex(new Uint8Array(0)) });
    expect(s3.state.object?.length).toBe(0);
  });

  it('a stream over maxSize fails with DATA_INVALID, completes nothing and aborts the upload', async () => {
    const s3 = fakeS3();
    const upload = uploadWithPlan(capacityPlan(2 * PART), pieces(randomBytes(2 * PART + 1)), {
      ...quick,
      fetch: s3.fetch,
    });
    const error = await upload.done().catch((e: unknown) => e);
    expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/maxSize of 10485760 bytes/);
    expect((error as Error).message).not.toContain(SIGNATURE);
    expect(s3.state.completed).toBe(0);
    expect(s3.state.aborted).toBe(1);
  });

  it('a known-size body over maxSize fails before any part is sent, and the upload is aborted', async () => {
    const s3 = fakeS3();
    const upload = uploadWithPlan(capacityPlan(PART), randomBytes(PART + 1), { ...quick, fetch: s3.fetch });
    expect(await codeOf(upload.done())).toBe('DATA_INVALID');
    expect(s3.state.requests).toEqual(['DELETE /abort']);
  });

  it('a body of exactly maxSize fits', async () => {
    const s3 = fakeS3();
    const data = randomBytes(2 * PART);
    const receipt = await uploadWithPlan(capacityPlan(2 * PART), pieces(data), {
      ...quick,
      fetch: s3.fetch,
    }).done();
    expect(receipt).toMatchObject({ size: 2 * PART, parts: 2 });
  });

  it('refuses a malformed plan at once, without echoing a URL', () => {
    const plan = capacityPlan(2 * PART);
    for (const bad of [
      { ...plan, size: 10 },
      { ...plan, parts: (plan.parts ?? []).slice(1) },
      { ...plan, kind: 'single' as const },
    ]) {
      let error: unknown;
      try {
        uploadWithPlan(bad, new Uint8Array(1));
      } catch (e) {
        error = e;
      }
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).not.toContain(SIGNATURE);
    }
  });
});
