/**
 * A policy linter for the mistakes that matter when credentials go to a
 * possibly compromised host. It reads the raw document (so a misspelt
 * operator such as `BookIfExists`, which `parsePolicy` refuses, is reported
 * with a suggestion and the rest of the policy is still checked) and returns
 * findings with stable rule ids.
 */
import { isTriageError } from '@triage/errors';
import { OPERATOR_NAMES, parseOperator } from './conditions.js';
import { actionMatches } from './match.js';
import { parsePolicy, type Statement } from './policy.js';

/** How bad a finding is: `error` means the policy does not do what it is meant to. */
export type LintSeverity = 'error' | 'warning';

/** The linter's rule ids; stable across releases. */
export type LintRuleId =
  | 'invalid-json'
  | 'invalid-policy'
  | 'unknown-operator'
  | 'unknown-condition-key'
  | 'mfa-if-exists-allow'
  | 'mfa-deny-misses-long-term-keys'
  | 'wildcard-action'
  | 'wildcard-resource'
  | 'allow-not-action'
  | 'allow-not-principal'
  | 'no-secure-transport-deny'
  | 'upload-can-overwrite';

/** Every rule with its severity and what it means. */
export const LINT_RULES: Readonly<Record<LintRuleId, { severity: LintSeverity; summary: string }>> = {
  'invalid-json': { severity: 'error', summary: 'the document is not JSON' },
  'invalid-policy': { severity: 'error', summary: 'the document is not a valid IAM policy' },
  'unknown-operator': {
    severity: 'error',
    summary: 'a condition operator IAM does not know (IAM rejects the policy)',
  },
  'unknown-condition-key': {
    severity: 'warning',
    summary: 'an aws:, s3: or sts: condition key that does not exist, so it is never in a request',
  },
  'mfa-if-exists-allow': {
    severity: 'error',
    summary:
      'Allow with BoolIfExists aws:MultiFactorAuthPresent true: long-term keys carry no such key and are let in without MFA',
  },
  'mfa-deny-misses-long-term-keys': {
    severity: 'error',
    summary:
      'Deny with Bool aws:MultiFactorAuthPresent false: long-term keys carry no such key and are not denied',
  },
  'wildcard-action': { severity: 'warning', summary: 'Allow with a wildcard action (`*` or `service:*`)' },
  'wildcard-resource': { severity: 'warning', summary: 'Allow on every resource (`*`)' },
  'allow-not-action': {
    severity: 'warning',
    summary: 'Allow with NotAction grants every action not listed, including future ones',
  },
  'allow-not-principal': {
    severity: 'warning',
    summary: 'Allow with NotPrincipal grants everyone not listed',
  },
  'no-secure-transport-deny': {
    severity: 'warning',
    summary: 'a bucket policy without a Deny for aws:SecureTransport false, so plain HTTP is allowed',
  },
  'upload-can-overwrite': {
    severity: 'warning',
    summary:
      'PutObject is allowed without requiring s3:if-none-match, so a holder can overwrite existing objects',
  },
};

/** One finding. */
export interface LintFinding {
  readonly ruleId: LintRuleId;
  readonly severity: LintSeverity;
  /** JSON path of the element, e.g. `$.Statement[0].Condition.BookIfExists`. */
  readonly path: string;
  readonly message: string;
}

/** Options for {@link lintPolicy}. */
export interface LintOptions {
  /**
   * What the policy is for. `resource` enables the bucket-policy rules
   * (`no-secure-transport-deny`). Default: `resource` when any statement has
   * a Principal or NotPrincipal, else `identity`.
   */
  readonly kind?: 'identity' | 'resource';
}

/** Documented global keys (IAM User Guide, "AWS global condition context keys"), lower case. */
const GLOBAL_KEYS = new Set(
  [
    'aws:PrincipalArn',
    'aws:PrincipalAccount',
    'aws:PrincipalOrgPaths',
    'aws:PrincipalOrgID',
    'aws:PrincipalIsAWSService',
    'aws:PrincipalServiceName',
    'aws:PrincipalServiceNamesList',
    'aws:PrincipalType',
    'aws:userid',
    'aws:username',
    'aws:FederatedProvider',
    'aws:TokenIssueTime',
    'aws:MultiFactorAuthAge',
    'aws:MultiFactorAuthPresent',
    'aws:AssumedRoot',
    'aws:Ec2InstanceSourceVpc',
    'aws:Ec2InstanceSourcePrivateIPv4',
    'aws:SourceIdentity',
    'aws:SourceIp',
    'aws:SourceVpc',
    'aws:SourceVpcArn',
    'aws:SourceVpce',
    'aws:VpcSourceIp',
    'aws:VpceAccount',
    'aws:VpceOrgPaths',
    'aws:VpceOrgID',
    'aws:ResourceAccount',
    'aws:ResourceOrgPaths',
    'aws:ResourceOrgID',
    'aws:CalledVia',
    'aws:CalledViaFirst',
    'aws:CalledViaLast',
    'aws:ViaAWSService',
    'aws:CurrentTime',
    'aws:EpochTime',
    'aws:referer',
    'aws:RequestedRegion',
    'aws:TagKeys',
    'aws:SecureTransport',
    'aws:SourceArn',
    'aws:SourceAccount',
    'aws:SourceOwner',
    'aws:SourceOrgPaths',
    'aws:SourceOrgID',
    'aws:UserAgent',
  ].map((k) => k.toLowerCase()),
);
const GLOBAL_PREFIXES = ['aws:principaltag/', 'aws:resourcetag/', 'aws:requesttag/'];

/** S3 keys (Service Authorization Reference, "Condition keys for Amazon S3"), lower case. */
const S3_KEYS = new Set(
  [
    's3:prefix',
    's3:delimiter',
    's3:max-keys',
    's3:x-amz-acl',
    's3:x-amz-server-side-encryption',
    's3:x-amz-server-side-encryption-aws-kms-key-id',
    's3:x-amz-server-side-encryption-customer-algorithm',
    's3:x-amz-content-sha256',
    's3:x-amz-copy-source',
    's3:x-amz-metadata-directive',
    's3:x-amz-storage-class',
    's3:x-amz-grant-read',
    's3:x-amz-grant-write',
    's3:x-amz-grant-read-acp',
    's3:x-amz-grant-write-acp',
    's3:x-amz-grant-full-control',
    's3:x-amz-object-ownership',
    's3:VersionId',
    's3:RequestObjectTagKeys',
    's3:locationconstraint',
    's3:object-lock-mode',
    's3:object-lock-retain-until-date',
    's3:object-lock-remaining-retention-days',
    's3:object-lock-legal-hold',
    's3:signatureversion',
    's3:signatureAge',
    's3:authType',
    's3:TlsVersion',
    's3:ResourceAccount',
    's3:AccessPointNetworkOrigin',
    's3:DataAccessPointArn',
    's3:DataAccessPointAccount',
    's3:if-match',
    's3:if-none-match',
    's3:ObjectCreationOperation',
  ].map((k) => k.toLowerCase()),
);
const S3_PREFIXES = ['s3:existingobjecttag/', 's3:requestobjecttag/'];
const STS_KEYS = new Set(
  [
    'sts:ExternalId',
    'sts:RoleSessionName',
    'sts:SourceIdentity',
    'sts:TransitiveTagKeys',
    'sts:AWSServiceName',
  ].map((k) => k.toLowerCase()),
);

function knownKey(key: string): boolean | undefined {
  const k = key.toLowerCase();
  if (k.startsWith('aws:')) return GLOBAL_KEYS.has(k) || GLOBAL_PREFIXES.some((p) => k.startsWith(p));
  if (k.startsWith('s3:')) return S3_KEYS.has(k) || S3_PREFIXES.some((p) => k.startsWith(p));
  if (k.startsWith('sts:')) return STS_KEYS.has(k);
  return undefined; // other services: not checked
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] as number;
      row[j] = Math.min(above + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] as number;
}

const ALL_OPERATORS = OPERATOR_NAMES.flatMap((name) =>
  name === 'Null' ? [name] : [name, `${name}IfExists`],
);

/** The closest real operator (edit distance ≤ 2, keeping a set prefix), if any. */
function suggestOperator(name: string): string | undefined {
  const match = /^(ForAllValues:|ForAnyValue:)?(.*)$/s.exec(name);
  const prefix = match?.[1] ?? '';
  const rest = match?.[2] ?? name;
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of ALL_OPERATORS) {
    const d = distance(rest.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best && parseOperator(`${prefix}${best}`) ? `${prefix}${best}` : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function conditionValues(statement: Statement, operator: string, key: string): readonly string[] | undefined {
  const keys = statement.condition?.[operator];
  if (!keys) return undefined;
  const found = Object.keys(keys).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : keys[found];
}

function mentionsKey(statement: Statement, key: string): boolean {
  return Object.values(statement.condition ?? {}).some((keys) =>
    Object.keys(keys).some((k) => k.toLowerCase() === key.toLowerCase()),
  );
}

function grants(statement: Statement, action: string): boolean {
  if (statement.action) return statement.action.some((a) => actionMatches(a, action));
  return !(statement.notAction ?? []).some((a) => actionMatches(a, action));
}

/**
 * Lints a policy document (JSON text or the parsed object). Unknown
 * operators are reported and, when a close real operator exists (`BookIfExists`
 * → `BoolIfExists`), the statement is checked as if it were spelt that way, so
 * the mistake behind the typo is reported too.
 *
 * @param document - the policy, as IAM or S3 would receive it
 * @param options - see {@link LintOptions}
 * @returns findings (unknown operators first, then per statement in order, then
 *   policy-wide rules); an empty list means nothing to report
 */
export function lintPolicy(document: string | unknown, options: LintOptions = {}): LintFinding[] {
  const findings: LintFinding[] = [];
  const report = (ruleId: LintRuleId, path: string, message: string): void => {
    findings.push({ ruleId, severity: LINT_RULES[ruleId].severity, path, message });
  };
  let value: unknown = document;
  if (typeof document === 'string') {
    try {
      value = JSON.parse(document);
    } catch (cause) {
      report('invalid-json', '$', `not valid JSON (${(cause as Error).message})`);
      return findings;
    }
  }
  // Repair unknown operators (rename to the suggestion, or drop) so the rest can be checked.
  const repaired: unknown = structuredClone(value);
  const rawStatements = isObject(repaired) ? repaired.Statement : undefined;
  const list = Array.isArray(rawStatements) ? rawStatements : [rawStatements];
  const pathOf = (index: number): string =>
    Array.isArray(rawStatements) ? `$.Statement[${index}]` : '$.Statement';
  list.forEach((raw, index) => {
    if (!isObject(raw) || !isObject(raw.Condition)) return;
    const fixed: Record<string, unknown> = {};
    for (const [operator, keys] of Object.entries(raw.Condition)) {
      if (parseOperator(operator)) {
        fixed[operator] = keys;
        continue;
      }
      const suggestion = suggestOperator(operator);
      report(
        'unknown-operator',
        `${pathOf(index)}.Condition.${operator}`,
        suggestion
          ? `"${operator}" is not a condition operator: did you mean "${suggestion}"? (checked below as ${suggestion})`
          : `"${operator}" is not a condition operator`,
      );
      if (suggestion && fixed[suggestion] === undefined) fixed[suggestion] = keys;
    }
    raw.Condition = fixed;
  });
  let statements: readonly Statement[];
  try {
    statements = parsePolicy(repaired).statements;
  } catch (error) {
    if (!isTriageError(error, 'POLICY_INVALID')) throw error;
    const path = typeof error.context.path === 'string' ? error.context.path : '$';
    report('invalid-policy', path, error.message);
    return findings;
  }
  const kind =
    options.kind ?? (statements.some((s) => s.principal || s.notPrincipal) ? 'resource' : 'identity');

  statements.forEach((s, index) => {
    const path = pathOf(index);
    for (const [operator, keys] of Object.entries(s.condition ?? {})) {
      for (const key of Object.keys(keys)) {
        if (knownKey(key) === false) {
          report(
            'unknown-condition-key',
            `${path}.Condition.${operator}.${key}`,
            `"${key}" is not a known condition key, so it is never in a request; check the spelling`,
          );
        }
      }
    }
    const mfa = 'aws:MultiFactorAuthPresent';
    if (s.effect === 'Allow' && conditionValues(s, 'BoolIfExists', mfa)?.includes('true')) {
      report(
        'mfa-if-exists-allow',
        `${path}.Condition.BoolIfExists.${mfa}`,
        'long-term access keys send no aws:MultiFactorAuthPresent, so BoolIfExists lets them in without MFA; use Bool',
      );
    }
    if (s.effect === 'Deny' && conditionValues(s, 'Bool', mfa)?.includes('false')) {
      report(
        'mfa-deny-misses-long-term-keys',
        `${path}.Condition.Bool.${mfa}`,
        'long-term access keys send no aws:MultiFactorAuthPresent, so this Deny never applies to them; use BoolIfExists',
      );
    }
    if (s.effect !== 'Allow') return;
    const wildAction = (s.action ?? []).find((a) => a === '*' || /^[^:]+:\*$/.test(a));
    if (wildAction) {
      report(
        'wildcard-action',
        `${path}.Action`,
        `"${wildAction}" allows every action; list the actions needed`,
      );
    }
    if (s.resource?.includes('*')) {
      report(
        'wildcard-resource',
        `${path}.Resource`,
        '"*" allows every resource; name the bucket and prefix',
      );
    }
    if (s.notAction) {
      report(
        'allow-not-action',
        `${path}.NotAction`,
        'Allow with NotAction allows everything not listed; use Action',
      );
    }
    if (s.notPrincipal) {
      report(
        'allow-not-principal',
        `${path}.NotPrincipal`,
        'Allow with NotPrincipal allows everyone not listed',
      );
    }
  });

  if (kind === 'resource') {
    const tlsDeny = statements.some(
      (s) =>
        s.effect === 'Deny' &&
        (conditionValues(s, 'Bool', 'aws:SecureTransport')?.includes('false') ||
          conditionValues(s, 'BoolIfExists', 'aws:SecureTransport')?.includes('false')),
    );
    if (!tlsDeny) {
      report(
        'no-secure-transport-deny',
        '$.Statement',
        'add a Deny for all actions with Bool aws:SecureTransport "false" so plain HTTP is refused',
      );
    }
  }

  const denyRequiresNoOverwrite = statements.some(
    (s) => s.effect === 'Deny' && grants(s, 's3:PutObject') && mentionsKey(s, 's3:if-none-match'),
  );
  statements.forEach((s, index) => {
    if (s.effect !== 'Allow' || !grants(s, 's3:PutObject')) return;
    if (denyRequiresNoOverwrite || mentionsKey(s, 's3:if-none-match')) return;
    report(
      'upload-can-overwrite',
      pathOf(index),
      'PutObject is allowed without s3:if-none-match, so existing objects can be overwritten; require it (Null "s3:if-none-match": "false") or enable versioning',
    );
  });
  return findings;
}
