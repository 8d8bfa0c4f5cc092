/**
 * `@triage/collection`: the collection container (docs/formats/collection.md).
 * Artifact records as NDJSON between a header and a manifest (counts, SHA-256,
 * collector errors and log), optionally Ed25519-signed, brotli-compressed and
 * sealed in an envelope to the examiner.
 *
 * @packageDocumentation
 */
export {
  BROTLI_QUALITY,
  type ByteTransform,
  type CompressOptions,
  compress,
  decompress,
} from './compression.js';
export {
  COLLECTION_FORMAT,
  COLLECTION_FORMAT_VERSION,
  type CollectionHeader,
  type CollectionManifest,
  type CollectionSignature,
  type CollectorError,
  type CollectorInfo,
  MANIFEST_SIGNATURE_CONTEXT,
  MAX_ERRORS,
  MAX_ERRORS_BYTES,
  MAX_LABEL_BYTES,
  MAX_LOG_BYTES,
  MAX_LOG_LINES,
} from './format.js';
export {
  type CollectionContents,
  type CollectionSource,
  type OpenCollectionOptions,
  type OpenedCollection,
  openCollection,
  openContainer,
  type ReadContainerOptions,
  readCollection,
  readContainer,
  type VerifiedCollection,
  type VerifiedManifest,
  type VerifiedSignature,
  verifyCollection,
  verifyContainer,
} from './reader.js';
export {
  type CollectionStream,
  type CollectionTrailer,
  type HeaderInput,
  type RecordSource,
  type SealCollectionOptions,
  sealCollection,
  type WriteContainerOptions,
  type WrittenManifest,
  writeContainer,
} from './writer.js';
