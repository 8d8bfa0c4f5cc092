/**
 * `@triage/provision`: harden a client's evidence bucket and create its
 * write-only uploader identity (`planSetup` / `applySetup`, idempotent, with
 * a dry run), and audit both (`auditClient`, with an optional live probe).
 *
 * @packageDocumentation
 */
export {
  type AuditOptions,
  type AuditReport,
  auditClient,
  type PrincipalPolicyDocument,
  readPrincipalPolicies,
} from './audit.js';
export type { Finding, FindingSummary, Severity } from './findings.js';
export { CLIENT_TAG_KEY, type ClientNames, clientNames, defaultBucketName } from './names.js';
export { type ProbeOptions, type ProbeUploaderOptions, probeUploader } from './probe.js';
export type { MfaEnrolment, UploaderAccessKey } from './secrets.js';
export {
  type AppliedStep,
  type ApplyResult,
  type ApplySetupOptions,
  applySetup,
  type PlanSetupOptions,
  planSetup,
  SETUP_STEP_IDS,
  type SetupArns,
  type SetupPlan,
  type SetupStep,
  type SetupStepId,
  type StepStatus,
} from './setup.js';
export { base32Decode, base32Encode, hotp, otpauthUri, type TotpOptions, totp } from './totp.js';
