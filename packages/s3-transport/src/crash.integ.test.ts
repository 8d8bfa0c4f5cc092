/**
 * Crashes: the uploading process killed with SIGKILL and resumed from its
 * journal (against every server), and MinIO itself restarted in the middle of
 * an upload (MinIO keeps multipart uploads on disk; moto keeps nothing across
 * a restart, so only MinIO can show it).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {} from '@triage/testkit';
import { type ServerName, startFaultProxy, startOwnMinio } from '@triage/testkit';
import { describe, expect, inject, it } from 'vitest';
import { readJournal } from './journal.js';
import { adminClient } from './testing/support.js';
import { createTransport } from './transport.js';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const child = fileURLToPath(new URL('./testing/upload-child.ts', import.meta.url));

async function stored(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return hex((await out.Body?.transformToByteArray()) ?? new Uint8Array());
}

describe.each(['moto', 'minio'] as const)(
  '%s: SIGKILL of the uploading process, then resume',
  (name: ServerName) => {
    it('resumes from the journal, re-sending only what was not journaled', async () => {
      const server = inject('triageServices')[name];
      const bucket = `crash-${randomUUID().slice(0, 8)}`;
      const client = adminClient(server);
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      // A slow link (each part delayed) gives time to kill the child mid-upload.
      const proxy = await startFaultProxy(server.endpoint);
      proxy.setRules([{ action: 'UploadPart', times: 1000, fault: { kind: 'delay', ms: 300 } }]);
      const dir = await mkdtemp(join(tmpdir(), 'crash-'));
      const path = join(dir, 'collection.tri');
      const journal = join(dir, 'collection.journal');
      const data = randomBytes(8 * PART + 1234);
      await writeFile(path, data);

      const uploader = spawn(tsx, ['--conditions=triage-source', child], { stdio: ['pipe', 'pipe', 'pipe'] });
      uploader.stdin.end(
        JSON.stringify({
          endpoint: proxy.endpoint,
          region: server.region,
          bucket,
          key: 'crash/collection.tri',
          path,
          journal,
          partSize: PART,
          credentials: server.credentials,
        }),
      );
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
        uploader.on('exit', (code, signal) => resolve(signal ?? code)),
      );
      let journaled = 0;
      for (let waited = 0; waited < 30_000 && journaled < 3; waited += 20) {
        await sleep(20);
        journaled = (await readJournal(journal).catch(() => undefined))?.parts.length ?? 0;
      }
      expect(journaled).toBeGreaterThanOrEqual(3);
      uploader.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      await proxy.stop();

      const saved = await readJournal(journal);
      const transport = createTransport({
        bucket,
        endpoint: server.endpoint,
        region: server.region,
        forcePathStyle: true,
        credentials: async () => server.credentials,
      });
      const receipt = await transport
        .upload('crash/collection.tri', { path }, { partSize: PART, journal })
        .done();
      expect(receipt.resumed).toBe(true);
      expect(receipt.sourceSha256).toBe(hex(data));
      expect(receipt.skippedBytes).toBe((saved?.parts.length ?? 0) * PART);
      expect(receipt.sentBytes).toBe(data.length - receipt.skippedBytes);
      expect(await stored(client, bucket, 'crash/collection.tri')).toBe(hex(data));
      expect(await readJournal(journal)).toBeUndefined();
    });
  },
);

describe('minio: restarted in the middle of an upload', () => {
  it('the upload retries through the outage and completes with the source’s SHA-256', async () => {
    const shared = inject('triageServices').minio;
    const runDir = await mkdtemp(join(tmpdir(), 'minio-restart-'));
    const first = await startOwnMinio(shared, { runDir });
    const { credentials, dataDir } = first.info;
    const port = Number(new URL(first.info.endpoint).port);
    let second: Awaited<ReturnType<typeof startOwnMinio>> | undefined;
    try {
      const client = adminClient(first.info);
      await client.send(new CreateBucketCommand({ Bucket: 'restart' }));
      const transport = createTransport({
        bucket: 'restart',
        endpoint: first.info.endpoint,
        region: first.info.region,
        forcePathStyle: true,
        credentials: async () => credentials,
        retry: { attempts: 12, baseDelayMs: 200, maxDelayMs: 2_000 },
      });
      const data = randomBytes(6 * PART + 5);
      let restart: Promise<void> | undefined;
      const receipt = await transport
        .upload('restart/object', data, {
          partSize: PART,
          concurrency: 1,
          onProgress: (progress) => {
            if (progress.parts === 2 && !restart) {
              restart = (async () => {
                await first.process.stop();
                await sleep(500); // the outage: parts fail with refused connections meanwhile
                second = await startOwnMinio(shared, {
                  runDir,
                  port,
                  credentials,
                  ...(dataDir ? { dataDir } : {}),
                });
              })();
            }
          },
        })
        .done();
      await restart;
      expect(receipt.sourceSha256).toBe(hex(data));
      expect(receipt.sentBytes).toBeGreaterThan(data.length); // parts were sent again during the outage
      expect(await stored(adminClient(first.info), 'restart', 'restart/object')).toBe(hex(data));
    } finally {
      await first.process.stop();
      await second?.process.stop();
    }
  }, 120_000);
});
