/**
 * `whatCan`: every S3 action that matters, decided under each credential
 * context that matters, so an admin can prove a collector credential is
 * write-only before handing it out.
 */
import {
  type Decision,
  type EvaluationRequest,
  evaluate,
  type PolicySet,
  type RequestPrincipal,
} from './evaluate.js';
import type { RequestContext } from './match.js';

/** S3 object-level actions (resource `arn:aws:s3:::bucket/key`). */
export const S3_OBJECT_ACTIONS: readonly string[] = [
  's3:PutObject',
  's3:AbortMultipartUpload',
  's3:GetObject',
  's3:GetObjectVersion',
  's3:GetObjectAttributes',
  's3:ListMultipartUploadParts',
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectAcl',
  's3:GetObjectAcl',
  's3:PutObjectTagging',
  's3:DeleteObjectTagging',
  's3:PutObjectRetention',
  's3:BypassGovernanceRetention',
  's3:RestoreObject',
];

/** S3 bucket-level actions (resource `arn:aws:s3:::bucket`). */
export const S3_BUCKET_ACTIONS: readonly string[] = [
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
  's3:GetBucketPolicy',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutBucketAcl',
  's3:PutLifecycleConfiguration',
  's3:PutBucketVersioning',
  's3:DeleteBucket',
];

/** A credential context: the keys AWS adds to requests made with that kind of credential. */
export interface CredentialContext {
  readonly name: string;
  readonly context: RequestContext;
}

/**
 * The contexts that matter for MFA and revocation: a long-term access key (no
 * MFA key, no token issue time), session tokens without and with MFA, and
 * tokens issued before and after `cutoff` when given.
 */
export function standardContexts(now: Date, cutoff?: Date): CredentialContext[] {
  const secure = { 'aws:SecureTransport': 'true', 'aws:CurrentTime': now.toISOString() };
  const contexts: CredentialContext[] = [
    { name: 'long-term key', context: secure },
    {
      name: 'session without MFA',
      context: { ...secure, 'aws:MultiFactorAuthPresent': 'false', 'aws:TokenIssueTime': now.toISOString() },
    },
    {
      name: 'session with MFA',
      context: {
        ...secure,
        'aws:MultiFactorAuthPresent': 'true',
        'aws:TokenIssueTime': now.toISOString(),
        'aws:MultiFactorAuthAge': '60',
      },
    },
  ];
  if (cutoff) {
    const before = new Date(cutoff.getTime() - 60_000).toISOString();
    const after = new Date(cutoff.getTime() + 60_000).toISOString();
    contexts.push(
      {
        name: 'MFA session issued before the cut-off',
        context: { ...secure, 'aws:MultiFactorAuthPresent': 'true', 'aws:TokenIssueTime': before },
      },
      {
        name: 'MFA session issued after the cut-off',
        context: { ...secure, 'aws:MultiFactorAuthPresent': 'true', 'aws:TokenIssueTime': after },
      },
    );
  }
  return contexts;
}

/** One action's decision under each context. */
export interface ActionRow {
  readonly action: string;
  readonly resource: string;
  readonly decisions: Readonly<Record<string, Decision>>;
}

/** Options for {@link whatCan}. */
export interface WhatCanOptions {
  readonly principal: RequestPrincipal;
  readonly bucket: string;
  /** An object key to test object actions on; default `probe`. */
  readonly key?: string;
  readonly contexts: readonly CredentialContext[];
}

/** Every S3 action in {@link S3_OBJECT_ACTIONS} and {@link S3_BUCKET_ACTIONS}, decided under every context. */
export function whatCan(policies: PolicySet, options: WhatCanOptions): ActionRow[] {
  const object = `arn:aws:s3:::${options.bucket}/${options.key ?? 'probe'}`;
  const bucket = `arn:aws:s3:::${options.bucket}`;
  const targets = [
    ...S3_OBJECT_ACTIONS.map((action) => ({ action, resource: object })),
    ...S3_BUCKET_ACTIONS.map((action) => ({ action, resource: bucket })),
  ];
  return targets.map(({ action, resource }) => ({
    action,
    resource,
    decisions: Object.fromEntries(
      options.contexts.map((c) => {
        const request: EvaluationRequest = {
          principal: options.principal,
          action,
          resource,
          context: c.context,
        };
        return [c.name, evaluate(request, policies).decision];
      }),
    ),
  }));
}

/** The actions allowed under any context, from a {@link whatCan} result. */
export function allowedActions(rows: readonly ActionRow[]): string[] {
  return rows.filter((row) => Object.values(row.decisions).includes('Allowed')).map((row) => row.action);
}
