/**
 * `@triage/artifact-schema`: the versioned artifact schema (one typed record
 * per artifact kind), its published JSON Schema, validation and streaming
 * NDJSON encode and decode.
 *
 * @packageDocumentation
 */
export {
  type ByteSource,
  createNdjsonEncoder,
  DEFAULT_MAX_LINE_BYTES,
  type DecodedLine,
  decodeNdjson,
  encodeRecord,
  type NdjsonDecodeOptions,
  type NdjsonEncodeOptions,
  splitLines,
} from './ndjson.js';
export {
  ARTIFACT_KINDS,
  type ArtifactKind,
  ArtifactRecord,
  FileMetadata,
  Group,
  HostInfo,
  InstalledPackage,
  KernelModule,
  LoginEvent,
  LoginEventType,
  NetworkConnection,
  Process,
  RECORD_SCHEMAS,
  SCHEMA_ID,
  SCHEMA_VERSION,
  ShellHistoryEntry,
  SshAuthorizedKey,
  SshKnownHost,
  StartupItem,
  StartupMechanism,
  UserAccount,
} from './records.js';
export {
  artifactJsonSchema,
  assertRecord,
  isArtifactKind,
  type JsonSchemaDocument,
  type ValidationIssue,
  type ValidationResult,
  validateRecord,
} from './validate.js';
