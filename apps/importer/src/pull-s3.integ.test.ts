/**
 * `triage-import pull` against both servers: good collections import once,
 * a tampered one imports nothing, non-collection objects are ignored, and
 * two pulls at once import each collection exactly once.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ServerName } from '@triage/testkit';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  cli,
  examinerKey,
  importLog,
  makeCollection,
  sampleRecords,
  tableCounts,
  workDir,
} from './testing/support.js';

function describePull(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `pull-${randomUUID().slice(0, 8)}`;
    const s3 = new S3Client({
      endpoint: server.endpoint,
      region: server.region,
      forcePathStyle: true,
      credentials: server.credentials,
    });
    const env = {
      AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    };
    let dir: string;
    let records = 0;

    beforeAll(async () => {
      dir = await workDir();
      const key = await examinerKey(dir);
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      for (const host of ['web-1', 'web-2', 'db-1']) {
        const sample = sampleRecords(20);
        records += sample.length;
        const { file } = await makeCollection(dir, `${host}.triage`, {
          records: sample,
          recipient: key.recipient,
          host,
        });
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: `IR-7/${host}/${host}-1.triage`,
            Body: await readFile(file),
          }),
        );
      }
      const { file } = await makeCollection(dir, 'bad.triage', {
        records: sampleRecords(5),
        recipient: key.recipient,
        host: 'bad',
      });
      const bytes = await readFile(file);
      bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 1;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'IR-7/bad/bad-1.triage', Body: bytes }));
      await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'IR-7/web-1/web-1-1.triage.preflight', Body: '{}' }),
      );
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'IR-8/web-9/other-case.triage', Body: 'x' }));
    });

    const pull = (db: string) =>
      cli(
        [
          'pull',
          '--bucket',
          bucket,
          '--prefix',
          'IR-7/',
          '--endpoint',
          server.endpoint,
          '--force-path-style',
          '--identity',
          'examiner.key',
          '--db',
          db,
          '--json',
        ],
        dir,
        env,
      );

    it('imports each good collection once, nothing of the tampered one, and ignores other objects', async () => {
      const first = await pull('case.sqlite');
      expect(first.code).toBe(65);
      expect(first.stderr).toMatch(
        /^triage-import: 1 collection\(s\) failed to import and nothing of them was written; first: IR-7\/bad\/bad-1\.triage \[ENVELOPE_TAMPERED\]\n$/,
      );
      const result = JSON.parse(first.stdout) as {
        imported: { key: string }[];
        skipped: string[];
        failed: { key: string; code: string }[];
      };
      expect(result.imported.map((i) => i.key).sort()).toEqual([
        'IR-7/db-1/db-1-1.triage',
        'IR-7/web-1/web-1-1.triage',
        'IR-7/web-2/web-2-1.triage',
      ]);
      expect(result.failed).toEqual([
        expect.objectContaining({ key: 'IR-7/bad/bad-1.triage', code: 'ENVELOPE_TAMPERED' }),
      ]);
      const db = `${dir}/case.sqlite`;
      expect(tableCounts(db)).toMatchObject({ collections: 3, artifacts: records });

      const second = await pull('case.sqlite');
      const again = JSON.parse(second.stdout) as { imported: unknown[]; skipped: string[] };
      expect(again.imported).toEqual([]);
      expect(again.skipped).toHaveLength(3);
      expect(tableCounts(db)).toMatchObject({ collections: 3, artifacts: records });
      expect(importLog(db).filter((l) => l.outcome === 'failed')).toHaveLength(2);
    });

    it('two pulls at once import each collection exactly once', async () => {
      const [a, b] = await Promise.all([pull('race.sqlite'), pull('race.sqlite')]);
      const imported = [a, b].flatMap((r) =>
        (JSON.parse(r.stdout) as { imported: { key: string }[] }).imported.map((i) => i.key),
      );
      expect(imported.sort()).toEqual([
        'IR-7/db-1/db-1-1.triage',
        'IR-7/web-1/web-1-1.triage',
        'IR-7/web-2/web-2-1.triage',
      ]);
      expect(tableCounts(`${dir}/race.sqlite`)).toMatchObject({ collections: 3, artifacts: records });
    });

    it('without credentials: one line, exit 77, nothing created', async () => {
      const run = await cli(
        [
          'pull',
          '--bucket',
          bucket,
          '--prefix',
          'IR-7/',
          '--identity',
          'examiner.key',
          '--db',
          'none.sqlite',
        ],
        dir,
      );
      expect(run.code).toBe(77);
      expect(run.stderr).toMatch(/^triage-import: no credentials to read the bucket: set AWS_ACCESS_KEY_ID/);
      expect(await readdir(dir)).not.toContain('none.sqlite');
    });
  });
}

describePull('minio');
describePull('moto');
