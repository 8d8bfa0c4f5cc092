/**
 * `@triage/collect-core`: the collector framework shared by the OS
 * collectors (`@triage/collect-linux`, `@triage/collect-windows`): the
 * collect context, isolated collectors with error entries, the kinds asked
 * for checked against the schema, and `file_metadata` with SHA-256 hashing.
 *
 * @packageDocumentation
 */
export {
  type BaseCollectContext,
  type BaseContextOptions,
  type Collector,
  createBaseContext,
} from './context.js';
export { type CollectorError, toCollectorError } from './errors.js';
export {
  absentFileFields,
  describeFileError,
  type FileMetadataFields,
  fileTimes,
  type HashTarget,
  hashFileFields,
  MAX_HASH_BYTES,
} from './file-metadata.js';
export {
  type CollectOptions,
  type CollectProgress,
  type ContextOf,
  checkRootDirectory,
  type RunCollectorsOptions,
  runCollectors,
  selectKinds,
} from './run.js';
