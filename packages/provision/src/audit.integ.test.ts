/**
 * auditClient against moto (S3 and IAM reads) after a real setup, then after
 * breaking one thing at a time. moto stores policies, Block Public Access and
 * ownership settings but enforces none of them (nor signatures or MFA), so
 * the audit's verdicts here come from the evaluator over what moto returns;
 * the live-enforcement half (the probe) runs against MinIO, with the same
 * bucket name created there.
 */
import {
  DeleteUserPolicyCommand,
  PutGroupPolicyCommand,
  PutUserPolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { uploadSessionPolicy } from '@triage/iam-policy';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type AuditReport, auditClient } from './audit.js';
import { applySetup, planSetup, type SetupPlan } from './setup.js';
import { codeOf, recordedClients, uniqueClient } from './testing/support.js';

const { moto, minio } = inject('triageServices');
const now = () => new Date('2026-11-23T12:00:00Z');

const severities = (report: AuditReport) =>
  Object.fromEntries(report.findings.map((f) => [f.id, f.severity]));
const problems = (report: AuditReport) =>
  report.findings.filter((f) => f.severity !== 'info').map((f) => `${f.severity} ${f.id}`);

async function setUp(label: string): Promise<{ plan: SetupPlan } & ReturnType<typeof recordedClients>> {
  const clients = recordedClients(moto);
  const client = uniqueClient(label);
  const plan = await planSetup({ ...clients, client, region: moto.region, adminName: 'audit test' });
  await applySetup(plan, clients);
  return { plan, ...clients };
}

describe('auditClient on a fresh setup (moto)', () => {
  let env: Awaited<ReturnType<typeof setUp>>;
  let report: AuditReport;

  beforeAll(async () => {
    env = await setUp('audit');
    env.log.clear();
    const { s3, iam, plan } = env;
    report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
  });

  it('passes every check, with no high, medium or low finding, and writes nothing', () => {
    expect(problems(report)).toEqual([]);
    expect(report.hasHigh).toBe(false);
    expect(report.summary).toEqual({ high: 0, medium: 0, low: 0, info: report.findings.length });
    expect(Object.keys(severities(report))).toEqual([
      'bucket-region',
      'bucket-public',
      'public-access-block',
      'object-ownership',
      'encryption',
      'versioning',
      'lifecycle-abort-multipart',
      'tls-only',
      'uploader-user',
      'bucket-policy-uploader-deny',
      'uploader-extra-permissions',
      'uploader-without-mfa',
      'uploader-non-s3-permissions',
      'uploader-can-upload',
      'uploader-mfa',
      'uploader-access-keys',
      'upload-role',
      'upload-role-trust',
      'upload-role-permissions',
      'upload-role-non-s3-permissions',
    ]);
    expect(env.log.writes()).toEqual([]);
  });

  it('says what it proved, in words', () => {
    const message = (id: string) => report.findings.find((f) => f.id === id)?.message;
    expect(message('uploader-extra-permissions')).toBe(
      `The uploader can only PutObject and the multipart calls in ${env.plan.bucket} (whatCan over 1 identity policy).`,
    );
    expect(message('upload-role-trust')).toBe(
      `The trust policy of ${env.plan.arns.role} refuses session tokens, callers without MFA and other principals.`,
    );
  });

  it('a probe through moto cannot be trusted: moto half-applies the bucket policy (pinned moto 5.2.5 behaviour)', async () => {
    // moto checks only object calls (Get/Put/DeleteObject) against the bucket policy, and applies its Deny
    // statements to every caller: it ignores a Principal given as {"AWS": [...]} and fails conditions it
    // cannot read, so DenyInsecureTransport refuses even moto's root. Bucket calls (ListObjectsV2) are
    // never checked, and IAM and session policies never are. Hence the probe's real test is on MinIO.
    const { s3, iam, plan } = env;
    const probed = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
      probe: { s3, prefix: 'case-1/host-1' },
    });
    expect(problems(probed)).toEqual(['medium probe-put-inside', 'high probe-list']);
    expect(probed.findings.find((f) => f.id === 'probe-get-inside')?.message).toMatch(
      /was refused \(HTTP 403\)/,
    );
    expect(probed.hasHigh).toBe(true);
  });

  it('with a probe through MinIO (which enforces the session policy), the report stays clean', async () => {
    const { s3, iam, plan } = env;
    // The same bucket name on MinIO, and a case/host credential minted there.
    const root = new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: minio.credentials,
    });
    await root.send(new CreateBucketCommand({ Bucket: plan.bucket }));
    const sts = new STSClient({
      endpoint: minio.endpoint,
      region: minio.region,
      credentials: minio.credentials,
    });
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: plan.arns.role,
        RoleSessionName: 'case-1-host-1',
        DurationSeconds: 900,
        Policy: JSON.stringify(uploadSessionPolicy(plan.bucket, 'case-1', 'host-1')),
      }),
    );
    const scoped = new S3Client({
      endpoint: minio.endpoint,
      region: minio.region,
      forcePathStyle: true,
      credentials: {
        accessKeyId: out.Credentials?.AccessKeyId ?? '',
        secretAccessKey: out.Credentials?.SecretAccessKey ?? '',
        sessionToken: out.Credentials?.SessionToken ?? '',
      },
    });
    const probed = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
      probe: { s3: scoped, prefix: 'case-1/host-1' },
    });
    expect(problems(probed)).toEqual([]);
    expect(probed.findings.filter((f) => f.id.startsWith('probe-')).map((f) => f.id)).toEqual([
      'probe-put-inside',
      'probe-get-inside',
      'probe-list',
      'probe-delete-inside',
      'probe-put-outside',
    ]);
    expect(probed.hasHigh).toBe(false);
  });
});

describe('auditClient finds what was broken (moto)', () => {
  it('a public bucket policy with Block Public Access off is high; versioning suspended is medium', async () => {
    const { s3, iam, plan } = await setUp('public');
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: plan.bucket }));
    await s3.send(
      new PutBucketVersioningCommand({
        Bucket: plan.bucket,
        VersioningConfiguration: { Status: 'Suspended' },
      }),
    );
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: plan.bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Oops',
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:GetObject',
              Resource: `arn:aws:s3:::${plan.bucket}/*`,
            },
          ],
        }),
      }),
    );
    const report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
    expect(problems(report)).toEqual([
      'high bucket-public',
      'medium public-access-block',
      'medium versioning',
      'medium tls-only',
      'medium bucket-policy-uploader-deny',
      // A public-read bucket lets anyone read, the uploader and its role sessions included.
      'high uploader-extra-permissions',
      'high upload-role-permissions',
    ]);
    expect(report.findings.find((f) => f.id === 'bucket-public')?.evidence).toEqual([
      'bucket-policy#0: Allow to Principal "*" with no condition fixing aws:SourceIp, aws:SourceVpce, aws:SourceAccount, aws:PrincipalOrgID or the like',
    ]);
    expect(report.hasHigh).toBe(true);
  });

  it('moto stores a public policy that Block Public Access should have refused; the audit still reports it', async () => {
    const { s3, iam, plan } = await setUp('bpa');
    // On AWS, BlockPublicPolicy makes this PutBucketPolicy fail with AccessDenied; moto stores it.
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: plan.bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'Oops',
              Effect: 'Allow',
              Principal: '*',
              Action: 's3:PutObject',
              Resource: `arn:aws:s3:::${plan.bucket}/*`,
            },
          ],
        }),
      }),
    );
    const report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
    // RestrictPublicBuckets (still on) neutralises it, so it is medium, not high.
    expect(problems(report)).toEqual([
      'medium bucket-public',
      'medium tls-only',
      'medium bucket-policy-uploader-deny',
    ]);
    expect(report.hasHigh).toBe(false);
  });

  it('an uploader policy that allows reading, once the bucket policy is gone, is high (and so is IAM access)', async () => {
    const { s3, iam, plan } = await setUp('reader');
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: plan.bucket }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: plan.names.user,
        PolicyName: 'too-much',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:GetObject', 's3:ListBucket', 'iam:CreateAccessKey'],
              Resource: '*',
              Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
            },
          ],
        }),
      }),
    );
    const report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
    expect(problems(report)).toEqual([
      'medium tls-only',
      'medium bucket-policy-uploader-deny',
      'high uploader-extra-permissions',
      'high uploader-non-s3-permissions',
    ]);
    expect(report.findings.find((f) => f.id === 'uploader-extra-permissions')?.evidence).toEqual([
      's3:GetObject (session with MFA)',
      's3:ListBucket (session with MFA)',
    ]);
    expect(report.findings.find((f) => f.id === 'uploader-non-s3-permissions')?.evidence).toEqual([
      `iam:CreateAccessKey on arn:aws:iam::${plan.accountId}:user/${plan.names.user} (session with MFA)`,
      's3:GetObject on arn:aws:s3:::triage-audit-some-other-bucket/key (session with MFA)',
    ]);
    // Defence in depth: with the bucket policy back, S3 reads are denied again; IAM stays high.
    await iam.send(new DeleteUserPolicyCommand({ UserName: plan.names.user, PolicyName: 'too-much' }));
    await applySetup(
      await planSetup({
        s3,
        iam,
        sts: recordedClients(moto).sts,
        client: plan.client,
        region: plan.region,
        adminName: 'x',
      }),
      { s3, iam },
    );
    expect(
      problems(
        await auditClient({ s3, iam, client: plan.client, bucket: plan.bucket, region: plan.region, now }),
      ),
    ).toEqual([]);
  });

  it('a group policy with BoolIfExists lets the long-term key upload without MFA: high', async () => {
    const { s3, iam, plan } = await setUp('ifexists');
    await iam.send(
      new PutGroupPolicyCommand({
        GroupName: plan.names.group,
        PolicyName: 'triage-uploader',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 's3:PutObject',
              Resource: `arn:aws:s3:::${plan.bucket}/*`,
              Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } },
            },
          ],
        }),
      }),
    );
    const report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
    expect(problems(report)).toEqual(['high uploader-without-mfa']);
    expect(report.findings.find((f) => f.id === 'uploader-without-mfa')?.evidence).toEqual([
      's3:PutObject (long-term key)',
    ]);
  });

  it('a trust policy without the TokenIssueTime condition lets a session token chain into the role: high', async () => {
    const { s3, iam, plan } = await setUp('chain');
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: plan.names.role,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: plan.arns.user },
              Action: 'sts:AssumeRole',
              Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
            },
          ],
        }),
      }),
    );
    const report = await auditClient({
      s3,
      iam,
      client: plan.client,
      bucket: plan.bucket,
      region: plan.region,
      now,
    });
    expect(problems(report)).toEqual(['high upload-role-trust']);
    expect(report.findings.find((f) => f.id === 'upload-role-trust')?.evidence).toEqual([
      'the uploader with a session token (MFA)',
    ]);
  });

  it('a bucket without the uploader identity: the IAM checks say to run setup', async () => {
    const { s3, iam } = recordedClients(moto);
    const bucket = `${uniqueClient('bare')}-evidence`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const report = await auditClient({
      s3,
      iam,
      client: uniqueClient('none'),
      bucket,
      region: moto.region,
      now,
    });
    // moto leaves a new bucket without default encryption (AWS has applied SSE-S3 to every new bucket since 2023).
    expect(problems(report)).toEqual([
      'medium public-access-block',
      'medium object-ownership',
      'medium encryption',
      'medium versioning',
      'low lifecycle-abort-multipart',
      'medium tls-only',
      'medium uploader-user',
      'medium upload-role',
    ]);
    expect(report.hasHigh).toBe(false);
  });

  it('a bucket that does not exist is NOT_FOUND', async () => {
    const { s3, iam } = recordedClients(moto);
    expect(
      await codeOf(
        auditClient({ s3, iam, client: 'acme', bucket: `${uniqueClient('gone')}-x`, region: moto.region }),
      ),
    ).toBe('NOT_FOUND');
  });
});
