/**
 * The corpus in test-fixtures/iam/corpus.json: each case a policy set, a
 * request and the decision the IAM User Guide section it names predicts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Decision, type EvaluationRequest, evaluate, type PolicySet } from './evaluate.js';
import { type Policy, parsePolicy } from './policy.js';

interface Case {
  name: string;
  source: string;
  policies: Record<string, unknown>;
  request: EvaluationRequest;
  expected: Decision;
}

const corpus = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/iam/corpus.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

function policySet(raw: Record<string, unknown>): PolicySet {
  const parse = (docs: unknown[], kind: string) => docs.map((doc, i) => parsePolicy(doc, `${kind}[${i}]`));
  const set: Record<string, Policy[] | Policy[][]> = {};
  for (const [kind, docs] of Object.entries(raw)) {
    set[kind] =
      kind === 'scps' || kind === 'rcps'
        ? (docs as unknown[][]).map((level, i) => parse(level, `${kind}${i}`))
        : parse(docs as unknown[], kind);
  }
  return set as PolicySet;
}

describe('IAM corpus', () => {
  it('has both outcomes for every operator it covers', () => {
    const byOperator = new Map<string, Set<Decision>>();
    for (const c of corpus.cases) {
      const op = /^(\S+) /.exec(c.name)?.[1];
      if (op && /^(For|String|Numeric|Date|Bool|Binary|Ip|NotIp|Arn|Null)/.test(op)) {
        byOperator.set(op, (byOperator.get(op) ?? new Set()).add(c.expected));
      }
    }
    expect(byOperator.size).toBeGreaterThanOrEqual(40);
    for (const [op, outcomes] of byOperator) expect(outcomes.size, op).toBeGreaterThanOrEqual(2);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = evaluate(c.request, policySet(c.policies));
    expect(result.decision, `${c.source}\n${result.reason}`).toBe(c.expected);
  });
});
