/**
 * `planSetup` and `applySetup`: harden a client's evidence bucket and create
 * its write-only uploader identity, idempotently. The plan is plain data
 * (print it, review it); applying it performs only the steps that are not
 * already `ok`, so a second run changes nothing.
 */
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  type CreateAccessKeyCommandOutput,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  DeactivateMFADeviceCommand,
  DeleteAccessKeyCommand,
  DeleteVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetRoleCommand,
  type GetRoleCommandOutput,
  GetRolePolicyCommand,
  GetUserCommand,
  type GetUserCommandOutput,
  type IAMClient,
  ListAccessKeysCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  ListVirtualMFADevicesCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
  type VirtualMFADevice,
} from '@aws-sdk/client-iam';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  HeadBucketCommand,
  type LifecycleRule,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type S3Client,
  type Tag,
} from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { isTriageError, TriageError } from '@triage/errors';
import {
  evidenceBucketPolicy,
  type PolicyDocument,
  uploaderGroupPolicy,
  uploaderRolePolicy,
  uploaderRoleTrustPolicy,
} from '@triage/iam-policy';
import {
  type AwsOperation,
  awsErrorName,
  call,
  callOrAbsent,
  httpStatus,
  translateAwsError,
} from './aws-errors.js';
import { readHardening } from './bucket-read.js';
import {
  BLOCK_ALL,
  describeEncryption,
  desiredEncryption,
  encryptionOk,
  findAbortRule,
  hasTags,
  mergeLifecycleRules,
  mergeTags,
  publicAccessBlockGaps,
} from './bucket-settings.js';
import { compareBucketPolicy, decodePolicyDocument, mergeBucketPolicy, samePolicy } from './documents.js';
import {
  ABORT_MULTIPART_DAYS,
  CLIENT_TAG_KEY,
  type ClientNames,
  CREATED_BY_TAG_KEY,
  checkBucket,
  checkClient,
  checkRegion,
  checkTagValue,
  clientNames,
  defaultBucketName,
  GROUP_POLICY_NAME,
  LIFECYCLE_RULE_ID,
  OTP_ISSUER,
  ROLE_MAX_SESSION_SECONDS,
  ROLE_POLICY_NAME,
} from './names.js';
import { type MfaEnrolment, type UploaderAccessKey, withHiddenFields } from './secrets.js';
import { base32Decode, otpauthUri, totp } from './totp.js';

/** What a step needs: nothing (`ok`), to be created, or to be changed. */
export type StepStatus = 'ok' | 'create' | 'update';

/** The setup steps, in the order they are applied. */
export const SETUP_STEP_IDS = [
  'bucket',
  'bucket-tags',
  'public-access-block',
  'object-ownership',
  'encryption',
  'versioning',
  'lifecycle',
  'uploader-group',
  'uploader-group-policy',
  'uploader-user',
  'uploader-membership',
  'upload-role',
  'upload-role-trust-policy',
  'upload-role-policy',
  'bucket-policy',
  'mfa-device',
  'access-key',
] as const;

/** One of {@link SETUP_STEP_IDS}. */
export type SetupStepId = (typeof SETUP_STEP_IDS)[number];

/** One step of a plan: what it is about, and whether anything has to be done. */
export interface SetupStep {
  readonly id: SetupStepId;
  /** One line for people: the wanted state, and for a non-ok step what differs now. */
  readonly description: string;
  readonly status: StepStatus;
}

/** The ARNs setup uses (existing ones as IAM reports them, new ones as they will be). */
export interface SetupArns {
  readonly user: string;
  readonly group: string;
  readonly role: string;
  /** The virtual MFA device's serial number (its ARN). */
  readonly mfaDevice: string;
}

/**
 * What setup would do, from the state it read: plain data, safe to print and
 * serialise (it holds no secret), to review and then pass to
 * {@link applySetup}.
 */
export interface SetupPlan {
  readonly client: string;
  readonly region: string;
  readonly accountId: string;
  /** `aws`, `aws-cn`, `aws-us-gov`… from the caller's ARN. */
  readonly partition: string;
  readonly bucket: string;
  /** Present when the bucket is to use SSE-KMS with this key. */
  readonly kmsKeyId?: string;
  /** Who ran the setup; recorded as the `triage:created-by` tag on what it creates. */
  readonly adminName: string;
  readonly names: ClientNames;
  readonly arns: SetupArns;
  readonly steps: readonly SetupStep[];
  /** How many steps are not `ok`; 0 means there is nothing to do. */
  readonly pending: number;
}

/** Options for {@link planSetup}. */
export interface PlanSetupOptions {
  /** S3 client for the bucket's region, with the admin's credentials. */
  readonly s3: S3Client;
  /** IAM client with the admin's credentials. */
  readonly iam: IAMClient;
  /** STS client with the admin's credentials (for the account id and partition). */
  readonly sts: STSClient;
  /** The client's short name: 1–32 lower-case letters, digits and inner hyphens. */
  readonly client: string;
  /** The bucket's region, e.g. `eu-west-1`. */
  readonly region: string;
  /** The bucket; default `triage-<client>-<account id>`. */
  readonly bucket?: string;
  /** A KMS key (id, ARN or alias) for SSE-KMS with a bucket key; default: SSE-S3. */
  readonly kmsKeyId?: string;
  /** The admin running setup (tag value: letters, digits, spaces, `_.:/=+-@`); recorded as `triage:created-by`. */
  readonly adminName: string;
}

/** One step after {@link applySetup}: `done` (written), `unchanged` (was ok) or `planned` (dry run). */
export interface AppliedStep extends SetupStep {
  readonly outcome: 'done' | 'unchanged' | 'planned';
}

/** What {@link applySetup} did. */
export interface ApplyResult {
  readonly dryRun: boolean;
  /** Whether anything was written. */
  readonly changed: boolean;
  /** One line for people, e.g. `Nothing to change: all 17 steps are ok.` */
  readonly summary: string;
  readonly steps: readonly AppliedStep[];
  /** Present only when a new access key was created: the only time its secret is available. */
  readonly accessKey?: UploaderAccessKey;
  /** Present only when a new MFA device was enabled: the only time its seed is available. */
  readonly mfa?: MfaEnrolment;
}

/** Options for {@link applySetup}. */
export interface ApplySetupOptions {
  /** S3 client for the bucket's region, with the admin's credentials. */
  readonly s3: S3Client;
  /** IAM client with the admin's credentials. */
  readonly iam: IAMClient;
  /** Report what would be done and make no AWS call at all; default false. */
  readonly dryRun?: boolean;
  /** The clock for the MFA codes; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Waits between retries while IAM makes a new user or role visible; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

// ---------------------------------------------------------------------------
// Planning

const s3op = (action: string, target: string): AwsOperation => ({ service: 'S3', action, target });
const iamop = (action: string, target: string): AwsOperation => ({ service: 'IAM', action, target });

function clientTags(client: string): Tag[] {
  return [{ Key: CLIENT_TAG_KEY, Value: client }];
}

function creationTags(plan: Pick<SetupPlan, 'client' | 'adminName'>): Tag[] {
  return [...clientTags(plan.client), { Key: CREATED_BY_TAG_KEY, Value: plan.adminName }];
}

function desiredBucketPolicy(plan: Pick<SetupPlan, 'bucket' | 'arns'>): PolicyDocument {
  return evidenceBucketPolicy(plan.bucket, [plan.arns.user, plan.arns.role]);
}

function normaliseLocation(location: string | undefined): string {
  if (location === undefined || location === '') return 'us-east-1';
  return location === 'EU' ? 'eu-west-1' : location;
}

async function bucketExists(
  s3: S3Client,
  bucket: string,
  accountId: string,
  region: string,
): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket, ExpectedBucketOwner: accountId }));
  } catch (error) {
    const name = awsErrorName(error);
    const status = httpStatus(error);
    if (name === 'NotFound' || name === 'NoSuchBucket' || status === 404) return false;
    if (status === 403) {
      throw new TriageError(
        'PERMISSION_DENIED',
        `Bucket "${bucket}" exists but another account owns it, or these credentials may not read it: pass another bucket name.`,
        { cause: error, context: { bucket, accountId } },
      );
    }
    if (status === 301) {
      throw new TriageError(
        'CONFIG_INVALID',
        `Bucket "${bucket}" exists in another region than ${region}: pass its region, or another bucket name.`,
        { cause: error, context: { bucket, region } },
      );
    }
    throw translateAwsError(error, s3op('HeadBucket', bucket));
  }
  const location = await call(s3op('GetBucketLocation', bucket), () =>
    s3.send(new GetBucketLocationCommand({ Bucket: bucket, ExpectedBucketOwner: accountId })),
  );
  const actual = normaliseLocation(location.LocationConstraint);
  if (actual !== region) {
    throw new TriageError(
      'CONFIG_INVALID',
      `Bucket "${bucket}" is in ${actual}, not ${region}: pass region ${actual}, or another bucket name.`,
      { context: { bucket, region, bucketRegion: actual } },
    );
  }
  return true;
}

interface StepSink {
  add(id: SetupStepId, status: StepStatus, description: string): void;
}

async function planBucket(
  s3: S3Client,
  plan: Omit<SetupPlan, 'steps' | 'pending'>,
  out: StepSink,
): Promise<void> {
  const { bucket, accountId } = plan;
  const owner = { Bucket: bucket, ExpectedBucketOwner: accountId };
  const tagText = `${CLIENT_TAG_KEY}=${plan.client}`;
  const wantedEncryption = describeEncryption(desiredEncryption(plan.kmsKeyId));
  const exists = await bucketExists(s3, bucket, accountId, plan.region);
  if (!exists) {
    out.add('bucket', 'create', `Create bucket ${bucket} in ${plan.region}.`);
    out.add('bucket-tags', 'create', `Tag the bucket ${tagText}.`);
    out.add('public-access-block', 'create', 'Turn on all four Block Public Access settings.');
    out.add('object-ownership', 'create', 'Set Object Ownership to BucketOwnerEnforced (ACLs off).');
    out.add('encryption', 'create', `Set default encryption to ${wantedEncryption}.`);
    out.add('versioning', 'create', 'Enable versioning.');
    out.add(
      'lifecycle',
      'create',
      `Add lifecycle rule ${LIFECYCLE_RULE_ID}: abort incomplete multipart uploads after ${ABORT_MULTIPART_DAYS} days.`,
    );
    return;
  }
  out.add('bucket', 'ok', `Bucket ${bucket} exists in ${plan.region}, owned by account ${accountId}.`);
  const [tagging, { pab, ownership, encryption, versioning, lifecycle }] = await Promise.all([
    callOrAbsent(s3op('GetBucketTagging', bucket), ['NoSuchTagSet', 'NoSuchTagSetError'], () =>
      s3.send(new GetBucketTaggingCommand(owner)),
    ),
    readHardening(s3, owner),
  ]);

  if (hasTags(tagging?.TagSet, clientTags(plan.client)))
    out.add('bucket-tags', 'ok', `Bucket is tagged ${tagText}.`);
  else out.add('bucket-tags', 'update', `Tag the bucket ${tagText}, keeping its other tags.`);

  const gaps = publicAccessBlockGaps(pab?.PublicAccessBlockConfiguration);
  if (gaps.length === 0)
    out.add('public-access-block', 'ok', 'All four Block Public Access settings are on.');
  else if (pab === undefined)
    out.add('public-access-block', 'create', 'Turn on all four Block Public Access settings (none set).');
  else
    out.add(
      'public-access-block',
      'update',
      `Turn on Block Public Access settings now off: ${gaps.join(', ')}.`,
    );

  const rules = ownership?.OwnershipControls?.Rules ?? [];
  const objectOwnership = rules[0]?.ObjectOwnership;
  if (rules.length === 1 && objectOwnership === 'BucketOwnerEnforced')
    out.add('object-ownership', 'ok', 'Object Ownership is BucketOwnerEnforced (ACLs off).');
  else
    out.add(
      'object-ownership',
      ownership === undefined ? 'create' : 'update',
      `Set Object Ownership to BucketOwnerEnforced (ACLs off; now ${objectOwnership ?? 'not set'}).`,
    );

  const current = encryption?.ServerSideEncryptionConfiguration;
  if (encryptionOk(current, plan.kmsKeyId))
    out.add('encryption', 'ok', `Default encryption is ${describeEncryption(current)}.`);
  else
    out.add(
      'encryption',
      current === undefined ? 'create' : 'update',
      `Set default encryption to ${wantedEncryption} (now ${describeEncryption(current)}).`,
    );

  if (versioning.Status === 'Enabled') out.add('versioning', 'ok', 'Versioning is enabled.');
  else if (versioning.Status === undefined)
    out.add('versioning', 'create', 'Enable versioning (never enabled).');
  else out.add('versioning', 'update', `Enable versioning (now ${versioning.Status}).`);

  const existingRules = lifecycle?.Rules ?? [];
  const abortRule = findAbortRule(existingRules);
  if (abortRule)
    out.add(
      'lifecycle',
      'ok',
      `Lifecycle rule ${abortRule.ID ?? '(no id)'} aborts incomplete multipart uploads after ${abortRule.AbortIncompleteMultipartUpload?.DaysAfterInitiation} days.`,
    );
  else if (existingRules.length === 0)
    out.add(
      'lifecycle',
      'create',
      `Add lifecycle rule ${LIFECYCLE_RULE_ID}: abort incomplete multipart uploads after ${ABORT_MULTIPART_DAYS} days.`,
    );
  else
    out.add(
      'lifecycle',
      'update',
      `Add lifecycle rule ${LIFECYCLE_RULE_ID} (abort incomplete multipart uploads after ${ABORT_MULTIPART_DAYS} days), keeping the ${existingRules.length} other rule(s).`,
    );
}

async function planBucketPolicy(
  s3: S3Client,
  plan: Omit<SetupPlan, 'steps' | 'pending'>,
  bucketIsNew: boolean,
  out: StepSink,
): Promise<void> {
  const what = 'TLS only; the uploader user and role may only upload';
  if (bucketIsNew) {
    out.add('bucket-policy', 'create', `Set the bucket policy: ${what}.`);
    return;
  }
  const got = await callOrAbsent(s3op('GetBucketPolicy', plan.bucket), ['NoSuchBucketPolicy'], () =>
    s3.send(new GetBucketPolicyCommand({ Bucket: plan.bucket, ExpectedBucketOwner: plan.accountId })),
  );
  if (got?.Policy === undefined) {
    out.add('bucket-policy', 'create', `Set the bucket policy: ${what}.`);
    return;
  }
  const comparison = compareBucketPolicy(
    decodePolicyDocument(got.Policy, `bucket ${plan.bucket}`),
    desiredBucketPolicy(plan),
  );
  if (comparison.ok) out.add('bucket-policy', 'ok', `The bucket policy has our statements: ${what}.`);
  else
    out.add(
      'bucket-policy',
      'update',
      `Update bucket policy statements ${comparison.differing.join(', ')} (${what}), keeping ${comparison.others} other statement(s).`,
    );
}

async function getDocument(
  op: AwsOperation,
  fn: () => Promise<{ PolicyDocument?: string | undefined } | undefined>,
): Promise<unknown> {
  const got = await callOrAbsent(op, ['NoSuchEntity'], fn);
  return got?.PolicyDocument === undefined ? undefined : decodePolicyDocument(got.PolicyDocument, op.target);
}

async function findVirtualDevice(iam: IAMClient, serial: string): Promise<VirtualMFADevice | undefined> {
  let marker: string | undefined;
  do {
    const page = await call(iamop('ListVirtualMFADevices', serial), () =>
      iam.send(
        new ListVirtualMFADevicesCommand({ AssignmentStatus: 'Any', ...(marker ? { Marker: marker } : {}) }),
      ),
    );
    const found = page.VirtualMFADevices?.find((d) => d.SerialNumber === serial);
    if (found) return found;
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return undefined;
}

interface IamFacts {
  readonly userExists: boolean;
  readonly roleExists: boolean;
}

async function planIam(
  iam: IAMClient,
  plan: Omit<SetupPlan, 'steps' | 'pending'>,
  found: { readonly user: GetUserCommandOutput | undefined; readonly role: GetRoleCommandOutput | undefined },
  out: StepSink,
): Promise<IamFacts> {
  const { names, arns } = plan;
  const tagText = `${CLIENT_TAG_KEY}=${plan.client}`;

  // Group and its inline policy.
  const group = await callOrAbsent(iamop('GetGroup', names.group), ['NoSuchEntity'], () =>
    iam.send(new GetGroupCommand({ GroupName: names.group, MaxItems: 1 })),
  );
  const groupPolicyWhat = `upload-only on s3://${plan.bucket} with MFA, and sts:AssumeRole on ${names.role}`;
  if (group) {
    out.add('uploader-group', 'ok', `IAM group ${names.group} exists (IAM groups take no tags).`);
    const document = await getDocument(iamop('GetGroupPolicy', names.group), () =>
      iam.send(new GetGroupPolicyCommand({ GroupName: names.group, PolicyName: GROUP_POLICY_NAME })),
    );
    const wanted = uploaderGroupPolicy(plan.bucket, arns.role);
    if (document === undefined)
      out.add(
        'uploader-group-policy',
        'create',
        `Put inline policy ${GROUP_POLICY_NAME} on the group: ${groupPolicyWhat}.`,
      );
    else if (samePolicy(document, wanted))
      out.add(
        'uploader-group-policy',
        'ok',
        `Group policy ${GROUP_POLICY_NAME} is current: ${groupPolicyWhat}.`,
      );
    else
      out.add(
        'uploader-group-policy',
        'update',
        `Replace group policy ${GROUP_POLICY_NAME} (it differs): ${groupPolicyWhat}.`,
      );
  } else {
    out.add('uploader-group', 'create', `Create IAM group ${names.group} (IAM groups take no tags).`);
    out.add(
      'uploader-group-policy',
      'create',
      `Put inline policy ${GROUP_POLICY_NAME} on the group: ${groupPolicyWhat}.`,
    );
  }

  // User, its tags and its group membership.
  const user = found.user?.User;
  if (user) {
    const tags = await call(iamop('ListUserTags', names.user), () =>
      iam.send(new ListUserTagsCommand({ UserName: names.user })),
    );
    if (hasTags(tags.Tags, clientTags(plan.client)))
      out.add('uploader-user', 'ok', `IAM user ${names.user} exists, tagged ${tagText}.`);
    else out.add('uploader-user', 'update', `Tag IAM user ${names.user} ${tagText}.`);
    const groups = await call(iamop('ListGroupsForUser', names.user), () =>
      iam.send(new ListGroupsForUserCommand({ UserName: names.user })),
    );
    if (groups.Groups?.some((g) => g.GroupName === names.group))
      out.add('uploader-membership', 'ok', `User ${names.user} is in group ${names.group}.`);
    else out.add('uploader-membership', 'create', `Add user ${names.user} to group ${names.group}.`);
  } else {
    out.add('uploader-user', 'create', `Create IAM user ${names.user}, tagged ${tagText}.`);
    out.add('uploader-membership', 'create', `Add user ${names.user} to group ${names.group}.`);
  }

  // Role: existence, session length and tags; trust policy; permission policy.
  const trustWhat = `only ${names.user}'s long-term key with MFA (no session tokens)`;
  const roleWhat = `PutObject and AbortMultipartUpload on s3://${plan.bucket}/*`;
  const role = found.role;
  if (role?.Role) {
    const tags = await call(iamop('ListRoleTags', names.role), () =>
      iam.send(new ListRoleTagsCommand({ RoleName: names.role })),
    );
    const differences: string[] = [];
    if (role.Role.MaxSessionDuration !== ROLE_MAX_SESSION_SECONDS)
      differences.push(`max session 12 h (now ${(role.Role.MaxSessionDuration ?? 3600) / 3600} h)`);
    if (!hasTags(tags.Tags, clientTags(plan.client))) differences.push(`tag ${tagText}`);
    if (differences.length === 0)
      out.add('upload-role', 'ok', `Role ${names.role} exists: max session 12 h, tagged ${tagText}.`);
    else out.add('upload-role', 'update', `Update role ${names.role}: ${differences.join(', ')}.`);
    const trust =
      role.Role.AssumeRolePolicyDocument === undefined
        ? undefined
        : decodePolicyDocument(role.Role.AssumeRolePolicyDocument, `role ${names.role}`);
    if (samePolicy(trust, uploaderRoleTrustPolicy(plan.accountId, arns.user)))
      out.add('upload-role-trust-policy', 'ok', `Role ${names.role} trusts ${trustWhat}.`);
    else
      out.add(
        'upload-role-trust-policy',
        'update',
        `Replace the trust policy of ${names.role}: ${trustWhat}.`,
      );
    const document = await getDocument(iamop('GetRolePolicy', names.role), () =>
      iam.send(new GetRolePolicyCommand({ RoleName: names.role, PolicyName: ROLE_POLICY_NAME })),
    );
    if (document === undefined)
      out.add(
        'upload-role-policy',
        'create',
        `Put inline policy ${ROLE_POLICY_NAME} on the role: ${roleWhat}.`,
      );
    else if (samePolicy(document, uploaderRolePolicy(plan.bucket)))
      out.add('upload-role-policy', 'ok', `Role policy ${ROLE_POLICY_NAME} is current: ${roleWhat}.`);
    else
      out.add(
        'upload-role-policy',
        'update',
        `Replace role policy ${ROLE_POLICY_NAME} (it differs): ${roleWhat}.`,
      );
  } else {
    out.add('upload-role', 'create', `Create role ${names.role}: max session 12 h, tagged ${tagText}.`);
    out.add('upload-role-trust-policy', 'create', `Set the trust policy of ${names.role}: ${trustWhat}.`);
    out.add(
      'upload-role-policy',
      'create',
      `Put inline policy ${ROLE_POLICY_NAME} on the role: ${roleWhat}.`,
    );
  }
  return { userExists: user !== undefined, roleExists: role?.Role !== undefined };
}

async function planSecrets(
  iam: IAMClient,
  plan: Omit<SetupPlan, 'steps' | 'pending'>,
  userExists: boolean,
  out: StepSink,
): Promise<void> {
  const { names, arns } = plan;
  const enabled = userExists
    ? await call(iamop('ListMFADevices', names.user), () =>
        iam.send(new ListMFADevicesCommand({ UserName: names.user })),
      )
    : undefined;
  const device = enabled?.MFADevices?.[0];
  if (device) {
    out.add('mfa-device', 'ok', `User ${names.user} has MFA device ${device.SerialNumber} enabled.`);
  } else {
    const virtual = await findVirtualDevice(iam, arns.mfaDevice);
    const assignedTo = virtual?.User?.UserName;
    if (assignedTo !== undefined && assignedTo !== names.user) {
      throw new TriageError(
        'ALREADY_EXISTS',
        `MFA device ${arns.mfaDevice} is enabled for user ${assignedTo}, not ${names.user}: deactivate and delete it, then run setup again.`,
        { context: { serialNumber: arns.mfaDevice, user: assignedTo } },
      );
    }
    if (virtual)
      out.add(
        'mfa-device',
        'update',
        `Recreate virtual MFA device ${names.mfaDevice} and enable it for ${names.user} (it exists unassigned, and its seed cannot be read back); the new seed is shown once.`,
      );
    else
      out.add(
        'mfa-device',
        'create',
        `Create virtual MFA device ${names.mfaDevice} and enable it for ${names.user}; its seed is shown once.`,
      );
  }

  const keys = userExists
    ? await call(iamop('ListAccessKeys', names.user), () =>
        iam.send(new ListAccessKeysCommand({ UserName: names.user })),
      )
    : undefined;
  const active = keys?.AccessKeyMetadata?.filter((k) => k.Status === 'Active') ?? [];
  if (active.length > 0)
    out.add(
      'access-key',
      'ok',
      `User ${names.user} has an active access key (${active.map((k) => k.AccessKeyId).join(', ')}); no new one is made.`,
    );
  else
    out.add('access-key', 'create', `Create an access key for ${names.user}; its secret is returned once.`);
}

/**
 * Reads the current state of the client's bucket and uploader identity and
 * returns the steps that would bring them to the wanted state, each `ok`,
 * `create` or `update`. It only reads (STS GetCallerIdentity, S3 Head/Get,
 * IAM Get/List).
 *
 * Wanted state: the bucket (default `triage-<client>-<account id>`) in
 * `region`, owned by this account, tagged `triage:client=<client>`; all four
 * Block Public Access settings on; Object Ownership BucketOwnerEnforced;
 * default encryption SSE-S3, or SSE-KMS with a bucket key when `kmsKeyId` is
 * given; versioning enabled; a lifecycle rule aborting incomplete multipart
 * uploads after 7 days (added beside existing rules); the bucket policy of
 * `evidenceBucketPolicy` (merged by Sid into an existing policy); group
 * `triage-<client>-uploaders` with inline policy `triage-uploader`
 * (`uploaderGroupPolicy`); user `triage-<client>-uploader` in it; role
 * `triage-<client>-upload` (12 h maximum session, `uploaderRoleTrustPolicy`,
 * inline policy `triage-upload` from `uploaderRolePolicy`); an enabled MFA
 * device for the user; and one active access key.
 *
 * @param options - clients, client name, region, optional bucket and KMS key, admin name
 * @returns the plan; `pending` is 0 when there is nothing to do
 * @throws INVALID_ARGUMENT for an invalid client, bucket, region, KMS key or admin name
 * @throws PERMISSION_DENIED when the bucket exists but another account owns it (or may not be read), or a read is denied
 * @throws CONFIG_INVALID when the bucket is in another region
 * @throws ALREADY_EXISTS when the uploader's MFA device name is enabled for another user
 * @throws POLICY_INVALID when an existing policy is not JSON
 * @throws CREDENTIALS_INVALID, NETWORK_ERROR, TIMEOUT, THROTTLED, SERVICE_UNAVAILABLE for failed AWS calls
 */
export async function planSetup(options: PlanSetupOptions): Promise<SetupPlan> {
  const { s3, iam, sts, client, region, kmsKeyId, adminName } = options;
  checkClient(client);
  checkRegion(region);
  checkTagValue('adminName', adminName);
  if (options.bucket !== undefined) checkBucket(options.bucket);
  if (kmsKeyId !== undefined && !/^[\w:/+=,.@-]{1,2048}$/.test(kmsKeyId)) {
    throw new TriageError('INVALID_ARGUMENT', 'The KMS key must be a key id, key ARN or alias name.', {
      context: { kmsKeyId },
    });
  }
  const identity = await call(
    { service: 'STS', action: 'GetCallerIdentity', target: 'the admin credentials' },
    () => sts.send(new GetCallerIdentityCommand({})),
  );
  const accountId = identity.Account ?? '';
  const partition = identity.Arn?.split(':')[1] ?? '';
  if (!/^\d{12}$/.test(accountId) || !/^aws(-[a-z]+)*$/.test(partition)) {
    throw new TriageError(
      'CONFIG_INVALID',
      'STS did not name the account of the admin credentials: check the endpoint.',
      {
        context: { accountId, partition },
      },
    );
  }
  const bucket = options.bucket ?? defaultBucketName(client, accountId);
  checkBucket(bucket);
  const names = clientNames(client);
  const iamArn = (kind: string, name: string) => `arn:${partition}:iam::${accountId}:${kind}/${name}`;
  const [user, role] = await Promise.all([
    callOrAbsent(iamop('GetUser', names.user), ['NoSuchEntity'], () =>
      iam.send(new GetUserCommand({ UserName: names.user })),
    ),
    callOrAbsent(iamop('GetRole', names.role), ['NoSuchEntity'], () =>
      iam.send(new GetRoleCommand({ RoleName: names.role })),
    ),
  ]);
  const base: Omit<SetupPlan, 'steps' | 'pending'> = {
    client,
    region,
    accountId,
    partition,
    bucket,
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    adminName,
    names,
    arns: {
      user: user?.User?.Arn ?? iamArn('user', names.user),
      group: iamArn('group', names.group),
      role: role?.Role?.Arn ?? iamArn('role', names.role),
      mfaDevice: iamArn('mfa', names.mfaDevice),
    },
  };
  const steps = new Map<SetupStepId, SetupStep>();
  const sink: StepSink = { add: (id, status, description) => steps.set(id, { id, status, description }) };
  await planBucket(s3, base, sink);
  const facts = await planIam(iam, base, { user, role }, sink);
  await planBucketPolicy(s3, base, steps.get('bucket')?.status === 'create', sink);
  await planSecrets(iam, base, facts.userExists, sink);
  const ordered = SETUP_STEP_IDS.map((id) => steps.get(id) as SetupStep);
  return { ...base, steps: ordered, pending: ordered.filter((s) => s.status !== 'ok').length };
}

// ---------------------------------------------------------------------------
// Applying

const CONSISTENCY_DELAYS_MS = [1000, 2000, 4000, 8000, 8000, 8000];

/**
 * Runs a write that may fail for a while after a user or role was just
 * created (IAM is eventually consistent: "Invalid principal in policy",
 * NoSuchEntity). Retries only those errors, only when `fresh` is true.
 *
 * @internal exported for tests
 */
export async function retryWhileFresh<T>(
  fresh: boolean,
  sleep: (ms: number) => Promise<void>,
  op: AwsOperation,
  fn: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const name = awsErrorName(error);
      const transient = ['NoSuchEntity', 'MalformedPolicyDocument', 'MalformedPolicy'].includes(name);
      const delay = CONSISTENCY_DELAYS_MS[attempt];
      if (!fresh || !transient || delay === undefined) throw translateAwsError(error, op);
      await sleep(delay);
    }
  }
}

function checkPlan(plan: SetupPlan): void {
  checkClient(plan.client);
  checkRegion(plan.region);
  checkBucket(plan.bucket);
  checkTagValue('adminName', plan.adminName);
  const names = clientNames(plan.client);
  const consistent =
    /^\d{12}$/.test(plan.accountId) &&
    JSON.stringify(plan.names) === JSON.stringify(names) &&
    plan.steps.length === SETUP_STEP_IDS.length &&
    plan.steps.every((s, i) => s.id === SETUP_STEP_IDS[i] && ['ok', 'create', 'update'].includes(s.status)) &&
    plan.arns.user.endsWith(`:user/${names.user}`) &&
    plan.arns.role.endsWith(`:role/${names.role}`) &&
    plan.arns.mfaDevice.endsWith(`:mfa/${names.mfaDevice}`);
  if (!consistent) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'The setup plan is incomplete or was altered: run planSetup again.',
      {
        context: { client: plan.client },
      },
    );
  }
}

interface ApplyContext {
  readonly s3: S3Client;
  readonly iam: IAMClient;
  readonly plan: SetupPlan;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** A user or role was created in this run: IAM may not show it everywhere yet. */
  fresh: boolean;
  mfa?: MfaEnrolment;
  accessKey?: UploaderAccessKey;
}

async function ignoreExisting(names: readonly string[], fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (error) {
    if (isTriageError(error) && names.includes(String(error.context.awsError))) return false;
    throw error;
  }
}

type StepAction = (ctx: ApplyContext, status: Exclude<StepStatus, 'ok'>) => Promise<void>;

const owner = (plan: SetupPlan) => ({ Bucket: plan.bucket, ExpectedBucketOwner: plan.accountId });

const ACTIONS: Readonly<Record<SetupStepId, StepAction>> = {
  async bucket({ s3, plan }) {
    await ignoreExisting(['BucketAlreadyOwnedByYou'], () =>
      call(s3op('CreateBucket', plan.bucket), () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: plan.bucket,
            ObjectOwnership: 'BucketOwnerEnforced',
            ...(plan.region === 'us-east-1'
              ? {}
              : {
                  CreateBucketConfiguration: { LocationConstraint: plan.region as BucketLocationConstraint },
                }),
          }),
        ),
      ),
    );
  },
  async 'bucket-tags'({ s3, plan }) {
    const existing = await callOrAbsent(
      s3op('GetBucketTagging', plan.bucket),
      ['NoSuchTagSet', 'NoSuchTagSetError'],
      () => s3.send(new GetBucketTaggingCommand(owner(plan))),
    );
    const TagSet = mergeTags(existing?.TagSet ?? [], clientTags(plan.client));
    await call(s3op('PutBucketTagging', plan.bucket), () =>
      s3.send(new PutBucketTaggingCommand({ ...owner(plan), Tagging: { TagSet } })),
    );
  },
  async 'public-access-block'({ s3, plan }) {
    await call(s3op('PutPublicAccessBlock', plan.bucket), () =>
      s3.send(
        new PutPublicAccessBlockCommand({ ...owner(plan), PublicAccessBlockConfiguration: { ...BLOCK_ALL } }),
      ),
    );
  },
  async 'object-ownership'({ s3, plan }) {
    await call(s3op('PutBucketOwnershipControls', plan.bucket), () =>
      s3.send(
        new PutBucketOwnershipControlsCommand({
          ...owner(plan),
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        }),
      ),
    );
  },
  async encryption({ s3, plan }) {
    await call(s3op('PutBucketEncryption', plan.bucket), () =>
      s3.send(
        new PutBucketEncryptionCommand({
          ...owner(plan),
          ServerSideEncryptionConfiguration: desiredEncryption(plan.kmsKeyId),
        }),
      ),
    );
  },
  async versioning({ s3, plan }) {
    await call(s3op('PutBucketVersioning', plan.bucket), () =>
      s3.send(
        new PutBucketVersioningCommand({ ...owner(plan), VersioningConfiguration: { Status: 'Enabled' } }),
      ),
    );
  },
  async lifecycle({ s3, plan }) {
    // Read again just before writing, so rules added since the plan are kept.
    const existing = await callOrAbsent(
      s3op('GetBucketLifecycleConfiguration', plan.bucket),
      ['NoSuchLifecycleConfiguration'],
      () => s3.send(new GetBucketLifecycleConfigurationCommand(owner(plan))),
    );
    const rules: LifecycleRule[] = mergeLifecycleRules(existing?.Rules ?? []);
    await call(s3op('PutBucketLifecycleConfiguration', plan.bucket), () =>
      s3.send(
        new PutBucketLifecycleConfigurationCommand({
          ...owner(plan),
          LifecycleConfiguration: { Rules: rules },
          ...(existing?.TransitionDefaultMinimumObjectSize === undefined
            ? {}
            : { TransitionDefaultMinimumObjectSize: existing.TransitionDefaultMinimumObjectSize }),
        }),
      ),
    );
  },
  async 'uploader-group'({ iam, plan }) {
    await ignoreExisting(['EntityAlreadyExists'], () =>
      call(iamop('CreateGroup', plan.names.group), () =>
        iam.send(new CreateGroupCommand({ GroupName: plan.names.group })),
      ),
    );
  },
  async 'uploader-group-policy'(ctx) {
    const { iam, plan } = ctx;
    await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('PutGroupPolicy', plan.names.group), () =>
      iam.send(
        new PutGroupPolicyCommand({
          GroupName: plan.names.group,
          PolicyName: GROUP_POLICY_NAME,
          PolicyDocument: JSON.stringify(uploaderGroupPolicy(plan.bucket, plan.arns.role)),
        }),
      ),
    );
  },
  async 'uploader-user'(ctx, status) {
    const { iam, plan } = ctx;
    const created =
      status === 'create' &&
      (await ignoreExisting(['EntityAlreadyExists'], () =>
        call(iamop('CreateUser', plan.names.user), () =>
          iam.send(new CreateUserCommand({ UserName: plan.names.user, Tags: creationTags(plan) })),
        ),
      ));
    if (created) {
      ctx.fresh = true;
      return;
    }
    await call(iamop('TagUser', plan.names.user), () =>
      iam.send(new TagUserCommand({ UserName: plan.names.user, Tags: clientTags(plan.client) })),
    );
  },
  async 'uploader-membership'(ctx) {
    const { iam, plan } = ctx;
    await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('AddUserToGroup', plan.names.user), () =>
      iam.send(new AddUserToGroupCommand({ GroupName: plan.names.group, UserName: plan.names.user })),
    );
  },
  async 'upload-role'(ctx, status) {
    const { iam, plan } = ctx;
    const trust = JSON.stringify(uploaderRoleTrustPolicy(plan.accountId, plan.arns.user));
    if (status === 'create') {
      let created = false;
      await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('CreateRole', plan.names.role), async () => {
        try {
          await iam.send(
            new CreateRoleCommand({
              RoleName: plan.names.role,
              AssumeRolePolicyDocument: trust,
              MaxSessionDuration: ROLE_MAX_SESSION_SECONDS,
              Description: `triage: uploads for client ${plan.client}; sessions are narrowed to one case/host`,
              Tags: creationTags(plan),
            }),
          );
          created = true;
        } catch (error) {
          if (awsErrorName(error) !== 'EntityAlreadyExists') throw error;
        }
      });
      if (created) {
        ctx.fresh = true;
        return;
      }
    }
    await call(iamop('UpdateRole', plan.names.role), () =>
      iam.send(
        new UpdateRoleCommand({ RoleName: plan.names.role, MaxSessionDuration: ROLE_MAX_SESSION_SECONDS }),
      ),
    );
    await call(iamop('TagRole', plan.names.role), () =>
      iam.send(new TagRoleCommand({ RoleName: plan.names.role, Tags: clientTags(plan.client) })),
    );
  },
  async 'upload-role-trust-policy'(ctx) {
    const { iam, plan } = ctx;
    await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('UpdateAssumeRolePolicy', plan.names.role), () =>
      iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: plan.names.role,
          PolicyDocument: JSON.stringify(uploaderRoleTrustPolicy(plan.accountId, plan.arns.user)),
        }),
      ),
    );
  },
  async 'upload-role-policy'(ctx) {
    const { iam, plan } = ctx;
    await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('PutRolePolicy', plan.names.role), () =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: plan.names.role,
          PolicyName: ROLE_POLICY_NAME,
          PolicyDocument: JSON.stringify(uploaderRolePolicy(plan.bucket)),
        }),
      ),
    );
  },
  async 'bucket-policy'(ctx) {
    const { s3, plan } = ctx;
    // Read again just before writing, so statements added since the plan are kept.
    const existing = await callOrAbsent(s3op('GetBucketPolicy', plan.bucket), ['NoSuchBucketPolicy'], () =>
      s3.send(new GetBucketPolicyCommand(owner(plan))),
    );
    const current =
      existing?.Policy === undefined
        ? undefined
        : decodePolicyDocument(existing.Policy, `bucket ${plan.bucket}`);
    const policy = JSON.stringify(mergeBucketPolicy(current, desiredBucketPolicy(plan)));
    await retryWhileFresh(ctx.fresh, ctx.sleep, s3op('PutBucketPolicy', plan.bucket), () =>
      s3.send(new PutBucketPolicyCommand({ ...owner(plan), Policy: policy })),
    );
  },
  async 'mfa-device'(ctx, status) {
    const { iam, plan } = ctx;
    const serial = plan.arns.mfaDevice;
    if (status === 'update') {
      await ignoreExisting(['NoSuchEntity'], () =>
        call(iamop('DeleteVirtualMFADevice', serial), () =>
          iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial })),
        ),
      );
    }
    const created = await call(iamop('CreateVirtualMFADevice', plan.names.mfaDevice), () =>
      iam.send(
        new CreateVirtualMFADeviceCommand({
          VirtualMFADeviceName: plan.names.mfaDevice,
          Tags: creationTags(plan),
        }),
      ),
    );
    const device = created.VirtualMFADevice;
    const seedBytes = device?.Base32StringSeed;
    if (device?.SerialNumber === undefined || seedBytes === undefined) {
      throw new TriageError(
        'INTERNAL',
        `IAM created MFA device ${plan.names.mfaDevice} but returned no seed.`,
        {
          context: { device: plan.names.mfaDevice },
        },
      );
    }
    const serialNumber = device.SerialNumber;
    const seedBase32 = Buffer.from(seedBytes).toString('ascii');
    try {
      const key = base32Decode(seedBase32);
      await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('EnableMFADevice', plan.names.user), () => {
        // Two consecutive codes: the current time step's and the next one's.
        const now = ctx.now();
        return iam.send(
          new EnableMFADeviceCommand({
            UserName: plan.names.user,
            SerialNumber: serialNumber,
            AuthenticationCode1: totp(key, { time: now }),
            AuthenticationCode2: totp(key, { time: new Date(now.getTime() + 30_000) }),
          }),
        );
      });
    } catch (error) {
      // An unenabled device would only be recreated next time; remove it now.
      await iam
        .send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serialNumber }))
        .catch(() => undefined);
      if (isTriageError(error) && error.context.awsError === 'InvalidAuthenticationCode') {
        throw new TriageError(
          'CONFIG_INVALID',
          `IAM refused the MFA codes for ${plan.names.user}: set this machine's clock right (NTP), then run setup again.`,
          { cause: error, context: { user: plan.names.user } },
        );
      }
      throw error;
    }
    ctx.mfa = withHiddenFields(
      { userName: plan.names.user, serialNumber },
      {
        seedBase32,
        otpauthUri: otpauthUri({ account: plan.names.user, issuer: OTP_ISSUER, secretBase32: seedBase32 }),
        qrCodePng: new Uint8Array(device.QRCodePNG ?? new Uint8Array()),
      },
    );
  },
  async 'access-key'(ctx) {
    const { iam, plan } = ctx;
    let created: CreateAccessKeyCommandOutput;
    try {
      created = await retryWhileFresh(ctx.fresh, ctx.sleep, iamop('CreateAccessKey', plan.names.user), () =>
        iam.send(new CreateAccessKeyCommand({ UserName: plan.names.user })),
      );
    } catch (error) {
      if (isTriageError(error) && error.context.awsError === 'LimitExceeded') {
        throw new TriageError(
          'ALREADY_EXISTS',
          `User ${plan.names.user} already has two access keys, none active: delete one, then run setup again.`,
          { cause: error, context: { user: plan.names.user } },
        );
      }
      throw error;
    }
    const id = created.AccessKey?.AccessKeyId;
    const secret = created.AccessKey?.SecretAccessKey;
    if (id === undefined || secret === undefined) {
      throw new TriageError(
        'INTERNAL',
        `IAM created an access key for ${plan.names.user} but returned no secret.`,
        {
          context: { user: plan.names.user },
        },
      );
    }
    ctx.accessKey = withHiddenFields(
      { userName: plan.names.user, accessKeyId: id },
      { secretAccessKey: secret },
    );
  },
};

/** Undoes the secret-bearing steps of a failed run, so the next run makes them afresh. */
async function rollBackSecrets(ctx: ApplyContext): Promise<string[]> {
  const leftovers: string[] = [];
  const { iam, plan } = ctx;
  if (ctx.accessKey) {
    const id = ctx.accessKey.accessKeyId;
    await iam
      .send(new DeleteAccessKeyCommand({ UserName: plan.names.user, AccessKeyId: id }))
      .catch(() => leftovers.push(`access key ${id}`));
  }
  if (ctx.mfa) {
    const serial = ctx.mfa.serialNumber;
    try {
      await iam.send(new DeactivateMFADeviceCommand({ UserName: plan.names.user, SerialNumber: serial }));
      await iam.send(new DeleteVirtualMFADeviceCommand({ SerialNumber: serial }));
    } catch {
      leftovers.push(`MFA device ${serial}`);
    }
  }
  return leftovers;
}

/**
 * Performs the steps of `plan` that are not `ok`, in order, and nothing
 * else; with `dryRun` it makes no AWS call at all. A plan whose steps are all
 * `ok` makes no call either and says so. Steps whose existing state may have
 * changed since planning (bucket tags, lifecycle rules, bucket policy) are read
 * again and merged, never clobbered.
 *
 * The only secrets are in the result: the new access key (when the user had
 * no active one) and the new MFA device's seed, otpauth URI and QR code. They
 * are non-enumerable: printing the result never shows them. If a later step
 * fails, the MFA device and access key made in this run are removed again, so
 * no secret is lost unseen.
 *
 * @param plan - from {@link planSetup}, unaltered
 * @param options - clients, dry run (default false), clock (default now), sleep for IAM consistency retries
 * @returns every step with its outcome, whether anything changed, and the new secrets if any
 * @throws INVALID_ARGUMENT when the plan is incomplete or altered
 * @throws PERMISSION_DENIED when a write is denied to the admin credentials
 * @throws ALREADY_EXISTS when the bucket name is taken by another account, or the user already has two inactive access keys
 * @throws CONFIG_INVALID when IAM refuses the MFA codes (this machine's clock is off) or a quota is reached
 * @throws POLICY_INVALID when IAM or S3 refuses a policy
 * @throws S3_REQUEST_REJECTED when S3 refuses a setting (e.g. an unknown KMS key)
 * @throws CREDENTIALS_INVALID, NETWORK_ERROR, TIMEOUT, THROTTLED, SERVICE_UNAVAILABLE for failed AWS calls
 */
export async function applySetup(plan: SetupPlan, options: ApplySetupOptions): Promise<ApplyResult> {
  checkPlan(plan);
  const dryRun = options.dryRun ?? false;
  const todo = plan.steps.filter((s) => s.status !== 'ok').length;
  if (dryRun || todo === 0) {
    return {
      dryRun,
      changed: false,
      summary:
        todo === 0
          ? `Nothing to change: all ${plan.steps.length} steps are ok.`
          : `Dry run: ${todo} of ${plan.steps.length} steps would change; nothing was changed.`,
      steps: plan.steps.map((s) => ({ ...s, outcome: s.status === 'ok' ? 'unchanged' : 'planned' })),
    };
  }
  const ctx: ApplyContext = {
    s3: options.s3,
    iam: options.iam,
    plan,
    now: options.now ?? (() => new Date()),
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    fresh: false,
  };
  const steps: AppliedStep[] = [];
  try {
    for (const step of plan.steps) {
      if (step.status === 'ok') {
        steps.push({ ...step, outcome: 'unchanged' });
        continue;
      }
      await ACTIONS[step.id](ctx, step.status);
      steps.push({ ...step, outcome: 'done' });
    }
  } catch (error) {
    const leftovers = await rollBackSecrets(ctx);
    const failed = isTriageError(error) ? error : translateAwsError(error, iamop('setup', plan.client));
    const step = plan.steps[steps.length]?.id ?? 'unknown';
    throw new TriageError(
      failed.code,
      `Setup step "${step}" failed: ${failed.message}${leftovers.length > 0 ? ` Also remove ${leftovers.join(' and ')} by hand, then run setup again.` : ''}`,
      { cause: failed, context: { ...failed.context, step }, retryable: failed.retryable },
    );
  }
  return {
    dryRun: false,
    changed: true,
    summary: `Applied ${todo} of ${plan.steps.length} steps; the other ${plan.steps.length - todo} were already ok.`,
    steps,
    ...(ctx.accessKey ? { accessKey: ctx.accessKey } : {}),
    ...(ctx.mfa ? { mfa: ctx.mfa } : {}),
  };
}
