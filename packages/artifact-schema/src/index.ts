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
  AccountFlag,
  ARTIFACT_KINDS,
  type ArtifactKind,
  ArtifactRecord,
  artifactKinds,
  ExecutionArtifact,
  ExecutionEvidence,
  FileMetadata,
  Group,
  HostInfo,
  InstalledPackage,
  isSchemaVersion,
  KernelModule,
  kindOf,
  LoginEvent,
  LoginEventType,
  NetworkConnection,
  Process,
  RECORD_SCHEMAS,
  type RecordSchema,
  recordSchemas,
  SCHEMA_ID,
  SCHEMA_VERSION,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  ServiceStartType,
  ShellHistoryEntry,
  SshAuthorizedKey,
  SshKnownHost,
  StartupItem,
  StartupMechanism,
  schemaId,
  UserAccount,
} from './records.js';
export { RECORD_SCHEMAS_V1 } from './records-v1.js';
export {
  artifactJsonSchema,
  assertRecord,
  isArtifactKind,
  type JsonSchemaDocument,
  type ValidateOptions,
  type ValidationIssue,
  type ValidationResult,
  validateRecord,
} from './validate.js';
