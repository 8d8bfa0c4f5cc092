/**
 * Pure decisions about bucket settings: what we want, whether what S3
 * returned already is it, and how to merge ours into what is there.
 */
import type {
  LifecycleRule,
  PublicAccessBlockConfiguration,
  ServerSideEncryptionConfiguration,
  Tag,
} from '@aws-sdk/client-s3';
import { ABORT_MULTIPART_DAYS, LIFECYCLE_RULE_ID } from './names.js';

/** All four Block Public Access settings on. */
export const BLOCK_ALL: Required<
  Pick<
    PublicAccessBlockConfiguration,
    'BlockPublicAcls' | 'IgnorePublicAcls' | 'BlockPublicPolicy' | 'RestrictPublicBuckets'
  >
> = Object.freeze({
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
});

/** The Block Public Access settings that are not on (empty when all four are). */
export function publicAccessBlockGaps(config: PublicAccessBlockConfiguration | undefined): string[] {
  return (Object.keys(BLOCK_ALL) as (keyof typeof BLOCK_ALL)[]).filter((key) => config?.[key] !== true);
}

/** The default encryption we want: SSE-KMS with a bucket key when `kmsKeyId` is given, else SSE-S3. */
export function desiredEncryption(kmsKeyId: string | undefined): ServerSideEncryptionConfiguration {
  return {
    Rules: [
      kmsKeyId === undefined
        ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }
        : {
            ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: kmsKeyId },
            BucketKeyEnabled: true,
          },
    ],
  };
}

/** What the bucket's default encryption is, in words (`none`, `SSE-S3`, `SSE-KMS key … with bucket key`). */
export function describeEncryption(config: ServerSideEncryptionConfiguration | undefined): string {
  const rule = config?.Rules?.[0];
  const algorithm = rule?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm;
  if (algorithm === undefined) return 'none';
  if (algorithm === 'AES256') return 'SSE-S3';
  const key = rule?.ApplyServerSideEncryptionByDefault?.KMSMasterKeyID;
  const name = algorithm === 'aws:kms:dsse' ? 'DSSE-KMS' : 'SSE-KMS';
  return `${name}${key ? ` key ${key}` : ' (AWS managed key)'}${rule?.BucketKeyEnabled ? ' with bucket key' : ''}`;
}

/**
 * Whether the current default encryption is what we want. Without a KMS key
 * asked for, SSE-S3 and any SSE-KMS/DSSE-KMS setting already there count as
 * fine (setup never weakens KMS to SSE-S3); with one, it must be SSE-KMS with
 * that exact key and the bucket key on.
 */
export function encryptionOk(
  config: ServerSideEncryptionConfiguration | undefined,
  kmsKeyId: string | undefined,
): boolean {
  const rule = config?.Rules?.[0];
  const byDefault = rule?.ApplyServerSideEncryptionByDefault;
  if (byDefault?.SSEAlgorithm === undefined) return false;
  if (kmsKeyId === undefined) return ['AES256', 'aws:kms', 'aws:kms:dsse'].includes(byDefault.SSEAlgorithm);
  return (
    byDefault.SSEAlgorithm === 'aws:kms' &&
    byDefault.KMSMasterKeyID === kmsKeyId &&
    rule?.BucketKeyEnabled === true
  );
}

/** Our lifecycle rule: abort incomplete multipart uploads after 7 days, whole bucket. */
export function abortMultipartRule(): LifecycleRule {
  return {
    ID: LIFECYCLE_RULE_ID,
    Status: 'Enabled',
    Filter: { Prefix: '' },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_MULTIPART_DAYS },
  };
}

function wholeBucket(rule: LifecycleRule): boolean {
  const filter = rule.Filter;
  if (filter === undefined) return (rule.Prefix ?? '') === '';
  if (filter.Tag !== undefined || filter.And !== undefined) return false;
  if (filter.ObjectSizeGreaterThan !== undefined || filter.ObjectSizeLessThan !== undefined) return false;
  return (filter.Prefix ?? '') === '' && (rule.Prefix ?? '') === '';
}

/**
 * The rule (ours or anyone's) that already aborts incomplete multipart
 * uploads bucket-wide within 7 days, if any.
 */
export function findAbortRule(rules: readonly LifecycleRule[]): LifecycleRule | undefined {
  return rules.find((rule) => {
    const days = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    return (
      rule.Status === 'Enabled' && days !== undefined && days <= ABORT_MULTIPART_DAYS && wholeBucket(rule)
    );
  });
}

/** The existing rules with ours added (or our old rule, by ID, replaced); every other rule is kept. */
export function mergeLifecycleRules(rules: readonly LifecycleRule[]): LifecycleRule[] {
  return [...rules.filter((rule) => rule.ID !== LIFECYCLE_RULE_ID), abortMultipartRule()];
}

/** The existing tags with ours set (a tag with the same key is replaced); every other tag is kept. */
export function mergeTags(existing: readonly Tag[], ours: readonly Tag[]): Tag[] {
  const keys = new Set(ours.map((t) => t.Key));
  return [...existing.filter((t) => !keys.has(t.Key)), ...ours];
}

/** Whether every tag of `ours` is present with its value. */
export function hasTags(existing: readonly Tag[] | undefined, ours: readonly Tag[]): boolean {
  return ours.every((tag) => (existing ?? []).some((t) => t.Key === tag.Key && t.Value === tag.Value));
}
