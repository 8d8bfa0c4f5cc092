/**
 * planSetup / applySetup against moto, which serves S3, IAM and STS on one
 * endpoint: every call the functions make runs for real, and every setting is
 * read back with the SDK.
 *
 * What moto does NOT enforce (so these tests prove the calls and the stored
 * state, not the enforcement; the evaluator tests in @triage/iam-policy and
 * the MinIO probe test prove enforcement):
 * - it does not check MFA codes: EnableMFADevice accepts any two codes, so
 *   our TOTP is proved by the RFC vectors in totp.test.ts instead;
 * - it does not evaluate IAM or bucket policies, Block Public Access or
 *   Object Ownership on requests: all are stored and returned, none applied;
 * - it does not check signatures, so any credentials work;
 * - it ignores tags on CreateVirtualMFADevice (AWS keeps them);
 * - it does not check that a KMS key given for SSE-KMS exists.
 */
import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  GetGroupPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  ListVirtualMFADevicesCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
} from '@aws-sdk/client-s3';
import { isTriageError } from '@triage/errors';
import {
  evidenceBucketPolicy,
  uploaderGroupPolicy,
  uploaderRolePolicy,
  uploaderRoleTrustPolicy,
} from '@triage/iam-policy';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { decodePolicyDocument, samePolicy } from './documents.js';
import { type ApplyResult, applySetup, planSetup, SETUP_STEP_IDS, type SetupPlan } from './setup.js';
import { codeOf, recordedClients, rejectionOf, uniqueClient } from './testing/support.js';
import { base32Decode } from './totp.js';

const server = inject('triageServices').moto;
const ADMIN = 'Jane Examiner';

const statuses = (plan: SetupPlan) => Object.fromEntries(plan.steps.map((s) => [s.id, s.status]));
const everything = (status: string) => Object.fromEntries(SETUP_STEP_IDS.map((id) => [id, status]));

describe('setup from nothing (moto), in eu-west-1', () => {
  const client = uniqueClient('fresh');
  const region = 'eu-west-1';
  const { s3, iam, sts, log } = recordedClients(server, region);
  let plan: SetupPlan;
  let result: ApplyResult;
  let bucket: string;

  beforeAll(async () => {
    plan = await planSetup({ s3, iam, sts, client, region, adminName: ADMIN });
    bucket = plan.bucket;
  });

  it('plans every step as create, with the default bucket name, and only reads', () => {
    expect(statuses(plan)).toEqual(everything('create'));
    expect(plan.pending).toBe(SETUP_STEP_IDS.length);
    expect(plan.bucket).toBe(`triage-${client}-${plan.accountId}`);
    expect(plan.accountId).toMatch(/^\d{12}$/);
    expect(plan.arns).toEqual({
      user: `arn:aws:iam::${plan.accountId}:user/triage-${client}-uploader`,
      group: `arn:aws:iam::${plan.accountId}:group/triage-${client}-uploaders`,
      role: `arn:aws:iam::${plan.accountId}:role/triage-${client}-upload`,
      mfaDevice: `arn:aws:iam::${plan.accountId}:mfa/triage-${client}-uploader`,
    });
    expect(log.calls.length).toBeGreaterThan(3);
    expect(log.writes()).toEqual([]);
    // The plan is plain data: it survives JSON unchanged.
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('a dry run makes no AWS call at all and changes nothing', async () => {
    log.clear();
    const dry = await applySetup(plan, { s3, iam, dryRun: true });
    expect(log.calls).toEqual([]);
    expect(dry.changed).toBe(false);
    expect(dry.dryRun).toBe(true);
    expect(dry.summary).toMatch(/^Dry run: 17 of 17 steps would change; nothing was changed\.$/);
    expect(dry.steps.every((s) => s.outcome === 'planned')).toBe(true);
    expect(dry.accessKey).toBeUndefined();
    expect(dry.mfa).toBeUndefined();
    expect(statuses(await planSetup({ s3, iam, sts, client, region, adminName: ADMIN }))).toEqual(
      everything('create'),
    );
  });

  it('applies every step and returns the access key and MFA seed once, hidden from printing', async () => {
    log.clear();
    result = await applySetup(plan, { s3, iam });
    expect(result.changed).toBe(true);
    expect(result.steps.map((s) => s.outcome)).toEqual(SETUP_STEP_IDS.map(() => 'done'));
    expect(result.summary).toBe('Applied 17 of 17 steps; the other 0 were already ok.');
    const key = result.accessKey;
    const mfa = result.mfa;
    expect(key?.userName).toBe(`triage-${client}-uploader`);
    expect(key?.accessKeyId).toMatch(/^[A-Z0-9]{16,}$/);
    expect(key?.secretAccessKey.length).toBeGreaterThan(20);
    expect(mfa?.serialNumber).toBe(plan.arns.mfaDevice);
    expect(base32Decode(mfa?.seedBase32 ?? '').length).toBeGreaterThanOrEqual(10);
    expect(mfa?.otpauthUri).toBe(
      `otpauth://totp/triage:triage-${client}-uploader?secret=${mfa?.seedBase32}&issuer=triage`,
    );
    expect(mfa?.qrCodePng.length).toBeGreaterThan(0);
    // Printing the result never shows a secret.
    const printed = [
      JSON.stringify(result),
      String(result),
      (await import('node:util')).inspect(result, { depth: 9 }),
    ];
    for (const text of printed) {
      expect(text).not.toContain(key?.secretAccessKey);
      expect(text).not.toContain(mfa?.seedBase32);
      expect(text).not.toContain('otpauth://');
    }
    expect(JSON.stringify(result)).toContain(key?.accessKeyId);
    // Writes go in step order: the bucket first, secrets last.
    const writes = log.writes();
    expect(writes[0]).toBe('S3:CreateBucket');
    expect(writes.slice(-3)).toEqual([
      'IAM:CreateVirtualMFADevice',
      'IAM:EnableMFADevice',
      'IAM:CreateAccessKey',
    ]);
  });

  it('left every bucket setting in place (read back)', async () => {
    const at = { Bucket: bucket };
    expect((await s3.send(new GetBucketLocationCommand(at))).LocationConstraint).toBe(region);
    expect((await s3.send(new GetBucketTaggingCommand(at))).TagSet).toEqual([
      { Key: 'triage:client', Value: client },
    ]);
    expect((await s3.send(new GetPublicAccessBlockCommand(at))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    expect((await s3.send(new GetBucketOwnershipControlsCommand(at))).OwnershipControls?.Rules).toEqual([
      { ObjectOwnership: 'BucketOwnerEnforced' },
    ]);
    const encryption = await s3.send(new GetBucketEncryptionCommand(at));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect((await s3.send(new GetBucketVersioningCommand(at))).Status).toBe('Enabled');
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand(at))).Rules ?? [];
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      ID: 'triage-abort-incomplete-multipart-uploads',
      Status: 'Enabled',
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
    });
    const policy = decodePolicyDocument(
      (await s3.send(new GetBucketPolicyCommand(at))).Policy ?? '',
      'bucket',
    );
    expect(samePolicy(policy, evidenceBucketPolicy(bucket, [plan.arns.user, plan.arns.role]))).toBe(true);
  });

  it('left every IAM setting in place (read back)', async () => {
    const { user, group, role } = plan.names;
    const groupPolicy = await iam.send(
      new GetGroupPolicyCommand({ GroupName: group, PolicyName: 'triage-uploader' }),
    );
    expect(
      samePolicy(
        decodePolicyDocument(groupPolicy.PolicyDocument ?? '', group),
        uploaderGroupPolicy(bucket, plan.arns.role),
      ),
    ).toBe(true);
    const groups = await iam.send(new ListGroupsForUserCommand({ UserName: user }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual([group]);
    expect((await iam.send(new ListUserTagsCommand({ UserName: user }))).Tags).toEqual([
      { Key: 'triage:client', Value: client },
      { Key: 'triage:created-by', Value: ADMIN },
    ]);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([
      [result.accessKey?.accessKeyId, 'Active'],
    ]);
    const devices = await iam.send(new ListMFADevicesCommand({ UserName: user }));
    expect(devices.MFADevices?.map((d) => d.SerialNumber)).toEqual([plan.arns.mfaDevice]);
    const gotRole = (await iam.send(new GetRoleCommand({ RoleName: role }))).Role;
    expect(gotRole?.MaxSessionDuration).toBe(43_200);
    expect(
      samePolicy(
        decodePolicyDocument(gotRole?.AssumeRolePolicyDocument ?? '', role),
        uploaderRoleTrustPolicy(plan.accountId, plan.arns.user),
      ),
    ).toBe(true);
    expect((await iam.send(new ListRoleTagsCommand({ RoleName: role }))).Tags).toEqual([
      { Key: 'triage:client', Value: client },
      { Key: 'triage:created-by', Value: ADMIN },
    ]);
    const rolePolicy = await iam.send(
      new GetRolePolicyCommand({ RoleName: role, PolicyName: 'triage-upload' }),
    );
    expect(
      samePolicy(decodePolicyDocument(rolePolicy.PolicyDocument ?? '', role), uploaderRolePolicy(bucket)),
    ).toBe(true);
  });

  it('a second plan is all ok, and applying it makes no AWS call and says so', async () => {
    const again = await planSetup({ s3, iam, sts, client, region, adminName: 'Someone Else' });
    expect(statuses(again)).toEqual(everything('ok'));
    expect(again.pending).toBe(0);
    expect(again.steps.find((s) => s.id === 'access-key')?.description).toContain(
      result.accessKey?.accessKeyId,
    );
    log.clear();
    const second = await applySetup(again, { s3, iam });
    expect(log.calls).toEqual([]);
    expect(second.changed).toBe(false);
    expect(second.summary).toBe('Nothing to change: all 17 steps are ok.');
    expect(second.accessKey).toBeUndefined();
    expect(second.mfa).toBeUndefined();
    expect(second.steps.every((s) => s.outcome === 'unchanged')).toBe(true);
  });

  it('refuses a plan that was altered between plan and apply', async () => {
    const again = await planSetup({ s3, iam, sts, client, region, adminName: ADMIN });
    const altered = { ...again, names: { ...again.names, user: 'admin' } };
    expect(await codeOf(applySetup(altered, { s3, iam }))).toBe('INVALID_ARGUMENT');
    const reordered = { ...again, steps: [...again.steps].reverse() };
    expect(await codeOf(applySetup(reordered, { s3, iam }))).toBe('INVALID_ARGUMENT');
  });

  it('refuses the bucket when it is asked for in another region', async () => {
    const error = await rejectionOf(
      planSetup({ s3, iam, sts, client, region: 'eu-central-1', bucket, adminName: ADMIN }),
    );
    expect(isTriageError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('is in eu-west-1, not eu-central-1');
  });
});

describe('setup into existing state (moto)', () => {
  it('creates the bucket in us-east-1 without a LocationConstraint', async () => {
    const { s3, iam, sts, log } = recordedClients(server, 'us-east-1');
    const client = uniqueClient('east');
    const plan = await planSetup({
      s3,
      iam,
      sts,
      client,
      region: 'us-east-1',
      bucket: `${client}-evidence`,
      adminName: ADMIN,
    });
    expect(plan.bucket).toBe(`${client}-evidence`);
    await applySetup(plan, { s3, iam });
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: plan.bucket }));
    expect(location.LocationConstraint ?? '').toBe('');
    log.clear();
    expect(
      statuses(
        await planSetup({ s3, iam, sts, client, region: 'us-east-1', bucket: plan.bucket, adminName: ADMIN }),
      ),
    ).toEqual(everything('ok'));
    expect(log.writes()).toEqual([]);
  });

  it("merges with the bucket's existing tags, lifecycle rules and policy statements instead of clobbering them", async () => {
    const { s3, iam, sts } = recordedClients(server);
    const client = uniqueClient('merge');
    const bucket = `${client}-evidence`;
    const examiner = 'arn:aws:iam::123456789012:user/examiner';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketTaggingCommand({
        Bucket: bucket,
        Tagging: { TagSet: [{ Key: 'cost-centre', Value: 'ir' }] },
      }),
    );
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: 'expire-scratch',
              Status: 'Enabled',
              Filter: { Prefix: 'scratch/' },
              Expiration: { Days: 3 },
            },
          ],
        },
      }),
    );
    const examinerStatement = {
      Sid: 'ExaminerRead',
      Effect: 'Allow',
      Principal: { AWS: examiner },
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/*`,
    };
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [examinerStatement] }),
      }),
    );
    const plan = await planSetup({ s3, iam, sts, client, region: server.region, bucket, adminName: ADMIN });
    expect(statuses(plan)).toMatchObject({
      bucket: 'ok',
      'bucket-tags': 'update',
      lifecycle: 'update',
      'bucket-policy': 'update',
      versioning: 'create',
    });
    expect(plan.steps.find((s) => s.id === 'lifecycle')?.description).toContain(
      'keeping the 1 other rule(s)',
    );
    expect(plan.steps.find((s) => s.id === 'bucket-policy')?.description).toContain(
      'keeping 1 other statement(s)',
    );
    await applySetup(plan, { s3, iam });

    const tags = (await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet ?? [];
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'cost-centre', Value: 'ir' },
        { Key: 'triage:client', Value: client },
      ]),
    );
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
    expect(rules.map((r) => r.ID).sort()).toEqual([
      'expire-scratch',
      'triage-abort-incomplete-multipart-uploads',
    ]);
    expect(rules.find((r) => r.ID === 'expire-scratch')).toMatchObject({ Expiration: { Days: 3 } });
    const policy = decodePolicyDocument(
      (await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy ?? '',
      'bucket',
    ) as { Statement: { Sid: string }[] };
    expect(policy.Statement.map((s) => s.Sid).sort()).toEqual([
      'DenyInsecureTransport',
      'DenyUploaderAllButUpload',
      'ExaminerRead',
    ]);
    expect(
      statuses(await planSetup({ s3, iam, sts, client, region: server.region, bucket, adminName: ADMIN })),
    ).toEqual(everything('ok'));
  });

  it('switches to SSE-KMS with a bucket key when a KMS key is given, and back is never a downgrade', async () => {
    const { s3, iam, sts } = recordedClients(server);
    const client = uniqueClient('kms');
    const bucket = `${client}-evidence`;
    const first = await planSetup({ s3, iam, sts, client, region: server.region, bucket, adminName: ADMIN });
    await applySetup(first, { s3, iam });
    const kmsKeyId = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const plan = await planSetup({
      s3,
      iam,
      sts,
      client,
      region: server.region,
      bucket,
      kmsKeyId,
      adminName: ADMIN,
    });
    expect(plan.steps.filter((s) => s.status !== 'ok').map((s) => [s.id, s.status])).toEqual([
      ['encryption', 'update'],
    ]);
    expect(plan.steps.find((s) => s.id === 'encryption')?.description).toBe(
      `Set default encryption to SSE-KMS key ${kmsKeyId} with bucket key (now SSE-S3).`,
    );
    await applySetup(plan, { s3, iam });
    const rule = (await s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })))
      .ServerSideEncryptionConfiguration?.Rules?.[0];
    expect(rule).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyId },
      BucketKeyEnabled: true,
    });
    // Without a key asked for, SSE-KMS already there is fine: setup never weakens it to SSE-S3.
    const without = await planSetup({
      s3,
      iam,
      sts,
      client,
      region: server.region,
      bucket,
      adminName: ADMIN,
    });
    expect(without.pending).toBe(0);
  });

  it('recreates an existing but unassigned MFA device, and keeps an existing active access key', async () => {
    const { s3, iam, sts } = recordedClients(server);
    const client = uniqueClient('mfa');
    const user = `triage-${client}-uploader`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    const oldKey = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId;
    const old = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: user }));
    const plan = await planSetup({ s3, iam, sts, client, region: server.region, adminName: ADMIN });
    expect(statuses(plan)).toMatchObject({
      'uploader-user': 'update',
      'mfa-device': 'update',
      'access-key': 'ok',
    });
    expect(plan.steps.find((s) => s.id === 'uploader-user')?.description).toBe(
      `Tag IAM user ${user} triage:client=${client}.`,
    );
    const result = await applySetup(plan, { s3, iam });
    expect(result.accessKey).toBeUndefined();
    expect(result.mfa?.serialNumber).toBe(old.VirtualMFADevice?.SerialNumber);
    expect(result.mfa?.seedBase32).not.toBe(
      Buffer.from(old.VirtualMFADevice?.Base32StringSeed ?? []).toString(),
    );
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: user }));
    expect(keys.AccessKeyMetadata?.map((k) => k.AccessKeyId)).toEqual([oldKey]);
    const assigned = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Assigned' }));
    expect(assigned.VirtualMFADevices?.filter((d) => d.SerialNumber === plan.arns.mfaDevice)).toHaveLength(1);
    expect((await planSetup({ s3, iam, sts, client, region: server.region, adminName: ADMIN })).pending).toBe(
      0,
    );
  });

  it('when the access key cannot be made, removes the MFA device it had just enabled, and shows no secret', async () => {
    const { s3, iam, sts } = recordedClients(server);
    const client = uniqueClient('limit');
    const user = `triage-${client}-uploader`;
    await iam.send(new CreateUserCommand({ UserName: user }));
    // Two inactive keys: no active one (so setup wants a new key), and IAM's limit of two is reached.
    for (let i = 0; i < 2; i++) {
      const id =
        (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey?.AccessKeyId ?? '';
      await iam.send(new UpdateAccessKeyCommand({ UserName: user, AccessKeyId: id, Status: 'Inactive' }));
    }
    const plan = await planSetup({ s3, iam, sts, client, region: server.region, adminName: ADMIN });
    expect(statuses(plan)).toMatchObject({ 'mfa-device': 'create', 'access-key': 'create' });
    let seen: string | undefined;
    const error = await rejectionOf(
      applySetup(plan, {
        s3,
        iam,
        now: () => {
          seen = 'clock read';
          return new Date();
        },
      }),
    );
    expect(seen).toBe('clock read');
    expect(isTriageError(error, 'ALREADY_EXISTS')).toBe(true);
    expect((error as Error).message).toBe(
      `Setup step "access-key" failed: User ${user} already has two access keys, none active: delete one, then run setup again.`,
    );
    expect((error as { context: object }).context).toMatchObject({ step: 'access-key', user });
    expect((await iam.send(new ListMFADevicesCommand({ UserName: user }))).MFADevices).toEqual([]);
    const all = await iam.send(new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Any' }));
    expect(all.VirtualMFADevices?.filter((d) => d.SerialNumber === plan.arns.mfaDevice)).toEqual([]);
    // The next plan wants the device again, since its seed was never shown.
    expect(
      statuses(await planSetup({ s3, iam, sts, client, region: server.region, adminName: ADMIN })),
    ).toMatchObject({
      'mfa-device': 'create',
    });
  });

  it('refuses invalid arguments before any AWS call', async () => {
    const { s3, iam, sts, log } = recordedClients(server);
    const base = { s3, iam, sts, region: 'eu-west-1', adminName: ADMIN };
    expect(await codeOf(planSetup({ ...base, client: 'Acme' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(planSetup({ ...base, client: 'acme', region: 'europe' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(planSetup({ ...base, client: 'acme', bucket: 'my.bucket' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(planSetup({ ...base, client: 'acme', adminName: 'a\nb' }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(planSetup({ ...base, client: 'acme', kmsKeyId: 'a key' }))).toBe('INVALID_ARGUMENT');
    expect(log.calls).toEqual([]);
  });
});
