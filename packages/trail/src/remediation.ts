/**
 * A remediation plan per chain, proven before anything is changed. AWS cannot
 * revoke one temporary key; it can deny every token of a user or role issued
 * before a time (`DateLessThan aws:TokenIssueTime`, as AWS's
 * AWSRevokeOlderSessions does). So the plan deactivates the chain's
 * long-term key, attaches that deny to the user behind each GetSessionToken
 * or GetFederationToken token and to every role in the chain, and proves
 * with `@triage/iam-policy`'s evaluator that each derived token is then
 * explicitly denied, while a token issued after the cut-off is not.
 */
import { isTriageError, TriageError, type TriageErrorCode, toTriageError } from '@triage/errors';
import {
  type Decision,
  evaluate,
  type Policy,
  type PolicyDocument,
  parsePolicy,
  type RequestPrincipal,
  revokeTokensIssuedBefore,
} from '@triage/iam-policy';
import type { Chain, KeyNode, LineageGraph, MintEdge } from './lineage.js';

/** One change to make with IAM. */
export interface RemediationStep {
  readonly kind: 'deactivate-key' | 'put-user-policy' | 'put-role-policy';
  /** The IAM user name (deactivate-key, put-user-policy) or role name (put-role-policy). */
  readonly target: string;
  readonly targetArn: string | undefined;
  /** For deactivate-key. */
  readonly accessKeyId: string | undefined;
  /** For the put-*-policy steps: `triage-trail-revoke-YYYYMMDDTHHMMSSZ`. */
  readonly policyName: string | undefined;
  readonly policyDocument: PolicyDocument | undefined;
  /** The chain's keys this step cuts off. */
  readonly keys: readonly string[];
  readonly reason: string;
}

/** One evaluated request of the proof. */
export interface RemediationProofRow {
  /** `derived` for a token of the chain (must be ExplicitlyDenied), `new-token` for one issued after the cut-off (must stay Allowed). */
  readonly subject: 'derived' | 'new-token';
  readonly accessKeyId: string | undefined;
  /** The user or role ARN the deny is attached to. */
  readonly target: string;
  readonly principal: string;
  /** The `aws:TokenIssueTime` evaluated: the latest the token may have been issued (STS times are to the second). */
  readonly tokenIssueTime: string;
  readonly action: string;
  readonly resource: string;
  /** The decision without the deny, with an allow-everything stand-in for the principal's policies. */
  readonly withoutRevocation: Decision;
  /** The decision with the deny attached. */
  readonly decision: Decision;
  readonly reason: string;
  /** Whether the decision is the one wanted (ExplicitlyDenied for `derived`, Allowed for `new-token`). */
  readonly ok: boolean;
}

/** The plan for one chain; data only, nothing changed yet. */
export interface RemediationPlan {
  readonly root: string;
  readonly createdAt: string;
  /** Tokens of the targets issued before this are denied. */
  readonly cutoff: string;
  readonly steps: readonly RemediationStep[];
  readonly proof: readonly RemediationProofRow[];
  /** Every proof row is as wanted and every derived key is covered. */
  readonly proven: boolean;
  /** Temporary keys of the chain no step covers (no known user or role, or no issue time), with why. */
  readonly uncovered: readonly { readonly accessKeyId: string; readonly reason: string }[];
  /** Long-term keys IAM cannot deactivate for us (the account root's), with what to do by hand. */
  readonly manual: readonly { readonly accessKeyId: string; readonly reason: string }[];
}

/** A request the proof evaluates for each token. */
export interface ProofProbe {
  readonly action: string;
  readonly resource: string;
}

/** Options for {@link planRemediation}. */
export interface PlanRemediationOptions {
  /** The clock; default `() => new Date()`. */
  readonly now?: () => Date;
  /** The cut-off; default now. It must be after every derived token's minting. */
  readonly cutoff?: Date;
  /** Requests to evaluate per token; default `s3:GetObject` on any object and `sts:AssumeRole` on any role. */
  readonly probes?: readonly ProofProbe[];
}

const DEFAULT_PROBES: readonly ProofProbe[] = [
  { action: 's3:GetObject', resource: 'arn:aws:s3:::*/*' },
  { action: 'sts:AssumeRole', resource: 'arn:aws:iam::*:role/*' },
];

/** Whatever the principal may do today: the proof assumes the worst, allow everything. */
const ALLOW_ALL: Policy = parsePolicy(
  {
    Version: '2012-10-17',
    Statement: [{ Sid: 'StandInForCurrentPolicies', Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  'current',
);

function compactTime(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** `triage-trail-revoke-YYYYMMDDTHHMMSSZ`: apart from `triage-admin revoke`'s `triage-revoke-…` policies on the uploader. */
function policyNameFor(cutoff: Date): string {
  return `triage-trail-revoke-${compactTime(cutoff)}`;
}

function nameOf(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

function accountOf(arn: string | undefined): string {
  return /::(\d{12}):/.exec(arn ?? '')?.[1] ?? '000000000000';
}

interface Target {
  readonly kind: 'user' | 'role';
  readonly arn: string;
  readonly keys: string[];
}

/**
 * The user or role whose deny cuts a temporary key: the role of an
 * AssumeRole*, the user of a GetSessionToken/GetFederationToken, or for a
 * key minted outside the input its `sessionIssuer`.
 */
function issuerOf(key: KeyNode, mint: MintEdge | undefined): Target | undefined {
  const arn = mint?.roleArn ?? mint?.userArn ?? key.sessionIssuerArn;
  if (arn === undefined) return undefined;
  if (/:role\//.test(arn)) return { kind: 'role', arn, keys: [] };
  if (/:user\//.test(arn)) return { kind: 'user', arn, keys: [] };
  return undefined;
}

/**
 * Plans the remediation of one chain and proves it.
 *
 * @param graph - the graph the chain is from
 * @param chain - from `chainsOf(graph)`
 * @param options - see {@link PlanRemediationOptions}
 * @returns the plan, with `proven` false when some derived token would not be denied
 * @throws INVALID_ARGUMENT when `cutoff` is not a valid date
 */
export function planRemediation(
  graph: LineageGraph,
  chain: Chain,
  options: PlanRemediationOptions = {},
): RemediationPlan {
  const now = (options.now ?? (() => new Date()))();
  const cutoff = options.cutoff ?? now;
  if (Number.isNaN(cutoff.getTime())) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'The remediation cut-off is not a valid date; pass an ISO time.',
    );
  }
  const probes = options.probes ?? DEFAULT_PROBES;
  const mintOf = new Map(
    graph.edges.flatMap((e) => (e.childKey === undefined ? [] : [[e.childKey, e] as const])),
  );
  const document = revokeTokensIssuedBefore(cutoff);
  const policyName = policyNameFor(cutoff);
  const deny = parsePolicy(document, policyName);
  const steps: RemediationStep[] = [];
  const proof: RemediationProofRow[] = [];
  const uncovered: { accessKeyId: string; reason: string }[] = [];
  const manual: { accessKeyId: string; reason: string }[] = [];

  for (const key of chain.keys) {
    if (key.kind !== 'long-term') continue;
    const user =
      key.userName ?? (key.principalArn?.includes(':user/') ? nameOf(key.principalArn) : undefined);
    if (key.identityType === 'Root' || user === undefined) {
      manual.push({
        accessKeyId: key.accessKeyId,
        reason: 'a root or unnamed long-term key: deactivate or delete it signed in as the account root',
      });
      continue;
    }
    steps.push({
      kind: 'deactivate-key',
      target: user,
      targetArn: key.principalArn,
      accessKeyId: key.accessKeyId,
      policyName: undefined,
      policyDocument: undefined,
      keys: [key.accessKeyId],
      reason: `the chain's long-term key; tokens it minted live on, hence the denies below`,
    });
  }

  const targets = new Map<string, Target>();
  const tokens: { key: KeyNode; target: Target; issued: number; principal: RequestPrincipal }[] = [];
  for (const key of chain.keys) {
    if (key.kind !== 'temporary') continue;
    if (key.origin === 'console' || key.origin === 'service') continue;
    const mint = mintOf.get(key.accessKeyId);
    const found = issuerOf(key, mint);
    const issuedAt = Date.parse(mint?.eventTime ?? key.creationDate ?? '');
    if (found === undefined || Number.isNaN(issuedAt)) {
      uncovered.push({
        accessKeyId: key.accessKeyId,
        reason:
          found !== undefined
            ? 'its issue time is unknown'
            : /:root$/.test(mint?.userArn ?? key.principalArn ?? '')
              ? 'a session of the account root: no IAM policy can deny it (an SCP can, in an AWS Organizations member account); it lasts at most 1 hour'
              : 'no user or role is known for it',
      });
      continue;
    }
    const target = targets.get(found.arn) ?? found;
    targets.set(found.arn, target);
    target.keys.push(key.accessKeyId);
    const principalArn = mint?.sessionArn ?? key.principalArn ?? found.arn;
    const principal: RequestPrincipal =
      target.kind === 'role'
        ? { arn: principalArn, account: accountOf(target.arn), roleArn: target.arn }
        : { arn: principalArn, account: accountOf(target.arn) };
    tokens.push({ key, target, issued: issuedAt + 999, principal });
  }

  for (const target of targets.values()) {
    steps.push({
      kind: target.kind === 'role' ? 'put-role-policy' : 'put-user-policy',
      target: nameOf(target.arn),
      targetArn: target.arn,
      accessKeyId: undefined,
      policyName,
      policyDocument: document,
      keys: target.keys,
      reason:
        target.kind === 'role'
          ? `deny every session of this role issued before ${cutoff.toISOString()} (like AWSRevokeOlderSessions)`
          : `deny every GetSessionToken/GetFederationToken token of this user issued before ${cutoff.toISOString()}`,
    });
  }

  const row = (
    subject: 'derived' | 'new-token',
    accessKeyId: string | undefined,
    target: Target,
    principal: RequestPrincipal,
    issued: number,
    probe: ProofProbe,
  ): RemediationProofRow => {
    const request = {
      principal,
      action: probe.action,
      resource: probe.resource,
      context: { 'aws:TokenIssueTime': new Date(issued).toISOString() },
    };
    const before = evaluate(request, { identity: [ALLOW_ALL] });
    const after = evaluate(request, { identity: [ALLOW_ALL, deny] });
    const want: Decision = subject === 'derived' ? 'ExplicitlyDenied' : 'Allowed';
    return {
      subject,
      accessKeyId,
      target: target.arn,
      principal: principal.arn,
      tokenIssueTime: new Date(issued).toISOString(),
      action: probe.action,
      resource: probe.resource,
      withoutRevocation: before.decision,
      decision: after.decision,
      reason: after.reason,
      ok: after.decision === want,
    };
  };
  for (const t of tokens) {
    for (const probe of probes)
      proof.push(row('derived', t.key.accessKeyId, t.target, t.principal, t.issued, probe));
  }
  const later = Math.ceil((cutoff.getTime() + 1000) / 1000) * 1000;
  for (const target of targets.values()) {
    const principal: RequestPrincipal =
      target.kind === 'role'
        ? {
            arn: target.arn.replace(
              /:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/,
              ':sts::$1:assumed-role/$2/new-session',
            ),
            account: accountOf(target.arn),
            roleArn: target.arn,
          }
        : { arn: target.arn, account: accountOf(target.arn) };
    proof.push(
      row('new-token', undefined, target, principal, later, probes[0] ?? (DEFAULT_PROBES[0] as ProofProbe)),
    );
  }
  const derived = chain.keys.filter(
    (k) => k.kind === 'temporary' && k.origin !== 'console' && k.origin !== 'service',
  );
  return {
    root: chain.root,
    createdAt: now.toISOString(),
    cutoff: cutoff.toISOString(),
    steps,
    proof,
    proven: proof.every((r) => r.ok) && uncovered.length === 0 && tokens.length === derived.length,
    uncovered,
    manual,
  };
}

/**
 * The IAM calls {@link applyPlan} makes, with the SDK's input shapes, so the
 * app can pass `new IAM({...})` from `@aws-sdk/client-iam` (the aggregated
 * client) or an adapter around `IAMClient.send`.
 */
export interface RemediationIam {
  updateAccessKey(input: { UserName: string; AccessKeyId: string; Status: 'Inactive' }): Promise<unknown>;
  putUserPolicy(input: { UserName: string; PolicyName: string; PolicyDocument: string }): Promise<unknown>;
  putRolePolicy(input: { RoleName: string; PolicyName: string; PolicyDocument: string }): Promise<unknown>;
}

/** Options for {@link applyPlan}. */
export interface ApplyPlanOptions {
  readonly iam: RemediationIam;
  /** The clock, read after the keys are deactivated; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Apply a plan whose proof does not hold; default false. */
  readonly force?: boolean;
}

/** What {@link applyPlan} did. */
export interface ApplyPlanResult {
  /** The steps done, in order, with the policies as attached. */
  readonly done: readonly RemediationStep[];
  /** The cut-off the attached denies use: the plan's, or the apply time if later. */
  readonly cutoff: string;
}

const AWS_CODES: Readonly<Record<string, TriageErrorCode>> = {
  AccessDenied: 'PERMISSION_DENIED',
  AccessDeniedException: 'PERMISSION_DENIED',
  UnauthorizedOperation: 'PERMISSION_DENIED',
  NoSuchEntity: 'NOT_FOUND',
  NoSuchEntityException: 'NOT_FOUND',
  LimitExceeded: 'CONFIG_INVALID',
  LimitExceededException: 'CONFIG_INVALID',
  MalformedPolicyDocument: 'POLICY_INVALID',
  Throttling: 'THROTTLED',
  ThrottlingException: 'THROTTLED',
  InvalidClientTokenId: 'CREDENTIALS_INVALID',
  ExpiredToken: 'CREDENTIALS_INVALID',
  ServiceFailure: 'SERVICE_UNAVAILABLE',
};

/**
 * Applies a plan: first deactivates the chain's long-term keys, so nothing
 * new can be minted, then attaches the denies with the cut-off moved to the
 * apply time when that is later than the plan's (a token minted while the
 * plan was reviewed is then denied too; a later cut-off denies a superset,
 * and each derived token of the proof is evaluated again against the
 * document actually attached). Every step is idempotent: after a failure,
 * run it again.
 *
 * @param plan - from {@link planRemediation}
 * @param options - see {@link ApplyPlanOptions}
 * @returns the steps done and the cut-off used
 * @throws INVALID_ARGUMENT when the plan is not proven (and `force` is not set) or has no steps
 * @throws INTERNAL when the re-evaluated proof fails (never expected)
 * @throws PERMISSION_DENIED, NOT_FOUND, CONFIG_INVALID (an IAM quota), POLICY_INVALID, THROTTLED, CREDENTIALS_INVALID, SERVICE_UNAVAILABLE from IAM; the message says how many steps were done
 */
export async function applyPlan(plan: RemediationPlan, options: ApplyPlanOptions): Promise<ApplyPlanResult> {
  if (!plan.proven && options.force !== true) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'The remediation plan is not proven (a derived token would not be denied, or a key is uncovered); review plan.proof and plan.uncovered.',
      { context: { root: plan.root } },
    );
  }
  if (plan.steps.length === 0) {
    throw new TriageError('INVALID_ARGUMENT', 'The remediation plan has no steps; nothing to apply.', {
      context: { root: plan.root },
    });
  }
  const clock = options.now ?? (() => new Date());
  const keySteps = plan.steps.filter((s) => s.kind === 'deactivate-key');
  const policySteps = plan.steps.filter((s) => s.kind !== 'deactivate-key');
  const total = plan.steps.length;
  const done: RemediationStep[] = [];
  for (const step of keySteps) {
    await callIam(step, done.length, total, () =>
      options.iam.updateAccessKey({
        UserName: step.target,
        AccessKeyId: step.accessKeyId as string,
        Status: 'Inactive',
      }),
    );
    done.push(step);
  }
  const planned = new Date(plan.cutoff);
  const applyTime = clock();
  const cutoff = applyTime.getTime() > planned.getTime() ? applyTime : planned;
  const document = revokeTokensIssuedBefore(cutoff);
  const deny = parsePolicy(document, policyNameFor(cutoff));
  for (const row of plan.proof) {
    if (row.subject !== 'derived') continue;
    const again = evaluate(
      {
        principal: { arn: row.principal, account: accountOf(row.target) },
        action: row.action,
        resource: row.resource,
        context: { 'aws:TokenIssueTime': row.tokenIssueTime },
      },
      { identity: [ALLOW_ALL, deny] },
    );
    if (again.decision !== 'ExplicitlyDenied' && row.ok) {
      throw new TriageError(
        'INTERNAL',
        `The deny with cut-off ${cutoff.toISOString()} would not deny ${row.accessKeyId ?? row.principal}; nothing more was applied.`,
        { context: { root: plan.root, done: done.length } },
      );
    }
  }
  for (const planStep of policySteps) {
    const step: RemediationStep = {
      ...planStep,
      policyName: policyNameFor(cutoff),
      policyDocument: document,
    };
    const text = JSON.stringify(document);
    await callIam(step, done.length, total, () =>
      step.kind === 'put-user-policy'
        ? options.iam.putUserPolicy({
            UserName: step.target,
            PolicyName: step.policyName as string,
            PolicyDocument: text,
          })
        : options.iam.putRolePolicy({
            RoleName: step.target,
            PolicyName: step.policyName as string,
            PolicyDocument: text,
          }),
    );
    done.push(step);
  }
  return { done, cutoff: cutoff.toISOString() };
}

/** Runs one IAM call, translating the SDK's error at the edge. */
async function callIam(
  step: RemediationStep,
  done: number,
  total: number,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (isTriageError(error)) throw error;
    const name = (error as { name?: unknown } | null)?.name;
    const code = typeof name === 'string' ? AWS_CODES[name] : undefined;
    const context = { step: step.kind, target: step.target, done, of: total };
    if (code === undefined) {
      const wrapped = toTriageError(error);
      throw new TriageError(wrapped.code, `${wrapped.message} (${done} of ${total} steps done)`, {
        cause: error,
        context,
      });
    }
    throw new TriageError(
      code,
      `IAM refused ${step.kind} on ${step.target} (${String(name)}); ${done} of ${total} steps were done, fix and apply again.`,
      { cause: error, context },
    );
  }
}
