/**
 * The plaintext container (docs/formats/collection.md §3–§5): constants, the
 * types of the header, manifest and signature lines, and their strict
 * validation. Everything here is pure and synchronous.
 */
import {
  isArtifactKind,
  isSchemaVersion,
  SCHEMA_VERSIONS,
  type SchemaVersion,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';

/** The value of the `format` member of the header and manifest lines. */
export const COLLECTION_FORMAT = 'triage-collection';

/** The container format version this package writes and reads. */
export const COLLECTION_FORMAT_VERSION = 1;

/** The signature context (docs/formats/envelope.md §8) of the manifest signature. */
export const MANIFEST_SIGNATURE_CONTEXT = 'triage-collection-manifest-v1';

/** Writers keep at most this many log lines in the manifest; the rest are counted in `log_omitted`. */
export const MAX_LOG_LINES = 2000;

/** Writers keep log lines whose serialised JSON strings total at most this many bytes: 1 MiB. */
export const MAX_LOG_BYTES = 1024 * 1024;

/** Writers keep at most this many collector errors in the manifest; the rest are counted in `errors_omitted`. */
export const MAX_ERRORS = 1000;

/** Writers keep collector errors whose serialised JSON objects total at most this many bytes: 1 MiB. */
export const MAX_ERRORS_BYTES = 1024 * 1024;

/** Longest value, in UTF-8 bytes, of `case`, `host`, `collector.name` and `collector.version`. */
export const MAX_LABEL_BYTES = 256;

/** The program that wrote a collection. */
export interface CollectorInfo {
  /** Program name, e.g. `triage-collect`; 1–256 UTF-8 bytes, no control characters. */
  readonly name: string;
  /** Program version, e.g. `0.1.0`; 1–256 UTF-8 bytes, no control characters. */
  readonly version: string;
}

/** One failure a collector reported (a file it could not read, a parser that gave up). */
export interface CollectorError {
  /** Which collector, e.g. `user_accounts`. */
  readonly collector: string;
  /** A stable code, e.g. `PERMISSION_DENIED`. */
  readonly code: string;
  /** One line for the examiner. */
  readonly message: string;
  /** The file or path concerned, when there is one. */
  readonly path?: string;
}

/** The header fields, repeated verbatim in the manifest. */
interface CommonFields {
  /** Always `triage-collection`. */
  readonly format: typeof COLLECTION_FORMAT;
  /** Always 1 in this version. */
  readonly format_version: typeof COLLECTION_FORMAT_VERSION;
  /**
   * The artifact schema version of the records: what `@triage/artifact-schema`'s
   * `SCHEMA_VERSION` was when written (or the version the writer was asked for).
   * Readers that check records accept the versions of `SCHEMA_VERSIONS`.
   */
  readonly schema_version: number;
  /** Unique id of this collection: 1–128 of `A-Z a-z 0-9 . _ -`, starting with a letter or digit. */
  readonly collection_id: string;
  /** The case the collection belongs to. */
  readonly case: string;
  /** The host it was taken from, as the collector names it. */
  readonly host: string;
  /** The program that wrote it. */
  readonly collector: CollectorInfo;
  /** When collection started: ISO 8601 UTC, e.g. `2026-11-23T16:00:00.000Z`. */
  readonly started_at: string;
}

/** Line 1 of a container. */
export interface CollectionHeader extends CommonFields {
  /** `header`. */
  readonly section: 'header';
}

/** The line after the last record: the header fields plus what was collected. */
export interface CollectionManifest extends CommonFields {
  /** `manifest`. */
  readonly section: 'manifest';
  /** When collection ended: ISO 8601 UTC. */
  readonly ended_at: string;
  /** Number of artifact lines. */
  readonly record_count: number;
  /** Total bytes of the artifact lines, newlines included. */
  readonly artifact_bytes: number;
  /** SHA-256, lowercase hex, of the exact bytes of all artifact lines, newlines included. */
  readonly artifact_sha256: string;
  /** Records per kind, for each kind that occurs (no zero counts). */
  readonly counts: Readonly<Record<string, number>>;
  /** Collector errors, at most {@link MAX_ERRORS}. */
  readonly errors: readonly CollectorError[];
  /** How many collector errors were left out to respect the caps. */
  readonly errors_omitted: number;
  /** The collector's log lines, at most {@link MAX_LOG_LINES}. */
  readonly log: readonly string[];
  /** How many log lines were left out to respect the caps. */
  readonly log_omitted: number;
}

/** The signature line's content. */
export interface CollectionSignature {
  /** Always `ed25519`. */
  readonly algorithm: 'ed25519';
  /** The writer's verify key, `triagesign1…`. */
  readonly verify_key: string;
  /** The signature over the manifest line, `triagesig1…`. */
  readonly value: string;
}

/** The member names of a header, in the order writers emit them. */
export const HEADER_MEMBERS = [
  'format',
  'format_version',
  'section',
  'schema_version',
  'collection_id',
  'case',
  'host',
  'collector',
  'started_at',
] as const;

/** The member names of a manifest, in the order writers emit them. */
export const MANIFEST_MEMBERS = [
  ...HEADER_MEMBERS,
  'ended_at',
  'record_count',
  'artifact_bytes',
  'artifact_sha256',
  'counts',
  'errors',
  'errors_omitted',
  'log',
  'log_omitted',
] as const;

/** ISO 8601 UTC, as in the artifact schema. */
export const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
const COLLECTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

const utf8 = new TextEncoder();

/** UTF-8 length of a string (a lone surrogate counts as the 3 bytes of U+FFFD, as when encoded). */
export function utf8Length(text: string): number {
  return utf8.encode(text).length;
}

/** A non-empty string of at most {@link MAX_LABEL_BYTES} UTF-8 bytes with no C0 control character or DEL. */
export function isLabel(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return utf8Length(value) <= MAX_LABEL_BYTES;
}

/** Whether `value` is a valid `collection_id`. */
export function isCollectionId(value: unknown): value is string {
  return typeof value === 'string' && COLLECTION_ID_PATTERN.test(value);
}

/** Whether `value` is an ISO 8601 UTC time as the format requires. */
export function isTime(value: unknown): value is string {
  return typeof value === 'string' && TIME_PATTERN.test(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(object: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(object, key);
}

/** A `DATA_INVALID` error for container line `line`. */
export function lineError(line: number, message: string, context: Record<string, string | number> = {}) {
  return new TriageError('DATA_INVALID', `line ${line}: ${message}`, { context: { line, ...context } });
}

const NOT_TRIAGE = 'do not import it; ask for the collection again';

function onlyMembers(
  object: Record<string, unknown>,
  allowed: readonly string[],
  line: number,
  what: string,
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw lineError(line, `the ${what} has an unknown member "${key.slice(0, 64)}"; ${NOT_TRIAGE}`, {
        member: key.slice(0, 64),
      });
    }
  }
  for (const key of allowed) {
    if (!has(object, key)) {
      throw lineError(line, `the ${what} lacks its "${key}" member; ${NOT_TRIAGE}`, { member: key });
    }
  }
}

function checkCommon(
  object: Record<string, unknown>,
  line: number,
  what: string,
  options: { readonly validate: boolean },
): void {
  const bad = (member: string, rule: string) =>
    lineError(line, `the ${what}'s "${member}" ${rule}; ${NOT_TRIAGE}`, { member });
  if (object.format !== COLLECTION_FORMAT) {
    throw lineError(line, `not a triage collection (no "format": "${COLLECTION_FORMAT}"); ${NOT_TRIAGE}`);
  }
  if (object.format_version !== COLLECTION_FORMAT_VERSION) {
    const version = JSON.stringify(object.format_version ?? null).slice(0, 32);
    throw lineError(
      line,
      `collection format version ${version} is not supported (this triage reads version ${COLLECTION_FORMAT_VERSION}); upgrade triage`,
      { formatVersion: version },
    );
  }
  const schema = object.schema_version;
  if (!(typeof schema === 'number' && Number.isSafeInteger(schema) && schema >= 1)) {
    throw bad('schema_version', 'must be a positive integer');
  }
  if (options.validate && !isSchemaVersion(schema)) {
    throw lineError(
      line,
      `the records use artifact schema version ${schema}, this triage reads versions ${SCHEMA_VERSIONS.join(' and ')}; upgrade triage`,
      { schemaVersion: schema },
    );
  }
  if (!isCollectionId(object.collection_id)) {
    throw bad('collection_id', 'must be 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit');
  }
  if (!isLabel(object.case)) throw bad('case', 'must be 1-256 bytes of text with no control characters');
  if (!isLabel(object.host)) throw bad('host', 'must be 1-256 bytes of text with no control characters');
  const collector = object.collector;
  if (!isObject(collector)) throw bad('collector', 'must be an object');
  onlyMembers(collector, ['name', 'version'], line, `${what}'s collector`);
  if (!isLabel(collector.name) || !isLabel(collector.version)) {
    throw bad('collector', 'name and version must be 1-256 bytes of text with no control characters');
  }
  if (!isTime(object.started_at)) throw bad('started_at', 'must be an ISO 8601 UTC time');
}

/**
 * Checks a parsed line-1 value as a header.
 *
 * @throws TriageError `DATA_INVALID` naming the line and member
 */
export function parseHeader(
  value: unknown,
  line: number,
  options: { readonly validate: boolean },
): CollectionHeader {
  if (!isObject(value) || !has(value, 'format')) {
    throw lineError(line, `not a triage collection: the first line is not its header; ${NOT_TRIAGE}`);
  }
  checkCommon(value, line, 'header', options);
  if (value.section !== 'header') {
    throw lineError(line, `the first line is not a header ("section" is not "header"); ${NOT_TRIAGE}`);
  }
  onlyMembers(value, HEADER_MEMBERS, line, 'header');
  return value as unknown as CollectionHeader;
}

function isCollectorError(value: unknown): value is CollectorError {
  if (!isObject(value)) return false;
  for (const key of Object.keys(value))
    if (!['collector', 'code', 'message', 'path'].includes(key)) return false;
  return (
    typeof value.collector === 'string' &&
    value.collector.length > 0 &&
    typeof value.code === 'string' &&
    value.code.length > 0 &&
    typeof value.message === 'string' &&
    (!has(value, 'path') || typeof value.path === 'string')
  );
}

/**
 * Checks a parsed value whose `section` is `manifest`.
 *
 * @throws TriageError `DATA_INVALID` naming the line and member
 */
export function parseManifest(
  value: Record<string, unknown>,
  line: number,
  options: { readonly validate: boolean },
): CollectionManifest {
  checkCommon(value, line, 'manifest', options);
  onlyMembers(value, MANIFEST_MEMBERS, line, 'manifest');
  const bad = (member: string, rule: string) =>
    lineError(line, `the manifest's "${member}" ${rule}; ${NOT_TRIAGE}`, { member });
  if (!isTime(value.ended_at)) throw bad('ended_at', 'must be an ISO 8601 UTC time');
  for (const member of ['record_count', 'artifact_bytes', 'errors_omitted', 'log_omitted']) {
    if (!isCount(value[member])) throw bad(member, 'must be a non-negative integer');
  }
  if (typeof value.artifact_sha256 !== 'string' || !SHA256_PATTERN.test(value.artifact_sha256)) {
    throw bad('artifact_sha256', 'must be 64 lowercase hex digits');
  }
  const counts = value.counts;
  if (!isObject(counts)) throw bad('counts', 'must be an object');
  for (const [kind, count] of Object.entries(counts)) {
    if (
      kind.length === 0 ||
      (options.validate && !isArtifactKind(kind, value.schema_version as SchemaVersion))
    ) {
      throw bad('counts', `names an unknown kind "${kind.slice(0, 64)}"`);
    }
    if (!isCount(count) || count === 0) throw bad('counts', 'must map each kind to a positive integer');
  }
  if (!Array.isArray(value.errors) || !value.errors.every(isCollectorError)) {
    throw bad('errors', 'must be a list of {collector, code, message, path?} objects of strings');
  }
  if (!Array.isArray(value.log) || !value.log.every((entry) => typeof entry === 'string')) {
    throw bad('log', 'must be a list of strings');
  }
  return value as unknown as CollectionManifest;
}

/**
 * Checks a parsed value that has a `signature` member.
 *
 * @throws TriageError `DATA_INVALID` naming the line
 */
export function parseSignature(value: Record<string, unknown>, line: number): CollectionSignature {
  const signature = value.signature;
  const shapeOk =
    Object.keys(value).length === 1 &&
    isObject(signature) &&
    Object.keys(signature).length === 3 &&
    typeof signature.verify_key === 'string' &&
    typeof signature.value === 'string' &&
    has(signature, 'algorithm');
  if (!shapeOk) {
    throw lineError(
      line,
      `the signature line must be {"signature":{"algorithm","verify_key","value"}}; ${NOT_TRIAGE}`,
    );
  }
  if (signature.algorithm !== 'ed25519') {
    throw lineError(line, 'the manifest is signed with an algorithm other than ed25519; upgrade triage', {
      algorithm: String(signature.algorithm).slice(0, 32),
    });
  }
  return signature as unknown as CollectionSignature;
}

/**
 * Compares the header members (all but `section`) of a header and a manifest.
 *
 * @returns the first member that differs, or undefined when all are equal
 */
export function differingHeaderField(
  header: CollectionHeader,
  manifest: CollectionManifest,
): string | undefined {
  for (const key of HEADER_MEMBERS) {
    if (key === 'section') continue;
    if (key === 'collector') {
      if (header.collector.name !== manifest.collector.name) return 'collector';
      if (header.collector.version !== manifest.collector.version) return 'collector';
      continue;
    }
    if (header[key] !== manifest[key]) return key;
  }
  return undefined;
}
