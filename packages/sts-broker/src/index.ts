/**
 * `@triage/sts-broker`: mint short-lived, write-only upload credentials
 * (GetSessionToken with MFA, or AssumeRole with MFA and a session policy
 * confined to `case/host/`), record each in an append-only ledger that never
 * holds a secret, and revoke them with a proof from the IAM evaluator.
 *
 * Functions take STS and IAM clients built by the caller; nothing here reads
 * the environment or builds an SDK client.
 *
 * @packageDocumentation
 */
export {
  type Clock,
  type CredentialMode,
  type IssueAssumeRoleOptions,
  type IssuedCredentials,
  type IssueSessionTokenOptions,
  issueAssumeRole,
  issueSessionToken,
  sessionNameFor,
  sessionPolicyText,
  type UploadScope,
} from './issue.js';
export {
  appendLedger,
  type IssueLedgerEntry,
  LEDGER_VERSION,
  type LedgerEntry,
  type LedgerMeta,
  ledgerEntryFor,
  parseLedgerEntry,
  type RevocationSelectorRecord,
  type RevokeLedgerEntry,
  readLedger,
} from './ledger.js';
export {
  type ApplyRevocationOptions,
  applyRevocation,
  type PlanRevocationOptions,
  type ProofRow,
  type ProofSubject,
  planRevocation,
  type RevocationAttachment,
  type RevocationCheck,
  type RevocationPlan,
  type RevocationPolicies,
  type RevocationResult,
  type RevocationSelector,
  type RevocationStep,
  type VerifyRevocationsOptions,
  verifyRevocations,
} from './revoke.js';
