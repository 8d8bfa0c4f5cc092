/**
 * Faults between the transport and real servers, injected by the test kit's
 * fault proxy: resets before and after the server acted, 500s, SlowDown,
 * stalls, truncated bodies. Every object that completes must have the
 * source's SHA-256; every failure must be a clean error with its code.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type {} from '@triage/testkit';
import { type FaultProxy, type FaultRule, type ServerName, startFaultProxy } from '@triage/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { adminClient, codeOf, transportFor } from './testing/support.js';
import type { Transport } from './transport.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function describeFaults(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `faults-${randomUUID().slice(0, 8)}`;
    const admin = adminClient(server);
    let proxy: FaultProxy;
    let transport: Transport;

    const stored = async (key: string) => {
      const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return hex((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    };
    const leftovers = async (prefix: string) =>
      (await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? [];
    const faulty = (rules: FaultRule[]) => proxy.setRules(rules);

    beforeAll(async () => {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      proxy = await startFaultProxy(server.endpoint);
      transport = transportFor(server, bucket, {
        endpoint: proxy.endpoint,
        socketTimeoutMs: 1_000,
        retry: { attempts: 4, baseDelayMs: 20, maxDelayMs: 200 },
      });
    });
    afterAll(async () => {
      await proxy.stop();
    });
    beforeEach(() => faulty([]));

    it('rides out SlowDown, 500s, resets and a stalled socket on parts', async () => {
      faulty([
        {
          action: 'UploadPart',
          partNumber: 1,
          times: 2,
          fault: { kind: 'status', status: 503, code: 'SlowDown' },
        },
        {
          action: 'UploadPart',
          partNumber: 2,
          fault: { kind: 'status', status: 500, code: 'InternalError' },
        },
        { action: 'UploadPart', partNumber: 3, fault: { kind: 'reset-before' } },
        { action: 'UploadPart', partNumber: 4, fault: { kind: 'stall', ms: 5_000 } },
      ]);
      const data = randomBytes(4 * PART + 99);
      const receipt = await transport.upload('faults/parts', data, { partSize: PART, concurrency: 2 }).done();
      expect(receipt.sourceSha256).toBe(hex(data));
      expect(await stored('faults/parts')).toBe(hex(data));
      expect(receipt.sentBytes).toBeGreaterThan(data.length); // parts went twice
      expect(proxy.injected).toMatchObject({ status: 3, 'reset-before': 1, stall: 1 });
    });

    it('recognises its own object when a PUT reply is lost (or refuses cleanly if it cannot prove it)', async () => {
      faulty([{ action: 'PutObject', fault: { kind: 'reset-after' } }]);
      const data = randomBytes(1000);
      const upload = transport.upload('faults/lost-put', data).done();
      if (server.capabilities.checksums) {
        expect((await upload).sourceSha256).toBe(hex(data));
      } else {
        // Without a stored checksum the object cannot be proved ours: say so, overwrite nothing.
        expect(await codeOf(upload)).toBe('ALREADY_EXISTS');
      }
      expect(await stored('faults/lost-put')).toBe(hex(data));
    });

    it('recognises its own object when the CompleteMultipartUpload reply is lost', async () => {
      faulty([{ action: 'CompleteMultipartUpload', fault: { kind: 'reset-after' } }]);
      const data = randomBytes(PART + 1);
      const receipt = await transport.upload('faults/lost-complete', data, { partSize: PART }).done();
      expect(receipt.sourceSha256).toBe(hex(data));
      expect(await stored('faults/lost-complete')).toBe(hex(data));
    });

    it('fails cleanly when a part keeps failing, aborting the multipart upload', async () => {
      faulty([
        {
          action: 'UploadPart',
          partNumber: 2,
          times: 100,
          fault: { kind: 'status', status: 500, code: 'InternalError' },
        },
      ]);
      const error = await codeOf(
        transport.upload('faults/hopeless', randomBytes(2 * PART), { partSize: PART }).done(),
      );
      expect(error).toBe('SERVICE_UNAVAILABLE');
      expect(await codeOf(stored('faults/hopeless'))).toBe('NoSuchKey');
      expect(await leftovers('faults/hopeless')).toEqual([]);
    });

    it('fails cleanly when the server is unreachable', async () => {
      faulty([{ times: 100, fault: { kind: 'reset-before' } }]);
      expect(await codeOf(transport.upload('faults/unreachable', randomBytes(10)).done())).toBe(
        'NETWORK_ERROR',
      );
    });

    it('downloads correctly through truncated bodies and SlowDown', async () => {
      const data = randomBytes(2 * PART + 3);
      await transport.upload('faults/download', data, { partSize: PART }).done();
      faulty([
        { action: 'GetObject', times: 2, fault: { kind: 'truncate', bytes: 1000 } },
        { action: 'GetObject', skip: 1, fault: { kind: 'status', status: 503, code: 'SlowDown' } },
      ]);
      const download = await transport.download('faults/download', { rangeSize: 1 * MiB, concurrency: 2 });
      const chunks: Uint8Array[] = [];
      for await (const chunk of download.stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
      expect(hex(Buffer.concat(chunks))).toBe(hex(data));
      expect((await download.done).sha256).toBe(hex(data));
      expect(proxy.injected.truncate).toBeGreaterThanOrEqual(2);
    });
  });
}

for (const name of ['moto', 'minio'] as const) describeFaults(name);
