/**
 * Policy documents as AWS returns them: decoding (IAM URL-encodes them),
 * comparing for meaning rather than spelling, and merging our statements
 * into a bucket policy that has others.
 */
import { TriageError } from '@triage/errors';
import type { PolicyDocument } from '@triage/iam-policy';

/**
 * Parses a policy document from IAM (URL-encoded JSON, RFC 3986) or S3
 * (plain JSON).
 *
 * @throws POLICY_INVALID when it is not JSON
 */
export function decodePolicyDocument(text: string, where: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed));
  } catch (error) {
    throw new TriageError(
      'POLICY_INVALID',
      `The policy of ${where} is not JSON: fix or delete it in the console.`,
      {
        cause: error,
        context: { where },
      },
    );
  }
}

/**
 * A canonical form for comparing policies: object keys sorted, a list of one
 * value the same as the value, lists of values sorted (order never matters
 * in a policy), so `"Action": "s3:PutObject"` equals `"Action": ["s3:PutObject"]`.
 */
export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    if (items.length === 1) return items[0];
    return items
      .map((item) => [JSON.stringify(item), item] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => item);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Whether two policy documents (or statements) mean the same, per {@link canonical}. */
export function samePolicy(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function statementsOf(document: unknown): Record<string, unknown>[] {
  if (typeof document !== 'object' || document === null) return [];
  const statement = (document as { Statement?: unknown }).Statement;
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  return list.filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null);
}

/** How an existing bucket policy compares with ours. */
export interface BucketPolicyComparison {
  /** Every statement of ours is present, unchanged, in a `2012-10-17` document. */
  readonly ok: boolean;
  /** Sids of ours that are missing or differ. */
  readonly differing: readonly string[];
  /** How many statements of others the policy holds (kept by {@link mergeBucketPolicy}). */
  readonly others: number;
}

/** Compares an existing bucket policy (parsed, or undefined when there is none) with ours. */
export function compareBucketPolicy(existing: unknown, ours: PolicyDocument): BucketPolicyComparison {
  const present = statementsOf(existing);
  const ourSids = new Set(ours.Statement.map((s) => s.Sid));
  const differing = ours.Statement.filter((mine) => {
    const theirs = present.filter((s) => s.Sid === mine.Sid);
    return theirs.length !== 1 || !samePolicy(theirs[0], mine);
  }).map((s) => String(s.Sid));
  const version = (existing as { Version?: unknown } | undefined)?.Version;
  return {
    ok: existing !== undefined && version === '2012-10-17' && differing.length === 0,
    differing,
    others: present.filter((s) => !ourSids.has(s.Sid)).length,
  };
}

/**
 * Our statements merged into an existing bucket policy: statements with our
 * Sids are replaced, every other statement is kept as it was.
 */
export function mergeBucketPolicy(existing: unknown, ours: PolicyDocument): PolicyDocument {
  const ourSids = new Set(ours.Statement.map((s) => s.Sid));
  const kept = statementsOf(existing).filter((s) => !ourSids.has(s.Sid));
  return { Version: '2012-10-17', Statement: [...kept, ...ours.Statement] };
}
