/**
 * Transport conformance suite: the same tests, unchanged, against every real
 * S3 server the test kit runs (like unstorage's testDriver). What differs
 * between servers is read from their recorded capabilities, never skipped.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import type { ServerName } from '@triage/testkit';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { readJournal } from './journal.js';
import { adminClient, codeOf, transportFor } from './testing/support.js';
import type { Transport } from './transport.js';
import type { Progress, UploadReceipt } from './types.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function pieces(bytes: Uint8Array, size = 100_003): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function downloaded(transport: Transport, key: string): Promise<Buffer> {
  const download = await transport.download(key, { rangeSize: 1 * MiB, concurrency: 3 });
  const parts: Uint8Array[] = [];
  for await (const piece of download.stream as unknown as AsyncIterable<Uint8Array>) parts.push(piece);
  await download.done;
  return Buffer.concat(parts);
}

function describeTransport(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `transport-${randomUUID().slice(0, 8)}`;
    const admin = adminClient(server);
    const transport = transportFor(server, bucket);
    const expectVerified = (receipt: UploadReceipt, size: number, sha: string) => {
      expect(receipt.size).toBe(size);
      expect(receipt.sourceSha256).toBe(sha);
      expect(receipt.verification.method).toBe('head');
      expect(receipt.verification.sizeMatches).toBe(true);
      if (server.capabilities.checksums) expect(receipt.verification.checksumMatches).toBe(true);
      else expect(receipt.verification.checksumMatches).not.toBe(false);
    };

    beforeAll(async () => {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    describe('upload and download round trips', () => {
      it.each([
        ['empty', 0],
        ['one byte', 1],
        ['exactly one part', PART],
        ['one part and one byte', PART + 1],
        ['many parts', 4 * PART + 12_345],
      ])('%s (%i bytes) from a Uint8Array', async (_label, size) => {
        const data = randomBytes(size);
        const key = `sizes/${size}`;
        const receipt = await transport.upload(key, data, { partSize: PART, concurrency: 3 }).done();
        expectVerified(receipt, size, hex(data));
        expect(receipt.parts).toBe(size <= PART ? 1 : Math.ceil(size / PART));
        expect(hex(await downloaded(transport, key))).toBe(hex(data));
      });

      it('streams a body of unknown length', async () => {
        const data = randomBytes(3 * PART + 777);
        const receipt = await transport.upload('unknown/length', pieces(data), { partSize: PART }).done();
        expectVerified(receipt, data.length, hex(data));
        expect(receipt.parts).toBe(4);
        expect(hex(await downloaded(transport, 'unknown/length'))).toBe(hex(data));
      });

      it('uploads a file path and an async iterable, and reports progress up to the total', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'transport-'));
        const data = randomBytes(2 * PART + 5);
        await writeFile(join(dir, 'evidence.bin'), data);
        const seen: Progress[] = [];
        const receipt = await transport
          .upload(
            'file/evidence.bin',
            { path: join(dir, 'evidence.bin') },
            { partSize: PART, onProgress: (p) => seen.push(p) },
          )
          .done();
        expectVerified(receipt, data.length, hex(data));
        expect(seen.at(-1)).toMatchObject({ loaded: data.length, total: data.length, parts: 3 });
        expect(seen.map((p) => p.loaded)).toEqual([...seen.map((p) => p.loaded)].sort((a, b) => a - b));

        async function* generate() {
          yield data.subarray(0, 10);
          yield data.subarray(10);
        }
        const again = await transport.upload('file/iterable.bin', generate(), { partSize: PART }).done();
        expect(again.sourceSha256).toBe(hex(data));
      });

      it('refuses a declared size that does not match the body, completing nothing', async () => {
        const data = randomBytes(PART + 10);
        expect(
          await codeOf(
            transport.upload('size/mismatch', pieces(data), { size: PART + 11, partSize: PART }).done(),
          ),
        ).toBe('DATA_INVALID');
        expect(await codeOf(admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'size/mismatch' })))).toBe(
          'NoSuchKey',
        );
      });
    });

    describe('never overwrites', () => {
      it.each([
        ['single PUT', 1000],
        ['multipart', PART + 1],
      ])('refuses a second %s to the same key and keeps the first', async (_label, size) => {
        const key = `overwrite/${size}`;
        const first = randomBytes(size);
        await transport.upload(key, first, { partSize: PART }).done();
        expect(await codeOf(transport.upload(key, randomBytes(size), { partSize: PART }).done())).toBe(
          'ALREADY_EXISTS',
        );
        expect(hex(await downloaded(transport, key))).toBe(hex(first));
        const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
        expect(uploads.Uploads ?? []).toEqual([]); // the refused multipart upload was aborted
      });

      it('overwrites only when told to', async () => {
        await transport.upload('overwrite/allowed', new Uint8Array([1])).done();
        await transport.upload('overwrite/allowed', new Uint8Array([2]), { ifNoneMatch: false }).done();
        expect([...(await downloaded(transport, 'overwrite/allowed'))]).toEqual([2]);
      });
    });

    describe('resume', () => {
      async function interruptedUpload(key: string, size: number) {
        const dir = await mkdtemp(join(tmpdir(), 'resume-'));
        const path = join(dir, 'collection.tri');
        const journal = join(dir, 'collection.journal');
        const data = randomBytes(size);
        await writeFile(path, data);
        const controller = new AbortController();
        const error = await codeOf(
          transport
            .upload(
              key,
              { path },
              {
                partSize: PART,
                concurrency: 1,
                journal,
                signal: controller.signal,
                onProgress: (p) => {
                  if (p.parts >= 2) controller.abort();
                },
              },
            )
            .done(),
        );
        return { path, journal, data, error };
      }

      it('continues a stopped file upload from its journal, re-sending at most the unfinished part', async () => {
        const { path, journal, data, error } = await interruptedUpload('resume/ok', 5 * PART + 100);
        expect(error).toBe('ABORTED');
        const saved = await readJournal(journal);
        expect(saved?.parts.length).toBeGreaterThanOrEqual(2);
        expect((await stat(journal)).mode & 0o777).toBe(0o600);
        const receipt = await transport.upload('resume/ok', { path }, { partSize: PART, journal }).done();
        expectVerified(receipt, data.length, hex(data));
        expect(receipt.resumed).toBe(true);
        expect(receipt.skippedBytes).toBe((saved?.parts.length ?? 0) * PART);
        expect(receipt.sentBytes).toBe(data.length - receipt.skippedBytes);
        expect(await readJournal(journal)).toBeUndefined();
        expect(hex(await downloaded(transport, 'resume/ok'))).toBe(hex(data));
      });

      it('refuses a journal when the file changed since', async () => {
        const { path, journal } = await interruptedUpload('resume/changed', 3 * PART);
        const later = new Date(Date.now() + 60_000);
        await utimes(path, later, later);
        expect(
          await codeOf(transport.upload('resume/changed', { path }, { partSize: PART, journal }).done()),
        ).toBe('CONFIG_INVALID');
      });

      it('starts over when the journal’s multipart upload no longer exists (or fails cleanly)', async () => {
        const { path, journal, data } = await interruptedUpload('resume/gone', 3 * PART);
        const saved = await readJournal(journal);
        await admin.send(
          new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'resume/gone', UploadId: saved?.uploadId }),
        );
        const upload = transport.upload('resume/gone', { path }, { partSize: PART, journal }).done();
        if (server.capabilities.noSuchUpload) {
          const receipt = await upload;
          expectVerified(receipt, data.length, hex(data));
          expect(receipt.warnings.join(' ')).toContain('no longer exists');
        } else {
          // The server answers with a bare 500: retried, then a clean, retryable error.
          expect(await codeOf(upload)).toBe('SERVICE_UNAVAILABLE');
        }
      });

      it('aborts the multipart upload when there is no journal', async () => {
        const controller = new AbortController();
        const error = await codeOf(
          transport
            .upload('abort/nojournal', randomBytes(4 * PART), {
              partSize: PART,
              concurrency: 1,
              signal: controller.signal,
              onProgress: () => controller.abort(),
            })
            .done(),
        );
        expect(error).toBe('ABORTED');
        const uploads = await admin.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'abort/nojournal' }),
        );
        expect(uploads.Uploads ?? []).toEqual([]);
      });

      it('abort() cancels and removes the journal', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'abort-'));
        await writeFile(join(dir, 'f'), randomBytes(4 * PART));
        const journal = join(dir, 'j');
        let handle: ReturnType<Transport['upload']> | undefined;
        handle = transport.upload(
          'abort/handle',
          { path: join(dir, 'f') },
          {
            partSize: PART,
            concurrency: 1,
            journal,
            onProgress: () => void handle?.abort(),
          },
        );
        expect(await codeOf(handle.done())).toBe('ABORTED');
        await handle.abort();
        expect(await readJournal(journal)).toBeUndefined();
      });
    });

    describe('downloads and listing', () => {
      it('downloads in parallel ranges, verifies, and writes a file only when verified', async () => {
        const data = randomBytes(2 * PART + 3);
        const receipt = await transport.upload('dl/object', data, { partSize: PART }).done();
        const download = await transport.download('dl/object', { rangeSize: 256 * 1024, concurrency: 4 });
        expect(download.size).toBe(data.length);
        const chunks: Uint8Array[] = [];
        for await (const chunk of download.stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
        expect(hex(Buffer.concat(chunks))).toBe(hex(data));
        const done = await download.done;
        expect(done.sha256).toBe(receipt.sourceSha256);
        expect(done.checksumVerified).toBe(server.capabilities.checksums || done.checksumVerified);

        const dir = await mkdtemp(join(tmpdir(), 'dl-'));
        const file = join(dir, 'object.bin');
        const fileReceipt = await transport.downloadToFile('dl/object', file, {
          expectedSha256: receipt.sourceSha256,
        });
        expect(fileReceipt.sha256).toBe(receipt.sourceSha256);
        expect(hex(await readFile(file))).toBe(hex(data));
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        expect(await codeOf(transport.downloadToFile('dl/object', file))).toBe('ALREADY_EXISTS');
        const wrong = join(dir, 'wrong.bin');
        expect(
          await codeOf(transport.downloadToFile('dl/object', wrong, { expectedSha256: '00'.repeat(32) })),
        ).toBe('INTEGRITY_MISMATCH');
        await expect(stat(wrong)).rejects.toThrow();
        expect(await codeOf(transport.download('dl/missing'))).toBe('NOT_FOUND');
      });

      it('lists across pages', async () => {
        const keys = Array.from({ length: 7 }, (_, i) => `list/item-${i}`);
        for (const key of keys) await transport.upload(key, new Uint8Array([1])).done();
        const listed = [];
        for await (const item of transport.list('list/', { pageSize: 2 })) listed.push(item.key);
        expect(listed).toEqual(keys);
      });
    });

    describe('failures are clean errors', () => {
      it('names a missing bucket', async () => {
        const other = transportFor(server, `missing-${randomUUID().slice(0, 8)}`);
        expect(await codeOf(other.upload('x', new Uint8Array([1])).done())).toBe('NOT_FOUND');
      });

      it('refuses to start with credentials about to expire, and warns when they may not last', async () => {
        const soon = transportFor(server, bucket, {
          credentials: { ...server.credentials, expiration: new Date(Date.now() + 30_000) },
        });
        expect(await codeOf(soon.upload('expiring/x', new Uint8Array([1])).done())).toBe(
          'CREDENTIALS_EXPIRING',
        );
        const tenMinutes = transportFor(server, bucket, {
          credentials: { ...server.credentials, expiration: new Date(Date.now() + 600_000) },
        });
        const warnings: string[] = [];
        const receipt = await tenMinutes
          .upload('expiring/slow', randomBytes(1000), {
            assumedBytesPerSecond: 1,
            onWarning: (w) => warnings.push(w),
          })
          .done();
        expect(warnings).toHaveLength(1);
        expect(receipt.warnings).toEqual(warnings);
      });

      if (server.capabilities.verifiesSignatures) {
        it('names rejected credentials', async () => {
          const wrong = transportFor(server, bucket, {
            credentials: { ...server.credentials, secretAccessKey: 'wrong-secret-for-test' },
          });
          expect(await codeOf(wrong.upload('creds/x', new Uint8Array([1])).done())).toBe(
            'CREDENTIALS_INVALID',
          );
        });
      }

      it('does not start a multipart upload it cannot finish cleanly (no leftovers)', async () => {
        await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'leftover/probe' }));
        const uploads = await admin.send(
          new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'overwrite/' }),
        );
        expect(uploads.Uploads ?? []).toEqual([]);
      });
    });
  });
}

for (const name of ['moto', 'minio'] as const) describeTransport(name);
