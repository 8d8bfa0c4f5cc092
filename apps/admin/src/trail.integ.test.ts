/**
 * `triage-admin trail --from s3://… --apply` against moto over HTTP: a
 * synthetic credential-theft chain whose user, long-term key and roles exist
 * in moto's IAM, read from gzip CloudTrail objects in a moto bucket, and its
 * remediation applied through moto's IAM and read back.
 *
 * moto stores IAM policies but does not evaluate them: the attached denies
 * are read back here, and that they deny every derived token (and spare a
 * token issued after the cut-off) is the IAM evaluator's proof, shown in the
 * plan (and enforced for the same kind of deny against MinIO in
 * packages/sts-broker's enforcement tests). moto does not check trust
 * policies either, nor does it log anything to CloudTrail: the trail is
 * synthetic, with the names of the identities created here.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
} from '@aws-sdk/client-iam';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { type SyntheticAttack, syntheticTrail } from '@triage/trail';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { cli, serverAws, workDir } from './testing/support.js';

const moto = inject('triageServices').moto;
const aws = serverAws(moto);
const common = { endpoint: moto.endpoint, region: moto.region, credentials: moto.credentials };
const iam = new IAMClient(common);
const s3 = new S3Client({ ...common, forcePathStyle: true });

interface Applied {
  summary: { high: number };
  plans: { root: string; proven: boolean }[];
  applied: {
    cutoff: string;
    done: { kind: string; target: string; accessKeyId?: string; policyName?: string }[];
  } | null;
}

describe('triage-admin trail --apply against moto', () => {
  const id = randomUUID().slice(0, 8);
  const names = { user: `trail-user-${id}`, role: `trail-ops-${id}`, chainedRole: `trail-reader-${id}` };
  const bucket = `trail-logs-${id}`;
  let attack: SyntheticAttack;
  let dir: string;

  beforeAll(async () => {
    dir = await workDir();
    const account = (await new STSClient(common).send(new GetCallerIdentityCommand({}))).Account as string;
    await iam.send(new CreateUserCommand({ UserName: names.user }));
    const key = await iam.send(new CreateAccessKeyCommand({ UserName: names.user }));
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' },
      ],
    });
    for (const role of [names.role, names.chainedRole])
      await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trust }));
    // Two days ago, so the cut-off (now) is after every minting in it.
    const trail = syntheticTrail({
      account,
      start: new Date(Date.now() - 2 * 86_400_000),
      names: { ...names, longTermKey: key.AccessKey?.AccessKeyId as string },
    });
    attack = trail.attack;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const records = [...trail.records()];
    const half = Math.ceil(records.length / 2);
    for (const [i, part] of [records.slice(0, half), records.slice(half)].entries()) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `AWSLogs/${account}/CloudTrail/eu-west-1/${account}_CloudTrail_eu-west-1_${i}.json.gz`,
          Body: gzipSync(JSON.stringify({ Records: part })),
        }),
      );
    }
  });

  const apply = () =>
    cli(
      [
        'trail',
        '--from',
        `s3://${bucket}/AWSLogs/`,
        '--endpoint',
        moto.endpoint,
        '--region',
        moto.region,
        '--state-dir',
        join(dir, 'state'),
        '--key',
        attack.chainedRoleKey,
        '--apply',
        '--yes',
        '--json',
      ],
      { cwd: dir, aws },
    );

  async function readBack(cutoff: string, policyName: string): Promise<void> {
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: names.user }));
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([
      [attack.longTermKey, 'Inactive'],
    ]);
    const documents = [
      await iam.send(new GetUserPolicyCommand({ UserName: names.user, PolicyName: policyName })),
      await iam.send(new GetRolePolicyCommand({ RoleName: names.role, PolicyName: policyName })),
      await iam.send(new GetRolePolicyCommand({ RoleName: names.chainedRole, PolicyName: policyName })),
    ].map((p) => JSON.parse(decodeURIComponent(p.PolicyDocument ?? '')));
    for (const document of documents) {
      expect(document.Statement).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff } },
        }),
      ]);
    }
  }

  it('reads the trail from S3, applies the proven plan (key first, then the denies) and it reads back', async () => {
    const run = await apply();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Applied;
    expect(json.summary.high).toBeGreaterThan(0);
    expect(json.plans.map((p) => [p.root, p.proven])).toEqual([[attack.longTermKey, true]]);
    const done = json.applied?.done ?? [];
    expect(done.map((s) => [s.kind, s.target])).toEqual([
      ['deactivate-key', names.user],
      ['put-user-policy', names.user],
      ['put-role-policy', names.role],
      ['put-role-policy', names.chainedRole],
    ]);
    const cutoff = json.applied?.cutoff as string;
    expect(Date.parse(cutoff)).toBeGreaterThan(Date.parse(attack.times.chainedAssumeRole));
    await readBack(cutoff, done[1]?.policyName as string);
  });

  it('a second identical --apply succeeds again', async () => {
    const run = await apply();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Applied;
    const done = json.applied?.done ?? [];
    expect(done.map((s) => s.kind)).toEqual([
      'deactivate-key',
      'put-user-policy',
      'put-role-policy',
      'put-role-policy',
    ]);
    await readBack(json.applied?.cutoff as string, done[1]?.policyName as string);
  });

  it('an S3 prefix with no CloudTrail objects is NOT_FOUND, one line', async () => {
    const run = await cli(
      [
        'trail',
        '--from',
        `s3://${bucket}/nothing-here/`,
        '--endpoint',
        moto.endpoint,
        '--state-dir',
        join(dir, 'state'),
      ],
      { cwd: dir, aws },
    );
    expect(run.code).toBe(66);
    expect(run.stderr).toBe(
      `triage-admin: no CloudTrail files (.json, .json.gz, .jsonl, .ndjson, .gz) under s3://${bucket}/nothing-here/; check --from [NOT_FOUND]\n`,
    );
  });
});
