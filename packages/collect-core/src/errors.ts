/**
 * Collector failures as the collection manifest keeps them: one line each,
 * with a code, never file contents or host paths.
 */
import { TriageError, type TriageErrorCode } from '@triage/errors';

/** One collector failure, kept in the collection manifest; collection goes on. */
export interface CollectorError {
  /** The collector's name, e.g. `accounts`. */
  readonly collector: string;
  /** `PERMISSION_DENIED`, `NOT_FOUND`, `IO_ERROR`, `DATA_INVALID`, `INTERNAL`, … */
  readonly code: TriageErrorCode;
  /** One line; never file contents. */
  readonly message: string;
  /** The path concerned, as the collected system names it (inside the root on Linux, a Windows path on Windows). */
  readonly path?: string;
}

const ERRNO_CODES: Readonly<Record<string, TriageErrorCode>> = {
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'NOT_FOUND',
  ELOOP: 'DATA_INVALID',
};

/**
 * Turns a thrown value into a {@link CollectorError} without leaking
 * contents or host paths: a `TriageError` keeps its code and message; a
 * file system error becomes its code (`PERMISSION_DENIED`, `NOT_FOUND`,
 * `DATA_INVALID` for a symlink loop, else `IO_ERROR`) and the path as the
 * collected system names it; anything else is `INTERNAL` with the first
 * line of its message.
 *
 * @param collector - the collector's name
 * @param path - the path concerned, when there is one
 * @param cause - what was thrown
 */
export function toCollectorError(
  collector: string,
  path: string | undefined,
  cause: unknown,
): CollectorError {
  const base = path === undefined ? { collector } : { collector, path };
  if (cause instanceof TriageError) return { ...base, code: cause.code, message: cause.message };
  const errno = (cause as { code?: unknown } | null)?.code;
  if (typeof errno === 'string' && errno in ERRNO_CODES) {
    const code = ERRNO_CODES[errno] as TriageErrorCode;
    const what =
      code === 'PERMISSION_DENIED' ? 'permission denied' : code === 'NOT_FOUND' ? 'not found' : errno;
    return { ...base, code, message: `${what}${path ? `: ${path}` : ''}` };
  }
  if (typeof errno === 'string')
    return { ...base, code: 'IO_ERROR', message: `${errno}${path ? `: ${path}` : ''}` };
  const message = cause instanceof Error ? cause.message : String(cause);
  return { ...base, code: 'INTERNAL', message: message.split('\n')[0] ?? 'failed' };
}

/**
 * Throws `ABORTED` when `signal` has fired.
 *
 * @throws TriageError `ABORTED`, with the signal's reason as `cause`
 */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new TriageError('ABORTED', 'collection was aborted', { cause: signal.reason });
  }
}

/** True for the `ABORTED` error of {@link throwIfAborted}, which no collector may swallow. */
export function isAborted(error: unknown): boolean {
  return error instanceof TriageError && error.code === 'ABORTED';
}
