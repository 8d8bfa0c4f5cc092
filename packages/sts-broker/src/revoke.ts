/**
 * Revocation with proof. AWS cannot revoke one temporary credential; it can
 * deny every token of a principal issued before a time
 * (`DateLessThan aws:TokenIssueTime`). So a plan picks ledger entries,
 * computes that cut-off per role or user, and proves with the evaluator of
 * `@triage/iam-policy` that the chosen credentials are denied, that a
 * credential issued after the cut-off is not, and which other credentials
 * the cut-off also kills (the collateral), refusing those unless allowed.
 */
import { randomUUID } from 'node:crypto';
import {
  type IAMClient,
  ListAccessKeysCommand,
  type ListAccessKeysCommandOutput,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { TriageError } from '@triage/errors';
import {
  type Decision,
  evaluate,
  type Policy,
  type PolicyDocument,
  type PolicySet,
  parsePolicy,
  type RequestContext,
  type RequestPrincipal,
  revokeTokensIssuedBefore,
  uploaderIdentityPolicy,
  uploaderRolePolicy,
  uploadSessionPolicy,
} from '@triage/iam-policy';
import { translateAwsError } from './aws-errors.js';
import { type Clock, sessionNameFor } from './issue.js';
import type { IssueLedgerEntry, LedgerEntry, RevocationSelectorRecord, RevokeLedgerEntry } from './ledger.js';
import {
  accountFromArn,
  checkDate,
  checkName,
  checkPattern,
  checkRoleArn,
  checkUserArn,
  compactTime,
  invalid,
  nameFromArn,
} from './validate.js';

/** Which ledger entries to revoke: those matching every criterion given (at least one). */
export interface RevocationSelector {
  /** Entries of this case. */
  readonly case?: string;
  /** Entries for this host. */
  readonly host?: string;
  /** The entry (or entries) with this access key id. */
  readonly accessKeyId?: string;
  /**
   * Entries issued at least one second before this time (STS times are to
   * the second: those within a second of it may or may not be cut, and are
   * weighed as collateral); it then is the cut-off itself. Must not be later
   * than now (a future cut-off would also kill credentials issued from now
   * until then).
   */
  readonly before?: Date;
}

/**
 * The policies the proof evaluates with. Pass the documents really attached
 * (e.g. read with IAM) to prove against reality; the defaults are what
 * triage's setup attaches.
 */
export interface RevocationPolicies {
  /**
   * The upload role's identity policies. Default: setup's
   * `uploaderRolePolicy(bucket)` of the entry's bucket (each session is then
   * narrowed by its session policy, `uploadSessionPolicy(bucket, case, host)`,
   * which the proof always applies).
   */
  readonly role?: readonly unknown[];
  /**
   * The uploader user's identity policies. Default:
   * `uploaderIdentityPolicy(bucket, prefix)` of the entry's scope (the upload
   * statements of setup's `uploaderGroupPolicy` when the prefix is `''`).
   */
  readonly user?: readonly unknown[];
  /** The bucket policy. Default none. */
  readonly resource?: readonly unknown[];
}

/** Options for {@link planRevocation}. */
export interface PlanRevocationOptions {
  /** The ledger, as {@link readLedger} returns it. */
  readonly ledger: readonly LedgerEntry[];
  readonly selector: RevocationSelector;
  /** The clock; default `() => new Date()`. */
  readonly now?: Clock;
  /** The uploader role; when given, every selected assume-role entry must be of this role. Default: each entry's `roleArn`. */
  readonly roleArn?: string;
  /** The uploader user whose GetSessionToken tokens are revoked; needed when a selected session-token entry has no `userArn`. */
  readonly userArn?: string;
  /** Accept cutting other live credentials too; default false (the plan is refused when there are any). */
  readonly allowCollateral?: boolean;
  /** The policies to prove with; see {@link RevocationPolicies}. */
  readonly policies?: RevocationPolicies;
}

/** One deny policy to attach. */
export interface RevocationAttachment {
  /** `role` for assume-role sessions, `user` for GetSessionToken tokens. */
  readonly kind: 'role' | 'user';
  /** The role or user name. */
  readonly name: string;
  readonly arn: string;
  /** `triage-revoke-YYYYMMDDTHHMMSSZ` of the cut-off. */
  readonly policyName: string;
  /** Tokens of this principal issued before it are denied. */
  readonly cutoff: Date;
  /** `revokeTokensIssuedBefore(cutoff)`. */
  readonly document: PolicyDocument;
  /** Ids of the selected entries this attachment revokes. */
  readonly entries: readonly string[];
  /** Ids of the other entries it also cuts. */
  readonly collateral: readonly string[];
}

/**
 * What a proof row is about: a selected credential, another live credential
 * the cut-off also kills (`collateral`) or spares (`spared`), or a credential
 * issued one second after the cut-off (`new-credential`, which must stay allowed).
 */
export type ProofSubject = 'selected' | 'collateral' | 'spared' | 'new-credential';

/** One evaluated request: `s3:PutObject` into the credential's scope, without and with the deny. */
export interface ProofRow {
  readonly subject: ProofSubject;
  /** The ledger entry; absent for `new-credential`. */
  readonly entryId?: string;
  /** Absent for `new-credential`. */
  readonly accessKeyId?: string;
  /** The role or user ARN the deny attaches to. */
  readonly target: string;
  /** The request's principal: the role session's or the user's ARN. */
  readonly principal: string;
  /**
   * The `aws:TokenIssueTime` evaluated. STS reports times to the second, so
   * for a selected credential it is the latest it may have been issued
   * (`issuedAt` + 999 ms), for any other the earliest (`issuedAt` − 1 s), and
   * for `new-credential` one second after `max(now, cutoff)`.
   */
  readonly tokenIssueTime: string;
  /** Whether the credential had already expired at the plan's time. */
  readonly expired: boolean;
  readonly action: string;
  readonly resource: string;
  /** The decision with the current policies. */
  readonly withoutRevocation: Decision;
  /** The decision with the deny added. */
  readonly decision: Decision;
  /** The evaluator's explanation of `decision`. */
  readonly reason: string;
}

/** The result of {@link planRevocation}: nothing has been changed yet. */
export interface RevocationPlan {
  /** The plan's time. */
  readonly createdAt: Date;
  readonly selector: RevocationSelector;
  /** The selected issue entries. */
  readonly entries: readonly IssueLedgerEntry[];
  /** Live entries that were not selected but that the cut-off also kills. */
  readonly collateral: readonly IssueLedgerEntry[];
  readonly allowCollateral: boolean;
  readonly attachments: readonly RevocationAttachment[];
  readonly proof: readonly ProofRow[];
}

interface Target {
  readonly kind: 'role' | 'user';
  readonly arn: string;
}

const PROBE_ACTION = 's3:PutObject';

/**
 * How far the real `aws:TokenIssueTime` may be from a ledger `issuedAt`
 * (STS's expiry minus the duration): STS reports times to the second and may
 * round either way. The proof evaluates selected credentials at the latest
 * time they may have been issued and others at the earliest, so a credential
 * within this margin of the cut-off is never claimed spared when it may be cut.
 */
const ISSUE_TIME_UNCERTAINTY_MS = 1000;

function targetKey(target: Target): string {
  return `${target.kind} ${target.arn}`;
}

function ceilToSecond(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}

function selectorRecord(selector: RevocationSelector): RevocationSelectorRecord {
  return {
    ...(selector.case === undefined ? {} : { case: selector.case }),
    ...(selector.host === undefined ? {} : { host: selector.host }),
    ...(selector.accessKeyId === undefined ? {} : { accessKeyId: selector.accessKeyId }),
    ...(selector.before === undefined ? {} : { before: selector.before.toISOString() }),
  };
}

function checkSelector(selector: RevocationSelector, now: Date): void {
  if (typeof selector !== 'object' || selector === null) {
    throw invalid('selector', 'selector must be an object: { case?, host?, accessKeyId?, before? }');
  }
  const { case: caseId, host, accessKeyId, before } = selector;
  if (caseId === undefined && host === undefined && accessKeyId === undefined && before === undefined) {
    throw invalid('selector', 'select the credentials to revoke by case, host, accessKeyId or before');
  }
  if (caseId !== undefined) checkName('selector.case', caseId);
  if (host !== undefined) checkName('selector.host', host);
  if (accessKeyId !== undefined) {
    checkPattern('selector.accessKeyId', accessKeyId, /^[A-Z0-9]{16,128}$/, 'must be an access key id');
  }
  if (before !== undefined) {
    checkDate('selector.before', before);
    if (before.getTime() > now.getTime()) {
      throw invalid(
        'selector.before',
        'selector.before is in the future: it would also cut credentials issued from now until then; give a past time',
      );
    }
  }
}

function matches(entry: IssueLedgerEntry, selector: RevocationSelector): boolean {
  if (selector.case !== undefined && entry.case !== selector.case) return false;
  if (selector.host !== undefined && entry.host !== selector.host) return false;
  if (selector.accessKeyId !== undefined && entry.accessKeyId !== selector.accessKeyId) return false;
  // Only credentials surely issued before `before`; those within the uncertainty of it are weighed as collateral.
  if (
    selector.before !== undefined &&
    Date.parse(entry.issuedAt) + ISSUE_TIME_UNCERTAINTY_MS > selector.before.getTime()
  ) {
    return false;
  }
  return true;
}

/** Parses documents once, by JSON text, for the many evaluations of a plan. */
class PolicyCache {
  readonly #parsed = new Map<string, Policy>();

  get(document: unknown, id: string): Policy {
    const key = `${id}\u0000${typeof document === 'string' ? document : JSON.stringify(document)}`;
    let policy = this.#parsed.get(key);
    if (!policy) {
      policy = parsePolicy(document, id);
      this.#parsed.set(key, policy);
    }
    return policy;
  }
}

interface Probe {
  readonly entry: IssueLedgerEntry;
  readonly tokenIssueTime: Date;
  readonly currentTime: Date;
}

function principalFor(target: Target, entry: IssueLedgerEntry): RequestPrincipal {
  const account = accountFromArn(target.arn);
  if (target.kind === 'user') return { arn: target.arn, account };
  const session = entry.sessionName ?? sessionNameFor(entry.case, entry.host);
  const arn =
    entry.assumedRoleArn ?? `arn:aws:sts::${account}:assumed-role/${nameFromArn(target.arn)}/${session}`;
  return { arn, account, roleArn: target.arn };
}

/** The request context AWS would add for a PutObject with an MFA session credential of `target`. */
function contextFor(target: Target, probe: Probe): RequestContext {
  const { entry, tokenIssueTime, currentTime } = probe;
  const age = Math.max(0, Math.floor((currentTime.getTime() - tokenIssueTime.getTime()) / 1000));
  const common: Record<string, string> = {
    'aws:SecureTransport': 'true',
    'aws:CurrentTime': currentTime.toISOString(),
    'aws:EpochTime': String(Math.floor(currentTime.getTime() / 1000)),
    'aws:MultiFactorAuthPresent': 'true',
    'aws:MultiFactorAuthAge': String(age),
    'aws:TokenIssueTime': tokenIssueTime.toISOString(),
    'aws:PrincipalArn': target.arn,
    'aws:PrincipalAccount': accountFromArn(target.arn),
  };
  if (target.kind === 'user') {
    return { ...common, 'aws:PrincipalType': 'User', 'aws:username': nameFromArn(target.arn) };
  }
  return {
    ...common,
    'aws:PrincipalType': 'AssumedRole',
    'aws:PrincipalTag/triage:case': entry.case,
    'aws:PrincipalTag/triage:host': entry.host,
    ...(entry.sourceIdentity === undefined ? {} : { 'aws:SourceIdentity': entry.sourceIdentity }),
  };
}

function policySetFor(
  target: Target,
  entry: IssueLedgerEntry,
  policies: RevocationPolicies,
  cache: PolicyCache,
  deny: Policy | undefined,
): PolicySet {
  const { bucket, prefix } = entry.scope;
  const documents =
    target.kind === 'role'
      ? (policies.role ?? [uploaderRolePolicy(bucket)])
      : (policies.user ?? [uploaderIdentityPolicy(bucket, prefix)]);
  const identity = documents.map((doc, i) => cache.get(doc, `${target.kind}[${i}]`));
  return {
    identity: deny ? [...identity, deny] : identity,
    ...(target.kind === 'role'
      ? { session: [cache.get(uploadSessionPolicy(bucket, entry.case, entry.host), 'session')] }
      : {}),
    ...(policies.resource
      ? { resource: policies.resource.map((doc, i) => cache.get(doc, `resource[${i}]`)) }
      : {}),
  };
}

function prove(
  subject: ProofSubject,
  target: Target,
  probe: Probe,
  now: Date,
  policies: RevocationPolicies,
  cache: PolicyCache,
  deny: Policy,
): ProofRow {
  const { entry } = probe;
  const principal = principalFor(target, entry);
  const resource = `arn:aws:s3:::${entry.scope.bucket}/${entry.scope.prefix}triage-revocation-probe`;
  const request = { principal, action: PROBE_ACTION, resource, context: contextFor(target, probe) };
  const before = evaluate(request, policySetFor(target, entry, policies, cache, undefined));
  const after = evaluate(request, policySetFor(target, entry, policies, cache, deny));
  const isEntry = subject !== 'new-credential';
  return {
    subject,
    ...(isEntry ? { entryId: entry.id, accessKeyId: entry.accessKeyId } : {}),
    target: target.arn,
    principal: principal.arn,
    tokenIssueTime: probe.tokenIssueTime.toISOString(),
    expired: isEntry && Date.parse(entry.expiresAt) <= now.getTime(),
    action: PROBE_ACTION,
    resource,
    withoutRevocation: before.decision,
    decision: after.decision,
    reason: after.reason,
  };
}

function describeEntries(entries: readonly IssueLedgerEntry[]): string {
  const shown = entries.slice(0, 3).map((e) => `${e.mode} ${e.case}/${e.host} issued ${e.issuedAt}`);
  return `${shown.join('; ')}${entries.length > 3 ? `; and ${entries.length - 3} more` : ''}`;
}

/**
 * Plans a revocation from the ledger, and proves it with the IAM evaluator.
 *
 * - **Scope**: the issue entries matching every criterion of `selector`.
 * - **Where**: assume-role sessions are cut by an inline policy on their role;
 *   GetSessionToken tokens by an inline policy on the uploader user.
 * - **Cut-off** (per role or user): `selector.before` when given, else the
 *   first whole second at least one second after the latest `issuedAt` in
 *   scope (issue times are STS's, so the cut-off is on the clock AWS checks).
 * - **Policy**: `revokeTokensIssuedBefore(cutoff)` from `@triage/iam-policy`,
 *   named `triage-revoke-YYYYMMDDTHHMMSSZ`.
 * - **Proof**: for every selected entry, `s3:PutObject` into its scope with
 *   MFA and `aws:TokenIssueTime` = its `issuedAt`, as its role session or
 *   user, is `ExplicitlyDenied` once the deny is added; a credential issued
 *   one second after `max(now, cutoff)` stays `Allowed` by the same
 *   policies; and every other live entry of the same role or user is
 *   evaluated too: those denied are the **collateral**. STS reports issue
 *   times to the second, so selected credentials are evaluated at the latest
 *   time they may have been issued and others at the earliest: a credential
 *   within a second of the cut-off counts as collateral, never as spared.
 *
 * The limit is AWS's: a token-issue-time cut-off denies every token of that
 * principal issued before it, whatever case it was for. Entries already
 * expired, or already cut by an earlier revoke entry of the ledger on the
 * same principal (revoke policies are never removed by triage), are not
 * counted as collateral. Other roles and users are not affected at all.
 *
 * @param options - see {@link PlanRevocationOptions}
 * @returns the plan; nothing is changed
 * @throws INVALID_ARGUMENT for an empty or malformed selector, a future `before`, an entry of another role than `roleArn`, a session-token entry without a user ARN, or collateral without `allowCollateral: true` (context `collateral`: the entry ids)
 * @throws NOT_FOUND when no issue entry matches the selector
 * @throws POLICY_INVALID when a given policy does not parse, or the given policies do not allow a new credential to upload (then the proof cannot show the cut-off spares new credentials)
 * @throws INTERNAL when a selected credential would not be denied (a bug)
 */
export function planRevocation(options: PlanRevocationOptions): RevocationPlan {
  const now = (options.now ?? (() => new Date()))();
  const { selector } = options;
  checkSelector(selector, now);
  const roleArn = options.roleArn === undefined ? undefined : checkRoleArn('roleArn', options.roleArn);
  const userArn = options.userArn === undefined ? undefined : checkUserArn('userArn', options.userArn);
  const policies = options.policies ?? {};
  const issues = options.ledger.filter((e): e is IssueLedgerEntry => e.type === 'issue');
  const revokes = options.ledger.filter((e): e is RevokeLedgerEntry => e.type === 'revoke');

  const selected = issues.filter((e) => matches(e, selector));
  if (selected.length === 0) {
    throw new TriageError('NOT_FOUND', 'no issue entry of the ledger matches the selector; check it', {
      context: { issueEntries: issues.length },
    });
  }

  const targetOf = (entry: IssueLedgerEntry): Target | undefined => {
    if (entry.mode === 'assume-role') return { kind: 'role', arn: entry.roleArn as string };
    const arn = entry.userArn ?? userArn;
    return arn === undefined ? undefined : { kind: 'user', arn };
  };

  // Group the selected entries by the role or user the deny attaches to.
  const groups = new Map<string, { target: Target; entries: IssueLedgerEntry[] }>();
  for (const entry of selected) {
    const target = targetOf(entry);
    if (!target) {
      throw invalid(
        'userArn',
        'a selected session-token entry does not name its user: pass userArn (the uploader user whose key minted it)',
      );
    }
    if (target.kind === 'role' && roleArn !== undefined && target.arn !== roleArn) {
      throw invalid(
        'roleArn',
        'a selected entry was issued by another role than roleArn: narrow the selector or revoke that role separately',
      );
    }
    if (target.kind === 'user' && userArn !== undefined && target.arn !== userArn) {
      throw invalid(
        'userArn',
        'a selected entry was issued to another user than userArn: narrow the selector or revoke that user separately',
      );
    }
    const key = targetKey(target);
    const group = groups.get(key) ?? { target, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }

  const cache = new PolicyCache();
  const attachments: RevocationAttachment[] = [];
  const proof: ProofRow[] = [];
  const collateral: IssueLedgerEntry[] = [];
  const selectedIds = new Set(selected.map((e) => e.id));
  const ordered = [...groups.values()].sort((a, b) =>
    a.target.kind === b.target.kind
      ? a.target.arn.localeCompare(b.target.arn)
      : a.target.kind === 'role'
        ? -1
        : 1,
  );

  for (const { target, entries } of ordered) {
    const latest = Math.max(...entries.map((e) => Date.parse(e.issuedAt)));
    const cutoff = selector.before
      ? new Date(selector.before.getTime())
      : new Date(ceilToSecond(latest + ISSUE_TIME_UNCERTAINTY_MS));
    const document = revokeTokensIssuedBefore(cutoff);
    const deny = parsePolicy(document, 'revocation');

    for (const entry of entries) {
      const row = prove(
        'selected',
        target,
        {
          entry,
          // The latest it may have been issued.
          tokenIssueTime: new Date(Date.parse(entry.issuedAt) + ISSUE_TIME_UNCERTAINTY_MS - 1),
          currentTime: now,
        },
        now,
        policies,
        cache,
        deny,
      );
      if (row.decision !== 'ExplicitlyDenied') {
        throw new TriageError(
          'INTERNAL',
          `the revocation proof failed: a selected credential would be ${row.decision}, not denied; report this bug`,
          { context: { entryId: entry.id, decision: row.decision } },
        );
      }
      proof.push(row);
    }

    // Every other live credential of the same principal, not already cut by an earlier revocation.
    const others = issues.filter((e) => {
      if (selectedIds.has(e.id) || Date.parse(e.expiresAt) <= now.getTime()) return false;
      const other = targetOf(e);
      const same =
        other === undefined
          ? target.kind === 'user' && e.mode === 'session-token'
          : targetKey(other) === targetKey(target);
      if (!same) return false;
      const issued = Date.parse(e.issuedAt);
      return !revokes.some((r) => r.target === target.arn && Date.parse(r.cutoff) > issued);
    });
    const cut: string[] = [];
    for (const entry of others) {
      const row = prove(
        'spared',
        target,
        {
          entry,
          // The earliest it may have been issued.
          tokenIssueTime: new Date(Date.parse(entry.issuedAt) - ISSUE_TIME_UNCERTAINTY_MS),
          currentTime: now,
        },
        now,
        policies,
        cache,
        deny,
      );
      if (row.decision === 'ExplicitlyDenied') {
        proof.push({ ...row, subject: 'collateral' });
        collateral.push(entry);
        cut.push(entry.id);
      } else {
        proof.push(row);
      }
    }

    // A credential issued just after the cut-off must still work.
    const template = entries[entries.length - 1] as IssueLedgerEntry;
    const fresh = new Date(Math.max(now.getTime(), cutoff.getTime()) + 1000);
    const control = prove(
      'new-credential',
      target,
      { entry: template, tokenIssueTime: fresh, currentTime: fresh },
      now,
      policies,
      cache,
      deny,
    );
    if (control.decision !== 'Allowed') {
      throw new TriageError(
        'POLICY_INVALID',
        `the ${target.kind} policies given do not allow a credential issued after the cut-off to upload (${control.decision}), so the proof cannot show the revocation spares new credentials; pass the policies attached to ${nameFromArn(target.arn)} in policies.${target.kind}`,
        { context: { target: target.arn, decision: control.decision } },
      );
    }
    proof.push(control);

    attachments.push({
      kind: target.kind,
      name: nameFromArn(target.arn),
      arn: target.arn,
      policyName: `triage-revoke-${compactTime(cutoff)}`,
      cutoff,
      document,
      entries: entries.map((e) => e.id),
      collateral: cut,
    });
  }

  const allowCollateral = options.allowCollateral === true;
  if (collateral.length > 0 && !allowCollateral) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `the cut-off would also revoke ${collateral.length} other live credential(s) of the same role or user (${describeEntries(collateral)}): AWS can only cut by issue time; pass allowCollateral: true to accept and re-issue them after`,
      {
        context: {
          argument: 'allowCollateral',
          collateral: collateral.map((e) => e.id),
          collateralAccessKeyIds: collateral.map((e) => e.accessKeyId),
        },
      },
    );
  }

  return {
    createdAt: now,
    selector: { ...selector },
    entries: selected,
    collateral,
    allowCollateral,
    attachments,
    proof,
  };
}

/** Options for {@link applyRevocation}. */
export interface ApplyRevocationOptions {
  /** An IAM client with admin credentials allowed iam:PutRolePolicy / iam:PutUserPolicy (and the key calls below). */
  readonly iam: IAMClient;
  /** Only say what would be done: nothing is written (ListAccessKeys, which only reads, still runs). */
  readonly dryRun: boolean;
  /**
   * Also set every Active access key of this user Inactive (after
   * ListAccessKeys). Long-term keys carry no token issue time, so the deny
   * does not stop them minting new tokens; deactivating does. It does not
   * end tokens already issued: the deny does that. Default: keys untouched.
   */
  readonly deactivateKeys?: { readonly userName: string };
  /** The clock, for the ledger entries' `at`; default `() => new Date()`. */
  readonly now?: Clock;
  /** Cancels the IAM calls. */
  readonly abortSignal?: AbortSignal;
}

/** One IAM change made (or, in a dry run, that would be made). */
export interface RevocationStep {
  readonly action: 'PutRolePolicy' | 'PutUserPolicy' | 'UpdateAccessKey';
  /** The role or user name. */
  readonly name: string;
  /** Put*Policy: the inline policy's name. */
  readonly policyName?: string;
  /** UpdateAccessKey: the key set Inactive. */
  readonly accessKeyId?: string;
  /** `done`, `dry-run` (would be done), or `already-inactive` (a key that needed nothing). */
  readonly outcome: 'done' | 'dry-run' | 'already-inactive';
}

/** What {@link applyRevocation} did. */
export interface RevocationResult {
  readonly dryRun: boolean;
  readonly steps: readonly RevocationStep[];
  /** One revoke entry per attachment, to {@link appendLedger}; empty in a dry run. */
  readonly ledgerEntries: readonly RevokeLedgerEntry[];
}

const POLICY_NAME = /^triage-revoke-\d{8}T\d{6}Z$/;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

function checkPlan(plan: RevocationPlan): void {
  if (plan.collateral.length > 0 && !plan.allowCollateral) {
    throw invalid(
      'plan',
      'the plan cuts other live credentials but does not allow collateral; plan again with allowCollateral: true',
    );
  }
  if (plan.attachments.length === 0) throw invalid('plan', 'the plan attaches nothing; plan again');
  for (const a of plan.attachments) {
    if (a.kind === 'role') checkRoleArn('plan.attachments.arn', a.arn);
    else checkUserArn('plan.attachments.arn', a.arn);
    checkPattern('plan.attachments.name', a.name, IAM_NAME, 'must be an IAM role or user name');
    checkPattern(
      'plan.attachments.policyName',
      a.policyName,
      POLICY_NAME,
      'must be triage-revoke-YYYYMMDDTHHMMSSZ',
    );
    if (
      a.name !== nameFromArn(a.arn) ||
      a.policyName !== `triage-revoke-${compactTime(a.cutoff)}` ||
      JSON.stringify(a.document) !== JSON.stringify(revokeTokensIssuedBefore(a.cutoff))
    ) {
      throw invalid('plan', 'the plan was altered after planRevocation; plan again');
    }
  }
}

/**
 * Applies a plan from {@link planRevocation}: PutRolePolicy / PutUserPolicy
 * of each attachment's deny, then (with `deactivateKeys`) ListAccessKeys and
 * UpdateAccessKey Status=Inactive for each Active key of that user. Every
 * step is idempotent, so after a failure it can simply run again.
 *
 * Inline policy quotas: a user's inline policies may total 2,048 characters,
 * a role's 10,240; each revoke policy takes about 200. A later cut-off
 * supersedes an earlier one on the same principal, so older
 * `triage-revoke-*` policies may be deleted by hand when the quota is near.
 *
 * @param plan - from {@link planRevocation}, unaltered
 * @param options - see {@link ApplyRevocationOptions}
 * @returns the steps (done, or that would be done) and the revoke entries to append to the ledger
 * @throws INVALID_ARGUMENT for a plan with unaccepted collateral, altered, or empty; a malformed user name
 * @throws PERMISSION_DENIED, NOT_FOUND (no such role, user or key), CONFIG_INVALID (an IAM quota), CREDENTIALS_INVALID, THROTTLED, NETWORK_ERROR, TIMEOUT, SERVICE_UNAVAILABLE, ABORTED from IAM; the message says how many steps were done
 */
export async function applyRevocation(
  plan: RevocationPlan,
  options: ApplyRevocationOptions,
): Promise<RevocationResult> {
  checkPlan(plan);
  const userName =
    options.deactivateKeys === undefined
      ? undefined
      : checkPattern(
          'deactivateKeys.userName',
          options.deactivateKeys.userName,
          IAM_NAME,
          'must be an IAM user name',
        );
  const { iam, dryRun } = options;
  const sendOptions = options.abortSignal ? { abortSignal: options.abortSignal } : {};
  const steps: RevocationStep[] = [];
  const call = async <T>(operation: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const translated = translateAwsError(error, operation);
      const done = steps.filter((s) => s.outcome === 'done').length;
      if (done === 0) throw translated;
      throw new TriageError(
        translated.code,
        `${translated.message} (${done} revocation step(s) were done before this; every step is idempotent, so run it again)`,
        { cause: translated, context: { ...translated.context, stepsDone: done } },
      );
    }
  };

  for (const a of plan.attachments) {
    const action = a.kind === 'role' ? 'PutRolePolicy' : 'PutUserPolicy';
    if (!dryRun) {
      const document = JSON.stringify(a.document);
      await call(action, () =>
        a.kind === 'role'
          ? iam.send(
              new PutRolePolicyCommand({
                RoleName: a.name,
                PolicyName: a.policyName,
                PolicyDocument: document,
              }),
              sendOptions,
            )
          : iam.send(
              new PutUserPolicyCommand({
                UserName: a.name,
                PolicyName: a.policyName,
                PolicyDocument: document,
              }),
              sendOptions,
            ),
      );
    }
    steps.push({ action, name: a.name, policyName: a.policyName, outcome: dryRun ? 'dry-run' : 'done' });
  }

  const deactivated: string[] = [];
  if (userName !== undefined) {
    const keys: { id: string; active: boolean }[] = [];
    let marker: string | undefined;
    do {
      const page: ListAccessKeysCommandOutput = await call('ListAccessKeys', () =>
        iam.send(
          new ListAccessKeysCommand({
            UserName: userName,
            ...(marker === undefined ? {} : { Marker: marker }),
          }),
          sendOptions,
        ),
      );
      for (const key of page.AccessKeyMetadata ?? []) {
        if (key.AccessKeyId) keys.push({ id: key.AccessKeyId, active: key.Status === 'Active' });
      }
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);
    for (const key of keys) {
      if (!key.active) {
        steps.push({
          action: 'UpdateAccessKey',
          name: userName,
          accessKeyId: key.id,
          outcome: 'already-inactive',
        });
        continue;
      }
      if (!dryRun) {
        await call('UpdateAccessKey', () =>
          iam.send(
            new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: key.id, Status: 'Inactive' }),
            sendOptions,
          ),
        );
        deactivated.push(key.id);
      }
      steps.push({
        action: 'UpdateAccessKey',
        name: userName,
        accessKeyId: key.id,
        outcome: dryRun ? 'dry-run' : 'done',
      });
    }
  }

  if (dryRun) return { dryRun, steps, ledgerEntries: [] };
  const at = (options.now ?? (() => new Date()))().toISOString();
  const keysOn = plan.attachments.find((a) => a.kind === 'user') ?? plan.attachments[0];
  const ledgerEntries = plan.attachments.map(
    (a): RevokeLedgerEntry => ({
      v: 1,
      type: 'revoke',
      id: randomUUID(),
      at,
      cutoff: a.cutoff.toISOString(),
      targetKind: a.kind,
      target: a.arn,
      policyName: a.policyName,
      scope: {
        selector: selectorRecord(plan.selector),
        entries: [...a.entries],
        collateral: [...a.collateral],
      },
      ...(userName !== undefined && a === keysOn
        ? { deactivatedKeys: { userName, accessKeyIds: deactivated } }
        : {}),
    }),
  );
  return { dryRun, steps, ledgerEntries };
}

/** Options for {@link verifyRevocations}. */
export interface VerifyRevocationsOptions {
  /** The ledger, as {@link readLedger} returns it. */
  readonly ledger: readonly LedgerEntry[];
  /**
   * The identity policy documents in force now for a role or user (by name),
   * e.g. read back from IAM with `readPrincipalPolicies` of `@triage/provision`.
   */
  readonly policiesOf: (principal: {
    readonly kind: 'role' | 'user';
    readonly name: string;
    readonly arn: string;
  }) => Promise<readonly unknown[]>;
  /** The uploader user, for session-token entries that do not name theirs. */
  readonly userArn?: string;
  /** The clock; default `() => new Date()`. */
  readonly now?: Clock;
}

/** One revoked credential, evaluated against the policies in force now. */
export interface RevocationCheck {
  readonly entryId: string;
  readonly accessKeyId: string;
  readonly mode: IssueLedgerEntry['mode'];
  /** The role or user ARN whose policies were read. */
  readonly target: string;
  /** Whether the credential had expired anyway. */
  readonly expired: boolean;
  /** `s3:PutObject` into its own scope, with MFA, at the latest time it may have been issued. */
  readonly decision: Decision;
  /** True only for `ExplicitlyDenied`: an implicit deny could turn into an allow when a policy is added. */
  readonly holds: boolean;
  readonly reason: string;
}

/**
 * Checks that every credential the ledger records as revoked (selected or
 * collateral of a revoke entry) is still explicitly denied by the policies
 * in force now: for each, the request its holder would most want to make,
 * `s3:PutObject` into its own scope with MFA, evaluated with
 * `aws:TokenIssueTime` at the latest second it may have been issued. A
 * removed or edited `triage-revoke-*` policy shows up as `holds: false`.
 *
 * @param options - see {@link VerifyRevocationsOptions}
 * @returns one check per revoked credential, in ledger order
 * @throws POLICY_INVALID when a document in force does not parse
 * @throws whatever `policiesOf` throws (e.g. NOT_FOUND for a deleted role)
 */
export async function verifyRevocations(options: VerifyRevocationsOptions): Promise<RevocationCheck[]> {
  const now = (options.now ?? (() => new Date()))();
  const revoked = new Set<string>();
  for (const entry of options.ledger) {
    if (entry.type !== 'revoke') continue;
    for (const id of [...entry.scope.entries, ...entry.scope.collateral]) revoked.add(id);
  }
  const cache = new PolicyCache();
  const read = new Map<string, Promise<readonly unknown[]>>();
  const checks: RevocationCheck[] = [];
  for (const entry of options.ledger) {
    if (entry.type !== 'issue' || !revoked.has(entry.id)) continue;
    const arn = entry.mode === 'assume-role' ? entry.roleArn : (entry.userArn ?? options.userArn);
    if (arn === undefined) {
      throw invalid('userArn', 'a revoked session-token entry does not name its user: pass userArn');
    }
    const target: Target = { kind: entry.mode === 'assume-role' ? 'role' : 'user', arn };
    const key = targetKey(target);
    let documents = read.get(key);
    if (!documents) {
      documents = options.policiesOf({ kind: target.kind, name: nameFromArn(arn), arn });
      read.set(key, documents);
    }
    const policies: RevocationPolicies =
      target.kind === 'role' ? { role: await documents } : { user: await documents };
    const probe: Probe = {
      entry,
      tokenIssueTime: new Date(Date.parse(entry.issuedAt) + ISSUE_TIME_UNCERTAINTY_MS - 1),
      currentTime: now,
    };
    const principal = principalFor(target, entry);
    const resource = `arn:aws:s3:::${entry.scope.bucket}/${entry.scope.prefix}triage-revocation-probe`;
    const result = evaluate(
      { principal, action: PROBE_ACTION, resource, context: contextFor(target, probe) },
      policySetFor(target, entry, policies, cache, undefined),
    );
    checks.push({
      entryId: entry.id,
      accessKeyId: entry.accessKeyId,
      mode: entry.mode,
      target: arn,
      expired: Date.parse(entry.expiresAt) <= now.getTime(),
      decision: result.decision,
      holds: result.decision === 'ExplicitlyDenied',
      reason: result.reason,
    });
  }
  return checks;
}
