import { setTimeout as sleep } from 'node:timers/promises';
import { TriageError } from '@triage/errors';
import { type Operation, translate } from './errors.js';
import type { RetryOptions } from './types.js';

/** Resolved retry policy. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  attempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
});

/** Merges retry options over defaults, validating them. */
export function retryPolicy(...layers: (RetryOptions | undefined)[]): RetryPolicy {
  const merged = Object.assign({}, DEFAULT_RETRY, ...layers.map((layer) => layer ?? {})) as RetryPolicy;
  if (!Number.isInteger(merged.attempts) || merged.attempts < 1 || merged.attempts > 50) {
    throw new TriageError('INVALID_ARGUMENT', 'retry.attempts must be an integer from 1 to 50.');
  }
  if (!(merged.baseDelayMs >= 0) || !(merged.maxDelayMs >= merged.baseDelayMs)) {
    throw new TriageError('INVALID_ARGUMENT', 'retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs.');
  }
  return merged;
}

/** Full-jitter exponential backoff: a random delay in [0, min(max, base · 2^retry)]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry));
}

/** What {@link withRetry} needs besides the call. */
export interface RetryContext {
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly signal?: AbortSignal | undefined;
  /** Called before each retry; may throw to stop (e.g. credentials about to expire). */
  readonly beforeRetry?: (error: TriageError, attempt: number) => Promise<void> | void;
  /** Counts retries, e.g. to report bytes sent again. */
  readonly onRetry?: (error: TriageError, attempt: number) => void;
}

/**
 * Runs `call` until it succeeds, a failure is not retryable, the attempts are
 * used up, or the signal aborts. Errors are translated at this edge.
 *
 * @throws the translated TriageError of the last attempt; ABORTED when the signal fires
 */
export async function withRetry<T>(
  op: Operation,
  context: RetryContext,
  call: (attempt: number) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (context.signal?.aborted) throw translate(abortError(context.signal), op);
    try {
      return await call(attempt);
    } catch (raw) {
      const error = translate(context.signal?.aborted ? abortError(context.signal) : raw, op);
      if (!error.retryable || attempt >= context.policy.attempts) throw error;
      await context.beforeRetry?.(error, attempt);
      context.onRetry?.(error, attempt);
      try {
        await sleep(backoffDelay(attempt - 1, context.policy, context.random), undefined, {
          ...(context.signal ? { signal: context.signal } : {}),
        });
      } catch {
        throw translate(abortError(context.signal), op);
      }
    }
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
