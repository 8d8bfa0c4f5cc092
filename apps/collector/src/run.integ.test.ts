/**
 * The whole stream, collect → compress → encrypt → local file and upload, to
 * real servers with session-token credentials: MinIO (AssumeRole with a
 * write-only session policy, enforced) and moto (GetSessionToken). Then the
 * uploaded object is downloaded with admin credentials, decrypted, and its
 * manifest hash compared with what the collector printed.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { readCollection } from '@triage/collection';
import { generateSigningKeyPair } from '@triage/encryption';
import { createTransport, type PresignedPlan } from '@triage/s3-transport';
import { type ServerInfo, type ServerName, startFaultProxy } from '@triage/testkit';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { cli, examiner, tinyRoot, workDir } from './testing/support.js';

interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

function admin(server: ServerInfo): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: server.credentials,
  });
}

async function sessionFor(server: ServerInfo, bucket: string, prefix: string): Promise<SessionCredentials> {
  const sts = new STSClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
  });
  const creds =
    server.name === 'minio'
      ? (
          await sts.send(
            new AssumeRoleCommand({
              RoleArn: 'arn:aws:iam::000000000000:role/uploader',
              RoleSessionName: 'IR-1-web-1',
              DurationSeconds: 3600,
              // Write-only under the prefix, enforced by MinIO.
              Policy: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
                    Resource: [`arn:aws:s3:::${bucket}/${prefix}*`],
                  },
                ],
              }),
            }),
          )
        ).Credentials
      : (await sts.send(new GetSessionTokenCommand({ DurationSeconds: 3600 }))).Credentials;
  if (!creds?.AccessKeyId || !creds.SecretAccessKey || !creds.SessionToken || !creds.Expiration) {
    throw new Error('no session credentials');
  }
  return {
    accessKeyId: creds.AccessKeyId,
    secretAccessKey: creds.SecretAccessKey,
    sessionToken: creds.SessionToken,
    expiration: creds.Expiration,
  };
}

function bundleText(options: {
  server: ServerInfo;
  endpoint?: string;
  bucket: string;
  prefix: string;
  recipient: string;
  credentials: SessionCredentials;
  signingKey?: string;
}): string {
  return JSON.stringify({
    format: 'triage-bundle',
    format_version: 1,
    client: 'acme',
    case: 'IR-1',
    host: 'web-1',
    issued_at: new Date(Date.now() - 60_000).toISOString(),
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    s3: {
      bucket: options.bucket,
      prefix: options.prefix,
      region: options.server.region,
      endpoint: options.endpoint ?? options.server.endpoint,
      force_path_style: true,
    },
    credentials: {
      access_key_id: options.credentials.accessKeyId,
      secret_access_key: options.credentials.secretAccessKey,
      session_token: options.credentials.sessionToken,
      expiration: options.credentials.expiration.toISOString(),
    },
    recipients: [options.recipient],
    ...(options.signingKey ? { signing_key: options.signingKey } : {}),
  });
}

async function allOutputs(dir: string, run: { stdout: string; stderr: string }): Promise<string> {
  let text = run.stdout + run.stderr;
  for (const name of await readdir(dir)) {
    if (name === 'bundle.json' || name === 'root') continue;
    text += await readFile(join(dir, name), 'latin1');
  }
  return text;
}

function describeRun(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `collect-${randomUUID().slice(0, 8)}`;
    const prefix = 'IR-1/web-1/';
    const s3 = admin(server);

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    it('runs the whole stream with session credentials; the object decrypts to the printed manifest hash', async () => {
      const dir = await workDir();
      const root = await tinyRoot(dir);
      const keys = examiner();
      const signing = generateSigningKeyPair();
      const credentials = await sessionFor(server, bucket, prefix);
      await writeFile(
        join(dir, 'bundle.json'),
        bundleText({
          server,
          bucket,
          prefix,
          recipient: keys.recipient,
          credentials,
          signingKey: signing.signingKey,
        }),
        { mode: 0o600 },
      );
      const run = await cli(['run', '--config', 'bundle.json', '--root', root, '--json'], dir);
      expect(run.stderr).not.toContain('triage-collect:');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as {
        file: string;
        manifestSha256: string;
        sha256: string;
        receiptFile: string;
        upload: { key: string; verified: boolean; sha256: string; bucket: string };
      };
      expect(result.upload.verified).toBe(true);
      expect(result.upload.key.startsWith(prefix)).toBe(true);
      expect(result.upload.sha256).toBe(result.sha256);

      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: result.upload.key }));
      const bytes = await object.Body?.transformToByteArray();
      expect(bytes && Buffer.from(bytes).equals(await readFile(result.file))).toBe(true);
      const contents = await readCollection(bytes as Uint8Array, {
        identities: [keys.identity],
        verifyKeys: [signing.verifyKey],
        requireSignature: true,
      });
      expect(contents.manifestSha256).toBe(result.manifestSha256);
      expect(contents.signature?.trusted).toBe(true);
      const receipt = JSON.parse(await readFile(result.receiptFile, 'utf8')) as { manifestSha256: string };
      expect(receipt.manifestSha256).toBe(result.manifestSha256);

      // The pre-flight note and the collection are the only objects written.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      const keysWritten = (listed.Contents ?? []).map((o) => o.Key);
      expect(keysWritten).toContain(result.upload.key);
      expect(keysWritten).toContain(`${result.upload.key}.preflight`);

      // No secret from the bundle in stdout, stderr, the local files or the manifest.
      const everything = (await allOutputs(dir, run)) + JSON.stringify(contents.manifest);
      for (const secret of [
        credentials.secretAccessKey,
        credentials.sessionToken,
        signing.signingKey,
        keys.identity,
      ]) {
        expect(everything).not.toContain(secret);
      }
    });

    it('--delete-after-upload removes the local copy only after a verified upload', async () => {
      const dir = await workDir();
      const root = await tinyRoot(dir);
      const keys = examiner();
      const credentials = await sessionFor(server, bucket, prefix);
      await writeFile(
        join(dir, 'bundle.json'),
        bundleText({ server, bucket, prefix, recipient: keys.recipient, credentials }),
      );
      const run = await cli(
        [
          'run',
          '--config',
          'bundle.json',
          '--root',
          root,
          '--json',
          '--quiet',
          '--delete-after-upload',
          '--only',
          'group',
        ],
        dir,
      );
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as {
        file: string | null;
        receiptFile: string;
        upload: { verified: boolean };
      };
      expect(result.upload.verified).toBe(true);
      expect(result.file).toBeNull();
      expect((await readdir(dir)).filter((f) => f.endsWith('.triage'))).toEqual([]);
      expect((await stat(result.receiptFile)).isFile()).toBe(true);
    });
  });
}

describeRun('minio');
describeRun('moto');

/** A capacity plan made with the server's root credentials, as the admin would. */
async function capacityPlan(server: ServerInfo, bucket: string, prefix: string): Promise<PresignedPlan> {
  const transport = createTransport({
    bucket,
    region: server.region,
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: async () => server.credentials,
  });
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return transport.presignUpload(`${prefix}web-1-${stamp}-${randomUUID().slice(0, 8)}.triage`, {
    maxSize: 64 * 1024 * 1024,
    partSize: 5 * 1024 * 1024,
    expiresInSeconds: 3600,
  });
}

function planBundleText(
  server: ServerInfo,
  bucket: string,
  prefix: string,
  recipient: string,
  plan: PresignedPlan,
) {
  return JSON.stringify({
    format: 'triage-bundle',
    format_version: 1,
    client: 'acme',
    case: 'IR-1',
    host: 'web-1',
    issued_at: new Date(Date.now() - 60_000).toISOString(),
    expires_at: plan.expiresAt,
    s3: { bucket, prefix, region: server.region, endpoint: server.endpoint, force_path_style: true },
    upload_plan: plan,
    recipients: [recipient],
  });
}

/** Every URL of a plan, and each signature on its own: none may appear in any output. */
function planCanaries(plan: PresignedPlan): string[] {
  const requests = [...(plan.parts ?? []), plan.complete, plan.abort, plan.head].filter(
    (r) => r !== undefined,
  );
  return requests.flatMap((r) => [r.url, new URL(r.url).searchParams.get('X-Amz-Signature') ?? 'missing']);
}

function describePlanRun(name: ServerName): void {
  describe(`${name}: presigned plan bundle (no credential on the host)`, () => {
    const server = inject('triageServices')[name];
    const bucket = `collect-plan-${randomUUID().slice(0, 8)}`;
    const prefix = 'IR-1/web-1/';
    const s3 = admin(server);

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    it('run streams to the plan key; the object decrypts to the printed manifest hash; no URL or signature leaks', async () => {
      const dir = await workDir();
      const root = await tinyRoot(dir);
      const keys = examiner();
      const plan = await capacityPlan(server, bucket, prefix);
      await writeFile(
        join(dir, 'bundle.json'),
        planBundleText(server, bucket, prefix, keys.recipient, plan),
        {
          mode: 0o600,
        },
      );
      const run = await cli(['run', '--config', 'bundle.json', '--root', root, '--json'], dir);
      expect(run.stderr).not.toContain('triage-collect:');
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`pre-flight: presigned plan, expires ${plan.expiresAt}`);
      const result = JSON.parse(run.stdout) as {
        file: string;
        manifestSha256: string;
        sha256: string;
        bytes: number;
        receiptFile: string;
        upload: { key: string; verified: boolean; sha256: string; size: number };
      };
      expect(result.upload).toMatchObject({
        key: plan.key,
        verified: true,
        sha256: result.sha256,
        size: result.bytes,
      });

      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: plan.key }));
      const bytes = await object.Body?.transformToByteArray();
      expect(bytes && Buffer.from(bytes).equals(await readFile(result.file))).toBe(true);
      const contents = await readCollection(bytes as Uint8Array, { identities: [keys.identity] });
      expect(contents.manifestSha256).toBe(result.manifestSha256);
      const receipt = JSON.parse(await readFile(result.receiptFile, 'utf8')) as {
        manifestSha256: string;
        receipt: { key: string; verification: { method: string; sizeMatches: boolean } };
      };
      expect(receipt.manifestSha256).toBe(result.manifestSha256);
      expect(receipt.receipt).toMatchObject({
        key: plan.key,
        verification: { method: 'head', sizeMatches: true },
      });

      // No pre-flight note: the plan's one object is all that was written.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([plan.key]);

      const everything = (await allOutputs(dir, run)) + JSON.stringify(contents.manifest);
      for (const canary of planCanaries(plan)) expect(everything).not.toContain(canary);
      expect(everything).not.toContain('X-Amz-Signature');
    });

    it('upload FILE sends a kept collection with the plan', async () => {
      const dir = await workDir();
      const root = await tinyRoot(dir);
      const keys = examiner();
      const plan = await capacityPlan(server, bucket, prefix);
      await writeFile(
        join(dir, 'bundle.json'),
        planBundleText(server, bucket, prefix, keys.recipient, plan),
        {
          mode: 0o600,
        },
      );
      const local = await cli(
        ['run', '--config', 'bundle.json', '--root', root, '--no-upload', '--json', '--quiet'],
        dir,
      );
      expect(local.code).toBe(0);
      const kept = JSON.parse(local.stdout) as { file: string; manifestSha256: string };
      const up = await cli(['upload', kept.file, '--config', 'bundle.json', '--json'], dir);
      expect(up.stderr).not.toContain('triage-collect:');
      expect(up.code).toBe(0);
      const uploaded = JSON.parse(up.stdout) as { key: string; verified: boolean; resumed: boolean };
      expect(uploaded).toMatchObject({ key: plan.key, verified: true, resumed: false });
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: plan.key }));
      const bytes = await object.Body?.transformToByteArray();
      expect(bytes && Buffer.from(bytes).equals(await readFile(kept.file))).toBe(true);
      const sidecar = JSON.parse(await readFile(`${kept.file}.receipt.json`, 'utf8')) as {
        manifestSha256: string;
        receipt: { key: string } | null;
      };
      expect(sidecar).toMatchObject({ manifestSha256: kept.manifestSha256, receipt: { key: plan.key } });
      expect((await readdir(dir)).filter((f) => f.endsWith('.journal'))).toEqual([]);

      // The plan is single-use: its multipart upload is gone once completed, so a second upload fails and overwrites nothing.
      const again = await cli(['upload', kept.file, '--config', 'bundle.json', '--quiet'], dir);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toMatch(/^triage-collect: UploadPart part 1 on .* failed: .*\[[A-Z_]+\]$/m);
      expect(again.stderr).not.toContain('X-Amz-Signature');
      const still = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: plan.key }));
      expect(
        Buffer.from((await still.Body?.transformToByteArray()) ?? []).equals(await readFile(kept.file)),
      ).toBe(true);
      const everything = (await allOutputs(dir, up)) + local.stderr;
      for (const canary of planCanaries(plan)) expect(everything).not.toContain(canary);
    });
  });
}

describePlanRun('minio');
describePlanRun('moto');

describe('upload failures keep the local file', () => {
  const minio = inject('triageServices').minio;
  const bucket = `collect-fail-${randomUUID().slice(0, 8)}`;
  const prefix = 'IR-1/web-1/';

  beforeAll(async () => {
    await admin(minio).send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('bad credentials fail the pre-flight before anything is collected, with a clear message', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    const canary = 'FAKEcanarySecretKey0123456789abcdefghijkl';
    const credentials = {
      accessKeyId: 'ASIAFAKEEXAMPLE00001',
      secretAccessKey: canary,
      sessionToken: 'FAKEcanaryToken',
      expiration: new Date(Date.now() + 3_600_000),
    };
    await writeFile(
      join(dir, 'bundle.json'),
      bundleText({ server: minio, bucket, prefix, recipient: examiner().recipient, credentials }),
    );
    const run = await cli(['run', '--config', 'bundle.json', '--root', root], dir);
    expect(run.code).toBe(77);
    expect(run.stderr).toMatch(
      /^triage-collect: pre-flight failed, nothing was collected: .*\[CREDENTIALS_INVALID\]$/m,
    );
    expect((await readdir(dir)).filter((f) => f.endsWith('.triage'))).toEqual([]);
    expect(run.stderr + run.stdout).not.toContain(canary);
    expect(run.stderr + run.stdout).not.toContain('FAKEcanaryToken');
  });

  it('credentials that lose their rights mid-run (write-only to another prefix): the upload fails, the local file is complete and kept', async () => {
    // The pre-flight note is allowed, the collection object is not: a policy on one exact key.
    const dir = await workDir();
    const root = await tinyRoot(dir);
    const keys = examiner();
    const sts = new STSClient({
      endpoint: minio.endpoint,
      region: minio.region,
      credentials: minio.credentials,
    });
    const assumed = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam::000000000000:role/uploader',
        RoleSessionName: 'preflight-only',
        DurationSeconds: 3600,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:PutObject'],
              Resource: [`arn:aws:s3:::${bucket}/${prefix}*.preflight`],
            },
          ],
        }),
      }),
    );
    const c = assumed.Credentials;
    const credentials = {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
      expiration: c?.Expiration ?? new Date(),
    };
    await writeFile(
      join(dir, 'bundle.json'),
      bundleText({ server: minio, bucket, prefix, recipient: keys.recipient, credentials }),
    );
    const run = await cli(['run', '--config', 'bundle.json', '--root', root, '--json', '--quiet'], dir);
    expect(run.code).toBe(77);
    expect(run.stderr).toMatch(
      /^triage-collect: upload failed: .*the collection is kept at .*\.triage; retry with: triage-collect upload .*\[PERMISSION_DENIED\]$/m,
    );
    const result = JSON.parse(run.stdout) as { file: string; manifestSha256: string; upload: null };
    expect(result.upload).toBeNull();
    const contents = await readCollection(await readFile(result.file), { identities: [keys.identity] });
    expect(contents.manifestSha256).toBe(result.manifestSha256);
    expect(run.stderr + run.stdout).not.toContain(credentials.sessionToken);
  });

  it('server down: the pre-flight fails fast; with --no-upload the same run succeeds locally', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    const credentials = {
      accessKeyId: 'ASIAFAKEEXAMPLE00001',
      secretAccessKey: 'FAKEsecret',
      sessionToken: 'FAKEtoken',
      expiration: new Date(Date.now() + 3_600_000),
    };
    await writeFile(
      join(dir, 'bundle.json'),
      bundleText({
        server: minio,
        endpoint: 'http://127.0.0.1:9',
        bucket,
        prefix,
        recipient: examiner().recipient,
        credentials,
      }),
    );
    const run = await cli(['run', '--config', 'bundle.json', '--root', root], dir);
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/\[NETWORK_ERROR\]$/m);
    const local = await cli(
      ['run', '--config', 'bundle.json', '--root', root, '--no-upload', '--json', '--quiet'],
      dir,
    );
    expect(local.code).toBe(0);
  });

  it('server gone after the pre-flight: every upload attempt is reset, the run fails and keeps the complete local file', async () => {
    const proxy = await startFaultProxy(minio.endpoint);
    try {
      // The first PutObject (the pre-flight note) goes through; every later one is dropped unanswered.
      proxy.setRules([{ action: 'PutObject', skip: 1, times: 1000, fault: { kind: 'reset-before' } }]);
      const dir = await workDir();
      const root = await tinyRoot(dir);
      const keys = examiner();
      const credentials = await sessionFor(minio, bucket, prefix);
      await writeFile(
        join(dir, 'bundle.json'),
        bundleText({
          server: minio,
          endpoint: proxy.endpoint,
          bucket,
          prefix,
          recipient: keys.recipient,
          credentials,
        }),
      );
      const run = await cli(['run', '--config', 'bundle.json', '--root', root, '--json', '--quiet'], dir);
      expect(proxy.injected['reset-before']).toBeGreaterThan(1);
      expect(run.code).toBe(69);
      expect(run.stderr).toMatch(
        /^triage-collect: upload failed: .*the collection is kept at .*\[NETWORK_ERROR\]$/m,
      );
      const result = JSON.parse(run.stdout) as { file: string; manifestSha256: string };
      const contents = await readCollection(await readFile(result.file), { identities: [keys.identity] });
      expect(contents.manifestSha256).toBe(result.manifestSha256);

      // Back online: `upload` sends the kept file, and the object is the file.
      proxy.setRules([]);
      const retry = await cli(['upload', result.file, '--config', 'bundle.json', '--json', '--quiet'], dir);
      expect(retry.stderr).toBe('');
      expect(retry.code).toBe(0);
      const uploaded = JSON.parse(retry.stdout) as { key: string; verified: boolean };
      expect(uploaded.verified).toBe(true);
      const object = await admin(minio).send(new GetObjectCommand({ Bucket: bucket, Key: uploaded.key }));
      const bytes = await object.Body?.transformToByteArray();
      expect(bytes && Buffer.from(bytes).equals(await readFile(result.file))).toBe(true);
      // The sidecar keeps the manifest hash from the failed run and gains the receipt.
      const sidecar = JSON.parse(await readFile(`${result.file}.receipt.json`, 'utf8')) as {
        manifestSha256: string;
        receipt: { key: string } | null;
      };
      expect(sidecar.manifestSha256).toBe(result.manifestSha256);
      expect(sidecar.receipt?.key).toBe(uploaded.key);
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});
