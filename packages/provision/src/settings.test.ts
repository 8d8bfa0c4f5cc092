/** Pure decisions: policy comparison and merging, bucket settings, names, hidden secrets, retries. */
import { inspect } from 'node:util';
import { isTriageError } from '@triage/errors';
import { evidenceBucketPolicy } from '@triage/iam-policy';
import { describe, expect, it } from 'vitest';
import {
  describeEncryption,
  desiredEncryption,
  encryptionOk,
  findAbortRule,
  hasTags,
  mergeLifecycleRules,
  mergeTags,
  publicAccessBlockGaps,
} from './bucket-settings.js';
import {
  canonical,
  compareBucketPolicy,
  decodePolicyDocument,
  mergeBucketPolicy,
  samePolicy,
} from './documents.js';
import {
  checkBucket,
  checkClient,
  checkRegion,
  checkTagValue,
  clientNames,
  defaultBucketName,
} from './names.js';
import { withHiddenFields } from './secrets.js';
import { retryWhileFresh } from './setup.js';

const thrownCode = (fn: () => unknown) => {
  try {
    fn();
    return 'returned';
  } catch (error) {
    return isTriageError(error) ? error.code : String(error);
  }
};

describe('policy documents', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [{ Sid: 'A', Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::b/*'] }],
  };

  it('decodes IAM (URL-encoded) and S3 (plain) JSON, and refuses anything else', () => {
    expect(decodePolicyDocument(encodeURIComponent(JSON.stringify(doc)), 'x')).toEqual(doc);
    expect(decodePolicyDocument(` ${JSON.stringify(doc)}\n`, 'x')).toEqual(doc);
    expect(thrownCode(() => decodePolicyDocument('%7Bnot json', 'x'))).toBe('POLICY_INVALID');
  });

  it('compares meaning: single values, list order, key order and statement order do not matter', () => {
    const respelt = {
      Statement: { Resource: 'arn:aws:s3:::b/*', Action: 's3:PutObject', Effect: 'Allow', Sid: 'A' },
      Version: '2012-10-17',
    };
    expect(samePolicy(doc, respelt)).toBe(true);
    expect(samePolicy({ a: ['x', 'y'] }, { a: ['y', 'x'] })).toBe(true);
    expect(samePolicy({ a: ['x', 'y'] }, { a: ['x'] })).toBe(false);
    expect(samePolicy(doc, { ...doc, Version: '2008-10-17' })).toBe(false);
    expect(samePolicy(undefined, doc)).toBe(false);
    expect(canonical([{ b: 1, a: 2 }])).toEqual({ a: 2, b: 1 });
  });

  it('merges our bucket policy statements by Sid and keeps everyone else', () => {
    const ours = evidenceBucketPolicy('b', ['arn:aws:iam::111122223333:user/u']);
    const other = {
      Sid: 'ExaminerRead',
      Effect: 'Allow',
      Principal: { AWS: 'x' },
      Action: 's3:GetObject',
      Resource: '*',
    };
    const stale = { ...ours.Statement[1], NotAction: 's3:PutObject' };
    const existing = { Version: '2012-10-17', Statement: [other, ours.Statement[0], stale] };
    expect(compareBucketPolicy(existing, ours)).toEqual({
      ok: false,
      differing: ['DenyUploaderAllButUpload'],
      others: 1,
    });
    const merged = mergeBucketPolicy(existing, ours);
    expect(merged.Statement).toEqual([other, ...ours.Statement]);
    expect(compareBucketPolicy(merged, ours)).toEqual({ ok: true, differing: [], others: 1 });
    expect(compareBucketPolicy(undefined, ours).ok).toBe(false);
    expect(compareBucketPolicy({ ...merged, Version: '2008-10-17' }, ours).ok).toBe(false);
    // A duplicated Sid is not "present once": it is rewritten.
    expect(
      compareBucketPolicy({ ...merged, Statement: [...merged.Statement, ours.Statement[0]] }, ours).ok,
    ).toBe(false);
    expect(mergeBucketPolicy(undefined, ours)).toEqual(ours);
  });
});

describe('bucket settings', () => {
  it('Block Public Access: names the settings that are off', () => {
    expect(publicAccessBlockGaps(undefined)).toEqual([
      'BlockPublicAcls',
      'IgnorePublicAcls',
      'BlockPublicPolicy',
      'RestrictPublicBuckets',
    ]);
    expect(
      publicAccessBlockGaps({
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: false,
        RestrictPublicBuckets: true,
      }),
    ).toEqual(['BlockPublicPolicy']);
  });

  it('encryption: SSE-S3 by default, SSE-KMS with a bucket key for a key, and KMS is never weakened', () => {
    const sseS3 = desiredEncryption(undefined);
    const kms = desiredEncryption('alias/evidence');
    expect(describeEncryption(sseS3)).toBe('SSE-S3');
    expect(describeEncryption(kms)).toBe('SSE-KMS key alias/evidence with bucket key');
    expect(describeEncryption(undefined)).toBe('none');
    expect(encryptionOk(undefined, undefined)).toBe(false);
    expect(encryptionOk(sseS3, undefined)).toBe(true);
    expect(encryptionOk(kms, undefined)).toBe(true);
    expect(encryptionOk(kms, 'alias/evidence')).toBe(true);
    expect(encryptionOk(kms, 'alias/other')).toBe(false);
    expect(encryptionOk(sseS3, 'alias/evidence')).toBe(false);
    const noBucketKey = { Rules: [{ ...kms.Rules?.[0], BucketKeyEnabled: false }] };
    expect(encryptionOk(noBucketKey, 'alias/evidence')).toBe(false);
    expect(
      describeEncryption({
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse' } }],
      }),
    ).toBe('DSSE-KMS (AWS managed key)');
  });

  it('lifecycle: an existing bucket-wide rule of 7 days or less counts; ours is added beside the others', () => {
    const abort = (days: number, extra: object = {}) => ({
      ID: 'theirs',
      Status: 'Enabled' as const,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: days },
      ...extra,
    });
    expect(findAbortRule([abort(3)])?.ID).toBe('theirs');
    expect(findAbortRule([abort(3, { Filter: {} })])?.ID).toBe('theirs');
    expect(findAbortRule([abort(3, { Filter: { Prefix: '' } })])?.ID).toBe('theirs');
    expect(findAbortRule([abort(8)])).toBeUndefined();
    expect(findAbortRule([abort(3, { Status: 'Disabled' })])).toBeUndefined();
    expect(findAbortRule([abort(3, { Filter: { Prefix: 'case-1/' } })])).toBeUndefined();
    expect(findAbortRule([abort(3, { Prefix: 'case-1/' })])).toBeUndefined();
    expect(findAbortRule([abort(3, { Filter: { ObjectSizeGreaterThan: 10 } })])).toBeUndefined();
    const expire = {
      ID: 'expire-tmp',
      Status: 'Enabled' as const,
      Filter: { Prefix: 'tmp/' },
      Expiration: { Days: 1 },
    };
    const old = { ID: 'triage-abort-incomplete-multipart-uploads', Status: 'Disabled' as const };
    const merged = mergeLifecycleRules([expire, old]);
    expect(merged.map((r) => r.ID)).toEqual(['expire-tmp', 'triage-abort-incomplete-multipart-uploads']);
    expect(merged[0]).toBe(expire);
    expect(findAbortRule(merged)?.ID).toBe('triage-abort-incomplete-multipart-uploads');
  });

  it('tags: ours are set, others kept', () => {
    const ours = [{ Key: 'triage:client', Value: 'acme' }];
    expect(
      mergeTags(
        [
          { Key: 'a', Value: '1' },
          { Key: 'triage:client', Value: 'old' },
        ],
        ours,
      ),
    ).toEqual([{ Key: 'a', Value: '1' }, ...ours]);
    expect(
      hasTags(
        [
          { Key: 'triage:client', Value: 'acme' },
          { Key: 'a', Value: '1' },
        ],
        ours,
      ),
    ).toBe(true);
    expect(hasTags([{ Key: 'triage:client', Value: 'other' }], ours)).toBe(false);
    expect(hasTags(undefined, ours)).toBe(false);
  });
});

describe('names', () => {
  it('derives every name from the client', () => {
    expect(clientNames('acme')).toEqual({
      group: 'triage-acme-uploaders',
      user: 'triage-acme-uploader',
      role: 'triage-acme-upload',
      mfaDevice: 'triage-acme-uploader',
    });
    expect(defaultBucketName('acme', '111122223333')).toBe('triage-acme-111122223333');
    // The longest client name still gives a valid default bucket name.
    const longest = 'a'.repeat(32);
    expect(thrownCode(() => checkBucket(defaultBucketName(longest, '111122223333')))).toBe('returned');
  });

  it.each([
    ['client', () => checkClient('Acme')],
    ['client', () => checkClient('-acme')],
    ['client', () => checkClient('a'.repeat(33))],
    ['client', () => checkClient('')],
    ['bucket', () => checkBucket('my.bucket')],
    ['bucket', () => checkBucket('ab')],
    ['bucket', () => checkBucket('xn--bucket')],
    ['bucket', () => checkBucket('bucket-s3alias')],
    ['region', () => checkRegion('europe')],
    ['region', () => checkRegion('EU-WEST-1')],
    ['admin name', () => checkTagValue('adminName', '')],
    ['admin name', () => checkTagValue('adminName', 'a\nb')],
  ])('refuses a bad %s', (_what, fn) => {
    expect(thrownCode(fn)).toBe('INVALID_ARGUMENT');
  });

  it('accepts real names', () => {
    for (const fn of [
      () => checkClient('acme-corp-2'),
      () => checkRegion('us-gov-west-1'),
      () => checkRegion('ap-southeast-3'),
      () => checkTagValue('adminName', 'Jane Examiner <jane@example.org>'.replace(/[<>]/g, '')),
      () => checkTagValue('adminName', 'Zoë Ödegaard'),
    ]) {
      expect(thrownCode(fn)).toBe('returned');
    }
  });
});

describe('results holding secrets', () => {
  it('keep secret fields readable by name, and out of JSON, inspect and spreads', () => {
    const key = withHiddenFields(
      { userName: 'u', accessKeyId: 'AKIAEXAMPLEEXAMPLE' },
      { secretAccessKey: 'TESTSECRETcanary0123456789' },
    );
    expect(key.secretAccessKey).toBe('TESTSECRETcanary0123456789');
    for (const text of [
      JSON.stringify({ result: key }),
      inspect({ result: key }, { depth: 5 }),
      JSON.stringify({ ...key }),
    ]) {
      expect(text).not.toContain('TESTSECRETcanary');
      expect(text).toContain('AKIAEXAMPLEEXAMPLE');
    }
    expect(Object.isFrozen(key)).toBe(true);
  });
});

describe('retryWhileFresh', () => {
  const op = { service: 'IAM' as const, action: 'CreateRole', target: 'r' };
  const failing = (names: string[]) => {
    let calls = 0;
    return {
      fn: async () => {
        const name = names[calls++];
        if (name === undefined) return 'done';
        throw Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: 400 } });
      },
      calls: () => calls,
    };
  };

  it('retries "invalid principal" and NoSuchEntity while a new user or role becomes visible', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const f = failing(['MalformedPolicyDocumentException', 'NoSuchEntityException']);
    expect(await retryWhileFresh(true, sleep, op, f.fn)).toBe('done');
    expect(f.calls()).toBe(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('fails at once when nothing was just created, or for any other error, or after ~30 s', async () => {
    const sleep = async () => {};
    const notFresh = failing(['MalformedPolicyDocumentException']);
    const error = await retryWhileFresh(false, sleep, op, notFresh.fn).catch((e: unknown) => e);
    expect(isTriageError(error, 'POLICY_INVALID')).toBe(true);
    expect(notFresh.calls()).toBe(1);
    const other = failing(['AccessDenied']);
    expect(
      isTriageError(
        await retryWhileFresh(true, sleep, op, other.fn).catch((e: unknown) => e),
        'PERMISSION_DENIED',
      ),
    ).toBe(true);
    expect(other.calls()).toBe(1);
    const forever = failing(Array(20).fill('NoSuchEntity'));
    expect(
      isTriageError(await retryWhileFresh(true, sleep, op, forever.fn).catch((e: unknown) => e), 'NOT_FOUND'),
    ).toBe(true);
    expect(forever.calls()).toBe(7);
  });
});
