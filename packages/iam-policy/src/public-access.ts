/**
 * Bucket public-access analysis after S3 Block Public Access's definition
 * (S3 User Guide, "The meaning of 'public'"; PublicAccessBlockConfiguration in
 * the S3 API Reference):
 * - a bucket policy is public when an Allow statement grants to a wildcard
 *   principal (or uses NotPrincipal) and no condition pins the caller to fixed
 *   values of aws:SourceIp (a CIDR set), aws:SourceArn, aws:SourceVpc,
 *   aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:PrincipalOrgID,
 *   s3:x-amz-server-side-encryption-aws-kms-key-id, s3:DataAccessPointArn,
 *   s3:DataAccessPointAccount, or aws:userid (outside the pattern `AROLEID:*`);
 * - an ACL is public when it grants anything to AllUsers or AuthenticatedUsers.
 *
 * "Fixed" means: a positive equality or Like operator without `IfExists` or a
 * set prefix, and values without wildcards or policy variables. For
 * aws:SourceIp we are stricter than the published text: every CIDR must be
 * /8 or narrower for IPv4 and /32 or narrower for IPv6, so `0.0.0.0/1` does
 * not count as a limit.
 */
import { type Policy, parsePolicy, type Statement } from './policy.js';

/** One S3 ACL grant, as GetBucketAcl returns it (only the fields that matter here). */
export interface AclGrant {
  readonly grantee: {
    readonly type: 'Group' | 'CanonicalUser' | 'AmazonCustomerByEmail';
    readonly uri?: string;
  };
  readonly permission: 'FULL_CONTROL' | 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP';
}

/** Why a bucket counts as public. */
export interface PublicAccessFinding {
  readonly source: 'policy' | 'acl';
  /** Statement origin (`policyId#index`) or `acl[index]`. */
  readonly where: string;
  readonly reason: string;
}

/** Result of {@link analysePublicAccess}. */
export interface PublicAccessReport {
  readonly public: boolean;
  readonly findings: readonly PublicAccessFinding[];
}

const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';

const LIMITING_KEYS = new Set(
  [
    'aws:SourceArn',
    'aws:SourceVpc',
    'aws:SourceVpce',
    'aws:SourceOwner',
    'aws:SourceAccount',
    'aws:PrincipalOrgID',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
    's3:DataAccessPointArn',
    's3:DataAccessPointAccount',
  ].map((k) => k.toLowerCase()),
);
const FIXED_OPERATORS = new Set([
  'StringEquals',
  'StringEqualsIgnoreCase',
  'StringLike',
  'ArnEquals',
  'ArnLike',
]);

function fixedValue(value: string): boolean {
  return !/[*?]/.test(value) && !value.includes('${');
}

function narrowCidr(value: string): boolean {
  const [address, bits] = value.split('/');
  if (address === undefined || value.includes('${')) return false;
  const length = bits === undefined ? (address.includes(':') ? 128 : 32) : Number(bits);
  if (!Number.isInteger(length)) return false;
  return address.includes(':') ? length >= 32 : length >= 8;
}

/** Does some condition of the statement pin the caller to fixed values? Returns the key, if so. */
function limitingKey(statement: Statement): string | undefined {
  for (const [operator, keys] of Object.entries(statement.condition ?? {})) {
    for (const [key, values] of Object.entries(keys)) {
      const k = key.toLowerCase();
      if (operator === 'IpAddress' && k === 'aws:sourceip' && values.every(narrowCidr)) return key;
      if (!FIXED_OPERATORS.has(operator)) continue;
      if (LIMITING_KEYS.has(k) && values.every(fixedValue)) return key;
      if (k === 'aws:userid' && values.every((v) => fixedValue(v) || /^[A-Z0-9]+:\*$/.test(v))) return key;
    }
  }
  return undefined;
}

function wildcardPrincipal(statement: Statement): boolean {
  const p = statement.principal;
  if (p === undefined) return false;
  if (p === '*') return true;
  return (p.AWS ?? []).includes('*');
}

/**
 * Says whether a bucket is public through its policy or its ACL, the way S3
 * Block Public Access decides it (see the module comment for the exact rule).
 *
 * @param input - the bucket policy (parsed, or a document for
 *   {@link parsePolicy}) and the bucket ACL grants; both optional
 * @returns `public` and one finding per public statement or grant
 * @throws POLICY_INVALID when `policy` is a document that does not parse
 */
export function analysePublicAccess(input: {
  readonly policy?: Policy | unknown;
  readonly acl?: readonly AclGrant[];
}): PublicAccessReport {
  const findings: PublicAccessFinding[] = [];
  if (input.policy !== undefined) {
    const policy = isPolicy(input.policy) ? input.policy : parsePolicy(input.policy, 'bucket-policy');
    for (const s of policy.statements) {
      if (s.effect !== 'Allow') continue;
      if (!s.notPrincipal && !wildcardPrincipal(s)) continue;
      if (limitingKey(s)) continue;
      findings.push({
        source: 'policy',
        where: s.origin,
        reason: s.notPrincipal
          ? 'Allow with NotPrincipal grants everyone not listed'
          : 'Allow to Principal "*" with no condition fixing aws:SourceIp, aws:SourceVpce, aws:SourceAccount, aws:PrincipalOrgID or the like',
      });
    }
  }
  (input.acl ?? []).forEach((grant, index) => {
    if (grant.grantee.type !== 'Group') return;
    if (grant.grantee.uri !== ALL_USERS && grant.grantee.uri !== AUTHENTICATED_USERS) return;
    findings.push({
      source: 'acl',
      where: `acl[${index}]`,
      reason: `${grant.permission} granted to ${grant.grantee.uri === ALL_USERS ? 'AllUsers (anyone)' : 'AuthenticatedUsers (any AWS account)'}`,
    });
  });
  return { public: findings.length > 0, findings };
}

function isPolicy(value: unknown): value is Policy {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Policy).statements) &&
    typeof (value as Policy).id === 'string'
  );
}
