/**
 * Policy builders for the collection workflow. Each returns a plain policy
 * document (ready for IAM or S3) that the evaluator and `whatCan` can check.
 */
import { TriageError } from '@triage/errors';

/** A policy document as IAM accepts it. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

/** Actions an uploader needs: PutObject covers Create/UploadPart/Complete of multipart uploads. */
export const UPLOAD_ACTIONS: readonly string[] = ['s3:PutObject', 's3:AbortMultipartUpload'];

/** Actions the uploader's long-term key may call without MFA: STS and `iam:GetUser` only. */
const WITHOUT_MFA_ACTIONS: readonly string[] = [
  'sts:GetSessionToken',
  'sts:AssumeRole',
  'sts:SetSourceIdentity',
  'sts:TagSession',
  'iam:GetUser',
];

/** Actions the upload role's trust policy lets the uploader user call on it. */
const ASSUME_ROLE_ACTIONS: readonly string[] = ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'];

/** `arn:aws:s3:::bucket/prefix/*`, or `arn:aws:s3:::bucket/*` for an empty prefix. */
function objectArn(bucket: string, prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? `arn:aws:s3:::${bucket}/*` : `arn:aws:s3:::${bucket}/${trimmed}/*`;
}

/**
 * The uploader user's identity policy: upload only (PutObject and
 * AbortMultipartUpload) under `bucket/prefix/` (the whole bucket for an empty
 * prefix), and only with MFA. MFA is required with `Bool` (not
 * `BoolIfExists`), so a long-term access key (whose requests carry no
 * `aws:MultiFactorAuthPresent`) gets nothing; a Deny with `BoolIfExists …
 * false` backs it up against any other Allow. The Deny spares only the STS
 * calls that mint credentials (`sts:GetSessionToken`, and `sts:AssumeRole`
 * with `sts:SetSourceIdentity`/`sts:TagSession`, whose MFA check is the role's
 * trust policy, see {@link uploaderRoleTrustPolicy}) and `iam:GetUser`.
 */
export function uploaderIdentityPolicy(bucket: string, prefix: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploadWithMfaOnly',
        Effect: 'Allow',
        Action: [...UPLOAD_ACTIONS],
        Resource: objectArn(bucket, prefix),
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      },
      {
        Sid: 'DenyEverythingWithoutMfa',
        Effect: 'Deny',
        NotAction: [...WITHOUT_MFA_ACTIONS],
        Resource: '*',
        Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'false' } },
      },
    ],
  };
}

/** A session policy for AssumeRole: upload only under `bucket/case/host/`. */
export function uploadSessionPolicy(bucket: string, caseId: string, host: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploadToCaseHostOnly',
        Effect: 'Allow',
        Action: [...UPLOAD_ACTIONS],
        Resource: objectArn(bucket, `${caseId}/${host}`),
      },
    ],
  };
}

/**
 * The evidence bucket's policy: TLS only for everyone; the uploader
 * principals (the uploader user and the upload role, whose sessions it also
 * covers) may do nothing but upload: every S3 action other than PutObject and
 * AbortMultipartUpload ({@link UPLOAD_ACTIONS}) is denied to them, so they can
 * never read, list, delete, or change the bucket's policy, ACLs, lifecycle,
 * versioning, encryption or tags, whatever their identity policies say.
 */
export function evidenceBucketPolicy(bucket: string, uploaderArns: readonly string[]): PolicyDocument {
  const resources = [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: resources,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyUploaderAllButUpload',
        Effect: 'Deny',
        Principal: { AWS: [...uploaderArns] },
        NotAction: [...UPLOAD_ACTIONS],
        Resource: resources,
      },
    ],
  };
}

/**
 * The uploader group's inline policy: {@link uploaderIdentityPolicy} for the
 * whole bucket (upload only, only with MFA) plus `sts:AssumeRole` (with
 * `sts:SetSourceIdentity` and `sts:TagSession`) on the upload role, whose
 * trust policy ({@link uploaderRoleTrustPolicy}) admits only the uploader's
 * long-term key with MFA.
 */
export function uploaderGroupPolicy(bucket: string, uploadRoleArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      ...uploaderIdentityPolicy(bucket, '').Statement,
      {
        Sid: 'AssumeUploadRole',
        Effect: 'Allow',
        Action: [...ASSUME_ROLE_ACTIONS],
        Resource: uploadRoleArn,
      },
    ],
  };
}

/**
 * The upload role's trust policy: only `uploaderUserArn` may assume the role
 * (and set a source identity and session tags), only with MFA
 * (`Bool aws:MultiFactorAuthPresent true`) and only with its long-term key
 * (`Null aws:TokenIssueTime true`: a session token carries an issue time).
 * So a session token handed to a host, even one minted with MFA, cannot chain
 * into the role to mint fresh sessions.
 *
 * @param accountId - the 12-digit account that owns the role and the user
 * @param uploaderUserArn - the uploader user, `arn:<partition>:iam::<accountId>:user/<name>`
 * @throws INVALID_ARGUMENT when `accountId` is not 12 digits or the ARN is not an IAM user of that account
 */
export function uploaderRoleTrustPolicy(accountId: string, uploaderUserArn: string): PolicyDocument {
  if (!/^\d{12}$/.test(accountId)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'The account id must be 12 digits: pass the account that owns the role.',
      {
        context: { accountId },
      },
    );
  }
  const user = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):user\/[\w+=,.@/-]+$/.exec(uploaderUserArn);
  if (!user || user[1] !== accountId) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `"${uploaderUserArn}" is not an IAM user of account ${accountId}: pass the uploader user's ARN.`,
      { context: { accountId, uploaderUserArn } },
    );
  }
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploaderLongTermKeyWithMfaOnly',
        Effect: 'Allow',
        Principal: { AWS: uploaderUserArn },
        Action: [...ASSUME_ROLE_ACTIONS],
        Condition: {
          Bool: { 'aws:MultiFactorAuthPresent': 'true' },
          Null: { 'aws:TokenIssueTime': 'true' },
        },
      },
    ],
  };
}

/**
 * The upload role's permission policy: PutObject and AbortMultipartUpload on
 * every key of `bucket`. Each AssumeRole session is narrowed to one case and
 * host by its session policy ({@link uploadSessionPolicy}).
 */
export function uploaderRolePolicy(bucket: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'UploadOnly',
        Effect: 'Allow',
        Action: [...UPLOAD_ACTIONS],
        Resource: objectArn(bucket, ''),
      },
    ],
  };
}

/**
 * Revocation (IAM User Guide, "Revoking IAM role temporary security
 * credentials"): deny everything to sessions whose token was issued before
 * `cutoff`. Attach it to the role for AssumeRole sessions, or to the IAM user
 * for its GetSessionToken tokens. Long-term keys carry no token issue time and
 * are not cut off by it: deactivate them as well.
 */
export function revokeTokensIssuedBefore(cutoff: Date): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: `RevokeTokensIssuedBefore${cutoff
          .toISOString()
          .replace(/[^0-9]/g, '')
          .slice(0, 14)}`,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff.toISOString() } },
      },
    ],
  };
}
