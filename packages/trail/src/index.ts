/**
 * `@triage/trail`: CloudTrail credential lineage. A streaming reader for
 * CloudTrail files (local or on S3 through `@triage/s3-transport`), the
 * family tree of access keys (long-term keys, the tokens they minted, the
 * role sessions those assumed), findings mapped to MITRE ATT&CK with their
 * event ids, and a remediation plan per chain that `@triage/iam-policy`'s
 * evaluator proves before anything is applied.
 *
 * Pure data in and out, but for the readers (files, S3) and `applyPlan`
 * (an IAM client the caller builds). Nothing here reads the environment.
 *
 * @packageDocumentation
 */
export {
  ATTACK,
  type AttackTechnique,
  detectFindings,
  type Finding,
  type FindingOptions,
  type FindingRule,
} from './findings.js';
export {
  type AddressUse,
  buildLineage,
  type Chain,
  COLLECTOR_EXPECTED_EVENTS,
  type CollectorCredential,
  type CollectorViolation,
  type ConsoleLogin,
  chainsOf,
  childrenOf,
  type KeyKind,
  type KeyNode,
  type KeyOrigin,
  keyKind,
  LineageBuilder,
  type LineageGraph,
  type LineageOptions,
  MINTING_EVENTS,
  type MintEdge,
  type Revocation,
  type RevocationHit,
  type S3Activity,
  type S3ListUse,
  type S3ObjectUse,
} from './lineage.js';
export {
  localTrailSource,
  normalizeRecord,
  parseTrailTime,
  type ReadTrailOptions,
  readTrail,
  s3TrailSource,
  TRAIL_FILE_PATTERN,
  type TrailDiagnostic,
  type TrailEvent,
  type TrailFile,
  type TrailIdentity,
  type TrailSource,
  type TrailTransport,
} from './reader.js';
export {
  type ApplyPlanOptions,
  type ApplyPlanResult,
  applyPlan,
  type PlanRemediationOptions,
  type ProofProbe,
  planRemediation,
  type RemediationIam,
  type RemediationPlan,
  type RemediationProofRow,
  type RemediationStep,
} from './remediation.js';
export {
  describeKey,
  type FormatTreeOptions,
  formatLineageTree,
  lineageToDot,
  lineageToMermaid,
} from './render.js';
export {
  type CloudTrailRecord,
  type SyntheticAttack,
  type SyntheticTrail,
  type SyntheticTrailOptions,
  syntheticTrail,
} from './synthetic.js';
export { type TraceResult, type TraceTrailOptions, traceTrail } from './trace.js';
