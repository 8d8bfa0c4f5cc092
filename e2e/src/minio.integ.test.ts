/**
 * Collector to importer on MinIO, the server that enforces session
 * policies: two hosts of one case each get an AssumeRole credential
 * confined to `case/host/` (minted by `@triage/sts-broker`, as `triage-admin
 * issue` does; MinIO has no IAM for `triage-admin setup`), run the real
 * `triage-collect` on this machine and upload; then `triage-import pull`
 * finds every artifact of both collections, and a second pull imports
 * nothing.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { formatBundle } from '@triage/bundle';
import { issueAssumeRole } from '@triage/sts-broker';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { baseEnv, type CollectResult, type PullResult, runTool, type Step } from './story.js';

const minio = inject('triageServices').minio;
const bucket = `e2e-${randomUUID().slice(0, 8)}`;
const CASE = 'IR-MINIO';
const HOSTS = ['web-1', 'web-2'] as const;

function ok(step: Step): Step {
  expect(step.code, `${step.tool} ${step.argv.join(' ')}: ${step.stderr}`).toBe(0);
  return step;
}

describe('collector to importer on MinIO (session policies enforced)', () => {
  let dir: string;
  const collected = new Map<string, CollectResult>();
  let pulls: PullResult[];
  let db: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'triage-e2e-minio-'));
    const admin = new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      credentials: minio.credentials,
      forcePathStyle: true,
    });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
    const env = baseEnv();
    const key = JSON.parse(
      ok(await runTool('triage-import', ['keygen', '--out', 'examiner.key', '--json'], env, dir)).stdout,
    ) as { recipient: string };

    const sts = new STSClient({
      endpoint: minio.endpoint,
      region: minio.region,
      credentials: minio.credentials,
    });
    for (const host of HOSTS) {
      // MinIO ignores the role, MFA and tags; it enforces the session policy confined to CASE/host/.
      const issued = await issueAssumeRole({
        sts,
        roleArn: 'arn:aws:iam::123456789012:role/triage-uploader',
        caseId: CASE,
        host,
        bucket,
        mfaSerial: 'arn:aws:iam::123456789012:mfa/triage-uploader',
        mfaCode: '123456',
        durationSeconds: 3600,
        sourceIdentity: 'e2e',
      });
      const config = join(dir, `${host}.bundle.json`);
      await writeFile(
        config,
        formatBundle({
          client: 'e2e',
          case: CASE,
          host,
          issuedAt: new Date(),
          expiresAt: issued.expiration,
          s3: {
            bucket,
            prefix: issued.scope.prefix,
            region: minio.region,
            endpoint: minio.endpoint,
            forcePathStyle: true,
          },
          credentials: {
            accessKeyId: issued.accessKeyId,
            secretAccessKey: issued.secretAccessKey,
            sessionToken: issued.sessionToken,
            expiration: issued.expiration,
          },
          recipients: [key.recipient],
        }),
        { mode: 0o600 },
      );
      const run = ok(
        await runTool(
          'triage-collect',
          ['run', '--config', config, '--out', join(dir, `${host}.triage`), '--json', '--quiet'],
          env,
          dir,
        ),
      );
      collected.set(host, JSON.parse(run.stdout) as CollectResult);
    }
    sts.destroy();

    db = join(dir, 'case.sqlite');
    const examinerEnv = {
      ...env,
      AWS_ACCESS_KEY_ID: minio.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.credentials.secretAccessKey,
      AWS_REGION: minio.region,
    };
    const pull = [
      'pull',
      '--bucket',
      bucket,
      '--prefix',
      `${CASE}/`,
      '--endpoint',
      minio.endpoint,
      '--force-path-style',
      '--identity',
      'examiner.key',
      '--db',
      db,
      '--json',
    ];
    pulls = [];
    for (let i = 0; i < 2; i++) {
      pulls.push(JSON.parse(ok(await runTool('triage-import', pull, examinerEnv, dir)).stdout) as PullResult);
    }
  }, 180_000);

  it('each host uploaded one verified collection under its own prefix', () => {
    for (const host of HOSTS) {
      const result = collected.get(host);
      expect(result?.upload?.verified).toBe(true);
      expect(result?.upload?.key.startsWith(`${CASE}/${host}/`)).toBe(true);
      expect(result?.records).toBeGreaterThan(0);
    }
  });

  it('the first pull imports both collections whole; the second imports nothing', () => {
    const [first, second] = pulls;
    expect(first?.failed).toEqual([]);
    expect(first?.imported.map((i) => i.key).sort()).toEqual(
      HOSTS.map((h) => collected.get(h)?.upload?.key).sort(),
    );
    expect(second?.imported).toEqual([]);
    expect(second?.failed).toEqual([]);
    expect(second?.skipped.length).toBe(2);
  });

  it('the case database holds every artifact of each collection, kind by kind', () => {
    const store = new Database(db, { readonly: true });
    try {
      for (const host of HOSTS) {
        const result = collected.get(host) as CollectResult;
        const rows = store
          .prepare(
            `SELECT a.kind AS kind, count(*) AS n FROM artifacts a
             JOIN collections c ON c.id = a.collection_ref
             WHERE c.manifest_sha256 = ? GROUP BY a.kind`,
          )
          .all(result.manifestSha256) as { kind: string; n: number }[];
        expect(Object.fromEntries(rows.map((r) => [r.kind, r.n]))).toEqual(
          Object.fromEntries(Object.entries(result.counts).filter(([, n]) => n > 0)),
        );
      }
    } finally {
      store.close();
    }
  });
});
