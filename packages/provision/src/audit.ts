/**
 * `auditClient`: read the client's bucket and uploader identity back and
 * prove, with the policy evaluator, that the bucket is private and hardened
 * and that the uploader can only upload, only with MFA; optionally probe a
 * live upload credential.
 */
import {
  type AttachedPolicy,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  type IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListMFADevicesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  GetBucketAclCommand,
  GetBucketLocationCommand,
  GetBucketPolicyCommand,
  type Grant,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isTriageError, TriageError } from '@triage/errors';
import {
  type AclGrant,
  type ActionRow,
  analysePublicAccess,
  evaluate,
  type Policy,
  type PolicySet,
  parsePolicy,
  type RequestContext,
  type RequestPrincipal,
  standardContexts,
  whatCan,
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
import { describeEncryption, findAbortRule, publicAccessBlockGaps } from './bucket-settings.js';
import { decodePolicyDocument } from './documents.js';
import { type Finding, type FindingSummary, finding, summarise } from './findings.js';
import { checkBucket, checkClient, checkRegion, clientNames } from './names.js';
import { type ProbeOptions, probeUploader } from './probe.js';

/** Options for {@link auditClient}. */
export interface AuditOptions {
  /** S3 client with the admin's credentials. */
  readonly s3: S3Client;
  /** IAM client with the admin's credentials. */
  readonly iam: IAMClient;
  /** The client's short name (names the uploader user, group and role). */
  readonly client: string;
  readonly bucket: string;
  /** The region the bucket should be in. */
  readonly region: string;
  /** Also probe a live upload credential (see {@link probeUploader}); default: no probe. */
  readonly probe?: ProbeOptions;
  /** The clock for the evaluator's contexts and the probe; default `() => new Date()`. */
  readonly now?: () => Date;
}

/** What {@link auditClient} found. */
export interface AuditReport {
  readonly client: string;
  readonly bucket: string;
  /** Every check, passed (`info`) or not, in the order run. */
  readonly findings: readonly Finding[];
  readonly summary: FindingSummary;
  /** Whether any finding is `high`: the bucket or the uploader is exposed; do not issue credentials. */
  readonly hasHigh: boolean;
}

/** S3 actions an uploader may have: PutObject (which covers Create/UploadPart/Complete) and the multipart calls. */
const UPLOADER_ACTIONS = new Set(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts']);

const s3op = (action: string, target: string): AwsOperation => ({ service: 'S3', action, target });
const iamop = (action: string, target: string): AwsOperation => ({ service: 'IAM', action, target });

const allowEverything = parsePolicy(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  'assumed-allow-everything',
);

// ---------------------------------------------------------------------------
// IAM policies of a user, its groups, or a role

interface NamedDocument {
  readonly name: string;
  readonly document: unknown;
}

async function pages<T>(
  op: AwsOperation,
  fetch: (
    marker: string | undefined,
  ) => Promise<{ IsTruncated?: boolean | undefined; Marker?: string | undefined }>,
  collect: (page: never) => readonly T[],
): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await call(op, () => fetch(marker));
    out.push(...collect(page as never));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return out;
}

async function managedDocuments(
  iam: IAMClient,
  attached: readonly AttachedPolicy[],
): Promise<NamedDocument[]> {
  const out: NamedDocument[] = [];
  for (const policy of attached) {
    const arn = policy.PolicyArn;
    if (arn === undefined) continue;
    const meta = await call(iamop('GetPolicy', arn), () =>
      iam.send(new GetPolicyCommand({ PolicyArn: arn })),
    );
    const versionId = meta.Policy?.DefaultVersionId;
    if (versionId === undefined) continue;
    const version = await call(iamop('GetPolicyVersion', arn), () =>
      iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
    );
    const text = version.PolicyVersion?.Document;
    if (text !== undefined) out.push({ name: `managed ${arn}`, document: decodePolicyDocument(text, arn) });
  }
  return out;
}

async function userDocuments(iam: IAMClient, user: string): Promise<NamedDocument[]> {
  const inline = await pages(
    iamop('ListUserPolicies', user),
    (Marker) => iam.send(new ListUserPoliciesCommand({ UserName: user, ...(Marker ? { Marker } : {}) })),
    (page: { PolicyNames?: string[] }) => page.PolicyNames ?? [],
  );
  const out: NamedDocument[] = [];
  for (const name of inline) {
    const got = await call(iamop('GetUserPolicy', user), () =>
      iam.send(new GetUserPolicyCommand({ UserName: user, PolicyName: name })),
    );
    if (got.PolicyDocument)
      out.push({
        name: `user ${user} inline ${name}`,
        document: decodePolicyDocument(got.PolicyDocument, name),
      });
  }
  const attached = await pages(
    iamop('ListAttachedUserPolicies', user),
    (Marker) =>
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: user, ...(Marker ? { Marker } : {}) })),
    (page: { AttachedPolicies?: AttachedPolicy[] }) => page.AttachedPolicies ?? [],
  );
  out.push(...(await managedDocuments(iam, attached)));
  const groups = await pages(
    iamop('ListGroupsForUser', user),
    (Marker) => iam.send(new ListGroupsForUserCommand({ UserName: user, ...(Marker ? { Marker } : {}) })),
    (page: { Groups?: { GroupName?: string }[] }) => page.Groups ?? [],
  );
  for (const { GroupName: group } of groups) {
    if (group === undefined) continue;
    const names = await pages(
      iamop('ListGroupPolicies', group),
      (Marker) => iam.send(new ListGroupPoliciesCommand({ GroupName: group, ...(Marker ? { Marker } : {}) })),
      (page: { PolicyNames?: string[] }) => page.PolicyNames ?? [],
    );
    for (const name of names) {
      const got = await call(iamop('GetGroupPolicy', group), () =>
        iam.send(new GetGroupPolicyCommand({ GroupName: group, PolicyName: name })),
      );
      if (got.PolicyDocument)
        out.push({
          name: `group ${group} inline ${name}`,
          document: decodePolicyDocument(got.PolicyDocument, name),
        });
    }
    const groupAttached = await pages(
      iamop('ListAttachedGroupPolicies', group),
      (Marker) =>
        iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: group, ...(Marker ? { Marker } : {}) })),
      (page: { AttachedPolicies?: AttachedPolicy[] }) => page.AttachedPolicies ?? [],
    );
    out.push(...(await managedDocuments(iam, groupAttached)));
  }
  return out;
}

async function roleDocuments(iam: IAMClient, role: string): Promise<NamedDocument[]> {
  const inline = await pages(
    iamop('ListRolePolicies', role),
    (Marker) => iam.send(new ListRolePoliciesCommand({ RoleName: role, ...(Marker ? { Marker } : {}) })),
    (page: { PolicyNames?: string[] }) => page.PolicyNames ?? [],
  );
  const out: NamedDocument[] = [];
  for (const name of inline) {
    const got = await call(iamop('GetRolePolicy', role), () =>
      iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name })),
    );
    if (got.PolicyDocument)
      out.push({
        name: `role ${role} inline ${name}`,
        document: decodePolicyDocument(got.PolicyDocument, name),
      });
  }
  const attached = await pages(
    iamop('ListAttachedRolePolicies', role),
    (Marker) =>
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role, ...(Marker ? { Marker } : {}) })),
    (page: { AttachedPolicies?: AttachedPolicy[] }) => page.AttachedPolicies ?? [],
  );
  out.push(...(await managedDocuments(iam, attached)));
  return out;
}

/** One policy document a principal has, as IAM holds it now. */
export interface PrincipalPolicyDocument {
  /** Where it is attached, e.g. `role triage-acme-upload inline triage-revoke-20261204T120000Z`. */
  readonly name: string;
  /** The decoded document (IAM returns it URL-encoded). */
  readonly document: unknown;
}

/**
 * Reads every identity policy IAM holds now for a user (inline, attached
 * managed, and those of its groups) or a role (inline and attached managed),
 * so that a proof can be made against what is really in force.
 *
 * @param iam - an IAM client allowed the List and Get policy calls
 * @param principal - the user or role name
 * @throws NOT_FOUND (no such user or role), PERMISSION_DENIED, CREDENTIALS_INVALID, THROTTLED, NETWORK_ERROR from IAM
 */
export async function readPrincipalPolicies(
  iam: IAMClient,
  principal: { readonly kind: 'user' | 'role'; readonly name: string },
): Promise<PrincipalPolicyDocument[]> {
  return principal.kind === 'user' ? userDocuments(iam, principal.name) : roleDocuments(iam, principal.name);
}

/** Parses documents, reporting (not throwing) any the evaluator cannot read. */
function parseAll(documents: readonly NamedDocument[], findings: Finding[], id: string): Policy[] {
  const out: Policy[] = [];
  for (const { name, document } of documents) {
    try {
      out.push(parsePolicy(document, name));
    } catch (error) {
      if (!isTriageError(error, 'POLICY_INVALID')) throw error;
      findings.push(
        finding(id, 'medium', `Policy "${name}" cannot be analysed (${error.message}): review it by hand.`),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// What a principal can do

interface Grants {
  /** Actions outside the uploader set, with the contexts they are allowed in. */
  readonly extra: string[];
  /** Upload actions allowed without MFA, with the contexts. */
  readonly withoutMfa: string[];
  /** PutObject allowed in a session with MFA. */
  readonly canUpload: boolean;
}

function grantsOf(rows: readonly ActionRow[]): Grants {
  const extra: string[] = [];
  const withoutMfa: string[] = [];
  let canUpload = false;
  for (const row of rows) {
    const allowedIn = Object.entries(row.decisions)
      .filter(([, decision]) => decision === 'Allowed')
      .map(([context]) => context);
    if (allowedIn.length === 0) continue;
    if (!UPLOADER_ACTIONS.has(row.action)) extra.push(`${row.action} (${allowedIn.join(', ')})`);
    else {
      const noMfa = allowedIn.filter((c) => c === 'long-term key' || c === 'session without MFA');
      if (noMfa.length > 0) withoutMfa.push(`${row.action} (${noMfa.join(', ')})`);
    }
    if (row.action === 's3:PutObject' && allowedIn.includes('session with MFA')) canUpload = true;
  }
  return { extra, withoutMfa, canUpload };
}

/** Non-S3 (and other-bucket) actions a write-only uploader must never have. */
function sensitiveRequests(account: string, partition: string, user: string): [string, string][] {
  return [
    ['iam:CreateAccessKey', `arn:${partition}:iam::${account}:user/${user}`],
    ['iam:DeactivateMFADevice', `arn:${partition}:iam::${account}:user/${user}`],
    ['iam:CreateUser', `arn:${partition}:iam::${account}:user/triage-audit-someone`],
    ['iam:PutUserPolicy', `arn:${partition}:iam::${account}:user/${user}`],
    ['iam:AttachUserPolicy', `arn:${partition}:iam::${account}:user/${user}`],
    ['iam:PassRole', `arn:${partition}:iam::${account}:role/triage-audit-some-role`],
    ['sts:AssumeRole', `arn:${partition}:iam::${account}:role/triage-audit-some-role`],
    ['kms:Decrypt', `arn:${partition}:kms:us-east-1:${account}:key/triage-audit-some-key`],
    ['s3:ListAllMyBuckets', '*'],
    ['s3:GetObject', 'arn:aws:s3:::triage-audit-some-other-bucket/key'],
    ['s3:CreateBucket', 'arn:aws:s3:::triage-audit-some-other-bucket'],
    ['ec2:RunInstances', `arn:${partition}:ec2:us-east-1:${account}:instance/*`],
  ];
}

function sensitiveGrants(
  policies: PolicySet,
  principal: RequestPrincipal,
  contexts: readonly { name: string; context: RequestContext }[],
  requests: readonly [string, string][],
): string[] {
  const out: string[] = [];
  for (const [action, resource] of requests) {
    const allowedIn = contexts
      .filter(
        (c) => evaluate({ principal, action, resource, context: c.context }, policies).decision === 'Allowed',
      )
      .map((c) => c.name);
    if (allowedIn.length > 0) out.push(`${action} on ${resource} (${allowedIn.join(', ')})`);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The audit

function aclGrants(grants: readonly Grant[] | undefined): AclGrant[] {
  const out: AclGrant[] = [];
  for (const grant of grants ?? []) {
    const type = grant.Grantee?.Type;
    const permission = grant.Permission;
    if (type === undefined || permission === undefined) continue;
    out.push({
      grantee: grant.Grantee?.URI === undefined ? { type } : { type, uri: grant.Grantee.URI },
      permission,
    });
  }
  return out;
}

async function checkBucketExists(s3: S3Client, bucket: string, accountId: string | undefined): Promise<void> {
  try {
    await s3.send(
      new HeadBucketCommand({ Bucket: bucket, ...(accountId ? { ExpectedBucketOwner: accountId } : {}) }),
    );
  } catch (error) {
    const name = awsErrorName(error);
    if (name === 'NotFound' || name === 'NoSuchBucket' || httpStatus(error) === 404) {
      throw new TriageError(
        'NOT_FOUND',
        `Bucket "${bucket}" does not exist: run setup first, or check the name.`,
        {
          cause: error,
          context: { bucket },
        },
      );
    }
    if (httpStatus(error) === 403) {
      throw new TriageError(
        'PERMISSION_DENIED',
        `Bucket "${bucket}" is not readable with these credentials, or another account owns it: use the admin credentials of its account.`,
        { cause: error, context: { bucket } },
      );
    }
    throw translateAwsError(error, s3op('HeadBucket', bucket));
  }
}

/**
 * Audits a client's bucket and uploader identity. Every check yields one
 * finding, `info` when it passes:
 *
 * - `bucket-region`; `bucket-public` (`analysePublicAccess` over the bucket
 *   policy and ACL; `high` when Block Public Access does not neutralise it);
 *   `public-access-block` (all four on); `object-ownership`
 *   (BucketOwnerEnforced); `encryption` (a default); `versioning` (Enabled);
 *   `lifecycle-abort-multipart` (≤ 7 days, bucket-wide); `tls-only` (the
 *   evaluator proves plain HTTP is denied); `bucket-policy-uploader-deny`;
 * - `uploader-user`, `uploader-mfa`, `uploader-access-keys`;
 *   `uploader-extra-permissions` and `uploader-without-mfa` (`high`:
 *   `whatCan` over the user's inline, attached and group policies, its
 *   permissions boundary and the bucket policy allows anything beyond
 *   PutObject and the multipart calls, or allows upload without MFA);
 *   `uploader-non-s3-permissions` (`high`: IAM, STS, KMS, EC2 or other
 *   buckets); `uploader-can-upload`;
 * - `upload-role`, `upload-role-trust` (`high` when a session token, a
 *   caller without MFA or another principal is admitted),
 *   `upload-role-permissions`, `upload-role-non-s3-permissions`;
 * - with `probe`: the findings of {@link probeUploader}.
 *
 * Account-level Block Public Access, SCPs and RCPs are not read.
 *
 * @param options - admin clients, client, bucket, region, optional probe and clock
 * @returns the findings, their counts, and whether any is `high`
 * @throws INVALID_ARGUMENT for an invalid client, bucket, region or probe prefix
 * @throws NOT_FOUND when the bucket does not exist
 * @throws PERMISSION_DENIED when the bucket or an IAM read is denied to the admin credentials
 * @throws CREDENTIALS_INVALID when the admin or probe credentials are refused
 * @throws POLICY_INVALID when a stored policy is not JSON
 * @throws NETWORK_ERROR, TIMEOUT, THROTTLED, SERVICE_UNAVAILABLE for failed AWS calls
 */
export async function auditClient(options: AuditOptions): Promise<AuditReport> {
  const { s3, iam, client, bucket, region } = options;
  checkClient(client);
  checkBucket(bucket);
  checkRegion(region);
  const names = clientNames(client);
  const now = (options.now ?? (() => new Date()))();
  const contexts = standardContexts(now);
  const findings: Finding[] = [];

  // The uploader user: its ARN names the account and partition.
  const user = (
    await callOrAbsent(iamop('GetUser', names.user), ['NoSuchEntity'], () =>
      iam.send(new GetUserCommand({ UserName: names.user })),
    )
  )?.User;
  const userArn = user?.Arn;
  const accountId = userArn?.split(':')[4];
  const partition = userArn?.split(':')[1] ?? 'aws';

  // Bucket settings.
  await checkBucketExists(s3, bucket, accountId);
  const owner = { Bucket: bucket, ...(accountId ? { ExpectedBucketOwner: accountId } : {}) };
  const [location, { pab, ownership, encryption, versioning, lifecycle }, policy, acl] = await Promise.all([
    call(s3op('GetBucketLocation', bucket), () => s3.send(new GetBucketLocationCommand(owner))),
    readHardening(s3, owner),
    callOrAbsent(s3op('GetBucketPolicy', bucket), ['NoSuchBucketPolicy'], () =>
      s3.send(new GetBucketPolicyCommand(owner)),
    ),
    call(s3op('GetBucketAcl', bucket), () => s3.send(new GetBucketAclCommand(owner))),
  ]);

  const bucketRegion =
    location.LocationConstraint === undefined || (location.LocationConstraint as string) === ''
      ? 'us-east-1'
      : location.LocationConstraint === 'EU'
        ? 'eu-west-1'
        : location.LocationConstraint;
  findings.push(
    bucketRegion === region
      ? finding('bucket-region', 'info', `Bucket ${bucket} is in ${region}.`)
      : finding(
          'bucket-region',
          'medium',
          `Bucket ${bucket} is in ${bucketRegion}, not ${region}: check the client's settings.`,
        ),
  );

  const pabConfig = pab?.PublicAccessBlockConfiguration;
  const bucketPolicy =
    policy?.Policy === undefined
      ? undefined
      : (() => {
          try {
            return parsePolicy(decodePolicyDocument(policy.Policy, `bucket ${bucket}`), 'bucket-policy');
          } catch (error) {
            if (!isTriageError(error, 'POLICY_INVALID')) throw error;
            findings.push(
              finding(
                'bucket-policy-unreadable',
                'medium',
                `The bucket policy cannot be analysed (${error.message}): review it by hand.`,
              ),
            );
            return undefined;
          }
        })();
  const ownerEnforced = ownership?.OwnershipControls?.Rules?.[0]?.ObjectOwnership === 'BucketOwnerEnforced';
  const publicReport = analysePublicAccess({
    ...(bucketPolicy ? { policy: bucketPolicy } : {}),
    acl: aclGrants(acl.Grants),
  });
  const exposed = publicReport.findings.filter((f) =>
    f.source === 'policy'
      ? pabConfig?.RestrictPublicBuckets !== true
      : pabConfig?.IgnorePublicAcls !== true && !ownerEnforced,
  );
  const publicEvidence = publicReport.findings.map((f) => `${f.where}: ${f.reason}`);
  if (exposed.length > 0)
    findings.push(
      finding(
        'bucket-public',
        'high',
        `Bucket ${bucket} is public: remove the public statement or grant, and turn Block Public Access on.`,
        publicEvidence,
      ),
    );
  else if (publicReport.public)
    findings.push(
      finding(
        'bucket-public',
        'medium',
        `Bucket ${bucket} has a public policy statement or grant that Block Public Access neutralises: remove it.`,
        publicEvidence,
      ),
    );
  else findings.push(finding('bucket-public', 'info', `Bucket ${bucket} is not public (policy and ACL).`));

  const gaps = publicAccessBlockGaps(pabConfig);
  findings.push(
    gaps.length === 0
      ? finding('public-access-block', 'info', 'All four Block Public Access settings are on.')
      : finding(
          'public-access-block',
          'medium',
          `Block Public Access settings are off: ${gaps.join(', ')}; run setup to turn them on.`,
        ),
  );
  findings.push(
    ownerEnforced
      ? finding('object-ownership', 'info', 'Object Ownership is BucketOwnerEnforced (ACLs off).')
      : finding(
          'object-ownership',
          'medium',
          'Object Ownership is not BucketOwnerEnforced, so ACLs still apply: run setup.',
        ),
  );
  const encryptionText = describeEncryption(encryption?.ServerSideEncryptionConfiguration);
  findings.push(
    encryptionText === 'none'
      ? finding('encryption', 'medium', 'The bucket has no default encryption: run setup.')
      : finding('encryption', 'info', `Default encryption is ${encryptionText}.`),
  );
  findings.push(
    versioning.Status === 'Enabled'
      ? finding('versioning', 'info', 'Versioning is enabled.')
      : finding(
          'versioning',
          'medium',
          `Versioning is ${versioning.Status ?? 'not enabled'}: run setup, so no collection can be lost to an overwrite.`,
        ),
  );
  const abortRule = findAbortRule(lifecycle?.Rules ?? []);
  findings.push(
    abortRule
      ? finding(
          'lifecycle-abort-multipart',
          'info',
          `Lifecycle rule ${abortRule.ID ?? '(no id)'} aborts incomplete multipart uploads.`,
        )
      : finding(
          'lifecycle-abort-multipart',
          'low',
          'No lifecycle rule aborts incomplete multipart uploads within 7 days: run setup.',
        ),
  );

  // TLS only: plain HTTP is denied to anyone, whatever their identity policies allow.
  const account = accountId ?? '000000000000';
  const someone: RequestPrincipal = {
    arn: `arn:${partition}:iam::${account}:user/triage-audit-someone`,
    account,
  };
  const tlsRequests: [string, string][] = [
    ['s3:GetObject', `arn:aws:s3:::${bucket}/key`],
    ['s3:PutObject', `arn:aws:s3:::${bucket}/key`],
    ['s3:ListBucket', `arn:aws:s3:::${bucket}`],
  ];
  const plainHttp = (principal: RequestPrincipal, action: string, resource: string) =>
    evaluate(
      { principal, action, resource, context: { 'aws:SecureTransport': 'false' } },
      { identity: [allowEverything], ...(bucketPolicy ? { resource: [bucketPolicy] } : {}) },
    ).decision;
  const notDenied = tlsRequests.filter(
    ([action, resource]) => plainHttp(someone, action, resource) !== 'ExplicitlyDenied',
  );
  findings.push(
    notDenied.length === 0
      ? finding('tls-only', 'info', 'The bucket policy denies every request without TLS.')
      : finding(
          'tls-only',
          'medium',
          'The bucket policy does not deny requests without TLS: run setup to add the aws:SecureTransport deny.',
          notDenied.map(([action]) => action),
        ),
  );

  // The uploader user.
  const roleArn = `arn:${partition}:iam::${account}:role/${names.role}`;
  if (user === undefined || userArn === undefined || accountId === undefined) {
    findings.push(
      finding('uploader-user', 'medium', `Uploader user ${names.user} does not exist: run setup.`),
    );
  } else {
    findings.push(finding('uploader-user', 'info', `Uploader user ${names.user} exists (${userArn}).`));
    const principal: RequestPrincipal = { arn: userArn, account: accountId };
    // Defence in depth: the bucket policy itself denies the uploader everything but upload.
    const roleSession: RequestPrincipal = {
      arn: `arn:${partition}:sts::${accountId}:assumed-role/${names.role}/triage-audit`,
      account: accountId,
      roleArn,
    };
    const withMfa = contexts.find((c) => c.name === 'session with MFA')?.context ?? {};
    const forbidden: [string, string][] = [
      ['s3:GetObject', `arn:aws:s3:::${bucket}/key`],
      ['s3:DeleteObject', `arn:aws:s3:::${bucket}/key`],
      ['s3:ListBucket', `arn:aws:s3:::${bucket}`],
      ['s3:PutBucketPolicy', `arn:aws:s3:::${bucket}`],
    ];
    const notDeniedToUploader = [principal, roleSession].flatMap((p) =>
      forbidden
        .filter(
          ([action, resource]) =>
            evaluate(
              { principal: p, action, resource, context: withMfa },
              { identity: [allowEverything], ...(bucketPolicy ? { resource: [bucketPolicy] } : {}) },
            ).decision !== 'ExplicitlyDenied',
        )
        .map(([action]) => `${action} for ${p.arn}`),
    );
    findings.push(
      notDeniedToUploader.length === 0
        ? finding(
            'bucket-policy-uploader-deny',
            'info',
            'The bucket policy denies the uploader user and role everything but upload.',
          )
        : finding(
            'bucket-policy-uploader-deny',
            'medium',
            'The bucket policy does not deny the uploader everything but upload (a second line of defence): run setup.',
            notDeniedToUploader,
          ),
    );

    const identity = parseAll(await userDocuments(iam, names.user), findings, 'uploader-policy-unreadable');
    const boundaryArn = user.PermissionsBoundary?.PermissionsBoundaryArn;
    const boundary = boundaryArn
      ? parseAll(
          await managedDocuments(iam, [{ PolicyArn: boundaryArn }]),
          findings,
          'uploader-policy-unreadable',
        )
      : [];
    const policies: PolicySet = {
      identity,
      ...(bucketPolicy ? { resource: [bucketPolicy] } : {}),
      ...(boundary.length > 0 ? { boundary } : {}),
    };
    const grants = grantsOf(
      whatCan(policies, { principal, bucket, key: 'case/host/collection.tri', contexts }),
    );
    const count = `${identity.length} identity polic${identity.length === 1 ? 'y' : 'ies'}`;
    findings.push(
      grants.extra.length > 0
        ? finding(
            'uploader-extra-permissions',
            'high',
            `The uploader can do more than upload to ${bucket}: remove what grants it (see evidence) and run setup.`,
            grants.extra,
          )
        : finding(
            'uploader-extra-permissions',
            'info',
            `The uploader can only PutObject and the multipart calls in ${bucket} (whatCan over ${count}).`,
          ),
    );
    findings.push(
      grants.withoutMfa.length > 0
        ? finding(
            'uploader-without-mfa',
            'high',
            'The uploader can upload without MFA: its long-term key alone is enough; restore the MFA condition (run setup).',
            grants.withoutMfa,
          )
        : finding('uploader-without-mfa', 'info', 'The uploader can upload only with MFA.'),
    );
    const sensitive = sensitiveGrants(
      policies,
      principal,
      contexts,
      sensitiveRequests(accountId, partition, names.user),
    );
    findings.push(
      sensitive.length > 0
        ? finding(
            'uploader-non-s3-permissions',
            'high',
            'The uploader can act outside its bucket (IAM, STS, KMS, EC2 or other buckets): remove what grants it.',
            sensitive,
          )
        : finding(
            'uploader-non-s3-permissions',
            'info',
            'The uploader cannot act on IAM, KMS, EC2 or other buckets.',
          ),
    );
    findings.push(
      grants.canUpload
        ? finding('uploader-can-upload', 'info', 'The uploader can upload with MFA.')
        : finding(
            'uploader-can-upload',
            'medium',
            `The uploader cannot upload to ${bucket} even with MFA: run setup.`,
          ),
    );

    const mfa = await call(iamop('ListMFADevices', names.user), () =>
      iam.send(new ListMFADevicesCommand({ UserName: names.user })),
    );
    findings.push(
      (mfa.MFADevices ?? []).length > 0
        ? finding(
            'uploader-mfa',
            'info',
            `The uploader has MFA device ${mfa.MFADevices?.[0]?.SerialNumber} enabled.`,
          )
        : finding(
            'uploader-mfa',
            'medium',
            'The uploader has no MFA device, so it cannot mint credentials: run setup.',
          ),
    );
    const keys = await call(iamop('ListAccessKeys', names.user), () =>
      iam.send(new ListAccessKeysCommand({ UserName: names.user })),
    );
    const active = (keys.AccessKeyMetadata ?? []).filter((k) => k.Status === 'Active');
    findings.push(
      active.length === 1
        ? finding(
            'uploader-access-keys',
            'info',
            `The uploader has one active access key (${active[0]?.AccessKeyId}).`,
          )
        : active.length === 0
          ? finding(
              'uploader-access-keys',
              'low',
              'The uploader has no active access key: run setup to make one.',
            )
          : finding(
              'uploader-access-keys',
              'medium',
              `The uploader has ${active.length} active access keys: deactivate and delete the one not in use.`,
              active.map((k) => k.AccessKeyId ?? '?'),
            ),
    );
  }

  // The upload role.
  const role = (
    await callOrAbsent(iamop('GetRole', names.role), ['NoSuchEntity'], () =>
      iam.send(new GetRoleCommand({ RoleName: names.role })),
    )
  )?.Role;
  if (role === undefined) {
    findings.push(finding('upload-role', 'medium', `Upload role ${names.role} does not exist: run setup.`));
  } else {
    findings.push(
      finding(
        'upload-role',
        'info',
        `Upload role ${names.role} exists (maximum session ${(role.MaxSessionDuration ?? 3600) / 3600} h).`,
      ),
    );
    const roleAccount = role.Arn?.split(':')[4] ?? account;
    findings.push(
      ...trustFindings(
        role.AssumeRolePolicyDocument,
        role.Arn ?? roleArn,
        roleAccount,
        partition,
        userArn,
        contexts,
      ),
    );
    const identity = parseAll(
      await roleDocuments(iam, names.role),
      findings,
      'upload-role-policy-unreadable',
    );
    const principal: RequestPrincipal = {
      arn: `arn:${partition}:sts::${roleAccount}:assumed-role/${names.role}/triage-audit`,
      account: roleAccount,
      roleArn: role.Arn ?? roleArn,
    };
    const sessions = contexts.filter((c) => c.name !== 'long-term key');
    const policies: PolicySet = { identity, ...(bucketPolicy ? { resource: [bucketPolicy] } : {}) };
    const grants = grantsOf(
      whatCan(policies, { principal, bucket, key: 'case/host/collection.tri', contexts: sessions }),
    );
    findings.push(
      grants.extra.length > 0
        ? finding(
            'upload-role-permissions',
            'high',
            `Upload role sessions can do more than upload to ${bucket}: remove what grants it and run setup.`,
            grants.extra,
          )
        : finding(
            'upload-role-permissions',
            'info',
            `Upload role sessions can only PutObject and the multipart calls in ${bucket}.`,
          ),
    );
    const sensitive = sensitiveGrants(
      policies,
      principal,
      sessions,
      sensitiveRequests(roleAccount, partition, names.user),
    );
    findings.push(
      sensitive.length > 0
        ? finding(
            'upload-role-non-s3-permissions',
            'high',
            'Upload role sessions can act outside the bucket: remove what grants it.',
            sensitive,
          )
        : finding(
            'upload-role-non-s3-permissions',
            'info',
            'Upload role sessions cannot act on IAM, KMS, EC2 or other buckets.',
          ),
    );
  }

  if (options.probe) {
    findings.push(
      ...(await probeUploader({
        s3: options.probe.s3,
        prefix: options.probe.prefix,
        bucket,
        now: () => now,
      })),
    );
  }
  const summary = summarise(findings);
  return { client, bucket, findings, summary, hasHigh: summary.high > 0 };
}

/**
 * The role's trust policy, decided as a gate of its own: AWS assumes a role
 * only if the trust policy admits the caller. The evaluator treats it as any
 * resource policy (in the same account an identity Allow alone would do), so
 * each caller is decided as a cross-account request with an allow-everything
 * identity policy: then only the trust policy can say no.
 */
function trustFindings(
  documentText: string | undefined,
  roleArn: string,
  account: string,
  partition: string,
  userArn: string | undefined,
  contexts: readonly { name: string; context: RequestContext }[],
): Finding[] {
  let trust: Policy;
  try {
    trust = parsePolicy(decodePolicyDocument(documentText ?? '{}', roleArn), 'trust');
  } catch (error) {
    if (!isTriageError(error, 'POLICY_INVALID')) throw error;
    return [
      finding(
        'upload-role-trust',
        'medium',
        `The trust policy of ${roleArn} cannot be analysed: review it by hand.`,
      ),
    ];
  }
  const admits = (principal: RequestPrincipal, context: RequestContext) =>
    evaluate(
      { principal, action: 'sts:AssumeRole', resource: roleArn, resourceAccount: 'trust-gate', context },
      { identity: [allowEverything], resource: [trust] },
    ).decision === 'Allowed';
  const byName = (name: string) => contexts.find((c) => c.name === name)?.context ?? {};
  const longTermWithMfa: RequestContext = {
    ...byName('long-term key'),
    'aws:MultiFactorAuthPresent': 'true',
  };
  const uploader: RequestPrincipal = {
    arn: userArn ?? `arn:${partition}:iam::${account}:user/uploader-missing`,
    account,
  };
  const wrong: string[] = [];
  const refuse = (label: string, principal: RequestPrincipal, context: RequestContext) => {
    if (admits(principal, context)) wrong.push(label);
  };
  refuse('the uploader with a session token (MFA)', uploader, byName('session with MFA'));
  refuse('the uploader with a session token (no MFA)', uploader, byName('session without MFA'));
  refuse('the uploader long-term key without MFA', uploader, byName('long-term key'));
  refuse(
    'a role session (chaining)',
    {
      arn: `arn:${partition}:sts::${account}:assumed-role/some-role/s`,
      account,
      roleArn: `arn:${partition}:iam::${account}:role/some-role`,
    },
    byName('session with MFA'),
  );
  refuse(
    'another user of the account with MFA',
    { arn: `arn:${partition}:iam::${account}:user/triage-audit-someone`, account },
    longTermWithMfa,
  );
  refuse(
    'another account',
    { arn: 'arn:aws:iam::999999999999:user/someone', account: '999999999999' },
    longTermWithMfa,
  );
  const out: Finding[] = [];
  out.push(
    wrong.length > 0
      ? finding(
          'upload-role-trust',
          'high',
          `The trust policy of ${roleArn} admits callers other than the uploader's long-term key with MFA: run setup to restore it.`,
          wrong,
        )
      : finding(
          'upload-role-trust',
          'info',
          `The trust policy of ${roleArn} refuses session tokens, callers without MFA and other principals.`,
        ),
  );
  if (userArn !== undefined && !admits(uploader, longTermWithMfa)) {
    out.push(
      finding(
        'upload-role-trust-uploader',
        'medium',
        `The trust policy of ${roleArn} does not admit ${userArn} with MFA, so no upload credential can be minted: run setup.`,
      ),
    );
  }
  return out;
}
