import { ERROR_CODES, EXIT_CODES, isErrorCode, type TriageErrorCode } from './codes.js';

/** A value allowed in {@link ErrorContext}: primitives only, so nothing large or live leaks in. */
export type ErrorContextValue = string | number | boolean | null;

/**
 * Safe, structured facts about a failure (bucket, key, part number, path, HTTP
 * status…). It is printed and logged, so it must never hold a secret.
 * As a second line of defence, {@link TriageError} redacts values whose key
 * looks secret (see {@link sanitizeContext}).
 */
export type ErrorContext = Readonly<Record<string, ErrorContextValue | readonly ErrorContextValue[]>>;

/** Options for {@link TriageError}. */
export interface TriageErrorOptions {
  /** The underlying error (an SDK or Node error); kept for `--debug`, never in `toJSON()`. */
  readonly cause?: unknown;
  /** Safe structured facts; default `{}`. Secret-looking keys are redacted. */
  readonly context?: ErrorContext;
  /** Overrides the code's default retryability from {@link ERROR_CODES}. */
  readonly retryable?: boolean;
}

/** The JSON form of a {@link TriageError}, as printed by `--json` output. */
export interface TriageErrorJson {
  readonly name: 'TriageError';
  readonly code: TriageErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly exitCode: number;
  readonly context: ErrorContext;
}

/** Placeholder that replaces redacted context values. */
export const REDACTED = '[redacted]';

const SECRET_KEY = /secret|passw|phrase|private|credential|authoriz|signature|cookie|token|mfa_?code/i;
// Long unbroken base64 runs are what session tokens, secret keys and key material look like.
const SECRET_VALUE = /[A-Za-z0-9+/=_-]{100,}|-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const SECRET_VALUE_GLOBAL = new RegExp(SECRET_VALUE.source, 'g');
const MAX_VALUE_LENGTH = 1024;

function sanitizeValue(value: ErrorContextValue): ErrorContextValue {
  if (typeof value !== 'string') return value;
  if (SECRET_VALUE.test(value)) return REDACTED;
  return value.length > MAX_VALUE_LENGTH ? `${value.slice(0, MAX_VALUE_LENGTH)}…` : value;
}

/**
 * Returns a copy of `context` that is safe to print: values under keys that
 * name a secret (secret, password, passphrase, private, credential,
 * authorization, signature, cookie, token, mfa code) and values that look like
 * key material (base64 runs of 100+ characters, PEM private keys) become
 * {@link REDACTED}; strings are cut at 1024 characters; non-primitive values
 * are dropped.
 *
 * @param context - facts to sanitise; not modified
 * @returns a frozen, sanitised copy
 */
export function sanitizeContext(context: ErrorContext | undefined): ErrorContext {
  const out: Record<string, ErrorContextValue | readonly ErrorContextValue[]> = {};
  if (!context) return Object.freeze(out);
  for (const [key, value] of Object.entries(context)) {
    if (SECRET_KEY.test(key)) {
      out[key] = REDACTED;
    } else if (Array.isArray(value)) {
      out[key] = Object.freeze(value.filter(isContextValue).map(sanitizeValue));
    } else if (isContextValue(value)) {
      out[key] = sanitizeValue(value);
    }
  }
  return Object.freeze(out);
}

function isContextValue(value: unknown): value is ErrorContextValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * The one error type triage throws. Every failure carries a stable
 * {@link TriageErrorCode}, a one-line message that says what to do, safe
 * {@link ErrorContext}, whether a retry may help, and the underlying `cause`.
 *
 * SDK and Node errors are translated into a `TriageError` at the edge of each
 * package; they appear only as `cause`.
 *
 * @example
 * ```ts
 * throw new TriageError('NOT_FOUND', 'Bucket "acme-evidence" does not exist: run `triage-admin setup` first.', {
 *   context: { bucket: 'acme-evidence' },
 *   cause: sdkError,
 * });
 * ```
 */
export class TriageError<C extends TriageErrorCode = TriageErrorCode> extends Error {
  /** Always `'TriageError'`; {@link isTriageError} also matches on it across realms and package copies. */
  override readonly name = 'TriageError' as const;
  /** The stable code. */
  readonly code: C;
  /** Safe facts about the failure; secret-looking values already redacted. */
  readonly context: ErrorContext;
  /** Whether repeating the same operation unchanged may succeed. */
  readonly retryable: boolean;

  /**
   * @param code - a registered code
   * @param message - one line saying what failed and what to do; never a secret
   * @param options - cause, context and a retryability override
   */
  constructor(code: C, message: string, options: TriageErrorOptions = {}) {
    super(firstLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = sanitizeContext(options.context);
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
  }

  /** The process exit code for this error's category. */
  get exitCode(): number {
    return EXIT_CODES[ERROR_CODES[this.code].category];
  }

  /** The safe JSON form: no stack, no cause (which may hold SDK internals). */
  toJSON(): TriageErrorJson {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      exitCode: this.exitCode,
      context: this.context,
    };
  }
}

/**
 * Replaces anything in free text that looks like key material (base64 runs of
 * 100+ characters, PEM private key headers) with {@link REDACTED}. Used on
 * messages from foreign errors before they are shown.
 *
 * @param text - text from an untrusted source
 * @returns the text with secret-looking runs replaced
 */
export function redactText(text: string): string {
  return text.replace(SECRET_VALUE_GLOBAL, REDACTED);
}

function firstLine(message: string): string {
  const line = message.split(/\r?\n/, 1)[0] ?? '';
  return line.trim();
}

/**
 * Whether `error` is a {@link TriageError}, optionally with a given code.
 * It matches by `instanceof` and, for errors from another copy of this package
 * or another realm, by `name === 'TriageError'` with a registered `code`.
 *
 * @param error - anything caught
 * @param code - when given, also require this code
 * @returns true when `error` is a TriageError (with `code`, if given)
 * @example
 * ```ts
 * try { await upload.done(); } catch (e) {
 *   if (isTriageError(e, 'ALREADY_EXISTS')) console.log('already uploaded:', e.context.key);
 * }
 * ```
 */
export function isTriageError<C extends TriageErrorCode>(error: unknown, code?: C): error is TriageError<C> {
  if (!(error instanceof TriageError)) {
    if (typeof error !== 'object' || error === null) return false;
    const candidate = error as { name?: unknown; code?: unknown };
    if (candidate.name !== 'TriageError' || !isErrorCode(candidate.code)) return false;
  }
  return code === undefined || (error as { code: unknown }).code === code;
}

function isAbortError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    ((error as { name?: unknown }).name === 'AbortError' ||
      (error as { code?: unknown }).code === 'ABORT_ERR')
  );
}

/**
 * Returns `error` as a {@link TriageError}: itself if it already is one, an
 * `ABORTED` error for an `AbortError`, otherwise an `INTERNAL` error with the
 * original as `cause`. Use it in top-level catches, never to hide a failure
 * that deserves its own code.
 *
 * @param error - anything caught
 * @returns a TriageError describing `error`
 */
export function toTriageError(error: unknown): TriageError {
  if (isTriageError(error)) return error;
  if (isAbortError(error)) {
    return new TriageError('ABORTED', 'Cancelled before it finished; nothing more was done.', {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new TriageError(
    'INTERNAL',
    `Unexpected internal error (${redactText(firstLine(detail)).slice(0, 200)}); re-run with --debug and report it.`,
    { cause: error },
  );
}
