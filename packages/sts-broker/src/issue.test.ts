import { isTriageError, type TriageError } from '@triage/errors';
import { uploadSessionPolicy } from '@triage/iam-policy';
import { describe, expect, it } from 'vitest';
import {
  type IssueAssumeRoleOptions,
  type IssueSessionTokenOptions,
  issueAssumeRole,
  issueSessionToken,
  sessionNameFor,
  sessionPolicyText,
} from './issue.js';
import { BUCKET, fakeClient, ROLE_ARN, rejected, sdkError, thrown } from './testing/fakes.js';

const NOW = new Date('2026-11-23T18:00:00.000Z');
const SERIAL = 'arn:aws:iam::111122223333:mfa/triage-uploader';
const CODE = '492817';

function stsAnswering(durationFromInput = true, extra: Record<string, unknown> = {}) {
  return fakeClient((call) => {
    const duration = durationFromInput ? (call.input.DurationSeconds as number) : 3600;
    // STS stamps expiry on its own clock: two seconds after our request here.
    const expiration = new Date(NOW.getTime() + 2_000 + duration * 1000);
    return {
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE123456789',
        SecretAccessKey: 'secret/KEY+example0123456789abcdefghijkl',
        SessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
        Expiration: expiration,
      },
      AssumedRoleUser: { Arn: 'arn:aws:sts::111122223333:assumed-role/triage-uploader/IR-1-web-1' },
      ...extra,
    };
  });
}

function sessionTokenOptions(overrides: Partial<IssueSessionTokenOptions> = {}) {
  const fake = stsAnswering();
  const options: IssueSessionTokenOptions = {
    sts: fake.client,
    mfaSerial: SERIAL,
    mfaCode: CODE,
    durationSeconds: 1800,
    scope: { bucket: BUCKET, prefix: 'uploads/' },
    now: () => NOW,
    ...overrides,
  };
  return { options, calls: fake.calls };
}

function assumeRoleOptions(overrides: Partial<IssueAssumeRoleOptions> = {}) {
  const fake = stsAnswering();
  const options: IssueAssumeRoleOptions = {
    sts: fake.client,
    roleArn: ROLE_ARN,
    caseId: 'IR-1',
    host: 'web-1',
    bucket: BUCKET,
    mfaSerial: SERIAL,
    mfaCode: CODE,
    durationSeconds: 1800,
    sourceIdentity: 'alice',
    now: () => NOW,
    ...overrides,
  };
  return { options, calls: fake.calls };
}

function expectNoCode(error: unknown, code: string): void {
  const e = error as TriageError;
  expect(e.message).not.toContain(code);
  expect(JSON.stringify(e.toJSON())).not.toContain(code);
}

describe('issueSessionToken', () => {
  it('calls GetSessionToken with the MFA device, code and duration, and returns the credentials', async () => {
    const { options, calls } = sessionTokenOptions();
    const issued = await issueSessionToken(options);
    expect(calls).toEqual([
      {
        command: 'GetSessionTokenCommand',
        input: { DurationSeconds: 1800, SerialNumber: SERIAL, TokenCode: CODE },
      },
    ]);
    expect(issued).toEqual({
      mode: 'session-token',
      accessKeyId: 'ASIAEXAMPLE123456789',
      secretAccessKey: 'secret/KEY+example0123456789abcdefghijkl',
      sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
      expiration: new Date('2026-11-23T18:30:02.000Z'),
      // STS's clock (expiration − duration), not ours: that is what aws:TokenIssueTime holds.
      issuedAt: new Date('2026-11-23T18:00:02.000Z'),
      requestedAt: NOW,
      durationSeconds: 1800,
      scope: { bucket: BUCKET, prefix: 'uploads/' },
    });
  });

  it('defaults to one hour', async () => {
    const { options, calls } = sessionTokenOptions();
    const { durationSeconds: _omit, ...rest } = options;
    expect((await issueSessionToken(rest)).durationSeconds).toBe(3600);
    expect(calls[0]?.input.DurationSeconds).toBe(3600);
  });

  it.each([900, 129_600])('accepts %i seconds', async (durationSeconds) => {
    const { options } = sessionTokenOptions({ durationSeconds });
    expect((await issueSessionToken(options)).durationSeconds).toBe(durationSeconds);
  });

  it.each([899, 129_601, 1800.5, Number.NaN, 0, -900])(
    'refuses %s seconds with the allowed range, before any call',
    async (durationSeconds) => {
      const { options, calls } = sessionTokenOptions({ durationSeconds });
      const error = await rejected(issueSessionToken(options));
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain('from 900 to 129600');
      expect(calls).toEqual([]);
    },
  );

  it.each(['12345', '1234567', '12a456', ' 123456', '123456\n', '١٢٣٤٥٦', '', '12 456'])(
    'refuses the malformed MFA code %j without echoing it, before any call',
    async (mfaCode) => {
      const { options, calls } = sessionTokenOptions({ mfaCode });
      const error = await rejected(issueSessionToken(options));
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/^malformed MFA code/);
      if (mfaCode.trim()) expectNoCode(error, mfaCode.trim());
      expect(calls).toEqual([]);
    },
  );

  it.each([
    ['a prefix with a wildcard', { bucket: BUCKET, prefix: 'uploads/*/' }],
    ['a prefix without its slash', { bucket: BUCKET, prefix: 'uploads' }],
    ['a prefix that is only a slash', { bucket: BUCKET, prefix: '/' }],
    ['a prefix with a dot segment', { bucket: BUCKET, prefix: 'uploads/../' }],
    ['a bucket with upper case', { bucket: 'Evidence', prefix: 'uploads/' }],
  ])('refuses %s before any call', async (_label, scope) => {
    const { options, calls } = sessionTokenOptions({ scope });
    expect(isTriageError(await rejected(issueSessionToken(options)), 'INVALID_ARGUMENT')).toBe(true);
    expect(calls).toEqual([]);
  });

  it("accepts the whole bucket ('' prefix), which is what setup's uploader group policy allows", async () => {
    const { options } = sessionTokenOptions({ scope: { bucket: BUCKET, prefix: '' } });
    expect((await issueSessionToken(options)).scope).toEqual({ bucket: BUCKET, prefix: '' });
  });

  it('refuses a malformed MFA serial', async () => {
    const { options, calls } = sessionTokenOptions({ mfaSerial: 'short' });
    expect(isTriageError(await rejected(issueSessionToken(options)), 'INVALID_ARGUMENT')).toBe(true);
    expect(calls).toEqual([]);
  });

  it('translates a refusal into PERMISSION_DENIED, keeping the SDK error as cause and out of the message', async () => {
    const denial = sdkError(
      'AccessDenied',
      403,
      'MultiFactorAuthentication failed with invalid MFA one time pass code.',
    );
    const { client } = fakeClient(() => {
      throw denial;
    });
    const { options } = sessionTokenOptions({ sts: client });
    const error = (await rejected(issueSessionToken(options))) as TriageError;
    expect(error.code).toBe('PERMISSION_DENIED');
    expect(error.cause).toBe(denial);
    expect(error.message).toContain('MFA code may be wrong');
    expect(error.message).not.toContain('one time pass code');
    expect(error.context).toMatchObject({
      operation: 'GetSessionToken',
      awsError: 'AccessDenied',
      httpStatus: 403,
    });
    expectNoCode(error, CODE);
  });

  it('refuses an answer without credentials, or with expired ones', async () => {
    const empty = fakeClient(() => ({}));
    const { options } = sessionTokenOptions({ sts: empty.client });
    expect(isTriageError(await rejected(issueSessionToken(options)), 'DATA_INVALID')).toBe(true);
    const stale = fakeClient(() => ({
      Credentials: {
        AccessKeyId: 'ASIAEXAMPLE123456789',
        SecretAccessKey: 's',
        SessionToken: 't',
        Expiration: new Date(NOW.getTime() - 1000),
      },
    }));
    const error = await rejected(issueSessionToken({ ...options, sts: stale.client }));
    expect(isTriageError(error, 'CREDENTIALS_EXPIRING')).toBe(true);
  });
});

describe('issueAssumeRole', () => {
  it('sends the session name, session policy, MFA, source identity and tags, and scopes to case/host/', async () => {
    const { options, calls } = assumeRoleOptions({ tags: { 'triage:client': 'acme' } });
    const issued = await issueAssumeRole(options);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe('AssumeRoleCommand');
    expect(calls[0]?.input).toEqual({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'IR-1-web-1',
      Policy: JSON.stringify(uploadSessionPolicy(BUCKET, 'IR-1', 'web-1')),
      DurationSeconds: 1800,
      SerialNumber: SERIAL,
      TokenCode: CODE,
      SourceIdentity: 'alice',
      Tags: [
        { Key: 'triage:case', Value: 'IR-1' },
        { Key: 'triage:host', Value: 'web-1' },
        { Key: 'triage:client', Value: 'acme' },
      ],
    });
    expect(issued).toMatchObject({
      mode: 'assume-role',
      scope: { bucket: BUCKET, prefix: 'IR-1/web-1/' },
      roleArn: ROLE_ARN,
      sessionName: 'IR-1-web-1',
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/triage-uploader/IR-1-web-1',
      sourceIdentity: 'alice',
      caseId: 'IR-1',
      host: 'web-1',
      issuedAt: new Date('2026-11-23T18:00:02.000Z'),
      expiration: new Date('2026-11-23T18:30:02.000Z'),
      requestedAt: NOW,
    });
  });

  it('defaults to one hour, within the role maximum', async () => {
    const { options, calls } = assumeRoleOptions();
    const { durationSeconds: _omit, ...rest } = options;
    await issueAssumeRole(rest);
    expect(calls[0]?.input.DurationSeconds).toBe(3600);
  });

  it.each([
    [899, undefined, 'from 900 to 3600'],
    [3601, undefined, 'from 900 to 3600'],
    [7201, 7200, 'from 900 to 7200'],
    [43_201, 43_200, 'from 900 to 43200'],
  ])(
    'refuses %i s (max session %s) with the allowed range, before any call',
    async (durationSeconds, max, range) => {
      const { options, calls } = assumeRoleOptions({
        durationSeconds,
        ...(max === undefined ? {} : { maxSessionDuration: max }),
      });
      const error = await rejected(issueAssumeRole(options));
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain(range);
      expect(calls).toEqual([]);
    },
  );

  it.each([
    [7200, 7200],
    [43_200, 43_200],
    [900, undefined],
  ])('accepts %i s with max session %s', async (durationSeconds, max) => {
    const { options, calls } = assumeRoleOptions({
      durationSeconds,
      ...(max === undefined ? {} : { maxSessionDuration: max }),
    });
    await issueAssumeRole(options);
    expect(calls[0]?.input.DurationSeconds).toBe(durationSeconds);
  });

  it.each([3599, 43_201])('refuses a maxSessionDuration of %i', async (maxSessionDuration) => {
    const { options, calls } = assumeRoleOptions({ maxSessionDuration });
    expect(isTriageError(await rejected(issueAssumeRole(options)), 'INVALID_ARGUMENT')).toBe(true);
    expect(calls).toEqual([]);
  });

  it('refuses a malformed MFA code without echoing it', async () => {
    const { options, calls } = assumeRoleOptions({ mfaCode: '98765' });
    const error = await rejected(issueAssumeRole(options));
    expect((error as Error).message).toMatch(/^malformed MFA code/);
    expectNoCode(error, '98765');
    expect(calls).toEqual([]);
  });

  it.each([
    ['a case with a slash (it would widen the prefix)', { caseId: 'IR-1/other' }],
    ['a case that is a wildcard', { caseId: '*' }],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, on purpose
    ['a host with a policy variable', { host: '${aws:username}' }],
    ['a host that is a dot segment', { host: '..' }],
    ['an empty host', { host: '' }],
    ['a role ARN that is a user', { roleArn: 'arn:aws:iam::111122223333:user/x' }],
    ['a bucket with a slash', { bucket: 'acme/evidence' }],
    ['a source identity with a reserved prefix', { sourceIdentity: 'aws:alice' }],
    ['a source identity with a space', { sourceIdentity: 'alice smith' }],
    ['a tag overriding triage:case', { tags: { 'TRIAGE:CASE': 'IR-2' } }],
    ['a tag with a reserved prefix', { tags: { 'aws:team': 'x' } }],
    ['a tag value too long', { tags: { team: 'x'.repeat(257) } }],
    ['49 extra tags', { tags: Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`t${i}`, 'v'])) }],
  ])('refuses %s before any call', async (_label, overrides) => {
    const { options, calls } = assumeRoleOptions(overrides as Partial<IssueAssumeRoleOptions>);
    expect(isTriageError(await rejected(issueAssumeRole(options)), 'INVALID_ARGUMENT')).toBe(true);
    expect(calls).toEqual([]);
  });

  it('accepts 48 extra tags (50 in all)', async () => {
    const tags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, 'v']));
    const { options, calls } = assumeRoleOptions({ tags });
    await issueAssumeRole(options);
    expect(calls[0]!.input.Tags as unknown[]).toHaveLength(50);
  });

  it.each([
    ['AccessDenied', 403, 'PERMISSION_DENIED'],
    ['InvalidClientTokenId', 403, 'CREDENTIALS_INVALID'],
    ['ExpiredTokenException', 400, 'CREDENTIALS_INVALID'],
    ['Throttling', 400, 'THROTTLED'],
    ['PackedPolicyTooLargeException', 400, 'INVALID_ARGUMENT'],
    ['MalformedPolicyDocumentException', 400, 'POLICY_INVALID'],
    ['ValidationError', 400, 'INVALID_ARGUMENT'],
    ['RegionDisabledException', 403, 'CONFIG_INVALID'],
    ['InternalFailure', 500, 'SERVICE_UNAVAILABLE'],
    ['ServiceFailureException', 500, 'SERVICE_UNAVAILABLE'],
    ['ConcurrentModificationException', 409, 'THROTTLED'],
    ['NoSuchEntityException', 404, 'NOT_FOUND'],
    ['LimitExceededException', 409, 'CONFIG_INVALID'],
    ['UnmodifiableEntityException', 400, 'PERMISSION_DENIED'],
    ['InvalidInputException', 400, 'INVALID_ARGUMENT'],
    ['SomethingNew', 400, 'INTERNAL'],
  ])('translates %s into %s', async (name, status, code) => {
    const sdk = sdkError(name, status);
    const { client } = fakeClient(() => {
      throw sdk;
    });
    const { options } = assumeRoleOptions({ sts: client });
    const error = (await rejected(issueAssumeRole(options))) as TriageError;
    expect(error.code).toBe(code);
    expect(error.cause).toBe(sdk);
    expect(error.message).not.toContain('from the service');
    expect(error.context.requestId).toBe('req-1');
  });

  it('translates network failures and aborts', async () => {
    for (const [failure, code] of [
      [Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'NETWORK_ERROR'],
      [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'ABORTED'],
      [Object.assign(new Error('slow'), { name: 'TimeoutError' }), 'TIMEOUT'],
    ] as const) {
      const { client } = fakeClient(() => {
        throw failure;
      });
      const { options } = assumeRoleOptions({ sts: client });
      expect(((await rejected(issueAssumeRole(options))) as TriageError).code).toBe(code);
    }
  });
});

describe('sessionNameFor', () => {
  const VALID = /^[\w+=,.@-]{2,64}$/;

  it('joins case and host with a dash', () => {
    expect(sessionNameFor('IR-2026-042', 'web01.corp.example')).toBe('IR-2026-042-web01.corp.example');
  });

  it('replaces characters AWS does not allow', () => {
    expect(sessionNameFor('IR 2024/17', 'host:1*é')).toBe('IR_2024_17-host_1__');
  });

  it('pads to two characters', () => {
    expect(sessionNameFor('', '')).toMatch(VALID);
  });

  it('cuts long names to 64 with a digest, keeping them distinct', () => {
    const a = sessionNameFor('c'.repeat(100), 'host-a');
    const b = sessionNameFor('c'.repeat(100), 'host-b');
    expect(a).toHaveLength(64);
    expect(a).toMatch(VALID);
    expect(b).toMatch(VALID);
    expect(a).not.toBe(b);
    expect(a.startsWith('c'.repeat(55))).toBe(true);
  });
});

describe('sessionPolicyText', () => {
  it('is the compact JSON of uploadSessionPolicy', () => {
    expect(JSON.parse(sessionPolicyText(BUCKET, 'IR-1', 'web-1'))).toEqual(
      uploadSessionPolicy(BUCKET, 'IR-1', 'web-1'),
    );
  });

  it('stays within 2,048 characters for the longest valid names', () => {
    expect(sessionPolicyText('b'.repeat(63), 'c'.repeat(128), 'h'.repeat(128)).length).toBeLessThanOrEqual(
      2048,
    );
  });

  it('refuses a policy over 2,048 characters', () => {
    const error = thrown(() => sessionPolicyText(BUCKET, 'c'.repeat(2000), 'h'));
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect((error as Error).message).toMatch(/over AWS's 2048/);
  });
});
