/**
 * Conformance suite: proves the local servers are real S3 (and STS/IAM)
 * endpoints, and that each behaves as its CAPABILITIES entry says. It runs
 * unchanged against every server, like unstorage's `testDriver`. When a
 * server's behaviour changes (a moto upgrade starts checking signatures, say),
 * this suite fails until the table is corrected, so later tests that rely on
 * a capability can trust it.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, type Credentials, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { isRunning } from './registry.js';
import type { ServerInfo, ServerName } from './servers.js';

interface KeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

function s3For(server: ServerInfo, credentials: KeyPair = server.credentials): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials,
  });
}

function stsFor(server: ServerInfo): STSClient {
  return new STSClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
}

/** The S3 error a promise rejects with: name (code) and HTTP status. */
async function s3Failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof S3ServiceException)
      return { name: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('expected the request to be refused, but it succeeded');
}

function temporaryKeys(credentials: Credentials | undefined): Required<KeyPair> & { expiration: Date } {
  expect(credentials?.AccessKeyId).toBeTruthy();
  expect(credentials?.SecretAccessKey).toBeTruthy();
  expect(credentials?.SessionToken).toBeTruthy();
  expect(credentials?.Expiration).toBeInstanceOf(Date);
  return {
    accessKeyId: credentials?.AccessKeyId as string,
    secretAccessKey: credentials?.SecretAccessKey as string,
    sessionToken: credentials?.SessionToken as string,
    expiration: credentials?.Expiration as Date,
  };
}

async function getText(client: S3Client, bucket: string, key: string): Promise<string> {
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

function describeS3Server(name: ServerName): void {
  describe(`${name}`, () => {
    const server = inject('triageServices')[name];
    const bucket = `conformance-${randomUUID().slice(0, 8)}`;
    const admin = s3For(server);

    beforeAll(async () => {
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    it('is a live process of ours listening on 127.0.0.1', async () => {
      expect(new URL(server.endpoint).hostname).toBe('127.0.0.1');
      const cmdline = await readFile(`/proc/${server.pid}/cmdline`, 'utf8');
      const bin = cmdline.split('\0').find((arg) => arg.endsWith(name === 'moto' ? 'moto_server' : 'minio'));
      expect(bin, cmdline).toBeTruthy();
      expect(
        await isRunning({
          pid: server.pid,
          name,
          bin: bin as string,
          owner: 'vitest',
          ownerPid: process.pid,
          startedAt: '',
        }),
      ).toBe(true);
    });

    it('round-trips an object byte for byte with PutObject and GetObject', async () => {
      const body = randomBytes(256 * 1024 + 17);
      const put = await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'round/trip.bin', Body: body }),
      );
      expect(put.ETag).toMatch(/^"[0-9a-f]{32}"$/);
      const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'round/trip.bin' }));
      expect(got.ContentLength).toBe(body.length);
      expect(Buffer.from(await (got.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(body);
    });

    it('reports a missing key as NoSuchKey (404)', async () => {
      expect(await s3Failure(admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'missing' })))).toEqual({
        name: 'NoSuchKey',
        status: 404,
      });
    });

    const wrongSecret = {
      ...server.credentials,
      secretAccessKey: `${server.credentials.secretAccessKey}-wrong`,
    };
    if (server.capabilities.verifiesSignatures) {
      it('refuses a request signed with a wrong secret (403 SignatureDoesNotMatch)', async () => {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'sig', Body: 'x' }));
        const failure = await s3Failure(
          s3For(server, wrongSecret).send(new GetObjectCommand({ Bucket: bucket, Key: 'sig' })),
        );
        expect(failure).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
      });
    } else {
      it('accepts a wrong secret (recorded: it does not verify signatures)', async () => {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'sig', Body: 'x' }));
        expect(await getText(s3For(server, wrongSecret), bucket, 'sig')).toBe('x');
      });
    }

    it('accepts If-None-Match: * for a new key', async () => {
      await admin.send(
        new PutObjectCommand({ Bucket: bucket, Key: 'inm/new', Body: 'first', IfNoneMatch: '*' }),
      );
      expect(await getText(admin, bucket, 'inm/new')).toBe('first');
    });

    if (server.capabilities.conditionalWrites) {
      it('refuses If-None-Match: * on an existing key with 412 and keeps the original', async () => {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'inm/existing', Body: 'original' }));
        const failure = await s3Failure(
          admin.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: 'inm/existing',
              Body: 'overwrite',
              IfNoneMatch: '*',
            }),
          ),
        );
        expect(failure).toEqual({ name: 'PreconditionFailed', status: 412 });
        expect(await getText(admin, bucket, 'inm/existing')).toBe('original');
      });
    } else {
      it('overwrites despite If-None-Match: * (recorded: no conditional writes)', async () => {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'inm/existing', Body: 'original' }));
        await admin.send(
          new PutObjectCommand({ Bucket: bucket, Key: 'inm/existing', Body: 'overwrite', IfNoneMatch: '*' }),
        );
        expect(await getText(admin, bucket, 'inm/existing')).toBe('overwrite');
      });
    }

    const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64');

    if (server.capabilities.checksums) {
      it('validates SHA-256 checksums and returns them on HEAD (full and composite)', async () => {
        const body = randomBytes(1000);
        const wrong = sha256(randomBytes(8));
        const failure = await s3Failure(
          admin.send(
            new PutObjectCommand({ Bucket: bucket, Key: 'sum/bad', Body: body, ChecksumSHA256: wrong }),
          ),
        );
        expect(failure.status).toBe(400);
        await admin.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: 'sum/single',
            Body: body,
            ChecksumSHA256: sha256(body),
          }),
        );
        const single = await admin.send(
          new HeadObjectCommand({ Bucket: bucket, Key: 'sum/single', ChecksumMode: 'ENABLED' }),
        );
        expect(single.ChecksumSHA256).toBe(sha256(body));
        const parts = [randomBytes(5 * 1024 * 1024), randomBytes(10)];
        await multipart('sum/multi', parts);
        const multi = await admin.send(
          new HeadObjectCommand({ Bucket: bucket, Key: 'sum/multi', ChecksumMode: 'ENABLED' }),
        );
        const digests = Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest()));
        expect(multi.ChecksumSHA256).toBe(`${sha256(digests)}-2`);
      });
    } else {
      it('ignores SHA-256 checksums (recorded: a wrong one is accepted, none is returned)', async () => {
        const body = randomBytes(1000);
        await admin.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: 'sum/bad',
            Body: body,
            ChecksumSHA256: sha256(randomBytes(8)),
          }),
        );
        const head = await admin.send(
          new HeadObjectCommand({ Bucket: bucket, Key: 'sum/bad', ChecksumMode: 'ENABLED' }),
        );
        expect(head.ChecksumSHA256).toBeUndefined();
      });
    }

    async function multipart(key: string, parts: Buffer[], ifNoneMatch?: '*'): Promise<void> {
      const created = await admin.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: 'SHA256' }),
      );
      const done = [];
      for (const [index, part] of parts.entries()) {
        const out = await admin.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: created.UploadId,
            PartNumber: index + 1,
            Body: part,
            ChecksumSHA256: sha256(part),
          }),
        );
        done.push({
          PartNumber: index + 1,
          ETag: out.ETag,
          ChecksumSHA256: out.ChecksumSHA256 ?? sha256(part),
        });
      }
      await admin.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: created.UploadId,
          MultipartUpload: { Parts: done },
          ...(ifNoneMatch ? { IfNoneMatch: ifNoneMatch } : {}),
        }),
      );
    }

    if (server.capabilities.conditionalWrites) {
      it('refuses CompleteMultipartUpload with If-None-Match: * on an existing key (412)', async () => {
        await admin.send(new PutObjectCommand({ Bucket: bucket, Key: 'inm/multi', Body: 'original' }));
        const failure = await s3Failure(multipart('inm/multi', [randomBytes(10)], '*'));
        expect(failure).toEqual({ name: 'PreconditionFailed', status: 412 });
        expect(await getText(admin, bucket, 'inm/multi')).toBe('original');
      });
    }

    it(`answers UploadPart into an aborted multipart upload with ${server.capabilities.noSuchUpload ? '404 NoSuchUpload' : 'a 500 (recorded)'}`, async () => {
      const created = await admin.send(
        new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'aborted/upload' }),
      );
      await admin.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: 'aborted/upload',
          UploadId: created.UploadId,
        }),
      );
      // moto's 500 is an HTML page the SDK cannot parse, so read the status from the raw error.
      const error = await admin
        .send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: 'aborted/upload',
            UploadId: created.UploadId,
            PartNumber: 1,
            Body: 'x',
          }),
        )
        .then(
          () => expect.unreachable('UploadPart into an aborted upload succeeded'),
          (e: unknown) => e as { name?: string; $metadata?: { httpStatusCode?: number } },
        );
      if (server.capabilities.noSuchUpload) expect(error.name).toBe('NoSuchUpload');
      expect(error.$metadata?.httpStatusCode).toBe(server.capabilities.noSuchUpload ? 404 : 500);
    });

    /** Proves S3 accepts temporary keys with their token, and whether it enforces the token. */
    async function checkTemporaryKeys(keys: Required<KeyPair>, key: string): Promise<void> {
      const withToken = s3For(server, keys);
      await withToken.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'via temporary keys' }));
      expect(await getText(withToken, bucket, key)).toBe('via temporary keys');
      const { sessionToken: _omit, ...withoutToken } = keys;
      const badToken = { ...keys, sessionToken: `${keys.sessionToken.slice(0, -8)}AAAAAAAA` };
      if (server.capabilities.enforcesSessionToken) {
        for (const creds of [withoutToken, badToken]) {
          const failure = await s3Failure(
            s3For(server, creds).send(new GetObjectCommand({ Bucket: bucket, Key: key })),
          );
          expect(failure.status).toBe(403);
        }
      } else {
        expect(await getText(s3For(server, withoutToken), bucket, key)).toBe('via temporary keys');
      }
    }

    if (server.capabilities.stsAssumeRole) {
      it('issues AssumeRole credentials that S3 accepts with their session token', async () => {
        let roleArn = 'arn:aws:iam::123456789012:role/triage-uploader';
        if (server.capabilities.iam) {
          const iam = new IAMClient({
            endpoint: server.endpoint,
            region: server.region,
            credentials: server.credentials,
          });
          const role = await iam.send(
            new CreateRoleCommand({
              RoleName: `triage-uploader-${randomUUID().slice(0, 8)}`,
              AssumeRolePolicyDocument: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Principal: { AWS: 'arn:aws:iam::123456789012:root' },
                    Action: 'sts:AssumeRole',
                  },
                ],
              }),
            }),
          );
          roleArn = role.Role?.Arn ?? '';
          expect(roleArn).toMatch(/^arn:aws:iam::\d{12}:role\/triage-uploader-/);
        }
        const before = Date.now();
        const out = await stsFor(server).send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'case-host', DurationSeconds: 900 }),
        );
        const keys = temporaryKeys(out.Credentials);
        expect(keys.expiration.getTime()).toBeGreaterThan(before);
        expect(keys.expiration.getTime()).toBeLessThanOrEqual(before + 900_000 + 60_000);
        await checkTemporaryKeys(keys, 'sts/assume-role');
      });
    }

    if (server.capabilities.stsGetSessionToken) {
      it('issues GetSessionToken credentials that S3 accepts with their session token', async () => {
        const out = await stsFor(server).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
        await checkTemporaryKeys(temporaryKeys(out.Credentials), 'sts/session-token');
      });
    } else {
      it('refuses GetSessionToken (recorded: not served)', async () => {
        await expect(
          stsFor(server).send(new GetSessionTokenCommand({ DurationSeconds: 900 })),
        ).rejects.toThrow();
      });
    }
  });
}

for (const name of ['moto', 'minio'] as const) describeS3Server(name);
