import { TriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryPolicy, withRetry } from './retry.js';

const op = { action: 'PutObject', bucket: 'b', key: 'k' };
const fast = { policy: retryPolicy({ attempts: 4, baseDelayMs: 1, maxDelayMs: 2 }), random: () => 0.5 };
const failure = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('backoffDelay', () => {
  it('is full jitter under an exponential, capped ceiling', () => {
    const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(799);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(10, policy, () => 0)).toBe(0);
  });

  it('rejects nonsense policies', () => {
    expect(() => retryPolicy({ attempts: 0 })).toThrow(TriageError);
    expect(() => retryPolicy({ baseDelayMs: 10, maxDelayMs: 5 })).toThrow(TriageError);
  });
});

describe('withRetry', () => {
  it('retries retryable failures and then succeeds', async () => {
    let calls = 0;
    const retried: string[] = [];
    const result = await withRetry(op, { ...fast, onRetry: (e) => retried.push(e.code) }, async () => {
      calls++;
      if (calls === 1) throw failure('SlowDown', 503);
      if (calls === 2) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(retried).toEqual(['THROTTLED', 'NETWORK_ERROR']);
  });

  it('fails at once on a non-retryable failure', async () => {
    let calls = 0;
    const error = await withRetry(op, fast, async () => {
      calls++;
      throw failure('AccessDenied', 403);
    }).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED' });
  });

  it('gives up after the attempt budget with the last error', async () => {
    let calls = 0;
    const error = await withRetry(op, fast, async () => {
      calls++;
      throw failure('InternalError', 500);
    }).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  });

  it('stops when the signal aborts, during the wait too', async () => {
    const controller = new AbortController();
    const slow = {
      policy: retryPolicy({ attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 }),
      random: () => 1,
    };
    const pending = withRetry(op, { ...slow, signal: controller.signal }, async () => {
      throw failure('InternalError', 500);
    }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toMatchObject({ code: 'ABORTED' });
  });

  it('lets beforeRetry stop the loop', async () => {
    const error = await withRetry(
      op,
      {
        ...fast,
        beforeRetry: () => {
          throw new TriageError('CREDENTIALS_EXPIRING', 'soon');
        },
      },
      async () => {
        throw failure('InternalError', 500);
      },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CREDENTIALS_EXPIRING' });
  });
});
