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

/**
 * Every condition operator in the IAM User Guide's condition operator
 * reference (reference_policies_elements_condition_operators.html), each
 * also with IfExists, plus Null and the set operators of
 * reference_policies_condition-single-vs-multi-valued-context-keys.html.
 */
const BASE_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringEqualsIgnoreCase',
  'StringNotEqualsIgnoreCase',
  'StringLike',
  'StringNotLike',
  'NumericEquals',
  'NumericNotEquals',
  'NumericLessThan',
  'NumericLessThanEquals',
  'NumericGreaterThan',
  'NumericGreaterThanEquals',
  'DateEquals',
  'DateNotEquals',
  'DateLessThan',
  'DateLessThanEquals',
  'DateGreaterThan',
  'DateGreaterThanEquals',
  'Bool',
  'BinaryEquals',
  'IpAddress',
  'NotIpAddress',
  'ArnEquals',
  'ArnLike',
  'ArnNotEquals',
  'ArnNotLike',
];
const DOCUMENTED_OPERATORS = [
  ...BASE_OPERATORS,
  ...BASE_OPERATORS.map((op) => `${op}IfExists`),
  'Null',
  ...['ForAllValues:', 'ForAnyValue:'].flatMap((q) =>
    ['StringEquals', 'StringEqualsIgnoreCase', 'StringLike', 'StringNotEquals', 'StringNotLike'].map(
      (op) => q + op,
    ),
  ),
];

type Outcome = 'Allowed' | 'denied';

/**
 * For each operator a case's policies use, and whether the request carries
 * the key it tests, the outcomes the corpus expects: read from the policy
 * documents themselves, not from the case names.
 */
function outcomesByOperatorAndKey(cases: readonly Case[]): Map<string, Set<Outcome>> {
  const seen = new Map<string, Set<Outcome>>();
  for (const c of cases) {
    const present = new Set(Object.keys(c.request.context ?? {}).map((k) => k.toLowerCase()));
    const outcome: Outcome = c.expected === 'Allowed' ? 'Allowed' : 'denied';
    const docs = Object.values(c.policies as Record<string, unknown>).flatMap((v) =>
      Array.isArray(v) ? v : [v],
    ) as { Statement?: unknown }[];
    for (const doc of docs) {
      const statements = [doc?.Statement ?? []].flat() as {
        Condition?: Record<string, Record<string, unknown>>;
      }[];
      for (const st of statements) {
        for (const [op, block] of Object.entries(st?.Condition ?? {})) {
          for (const key of Object.keys(block)) {
            const label = `${op} (key ${present.has(key.toLowerCase()) ? 'present' : 'missing'})`;
            seen.set(label, (seen.get(label) ?? new Set()).add(outcome));
          }
        }
      }
    }
  }
  return seen;
}

describe('IAM corpus', () => {
  it('has an Allowed and a denied case for every documented operator, with the key present and missing', () => {
    const seen = outcomesByOperatorAndKey(corpus.cases);
    const lacking: string[] = [];
    for (const op of DOCUMENTED_OPERATORS) {
      for (const key of ['present', 'missing']) {
        const label = `${op} (key ${key})`;
        const outcomes = seen.get(label);
        if (!outcomes || outcomes.size < 2)
          lacking.push(`${label}: ${[...(outcomes ?? [])].join(', ') || 'no case'}`);
      }
    }
    expect(lacking).toEqual([]);
    expect(corpus.cases.length).toBeGreaterThanOrEqual(300);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = evaluate(c.request, parsePolicySet(c.policies));
    expect(result.decision, `${c.source}\n${result.reason}`).toBe(c.expected);
  });
});
