/**
 * `@triage/iam-policy`: parse and evaluate AWS IAM policies, data in and data
 * out, following the IAM User Guide's evaluation logic.
 *
 * @packageDocumentation
 */
export { isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';
export {
  evidenceBucketPolicy,
  type PolicyDocument,
  revokeTokensIssuedBefore,
  UPLOAD_ACTIONS,
  uploaderGroupPolicy,
  uploaderIdentityPolicy,
  uploaderRolePolicy,
  uploaderRoleTrustPolicy,
  uploadSessionPolicy,
} from './builders.js';
export {
  cidrContains,
  conditionBlockHolds,
  conditionHolds,
  OPERATOR_NAMES,
  type Operator,
  parseOperator,
} from './conditions.js';
export {
  type DecidingStatement,
  type Decision,
  type Evaluation,
  type EvaluationRequest,
  evaluate,
  type PolicySet,
  parsePolicySet,
  type RawPolicySet,
  type RequestPrincipal,
} from './evaluate.js';
export {
  LINT_RULES,
  type LintFinding,
  type LintOptions,
  type LintRuleId,
  type LintSeverity,
  lintPolicy,
} from './lint.js';
export { actionMatches, type RequestContext, substitute, wildcardMatch } from './match.js';
export { type ConditionBlock, type Policy, type Principals, parsePolicy, type Statement } from './policy.js';
export {
  type AclGrant,
  analysePublicAccess,
  type PublicAccessFinding,
  type PublicAccessReport,
} from './public-access.js';
export {
  type ActionRow,
  allowedActions,
  type CredentialContext,
  S3_BUCKET_ACTIONS,
  S3_OBJECT_ACTIONS,
  standardContexts,
  type WhatCanOptions,
  whatCan,
} from './what-can.js';
