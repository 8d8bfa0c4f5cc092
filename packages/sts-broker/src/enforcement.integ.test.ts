/**
 * Enforcement against MinIO, which really evaluates session policies: the
 * credentials issueAssumeRole mints (with MinIO's root key as the caller)
 * may upload under `case/host/` and do nothing else, and the IAM evaluator's
 * verdict on each request agrees with what MinIO did.
 *
 * MinIO's STS AssumeRole ignores RoleArn, SerialNumber/TokenCode,
 * SourceIdentity and session tags: it issues a session for the calling
 * user, limited by the Policy parameter. So this proves the session policy
 * we build and send, not MFA or the trust policy (AWS-only semantics).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { evaluate, parsePolicy, uploadSessionPolicy } from '@triage/iam-policy';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type IssuedCredentials, issueAssumeRole } from './issue.js';
import { s3For, s3Outcome, stsFor } from './testing/servers.js';

const server = inject('triageServices').minio;
const bucket = `broker-${randomUUID().slice(0, 8)}`;
const CASE = 'IR-7';
const HOST = 'web-1';
const admin = s3For(server);

describe('issueAssumeRole against MinIO (session policy enforced)', () => {
  let issued: IssuedCredentials;
  let before: number;
  let after: number;

  beforeAll(async () => {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await admin.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${CASE}/${HOST}/existing`, Body: 'planted' }),
    );
    before = Date.now();
    issued = await issueAssumeRole({
      sts: stsFor(server),
      // MinIO ignores the role, MFA, source identity and tags (see above); they are well-formed.
      roleArn: 'arn:aws:iam::123456789012:role/triage-uploader',
      caseId: CASE,
      host: HOST,
      bucket,
      mfaSerial: 'arn:aws:iam::123456789012:mfa/triage-uploader',
      mfaCode: '123456',
      durationSeconds: 900,
      sourceIdentity: 'alice',
      tags: { 'triage:client': 'acme' },
    });
    after = Date.now();
  });

  it('returns temporary credentials with their expiry and scope', () => {
    expect(issued.mode).toBe('assume-role');
    expect(issued.accessKeyId).not.toBe(server.credentials.accessKeyId);
    expect(issued.sessionToken.length).toBeGreaterThan(20);
    expect(issued.expiration.getTime()).toBeGreaterThanOrEqual(before + 900_000 - 2_000);
    expect(issued.expiration.getTime()).toBeLessThanOrEqual(after + 900_000 + 2_000);
    expect(issued.scope).toEqual({ bucket, prefix: `${CASE}/${HOST}/` });
  });

  const requests = [
    ['PutObject under case/host/', 'allowed', 's3:PutObject', `${CASE}/${HOST}/collection.tri`],
    ['PutObject into another host', 'denied', 's3:PutObject', `${CASE}/web-2/collection.tri`],
    ['PutObject into a host that only starts the same', 'denied', 's3:PutObject', `${CASE}/${HOST}0/x`],
    ['PutObject into another case', 'denied', 's3:PutObject', `IR-8/${HOST}/collection.tri`],
    ['PutObject at the bucket root', 'denied', 's3:PutObject', 'collection.tri'],
    ['GetObject of its own prefix', 'denied', 's3:GetObject', `${CASE}/${HOST}/existing`],
    ['DeleteObject in its own prefix', 'denied', 's3:DeleteObject', `${CASE}/${HOST}/existing`],
    ['ListObjectsV2 of its own prefix', 'denied', 's3:ListBucket', ''],
  ] as const;

  it.each(requests)('%s is %s, as the evaluator says', async (_label, expected, action, key) => {
    const s3 = s3For(server, issued);
    let outcome: Awaited<ReturnType<typeof s3Outcome>>;
    if (action === 's3:PutObject') {
      outcome = await s3Outcome(
        s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(64) })),
      );
    } else if (action === 's3:GetObject') {
      outcome = await s3Outcome(s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })));
    } else if (action === 's3:DeleteObject') {
      outcome = await s3Outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    } else {
      outcome = await s3Outcome(
        s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${CASE}/${HOST}/` })),
      );
    }
    if (expected === 'allowed') expect(outcome).toBe('ok');
    else expect(outcome).toEqual({ name: 'AccessDenied', status: 403 });

    // The evaluator, given the same session policy, decides the same way.
    const resource = action === 's3:ListBucket' ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
    const verdict = evaluate(
      {
        principal: {
          arn: 'arn:aws:sts::123456789012:assumed-role/triage-uploader/IR-7-web-1',
          account: '123456789012',
        },
        action,
        resource,
        context: { 's3:prefix': `${CASE}/${HOST}/` },
      },
      {
        identity: [
          parsePolicy({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          }),
        ],
        session: [parsePolicy(uploadSessionPolicy(bucket, CASE, HOST))],
      },
    );
    expect(verdict.decision).toBe(expected === 'allowed' ? 'Allowed' : 'ImplicitlyDenied');
  });

  it('HeadObject is refused too, and the planted object is still there', async () => {
    const outcome = await s3Outcome(
      s3For(server, issued).send(new HeadObjectCommand({ Bucket: bucket, Key: `${CASE}/${HOST}/existing` })),
    );
    expect(outcome).toMatchObject({ status: 403 });
    const read = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: `${CASE}/${HOST}/existing` }));
    expect(await read.Body?.transformToString()).toBe('planted');
  });

  it('may start and abort a multipart upload under case/host/, but not elsewhere', async () => {
    const s3 = s3For(server, issued);
    const started = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${CASE}/${HOST}/big.tri` }),
    );
    expect(started.UploadId).toBeTruthy();
    expect(
      await s3Outcome(
        s3.send(
          new AbortMultipartUploadCommand({
            Bucket: bucket,
            Key: `${CASE}/${HOST}/big.tri`,
            UploadId: started.UploadId,
          }),
        ),
      ),
    ).toBe('ok');
    expect(
      await s3Outcome(
        s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${CASE}/web-2/big.tri` })),
      ),
    ).toEqual({ name: 'AccessDenied', status: 403 });
  });

  it('the upload that was allowed really landed', async () => {
    const head = await admin.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${CASE}/${HOST}/collection.tri` }),
    );
    expect(head.ContentLength).toBe(64);
  });
});
