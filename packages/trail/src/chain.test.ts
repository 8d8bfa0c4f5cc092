/**
 * Acceptance 1 of the lineage issue: on a generated chain (AKIA →
 * GetSessionToken → AssumeRole → role chaining → S3 GetObject, in routine
 * noise) the whole tree, every ATT&CK step, and a remediation plan the
 * evaluator proves denies every derived token.
 */
import { evaluate, parsePolicy } from '@triage/iam-policy';
import { describe, expect, it } from 'vitest';
import { detectFindings } from './findings.js';
import { buildLineage, chainsOf, type LineageGraph } from './lineage.js';
import { normalizeRecord, type TrailEvent } from './reader.js';
import { planRemediation } from './remediation.js';
import { syntheticTrail } from './synthetic.js';

function events(records: Iterable<Record<string, unknown>>): TrailEvent[] {
  const out: TrailEvent[] = [];
  let i = 0;
  for (const record of records) {
    const event = normalizeRecord(record, 'synthetic.json', i++);
    if (typeof event === 'string') throw new Error(`record ${i}: ${event}`);
    out.push(event);
  }
  return out;
}

const PLAN_TIME = new Date('2026-11-03T09:00:00Z');

for (const redact of [false, true]) {
  describe(`a generated theft chain in noise${redact ? ', the chained AssumeRole without credentials in its response' : ''}`, () => {
    const trail = syntheticTrail({
      noise: 3000,
      seed: 42,
      sessionEvery: 100,
      redactChainedCredentials: redact,
    });
    const { attack } = trail;
    let graph: LineageGraph;

    it('builds the whole tree: AKIA → session token → role → chained role', async () => {
      graph = await buildLineage(events(trail.records()));
      const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
      const [chain, ...others] = chainsOf(graph, attack.chainedRoleKey);
      expect(others).toEqual([]);
      expect(chain?.root).toBe(attack.longTermKey);
      expect(chain?.keys.map((k) => k.accessKeyId)).toEqual([
        attack.longTermKey,
        attack.sessionTokenKey,
        attack.roleKey,
        attack.chainedRoleKey,
      ]);
      expect(chain?.edges.map((e) => [e.kind, e.parentKey, e.childKey, e.eventId])).toEqual([
        ['GetSessionToken', attack.longTermKey, attack.sessionTokenKey, attack.eventIds.getSessionToken],
        ['AssumeRole', attack.sessionTokenKey, attack.roleKey, attack.eventIds.assumeRole],
        ['AssumeRole', attack.roleKey, attack.chainedRoleKey, attack.eventIds.chainedAssumeRole],
      ]);
      const chained = chain?.edges[2];
      expect(chained?.joinedBy).toBe(redact ? 'creationDate' : 'accessKeyId');
      expect(chained?.roleArn).toBe(attack.chainedRoleArn);

      const token = byKey.get(attack.sessionTokenKey);
      expect(token?.origin).toBe('minted');
      expect(token?.sourceIps.map((u) => u.ip)).toEqual([attack.useIp]);
      const reader = byKey.get(attack.chainedRoleKey);
      expect(reader?.principalArn).toContain(':assumed-role/data-reader/sync');
      expect(reader?.s3.read.map((o) => o.key).sort()).toEqual([...attack.objects].sort());
      expect(reader?.s3.bytesOut).toBe(attack.bytesRead);
      expect(reader?.s3.listed).toEqual([{ bucket: attack.bucket, prefix: 'reports/', count: 2 }]);
      expect(reader?.s3.evidence.read).toEqual(attack.eventIds.getObject);
      expect(graph.failedMints.map((e) => [e.eventId, e.roleArn, e.errorCode])).toContainEqual([
        attack.eventIds.deniedAssumeRole,
        attack.deniedRoleArn,
        'AccessDenied',
      ]);
    });

    it('recognises the routine sessions: nothing in the noise is an orphan', () => {
      const origins = new Set(graph.keys.map((k) => k.origin));
      expect(origins).toEqual(new Set(['long-term', 'minted', 'service', 'console', 'instance-profile']));
      expect(graph.keys.filter((k) => k.origin === 'orphan')).toEqual([]);
      expect(graph.consoleLogins.length).toBeGreaterThan(0);
      expect(graph.unattributed).toBeGreaterThan(0);
    });

    it('reports every ATT&CK step of the chain with its evidence', () => {
      const findings = detectFindings(graph);
      const mine = findings.filter((f) =>
        f.keys.some((k) =>
          [attack.longTermKey, attack.sessionTokenKey, attack.roleKey, attack.chainedRoleKey].includes(k),
        ),
      );
      const steps = mine.map((f) => [f.rule, f.techniques.map((t) => t.id).join(' '), f.evidence[0]]);
      expect(steps).toEqual(
        expect.arrayContaining([
          ['session-token-from-long-term-key', 'T1550.001 T1098.001', attack.eventIds.getSessionToken],
          ['minted-key-other-address', 'T1550.001 T1078.004', attack.eventIds.getSessionToken],
          ['assume-role-by-user', 'T1548.005 T1078.004', attack.eventIds.assumeRole],
          ['role-chaining', 'T1548.005 T1078.004', attack.eventIds.chainedAssumeRole],
          ['assume-role-denied', 'T1548.005', attack.eventIds.deniedAssumeRole],
          ['s3-listing-by-derived-key', 'T1619', attack.eventIds.listObjects[0]],
          ['s3-read-by-derived-key', 'T1530', attack.eventIds.getObject[0]],
        ]),
      );
      // The S3 findings name the whole ancestry of the key that read, acting key first.
      const read = mine.find((f) => f.rule === 's3-read-by-derived-key');
      expect(read?.keys).toEqual([
        attack.chainedRoleKey,
        attack.roleKey,
        attack.sessionTokenKey,
        attack.longTermKey,
      ]);
      // Routine sessions are not called derived-key reads.
      const noiseReads = findings.filter((f) => f.rule === 's3-read-by-derived-key' && !mine.includes(f));
      expect(noiseReads).toEqual([]);
      // Most severe first.
      const ranks = findings.map((f) => ({ high: 0, medium: 1, low: 2 })[f.severity]);
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    });

    it('plans a remediation the evaluator proves denies every derived token', () => {
      const [chain] = chainsOf(graph, attack.chainedRoleKey);
      if (chain === undefined) throw new Error('no chain');
      const plan = planRemediation(graph, chain, { now: () => PLAN_TIME });
      expect(plan.proven).toBe(true);
      expect(plan.uncovered).toEqual([]);
      expect(plan.manual).toEqual([]);
      expect(plan.steps.map((s) => [s.kind, s.target, s.keys])).toEqual([
        ['deactivate-key', attack.userName, [attack.longTermKey]],
        ['put-user-policy', attack.userName, [attack.sessionTokenKey]],
        ['put-role-policy', 'ops-admin', [attack.roleKey]],
        ['put-role-policy', 'data-reader', [attack.chainedRoleKey]],
      ]);
      const derived = plan.proof.filter((r) => r.subject === 'derived');
      expect(new Set(derived.map((r) => r.accessKeyId))).toEqual(
        new Set([attack.sessionTokenKey, attack.roleKey, attack.chainedRoleKey]),
      );
      for (const row of derived) {
        expect(row.withoutRevocation).toBe('Allowed');
        expect(row.decision).toBe('ExplicitlyDenied');
      }
      // A token minted after the cut-off is not caught by the deny.
      const fresh = plan.proof.filter((r) => r.subject === 'new-token');
      expect(fresh).toHaveLength(3);
      expect(fresh.every((r) => r.decision === 'Allowed')).toBe(true);

      // Checked again from the documents themselves, outside the planner.
      for (const step of plan.steps.filter((s) => s.policyDocument !== undefined)) {
        const deny = parsePolicy(step.policyDocument, 'deny');
        for (const key of step.keys) {
          const mint = chain.edges.find((e) => e.childKey === key);
          const issued = new Date(Date.parse(mint?.eventTime ?? '') + 999).toISOString();
          const decision = evaluate(
            {
              principal: { arn: `arn:aws:sts::${attack.account}:assumed-role/x/y`, account: attack.account },
              action: 's3:GetObject',
              resource: `arn:aws:s3:::${attack.bucket}/${attack.objects[0]}`,
              context: { 'aws:TokenIssueTime': issued },
            },
            { identity: [deny] },
          ).decision;
          expect(decision, key).toBe('ExplicitlyDenied');
        }
      }
    });

    it('does not prove a plan whose cut-off is before a derived token was minted', () => {
      const [chain] = chainsOf(graph, attack.chainedRoleKey);
      if (chain === undefined) throw new Error('no chain');
      const early = new Date(Date.parse(attack.times.assumeRole) - 1000);
      const plan = planRemediation(graph, chain, { now: () => PLAN_TIME, cutoff: early });
      expect(plan.proven).toBe(false);
      const missed = plan.proof.filter((r) => !r.ok).map((r) => r.accessKeyId);
      expect(new Set(missed)).toEqual(new Set([attack.roleKey, attack.chainedRoleKey]));
    });
  });
}

describe('syntheticTrail', () => {
  it('is deterministic for a seed and different for another', () => {
    const a = JSON.stringify([...syntheticTrail({ noise: 300, seed: 3 }).records()]);
    const b = JSON.stringify([...syntheticTrail({ noise: 300, seed: 3 }).records()]);
    const c = JSON.stringify([...syntheticTrail({ noise: 300, seed: 4 }).records()]);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('yields records in time order, and every key says EXAMPLE', () => {
    const records = [...syntheticTrail({ noise: 2000, seed: 9 }).records()];
    const times = records.map((r) => Date.parse(r.eventTime as string));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const keys = JSON.stringify(records).match(/A[SK]IA[A-Z0-9]{16}/g) ?? [];
    expect(keys.length).toBeGreaterThan(100);
    expect(keys.filter((k) => !k.includes('EXAMPLE'))).toEqual([]);
  });
});
