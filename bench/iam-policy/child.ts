/**
 * The measuring process of bench/iam-policy (see index.ts): plain `node` on
 * the built packages, so neither side pays for a TypeScript loader.
 *
 * Policy evaluations per second over the corpus (test-fixtures/iam/corpus.json),
 * beside @cloud-copilot/iam-simulate on the same cases in the same run.
 *
 * Target (issue 5): ≥ 10× the peer's evaluations per second.
 *
 * What is compared: one evaluation = one corpus case from its raw JSON
 * policies to a decision. Ours parses the policies (`parsePolicy`) and calls
 * `evaluate`; the peer's `runUnsafeSimulation` takes the same raw JSON and
 * skips its input validation (its fastest entry point). Both also run in two
 * other modes, printed for context: ours on policies parsed once in advance,
 * and the peer's validating `runSimulation`.
 *
 * Only cases the peer can express and run are timed, the same set for both.
 * The peer's disagreements with the corpus are counted and printed, so a fast
 * wrong answer is visible; they are still timed.
 *
 * Method: rounds are interleaved (one round = every mode once over the case
 * set, repeated to a fixed count), after an untimed warm-up round; each mode
 * keeps its best round.
 *
 * @cloud-copilot/iam-simulate is AGPL-3.0: it is a devDependency used by this
 * bench only and never shipped or imported by a package.
 */
import { readFileSync } from 'node:fs';
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import {
  type Decision,
  type EvaluationRequest,
  evaluate,
  type PolicySet,
  parsePolicySet,
  type RawPolicySet,
} from '@triage/iam-policy';
import type { BenchResult } from '../run.ts';

interface Case {
  name: string;
  policies: RawPolicySet;
  request: EvaluationRequest;
  expected: Decision;
}

/** One statement list from several documents (the peer takes one resource and one session policy). */
function merged(docs: readonly unknown[]): unknown {
  const statements = docs.flatMap((doc) => {
    const s = (doc as { Statement: unknown }).Statement;
    return Array.isArray(s) ? s : [s];
  });
  return { Version: '2012-10-17', Statement: statements };
}

function peer(c: Case): Simulation {
  const p = c.policies;
  const context: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(c.request.context ?? {})) {
    if (value !== undefined) context[key] = typeof value === 'string' ? value : [...value];
  }
  const org = (levels: readonly (readonly unknown[])[] | undefined, kind: string) =>
    (levels ?? []).map((level, i) => ({
      orgIdentifier: `${kind}-level-${i}`,
      policies: level.map((policy, j) => ({ name: `${kind}-${i}-${j}`, policy })),
    }));
  return {
    request: {
      principal: c.request.principal.arn,
      action: c.request.action,
      resource: {
        resource: c.request.resource,
        accountId: c.request.resourceAccount ?? c.request.principal.account,
      },
      contextVariables: context,
    },
    identityPolicies: (p.identity ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: org(p.scps, 'scp'),
    resourceControlPolicies: org(p.rcps, 'rcp'),
    ...(p.resource ? { resourcePolicy: merged(p.resource) } : {}),
    ...(p.session ? { sessionPolicy: merged(p.session) } : {}),
    ...(p.boundary
      ? { permissionBoundaryPolicies: p.boundary.map((policy, i) => ({ name: `boundary-${i}`, policy })) }
      : {}),
  };
}

function peerUnsafe(simulation: Simulation): Decision {
  return runUnsafeSimulation(simulation, { simulationMode: 'Strict' });
}

async function run(quick: boolean, log: (line: string) => void): Promise<BenchResult> {
  const { cases } = JSON.parse(
    // run with the repository root as the working directory (index.ts does)
    readFileSync('test-fixtures/iam/corpus.json', 'utf8'),
  ) as { cases: Case[] };

  // Which cases can the peer run at all, and does it agree with the corpus?
  const usable: { c: Case; simulation: Simulation; parsed: PolicySet }[] = [];
  let peerFailed = 0;
  let peerDisagrees = 0;
  const disagreements: string[] = [];
  let ourDisagrees = 0;
  for (const c of cases) {
    const simulation = peer(c);
    let answer: Decision;
    try {
      answer = peerUnsafe(simulation);
    } catch {
      peerFailed++;
      continue;
    }
    if (answer !== c.expected) {
      peerDisagrees++;
      disagreements.push(`${c.name}: corpus ${c.expected}, peer ${answer}`);
    }
    const parsed = parsePolicySet(c.policies);
    if (evaluate(c.request, parsed).decision !== c.expected) ourDisagrees++;
    usable.push({ c, simulation, parsed });
  }
  log(
    `iam-policy bench: ${usable.length} of ${cases.length} corpus cases run on both (peer could not run ${peerFailed}); ` +
      `disagreements with the corpus: ours ${ourDisagrees}, peer ${peerDisagrees} (node ${process.version})`,
  );

  for (const line of disagreements) log(`  peer disagrees: ${line}`);

  const repeat = quick ? 100 : 500;
  const rounds = quick ? 3 : 7;
  const modes = [
    {
      name: 'triage parse+evaluate',
      once: () => {
        for (const u of usable) evaluate(u.c.request, parsePolicySet(u.c.policies));
      },
    },
    {
      name: 'iam-simulate runUnsafeSimulation',
      once: () => {
        for (const u of usable) peerUnsafe(u.simulation);
      },
    },
    {
      name: 'triage evaluate (pre-parsed)',
      once: () => {
        for (const u of usable) evaluate(u.c.request, u.parsed);
      },
    },
    {
      name: 'iam-simulate runSimulation (validating)',
      once: async () => {
        for (const u of usable) await runSimulation(u.simulation, { simulationMode: 'Strict' });
      },
      // validation is slow: fewer repetitions keep --quick under a minute
      scale: 0.05,
    },
  ].map((m) => ({ ...m, best: 0 }));

  for (let round = 0; round <= rounds; round++) {
    for (const mode of modes) {
      const times = Math.max(1, Math.round(repeat * (mode.scale ?? 1)));
      const start = process.hrtime.bigint();
      for (let i = 0; i < times; i++) await mode.once();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (round > 0) mode.best = Math.max(mode.best, (times * usable.length) / seconds);
    }
  }
  for (const mode of modes)
    log(`  ${mode.name.padEnd(42)} ${Math.round(mode.best).toLocaleString('en')} evaluations/s`);

  const [mine, theirs] = modes as [(typeof modes)[number], (typeof modes)[number]];
  const ratio = mine.best / theirs.best;
  return {
    bench: 'iam-policy',
    metric: 'evaluations per second, corpus cases from raw JSON',
    value: Math.round(mine.best),
    unit: 'evaluations/s',
    peer: '@cloud-copilot/iam-simulate runUnsafeSimulation',
    peerValue: Math.round(theirs.best),
    ratio: Number(ratio.toFixed(2)),
    target: '>= 10x',
    met: ratio >= 10,
  };
}

const result = await run(process.argv.includes('--quick'), (line) => process.stdout.write(`${line}\n`));
process.stdout.write(`${JSON.stringify(result)}\n`);
