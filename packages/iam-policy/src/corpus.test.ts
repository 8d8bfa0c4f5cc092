/**
 * The corpus in test-fixtures/iam/corpus.json: each case a policy set, a
 * request and the decision the IAM User Guide section it names predicts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type Decision,
  type EvaluationRequest,
  evaluate,
  parsePolicySet,
  type RawPolicySet,
} from './evaluate.js';

interface Case {
  name: string;
  source: string;
  policies: RawPolicySet;
  request: EvaluationRequest;
  expected: Decision;
}

const corpus = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/iam/corpus.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
};

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
    const result = evaluate(c.request, parsePolicySet(c.policies));
    expect(result.decision, `${c.source}\n${result.reason}`).toBe(c.expected);
  });
});
