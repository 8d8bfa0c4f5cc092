/**
 * The linter against the cases in test-fixtures/iam/lint.json (exact rule
 * sets, clean policies included), plus the builders, which must lint clean
 * apart from what is documented below.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  evidenceBucketPolicy,
  revokeTokensIssuedBefore,
  uploaderIdentityPolicy,
  uploadSessionPolicy,
} from './builders.js';
import { LINT_RULES, type LintRuleId, lintPolicy } from './lint.js';

interface Case {
  name: string;
  policy: unknown;
  expect: LintRuleId[];
}

const { cases } = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/iam/lint.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

describe('lintPolicy: test-fixtures/iam/lint.json', () => {
  it.each(cases)('$name', ({ policy, expect: expected }) => {
    const ids = [...new Set(lintPolicy(policy).map((f) => f.ruleId))].sort();
    expect(ids).toEqual([...expected].sort());
  });

  it('every rule is exercised by at least one case, and some cases are clean', () => {
    const exercised = new Set(cases.flatMap((c) => c.expect));
    expect(Object.keys(LINT_RULES).filter((id) => !exercised.has(id as LintRuleId))).toEqual([]);
    expect(cases.filter((c) => c.expect.length === 0).length).toBeGreaterThanOrEqual(5);
  });
});

describe('lintPolicy: findings', () => {
  it('names the typo, suggests the operator and points at the JSON path', () => {
    const findings = lintPolicy(JSON.stringify(cases[0]?.policy));
    expect(findings.find((f) => f.ruleId === 'unknown-operator')).toEqual({
      ruleId: 'unknown-operator',
      severity: 'error',
      path: '$.Statement[0].Condition.BookIfExists',
      message: expect.stringContaining('did you mean "BoolIfExists"'),
    });
    expect(findings.find((f) => f.ruleId === 'mfa-if-exists-allow')?.path).toBe(
      '$.Statement[0].Condition.BoolIfExists.aws:MultiFactorAuthPresent',
    );
  });

  it('keeps a set prefix when suggesting', () => {
    const [finding] = lintPolicy({
      Version: '2012-10-17',
      Statement: {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { 'ForAnyValue:StringLik': { 'aws:TagKeys': 'x' } },
      },
    });
    expect(finding?.path).toBe('$.Statement.Condition.ForAnyValue:StringLik');
    expect(finding?.message).toContain('"ForAnyValue:StringLike"');
  });

  it('reports a structural error with its path instead of throwing', () => {
    expect(lintPolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Permit', Action: '*' }] })).toEqual([
      expect.objectContaining({ ruleId: 'invalid-policy', path: '$.Statement[0].Effect' }),
    ]);
  });

  it('the kind option turns the bucket-policy rules on for a policy without principals', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 's3:DeleteObject', Resource: '*' }],
    };
    expect(lintPolicy(policy)).toEqual([]);
    expect(lintPolicy(policy, { kind: 'resource' }).map((f) => f.ruleId)).toEqual([
      'no-secure-transport-deny',
    ]);
  });
});

describe('lintPolicy: the builders', () => {
  const uploader = 'arn:aws:iam::111122223333:user/uploader';
  it('bucket policy and revocation policy lint clean', () => {
    expect(lintPolicy(evidenceBucketPolicy('evidence', [uploader]))).toEqual([]);
    expect(lintPolicy(revokeTokensIssuedBefore(new Date('2026-11-23T12:00:00Z')))).toEqual([]);
  });

  it('uploader and session policies: only upload-can-overwrite (no-overwrite is enforced by the client, not yet by policy)', () => {
    for (const policy of [
      uploaderIdentityPolicy('evidence', 'case-1'),
      uploadSessionPolicy('evidence', 'case-1', 'host-1'),
    ]) {
      expect(lintPolicy(policy).map((f) => f.ruleId)).toEqual(['upload-can-overwrite']);
    }
  });
});
