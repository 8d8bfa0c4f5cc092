/**
 * Request evaluation following the IAM User Guide's "Policy evaluation logic":
 * 1. an explicit Deny in any applicable policy decides;
 * 2. each level of SCPs must allow (when given); RCPs only deny, since
 *    RCPFullAWSAccess is attached to every level and cannot be detached;
 * 3. same account: a resource policy that allows the principal itself (not
 *    just its account) is enough; otherwise an identity policy must allow;
 *    cross-account: both the resource policy and an identity policy must allow;
 * 4. a permissions boundary and a session policy, when given, must allow too.
 */
import { conditionBlockHolds } from './conditions.js';
import { actionMatches, matchSubstituted, type RequestContext, substitute } from './match.js';
import { type Policy, type Principals, parsePolicy, type Statement } from './policy.js';

/** Who is asking. */
export interface RequestPrincipal {
  /** e.g. `arn:aws:iam::111122223333:user/uploader` or `arn:aws:sts::111122223333:assumed-role/Role/session`. */
  readonly arn: string;
  readonly account: string;
  /** For a role session: the role's ARN, which resource policies may name. */
  readonly roleArn?: string;
}

/** One request to decide. */
export interface EvaluationRequest {
  readonly principal: RequestPrincipal;
  /** e.g. `s3:PutObject`. */
  readonly action: string;
  /** e.g. `arn:aws:s3:::bucket/case/host/file`. */
  readonly resource: string;
  /** Account that owns the resource; default the principal's. */
  readonly resourceAccount?: string;
  /** Condition keys (aws:MultiFactorAuthPresent, aws:TokenIssueTime, s3:prefix…). */
  readonly context?: RequestContext;
}

/**
 * The policies that apply. Absent kinds do not restrict; SCP levels must each
 * allow; RCPs only deny (RCPFullAWSAccess is implied at every level).
 */
export interface PolicySet {
  readonly identity?: readonly Policy[];
  readonly resource?: readonly Policy[];
  readonly boundary?: readonly Policy[];
  readonly session?: readonly Policy[];
  /** Service control policies, one list per level (organisation root, OUs, account). */
  readonly scps?: readonly (readonly Policy[])[];
  /** Resource control policies, one list per level; only their Deny statements matter. */
  readonly rcps?: readonly (readonly Policy[])[];
}

/** A {@link PolicySet} as documents (JSON text or parsed objects), before {@link parsePolicySet}. */
export interface RawPolicySet {
  readonly identity?: readonly unknown[];
  readonly resource?: readonly unknown[];
  readonly boundary?: readonly unknown[];
  readonly session?: readonly unknown[];
  readonly scps?: readonly (readonly unknown[])[];
  readonly rcps?: readonly (readonly unknown[])[];
}

/**
 * Parses every document of a policy set. Policies are named after where they
 * stand, for explanations: `identity[0]`, `scps1[0]` (level 1, first policy).
 *
 * @throws POLICY_INVALID from {@link parsePolicy}, for the first document that does not parse
 */
export function parsePolicySet(raw: RawPolicySet): PolicySet {
  const list = (docs: readonly unknown[], name: string): Policy[] =>
    docs.map((doc, i) => parsePolicy(doc, `${name}[${i}]`));
  const levels = (docs: readonly (readonly unknown[])[], kind: string): Policy[][] =>
    docs.map((level, i) => list(level, `${kind}${i}`));
  const set: {
    -readonly [K in keyof PolicySet]: PolicySet[K];
  } = {};
  if (raw.identity) set.identity = list(raw.identity, 'identity');
  if (raw.resource) set.resource = list(raw.resource, 'resource');
  if (raw.boundary) set.boundary = list(raw.boundary, 'boundary');
  if (raw.session) set.session = list(raw.session, 'session');
  if (raw.scps) set.scps = levels(raw.scps, 'scps');
  if (raw.rcps) set.rcps = levels(raw.rcps, 'rcps');
  return set;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** A statement that took part in the decision. */
export interface DecidingStatement {
  readonly kind: keyof PolicySet;
  readonly origin: string;
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
}

/** The decision and why. */
export interface Evaluation {
  readonly decision: Decision;
  /** The Deny that decided, or the Allows that granted; empty for an implicit deny. */
  readonly statements: readonly DecidingStatement[];
  /** One line for people. */
  readonly reason: string;
}

/**
 * How a resource policy's principal names the caller: `exact` (its own ARN, or
 * `*`), `role` (the role a session belongs to) or `account` (its account).
 */
type PrincipalMatch = 'exact' | 'role' | 'account';

function principalMatches(principals: Principals, request: EvaluationRequest): PrincipalMatch | undefined {
  if (principals === '*') return 'exact';
  const p = request.principal;
  let result: PrincipalMatch | undefined;
  for (const id of principals.AWS ?? []) {
    if (id === '*' || id === p.arn) return 'exact';
    if (p.roleArn !== undefined && id === p.roleArn) result = 'role';
    else if (result === undefined && (id === p.account || id === `arn:aws:iam::${p.account}:root`))
      result = 'account';
  }
  return result;
}

/**
 * Whether NotPrincipal exempts the caller (IAM User Guide, "NotPrincipal"):
 * only when it lists every identity in the caller's chain, the principal's
 * own ARN, its role's ARN for a session, and its account; and never, for a
 * Deny, when the caller has a permissions boundary ("NotPrincipal with Deny
 * always denies any IAM principal that has a permissions boundary").
 */
function notPrincipalExempts(
  principals: Principals,
  request: EvaluationRequest,
  hasBoundary: boolean,
): boolean {
  if (hasBoundary) return false;
  if (principals === '*') return true;
  const listed = principals.AWS ?? [];
  if (listed.includes('*')) return true;
  const p = request.principal;
  const root = `arn:aws:iam::${p.account}:root`;
  const accountListed = listed.includes(root) || listed.includes(p.account);
  if (p.arn === root) return accountListed;
  return listed.includes(p.arn) && accountListed && (p.roleArn === undefined || listed.includes(p.roleArn));
}

const EMPTY_CONTEXT: RequestContext = Object.freeze({});

function anyResourceMatches(
  patterns: readonly string[],
  resource: string,
  context: RequestContext,
  version: string,
): boolean {
  for (const pattern of patterns) {
    const resolved = substitute(pattern, context, version);
    if (resolved !== undefined && matchSubstituted(resolved, resource)) return true;
  }
  return false;
}

function anyActionMatches(patterns: readonly string[], action: string): boolean {
  for (const pattern of patterns) if (actionMatches(pattern, action)) return true;
  return false;
}

function statementApplies(
  statement: Statement,
  policy: Policy,
  request: EvaluationRequest,
  withPrincipal: boolean,
  hasBoundary: boolean,
): false | PrincipalMatch | true {
  // Plain loops, no closures: this runs for every statement of every evaluation.
  if (statement.action && !anyActionMatches(statement.action, request.action)) return false;
  if (statement.notAction && anyActionMatches(statement.notAction, request.action)) return false;
  const context = request.context ?? EMPTY_CONTEXT;
  if (
    statement.resource &&
    !anyResourceMatches(statement.resource, request.resource, context, policy.version)
  )
    return false;
  if (
    statement.notResource &&
    anyResourceMatches(statement.notResource, request.resource, context, policy.version)
  )
    return false;
  let grant: true | PrincipalMatch = true;
  if (withPrincipal) {
    if (statement.principal) {
      const matched = principalMatches(statement.principal, request);
      if (!matched) return false;
      grant = matched;
    } else if (statement.notPrincipal) {
      if (notPrincipalExempts(statement.notPrincipal, request, hasBoundary && statement.effect === 'Deny'))
        return false;
      grant = 'exact';
    } else {
      return false; // a resource policy statement without a principal applies to no one
    }
  }
  if (statement.condition && !conditionBlockHolds(statement.condition, context, policy.version)) return false;
  return grant;
}

interface KindResult {
  readonly denies: readonly DecidingStatement[];
  readonly allows: readonly DecidingStatement[];
  /** A resource-policy Allow names the caller or its role (not just its account). */
  readonly direct: boolean;
  /** A resource-policy Allow names the caller's own ARN. */
  readonly exact: boolean;
}

const NOTHING: KindResult = Object.freeze({ denies: [], allows: [], direct: false, exact: false });

const NONE: readonly DecidingStatement[] = Object.freeze([]);
const NO_LEVELS: readonly KindResult[] = Object.freeze([]);

function scan(
  kind: keyof PolicySet,
  policies: readonly Policy[] | undefined,
  request: EvaluationRequest,
  hasBoundary: boolean,
): KindResult {
  if (policies === undefined || policies.length === 0) return NOTHING;
  // Lists are made only when a statement applies: most evaluations match few.
  let denies: DecidingStatement[] | undefined;
  let allows: DecidingStatement[] | undefined;
  let direct = false;
  let exact = false;
  const withPrincipal = kind === 'resource' || kind === 'rcps';
  for (const policy of policies) {
    for (const statement of policy.statements) {
      const applies = statementApplies(statement, policy, request, withPrincipal, hasBoundary);
      if (!applies) continue;
      const entry: DecidingStatement = statement.sid
        ? { kind, origin: statement.origin, sid: statement.sid, effect: statement.effect }
        : { kind, origin: statement.origin, effect: statement.effect };
      if (statement.effect === 'Deny') {
        denies ??= [];
        denies.push(entry);
      } else {
        allows ??= [];
        allows.push(entry);
        if (applies === 'exact' || applies === 'role') direct = true;
        if (applies === 'exact') exact = true;
      }
    }
  }
  if (denies === undefined && allows === undefined) return NOTHING;
  return { denies: denies ?? NONE, allows: allows ?? NONE, direct, exact };
}

/**
 * Decides a request against a set of policies.
 *
 * @returns Allowed, ExplicitlyDenied or ImplicitlyDenied, with the deciding statements and a reason
 */
export function evaluate(request: EvaluationRequest, policies: PolicySet): Evaluation {
  const hasBoundary = policies.boundary !== undefined && policies.boundary.length > 0;
  const identityResult = scan('identity', policies.identity, request, hasBoundary);
  const resourceResult = scan('resource', policies.resource, request, hasBoundary);
  const boundaryResult = scan('boundary', policies.boundary, request, hasBoundary);
  const sessionResult = scan('session', policies.session, request, hasBoundary);
  const scpLevels = policies.scps
    ? policies.scps.map((level) => scan('scps', level, request, hasBoundary))
    : NO_LEVELS;
  const rcpLevels = policies.rcps
    ? policies.rcps.map((level) => scan('rcps', level, request, hasBoundary))
    : NO_LEVELS;
  let denies: DecidingStatement[] | undefined;
  const collect = (result: KindResult): void => {
    if (result.denies.length === 0) return;
    denies ??= [];
    denies.push(...result.denies);
  };
  collect(identityResult);
  collect(resourceResult);
  collect(boundaryResult);
  collect(sessionResult);
  for (const level of scpLevels) collect(level);
  for (const level of rcpLevels) collect(level);
  if (denies !== undefined) {
    const found: readonly DecidingStatement[] = denies;
    return {
      decision: 'ExplicitlyDenied',
      statements: found,
      reason: `explicitly denied by ${found.map((d) => d.sid ?? d.origin).join(', ')}`,
    };
  }
  const implicit = (reason: string): Evaluation => ({ decision: 'ImplicitlyDenied', statements: [], reason });
  const missingScp = scpLevels.findIndex((level) => level.allows.length === 0);
  if (missingScp >= 0) return implicit(`no SCP at level ${missingScp} allows it`);
  // RCPs only deny: AWS attaches RCPFullAWSAccess to every level and it cannot be
  // detached (AWS Organizations User Guide, "RCP evaluation").

  const sameAccount = (request.resourceAccount ?? request.principal.account) === request.principal.account;
  const identity = identityResult.allows;
  const resource = resourceResult.allows;
  let grants: readonly DecidingStatement[];
  if (sameAccount) {
    if (resourceResult.direct) grants = resource;
    else if (identity.length > 0) grants = [...identity, ...resource];
    else
      return implicit('no identity policy allows it, and no resource policy allows this principal directly');
  } else {
    if (identity.length === 0) return implicit('cross-account: no identity policy allows it');
    if (resource.length === 0)
      return implicit('cross-account: the resource policy does not allow this principal');
    grants = [...identity, ...resource];
  }
  // A same-account resource policy naming the caller's own ARN (user, or role session) is not
  // limited by the boundary or session policy; naming the role or the account, it is (IAM User Guide).
  const directResourceGrant = sameAccount && resourceResult.exact;
  if (policies.boundary && !directResourceGrant && boundaryResult.allows.length === 0) {
    return implicit('the permissions boundary does not allow it');
  }
  if (policies.session && !directResourceGrant && sessionResult.allows.length === 0) {
    return implicit('the session policy does not allow it');
  }
  return {
    decision: 'Allowed',
    statements: grants,
    reason: `allowed by ${grants.map((g) => g.sid ?? g.origin).join(', ')}`,
  };
}
