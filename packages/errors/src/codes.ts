/**
 * The registry of every error code triage can raise.
 *
 * Codes are stable API: scripts and other teams match on them, so a code is
 * never renamed or reused for a different meaning. Add new codes here (and to
 * `docs/errors.md`, which a test keeps in step with this table).
 */

/**
 * What kind of failure a code is. Each category maps to one process exit code
 * (BSD `sysexits.h` values where one fits), so scripts can branch on the exit
 * status without parsing output.
 */
export type ErrorCategory =
  | 'usage'
  | 'data'
  | 'no-input'
  | 'unavailable'
  | 'internal'
  | 'cant-create'
  | 'io'
  | 'temporary'
  | 'permission'
  | 'config'
  | 'aborted';

/**
 * Process exit code for each {@link ErrorCategory}.
 *
 * | category      | exit | meaning                                                   |
 * |---------------|------|-----------------------------------------------------------|
 * | `usage`       | 64   | the command line or an argument was wrong (EX_USAGE)      |
 * | `data`        | 65   | input was malformed, tampered with or failed verification |
 * | `no-input`    | 66   | a file, object or resource does not exist (EX_NOINPUT)    |
 * | `unavailable` | 69   | a service or tool could not be reached (EX_UNAVAILABLE)   |
 * | `internal`    | 70   | a bug in triage (EX_SOFTWARE)                             |
 * | `cant-create` | 73   | refused to create or overwrite an output (EX_CANTCREAT)   |
 * | `io`          | 74   | reading or writing a local file failed (EX_IOERR)         |
 * | `temporary`   | 75   | try again later: throttled, timed out (EX_TEMPFAIL)       |
 * | `permission`  | 77   | access denied or credentials expired (EX_NOPERM)          |
 * | `config`      | 78   | configuration is missing or invalid (EX_CONFIG)           |
 * | `aborted`     | 130  | cancelled by the user or a signal (128 + SIGINT)          |
 */
export const EXIT_CODES: Readonly<Record<ErrorCategory, number>> = Object.freeze({
  usage: 64,
  data: 65,
  'no-input': 66,
  unavailable: 69,
  internal: 70,
  'cant-create': 73,
  io: 74,
  temporary: 75,
  permission: 77,
  config: 78,
  aborted: 130,
});

/** How one code behaves: its category (hence exit code) and default retryability. */
export interface ErrorCodeInfo {
  /** The category, which decides the exit code. */
  readonly category: ErrorCategory;
  /** Whether repeating the same operation unchanged may succeed. */
  readonly retryable: boolean;
  /** One line for `docs/errors.md`: when the code is raised. */
  readonly summary: string;
}

/**
 * Every error code, with its category, default retryability and summary.
 * The keys form the {@link TriageErrorCode} union.
 */
export const ERROR_CODES = Object.freeze({
  INTERNAL: {
    category: 'internal',
    retryable: false,
    summary: 'An unexpected failure inside triage; a bug to report with the --debug output.',
  },
  USAGE: {
    category: 'usage',
    retryable: false,
    summary: 'A command-line flag or argument is missing or invalid.',
  },
  INVALID_ARGUMENT: {
    category: 'usage',
    retryable: false,
    summary: 'A library function was called with an argument outside its documented range.',
  },
  CONFIG_INVALID: {
    category: 'config',
    retryable: false,
    summary: 'A configuration file or value is missing, unreadable or malformed.',
  },
  NOT_FOUND: {
    category: 'no-input',
    retryable: false,
    summary: 'A file, object, bucket or identity that was named does not exist.',
  },
  ALREADY_EXISTS: {
    category: 'cant-create',
    retryable: false,
    summary: 'The target already exists and triage never overwrites it.',
  },
  PERMISSION_DENIED: {
    category: 'permission',
    retryable: false,
    summary: 'The credentials in use are not allowed to do this.',
  },
  CREDENTIALS_INVALID: {
    category: 'permission',
    retryable: false,
    summary: 'The credentials are unknown, malformed, expired or revoked.',
  },
  CREDENTIALS_EXPIRING: {
    category: 'permission',
    retryable: false,
    summary:
      'The credentials expire before the operation can finish; mint longer-lived ones and start again.',
  },
  TLS_UNTRUSTED: {
    category: 'config',
    retryable: false,
    summary:
      "The server's TLS certificate is not trusted or does not match its name; pass its CA certificate.",
  },
  S3_REQUEST_REJECTED: {
    category: 'config',
    retryable: false,
    summary:
      'S3 refused the request as invalid (an unsupported option, a missing KMS key, a malformed value).',
  },
  INTEGRITY_MISMATCH: {
    category: 'data',
    retryable: false,
    summary: 'A checksum, size, signature or MAC did not match: the data is damaged or was altered.',
  },
  DATA_INVALID: {
    category: 'data',
    retryable: false,
    summary: 'Input data is malformed or does not follow its format or schema.',
  },
  POLICY_INVALID: {
    category: 'data',
    retryable: false,
    summary: 'An IAM policy document is malformed; the context names the JSON path of the first problem.',
  },
  IO_ERROR: {
    category: 'io',
    retryable: false,
    summary: 'Reading or writing a local file failed (disk full, permissions, missing folder).',
  },
  NETWORK_ERROR: {
    category: 'unavailable',
    retryable: true,
    summary: 'A connection failed or was reset before an answer arrived.',
  },
  SERVICE_UNAVAILABLE: {
    category: 'unavailable',
    retryable: true,
    summary: 'A remote service answered that it is unavailable (HTTP 5xx).',
  },
  THROTTLED: {
    category: 'temporary',
    retryable: true,
    summary: 'A remote service asked us to slow down (HTTP 429/503 SlowDown).',
  },
  TIMEOUT: {
    category: 'temporary',
    retryable: true,
    summary: 'An operation did not finish within its time limit.',
  },
  ABORTED: {
    category: 'aborted',
    retryable: false,
    summary:
      'The operation was cancelled through its AbortSignal, by Ctrl-C, or by declining a confirmation prompt.',
  },
  ENVELOPE_BAD_HEADER: {
    category: 'data',
    retryable: false,
    summary: 'The input is not a triage envelope, or its header is malformed or out of bounds.',
  },
  ENVELOPE_UNSUPPORTED_VERSION: {
    category: 'data',
    retryable: false,
    summary: 'The envelope uses a format version or feature this triage does not know; upgrade triage.',
  },
  ENVELOPE_NO_MATCHING_IDENTITY: {
    category: 'permission',
    retryable: false,
    summary: 'None of the given keys or passwords can open the envelope: it was encrypted to someone else.',
  },
  ENVELOPE_WRONG_PASSWORD: {
    category: 'permission',
    retryable: false,
    summary: 'The password does not open the password-protected envelope (or its stanza was altered).',
  },
  ENVELOPE_TAMPERED: {
    category: 'data',
    retryable: false,
    summary:
      'The header MAC or a chunk failed authentication: the envelope was modified, reordered or cut mid-chunk.',
  },
  ENVELOPE_TRUNCATED: {
    category: 'data',
    retryable: false,
    summary: 'The envelope ends early: its header or its final chunk is missing.',
  },
  KEY_INVALID: {
    category: 'data',
    retryable: false,
    summary: 'A key, identity file or signature text is malformed or fails its checksum.',
  },
  PASSPHRASE_REQUIRED: {
    category: 'usage',
    retryable: false,
    summary: 'The identity file is protected by a passphrase and none was given.',
  },
  SIGNATURE_INVALID: {
    category: 'data',
    retryable: false,
    summary:
      'A signature does not verify with the given public key: the signed data or signature was altered.',
  },
  AUDIT_FINDINGS: {
    category: 'data',
    retryable: false,
    summary:
      'An audit (or a CloudTrail trace) found high-severity problems: a public bucket, an uploader that can read, a stolen key.',
  },
  TESTKIT_INSTALL_FAILED: {
    category: 'unavailable',
    retryable: false,
    summary:
      'The test kit could not install a local test server (moto or MinIO) or a Debian parser for differential tests.',
  },
  TESTKIT_START_FAILED: {
    category: 'unavailable',
    retryable: false,
    summary: 'The test kit could not start or health-check a local test server.',
  },
} as const satisfies Record<string, ErrorCodeInfo>);

/** Every stable error code triage raises. */
export type TriageErrorCode = keyof typeof ERROR_CODES;

/**
 * Whether `value` is a known {@link TriageErrorCode}.
 *
 * @param value - any value
 * @returns true when `value` is one of the registered codes
 */
export function isErrorCode(value: unknown): value is TriageErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
