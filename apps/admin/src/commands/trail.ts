import { resolve } from 'node:path';
import {
  type IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { isTriageError, TriageError } from '@triage/errors';
import { createTransport } from '@triage/s3-transport';
import { type LedgerEntry, readLedger } from '@triage/sts-broker';
import {
  type ApplyPlanResult,
  applyPlan,
  type Chain,
  type CollectorCredential,
  chainsOf,
  type Finding,
  formatLineageTree,
  type LineageGraph,
  lineageToDot,
  lineageToMermaid,
  localTrailSource,
  planRemediation,
  type RemediationIam,
  type RemediationPlan,
  type RemediationStep,
  type Revocation,
  s3TrailSource,
  type TrailDiagnostic,
  type TrailSource,
  traceTrail,
} from '@triage/trail';
import type { ClientTarget, Deps } from '../deps.js';
import { adminIdentity } from '../identity.js';
import type { ClientState, StateStore } from '../state.js';

/** Flags of `triage-admin trail`. */
export interface TrailFlags {
  /** A CloudTrail file or folder, or `s3://bucket/prefix`. */
  readonly from: string;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  /** Only the tree holding this access key id, for the output and the plan. */
  readonly key?: string | undefined;
  /** Check this client's ledger: collector credentials, revocations. */
  readonly client?: string | undefined;
  /** Print only a picture: `dot` or `mermaid`. */
  readonly graph?: string | undefined;
  readonly json: boolean;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  /** Apply the `--key` chain's plan through IAM. */
  readonly apply: boolean;
  /** With `--apply`: do not ask. */
  readonly yes: boolean;
}

/** What `trail` found and did, for the exit status. */
export interface TrailOutcome {
  /** High findings in the output's scope (the `--key` tree, or all). */
  readonly high: number;
  /** Whether `--apply` changed IAM. */
  readonly applied: boolean;
}

/** Diagnostics shown in the text summary; `--json` holds up to {@link KEPT_DIAGNOSTICS}. */
const SHOWN_DIAGNOSTICS = 3;
const KEPT_DIAGNOSTICS = 20;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function flagTime(flag: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const shown = JSON.stringify(value).slice(0, 40);
  // A date alone is UTC midnight; a time of day needs its zone, or it would be this machine's.
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i.exec(value);
  const ms = iso ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new TriageError(
      'USAGE',
      `${flag} ${shown} is not an ISO 8601 time: use e.g. 2026-11-02 or 2026-11-02T08:00:00Z (with Z or an offset)`,
    );
  }
  return new Date(ms);
}

type From =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

function parseFrom(from: string, cwd: string): From {
  if (!/^s3:\/\//i.test(from)) return { kind: 'local', path: resolve(cwd, from) };
  const rest = from.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) {
    throw new TriageError(
      'USAGE',
      `--from ${JSON.stringify(from).slice(0, 80)} does not name a bucket: use s3://bucket/prefix`,
    );
  }
  return { kind: 's3', bucket, prefix: slash < 0 ? '' : rest.slice(slash + 1) };
}

/** What the client's ledger adds to the lineage: its collector credentials and its revocations. */
function ledgerChecks(
  ledger: readonly LedgerEntry[],
  state: ClientState,
): { collectors: CollectorCredential[]; revocations: Revocation[] } {
  const issued = ledger.flatMap((e) => (e.type === 'issue' && e.client === state.client ? [e] : []));
  const ids = new Set(issued.map((e) => e.id));
  const collectors = issued.map((e) => ({
    accessKeyId: e.accessKeyId,
    bucket: e.scope.bucket,
    prefix: e.scope.prefix,
  }));
  const revocations: Revocation[] = [];
  for (const e of ledger) {
    if (e.type !== 'revoke') continue;
    const mine =
      e.target === state.roleArn ||
      e.target === state.uploaderUserArn ||
      [...e.scope.entries, ...e.scope.collateral].some((id) => ids.has(id));
    if (!mine) continue;
    const at = new Date(e.at);
    revocations.push({ arn: e.target, at, issuedBefore: new Date(e.cutoff), label: e.id });
    for (const accessKeyId of e.deactivatedKeys?.accessKeyIds ?? [])
      revocations.push({ accessKeyId, at, label: e.id });
  }
  return { collectors, revocations };
}

async function readClientLedger(
  client: string,
  store: StateStore,
): Promise<{ state: ClientState; collectors: CollectorCredential[]; revocations: Revocation[] }> {
  const state = await store.load(client);
  const ledger = await readLedger(store.ledgerPath).catch((error: unknown) => {
    if (isTriageError(error, 'NOT_FOUND')) return [];
    throw error;
  });
  return { state, ...ledgerChecks(ledger, state) };
}

/** The part of the graph that is one chain's, for `--key`. */
function chainGraph(graph: LineageGraph, chain: Chain): LineageGraph {
  const keys = new Set(chain.keys.map((k) => k.accessKeyId));
  const has = (id: string | undefined) => id !== undefined && keys.has(id);
  return {
    ...graph,
    keys: graph.keys.filter((k) => keys.has(k.accessKeyId)),
    // The chain's minting calls, and the one that minted its root when its parent is outside the input.
    edges: graph.edges.filter((e) => has(e.childKey)),
    failedMints: graph.failedMints.filter((e) => has(e.parentKey)),
    roots: [chain.root],
    consoleLogins: [],
    revocationHits: graph.revocationHits.filter((h) => has(h.accessKeyId)),
    collectorViolations: graph.collectorViolations.filter((v) => has(v.credential.accessKeyId)),
  };
}

function touches(finding: Finding, keys: ReadonlySet<string>): boolean {
  return finding.keys.some((k) => keys.has(k));
}

function describeDiagnostic(d: TrailDiagnostic): string {
  const where = d.record === undefined ? d.file : `${d.file} record ${d.record}`;
  return `${where}: ${d.reason}`;
}

/** The IAM calls of `applyPlan` over the SDK client `deps.aws` built. */
function remediationIam(client: IAMClient): RemediationIam {
  return {
    updateAccessKey: (input) => client.send(new UpdateAccessKeyCommand(input)),
    putUserPolicy: (input) => client.send(new PutUserPolicyCommand(input)),
    putRolePolicy: (input) => client.send(new PutRolePolicyCommand(input)),
  };
}

function stepText(step: RemediationStep): string {
  switch (step.kind) {
    case 'deactivate-key':
      return `deactivate-key  ${step.accessKeyId ?? '?'} of user ${step.target}`;
    case 'put-user-policy':
      return `put-user-policy ${step.policyName ?? '?'} on user ${step.target} (cuts ${step.keys.join(', ')})`;
    default:
      return `put-role-policy ${step.policyName ?? '?'} on role ${step.target} (cuts ${step.keys.join(', ')})`;
  }
}

function doneText(step: RemediationStep): string {
  if (step.kind === 'deactivate-key') return `deactivated ${step.accessKeyId ?? '?'} of user ${step.target}`;
  const what = step.kind === 'put-user-policy' ? 'user' : 'role';
  return `attached ${step.policyName ?? '?'} to ${what} ${step.target}`;
}

function formatPlan(plan: RemediationPlan, keys: number, hint: string | undefined): string[] {
  const lines = [
    `plan for the chain of ${plan.root} (${keys} key${keys === 1 ? '' : 's'}): ${plan.proven ? 'proven' : 'NOT PROVEN'}, cut-off ${plan.cutoff}`,
  ];
  if (plan.steps.length === 0) lines.push('  no steps');
  plan.steps.forEach((step, i) => {
    lines.push(`  ${i + 1}. ${stepText(step)}`);
  });
  if (plan.proof.length > 0) {
    lines.push("  proof (evaluator, with an allow-everything stand-in for the principals' own policies):");
    const subject = Math.max(...plan.proof.map((r) => r.subject.length));
    const key = Math.max(5, ...plan.proof.map((r) => (r.accessKeyId ?? '').length));
    const principal = Math.max(...plan.proof.map((r) => r.principal.length));
    const action = Math.max(...plan.proof.map((r) => r.action.length));
    for (const r of plan.proof) {
      lines.push(
        `    ${r.subject.padEnd(subject)}  ${(r.accessKeyId ?? '(new)').padEnd(key)}  ${r.principal.padEnd(principal)}  ${r.action.padEnd(action)} → ${r.decision.padEnd(16)}  ${r.ok ? 'ok' : 'NOT OK'}`,
      );
    }
  }
  for (const u of plan.uncovered) lines.push(`  uncovered: ${u.accessKeyId}: ${u.reason}`);
  for (const m of plan.manual) lines.push(`  manual: ${m.accessKeyId}: ${m.reason}`);
  if (hint !== undefined) lines.push(`  ${hint}`);
  return lines;
}

function formatFinding(f: Finding): string[] {
  const techniques = f.techniques.map((t) => t.id).join(', ');
  return [
    `  ${f.severity.toUpperCase().padEnd(6)} ${f.rule} [${techniques}]: ${f.detail}`,
    `         evidence: ${f.evidence.length > 0 ? f.evidence.join(', ') : '(none)'}`,
  ];
}

/** The plan `--apply` is allowed to apply, or why not. */
function checkApplicable(plan: RemediationPlan): void {
  if (!plan.proven) {
    const failed = plan.proof.find((r) => !r.ok);
    const why =
      plan.uncovered[0] !== undefined
        ? `${plan.uncovered[0].accessKeyId}: ${plan.uncovered[0].reason}`
        : failed !== undefined
          ? `${failed.accessKeyId ?? failed.principal} would be ${failed.decision}`
          : 'a derived key is not covered';
    throw new TriageError(
      'USAGE',
      `--apply refused: the plan for the chain of ${plan.root} is not proven (${why}); nothing was changed`,
    );
  }
  if (plan.steps.length === 0) {
    throw new TriageError(
      'USAGE',
      `--apply: the plan for the chain of ${plan.root} has no steps (no long-term key or revocable token); nothing was changed`,
    );
  }
}

function confirmQuestion(plan: RemediationPlan): string {
  const keys = plan.steps.filter((s) => s.kind === 'deactivate-key');
  const denies = plan.steps.filter((s) => s.kind !== 'deactivate-key');
  const parts: string[] = [];
  if (keys.length > 0)
    parts.push(`deactivate ${keys.map((s) => `${s.accessKeyId} (user ${s.target})`).join(', ')}`);
  if (denies.length > 0) {
    const on = denies.map((s) => `${s.kind === 'put-user-policy' ? 'user' : 'role'} ${s.target}`);
    parts.push(
      `deny tokens issued before the cut-off (${plan.cutoff}, or the apply time if later) on ${on.join(', ')}`,
    );
  }
  return `type apply to ${parts.join(', then ')}: `;
}

/**
 * `triage-admin trail`: reads CloudTrail (a local file or folder, or an S3
 * prefix), prints the credential lineage, its findings and a proven
 * remediation plan per suspicious chain (or the `--key` chain), and with
 * `--apply` applies that chain's plan through IAM after confirmation. Writes
 * its own output, since the confirmation comes between the plan and the
 * changes.
 *
 * @throws TriageError `USAGE` (flags, an unproven plan, no confirmation), `NOT_FOUND` (the path, no
 *   trail files, the key, the client), `DATA_INVALID` (nothing readable), `ABORTED` (the answer was
 *   not "apply"), `CREDENTIALS_INVALID`, and S3 and IAM errors
 */
export async function trail(flags: TrailFlags, deps: Deps, store: StateStore): Promise<TrailOutcome> {
  if (flags.graph !== undefined && flags.graph !== 'dot' && flags.graph !== 'mermaid')
    throw new TriageError(
      'USAGE',
      `--graph ${JSON.stringify(flags.graph).slice(0, 30)}: give dot or mermaid`,
    );
  if (flags.graph !== undefined && flags.json)
    throw new TriageError('USAGE', '--graph and --json are two outputs: give one');
  if (flags.apply && flags.key === undefined)
    throw new TriageError('USAGE', '--apply needs --key to choose the chain');
  if (flags.apply && flags.graph !== undefined)
    throw new TriageError('USAGE', '--apply shows the plan it applies: leave out --graph');
  if (flags.yes && !flags.apply) throw new TriageError('USAGE', '--yes only goes with --apply');
  if (flags.key !== undefined && !ACCESS_KEY_ID.test(flags.key))
    throw new TriageError(
      'USAGE',
      '--key is not an access key id (AKIA…, ASIA…: 16–128 capitals and digits)',
    );
  const since = flagTime('--since', flags.since);
  const until = flagTime('--until', flags.until);
  if (since !== undefined && until !== undefined && since.getTime() >= until.getTime())
    throw new TriageError('USAGE', '--since must be before --until');
  const from = parseFrom(flags.from, deps.cwd);

  const ledger = flags.client === undefined ? undefined : await readClientLedger(flags.client, store);
  const endpoint = flags.endpoint ?? ledger?.state.endpoint;
  const target: ClientTarget = {
    region: flags.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    ...(endpoint ? { endpoint } : {}),
  };
  // Before a long read or any question: fail now when AWS will be needed and no credentials work.
  if (from.kind === 's3' || flags.apply) await adminIdentity(deps, target);

  const source: TrailSource =
    from.kind === 'local'
      ? localTrailSource(from.path)
      : s3TrailSource(createTransport({ bucket: from.bucket, client: deps.aws.s3(target) }), from.prefix);
  const result = await traceTrail(source, {
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
    ...(ledger ? { collectors: ledger.collectors, revocations: ledger.revocations } : {}),
    maxDiagnostics: KEPT_DIAGNOSTICS,
  });
  const where = from.kind === 'local' ? from.path : `s3://${from.bucket}/${from.prefix}`;
  if (result.files === 0) {
    throw new TriageError(
      'NOT_FOUND',
      `no CloudTrail files (.json, .json.gz, .jsonl, .ndjson, .gz) under ${where}; check --from`,
    );
  }
  const diagnostics = result.diagnostics;
  if (result.graph.events === 0 && result.diagnosticCount > 0) {
    throw new TriageError(
      'DATA_INVALID',
      `no event could be read from the ${result.files} file(s) under ${where}: ${result.diagnosticCount} problem(s), the first ${describeDiagnostic(diagnostics[0] as TrailDiagnostic)}`,
    );
  }

  // Scope: the --key tree, or everything.
  let graph = result.graph;
  let findings = result.findings;
  let chains: Chain[];
  if (flags.key !== undefined) {
    const chain = chainsOf(result.graph, flags.key)[0];
    if (chain === undefined) {
      throw new TriageError(
        'NOT_FOUND',
        `--key ${flags.key} does not appear in the ${result.graph.events} event(s) read; check the id, --since and --until`,
      );
    }
    graph = chainGraph(result.graph, chain);
    const keys = new Set(chain.keys.map((k) => k.accessKeyId));
    findings = findings.filter((f) => touches(f, keys));
    chains = [chain];
  } else {
    chains = chainsOf(result.graph).filter((c) => {
      const keys = new Set(c.keys.map((k) => k.accessKeyId));
      return findings.some((f) => f.severity !== 'low' && touches(f, keys));
    });
  }
  const plans = chains.map((chain) => ({
    chain,
    plan: planRemediation(result.graph, chain, { now: deps.now }),
  }));
  const count = (severity: Finding['severity']) => findings.filter((f) => f.severity === severity).length;
  const summary = { high: count('high'), medium: count('medium'), low: count('low') };

  if (flags.graph !== undefined) {
    deps.stdout.write(flags.graph === 'dot' ? lineageToDot(graph) : lineageToMermaid(graph));
    return { high: summary.high, applied: false };
  }

  if (!flags.json) {
    const lines = [
      `trail: ${result.files} file(s), ${result.graph.events} event(s), ${result.graph.keys.length} key(s)${result.graph.firstEvent ? `, ${result.graph.firstEvent} .. ${result.graph.lastEvent}` : ''}; ${result.diagnosticCount} diagnostic(s)`,
    ];
    for (const d of diagnostics.slice(0, SHOWN_DIAGNOSTICS))
      lines.push(`  diagnostic: ${describeDiagnostic(d)}`);
    if (result.diagnosticCount > SHOWN_DIAGNOSTICS)
      lines.push(
        `  … and ${result.diagnosticCount - SHOWN_DIAGNOSTICS} more (--json lists ${KEPT_DIAGNOSTICS})`,
      );
    lines.push('');
    const tree = formatLineageTree(graph, { skipQuiet: flags.key === undefined });
    const quiet =
      flags.key === undefined
        ? chainsOf(graph).filter((c) => {
            const root = c.keys[0];
            return c.edges.length === 0 && root !== undefined && root.s3.readCalls + root.s3.listCalls === 0;
          }).length
        : 0;
    lines.push(
      flags.key === undefined
        ? `lineage${quiet > 0 ? ` (${quiet} quiet key(s) not shown: they minted, listed and read nothing)` : ''}:`
        : `lineage of ${flags.key}:`,
    );
    lines.push(tree === '' ? '  (nothing to show)' : tree.replace(/\n$/, '').replace(/^(?=.)/gm, '  '));
    lines.push('');
    lines.push(
      findings.length === 0
        ? 'findings: none'
        : `findings: ${summary.high} high, ${summary.medium} medium, ${summary.low} low`,
    );
    for (const f of findings) lines.push(...formatFinding(f));
    for (const { chain, plan } of plans) {
      lines.push('');
      const hint =
        flags.apply || plan.steps.length === 0 || !plan.proven
          ? undefined
          : `to apply it: the same command with --key ${flags.key ?? plan.root} --apply`;
      lines.push(...formatPlan(plan, chain.keys.length, hint));
    }
    deps.stdout.write(`${lines.join('\n')}\n`);
  }

  let applied: ApplyPlanResult | undefined;
  try {
    const first = plans[0];
    if (flags.apply && first !== undefined) {
      const { plan } = first;
      checkApplicable(plan);
      if (!flags.yes) {
        if (deps.prompt === undefined)
          throw new TriageError(
            'USAGE',
            '--apply needs a terminal to confirm, or --yes; nothing was changed',
          );
        const answer = (await deps.prompt(confirmQuestion(plan))).trim();
        if (answer !== 'apply')
          throw new TriageError('ABORTED', 'not applied: the answer was not "apply"; nothing was changed');
      }
      applied = await applyPlan(plan, { iam: remediationIam(deps.aws.iam(target)), now: deps.now });
      if (!flags.json) {
        const lines = [
          '',
          `applied to the chain of ${plan.root}, cut-off ${applied.cutoff} (tokens of these users and roles issued before it are denied):`,
          ...applied.done.map((step) => `  ${doneText(step)}`),
        ];
        deps.stdout.write(`${lines.join('\n')}\n`);
      }
    }
  } finally {
    if (flags.json) {
      deps.stdout.write(
        `${JSON.stringify({
          from: where,
          key: flags.key ?? null,
          files: result.files,
          events: result.graph.events,
          keys: result.graph.keys.length,
          diagnosticCount: result.diagnosticCount,
          diagnostics,
          summary,
          graph,
          findings,
          plans: plans.map((p) => p.plan),
          applied: applied ?? null,
        })}\n`,
      );
    }
  }
  return { high: summary.high, applied: applied !== undefined };
}
