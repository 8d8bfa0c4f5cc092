/**
 * `@triage/s3-transport`: resumable, verified, streaming S3 uploads and
 * downloads. It moves bytes only; it knows nothing of what they mean.
 *
 * @packageDocumentation
 */
export { isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';
export { type Download, planRanges } from './download.js';
export { type Journal, type JournalPart, readJournal } from './journal.js';
export {
  compositeChecksum,
  DEFAULT_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
  type PartPlan,
  partSizeFor,
  planParts,
} from './parts.js';
export {
  type Fetch,
  type PlanUploadOptions,
  type PresignedPlan,
  type PresignedRequest,
  type PresignOptions,
  uploadWithPlan,
} from './presigned.js';
export { type ProxySettings, proxyFromEnv } from './proxy.js';
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export { createTransport, type Transport } from './transport.js';
export type {
  Credentials,
  CredentialsProvider,
  DownloadOptions,
  DownloadReceipt,
  ObjectSummary,
  Progress,
  RetryOptions,
  ServerSideEncryption,
  TransportOptions,
  UploadBody,
  UploadHandle,
  UploadOptions,
  UploadReceipt,
  Verification,
} from './types.js';
