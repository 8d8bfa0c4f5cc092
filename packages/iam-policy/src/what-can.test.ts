import { describe, expect, it } from 'vitest';
import {
  evidenceBucketPolicy,
  revokeTokensIssuedBefore,
  uploaderIdentityPolicy,
  uploadSessionPolicy,
} from './builders.js';
import { evaluate } from './evaluate.js';
import { parsePolicy } from './policy.js';
import { allowedActions, standardContexts, whatCan } from './what-can.js';

const ACCOUNT = '111122223333';
const uploader = { arn: `arn:aws:iam::${ACCOUNT}:user/uploader`, account: ACCOUNT };
const now = new Date('2026-11-23T12:00:00Z');

describe('builders, proved with whatCan', () => {
  it('the uploader policy is write-only, under its prefix, and only with MFA, in every context', () => {
    const identity = [parsePolicy(uploaderIdentityPolicy('evidence', 'case-1'), 'uploader')];
    const resource = [parsePolicy(evidenceBucketPolicy('evidence', [uploader.arn]), 'bucket')];
    const rows = whatCan(
      { identity, resource },
      {
        principal: uploader,
        bucket: 'evidence',
        key: 'case-1/host-1/c.tri',
        contexts: standardContexts(now),
      },
    );
    expect(allowedActions(rows).sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    const put = rows.find((r) => r.action === 's3:PutObject');
    expect(put?.decisions).toEqual({
      'long-term key': 'ExplicitlyDenied',
      'session without MFA': 'ExplicitlyDenied',
      'session with MFA': 'Allowed',
    });
    const outside = whatCan(
      { identity, resource },
      { principal: uploader, bucket: 'evidence', key: 'case-2/x', contexts: standardContexts(now) },
    );
    expect(allowedActions(outside)).toEqual([]);
  });

  it('the Cyber Triage-style BoolIfExists policy lets a long-term key upload without MFA', () => {
    const cyberTriage = parsePolicy({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: 'arn:aws:s3:::evidence/*',
          Condition: { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ],
    });
    const rows = whatCan(
      { identity: [cyberTriage] },
      { principal: uploader, bucket: 'evidence', contexts: standardContexts(now) },
    );
    expect(rows.find((r) => r.action === 's3:PutObject')?.decisions['long-term key']).toBe('Allowed');
  });

  it('the session policy confines an AssumeRole session to case/host/', () => {
    const role = parsePolicy({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    });
    const session = parsePolicy(uploadSessionPolicy('evidence', 'case-1', 'host-1'));
    const principal = {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/uploader/case-1-host-1`,
      account: ACCOUNT,
    };
    const put = (key: string) =>
      evaluate(
        { principal, action: 's3:PutObject', resource: `arn:aws:s3:::evidence/${key}` },
        { identity: [role], session: [session] },
      ).decision;
    expect(put('case-1/host-1/c.tri')).toBe('Allowed');
    expect(put('case-1/host-2/c.tri')).toBe('ImplicitlyDenied');
    const rows = whatCan(
      { identity: [role], session: [session] },
      { principal, bucket: 'evidence', key: 'case-1/host-1/c.tri', contexts: standardContexts(now) },
    );
    expect(allowedActions(rows).sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
  });

  it('revocation cuts off tokens issued before the cut-off, and not long-term keys', () => {
    const cutoff = new Date('2026-11-23T11:00:00Z');
    const identity = [
      parsePolicy(uploaderIdentityPolicy('evidence', 'case-1')),
      parsePolicy(revokeTokensIssuedBefore(cutoff)),
    ];
    const rows = whatCan(
      { identity },
      { principal: uploader, bucket: 'evidence', key: 'case-1/x', contexts: standardContexts(now, cutoff) },
    );
    const put = rows.find((r) => r.action === 's3:PutObject')?.decisions;
    expect(put?.['MFA session issued before the cut-off']).toBe('ExplicitlyDenied');
    expect(put?.['MFA session issued after the cut-off']).toBe('Allowed');
  });

  it('the bucket policy denies plain HTTP to everyone and deletes to the uploader', () => {
    const resource = [parsePolicy(evidenceBucketPolicy('evidence', [uploader.arn]))];
    const everything = [
      parsePolicy({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    ];
    const request = (action: string, secure: string) => ({
      principal: uploader,
      action,
      resource: 'arn:aws:s3:::evidence/case-1/x',
      context: { 'aws:SecureTransport': secure },
    });
    expect(evaluate(request('s3:PutObject', 'false'), { identity: everything, resource }).decision).toBe(
      'ExplicitlyDenied',
    );
    expect(evaluate(request('s3:DeleteObject', 'true'), { identity: everything, resource }).decision).toBe(
      'ExplicitlyDenied',
    );
    expect(evaluate(request('s3:PutObject', 'true'), { identity: everything, resource }).decision).toBe(
      'Allowed',
    );
  });
});
