import { TriageError } from '@triage/errors';
import {
  appendLedger,
  applyRevocation,
  planRevocation,
  type RevocationPlan,
  type RevocationResult,
  readLedger,
} from '@triage/sts-broker';
import type { Deps } from '../deps.js';
import { adminIdentity } from '../identity.js';
import type { StateStore } from '../state.js';

/** Flags of `triage-admin revoke`. */
export interface RevokeFlags {
  readonly client: string;
  readonly case?: string | undefined;
  readonly key?: string | undefined;
  readonly before?: string | undefined;
  readonly deactivateKeys: boolean;
  readonly allowCollateral: boolean;
  readonly endpoint?: string | undefined;
  readonly dryRun: boolean;
}

/** What `revoke` planned, proved and did. */
export interface RevokeOutcome {
  readonly plan: RevocationPlan;
  readonly result: RevocationResult;
}

/**
 * `triage-admin revoke`: plans a TokenIssueTime deny for the selected ledger
 * entries, proves it with the evaluator (every selected credential denied,
 * a fresh one still allowed, collateral named), and applies it unless
 * `--dry-run`.
 *
 * @throws TriageError `NOT_FOUND` (unknown client), `USAGE` (no selector), `INVALID_ARGUMENT` (collateral not allowed), IAM errors
 */
export async function revoke(flags: RevokeFlags, deps: Deps, store: StateStore): Promise<RevokeOutcome> {
  const state = await store.load(flags.client);
  if (!flags.case && !flags.key && !flags.before) {
    throw new TriageError('USAGE', 'say what to revoke: --case ID, --key ASIA… or --before TIME');
  }
  let before: Date | undefined;
  if (flags.before) {
    before = new Date(flags.before);
    if (Number.isNaN(before.getTime()))
      throw new TriageError('USAGE', `--before ${flags.before} is not an ISO 8601 time`);
  }
  const endpoint = flags.endpoint ?? state.endpoint;
  const target = { region: state.region, ...(endpoint ? { endpoint } : {}) };
  await adminIdentity(deps, target);
  const ledger = (await readLedger(store.ledgerPath)).filter(
    (e) => e.type !== 'issue' || e.client === state.client,
  );
  const plan = planRevocation({
    ledger,
    selector: {
      ...(flags.case ? { case: flags.case } : {}),
      ...(flags.key ? { accessKeyId: flags.key } : {}),
      ...(before ? { before } : {}),
    },
    now: deps.now,
    roleArn: state.roleArn,
    userArn: state.uploaderUserArn,
    allowCollateral: flags.allowCollateral,
  });
  const result = await applyRevocation(plan, {
    iam: deps.aws.iam(target),
    dryRun: flags.dryRun,
    ...(flags.deactivateKeys ? { deactivateKeys: { userName: state.uploaderUserName } } : {}),
    now: deps.now,
  });
  if (!flags.dryRun) for (const entry of result.ledgerEntries) await appendLedger(store.ledgerPath, entry);
  return { plan, result };
}
