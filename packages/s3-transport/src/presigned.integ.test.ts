/**
 * Presigned uploads against both servers: an admin transport makes the plan,
 * the host uploads with the plan alone (plain fetch, no credentials).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { ServerName } from '@triage/testkit';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readJournal } from './journal.js';
import { uploadWithPlan } from './presigned.js';
import { adminClient, codeOf, transportFor } from './testing/support.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function describePresigned(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `presigned-${randomUUID().slice(0, 8)}`;
    const admin = adminClient(server);
    const transport = transportFor(server, bucket);
    const stored = async (key: string) => {
      const out = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return hex((await out.Body?.transformToByteArray()) ?? new Uint8Array());
    };

    beforeAll(async () => {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    it.each([
      ['a single PUT', 1000],
      ['a multipart upload', 2 * PART + 17],
    ])('uploads %s with the plan alone, verified by its HEAD', async (_label, size) => {
      const key = `plan/${size}`;
      const plan = await transport.presignUpload(key, { size, partSize: PART, expiresInSeconds: 900 });
      expect(plan.kind).toBe(size <= PART ? 'single' : 'multipart');
      expect(JSON.stringify(plan)).not.toContain(server.credentials.secretAccessKey);
      const data = randomBytes(size);
      const receipt = await uploadWithPlan(plan, data).done();
      expect(receipt.sourceSha256).toBe(hex(data));
      expect(receipt.verification).toMatchObject({ method: 'head', sizeMatches: true });
      if (server.capabilities.checksums) expect(receipt.verification.checksumMatches).toBe(true);
      expect(await stored(key)).toBe(hex(data));
    });

    if (server.capabilities.conditionalWrites) {
      it('cannot overwrite: a second plan for the same key is refused at PUT or Complete', async () => {
        for (const size of [1000, PART + 1]) {
          const key = `plan/once-${size}`;
          await uploadWithPlan(
            await transport.presignUpload(key, { size, partSize: PART }),
            randomBytes(size),
          ).done();
          const again = await transport.presignUpload(key, { size, partSize: PART });
          expect(await codeOf(uploadWithPlan(again, randomBytes(size)).done())).toBe('ALREADY_EXISTS');
        }
      });
    }

    it('resumes a file upload with the plan and a journal', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'plan-resume-'));
      const path = join(dir, 'collection.tri');
      const journal = join(dir, 'journal');
      const data = randomBytes(4 * PART);
      await writeFile(path, data);
      const plan = await transport.presignUpload('plan/resume', { size: data.length, partSize: PART });
      const controller = new AbortController();
      const stopped = uploadWithPlan(
        plan,
        { path },
        {
          concurrency: 1,
          journal,
          signal: controller.signal,
          onProgress: (p) => {
            if (p.parts >= 2) controller.abort();
          },
        },
      ).done();
      expect(await codeOf(stopped)).toBe('ABORTED');
      expect((await readJournal(journal))?.parts.length).toBeGreaterThanOrEqual(2);
      const receipt = await uploadWithPlan(plan, { path }, { journal }).done();
      expect(receipt.resumed).toBe(true);
      expect(receipt.skippedBytes).toBeGreaterThanOrEqual(2 * PART);
      expect(await stored('plan/resume')).toBe(hex(data));
    });

    it('refuses a body of another size, and a plan about to expire', async () => {
      const plan = await transport.presignUpload('plan/size', { size: 100 });
      expect(await codeOf(uploadWithPlan(plan, randomBytes(99)).done())).toBe('INVALID_ARGUMENT');
      const expiring = { ...plan, expiresAt: new Date(Date.now() + 30_000).toISOString() };
      expect(await codeOf(uploadWithPlan(expiring, randomBytes(100)).done())).toBe('CREDENTIALS_EXPIRING');
      expect(await codeOf(transport.presignUpload('plan/x', { size: 1, expiresInSeconds: 10 }))).toBe(
        'INVALID_ARGUMENT',
      );
    });

    describe('capacity plans (maxSize: the size is not known when the plan is made)', () => {
      const openUploads = async (key: string) =>
        ((await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }))).Uploads ?? [])
          .filter((u) => u.Key === key)
          .map((u) => u.UploadId);

      it('uploads a stream of unknown length in fixed parts, verified by the HEAD', async () => {
        const key = 'capacity/stream';
        const plan = await transport.presignUpload(key, { maxSize: 4 * PART, partSize: PART });
        expect(plan).toMatchObject({ kind: 'multipart', maxSize: 4 * PART, partSize: PART });
        expect(plan.size).toBeUndefined();
        expect(plan.parts).toHaveLength(4);
        expect(JSON.stringify(plan)).not.toContain(server.credentials.secretAccessKey);
        const data = randomBytes(2 * PART + 17);
        const body = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < data.length; i += 1 << 20)
              controller.enqueue(data.subarray(i, i + (1 << 20)));
            controller.close();
          },
        });
        const receipt = await uploadWithPlan(plan, body).done();
        expect(receipt).toMatchObject({
          size: data.length,
          parts: 3,
          partSize: PART,
          sourceSha256: hex(data),
        });
        expect(receipt.verification).toMatchObject({ method: 'head', sizeMatches: true });
        if (server.capabilities.checksums) expect(receipt.verification.checksumMatches).toBe(true);
        expect(await stored(key)).toBe(hex(data));
      });

      it('uploads a small Uint8Array as one part', async () => {
        const key = 'capacity/small';
        const data = randomBytes(1000);
        const plan = await transport.presignUpload(key, { maxSize: 3 * PART, partSize: PART });
        const receipt = await uploadWithPlan(plan, data).done();
        expect(receipt).toMatchObject({ size: 1000, parts: 1 });
        expect(await stored(key)).toBe(hex(data));
      });

      it('an empty body gives a valid empty object', async () => {
        const key = 'capacity/empty';
        const plan = await transport.presignUpload(key, { maxSize: 2 * PART, partSize: PART });
        const receipt = await uploadWithPlan(plan, new Uint8Array(0)).done();
        expect(receipt).toMatchObject({ size: 0, parts: 1 });
        expect(receipt.verification.sizeMatches).toBe(true);
        expect(await stored(key)).toBe(hex(new Uint8Array(0)));
      });

      it('a body over maxSize fails with DATA_INVALID, completes nothing and aborts the multipart upload', async () => {
        for (const [label, makeBody] of [
          [
            'stream',
            (d: Uint8Array) =>
              (async function* () {
                yield d;
              })(),
          ],
          ['file-size', (d: Uint8Array) => d],
        ] as const) {
          const key = `capacity/over-${label}`;
          const plan = await transport.presignUpload(key, { maxSize: PART + 1, partSize: PART });
          expect(await openUploads(key)).toEqual([plan.uploadId]);
          const error = await uploadWithPlan(plan, makeBody(randomBytes(PART + 2)))
            .done()
            .catch((e: unknown) => e as Error);
          expect(await codeOf(Promise.reject(error))).toBe('DATA_INVALID');
          expect((error as Error).message).toContain('maxSize');
          expect((error as Error).message).not.toContain('X-Amz-Signature');
          expect(await openUploads(key)).toEqual([]);
          expect(await codeOf(admin.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).toBe(
            'NoSuchKey',
          );
        }
      });

      it('resumes a file upload with the capacity plan and a journal', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'capacity-resume-'));
        const path = join(dir, 'collection.tri');
        const journal = join(dir, 'journal');
        const data = randomBytes(3 * PART + 5);
        await writeFile(path, data);
        const plan = await transport.presignUpload('capacity/resume', { maxSize: 8 * PART, partSize: PART });
        const controller = new AbortController();
        const stopped = uploadWithPlan(
          plan,
          { path },
          {
            concurrency: 1,
            journal,
            signal: controller.signal,
            onProgress: (p) => {
              if (p.parts >= 2) controller.abort();
            },
          },
        ).done();
        expect(await codeOf(stopped)).toBe('ABORTED');
        expect((await readJournal(journal))?.parts.length).toBeGreaterThanOrEqual(2);
        const receipt = await uploadWithPlan(plan, { path }, { journal }).done();
        expect(receipt.resumed).toBe(true);
        expect(receipt.skippedBytes).toBeGreaterThanOrEqual(2 * PART);
        expect(receipt.size).toBe(data.length);
        expect(await stored('capacity/resume')).toBe(hex(data));
      });
    });

    if (server.capabilities.verifiesSignatures) {
      it('a tampered URL is refused cleanly', async () => {
        const plan = await transport.presignUpload('plan/tampered', { size: 10 });
        const put = plan.put as NonNullable<typeof plan.put>;
        const forged = {
          ...plan,
          put: {
            ...put,
            url: put.url.replace('plan%2Ftampered', 'plan%2Fother').replace('plan/tampered', 'plan/other'),
          },
        };
        const code = await codeOf(uploadWithPlan(forged, randomBytes(10)).done());
        expect(['CREDENTIALS_INVALID', 'PERMISSION_DENIED']).toContain(code);
      });
    }
  });
}

for (const name of ['moto', 'minio'] as const) describePresigned(name);
