import { ERROR_CODES, EXIT_CODES, type TriageErrorCode } from './codes.js';
import { redactText, toTriageError } from './triage-error.js';

/**
 * The process exit code for a caught error: the code's category exit code for
 * a {@link TriageError}, 130 for an abort, 70 (internal) for anything else.
 *
 * @param error - anything caught at the top of a CLI
 * @returns an exit code in 64–78 or 130; never 0
 */
export function exitCodeFor(error: unknown): number {
  return toTriageError(error).exitCode;
}

/**
 * The exit code a given error code maps to.
 *
 * @param code - a registered code
 * @returns the exit code of the code's category
 */
export function exitCodeOf(code: TriageErrorCode): number {
  return EXIT_CODES[ERROR_CODES[code].category];
}

/** Options for {@link formatCliError}. */
export interface FormatCliErrorOptions {
  /** The program name that starts the line, e.g. `triage-admin`. */
  readonly program: string;
  /** Add context, the stack and the cause chain (the `--debug` flag); default false. */
  readonly debug?: boolean;
}

/**
 * Formats a caught error for a CLI's stderr. Without `debug` it is one line,
 * `program: message [CODE]`, and never a stack trace. With `debug` the lines
 * that follow give the safe context, the stack and each cause's name, code
 * and (redacted) message.
 *
 * @param error - anything caught at the top of a CLI
 * @param options - program name and debug switch
 * @returns the text to print, without a trailing newline
 */
export function formatCliError(error: unknown, options: FormatCliErrorOptions): string {
  const err = toTriageError(error);
  const head = `${options.program}: ${err.message} [${err.code}]`;
  if (!options.debug) return head;
  const lines = [head];
  if (Object.keys(err.context).length > 0) lines.push(`  context: ${JSON.stringify(err.context)}`);
  if (err.stack) lines.push(...err.stack.split('\n').slice(1));
  let cause: unknown = err.cause;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      const codePart = typeof code === 'string' ? ` (${code})` : '';
      lines.push(`caused by ${cause.name}${codePart}: ${redactText(cause.message)}`);
      if (cause.stack) lines.push(...cause.stack.split('\n').slice(1));
      cause = cause.cause;
    } else {
      lines.push(`caused by: ${redactText(String(cause))}`);
      cause = undefined;
    }
  }
  return lines.join('\n');
}
