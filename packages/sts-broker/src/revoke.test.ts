import type { IAMClient } from '@aws-sdk/client-iam';
import { isTriageError, type TriageError } from '@triage/errors';
import { revokeTokensIssuedBefore, uploaderIdentityPolicy, uploaderRolePolicy } from '@triage/iam-policy';
import { describe, expect, it } from 'vitest';
import {
  type IssueLedgerEntry,
  type LedgerEntry,
  parseLedgerEntry,
  type RevokeLedgerEntry,
} from './ledger.js';
import {
  applyRevocation,
  type PlanRevocationOptions,
  planRevocation,
  type RevocationPlan,
  verifyRevocations,
} from './revoke.js';
import {
  ACCOUNT,
  fakeClient,
  issueEntry,
  type RecordedCall,
  ROLE_ARN,
  rejected,
  sdkError,
  thrown,
  USER_ARN,
} from './testing/fakes.js';

const NOW = new Date('2026-11-23T19:00:00.000Z');
const at = (hhmmss: string) => `2026-11-23T${hhmmss}.000Z`;

function plan(
  ledger: readonly LedgerEntry[],
  overrides: Partial<PlanRevocationOptions> = {},
): RevocationPlan {
  return planRevocation({ ledger, selector: { case: 'IR-1' }, now: () => NOW, ...overrides });
}

function rows(p: RevocationPlan, subject: string) {
  return p.proof.filter((r) => r.subject === subject);
}

describe('planRevocation', () => {
  it('denies every selected assume-role session, spares later ones, and proves a new credential still works', () => {
    const web1 = issueEntry({ issuedAt: at('18:20:00'), host: 'web-1' });
    const web2 = issueEntry({ issuedAt: at('18:30:00.250'.slice(0, 8)), host: 'web-2' });
    const later = issueEntry({ issuedAt: at('18:45:00'), case: 'IR-2', host: 'db-1' });
    const p = plan([web1, web2, later]);

    expect(p.entries.map((e) => e.id)).toEqual([web1.id, web2.id]);
    expect(p.collateral).toEqual([]);
    expect(p.attachments).toHaveLength(1);
    const [attachment] = p.attachments;
    expect(attachment).toMatchObject({
      kind: 'role',
      name: 'triage-uploader',
      arn: ROLE_ARN,
      cutoff: new Date(at('18:30:01')),
      policyName: 'triage-revoke-20261123T183001Z',
      entries: [web1.id, web2.id],
      collateral: [],
    });
    expect(attachment?.document).toEqual(revokeTokensIssuedBefore(new Date(at('18:30:01'))));

    const selected = rows(p, 'selected');
    expect(selected.map((r) => [r.accessKeyId, r.withoutRevocation, r.decision])).toEqual([
      [web1.accessKeyId, 'Allowed', 'ExplicitlyDenied'],
      [web2.accessKeyId, 'Allowed', 'ExplicitlyDenied'],
    ]);
    expect(selected[0]).toMatchObject({
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/triage-uploader/IR-1-web-1`,
      target: ROLE_ARN,
      // The latest the token may have been issued: STS reports times to the second.
      tokenIssueTime: '2026-11-23T18:20:00.999Z',
      action: 's3:PutObject',
      resource: 'arn:aws:s3:::acme-evidence/IR-1/web-1/triage-revocation-probe',
      expired: false,
    });
    expect(rows(p, 'spared').map((r) => [r.entryId, r.decision])).toEqual([[later.id, 'Allowed']]);
    const [control] = rows(p, 'new-credential');
    expect(control).toMatchObject({ decision: 'Allowed', tokenIssueTime: '2026-11-23T19:00:01.000Z' });
    expect(control).not.toHaveProperty('accessKeyId');
  });

  it('rounds the cut-off up to the first whole second at least one second after the latest issue', () => {
    const entry = issueEntry({ issuedAt: '2026-11-23T18:30:00.250Z' });
    expect(plan([entry]).attachments[0]?.cutoff.toISOString()).toBe('2026-11-23T18:30:02.000Z');
  });

  it('refuses collateral: another live session of the same role issued before the cut-off', () => {
    const web1 = issueEntry({ issuedAt: at('18:20:00') });
    const other = issueEntry({ issuedAt: at('18:10:00'), case: 'IR-2', host: 'db-1' });
    const error = thrown(() => plan([web1, other])) as TriageError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('1 other live credential');
    expect(error.message).toContain('IR-2/db-1');
    expect(error.message).toContain('allowCollateral: true');
    expect(error.context.collateral).toEqual([other.id]);
    expect(error.context.collateralAccessKeyIds).toEqual([other.accessKeyId]);
  });

  it('reports collateral, proven denied, when allowed', () => {
    const web1 = issueEntry({ issuedAt: at('18:20:00') });
    const other = issueEntry({ issuedAt: at('18:10:00'), case: 'IR-2', host: 'db-1' });
    const p = plan([web1, other], { allowCollateral: true });
    expect(p.collateral).toEqual([other]);
    expect(p.attachments[0]?.collateral).toEqual([other.id]);
    expect(rows(p, 'collateral')).toMatchObject([
      { entryId: other.id, withoutRevocation: 'Allowed', decision: 'ExplicitlyDenied' },
    ]);
  });

  it('does not count expired credentials, or ones an earlier revocation already cut, as collateral', () => {
    const web1 = issueEntry({ issuedAt: at('18:20:00') });
    const expired = issueEntry({ issuedAt: at('17:00:00'), expiresAt: at('18:00:00'), case: 'IR-2' });
    const cutBefore = issueEntry({ issuedAt: at('18:05:00'), case: 'IR-3' });
    const earlier: RevokeLedgerEntry = {
      v: 1,
      type: 'revoke',
      id: 'r0',
      at: at('18:06:00'),
      cutoff: at('18:05:01'),
      targetKind: 'role',
      target: ROLE_ARN,
      policyName: 'triage-revoke-20261123T180501Z',
      scope: { selector: { case: 'IR-3' }, entries: [cutBefore.id], collateral: [] },
    };
    const p = plan([web1, expired, cutBefore, earlier]);
    expect(p.collateral).toEqual([]);
    expect(p.proof.map((r) => r.entryId).filter(Boolean)).toEqual([web1.id]);
  });

  it('leaves other roles alone', () => {
    const web1 = issueEntry({ issuedAt: at('18:20:00') });
    const otherRole = issueEntry({
      issuedAt: at('18:10:00'),
      case: 'IR-2',
      roleArn: `arn:aws:iam::${ACCOUNT}:role/another-uploader`,
    });
    const p = plan([web1, otherRole]);
    expect(p.collateral).toEqual([]);
    expect(p.proof.some((r) => r.entryId === otherRole.id)).toBe(false);
  });

  it('revokes session tokens on the user, where every earlier token of the user is collateral, whatever its case', () => {
    const mine = issueEntry({ issuedAt: at('18:20:00'), mode: 'session-token', host: 'db-1' });
    const theirs = issueEntry({ issuedAt: at('18:10:00'), mode: 'session-token', case: 'IR-2' });
    expect(
      isTriageError(
        thrown(() => plan([mine, theirs])),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    const p = plan([mine, theirs], { allowCollateral: true });
    expect(p.attachments).toMatchObject([
      { kind: 'user', name: 'triage-uploader', arn: USER_ARN, policyName: 'triage-revoke-20261123T182001Z' },
    ]);
    expect(rows(p, 'selected')).toMatchObject([
      { principal: USER_ARN, withoutRevocation: 'Allowed', decision: 'ExplicitlyDenied' },
    ]);
    expect(rows(p, 'collateral').map((r) => r.entryId)).toEqual([theirs.id]);
    expect(rows(p, 'new-credential')[0]?.decision).toBe('Allowed');
  });

  it('proves session tokens scoped to the whole bucket against the default user policy', () => {
    const token = issueEntry({
      issuedAt: at('18:20:00'),
      mode: 'session-token',
      scope: { bucket: 'acme-evidence', prefix: '' },
    });
    const p = plan([token]);
    expect(rows(p, 'selected')[0]).toMatchObject({
      resource: 'arn:aws:s3:::acme-evidence/triage-revocation-probe',
      withoutRevocation: 'Allowed',
      decision: 'ExplicitlyDenied',
    });
    expect(rows(p, 'new-credential')[0]?.decision).toBe('Allowed');
  });

  it('attaches to the role and the user when a case has both kinds', () => {
    const role = issueEntry({ issuedAt: at('18:20:00') });
    const token = issueEntry({ issuedAt: at('18:25:00'), mode: 'session-token' });
    const p = plan([token, role]);
    expect(p.attachments.map((a) => [a.kind, a.cutoff.toISOString()])).toEqual([
      ['role', at('18:20:01')],
      ['user', at('18:25:01')],
    ]);
    expect(rows(p, 'new-credential')).toHaveLength(2);
  });

  it('uses the user given for session-token entries that do not name theirs', () => {
    const { userArn: _omit, ...token } = issueEntry({ issuedAt: at('18:20:00'), mode: 'session-token' });
    expect(
      isTriageError(
        thrown(() => plan([token])),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    const p = plan([token], { userArn: USER_ARN });
    expect(p.attachments[0]?.arn).toBe(USER_ARN);
  });

  it('refuses an entry of another role or user than the one given', () => {
    const role = issueEntry({ issuedAt: at('18:20:00') });
    const token = issueEntry({ issuedAt: at('18:20:00'), mode: 'session-token', case: 'IR-2' });
    expect(
      isTriageError(
        thrown(() => plan([role], { roleArn: `arn:aws:iam::${ACCOUNT}:role/other` })),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(
      isTriageError(
        thrown(() =>
          plan([token], { selector: { case: 'IR-2' }, userArn: `arn:aws:iam::${ACCOUNT}:user/other` }),
        ),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });

  it('counts a credential within a second of the cut-off as collateral, since STS times are to the second', () => {
    const selected = issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z', host: 'web-1' });
    const near = ['18:00:00.999', '18:00:01.000', '18:00:01.999'].map((t, i) =>
      issueEntry({ issuedAt: `2026-11-23T${t}Z`, host: `near-${i}` }),
    );
    const clear = issueEntry({ issuedAt: '2026-11-23T18:00:02.000Z', host: 'clear' });
    const p = plan([selected, ...near, clear], { selector: { host: 'web-1' }, allowCollateral: true });
    expect(p.attachments[0]?.cutoff.toISOString()).toBe('2026-11-23T18:00:01.000Z');
    expect(p.collateral.map((e) => e.id)).toEqual(near.map((e) => e.id));
    expect(rows(p, 'spared').map((r) => [r.entryId, r.tokenIssueTime])).toEqual([
      [clear.id, '2026-11-23T18:00:01.000Z'],
    ]);
  });

  it('with `before`, leaves out a credential within a second of it and weighs it as collateral', () => {
    const sure = issueEntry({ issuedAt: at('18:29:59'), host: 'web-1' });
    const unsure = issueEntry({ issuedAt: '2026-11-23T18:29:59.500Z', host: 'web-2' });
    const p = plan([sure, unsure], {
      selector: { case: 'IR-1', before: new Date(at('18:30:00')) },
      allowCollateral: true,
    });
    expect(p.entries).toEqual([sure]);
    expect(p.collateral).toEqual([unsure]);
  });

  it('uses `before` as the cut-off and selects only earlier entries', () => {
    const early = issueEntry({ issuedAt: at('18:00:00') });
    const late = issueEntry({ issuedAt: at('18:40:00') });
    const p = plan([early, late], { selector: { case: 'IR-1', before: new Date(at('18:30:00')) } });
    expect(p.entries).toEqual([early]);
    expect(p.attachments[0]?.cutoff).toEqual(new Date(at('18:30:00')));
    expect(rows(p, 'spared').map((r) => r.entryId)).toEqual([late.id]);
  });

  it('selects by access key id and host', () => {
    const a = issueEntry({ issuedAt: at('18:20:00'), host: 'web-1' });
    const b = issueEntry({ issuedAt: at('18:40:00'), host: 'web-2' });
    expect(plan([a, b], { selector: { accessKeyId: a.accessKeyId } }).entries).toEqual([a]);
    expect(plan([a, b], { selector: { host: 'web-1' } }).entries).toEqual([a]);
    // Selecting the later one makes the earlier one collateral.
    const later = plan([a, b], { selector: { accessKeyId: b.accessKeyId }, allowCollateral: true });
    expect([later.entries, later.collateral]).toEqual([[b], [a]]);
  });

  it('marks selected credentials that have already expired', () => {
    const old = issueEntry({ issuedAt: at('17:00:00'), expiresAt: at('18:00:00') });
    expect(rows(plan([old]), 'selected')[0]).toMatchObject({ expired: true, decision: 'ExplicitlyDenied' });
  });

  it.each([
    ['an empty selector', {}, 'INVALID_ARGUMENT'],
    ['a future `before`', { before: new Date(NOW.getTime() + 1000) }, 'INVALID_ARGUMENT'],
    ['an invalid `before`', { before: new Date(Number.NaN) }, 'INVALID_ARGUMENT'],
    ['a malformed case', { case: 'IR 1' }, 'INVALID_ARGUMENT'],
    ['a selector matching nothing', { case: 'IR-9' }, 'NOT_FOUND'],
  ])('refuses %s', (_label, selector, code) => {
    const error = thrown(() => plan([issueEntry({ issuedAt: at('18:20:00') })], { selector }));
    expect(isTriageError(error, code as 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses to call it a proof when the policies given do not allow a new credential to upload', () => {
    const readOnly = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-evidence/*' }],
    };
    const error = thrown(() =>
      plan([issueEntry({ issuedAt: at('18:20:00') })], { policies: { role: [readOnly] } }),
    ) as TriageError;
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toContain('policies.role');
  });

  it('proves against the policies given, with the session policy and principal tags applied', () => {
    // A role policy that scopes by session tag, as a tag-based setup would.
    const tagScoped = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource:
            // biome-ignore lint/suspicious/noTemplateCurlyInString: IAM policy variables, on purpose
            'arn:aws:s3:::acme-evidence/${aws:PrincipalTag/triage:case}/${aws:PrincipalTag/triage:host}/*',
          Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
        },
      ],
    };
    const p = plan([issueEntry({ issuedAt: at('18:20:00') })], { policies: { role: [tagScoped] } });
    expect(rows(p, 'selected')[0]).toMatchObject({
      withoutRevocation: 'Allowed',
      decision: 'ExplicitlyDenied',
    });
    expect(rows(p, 'new-credential')[0]?.decision).toBe('Allowed');
  });

  it('finds as collateral exactly the live entries of the principal issued before the cut-off', () => {
    // Independent check of the evaluator's verdicts against plain date arithmetic.
    const base = Date.parse(at('17:30:00'));
    const others = Array.from({ length: 40 }, (_, i) => {
      const issued = base + ((i * 7919) % 3600) * 1000;
      // Lifetimes from 20 minutes to 3 hours: some have expired by NOW, most not.
      const lifetime = (20 + ((i * 37) % 160)) * 60_000;
      return issueEntry({
        issuedAt: new Date(issued).toISOString(),
        expiresAt: new Date(issued + lifetime).toISOString(),
        case: `IR-${100 + i}`,
        ...(i % 3 === 0 ? { mode: 'session-token' as const } : {}),
      });
    });
    const selected = issueEntry({ issuedAt: at('18:00:00') });
    const p = plan([selected, ...others], { allowCollateral: true });
    const cutoff = Date.parse(at('18:00:01'));
    // Others count from the earliest they may have been issued: a second before their ledger time.
    const expected = others
      .filter(
        (e) =>
          e.mode === 'assume-role' &&
          Date.parse(e.issuedAt) - 1000 < cutoff &&
          Date.parse(e.expiresAt) > NOW.getTime(),
      )
      .map((e) => e.id)
      .sort();
    expect(expected.length).toBeGreaterThan(3);
    expect(p.collateral.map((e) => e.id).sort()).toEqual(expected);
  });
});

function iamFake(
  keys: { id: string; status: 'Active' | 'Inactive' }[],
  fail?: (call: RecordedCall) => unknown,
) {
  return fakeClient<IAMClient>((call) => {
    const failure = fail?.(call);
    if (failure) throw failure;
    if (call.command === 'ListAccessKeysCommand') {
      return {
        AccessKeyMetadata: keys.map((k) => ({
          AccessKeyId: k.id,
          Status: k.status,
          UserName: 'triage-uploader',
        })),
        IsTruncated: false,
      };
    }
    return {};
  });
}

describe('applyRevocation', () => {
  const role = issueEntry({ issuedAt: at('18:20:00') });
  const token = issueEntry({ issuedAt: at('18:25:00'), mode: 'session-token' });
  const keys = [
    { id: 'AKIAEXAMPLEACTIVE001', status: 'Active' as const },
    { id: 'AKIAEXAMPLEINACTIV02', status: 'Inactive' as const },
  ];

  it('puts the deny on the role and the user, deactivates active keys, and returns valid revoke entries', async () => {
    const p = plan([role, token]);
    const { client, calls } = iamFake(keys);
    const result = await applyRevocation(p, {
      iam: client,
      dryRun: false,
      deactivateKeys: { userName: 'triage-uploader' },
      now: () => NOW,
    });
    expect(calls.map((c) => c.command)).toEqual([
      'PutRolePolicyCommand',
      'PutUserPolicyCommand',
      'ListAccessKeysCommand',
      'UpdateAccessKeyCommand',
    ]);
    expect(calls[0]?.input).toEqual({
      RoleName: 'triage-uploader',
      PolicyName: 'triage-revoke-20261123T182001Z',
      PolicyDocument: JSON.stringify(revokeTokensIssuedBefore(new Date(at('18:20:01')))),
    });
    expect(calls[1]?.input).toMatchObject({
      UserName: 'triage-uploader',
      PolicyName: 'triage-revoke-20261123T182501Z',
    });
    expect(calls[3]?.input).toEqual({
      UserName: 'triage-uploader',
      AccessKeyId: 'AKIAEXAMPLEACTIVE001',
      Status: 'Inactive',
    });
    expect(result.steps.map((s) => [s.action, s.outcome])).toEqual([
      ['PutRolePolicy', 'done'],
      ['PutUserPolicy', 'done'],
      ['UpdateAccessKey', 'done'],
      ['UpdateAccessKey', 'already-inactive'],
    ]);
    expect(result.ledgerEntries).toHaveLength(2);
    for (const entry of result.ledgerEntries) expect(parseLedgerEntry(entry)).toEqual(entry);
    expect(result.ledgerEntries[0]).toMatchObject({
      type: 'revoke',
      at: NOW.toISOString(),
      cutoff: at('18:20:01'),
      targetKind: 'role',
      target: ROLE_ARN,
      policyName: 'triage-revoke-20261123T182001Z',
      scope: { selector: { case: 'IR-1' }, entries: [role.id], collateral: [] },
    });
    expect(result.ledgerEntries[0]).not.toHaveProperty('deactivatedKeys');
    expect(result.ledgerEntries[1]).toMatchObject({
      targetKind: 'user',
      target: USER_ARN,
      scope: { entries: [token.id] },
      deactivatedKeys: { userName: 'triage-uploader', accessKeyIds: ['AKIAEXAMPLEACTIVE001'] },
    });
  });

  it('changes nothing in a dry run, but says what it would do', async () => {
    const { client, calls } = iamFake(keys);
    const result = await applyRevocation(plan([role]), {
      iam: client,
      dryRun: true,
      deactivateKeys: { userName: 'triage-uploader' },
    });
    expect(calls.map((c) => c.command)).toEqual(['ListAccessKeysCommand']);
    expect(result).toEqual({
      dryRun: true,
      steps: [
        {
          action: 'PutRolePolicy',
          name: 'triage-uploader',
          policyName: 'triage-revoke-20261123T182001Z',
          outcome: 'dry-run',
        },
        {
          action: 'UpdateAccessKey',
          name: 'triage-uploader',
          accessKeyId: 'AKIAEXAMPLEACTIVE001',
          outcome: 'dry-run',
        },
        {
          action: 'UpdateAccessKey',
          name: 'triage-uploader',
          accessKeyId: 'AKIAEXAMPLEINACTIV02',
          outcome: 'already-inactive',
        },
      ],
      ledgerEntries: [],
    });
  });

  it('follows ListAccessKeys pages', async () => {
    let page = 0;
    const { client, calls } = fakeClient<IAMClient>((call) => {
      if (call.command !== 'ListAccessKeysCommand') return {};
      page += 1;
      return page === 1
        ? {
            AccessKeyMetadata: [{ AccessKeyId: 'AKIAEXAMPLEPAGEONE01', Status: 'Active' }],
            IsTruncated: true,
            Marker: 'm1',
          }
        : {
            AccessKeyMetadata: [{ AccessKeyId: 'AKIAEXAMPLEPAGETWO02', Status: 'Active' }],
            IsTruncated: false,
          };
    });
    await applyRevocation(plan([role]), {
      iam: client,
      dryRun: false,
      deactivateKeys: { userName: 'triage-uploader' },
    });
    expect(calls.filter((c) => c.command === 'ListAccessKeysCommand').map((c) => c.input.Marker)).toEqual([
      undefined,
      'm1',
    ]);
    expect(
      calls.filter((c) => c.command === 'UpdateAccessKeyCommand').map((c) => c.input.AccessKeyId),
    ).toEqual(['AKIAEXAMPLEPAGEONE01', 'AKIAEXAMPLEPAGETWO02']);
  });

  it('translates IAM errors, and says how many steps were done', async () => {
    const first = iamFake(keys, (call) =>
      call.command === 'PutRolePolicyCommand' ? sdkError('NoSuchEntityException', 404) : undefined,
    );
    const notFound = (await rejected(
      applyRevocation(plan([role]), { iam: first.client, dryRun: false }),
    )) as TriageError;
    expect(notFound.code).toBe('NOT_FOUND');
    expect(notFound.message).not.toContain('step');

    const later = iamFake(keys, (call) =>
      call.command === 'PutUserPolicyCommand' ? sdkError('LimitExceededException', 409) : undefined,
    );
    const quota = (await rejected(
      applyRevocation(plan([role, token]), { iam: later.client, dryRun: false }),
    )) as TriageError;
    expect(quota.code).toBe('CONFIG_INVALID');
    expect(quota.message).toContain('1 revocation step(s) were done');
    expect(quota.context.stepsDone).toBe(1);
    expect(quota.message).toContain('2,048');
  });

  it('refuses an altered plan, or one with collateral not accepted', async () => {
    const { client, calls } = iamFake(keys);
    const p = plan([role]);
    const [attachment] = p.attachments;
    const widened = {
      ...p,
      attachments: [
        {
          ...attachment!,
          document: {
            Version: '2012-10-17' as const,
            Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }],
          },
        },
      ],
    };
    const renamed = { ...p, attachments: [{ ...attachment!, name: 'admin' }] };
    const sneaky = { ...p, collateral: [issueEntry({ issuedAt: at('18:00:00') }) as IssueLedgerEntry] };
    for (const bad of [widened, renamed, sneaky, { ...p, attachments: [] }]) {
      expect(
        isTriageError(
          await rejected(applyRevocation(bad, { iam: client, dryRun: false })),
          'INVALID_ARGUMENT',
        ),
      ).toBe(true);
    }
    expect(
      isTriageError(
        await rejected(
          applyRevocation(p, { iam: client, dryRun: false, deactivateKeys: { userName: 'bad name' } }),
        ),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    expect(calls).toEqual([]);
  });
});

describe('verifyRevocations', () => {
  const role = issueEntry({ issuedAt: at('18:20:00') });
  const token = issueEntry({ issuedAt: at('18:25:00'), mode: 'session-token' });
  const spared = issueEntry({ issuedAt: at('18:40:00'), case: 'IR-2', host: 'db-1' });

  async function revokedLedger(): Promise<LedgerEntry[]> {
    const p = plan([role, token, spared]);
    const { client } = iamFake([]);
    const result = await applyRevocation(p, { iam: client, dryRun: false, now: () => NOW });
    return [role, token, spared, ...result.ledgerEntries];
  }

  /** What IAM would hold: setup's upload policy, plus the revoke denies that the ledger says were put. */
  function inForce(ledger: readonly LedgerEntry[], keepDenies: boolean) {
    return async (principal: { kind: 'role' | 'user'; arn: string }) => {
      const sample = principal.kind === 'role' ? role : token;
      const base =
        principal.kind === 'role'
          ? uploaderRolePolicy(sample.scope.bucket)
          : uploaderIdentityPolicy(sample.scope.bucket, sample.scope.prefix);
      const denies = keepDenies
        ? ledger
            .filter((e): e is RevokeLedgerEntry => e.type === 'revoke' && e.target === principal.arn)
            .map((e) => revokeTokensIssuedBefore(new Date(e.cutoff)))
        : [];
      return [base, ...denies];
    };
  }

  it('finds every revoked credential explicitly denied by the policies in force, and only those', async () => {
    const ledger = await revokedLedger();
    const checks = await verifyRevocations({ ledger, policiesOf: inForce(ledger, true), now: () => NOW });
    expect(checks.map((c) => [c.entryId, c.mode, c.decision, c.holds])).toEqual([
      [role.id, 'assume-role', 'ExplicitlyDenied', true],
      [token.id, 'session-token', 'ExplicitlyDenied', true],
    ]);
  });

  it('says a revocation no longer holds when its deny policy was removed', async () => {
    const ledger = await revokedLedger();
    const checks = await verifyRevocations({ ledger, policiesOf: inForce(ledger, false), now: () => NOW });
    expect(checks.map((c) => [c.mode, c.decision, c.holds])).toEqual([
      ['assume-role', 'Allowed', false],
      ['session-token', 'Allowed', false],
    ]);
  });

  it('reads each principal once and checks nothing when nothing was revoked', async () => {
    const ledger = await revokedLedger();
    const asked: string[] = [];
    const policiesOf = inForce(ledger, true);
    await verifyRevocations({
      ledger: [...ledger, issueEntry({ issuedAt: at('18:21:00'), host: 'web-9' })],
      policiesOf: async (p) => {
        asked.push(p.kind);
        return policiesOf(p);
      },
      now: () => NOW,
    });
    expect(asked.sort()).toEqual(['role', 'user']);
    expect(await verifyRevocations({ ledger: [role, token], policiesOf, now: () => NOW })).toEqual([]);
  });
});
