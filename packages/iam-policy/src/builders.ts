/**
 * Policy builders for the collection workflow. Each returns a plain policy
 * document (ready for IAM or S3) that the evaluator and `whatCan` can check.
 */

/** A policy document as IAM accepts it. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly Record<string, unknown>[];
}

/** Actions an uploader needs: PutObject covers Create/UploadPart/Complete of multipart uploads. */
export const UPLOAD_ACTIONS: readonly string[] = ['s3:PutObject', 's3:AbortMultipartUpload'];

function objectArn(bucket: string, prefix: string): string {
  return `arn:aws:s3:::${bucket}/${prefix.replace(/^\/+|\/+$/g, '')}/*`;
}

/**
 * The uploader user's identity policy: upload only (PutObject and
 * AbortMultipartUpload) under `bucket/prefix/`, and only with MFA. MFA is
 * required with `Bool` (not `BoolIfExists`), so a long-term access key (whose
 * requests carry no `aws:MultiFactorAuthPresent`) gets nothing; a Deny with
 * `BoolIfExists … false` backs it up against any other Allow.
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
        NotAction: ['sts:GetSessionToken', 'iam:GetUser'],
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
 * The evidence bucket's policy: TLS only for everyone; the uploader may not
 * delete objects or change the bucket's policy, ACLs or lifecycle.
 */
export function evidenceBucketPolicy(bucket: string, uploaderArns: readonly string[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'DenyUploaderDestructiveActions',
        Effect: 'Deny',
        Principal: { AWS: [...uploaderArns] },
        Action: [
          's3:DeleteObject',
          's3:DeleteObjectVersion',
          's3:PutBucketPolicy',
          's3:DeleteBucketPolicy',
          's3:PutBucketAcl',
          's3:PutObjectAcl',
          's3:PutLifecycleConfiguration',
          's3:PutBucketVersioning',
        ],
        Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
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
