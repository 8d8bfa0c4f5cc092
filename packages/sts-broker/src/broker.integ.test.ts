/**
 * The broker against moto's IAM and STS over real HTTP: a real uploader user
 * with an access key and a virtual MFA device, a role with an MFA trust
 * policy, credentials minted with both STS calls, the ledger written from
 * them, and a revocation applied to IAM and read back.
 *
 * moto does NOT check MFA codes (any 6 digits pass, and it does not check
 * the device belongs to the caller), trust policies, identity or session
 * policies, session tags, source identity, request signatures, the role's
 * MaxSessionDuration, or inactive access keys; and its GetSessionToken
 * returns the same example key for every call. So these tests check what
 * is sent and what comes back; enforcement of the session policy is proven
 * against MinIO (enforcement.integ.test.ts), and of the deny by the
 * evaluator (revoke.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAccessKeysCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { isTriageError, type TriageError } from '@triage/errors';
import { uploaderGroupPolicy, uploaderRolePolicy, uploaderRoleTrustPolicy } from '@triage/iam-policy';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type IssuedCredentials, issueAssumeRole, issueSessionToken } from './issue.js';
import { appendLedger, type IssueLedgerEntry, ledgerEntryFor, readLedger } from './ledger.js';
import { applyRevocation, planRevocation } from './revoke.js';
import { iamFor, type KeyPair, policyFromIam, stsFor } from './testing/servers.js';

const server = inject('triageServices').moto;
const suffix = randomUUID().slice(0, 8);
const bucket = `evidence-${suffix}`;
const userName = `triage-uploader-${suffix}`;
const roleName = `triage-uploader-role-${suffix}`;
const iam = iamFor(server);
// Any six digits: moto does not check MFA codes.
const MFA_CODE = '123456';

interface Setup {
  readonly userArn: string;
  readonly roleArn: string;
  readonly mfaSerial: string;
  readonly longTermKey: KeyPair;
}

async function createUploader(): Promise<Setup> {
  const user = await iam.send(new CreateUserCommand({ UserName: userName }));
  const userArn = user.User?.Arn as string;
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const longTermKey = {
    accessKeyId: key.AccessKey?.AccessKeyId as string,
    secretAccessKey: key.AccessKey?.SecretAccessKey as string,
  };
  const device = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: userName }));
  const mfaSerial = device.VirtualMFADevice?.SerialNumber as string;
  await iam.send(
    new EnableMFADeviceCommand({
      UserName: userName,
      SerialNumber: mfaSerial,
      AuthenticationCode1: '123456',
      AuthenticationCode2: '654321',
    }),
  );
  // The role and policies setup creates (see @triage/provision), from the same builders.
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      MaxSessionDuration: 7200,
      AssumeRolePolicyDocument: JSON.stringify(
        uploaderRoleTrustPolicy(userArn.split(':')[4] as string, userArn),
      ),
    }),
  );
  const roleArn = role.Role?.Arn as string;
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: roleName,
      PolicyName: 'triage-upload',
      PolicyDocument: JSON.stringify(uploaderRolePolicy(bucket)),
    }),
  );
  // Setup attaches this to a group the user is in; an inline user policy is the same to IAM's evaluation.
  await iam.send(
    new PutUserPolicyCommand({
      UserName: userName,
      PolicyName: 'triage-upload',
      PolicyDocument: JSON.stringify(uploaderGroupPolicy(bucket, roleArn)),
    }),
  );
  return { userArn, roleArn, mfaSerial, longTermKey };
}

function expectWindow(date: Date, from: number, to: number): void {
  // moto stamps times on the same machine; allow a little for rounding.
  expect(date.getTime()).toBeGreaterThanOrEqual(from - 1_000);
  expect(date.getTime()).toBeLessThanOrEqual(to + 1_000);
}

describe('the broker against moto (IAM and STS over HTTP)', () => {
  let setup: Setup;
  let ledger: string;
  let sessionToken: IssuedCredentials;
  let assumed: IssuedCredentials;
  let later: IssuedCredentials;

  beforeAll(async () => {
    setup = await createUploader();
    ledger = join(await mkdtemp(join(tmpdir(), 'sts-broker-integ-')), 'ledger.jsonl');
  });

  it('issues a session token with MFA, with its expiry on STS time', async () => {
    const before = Date.now();
    sessionToken = await issueSessionToken({
      sts: stsFor(server, setup.longTermKey),
      mfaSerial: setup.mfaSerial,
      mfaCode: MFA_CODE,
      durationSeconds: 1800,
      scope: { bucket, prefix: '' },
    });
    const after = Date.now();
    expect(sessionToken).toMatchObject({
      mode: 'session-token',
      durationSeconds: 1800,
      scope: { bucket, prefix: '' },
    });
    expect(sessionToken.accessKeyId).toMatch(/^[A-Z0-9]{16,}$/);
    expect(sessionToken.secretAccessKey.length).toBeGreaterThan(20);
    expect(sessionToken.sessionToken.length).toBeGreaterThan(20);
    expectWindow(sessionToken.expiration, before + 1_800_000, after + 1_800_000);
    expectWindow(sessionToken.issuedAt, before, after);
    expectWindow(sessionToken.requestedAt, before, after);
  });

  it('assumes the role with MFA and the session policy, as the session the broker names', async () => {
    const before = Date.now();
    assumed = await issueAssumeRole({
      sts: stsFor(server, setup.longTermKey),
      roleArn: setup.roleArn,
      caseId: 'IR-1',
      host: 'web-1',
      bucket,
      mfaSerial: setup.mfaSerial,
      mfaCode: MFA_CODE,
      durationSeconds: 7200,
      maxSessionDuration: 7200,
      sourceIdentity: 'alice',
    });
    const after = Date.now();
    const sessionArn = `arn:aws:sts::${setup.roleArn.split(':')[4]}:assumed-role/${roleName}/IR-1-web-1`;
    expect(assumed).toMatchObject({
      mode: 'assume-role',
      roleArn: setup.roleArn,
      sessionName: 'IR-1-web-1',
      assumedRoleArn: sessionArn,
      scope: { bucket, prefix: 'IR-1/web-1/' },
    });
    expect(assumed.accessKeyId).not.toBe(setup.longTermKey.accessKeyId);
    expectWindow(assumed.expiration, before + 7_200_000, after + 7_200_000);
    expectWindow(assumed.issuedAt, before, after);
    // The credentials are the session's: STS knows them by their key.
    const identity = await stsFor(server, assumed).send(new GetCallerIdentityCommand({}));
    expect(identity.Arn).toBe(sessionArn);
  });

  it('writes ledger lines that name the credentials and never hold their secrets', async () => {
    await appendLedger(
      ledger,
      ledgerEntryFor(sessionToken, {
        client: 'acme',
        issuer: 'alice',
        case: 'IR-1',
        host: 'db-1',
        userArn: setup.userArn,
      }),
    );
    await appendLedger(
      ledger,
      ledgerEntryFor(assumed, { client: 'acme', issuer: 'alice', userArn: setup.userArn }),
    );
    // A later session for another case: outside the revocation below, and clear of its cut-off (at most
    // two seconds after the IR-1 issue, plus a second for STS's rounding).
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    later = await issueAssumeRole({
      sts: stsFor(server, setup.longTermKey),
      roleArn: setup.roleArn,
      caseId: 'IR-2',
      host: 'web-9',
      bucket,
      mfaSerial: setup.mfaSerial,
      mfaCode: MFA_CODE,
      durationSeconds: 900,
      sourceIdentity: 'alice',
    });
    await appendLedger(ledger, ledgerEntryFor(later, { client: 'acme', issuer: 'alice' }));

    const bytes = await readFile(ledger);
    for (const secret of [sessionToken, assumed, later].flatMap((c) => [c.secretAccessKey, c.sessionToken])) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect((await stat(ledger)).mode & 0o777).toBe(0o600);
    const entries = (await readLedger(ledger)) as IssueLedgerEntry[];
    expect(entries.map((e) => [e.mode, e.case, e.host, e.accessKeyId])).toEqual([
      ['session-token', 'IR-1', 'db-1', sessionToken.accessKeyId],
      ['assume-role', 'IR-1', 'web-1', assumed.accessKeyId],
      ['assume-role', 'IR-2', 'web-9', later.accessKeyId],
    ]);
    expect(entries[1]).toMatchObject({
      roleArn: setup.roleArn,
      sessionName: 'IR-1-web-1',
      sourceIdentity: 'alice',
      issuedAt: assumed.issuedAt.toISOString(),
      expiresAt: assumed.expiration.toISOString(),
    });
  });

  it('revokes case IR-1 on the role and the user, deactivates the key, and reads the policies back', async () => {
    const plan = planRevocation({
      ledger: await readLedger(ledger),
      selector: { case: 'IR-1' },
      roleArn: setup.roleArn,
      userArn: setup.userArn,
    });
    expect(plan.attachments.map((a) => [a.kind, a.name])).toEqual([
      ['role', roleName],
      ['user', userName],
    ]);
    expect(plan.collateral).toEqual([]);
    expect(plan.proof.filter((r) => r.subject === 'selected').map((r) => r.decision)).toEqual([
      'ExplicitlyDenied',
      'ExplicitlyDenied',
    ]);
    expect(plan.proof.find((r) => r.accessKeyId === later.accessKeyId)?.subject).toBe('spared');

    // A dry run changes nothing.
    const dry = await applyRevocation(plan, { iam, dryRun: true, deactivateKeys: { userName } });
    expect(dry.steps.map((s) => s.outcome)).toEqual(['dry-run', 'dry-run', 'dry-run']);
    const [roleAttachment, userAttachment] = plan.attachments;
    await expect(
      iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: roleAttachment?.policyName })),
    ).rejects.toMatchObject({ name: 'NoSuchEntityException' });

    const result = await applyRevocation(plan, { iam, dryRun: false, deactivateKeys: { userName } });
    expect(result.steps.map((s) => [s.action, s.outcome])).toEqual([
      ['PutRolePolicy', 'done'],
      ['PutUserPolicy', 'done'],
      ['UpdateAccessKey', 'done'],
    ]);
    const onRole = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: roleAttachment?.policyName }),
    );
    expect(policyFromIam(onRole.PolicyDocument)).toEqual(roleAttachment?.document);
    const onUser = await iam.send(
      new GetUserPolicyCommand({ UserName: userName, PolicyName: userAttachment?.policyName }),
    );
    expect(policyFromIam(onUser.PolicyDocument)).toEqual(userAttachment?.document);
    const keys = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
    expect(keys.AccessKeyMetadata?.map((k) => [k.AccessKeyId, k.Status])).toEqual([
      [setup.longTermKey.accessKeyId, 'Inactive'],
    ]);

    for (const entry of result.ledgerEntries) await appendLedger(ledger, entry);
    const after = await readLedger(ledger);
    expect(after.map((e) => e.type)).toEqual(['issue', 'issue', 'issue', 'revoke', 'revoke']);
    expect(after[4]).toMatchObject({
      targetKind: 'user',
      target: setup.userArn,
      deactivatedKeys: { userName, accessKeyIds: [setup.longTermKey.accessKeyId] },
    });

    // Applying again is harmless: the key is already inactive, the policies are put again unchanged.
    const again = await applyRevocation(plan, { iam, dryRun: false, deactivateKeys: { userName } });
    expect(again.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'already-inactive']);
  });

  it('says NOT_FOUND, through the SDK, for a role that does not exist', async () => {
    const missingRole = `arn:aws:iam::${setup.roleArn.split(':')[4]}:role/missing-${suffix}`;
    const entry = {
      ...ledgerEntryFor(later, { client: 'acme', issuer: 'alice', id: 'ghost' }),
      roleArn: missingRole,
    };
    const plan = planRevocation({ ledger: [entry], selector: { case: 'IR-2' } });
    const error = (await applyRevocation(plan, { iam, dryRun: false }).catch(
      (e: unknown) => e,
    )) as TriageError;
    expect(isTriageError(error, 'NOT_FOUND')).toBe(true);
    expect(error.context).toMatchObject({
      operation: 'PutRolePolicy',
      awsError: 'NoSuchEntityException',
      httpStatus: 404,
    });
  });
});
