import { describe, expect, it } from 'vitest';
import { ERROR_CODES, type TriageErrorCode } from './codes.js';
import {
  isTriageError,
  REDACTED,
  redactText,
  sanitizeContext,
  TriageError,
  toTriageError,
} from './triage-error.js';

// Shaped like an STS session token: a long base64 run. Not a real credential.
const FAKE_SESSION_TOKEN = `FAKE${'IQoJb3JpZ2luX2VjEXAMPLE'.repeat(8)}`;

describe('TriageError', () => {
  it('carries code, one-line message, name and cause', () => {
    const cause = new Error('socket hang up');
    const err = new TriageError('NETWORK_ERROR', 'Upload failed: check the network.\nsecond line', {
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('TriageError');
    expect(err.code).toBe('NETWORK_ERROR');
    expect(err.message).toBe('Upload failed: check the network.');
    expect(err.cause).toBe(cause);
    expect(err.stack).toContain('TriageError');
  });

  it('takes retryable from the registry unless overridden', () => {
    expect(new TriageError('THROTTLED', 'slow down').retryable).toBe(true);
    expect(new TriageError('NOT_FOUND', 'gone').retryable).toBe(false);
    expect(new TriageError('NOT_FOUND', 'gone', { retryable: true }).retryable).toBe(true);
    expect(new TriageError('THROTTLED', 'slow down', { retryable: false }).retryable).toBe(false);
  });

  it('has no cause property when none is given', () => {
    expect(Object.hasOwn(new TriageError('USAGE', 'bad flag'), 'cause')).toBe(false);
  });

  it('redacts secrets from context and keeps the rest', () => {
    const err = new TriageError('PERMISSION_DENIED', 'denied', {
      context: {
        bucket: 'acme-evidence',
        accessKeyId: 'ASIAFAKEEXAMPLE00000',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        sessionToken: 'short',
        password: 'hunter2',
        note: FAKE_SESSION_TOKEN,
        status: 403,
      },
    });
    expect(err.context).toEqual({
      bucket: 'acme-evidence',
      accessKeyId: 'ASIAFAKEEXAMPLE00000',
      secretAccessKey: REDACTED,
      sessionToken: REDACTED,
      password: REDACTED,
      note: REDACTED,
      status: 403,
    });
    expect(JSON.stringify(err)).not.toContain('hunter2');
    expect(JSON.stringify(err)).not.toContain('wJalrXUtnFEMI');
  });

  it('never serialises the cause or stack', () => {
    const err = new TriageError('INTERNAL', 'boom', { cause: new Error(`token ${FAKE_SESSION_TOKEN}`) });
    const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>;
    expect(json).toEqual({
      name: 'TriageError',
      code: 'INTERNAL',
      message: 'boom',
      retryable: false,
      exitCode: 70,
      context: {},
    });
  });
});

describe('sanitizeContext', () => {
  it.each([
    'secretAccessKey',
    'SessionToken',
    'x-amz-security-token',
    'password',
    'passphrase',
    'privateKey',
    'credentials',
    'Authorization',
    'signature',
    'cookie',
    'mfaCode',
    'mfa_code',
  ])('redacts the value under key %s', (key) => {
    expect(sanitizeContext({ [key]: 'value' })).toEqual({ [key]: REDACTED });
  });

  it.each(['bucket', 'key', 'accessKeyId', 'partNumber', 'path', 'region', 'roleArn'])(
    'keeps the value under key %s',
    (key) => {
      expect(sanitizeContext({ [key]: 'value' })).toEqual({ [key]: 'value' });
    },
  );

  it('redacts PEM private keys and long base64 runs by value', () => {
    expect(
      sanitizeContext({
        a: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc',
        b: FAKE_SESSION_TOKEN,
        c: 'x'.repeat(99),
      }),
    ).toEqual({ a: REDACTED, b: REDACTED, c: 'x'.repeat(99) });
  });

  it('sanitises arrays, drops non-primitive values, cuts long strings and freezes', () => {
    const input = {
      keys: ['a', FAKE_SESSION_TOKEN, 3, null],
      nested: { secret: 'x' },
      long: `${'ab '.repeat(400)}`,
    } as unknown as Parameters<typeof sanitizeContext>[0];
    const out = sanitizeContext(input);
    expect(out.keys).toEqual(['a', REDACTED, 3, null]);
    expect(out).not.toHaveProperty('nested');
    expect(String(out.long)).toHaveLength(1025);
    expect(Object.isFrozen(out)).toBe(true);
  });
});

describe('redactText', () => {
  it('replaces token-shaped runs and leaves prose alone', () => {
    expect(redactText(`bad token ${FAKE_SESSION_TOKEN} given`)).toBe(`bad token ${REDACTED} given`);
    expect(redactText('Access Denied')).toBe('Access Denied');
  });
});

describe('isTriageError', () => {
  const err = new TriageError('NOT_FOUND', 'no such bucket');

  it('matches instances, with and without a code', () => {
    expect(isTriageError(err)).toBe(true);
    expect(isTriageError(err, 'NOT_FOUND')).toBe(true);
    expect(isTriageError(err, 'USAGE')).toBe(false);
  });

  it('matches by name and a registered code across package copies', () => {
    const foreign = Object.assign(new Error('x'), { name: 'TriageError', code: 'NOT_FOUND' });
    expect(isTriageError(foreign)).toBe(true);
    expect(isTriageError(foreign, 'NOT_FOUND')).toBe(true);
    expect(isTriageError(foreign, 'IO_ERROR')).toBe(false);
  });

  it.each([
    ['a plain Error', new Error('x')],
    ['a lookalike with an unknown code', { name: 'TriageError', code: 'NOPE' }],
    ['a lookalike with another name', { name: 'HTTPError', code: 'NOT_FOUND' }],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'TriageError'],
  ])('rejects %s', (_label, value) => {
    expect(isTriageError(value)).toBe(false);
  });

  it('narrows the code type', () => {
    const caught: unknown = err;
    if (isTriageError(caught, 'NOT_FOUND')) {
      const code: 'NOT_FOUND' = caught.code;
      expect(code).toBe('NOT_FOUND');
    } else {
      expect.unreachable('should have matched');
    }
  });
});

describe('toTriageError', () => {
  it('returns TriageErrors unchanged', () => {
    const err = new TriageError('USAGE', 'bad');
    expect(toTriageError(err)).toBe(err);
  });

  it('maps AbortError to ABORTED', () => {
    const controller = new AbortController();
    controller.abort();
    const mapped = toTriageError(controller.signal.reason);
    expect(mapped.code).toBe('ABORTED');
    expect(mapped.exitCode).toBe(130);
    expect(mapped.cause).toBe(controller.signal.reason);
  });

  it('maps anything else to INTERNAL, keeping the cause and redacting its message', () => {
    const cause = new TypeError(`cannot read ${FAKE_SESSION_TOKEN}`);
    const mapped = toTriageError(cause);
    expect(mapped.code).toBe('INTERNAL');
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).toContain('cannot read [redacted]');
    expect(mapped.message).not.toContain(FAKE_SESSION_TOKEN);
    expect(toTriageError('plain string').message).toContain('plain string');
  });
});

describe('registry', () => {
  it('gives every code a summary ending in a full stop', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code, code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(info.summary, code).toMatch(/\.$/);
    }
  });

  it('uses codes as literal types', () => {
    const code: TriageErrorCode = 'ABORTED';
    expect(ERROR_CODES[code].category).toBe('aborted');
  });
});
