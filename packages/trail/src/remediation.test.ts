/**
 * planRemediation's coverage rules and applyPlan's order, cut-off and error
 * translation. The IAM here is a recorder (logic only); applying to a real
 * IAM API is tested against moto in apps/admin (trail.integ.test.ts).
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { buildLineage, chainsOf, type LineageGraph } from './lineage.js';
import { normalizeRecord, type TrailEvent } from './reader.js';
import { applyPlan, planRemediation, type RemediationIam } from './remediation.js';
import { syntheticTrail } from './synthetic.js';

const PLAN_TIME = new Date('2026-11-03T09:00:00Z');

async function syntheticGraph(): Promise<{
  graph: LineageGraph;
  key: string;
  attack: ReturnType<typeof syntheticTrail>['attack'];
}> {
  const trail = syntheticTrail({ noise: 100, seed: 5 });
  const events: TrailEvent[] = [];
  let i = 0;
  for (const r of trail.records()) {
    const e = normalizeRecord(r, 'synthetic', i++);
    if (typeof e !== 'string') events.push(e);
  }
  return { graph: await buildLineage(events), key: trail.attack.chainedRoleKey, attack: trail.attack };
}

function recorder(fail?: {
  at: number;
  name: string;
}): RemediationIam & { calls: string[]; documents: string[] } {
  const calls: string[] = [];
  const documents: string[] = [];
  const step = (text: string) => {
    if (fail !== undefined && calls.length === fail.at) {
      throw Object.assign(new Error('refused'), { name: fail.name });
    }
    calls.push(text);
  };
  return {
    calls,
    documents,
    async updateAccessKey(input) {
      step(`updateAccessKey ${input.UserName} ${input.AccessKeyId} ${input.Status}`);
    },
    async putUserPolicy(input) {
      step(`putUserPolicy ${input.UserName} ${input.PolicyName}`);
      documents.push(input.PolicyDocument);
    },
    async putRolePolicy(input) {
      step(`putRolePolicy ${input.RoleName} ${input.PolicyName}`);
      documents.push(input.PolicyDocument);
    },
  };
}

describe('applyPlan', () => {
  it('deactivates the long-term key first, then attaches the denies with the cut-off moved to the apply time', async () => {
    const { graph, key, attack } = await syntheticGraph();
    const [chain] = chainsOf(graph, key);
    if (chain === undefined) throw new Error('no chain');
    const plan = planRemediation(graph, chain, { now: () => PLAN_TIME });
    const iam = recorder();
    const applied = new Date('2026-11-03T09:07:30Z');
    const result = await applyPlan(plan, { iam, now: () => applied });
    expect(result.cutoff).toBe(applied.toISOString());
    expect(iam.calls).toEqual([
      `updateAccessKey ${attack.userName} ${attack.longTermKey} Inactive`,
      `putUserPolicy ${attack.userName} triage-trail-revoke-20261103T090730Z`,
      'putRolePolicy ops-admin triage-trail-revoke-20261103T090730Z',
      'putRolePolicy data-reader triage-trail-revoke-20261103T090730Z',
    ]);
    for (const text of iam.documents) {
      const doc = JSON.parse(text) as { Statement: { Effect: string; Condition: unknown }[] };
      expect(doc.Statement[0]?.Effect).toBe('Deny');
      expect(doc.Statement[0]?.Condition).toEqual({
        DateLessThan: { 'aws:TokenIssueTime': applied.toISOString() },
      });
    }
    expect(result.done.map((s) => s.policyName ?? s.accessKeyId)).toEqual([
      attack.longTermKey,
      'triage-trail-revoke-20261103T090730Z',
      'triage-trail-revoke-20261103T090730Z',
      'triage-trail-revoke-20261103T090730Z',
    ]);
  });

  it('keeps the plan’s cut-off when the clock is behind it', async () => {
    const { graph, key } = await syntheticGraph();
    const [chain] = chainsOf(graph, key);
    if (chain === undefined) throw new Error('no chain');
    const plan = planRemediation(graph, chain, { now: () => PLAN_TIME });
    const result = await applyPlan(plan, { iam: recorder(), now: () => new Date('2026-11-03T08:00:00Z') });
    expect(result.cutoff).toBe(PLAN_TIME.toISOString());
  });

  it('refuses an unproven plan unless forced, and a plan with no steps', async () => {
    const { graph, key, attack } = await syntheticGraph();
    const [chain] = chainsOf(graph, key);
    if (chain === undefined) throw new Error('no chain');
    const early = planRemediation(graph, chain, {
      now: () => PLAN_TIME,
      cutoff: new Date(Date.parse(attack.times.assumeRole) - 1000),
    });
    expect(early.proven).toBe(false);
    const iam = recorder();
    const error = await applyPlan(early, { iam }).catch((e: unknown) => e);
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(iam.calls).toEqual([]);

    const single = chainsOf(graph).find((c) => c.edges.length === 0 && c.keys[0]?.kind === 'temporary');
    if (single === undefined) throw new Error('no single-key chain');
    const empty = { ...planRemediation(graph, single, { now: () => PLAN_TIME }), steps: [], proven: true };
    expect(isTriageError(await applyPlan(empty, { iam }).catch((e: unknown) => e), 'INVALID_ARGUMENT')).toBe(
      true,
    );
  });

  it('translates an IAM refusal into one line that says how far it got', async () => {
    const { graph, key } = await syntheticGraph();
    const [chain] = chainsOf(graph, key);
    if (chain === undefined) throw new Error('no chain');
    const plan = planRemediation(graph, chain, { now: () => PLAN_TIME });
    const error = await applyPlan(plan, {
      iam: recorder({ at: 2, name: 'NoSuchEntity' }),
      now: () => PLAN_TIME,
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe(
      'IAM refused put-role-policy on ops-admin (NoSuchEntity); 2 of 4 steps were done, fix and apply again.',
    );
    const throttled = await applyPlan(plan, { iam: recorder({ at: 0, name: 'Throttling' }) }).catch(
      (e: unknown) => e,
    );
    expect(isTriageError(throttled, 'THROTTLED')).toBe(true);
  });
});

describe('planRemediation', () => {
  it('leaves a root key to be handled by hand, and says so', async () => {
    const events = [
      {
        eventID: 'root-1',
        eventTime: '2026-01-01T10:00:00Z',
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetSessionToken',
        userIdentity: {
          type: 'Root',
          arn: 'arn:aws:iam::111122223333:root',
          accountId: '111122223333',
          accessKeyId: 'AKIAEXAMPLEROOT00001',
        },
        sourceIPAddress: '198.51.100.1',
        responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEROOT00001' } },
      },
      {
        eventID: 'root-2',
        eventTime: '2026-01-01T10:01:00Z',
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        userIdentity: {
          type: 'Root',
          arn: 'arn:aws:iam::111122223333:root',
          accountId: '111122223333',
          accessKeyId: 'ASIAEXAMPLEROOT00001',
          sessionContext: { attributes: { creationDate: '2026-01-01T10:00:00Z' } },
        },
        sourceIPAddress: '198.51.100.1',
      },
    ].map((r, i) => normalizeRecord(r, 'root', i) as TrailEvent);
    const graph = await buildLineage(events);
    const [chain] = chainsOf(graph);
    if (chain === undefined) throw new Error('no chain');
    const plan = planRemediation(graph, chain, { now: () => PLAN_TIME });
    expect(plan.manual.map((m) => m.accessKeyId)).toEqual(['AKIAEXAMPLEROOT00001']);
    expect(plan.manual[0]?.reason).toMatch(/root/);
    // A root session token cannot be cut by a policy on a user or role.
    expect(plan.uncovered.map((u) => u.accessKeyId)).toEqual(['ASIAEXAMPLEROOT00001']);
    expect(plan.uncovered[0]?.reason).toMatch(/account root.*SCP/);
    expect(plan.proven).toBe(false);
  });

  it('refuses a cut-off that is not a date', async () => {
    const { graph, key } = await syntheticGraph();
    const [chain] = chainsOf(graph, key);
    if (chain === undefined) throw new Error('no chain');
    expect(() => planRemediation(graph, chain, { cutoff: new Date('nope') })).toThrow(/not a valid date/);
  });
});
