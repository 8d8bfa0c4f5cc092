/**
 * The setup builders (uploader group, upload role trust and permissions, and
 * the evidence bucket policy), proved with the evaluator: what each
 * credential the uploader can hold is able to do.
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import {
  evidenceBucketPolicy,
  UPLOAD_ACTIONS,
  uploaderGroupPolicy,
  uploaderIdentityPolicy,
  uploaderRolePolicy,
  uploaderRoleTrustPolicy,
  uploadSessionPolicy,
} from './builders.js';
import { type EvaluationRequest, evaluate, type RequestPrincipal } from './evaluate.js';
import { lintPolicy } from './lint.js';
import type { RequestContext } from './match.js';
import { parsePolicy } from './policy.js';
import {
  allowedActions,
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
  standardContexts,
  whatCan,
} from './what-can.js';

const ACCOUNT = '111122223333';
const BUCKET = 'triage-acme-111122223333';
const userArn = `arn:aws:iam::${ACCOUNT}:user/triage-acme-uploader`;
const roleArn = `arn:aws:iam::${ACCOUNT}:role/triage-acme-upload`;
const user: RequestPrincipal = { arn: userArn, account: ACCOUNT };
const roleSession: RequestPrincipal = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/triage-acme-upload/case-1-host-1`,
  account: ACCOUNT,
  roleArn,
};
const now = new Date('2026-11-23T12:00:00Z');
const allowEverything = parsePolicy(
  { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
  'allow-everything',
);

/** The request contexts of the three kinds of caller the trust policy must tell apart. */
const secure = { 'aws:SecureTransport': 'true', 'aws:CurrentTime': now.toISOString() };
const CALLERS: Record<string, RequestContext> = {
  'long-term key with MFA': {
    ...secure,
    'aws:MultiFactorAuthPresent': 'true',
    'aws:MultiFactorAuthAge': '5',
  },
  'long-term key without MFA': secure,
  'session token with MFA': {
    ...secure,
    'aws:MultiFactorAuthPresent': 'true',
    'aws:MultiFactorAuthAge': '60',
    'aws:TokenIssueTime': now.toISOString(),
  },
  'session token without MFA': {
    ...secure,
    'aws:MultiFactorAuthPresent': 'false',
    'aws:TokenIssueTime': now.toISOString(),
  },
};

describe('uploaderGroupPolicy: the uploader user (group policy + bucket policy)', () => {
  const identity = [parsePolicy(uploaderGroupPolicy(BUCKET, roleArn), 'group')];
  const resource = [parsePolicy(evidenceBucketPolicy(BUCKET, [userArn, roleArn]), 'bucket')];
  const rows = whatCan(
    { identity, resource },
    { principal: user, bucket: BUCKET, key: 'case-1/host-1/c.tri', contexts: standardContexts(now) },
  );
  const decisionsOf = (action: string) => rows.find((r) => r.action === action)?.decisions;

  it('(a) the long-term key can do nothing in S3', () => {
    for (const row of rows) expect(row.decisions['long-term key'], row.action).not.toBe('Allowed');
    expect(rows).toHaveLength(S3_OBJECT_ACTIONS.length + S3_BUCKET_ACTIONS.length);
  });

  it('(b) a session token with MFA can PutObject (and abort its multipart uploads), and nothing else', () => {
    const withMfa = rows.filter((r) => r.decisions['session with MFA'] === 'Allowed').map((r) => r.action);
    expect(withMfa.sort()).toEqual([...UPLOAD_ACTIONS].sort());
    expect(allowedActions(rows).sort()).toEqual([...UPLOAD_ACTIONS].sort());
    expect(decisionsOf('s3:PutObject')).toEqual({
      'long-term key': 'ExplicitlyDenied',
      'session without MFA': 'ExplicitlyDenied',
      'session with MFA': 'Allowed',
    });
    // Reads, listing and deletes are denied outright by the bucket policy, MFA or not.
    for (const action of ['s3:GetObject', 's3:DeleteObject', 's3:ListBucket', 's3:PutBucketPolicy']) {
      expect(decisionsOf(action)?.['session with MFA'], action).toBe('ExplicitlyDenied');
    }
  });

  it('the whole bucket, not an empty-named folder: an empty prefix gives bucket/*', () => {
    expect(uploaderIdentityPolicy(BUCKET, '').Statement[0]?.Resource).toBe(`arn:aws:s3:::${BUCKET}/*`);
    expect(uploaderIdentityPolicy(BUCKET, '/').Statement[0]?.Resource).toBe(`arn:aws:s3:::${BUCKET}/*`);
    expect(uploaderIdentityPolicy(BUCKET, '/case-1/').Statement[0]?.Resource).toBe(
      `arn:aws:s3:::${BUCKET}/case-1/*`,
    );
  });

  it('without MFA, the long-term key may still call sts:AssumeRole on the upload role, and only on it', () => {
    const assume = (resource: string, context: RequestContext) =>
      evaluate({ principal: user, action: 'sts:AssumeRole', resource, context }, { identity }).decision;
    expect(assume(roleArn, CALLERS['long-term key without MFA'] as RequestContext)).toBe('Allowed');
    expect(assume(roleArn, CALLERS['long-term key with MFA'] as RequestContext)).toBe('Allowed');
    expect(
      assume(`arn:aws:iam::${ACCOUNT}:role/admin`, CALLERS['long-term key with MFA'] as RequestContext),
    ).toBe('ImplicitlyDenied');
    // Everything else without MFA hits the Deny, even an action some other policy would allow.
    const withOther = [...identity, allowEverything];
    const decide = (action: string, resource: string) =>
      evaluate(
        {
          principal: user,
          action,
          resource,
          context: CALLERS['long-term key without MFA'] as RequestContext,
        },
        { identity: withOther },
      ).decision;
    expect(decide('iam:CreateAccessKey', userArn)).toBe('ExplicitlyDenied');
    expect(decide('s3:PutObject', `arn:aws:s3:::${BUCKET}/x`)).toBe('ExplicitlyDenied');
    expect(decide('sts:GetSessionToken', '*')).toBe('Allowed');
  });
});

describe('uploaderRoleTrustPolicy', () => {
  const trust = [parsePolicy(uploaderRoleTrustPolicy(ACCOUNT, userArn), 'trust')];
  const group = [parsePolicy(uploaderGroupPolicy(BUCKET, roleArn), 'group')];
  /**
   * A role's trust policy is a gate of its own: AWS assumes a role only when
   * the trust policy admits the caller, whatever the caller's identity
   * policies allow. The evaluator treats it as any resource policy, where in
   * the same account an identity Allow alone would do. So the gate is decided
   * as a cross-account request (the resource policy must allow, by ARN or by
   * account) with an allow-everything identity policy; the caller's real
   * identity policies are checked beside it.
   */
  const trustAdmits = (principal: RequestPrincipal, context: RequestContext, action = 'sts:AssumeRole') => {
    const request: EvaluationRequest = {
      principal,
      action,
      resource: roleArn,
      resourceAccount: '000000000000',
      context,
    };
    return evaluate(request, { identity: [allowEverything], resource: trust }).decision;
  };

  it('(c) admits the uploader long-term key with MFA, refuses session tokens and callers without MFA', () => {
    const decisions = Object.fromEntries(
      Object.entries(CALLERS).map(([name, context]) => [name, trustAdmits(user, context)]),
    );
    expect(decisions).toEqual({
      'long-term key with MFA': 'Allowed',
      'long-term key without MFA': 'ImplicitlyDenied',
      'session token with MFA': 'ImplicitlyDenied',
      'session token without MFA': 'ImplicitlyDenied',
    });
    // The uploader's own identity policies do not block the admitted call either.
    const full = evaluate(
      {
        principal: user,
        action: 'sts:AssumeRole',
        resource: roleArn,
        context: CALLERS['long-term key with MFA'] as RequestContext,
      },
      { identity: group, resource: trust },
    );
    expect(full.decision).toBe('Allowed');
    // Source identity and session tags ride on the same conditions.
    for (const action of ['sts:SetSourceIdentity', 'sts:TagSession']) {
      expect(trustAdmits(user, CALLERS['long-term key with MFA'] as RequestContext, action)).toBe('Allowed');
      expect(trustAdmits(user, CALLERS['session token with MFA'] as RequestContext, action)).toBe(
        'ImplicitlyDenied',
      );
    }
  });

  it('refuses a role session (chaining), other users of the account and other accounts, even with MFA', () => {
    const withMfa = CALLERS['long-term key with MFA'] as RequestContext;
    expect(trustAdmits({ ...roleSession }, CALLERS['session token with MFA'] as RequestContext)).toBe(
      'ImplicitlyDenied',
    );
    expect(trustAdmits({ arn: `arn:aws:iam::${ACCOUNT}:user/someone-else`, account: ACCOUNT }, withMfa)).toBe(
      'ImplicitlyDenied',
    );
    expect(trustAdmits({ arn: `arn:aws:iam::${ACCOUNT}:root`, account: ACCOUNT }, withMfa)).toBe(
      'ImplicitlyDenied',
    );
    expect(
      trustAdmits(
        { arn: 'arn:aws:iam::999999999999:user/triage-acme-uploader', account: '999999999999' },
        withMfa,
      ),
    ).toBe('ImplicitlyDenied');
    expect(trustAdmits(user, withMfa, 'sts:AssumeRoleWithWebIdentity')).toBe('ImplicitlyDenied');
  });

  it('refuses arguments that would trust someone else', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'returned';
      } catch (error) {
        return isTriageError(error) ? error.code : String(error);
      }
    };
    expect(code(() => uploaderRoleTrustPolicy('1111', userArn))).toBe('INVALID_ARGUMENT');
    expect(code(() => uploaderRoleTrustPolicy('999999999999', userArn))).toBe('INVALID_ARGUMENT');
    expect(code(() => uploaderRoleTrustPolicy(ACCOUNT, roleArn))).toBe('INVALID_ARGUMENT');
    expect(code(() => uploaderRoleTrustPolicy(ACCOUNT, '*'))).toBe('INVALID_ARGUMENT');
    expect(code(() => uploaderRoleTrustPolicy(ACCOUNT, `arn:aws-us-gov:iam::${ACCOUNT}:user/u`))).toBe(
      'returned',
    );
  });
});

describe('uploaderRolePolicy with a session policy: one case/host, write-only', () => {
  const identity = [parsePolicy(uploaderRolePolicy(BUCKET), 'role')];
  const resource = [parsePolicy(evidenceBucketPolicy(BUCKET, [userArn, roleArn]), 'bucket')];
  const session = [parsePolicy(uploadSessionPolicy(BUCKET, 'case-1', 'host-1'), 'session')];

  it('a role session may only upload, and with a session policy only under case/host/', () => {
    const rows = (key: string, withSession: boolean) =>
      whatCan(withSession ? { identity, resource, session } : { identity, resource }, {
        principal: roleSession,
        bucket: BUCKET,
        key,
        contexts: standardContexts(now),
      });
    expect(allowedActions(rows('case-1/host-1/c.tri', false)).sort()).toEqual([...UPLOAD_ACTIONS].sort());
    expect(allowedActions(rows('case-1/host-1/c.tri', true)).sort()).toEqual([...UPLOAD_ACTIONS].sort());
    expect(allowedActions(rows('case-1/host-2/c.tri', true))).toEqual([]);
    expect(allowedActions(rows('case-2/host-1/c.tri', true))).toEqual([]);
  });

  it('the bucket policy denies the role everything but upload, even with an allow-everything policy', () => {
    const rows = whatCan(
      { identity: [allowEverything], resource },
      { principal: roleSession, bucket: BUCKET, key: 'case-1/host-1/c.tri', contexts: standardContexts(now) },
    );
    expect(allowedActions(rows).sort()).toEqual([...UPLOAD_ACTIONS].sort());
  });
});

describe('evidenceBucketPolicy', () => {
  const resource = [parsePolicy(evidenceBucketPolicy(BUCKET, [userArn, roleArn]), 'bucket')];
  const decide = (principal: RequestPrincipal, action: string, secureTransport: string, key = 'case-1/x') =>
    evaluate(
      {
        principal,
        action,
        resource: S3_BUCKET_ACTIONS.includes(action)
          ? `arn:aws:s3:::${BUCKET}`
          : `arn:aws:s3:::${BUCKET}/${key}`,
        context: { 'aws:SecureTransport': secureTransport },
      },
      { identity: [allowEverything], resource },
    ).decision;

  it('denies the uploader every read, list, delete and configuration change', () => {
    for (const action of [...S3_OBJECT_ACTIONS, ...S3_BUCKET_ACTIONS, 's3:PutEncryptionConfiguration']) {
      const expected = UPLOAD_ACTIONS.includes(action) ? 'Allowed' : 'ExplicitlyDenied';
      expect(decide(user, action, 'true'), action).toBe(expected);
    }
  });

  it('leaves the examiner alone over TLS and denies everyone without it', () => {
    const examiner = { arn: `arn:aws:iam::${ACCOUNT}:user/examiner`, account: ACCOUNT };
    for (const action of ['s3:GetObject', 's3:ListBucket', 's3:DeleteObject']) {
      expect(decide(examiner, action, 'true'), action).toBe('Allowed');
      expect(decide(examiner, action, 'false'), action).toBe('ExplicitlyDenied');
    }
    expect(decide(user, 's3:PutObject', 'false')).toBe('ExplicitlyDenied');
  });
});

describe('lint', () => {
  it('bucket, role trust and group policies: nothing but upload-can-overwrite where PutObject is allowed', () => {
    expect(lintPolicy(evidenceBucketPolicy(BUCKET, [userArn, roleArn]))).toEqual([]);
    expect(lintPolicy(uploaderRoleTrustPolicy(ACCOUNT, userArn), { kind: 'identity' })).toEqual([]);
    expect(lintPolicy(uploaderGroupPolicy(BUCKET, roleArn)).map((f) => f.ruleId)).toEqual([
      'upload-can-overwrite',
    ]);
    expect(lintPolicy(uploaderRolePolicy(BUCKET)).map((f) => f.ruleId)).toEqual(['upload-can-overwrite']);
  });
});
