/**
 * The upload engine's logic against an in-memory S3 fake, for behaviour a
 * real server cannot be made to show on demand: how many parts are in
 * memory, a reply lost after the server acted, credentials running out
 * mid-upload, HEAD denied. Real servers are in transport.integ.test.ts.
 */
import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { compositeChecksum, MiB } from './parts.js';
import { codeOf } from './testing/support.js';
import { createTransport } from './transport.js';
import type { Credentials } from './types.js';

const PART = 5 * MiB;
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

type Hook = (
  input: Record<string, unknown>,
  call: number,
) => Promise<'lose-reply' | undefined> | 'lose-reply' | undefined;

class FakeS3 {
  readonly objects = new Map<string, { bytes: Buffer; checksum: string }>();
  readonly uploads = new Map<string, Map<number, Buffer>>();
  readonly calls: string[] = [];
  readonly hooks: Record<string, Hook> = {};
  inFlight = 0;
  maxInFlight = 0;
  partDelayMs = 0;
  credentials: Credentials = { accessKeyId: 'FAKEKEY', secretAccessKey: 'FAKESECRET' };
  readonly config = { credentials: async () => this.credentials };
  private counts: Record<string, number> = {};

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name.replace(/Command$/, '');
    const input = command.input;
    this.calls.push(name);
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    const hook = await this.hooks[name]?.(input, this.counts[name]);
    const result = await this.handle(name, input);
    if (hook === 'lose-reply') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    return result;
  }

  private fail(name: string, status: number): never {
    throw Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  }

  private async handle(name: string, input: Record<string, unknown>): Promise<unknown> {
    const key = input.Key as string;
    switch (name) {
      case 'PutObject': {
        if (input.IfNoneMatch === '*' && this.objects.has(key)) this.fail('PreconditionFailed', 412);
        const bytes = Buffer.from(input.Body as Uint8Array);
        this.objects.set(key, { bytes, checksum: sha(bytes).toString('base64') });
        return { ETag: '"etag"', ChecksumSHA256: sha(bytes).toString('base64') };
      }
      case 'CreateMultipartUpload': {
        const id = `upload-${this.uploads.size + 1}`;
        this.uploads.set(id, new Map());
        return { UploadId: id };
      }
      case 'UploadPart': {
        const parts = this.uploads.get(input.UploadId as string);
        if (!parts) this.fail('NoSuchUpload', 404);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        await new Promise((resolve) => setTimeout(resolve, this.partDelayMs));
        this.inFlight--;
        const bytes = Buffer.from(input.Body as Uint8Array);
        parts.set(input.PartNumber as number, bytes);
        return { ETag: `"part-${input.PartNumber}"`, ChecksumSHA256: sha(bytes).toString('base64') };
      }
      case 'CompleteMultipartUpload': {
        const parts = this.uploads.get(input.UploadId as string);
        if (!parts) this.fail('NoSuchUpload', 404);
        if (input.IfNoneMatch === '*' && this.objects.has(key)) this.fail('PreconditionFailed', 412);
        const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]).map(([, bytes]) => bytes);
        this.objects.set(key, {
          bytes: Buffer.concat(ordered),
          checksum: compositeChecksum(ordered.map(sha)),
        });
        this.uploads.delete(input.UploadId as string);
        return { ETag: '"etag-n"' };
      }
      case 'AbortMultipartUpload':
        this.uploads.delete(input.UploadId as string);
        return {};
      case 'HeadObject': {
        const object = this.objects.get(key);
        if (!object) this.fail('NotFound', 404);
        return { ContentLength: object.bytes.length, ChecksumSHA256: object.checksum };
      }
      default:
        throw new Error(`fake S3 has no ${name}`);
    }
  }
}

function setup(now: () => number = Date.now) {
  const fake = new FakeS3();
  const transport = createTransport({
    bucket: 'fake',
    client: fake as unknown as S3Client,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    now,
  });
  return { fake, transport };
}

describe('upload engine (in-memory S3 fake)', () => {
  it('holds at most concurrency + 1 parts in memory, whatever the size', async () => {
    const { fake, transport } = setup();
    fake.partDelayMs = 15;
    const concurrency = 3;
    let pulled = 0;
    let worst = 0;
    const acknowledged = { bytes: 0 };
    async function* source() {
      for (let i = 0; i < 60; i++) {
        worst = Math.max(worst, pulled - acknowledged.bytes);
        pulled += MiB;
        yield new Uint8Array(MiB);
      }
    }
    const receipt = await transport
      .upload('big', source(), {
        partSize: PART,
        concurrency,
        onProgress: (p) => {
          acknowledged.bytes = p.loaded;
        },
      })
      .done();
    expect(receipt.size).toBe(60 * MiB);
    expect(fake.maxInFlight).toBe(concurrency);
    // Bytes read but not yet acknowledged never exceed (concurrency + 1) parts plus one source piece.
    expect(worst).toBeLessThanOrEqual((concurrency + 1) * PART + MiB);
    expect(worst).toBeGreaterThan(concurrency * PART - MiB);
  });

  it('treats a retried PUT that finds its own object (reply lost) as success', async () => {
    const { fake, transport } = setup();
    fake.hooks.PutObject = (_input, call) => (call === 1 ? 'lose-reply' : undefined);
    const receipt = await transport.upload('lost/put', new Uint8Array([1, 2, 3])).done();
    expect(receipt.size).toBe(3);
    expect(fake.calls.filter((c) => c === 'PutObject')).toHaveLength(2);
  });

  it('treats a retried Complete that finds the upload gone and the object ours as success', async () => {
    const { fake, transport } = setup();
    fake.hooks.CompleteMultipartUpload = (_input, call) => (call === 1 ? 'lose-reply' : undefined);
    const data = new Uint8Array(PART + 1);
    const receipt = await transport.upload('lost/complete', data, { partSize: PART }).done();
    expect(receipt.parts).toBe(2);
    expect(fake.calls.filter((c) => c === 'CompleteMultipartUpload')).toHaveLength(2);
  });

  it('still refuses when a retried PUT finds someone else’s object', async () => {
    const { fake, transport } = setup();
    fake.hooks.PutObject = (input, call) => {
      if (call === 1) fake.objects.set(input.Key as string, { bytes: Buffer.from('other'), checksum: 'x' });
      return call === 1 ? 'lose-reply' : undefined;
    };
    expect(await codeOf(transport.upload('lost/other', new Uint8Array([1])).done())).toBe('ALREADY_EXISTS');
  });

  it('stops before credentials run out, aborts the multipart upload, completes nothing', async () => {
    let clock = 1_000_000;
    const { fake, transport } = setup(() => clock);
    fake.credentials = { ...fake.credentials, expiration: new Date(clock + 5 * 60_000) };
    fake.hooks.UploadPart = () => {
      clock += 90_000; // each part takes a minute and a half
      return undefined;
    };
    const error = await codeOf(
      transport.upload('expiring', new Uint8Array(6 * PART), { partSize: PART, concurrency: 1 }).done(),
    );
    expect(error).toBe('CREDENTIALS_EXPIRING');
    expect(fake.calls).toContain('AbortMultipartUpload');
    expect(fake.objects.size).toBe(0);
    expect(fake.uploads.size).toBe(0);
  });

  it('counts bytes sent again by retries', async () => {
    const { fake, transport } = setup();
    fake.hooks.UploadPart = (input, call) => {
      if (input.PartNumber === 2 && call <= 2)
        throw Object.assign(new Error('InternalError'), {
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        });
      return undefined;
    };
    const receipt = await transport
      .upload('retried', new Uint8Array(2 * PART), { partSize: PART, concurrency: 1 })
      .done();
    expect(receipt.sentBytes).toBe(3 * PART);
    expect(receipt.skippedBytes).toBe(0);
  });

  it('verifies from the reply when HEAD is denied (write-only credentials)', async () => {
    const { fake, transport } = setup();
    fake.hooks.HeadObject = () => {
      throw Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
    };
    const receipt = await transport.upload('write-only', new Uint8Array([9])).done();
    expect(receipt.verification).toEqual({ method: 'response', sizeMatches: null, checksumMatches: true });
  });

  it('fails with INTEGRITY_MISMATCH when the stored object differs from what was sent', async () => {
    const { fake, transport } = setup();
    fake.hooks.HeadObject = (input) => {
      fake.objects.set(input.Key as string, { bytes: Buffer.from('tampered'), checksum: 'x' });
      return undefined;
    };
    expect(await codeOf(transport.upload('differs', new Uint8Array([9])).done())).toBe('INTEGRITY_MISMATCH');
  });

  it('validates options before any request', async () => {
    const { fake, transport } = setup();
    expect(await codeOf(transport.upload('', new Uint8Array(1)).done())).toBe('INVALID_ARGUMENT');
    expect(await codeOf(transport.upload('k', new Uint8Array(1), { concurrency: 0 }).done())).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(transport.upload('k', new Uint8Array(1), { partSize: MiB }).done())).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(transport.upload('k', new Uint8Array(1), { journal: '/tmp/j' }).done())).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(transport.upload('k', 'text' as never).done())).toBe('INVALID_ARGUMENT');
    expect(fake.calls).toEqual([]);
  });
});
