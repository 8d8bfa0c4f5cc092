/**
 * `@triage/errors`: the one error type of triage.
 *
 * @packageDocumentation
 */
export { exitCodeFor, exitCodeOf, type FormatCliErrorOptions, formatCliError } from './cli.js';
export {
  ERROR_CODES,
  type ErrorCategory,
  type ErrorCodeInfo,
  EXIT_CODES,
  isErrorCode,
  type TriageErrorCode,
} from './codes.js';
export {
  type ErrorContext,
  type ErrorContextValue,
  isTriageError,
  REDACTED,
  redactText,
  sanitizeContext,
  TriageError,
  type TriageErrorJson,
  type TriageErrorOptions,
  toTriageError,
} from './triage-error.js';
