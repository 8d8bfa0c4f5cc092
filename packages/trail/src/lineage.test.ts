/**
 * The lineage graph's rules, one at a time, on hand-made CloudTrail records.
 */
import { describe, expect, it } from 'vitest';
import { detectFindings } from './findings.js';
import { buildLineage, chainsOf, childrenOf, keyKind, type LineageOptions } from './lineage.js';
import { normalizeRecord, type TrailEvent } from './reader.js';

const ACCOUNT = '111122223333';
let serial = 0;

function user(name: string, key: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    type: 'IAMUser',
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    accountId: ACCOUNT,
    userName: name,
    ...(key === undefined ? {} : { accessKeyId: key }),
    ...extra,
  };
}

function role(
  name: string,
  session: string,
  key: string,
  created: string,
  extra: Record<string, unknown> = {},
) {
  const { issuerPath = '', ...rest } = extra as { issuerPath?: string };
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: key,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        arn: `arn:aws:iam::${ACCOUNT}:role/${issuerPath}${name}`,
        userName: name,
      },
      attributes: { creationDate: created, mfaAuthenticated: 'false' },
    },
    ...rest,
  };
}

function record(fields: Record<string, unknown>): Record<string, unknown> {
  serial++;
  return {
    eventVersion: '1.10',
    eventID: `evt-${String(serial).padStart(4, '0')}`,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2',
    ...fields,
  };
}

function assume(
  time: string,
  identity: object,
  roleName: string,
  session: string,
  child: string | undefined,
) {
  return record({
    eventTime: time,
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    userIdentity: identity,
    requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, roleSessionName: session },
    responseElements: {
      ...(child === undefined
        ? {}
        : { credentials: { accessKeyId: child, expiration: 'Jul 10, 2023, 12:09:47 PM' } }),
      assumedRoleUser: { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${session}` },
    },
  });
}

function call(
  time: string,
  identity: object,
  source: string,
  name: string,
  extra: Record<string, unknown> = {},
) {
  return record({
    eventTime: time,
    eventSource: `${source}.amazonaws.com`,
    eventName: name,
    userIdentity: identity,
    ...extra,
  });
}

function normalised(records: readonly Record<string, unknown>[]): TrailEvent[] {
  return records.map((r, i) => {
    const e = normalizeRecord(r, 'test.json', i);
    if (typeof e === 'string') throw new Error(e);
    return e;
  });
}

const graphOf = (records: readonly Record<string, unknown>[], options?: LineageOptions) =>
  buildLineage(normalised(records), options);

describe('keyKind', () => {
  it('tells long-term, temporary and other keys apart by prefix', () => {
    expect(keyKind('AKIAEXAMPLE000000001')).toBe('long-term');
    expect(keyKind('ASIAEXAMPLE000000001')).toBe('temporary');
    expect(keyKind('AIDAEXAMPLE000000001')).toBe('unknown');
  });
});

describe('buildLineage', () => {
  it('joins on the minted key even when its use comes before its minting in the input', async () => {
    const g = await graphOf([
      call(
        '2026-01-01T10:05:00Z',
        role('ops', 's1', 'ASIAEXAMPLE000000002', '2026-01-01T10:00:00Z'),
        'ec2',
        'DescribeInstances',
      ),
      assume(
        '2026-01-01T10:00:00Z',
        user('bob', 'AKIAEXAMPLE000000001'),
        'ops',
        's1',
        'ASIAEXAMPLE000000002',
      ),
    ]);
    expect(g.edges.map((e) => [e.parentKey, e.childKey, e.joinedBy])).toEqual([
      ['AKIAEXAMPLE000000001', 'ASIAEXAMPLE000000002', 'accessKeyId'],
    ]);
    expect(g.roots).toEqual(['AKIAEXAMPLE000000001']);
    expect(childrenOf(g, 'AKIAEXAMPLE000000001').map((e) => e.childKey)).toEqual(['ASIAEXAMPLE000000002']);
    expect(g.edges[0]?.expiration).toBe('2023-07-10T12:09:47.000Z');
  });

  it('joins by session ARN and creationDate when the response has no credentials, and not when the time differs', async () => {
    const g = await graphOf([
      assume('2026-01-01T10:00:00Z', user('bob', 'AKIAEXAMPLE000000001'), 'ops', 's1', undefined),
      call(
        '2026-01-01T10:01:00Z',
        role('ops', 's1', 'ASIAEXAMPLE000000002', '2026-01-01T10:00:00Z'),
        's3',
        'ListBuckets',
      ),
      assume('2026-01-01T11:00:00Z', user('bob', 'AKIAEXAMPLE000000001'), 'ops', 's2', undefined),
      // Same session name, another session (created a second later): not this mint's key.
      call(
        '2026-01-01T11:01:00Z',
        role('ops', 's2', 'ASIAEXAMPLE000000003', '2026-01-01T11:00:01Z'),
        's3',
        'ListBuckets',
      ),
    ]);
    expect(g.edges.map((e) => [e.sessionName, e.childKey, e.joinedBy])).toEqual([
      ['s1', 'ASIAEXAMPLE000000002', 'creationDate'],
      ['s2', undefined, undefined],
    ]);
    expect(g.keys.find((k) => k.accessKeyId === 'ASIAEXAMPLE000000003')?.origin).toBe('orphan');
  });

  it('derives the session ARN of an AssumeRole record without assumedRoleUser', async () => {
    const mint = assume('2026-01-01T10:00:00Z', user('bob', 'AKIAEXAMPLE000000001'), 'ops', 's1', undefined);
    mint.responseElements = null;
    const g = await graphOf([
      mint,
      call(
        '2026-01-01T10:01:00Z',
        role('ops', 's1', 'ASIAEXAMPLE000000002', '2026-01-01T10:00:00Z'),
        's3',
        'ListBuckets',
      ),
    ]);
    expect(g.edges[0]).toMatchObject({
      sessionArn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/s1`,
      childKey: 'ASIAEXAMPLE000000002',
      joinedBy: 'creationDate',
    });
  });

  it('gives every temporary key an origin: console, service, instance profile, SSO, or orphan', async () => {
    const t = '2026-01-01T10:00:00Z';
    const g = await graphOf([
      call(
        t,
        user('dave', 'ASIAEXAMPLE0000000C1', { sessionContext: { attributes: { creationDate: t } } }),
        'ec2',
        'DescribeVpcs',
        {
          sessionCredentialFromConsole: 'true',
        },
      ),
      call(
        t,
        role('AWSServiceRoleForECS', 'ecs', 'ASIAEXAMPLE0000000S1', t, {
          issuerPath: 'aws-service-role/ecs.amazonaws.com/',
        }),
        'ec2',
        'DescribeNetworkInterfaces',
      ),
      call(
        t,
        { ...role('build', 'cb', 'ASIAEXAMPLE0000000S2', t), invokedBy: 'codebuild.amazonaws.com' },
        's3',
        'GetObject',
        {
          requestParameters: { bucketName: 'artifacts', key: 'a.zip' },
        },
      ),
      call(
        t,
        role('web', 'i-0123456789abcdef0', 'ASIAEXAMPLE0000000I1', t),
        'ssm',
        'UpdateInstanceInformation',
        {
          sourceIPAddress: '10.0.12.34',
        },
      ),
      // Instance credentials used from a public address: exfiltrated, or a NAT; worth a look.
      call(
        t,
        role('web', 'i-0fedcba9876543210', 'ASIAEXAMPLE0000000I2', t, { sessionContext: undefined }),
        'ec2',
        'DescribeInstances',
        {
          sourceIPAddress: '203.0.113.200',
        },
      ),
      call(
        t,
        role('AWSReservedSSO_Admin_0123456789abcdef', 'erin@example.com', 'ASIAEXAMPLE0000000P1', t, {
          issuerPath: 'aws-reserved/sso.amazonaws.com/eu-west-1/',
        }),
        'iam',
        'ListRoles',
      ),
      call(t, role('mystery', 'x', 'ASIAEXAMPLE0000000O1', t), 's3', 'ListBuckets'),
      // A role AWS Lambda assumed for a function: minted by a service.
      assume(
        t,
        { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
        'fn-exec',
        'fn',
        'ASIAEXAMPLE0000000L1',
      ),
      call(t, role('fn-exec', 'fn', 'ASIAEXAMPLE0000000L1', t), 's3', 'GetObject', {
        requestParameters: { bucketName: 'in', key: 'x.jpg' },
        additionalEventData: { bytesTransferredOut: 10 },
      }),
    ]);
    const origin = Object.fromEntries(g.keys.map((k) => [k.accessKeyId, k.origin]));
    expect(origin).toEqual({
      ASIAEXAMPLE0000000C1: 'console',
      ASIAEXAMPLE0000000S1: 'service',
      ASIAEXAMPLE0000000S2: 'service',
      ASIAEXAMPLE0000000I1: 'instance-profile',
      ASIAEXAMPLE0000000I2: 'instance-profile',
      ASIAEXAMPLE0000000P1: 'sso',
      ASIAEXAMPLE0000000O1: 'orphan',
      ASIAEXAMPLE0000000L1: 'service',
    });
    const rules = detectFindings(g).map((f) => [f.rule, f.keys[0]]);
    // Only the unexplained key is an orphan; the service's reads are not derived-key reads.
    expect(rules).toEqual([
      ['orphan-key', 'ASIAEXAMPLE0000000O1'],
      ['instance-credentials-used', 'ASIAEXAMPLE0000000I2'],
    ]);
  });

  it('counts S3 lists, reads and writes with bytes of successful calls only, and caps the object lists', async () => {
    const id = role('reader', 'r', 'ASIAEXAMPLE0000000R1', '2026-01-01T09:00:00Z');
    const get = (key: string, bytes: number, error?: string) =>
      call('2026-01-01T10:00:00Z', id, 's3', 'GetObject', {
        requestParameters: { bucketName: 'b', key },
        additionalEventData: { bytesTransferredOut: bytes },
        ...(error ? { errorCode: error } : {}),
      });
    const g = await graphOf(
      [
        call('2026-01-01T10:00:00Z', id, 's3', 'ListObjects', {
          requestParameters: { bucketName: 'b', prefix: 'p/', 'list-type': '2' },
        }),
        get('k1', 100),
        get('k1', 100),
        get('k2', 50),
        get('k3', 999, 'AccessDenied'),
        call('2026-01-01T10:00:00Z', id, 's3', 'PutObject', {
          requestParameters: { bucketName: 'b', key: 'up' },
          additionalEventData: { bytesTransferredIn: '7' },
        }),
      ],
      { maxObjectsPerKey: 2 },
    );
    const s3 = g.keys[0]?.s3;
    expect(s3).toMatchObject({
      listCalls: 1,
      readCalls: 4,
      writeCalls: 1,
      bytesOut: 250,
      bytesIn: 7,
      truncated: true,
    });
    expect(s3?.read).toEqual([
      { bucket: 'b', key: 'k1', count: 2, bytes: 200 },
      { bucket: 'b', key: 'k2', count: 1, bytes: 50 },
    ]);
    expect(g.keys[0]?.services).toEqual({ s3: 6 });
    expect(g.keys[0]?.errors).toEqual({ AccessDenied: 1 });
  });

  it('reports uses after a revocation: by key, and by role for sessions issued before the cut-off only', async () => {
    const at = new Date('2026-01-02T00:00:00Z');
    const old = role('upload', 'old', 'ASIAEXAMPLE0000000U1', '2026-01-01T12:00:00Z');
    const fresh = role('upload', 'new', 'ASIAEXAMPLE0000000U2', '2026-01-02T01:00:00Z');
    const g = await graphOf(
      [
        call('2026-01-01T23:00:00Z', old, 's3', 'PutObject'),
        call('2026-01-02T02:00:00Z', old, 's3', 'PutObject', { errorCode: 'AccessDenied' }),
        call('2026-01-02T03:00:00Z', old, 's3', 'GetObject'),
        call('2026-01-02T04:00:00Z', fresh, 's3', 'PutObject'),
        call('2026-01-02T05:00:00Z', user('bob', 'AKIAEXAMPLE0000000B1'), 'iam', 'ListUsers'),
      ],
      {
        revocations: [
          { arn: `arn:aws:iam::${ACCOUNT}:role/upload`, at, issuedBefore: at, label: 'rev-1' },
          { accessKeyId: 'AKIAEXAMPLE0000000B1', at },
        ],
      },
    );
    expect(g.revocationHits.map((h) => [h.accessKeyId, h.count, h.succeeded, h.revocation.label])).toEqual([
      ['ASIAEXAMPLE0000000U1', 2, 1, 'rev-1'],
      ['AKIAEXAMPLE0000000B1', 1, 1, undefined],
    ]);
    const findings = detectFindings(g).filter((f) => f.rule === 'use-after-revocation');
    expect(findings.map((f) => [f.keys[0], f.severity])).toEqual([
      ['ASIAEXAMPLE0000000U1', 'high'],
      ['AKIAEXAMPLE0000000B1', 'high'],
    ]);
  });

  it('does not count a user’s long-term key against a TokenIssueTime revocation of that user, but does its old tokens', async () => {
    const at = new Date('2026-01-02T00:00:00Z');
    const token = user('uploader', 'ASIAEXAMPLE0000000T1', {
      sessionContext: { attributes: { creationDate: '2026-01-01T08:00:00Z' } },
    });
    const g = await graphOf(
      [
        call('2026-01-02T01:00:00Z', user('uploader', 'AKIAEXAMPLE0000000K1'), 'sts', 'GetSessionToken'),
        call('2026-01-02T02:00:00Z', token, 's3', 'PutObject'),
      ],
      { revocations: [{ arn: `arn:aws:iam::${ACCOUNT}:user/uploader`, at, issuedBefore: at }] },
    );
    expect(g.revocationHits.map((h) => h.accessKeyId)).toEqual(['ASIAEXAMPLE0000000T1']);
  });

  it('reports a revoked key whose every later call was refused as medium', async () => {
    const g = await graphOf(
      [
        call('2026-01-02T02:00:00Z', user('bob', 'AKIAEXAMPLE0000000B1'), 'iam', 'ListUsers', {
          errorCode: 'AccessDenied',
        }),
      ],
      { revocations: [{ accessKeyId: 'AKIAEXAMPLE0000000B1', at: new Date('2026-01-02T00:00:00Z') }] },
    );
    expect(detectFindings(g).map((f) => [f.rule, f.severity])).toEqual([['use-after-revocation', 'medium']]);
  });

  it('reports a collector credential doing anything but upload (and its own check) under its prefix', async () => {
    const key = 'ASIAEXAMPLE0000000W1';
    const id = role('triage-upload', 'IR-1-web-1', key, '2026-01-01T09:00:00Z');
    const s3 = (name: string, bucket: string, objectKey: string, extra: Record<string, unknown> = {}) =>
      call('2026-01-01T10:00:00Z', id, 's3', name, {
        requestParameters: { bucketName: bucket, key: objectKey },
        ...extra,
      });
    const g = await graphOf(
      [
        s3('PutObject', 'evidence', 'IR-1/web-1/a.triage'),
        s3('CreateMultipartUpload', 'evidence', 'IR-1/web-1/a.triage'),
        s3('UploadPart', 'evidence', 'IR-1/web-1/a.triage'),
        s3('CompleteMultipartUpload', 'evidence', 'IR-1/web-1/a.triage'),
        s3('HeadObject', 'evidence', 'IR-1/web-1/a.triage', { errorCode: 'AccessDenied' }),
        s3('PutObject', 'evidence', 'IR-1/web-2/a.triage', { sourceIPAddress: '203.0.113.9' }),
        s3('GetObject', 'evidence', 'IR-1/web-1/a.triage', { sourceIPAddress: '203.0.113.9' }),
        call('2026-01-01T10:00:00Z', id, 's3', 'ListObjects', {
          requestParameters: { bucketName: 'evidence', prefix: '' },
        }),
        call('2026-01-01T10:00:00Z', id, 'sts', 'GetCallerIdentity'),
      ],
      { collectors: [{ accessKeyId: key, bucket: 'evidence', prefix: 'IR-1/web-1/' }] },
    );
    expect(g.collectorViolations).toHaveLength(1);
    expect(g.collectorViolations[0]).toMatchObject({
      count: 4,
      calls: { PutObject: 1, GetObject: 1, ListObjects: 1, GetCallerIdentity: 1 },
      sourceIps: ['203.0.113.9', '192.0.2.10'],
    });
    const finding = detectFindings(g).find((f) => f.rule === 'collector-credential-misuse');
    expect(finding?.severity).toBe('high');
    expect(finding?.techniques.map((t) => t.id)).toEqual(['T1078.004', 'T1619', 'T1530']);
    expect(finding?.evidence).toHaveLength(4);
  });

  it('keeps AddressUse and user agents per key, capped', async () => {
    const id = user('bob', 'AKIAEXAMPLE0000000B1');
    const g = await graphOf(
      ['192.0.2.1', '192.0.2.2', '192.0.2.1', '192.0.2.3'].map((ip) =>
        call('2026-01-01T10:00:00Z', id, 'iam', 'GetUser', { sourceIPAddress: ip }),
      ),
      { maxAddressesPerKey: 2 },
    );
    expect(g.keys[0]?.sourceIps.map((u) => [u.ip, u.count])).toEqual([
      ['192.0.2.1', 2],
      ['192.0.2.2', 1],
    ]);
    expect(g.keys[0]?.events).toBe(4);
  });

  it('splits the graph into one chain per root, and finds the chain of any key in it', async () => {
    const g = await graphOf([
      assume('2026-01-01T10:00:00Z', user('bob', 'AKIAEXAMPLE0000000B1'), 'a', 's', 'ASIAEXAMPLE0000000A1'),
      assume(
        '2026-01-01T10:01:00Z',
        role('a', 's', 'ASIAEXAMPLE0000000A1', '2026-01-01T10:00:00Z'),
        'b',
        's',
        'ASIAEXAMPLE0000000A2',
      ),
      call('2026-01-01T10:02:00Z', user('carol', 'AKIAEXAMPLE0000000C1'), 'iam', 'GetUser'),
    ]);
    expect(chainsOf(g).map((c) => [c.root, c.keys.length, c.edges.length])).toEqual([
      ['AKIAEXAMPLE0000000B1', 3, 2],
      ['AKIAEXAMPLE0000000C1', 1, 0],
    ]);
    expect(chainsOf(g, 'ASIAEXAMPLE0000000A2').map((c) => c.root)).toEqual(['AKIAEXAMPLE0000000B1']);
    expect(chainsOf(g, 'ASIAEXAMPLE9999999999')).toEqual([]);
  });
});
