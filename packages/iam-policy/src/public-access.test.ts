/** Public-access analysis against test-fixtures/iam/public-access.json, and the evidence bucket policy. */
import { readFileSync } from 'node:fs';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { evidenceBucketPolicy } from './builders.js';
import { parsePolicy } from './policy.js';
import { type AclGrant, analysePublicAccess } from './public-access.js';

interface Case {
  name: string;
  public: boolean;
  policy?: unknown;
  acl?: AclGrant[];
}

const { cases } = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/iam/public-access.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

describe('analysePublicAccess: test-fixtures/iam/public-access.json', () => {
  it.each(cases)('$name', (c) => {
    const report = analysePublicAccess({
      ...(c.policy !== undefined ? { policy: c.policy } : {}),
      ...(c.acl ? { acl: c.acl } : {}),
    });
    expect(report.public).toBe(c.public);
    expect(report.findings.length > 0).toBe(c.public);
  });

  it('has public and non-public cases for both policies and ACLs', () => {
    for (const kind of ['policy', 'acl'] as const) {
      const mine = cases.filter((c) => c[kind] !== undefined);
      expect(new Set(mine.map((c) => c.public))).toEqual(new Set([true, false]));
    }
  });
});

describe('analysePublicAccess', () => {
  it('names the public statement and accepts a parsed policy', () => {
    const policy = parsePolicy(
      {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111122223333:root' },
            Action: 's3:*',
            Resource: '*',
          },
          { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' },
        ],
      },
      'bucket',
    );
    expect(analysePublicAccess({ policy }).findings).toEqual([
      expect.objectContaining({ source: 'policy', where: 'bucket#1' }),
    ]);
  });

  it('the evidence bucket policy builder is not public', () => {
    const policy = evidenceBucketPolicy('evidence', ['arn:aws:iam::111122223333:user/uploader']);
    expect(analysePublicAccess({ policy })).toEqual({ public: false, findings: [] });
  });

  it('refuses a document that does not parse', () => {
    let caught: unknown;
    try {
      analysePublicAccess({ policy: { Statement: [{ Effect: 'Allow' }] } });
    } catch (error) {
      caught = error;
    }
    expect(isTriageError(caught, 'POLICY_INVALID')).toBe(true);
  });
});
