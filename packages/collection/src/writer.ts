/**
 * Writing: records → plaintext container ({@link writeContainer}) → brotli →
 * envelope ({@link sealCollection}). One batch of records (about 64 KiB of
 * lines) is held at a time; records are pulled from the source only as fast
 * as the output is read.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type ArtifactRecord,
  encodeRecord,
  isSchemaVersion,
  SCHEMA_VERSION,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  validateRecord,
} from '@triage/artifact-schema';
import { encrypt, type Recipient, sign, verifyKeyOf } from '@triage/encryption';
import { isTriageError, TriageError, toTriageError } from '@triage/errors';
import { compress } from './compression.js';
import {
  COLLECTION_FORMAT,
  COLLECTION_FORMAT_VERSION,
  type CollectionHeader,
  type CollectionManifest,
  type CollectionSignature,
  type CollectorError,
  type CollectorInfo,
  isCollectionId,
  isLabel,
  isObject,
  isTime,
  MANIFEST_SIGNATURE_CONTEXT,
  MAX_ERRORS,
  MAX_ERRORS_BYTES,
  MAX_LOG_BYTES,
  MAX_LOG_LINES,
  utf8Length,
} from './format.js';
import { abortedError } from './lines.js';

/** Records to write: an async iterable (such as an async generator) or a web stream. */
export type RecordSource = AsyncIterable<ArtifactRecord> | ReadableStream<ArtifactRecord>;

/** The caller's part of the header. */
export interface HeaderInput {
  /** The case id; 1–256 UTF-8 bytes, no control characters. */
  readonly case: string;
  /** The host name as the collector reports it; 1–256 UTF-8 bytes, no control characters. */
  readonly host: string;
  /** The collecting program's name and version. */
  readonly collector: CollectorInfo;
  /** ISO 8601 UTC; default `now().toISOString()` when the writer is created. */
  readonly started_at?: string;
  /** 1–128 of `A-Z a-z 0-9 . _ -`; default a random UUID (node:crypto `randomUUID`). */
  readonly collection_id?: string;
}

/** What the caller hands over once the records have ended. */
export interface CollectionTrailer {
  /** Per-collector errors; default none. Capped at {@link MAX_ERRORS} entries / 1 MiB, in order. */
  readonly errors?: readonly CollectorError[];
  /** The collector's log lines; default none. Capped at {@link MAX_LOG_LINES} lines / 1 MiB, in order. */
  readonly log?: readonly string[];
}

/** Options for {@link writeContainer}. */
export interface WriteContainerOptions {
  /** The header fields. */
  readonly header: HeaderInput;
  /** `TRIAGE-SIGNING-KEY-1…`: when given, a signature line over the manifest is written. Never written out. */
  readonly signingKey?: string;
  /**
   * Called once, after the last record was read from the source and before the
   * manifest is written: returns the collector errors and log lines to record.
   * Default: none.
   */
  readonly finish?: () => CollectionTrailer | Promise<CollectionTrailer>;
  /** The clock for `started_at` (default) and `ended_at`; default `() => new Date()`. */
  readonly now?: () => Date;
  /**
   * Check each record against the artifact schema before writing it, so a
   * collector bug surfaces on the host, not at the examiner's all-or-nothing
   * import; default true.
   */
  readonly validate?: boolean;
  /** Emit about this many bytes of record lines per chunk; default 65,536. */
  readonly chunkBytes?: number;
  /**
   * The artifact schema version to write in the header and to check records
   * against; default `SCHEMA_VERSION` of `@triage/artifact-schema` (2). Version
   * 1 writes a collection every reader since version 1 can read, provided its
   * records use no version 2 kind or field.
   */
  readonly schemaVersion?: SchemaVersion;
  /** Cancels writing: the stream errors with `ABORTED` and the source is closed. */
  readonly signal?: AbortSignal;
}

/** Options for {@link sealCollection}: the container options plus the recipients. */
export interface SealCollectionOptions extends WriteContainerOptions {
  /** Examiner public keys (`triage1…`) or exactly one `{ password, scrypt? }`, as for `encrypt()`. */
  readonly recipients: readonly Recipient[];
}

/** The manifest that was written, once the last byte of the container was produced. */
export interface WrittenManifest {
  /** The manifest as written. */
  readonly manifest: CollectionManifest;
  /** SHA-256 (lowercase hex) of the manifest line's bytes without its newline: "the manifest hash". */
  readonly manifestSha256: string;
  /** The signature line's content, or null when no signing key was given. */
  readonly signature: CollectionSignature | null;
}

/** A container or collection being written. */
export interface CollectionStream {
  /** The output bytes. Read it to the end (or cancel it); records are pulled as it is read. */
  readonly stream: ReadableStream<Uint8Array>;
  /**
   * Resolves when the manifest has been written (the plaintext is complete;
   * for a sealed stream, the last envelope chunk follows at once). Rejects
   * with the stream's error if writing fails or is cancelled. Never causes an
   * unhandled rejection when ignored.
   */
  readonly manifest: Promise<WrittenManifest>;
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;
const encoder = new TextEncoder();

function argument(message: string): TriageError {
  return new TriageError('INVALID_ARGUMENT', message);
}

function buildHeader(input: HeaderInput, now: () => Date, schemaVersion: SchemaVersion): CollectionHeader {
  if (!isObject(input)) throw argument('writeContainer() needs a header: { case, host, collector }.');
  if (!isLabel(input.case))
    throw argument('header.case must be 1-256 bytes of text with no control characters.');
  if (!isLabel(input.host))
    throw argument('header.host must be 1-256 bytes of text with no control characters.');
  if (!isObject(input.collector) || !isLabel(input.collector.name) || !isLabel(input.collector.version)) {
    throw argument(
      'header.collector needs a name and a version: 1-256 bytes of text each, no control characters.',
    );
  }
  const startedAt = input.started_at ?? now().toISOString();
  if (!isTime(startedAt))
    throw argument('header.started_at must be ISO 8601 UTC, e.g. 2026-11-23T16:00:00.000Z.');
  const collectionId = input.collection_id ?? randomUUID();
  if (!isCollectionId(collectionId)) {
    throw argument(
      'header.collection_id must be 1-128 of A-Z a-z 0-9 . _ - starting with a letter or digit.',
    );
  }
  return {
    format: COLLECTION_FORMAT,
    format_version: COLLECTION_FORMAT_VERSION,
    section: 'header',
    schema_version: schemaVersion,
    collection_id: collectionId,
    case: input.case,
    host: input.host,
    collector: { name: input.collector.name, version: input.collector.version },
    started_at: startedAt,
  };
}

/** Keeps entries in order while they fit both caps; returns them and how many were left out. */
function capped<T>(
  entries: readonly T[],
  maxCount: number,
  maxBytes: number,
): { kept: T[]; omitted: number } {
  const kept: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = utf8Length(JSON.stringify(entry));
    if (kept.length >= maxCount || bytes + size > maxBytes) break;
    kept.push(entry);
    bytes += size;
  }
  return { kept, omitted: entries.length - kept.length };
}

function checkedError(error: unknown, index: number): CollectorError {
  const ok =
    isObject(error) &&
    typeof error.collector === 'string' &&
    error.collector.length > 0 &&
    typeof error.code === 'string' &&
    error.code.length > 0 &&
    typeof error.message === 'string' &&
    (error.path === undefined || typeof error.path === 'string');
  if (!ok) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `finish(): errors[${index}] must be { collector, code, message, path? } with non-empty collector and code strings.`,
      { context: { index } },
    );
  }
  const { collector, code, message, path } = error as unknown as CollectorError;
  return path === undefined ? { collector, code, message } : { collector, code, message, path };
}

function normaliseTrailer(trailer: CollectionTrailer | undefined): {
  errors: CollectorError[];
  log: string[];
} {
  if (trailer === undefined) return { errors: [], log: [] };
  if (typeof trailer !== 'object' || trailer === null)
    throw argument('finish() must return { errors?, log? }.');
  const errors: unknown = trailer.errors ?? [];
  const log: unknown = trailer.log ?? [];
  if (!Array.isArray(errors)) throw argument('finish(): errors must be a list.');
  if (!Array.isArray(log) || !log.every((line) => typeof line === 'string')) {
    throw argument('finish(): log must be a list of strings.');
  }
  return { errors: errors.map(checkedError), log: [...(log as string[])] };
}

function invalidRecord(line: number, record: unknown): TriageError | undefined {
  if (!isObject(record) || typeof record.kind !== 'string') {
    return new TriageError(
      'DATA_INVALID',
      `record ${line - 1} (container line ${line}) is not an object with a string "kind"; fix the collector that produced it.`,
      { context: { line } },
    );
  }
  if (Object.hasOwn(record, 'format') || Object.hasOwn(record, 'signature')) {
    return new TriageError(
      'DATA_INVALID',
      `record ${line - 1} (container line ${line}, ${record.kind.slice(0, 64)}) has a "format" or "signature" member, which only container lines may have; fix the collector.`,
      { context: { line, kind: record.kind.slice(0, 64) } },
    );
  }
  return undefined;
}

function schemaError(line: number, record: ArtifactRecord, version: SchemaVersion): TriageError | undefined {
  const result = validateRecord(record, { version });
  if (result.ok) return undefined;
  const first = result.issues[0] ?? { path: '', message: 'is invalid' };
  const kind = String((record as { kind: unknown }).kind).slice(0, 64);
  return new TriageError(
    'DATA_INVALID',
    `record ${line - 1} (container line ${line}, ${kind}): field ${first.path || '(root)'} ${first.message}; fix the collector that produced it (artifact schema v${version}).`,
    { context: { line, kind, path: first.path, issues: result.issues.length } },
  );
}

function iteratorOf(records: RecordSource): AsyncIterator<ArtifactRecord> {
  if (records instanceof ReadableStream) {
    const reader = records.getReader();
    return {
      next: async () => {
        const { done, value } = await reader.read();
        return done ? { done: true, value: undefined } : { done: false, value };
      },
      return: async () => {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    };
  }
  if (records === null || typeof records !== 'object' || !(Symbol.asyncIterator in records)) {
    throw argument('records must be an AsyncIterable or a ReadableStream of artifact records.');
  }
  return records[Symbol.asyncIterator]();
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1 && pieces[0]) return pieces[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * Writes the plaintext container (docs/formats/collection.md §3): the header
 * line, one line per record (exactly `encodeRecord(record)`), the manifest
 * line and, with a signing key, the signature line. No compression, no
 * encryption: {@link sealCollection} adds both. Records are pulled only as
 * the stream is read; memory holds one batch of lines.
 *
 * @param records - the artifact records, in the order to write them
 * @param options - header, signing key, trailer callback, clock, validation, signal
 * @returns the byte stream and a promise of the written manifest
 * @throws INVALID_ARGUMENT (synchronously) for a bad header, chunk size, schema version or record source
 * @throws KEY_INVALID (synchronously) for a malformed signing key
 * @throws (as the stream's error) DATA_INVALID for a record that is not schema-valid (naming
 *   its line), INVALID_ARGUMENT for what `finish()` returns, ABORTED; errors of the
 *   record source and of `finish()` pass through (non-`TriageError`s as INTERNAL)
 */
export function writeContainer(records: RecordSource, options: WriteContainerOptions): CollectionStream {
  const now = options.now ?? (() => new Date());
  const validate = options.validate ?? true;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1)
    throw argument('chunkBytes must be a positive integer.');
  const schemaVersion = options.schemaVersion ?? SCHEMA_VERSION;
  if (!isSchemaVersion(schemaVersion)) {
    throw argument(`schemaVersion must be one of ${SCHEMA_VERSIONS.join(', ')}.`);
  }
  const header = buildHeader(options.header, now, schemaVersion);
  const signingKey = options.signingKey;
  // Checks the key now, so a bad key fails before any collecting; the text is never repeated.
  const verifyKey = signingKey === undefined ? undefined : verifyKeyOf(signingKey);
  const signal = options.signal;
  const iterator = iteratorOf(records);

  let resolveManifest: (value: WrittenManifest) => void = () => undefined;
  let rejectManifest: (reason: unknown) => void = () => undefined;
  const manifest = new Promise<WrittenManifest>((resolve, reject) => {
    resolveManifest = resolve;
    rejectManifest = reject;
  });
  manifest.catch(() => undefined); // The caller may ignore it; the stream carries the same error.

  const hash = createHash('sha256');
  const counts = new Map<string, number>();
  let recordCount = 0;
  let artifactBytes = 0;
  let line = 1; // the header
  let settled = false;
  let onAbort: (() => void) | undefined;

  const fail = (error: unknown): TriageError => {
    const failure = isTriageError(error) ? error : toTriageError(error);
    if (!settled) {
      settled = true;
      rejectManifest(failure);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      Promise.resolve(iterator.return?.()).catch(() => undefined);
    }
    return failure;
  };

  const writeEnd = async (controller: ReadableStreamDefaultController<Uint8Array>) => {
    const trailer = normaliseTrailer(await options.finish?.());
    const errors = capped(trailer.errors, MAX_ERRORS, MAX_ERRORS_BYTES);
    const log = capped(trailer.log, MAX_LOG_LINES, MAX_LOG_BYTES);
    const endedAt = now().toISOString();
    if (!isTime(endedAt)) throw argument('now() returned a time that is not ISO 8601 UTC.');
    const sortedCounts: Record<string, number> = {};
    for (const kind of [...counts.keys()].sort()) sortedCounts[kind] = counts.get(kind) as number;
    const written: CollectionManifest = {
      format: header.format,
      format_version: header.format_version,
      section: 'manifest',
      schema_version: header.schema_version,
      collection_id: header.collection_id,
      case: header.case,
      host: header.host,
      collector: header.collector,
      started_at: header.started_at,
      ended_at: endedAt,
      record_count: recordCount,
      artifact_bytes: artifactBytes,
      artifact_sha256: hash.digest('hex'),
      counts: sortedCounts,
      errors: errors.kept,
      errors_omitted: errors.omitted,
      log: log.kept,
      log_omitted: log.omitted,
    };
    const manifestBytes = encoder.encode(JSON.stringify(written));
    const manifestSha256 = createHash('sha256').update(manifestBytes).digest('hex');
    let signature: CollectionSignature | null = null;
    let tail = encoder.encode('\n');
    if (signingKey !== undefined && verifyKey !== undefined) {
      signature = {
        algorithm: 'ed25519',
        verify_key: verifyKey,
        value: sign(manifestBytes, signingKey, MANIFEST_SIGNATURE_CONTEXT),
      };
      tail = encoder.encode(`\n${JSON.stringify({ signature })}\n`);
    }
    const out = new Uint8Array(manifestBytes.length + tail.length);
    out.set(manifestBytes, 0);
    out.set(tail, manifestBytes.length);
    controller.enqueue(out);
    settled = true;
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    resolveManifest({ manifest: written, manifestSha256, signature });
    controller.close();
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal?.aborted) {
          controller.error(fail(abortedError(signal, 'Writing the collection')));
          return;
        }
        if (signal) {
          onAbort = () => controller.error(fail(abortedError(signal, 'Writing the collection')));
          signal.addEventListener('abort', onAbort, { once: true });
        }
        controller.enqueue(encoder.encode(`${JSON.stringify(header)}\n`));
      },
      async pull(controller) {
        try {
          const pieces: Uint8Array[] = [];
          let size = 0;
          while (size < chunkBytes) {
            const next = await iterator.next();
            if (settled) return; // aborted while waiting for the source
            if (next.done) {
              if (size > 0) controller.enqueue(concat(pieces, size));
              await writeEnd(controller);
              return;
            }
            line++;
            const record = next.value;
            const problem =
              invalidRecord(line, record) ??
              (validate ? schemaError(line, record, schemaVersion) : undefined);
            if (problem) throw problem;
            const bytes = encodeRecord(record);
            hash.update(bytes);
            recordCount++;
            artifactBytes += bytes.length;
            counts.set(record.kind, (counts.get(record.kind) ?? 0) + 1);
            pieces.push(bytes);
            size += bytes.length;
          }
          controller.enqueue(concat(pieces, size));
        } catch (error) {
          throw fail(error);
        }
      },
      cancel(reason) {
        fail(
          new TriageError(
            'ABORTED',
            'Writing the collection was cancelled before the manifest was written.',
            {
              cause: reason,
            },
          ),
        );
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, manifest };
}

/**
 * Writes a collection ready to leave the host: the plaintext container of
 * {@link writeContainer}, brotli-compressed (quality 1) and sealed in an
 * envelope to `recipients` (docs/formats/collection.md §2). Only the
 * examiner's identity (or the password) opens it; the host keeps no key that
 * can.
 *
 * @example
 * ```ts
 * const { stream, manifest } = sealCollection(records(), {
 *   header: { case: '2026-0042', host: 'ws-17', collector: { name: 'triage-collect', version: '0.1.0' } },
 *   recipients: ['triage1…'],
 *   signingKey,
 *   finish: () => ({ errors, log }),
 * });
 * await stream.pipeTo(Writable.toWeb(createWriteStream('ws-17.tri')));
 * console.log('manifest hash', (await manifest).manifestSha256);
 * ```
 * @param records - the artifact records
 * @param options - as {@link writeContainer}, plus `recipients`
 * @returns the envelope bytes and a promise of the written manifest
 * @throws INVALID_ARGUMENT, KEY_INVALID (synchronously) as `encrypt()` does for bad recipients,
 *   and as {@link writeContainer}
 * @throws (as the stream's error) as {@link writeContainer}
 */
export function sealCollection(records: RecordSource, options: SealCollectionOptions): CollectionStream {
  const envelope = encrypt({ recipients: options.recipients });
  const { stream, manifest } = writeContainer(records, options);
  return { stream: stream.pipeThrough(compress()).pipeThrough(envelope), manifest };
}
