/**
 * The live probe against MinIO, which (unlike moto) enforces policies:
 * session policies on AssumeRole credentials, and AccessDenied for anything
 * they do not allow. MinIO does not serve IAM like AWS, so only the probe runs
 * here; planSetup, applySetup and the IAM half of auditClient run against
 * moto.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { uploadSessionPolicy } from '@triage/iam-policy';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { Finding } from './findings.js';
import { probeUploader } from './probe.js';
import { codeOf } from './testing/support.js';

const minio = inject('triageServices').minio;

function s3With(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}): S3Client {
  return new S3Client({ endpoint: minio.endpoint, region: minio.region, forcePathStyle: true, credentials });
}

const bySeverity = (findings: readonly Finding[]) =>
  Object.fromEntries(findings.map((f) => [f.id, f.severity]));

describe('probeUploader (MinIO enforces the session policy)', () => {
  const bucket = `probe-${randomUUID().slice(0, 8)}`;
  const root = s3With(minio.credentials);
  let scoped: S3Client;

  beforeAll(async () => {
    await root.send(new CreateBucketCommand({ Bucket: bucket }));
    // MinIO root credentials -> AssumeRole with the case/host session policy: a host's credential.
    const sts = new STSClient({
      endpoint: minio.endpoint,
      region: minio.region,
      credentials: minio.credentials,
    });
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::123456789012:role/triage-probe-upload',
        RoleSessionName: 'case-1-host-1',
        DurationSeconds: 900,
        Policy: JSON.stringify(uploadSessionPolicy(bucket, 'case-1', 'host-1')),
      }),
    );
    scoped = s3With({
      accessKeyId: out.Credentials?.AccessKeyId ?? '',
      secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
      sessionToken: out.Credentials?.SessionToken ?? '',
    });
  });

  it('a write-only case/host credential: put inside succeeds, everything else is AccessDenied', async () => {
    const findings = await probeUploader({
      s3: scoped,
      bucket,
      prefix: 'case-1/host-1/',
      now: () => new Date('2026-11-23T12:00:00.123Z'),
      randomId: () => 'cafe0001',
    });
    expect(bySeverity(findings)).toEqual({
      'probe-put-inside': 'info',
      'probe-get-inside': 'info',
      'probe-list': 'info',
      'probe-delete-inside': 'info',
      'probe-put-outside': 'info',
    });
    expect(findings.find((f) => f.id === 'probe-get-inside')?.message).toBe(
      `GetObject on s3://${bucket}/case-1/host-1/.triage-probe-20261123T120000Z-cafe0001 was refused (AccessDenied), as it should be.`,
    );
    // The probe object is really there (read with root), and nothing was written outside the prefix.
    const got = await root.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'case-1/host-1/.triage-probe-20261123T120000Z-cafe0001' }),
    );
    expect(await got.Body?.transformToString()).toBe('triage audit probe 2026-11-23T12:00:00.123Z\n');
    const outside = await root.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: 'triage-probe-outside/' }),
    );
    expect(outside.KeyCount ?? 0).toBe(0);
  });

  it('the same credential probed against another host prefix cannot upload there (medium)', async () => {
    const findings = await probeUploader({ s3: scoped, bucket, prefix: 'case-1/host-2' });
    expect(bySeverity(findings)).toMatchObject({ 'probe-put-inside': 'medium', 'probe-get-inside': 'info' });
    expect(findings.find((f) => f.id === 'probe-put-inside')?.message).toMatch(
      /refused \(AccessDenied\): the credential cannot upload under case-1\/host-2\//,
    );
  });

  it('an over-broad credential (MinIO root) gives a high finding for every forbidden call', async () => {
    const findings = await probeUploader({ s3: root, bucket, prefix: 'case-1/host-1' });
    expect(bySeverity(findings)).toEqual({
      'probe-put-inside': 'info',
      'probe-get-inside': 'high',
      'probe-list': 'high',
      'probe-delete-inside': 'high',
      'probe-put-outside': 'high',
    });
    expect(findings.find((f) => f.id === 'probe-list')?.message).toMatch(
      /^ListObjectsV2 on s3:\/\/[^ ]+ succeeded: the upload credential is not write-only under case-1\/host-1\//,
    );
  });

  it('a credential MinIO does not know is CREDENTIALS_INVALID, not a finding', async () => {
    const unknown = s3With({ accessKeyId: 'TESTUNKNOWNKEY', secretAccessKey: 'TESTUNKNOWNSECRET' });
    expect(await codeOf(probeUploader({ s3: unknown, bucket, prefix: 'case-1/host-1' }))).toBe(
      'CREDENTIALS_INVALID',
    );
  });

  it('a bucket that does not exist is NOT_FOUND', async () => {
    expect(
      await codeOf(probeUploader({ s3: root, bucket: `${bucket}-missing`, prefix: 'case-1/host-1' })),
    ).toBe('NOT_FOUND');
  });

  it('refuses an empty or dotted prefix before any call', async () => {
    for (const prefix of ['', '/', 'case/../x', 'case//host']) {
      expect(await codeOf(probeUploader({ s3: root, bucket, prefix })), prefix).toBe('INVALID_ARGUMENT');
    }
  });
});
