/**
 * Reading: envelope → brotli → plaintext container, streamed one line at a
 * time, with every check of docs/formats/collection.md §6 in its order. The
 * records are handed out as they are read, so integrity (hash, counts,
 * signature) is known only at the end: the records iterator throws there,
 * before it reports completion, and {@link OpenedCollection.finish} rejects,
 * so an all-or-nothing importer rolls back instead of committing.
 */
import { createHash } from 'node:crypto';
import {
  type ArtifactRecord,
  assertRecord,
  DEFAULT_MAX_LINE_BYTES,
  type SchemaVersion,
} from '@triage/artifact-schema';
import { decrypt, fingerprint, type Identity, toReadableStream, verify } from '@triage/encryption';
import { isTriageError, TriageError } from '@triage/errors';
import { decompress } from './compression.js';
import {
  type CollectionHeader,
  type CollectionManifest,
  type CollectionSignature,
  differingHeaderField,
  isObject,
  lineError,
  MANIFEST_SIGNATURE_CONTEXT,
  parseHeader,
  parseManifest,
  parseSignature,
} from './format.js';
import { abortedError, type Line, readLines } from './lines.js';

/** Input bytes: a web stream, an async iterable of chunks, or one buffer. */
export type CollectionSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

/** Options for reading a plaintext container ({@link openContainer} and friends). */
export interface ReadContainerOptions {
  /**
   * Verify keys (`triagesign1…`) you trust. When given, the manifest must be
   * signed by one of them (unless `requireSignature` is false, in which case
   * an unsigned collection passes but a signed one must still be by one of
   * them). Default: none, and a signature present is checked only against the
   * verify key it names (reported as `trusted: false`).
   */
  readonly verifyKeys?: readonly string[];
  /** Refuse an unsigned collection; default true when `verifyKeys` is non-empty, else false. */
  readonly requireSignature?: boolean;
  /** Check records, and the header's `schema_version`, against the artifact schema; default true. */
  readonly validate?: boolean;
  /** A longer line is refused (bounded memory); default 16 MiB. */
  readonly maxLineBytes?: number;
  /** Cancels reading with `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** Options for reading a sealed collection ({@link openCollection} and friends). */
export interface OpenCollectionOptions extends ReadContainerOptions {
  /** Examiner secret keys (`TRIAGE-SECRET-KEY-1…`) and/or `{ password }`, as for `decrypt()`. */
  readonly identities: readonly Identity[];
}

/** Who signed the manifest. */
export interface VerifiedSignature {
  /** The verify key the signature verified with, `triagesign1…`. */
  readonly verifyKey: string;
  /** Its fingerprint, `SHA256:…`, for people. */
  readonly fingerprint: string;
  /** True when it is one of the `verifyKeys` you gave; false when only self-consistent. */
  readonly trusted: boolean;
}

/** The outcome of a complete, verified read. */
export interface VerifiedManifest {
  /** The manifest, checked against the header and every record line. */
  readonly manifest: CollectionManifest;
  /** SHA-256 (lowercase hex) of the manifest line without its newline: "the manifest hash". */
  readonly manifestSha256: string;
  /** The verified signature, or null for an unsigned collection. */
  readonly signature: VerifiedSignature | null;
}

/** A collection being read: the header is known, the rest streams. */
export interface OpenedCollection {
  /** The validated header (line 1). Not yet verified: the manifest repeats and confirms it. */
  readonly header: CollectionHeader;
  /**
   * The records, validated, one at a time; callable once, before
   * {@link OpenedCollection.finish}. After the last record it runs every
   * end-of-container check and throws if one fails, so a `for await` loop
   * ends normally only for an intact collection. Treat records as untrusted
   * until then. Leaving the loop early releases the source.
   *
   * @throws TriageError as {@link openCollection}
   */
  records(): AsyncGenerator<ArtifactRecord, void, undefined>;
  /**
   * Reads (and discards) any records not yet read, runs the end-of-container
   * checks and resolves with the verified manifest. Call it after the records
   * loop, or instead of it to only verify. The same promise every time.
   *
   * @throws TriageError as {@link openCollection}; `ABORTED` when the records loop was left early
   */
  finish(): Promise<VerifiedManifest>;
  /** Stops reading and releases the source; `finish()` then rejects with `ABORTED`. */
  cancel(reason?: unknown): Promise<void>;
}

/** Everything in a collection, read into memory. */
export interface CollectionContents extends VerifiedManifest {
  /** The header. */
  readonly header: CollectionHeader;
  /** Every record, in order. */
  readonly records: readonly ArtifactRecord[];
}

/** What a verification without keeping records returns. */
export interface VerifiedCollection extends VerifiedManifest {
  /** The header. */
  readonly header: CollectionHeader;
}

interface TrustedKey {
  readonly key: string;
  readonly fingerprint: string;
}

interface Settings {
  readonly trusted: readonly TrustedKey[];
  readonly requireSignature: boolean;
  readonly validate: boolean;
  readonly maxLineBytes: number;
  readonly signal: AbortSignal | undefined;
}

const NEWLINE = new Uint8Array([0x0a]);
const DO_NOT_IMPORT = 'do not import it; ask for the collection again';

function settingsOf(options: ReadContainerOptions): Settings {
  const trusted = (options.verifyKeys ?? []).map((key, index) => {
    if (typeof key !== 'string' || !key.trim().toLowerCase().startsWith('triagesign1')) {
      throw new TriageError('KEY_INVALID', `verifyKeys[${index}] is not a verify key (triagesign1…).`, {
        context: { index },
      });
    }
    return { key: key.trim(), fingerprint: fingerprint(key) };
  });
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw new TriageError('INVALID_ARGUMENT', 'maxLineBytes must be a positive integer.');
  }
  return {
    trusted,
    requireSignature: options.requireSignature ?? trusted.length > 0,
    validate: options.validate ?? true,
    maxLineBytes,
    signal: options.signal,
  };
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Parses one line as a JSON object, or throws `DATA_INVALID` naming it. */
function parseLine(line: Line, cutOff: string): Record<string, unknown> {
  if (!line.terminated) throw lineError(line.number, cutOff);
  if (line.bytes.length === 0) {
    throw lineError(line.number, `is empty; a triage collection has no empty lines; ${DO_NOT_IMPORT}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(line.bytes));
  } catch {
    throw lineError(line.number, `is not valid UTF-8 JSON; ${DO_NOT_IMPORT}`);
  }
  if (!isObject(value)) throw lineError(line.number, `is not a JSON object; ${DO_NOT_IMPORT}`);
  return value;
}

function mismatch(message: string, context: Record<string, string | number>): TriageError {
  return new TriageError('INTEGRITY_MISMATCH', message, { context });
}

class Reader implements OpenedCollection {
  private state: 'records' | 'manifest' | 'signed' = 'records';
  private manifest: CollectionManifest | undefined;
  private manifestBytes: Uint8Array = new Uint8Array(0);
  private signature: CollectionSignature | undefined;
  private readonly hash = createHash('sha256');
  private readonly counts = new Map<string, number>();
  private recordCount = 0;
  private artifactBytes = 0;
  private lastLine = 1;
  private recordsCalled = false;
  private failure: TriageError | undefined;
  private result: Promise<VerifiedManifest> | undefined;

  /** Lines read but not handled yet: `pending[pendingIndex…]`. */
  private pending: readonly Line[];
  private pendingIndex = 0;

  constructor(
    private readonly lines: AsyncGenerator<Line[], void, undefined>,
    readonly header: CollectionHeader,
    private readonly settings: Settings,
    pending: readonly Line[] = [],
  ) {
    this.pending = pending;
  }

  records(): AsyncGenerator<ArtifactRecord, void, undefined> {
    if (this.recordsCalled || this.result !== undefined) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        'records() can be called once, before finish(); open the collection again to re-read it.',
      );
    }
    this.recordsCalled = true;
    return this.iterate();
  }

  finish(): Promise<VerifiedManifest> {
    this.result ??= this.drainAndVerify();
    return this.result;
  }

  async cancel(reason?: unknown): Promise<void> {
    this.failure ??= new TriageError(
      'ABORTED',
      'Reading the collection was stopped before its end; it was not verified.',
      {
        cause: reason,
      },
    );
    await this.lines.return().catch(() => undefined);
  }

  private async *iterate(): AsyncGenerator<ArtifactRecord, void, undefined> {
    let completed = false;
    try {
      for (;;) {
        // Records of lines already read come without an await; only a new piece of input needs one.
        const record = this.nextPending() ?? (await this.next());
        if (record === undefined) break;
        yield record;
      }
      await this.finish();
      completed = true;
    } finally {
      if (!completed) await this.cancel();
    }
  }

  private async drainAndVerify(): Promise<VerifiedManifest> {
    while ((await this.next()) !== undefined) {
      // Discard records the caller did not read.
    }
    try {
      return this.verify();
    } catch (error) {
      throw this.fail(error);
    }
  }

  private fail(error: unknown): TriageError {
    const failure = isTriageError(error)
      ? error
      : new TriageError('INTERNAL', 'Unexpected failure while reading the collection; report it.', {
          cause: error,
        });
    this.failure ??= failure;
    this.lines.return().catch(() => undefined);
    return failure;
  }

  /** The next record among the lines already read, or null when they are used up. */
  private nextPending(): ArtifactRecord | null {
    if (this.failure) throw this.failure;
    try {
      const pending = this.pending;
      while (this.pendingIndex < pending.length) {
        if (this.settings.signal?.aborted) throw abortedError(this.settings.signal, 'Reading the collection');
        const line = pending[this.pendingIndex++] as Line;
        const record = this.handle(line);
        if (record) return record;
      }
      return null;
    } catch (error) {
      throw this.fail(error);
    }
  }

  /** The next record, or undefined at the end of the input. */
  private async next(): Promise<ArtifactRecord | undefined> {
    for (;;) {
      const record = this.nextPending();
      if (record) return record;
      let step: IteratorResult<Line[], void>;
      try {
        if (this.settings.signal?.aborted) throw abortedError(this.settings.signal, 'Reading the collection');
        step = await this.lines.next();
        if (this.failure) throw this.failure;
      } catch (error) {
        throw this.fail(error);
      }
      if (step.done) return undefined;
      this.pending = step.value;
      this.pendingIndex = 0;
    }
  }

  private handle(line: Line): ArtifactRecord | undefined {
    const n = line.number;
    this.lastLine = n;
    const value = parseLine(
      line,
      this.state === 'records'
        ? `the last line has no newline: the collection was cut off before its manifest; ${DO_NOT_IMPORT}`
        : `bytes after the ${this.state === 'manifest' ? 'manifest' : 'signature'} line: the collection was altered; ${DO_NOT_IMPORT}`,
    );
    if (this.state === 'signed') {
      throw lineError(
        n,
        `data after the signature line, which must be last: the collection was altered; ${DO_NOT_IMPORT}`,
      );
    }
    if (Object.hasOwn(value, 'format')) {
      if (value.section === 'header') {
        throw lineError(n, `a second header: only line 1 may be a header; ${DO_NOT_IMPORT}`);
      }
      if (value.section !== 'manifest') {
        throw lineError(n, `a container line with an unknown "section"; ${DO_NOT_IMPORT}`);
      }
      if (this.state !== 'records') {
        throw lineError(n, `a second manifest: the collection was altered; ${DO_NOT_IMPORT}`);
      }
      this.manifest = parseManifest(value, n, this.settings);
      this.manifestBytes = line.bytes.slice();
      this.state = 'manifest';
      return undefined;
    }
    if (Object.hasOwn(value, 'signature')) {
      if (this.state === 'records') {
        throw lineError(n, `a signature line before the manifest; ${DO_NOT_IMPORT}`);
      }
      this.signature = parseSignature(value, n);
      this.state = 'signed';
      return undefined;
    }
    if (this.state !== 'records') {
      throw lineError(n, `a record after the manifest: the collection was altered; ${DO_NOT_IMPORT}`);
    }
    if (typeof value.kind !== 'string') {
      throw lineError(n, `not an artifact record (no string "kind"); ${DO_NOT_IMPORT}`);
    }
    // Each collection is checked against the schema version its header names (checked known in parseHeader).
    const record = this.settings.validate
      ? assertRecord(value, { line: n, version: this.header.schema_version as SchemaVersion })
      : (value as ArtifactRecord);
    this.hash.update(line.bytes);
    this.hash.update(NEWLINE);
    this.artifactBytes += line.bytes.length + 1;
    this.recordCount++;
    this.counts.set(value.kind, (this.counts.get(value.kind) ?? 0) + 1);
    return record;
  }

  /** The end-of-container checks, in the order of docs/formats/collection.md §6.3. */
  private verify(): VerifiedManifest {
    const manifest = this.manifest;
    if (this.state === 'records' || !manifest) {
      throw new TriageError(
        'DATA_INVALID',
        `The collection ends after line ${this.lastLine} without its manifest: it was cut off; ${DO_NOT_IMPORT}.`,
        { context: { line: this.lastLine } },
      );
    }
    const signature = this.verifySignature();
    const field = differingHeaderField(this.header, manifest);
    if (field) {
      throw mismatch(
        `The manifest's "${field}" differs from the header's: the collection was altered; ${DO_NOT_IMPORT}.`,
        {
          member: field,
        },
      );
    }
    if (manifest.record_count !== this.recordCount) {
      throw mismatch(
        `The manifest lists ${manifest.record_count} records but the collection holds ${this.recordCount}: records were added or removed; ${DO_NOT_IMPORT}.`,
        { expected: manifest.record_count, actual: this.recordCount },
      );
    }
    if (manifest.artifact_bytes !== this.artifactBytes) {
      throw mismatch(
        `The manifest lists ${manifest.artifact_bytes} bytes of records but the collection holds ${this.artifactBytes}: records were altered; ${DO_NOT_IMPORT}.`,
        { expected: manifest.artifact_bytes, actual: this.artifactBytes },
      );
    }
    const kinds = new Set([...Object.keys(manifest.counts), ...this.counts.keys()]);
    for (const kind of [...kinds].sort()) {
      const expected = manifest.counts[kind] ?? 0;
      const actual = this.counts.get(kind) ?? 0;
      if (expected !== actual) {
        throw mismatch(
          `The manifest lists ${expected} ${kind.slice(0, 64)} records but the collection holds ${actual}: records were altered; ${DO_NOT_IMPORT}.`,
          { kind: kind.slice(0, 64), expected, actual },
        );
      }
    }
    const sha256 = this.hash.digest('hex');
    if (manifest.artifact_sha256 !== sha256) {
      throw mismatch(
        `The records' SHA-256 does not match the manifest: a record was altered; ${DO_NOT_IMPORT}.`,
        { expected: manifest.artifact_sha256, actual: sha256 },
      );
    }
    return {
      manifest,
      manifestSha256: createHash('sha256').update(this.manifestBytes).digest('hex'),
      signature,
    };
  }

  private verifySignature(): VerifiedSignature | null {
    const { trusted, requireSignature } = this.settings;
    const signature = this.signature;
    if (!signature) {
      if (requireSignature) {
        throw new TriageError(
          'SIGNATURE_INVALID',
          'The collection is not signed, and a signed one was required: it was written without a signing key or its signature was removed; do not import it.',
        );
      }
      return null;
    }
    let signer: string;
    try {
      if (!signature.verify_key.trim().toLowerCase().startsWith('triagesign1'))
        throw new Error('not a verify key');
      signer = fingerprint(signature.verify_key);
    } catch {
      throw new TriageError(
        'SIGNATURE_INVALID',
        `The signature line's verify_key is not a valid verify key: the collection was altered; ${DO_NOT_IMPORT}.`,
      );
    }
    let key = signature.verify_key;
    if (trusted.length > 0) {
      const match = trusted.find((candidate) => candidate.fingerprint === signer);
      if (!match) {
        throw new TriageError(
          'SIGNATURE_INVALID',
          `The manifest is signed by ${signer}, which is not among the ${trusted.length} trusted verify key(s): check the key you passed, or the collection is not from your collector.`,
          { context: { signer } },
        );
      }
      key = match.key;
    }
    if (!verify(this.manifestBytes, signature.value, key, MANIFEST_SIGNATURE_CONTEXT)) {
      throw new TriageError(
        'SIGNATURE_INVALID',
        `The manifest signature does not verify with ${signer}: the manifest or its signature was altered; ${DO_NOT_IMPORT}.`,
        { context: { signer } },
      );
    }
    return { verifyKey: key, fingerprint: signer, trusted: trusted.length > 0 };
  }
}

async function* chunksOf(source: CollectionSource): AsyncGenerator<Uint8Array, void, undefined> {
  if (source instanceof Uint8Array) {
    if (source.length > 0) yield source;
    return;
  }
  yield* source as AsyncIterable<Uint8Array>;
}

/**
 * Opens a plaintext container (already decrypted and decompressed): reads
 * and validates the header, and returns the reader for the rest.
 *
 * @param source - the container bytes
 * @param options - trusted verify keys, whether a signature is required, validation, line limit, signal
 * @returns the opened container, header read
 * @throws TriageError `DATA_INVALID` (format violations, naming the line), `INTEGRITY_MISMATCH`
 *   (header, counts, bytes or hash differ from the manifest), `SIGNATURE_INVALID`, `KEY_INVALID`
 *   (a malformed entry in `verifyKeys`), `INVALID_ARGUMENT`, `ABORTED`, `IO_ERROR` (the source failed);
 *   a `TriageError` from the source passes through. Only header errors reject this promise; the
 *   rest surface through `records()` and `finish()`.
 */
export async function openContainer(
  source: CollectionSource,
  options: ReadContainerOptions = {},
): Promise<OpenedCollection> {
  const settings = settingsOf(options);
  const lines = readLines(chunksOf(source), settings.maxLineBytes, settings.signal);
  try {
    const batch = await lines.next();
    const first = batch.done ? batch : { done: false as const, value: batch.value[0] as Line };
    if (first.done) {
      throw new TriageError('DATA_INVALID', `The collection is empty: it has no header; ${DO_NOT_IMPORT}.`, {
        context: { line: 1 },
      });
    }
    const value = parseLine(
      first.value,
      `the collection ends inside its header: it was cut off; ${DO_NOT_IMPORT}`,
    );
    return new Reader(
      lines,
      parseHeader(value, 1, settings),
      settings,
      batch.done ? [] : batch.value.slice(1),
    );
  } catch (error) {
    await lines.return().catch(() => undefined);
    throw error;
  }
}

/**
 * Reads a whole plaintext container into memory and verifies it. For small
 * inputs; large ones should stream through {@link openContainer}.
 *
 * @throws TriageError as {@link openContainer}
 */
export async function readContainer(
  source: CollectionSource,
  options: ReadContainerOptions = {},
): Promise<CollectionContents> {
  const opened = await openContainer(source, options);
  const records: ArtifactRecord[] = [];
  for await (const record of opened.records()) records.push(record);
  return { header: opened.header, records, ...(await opened.finish()) };
}

/**
 * Verifies a plaintext container without keeping its records.
 *
 * @throws TriageError as {@link openContainer}
 */
export async function verifyContainer(
  source: CollectionSource,
  options: ReadContainerOptions = {},
): Promise<VerifiedCollection> {
  const opened = await openContainer(source, options);
  return { header: opened.header, ...(await opened.finish()) };
}

/** The plaintext container inside a sealed collection, as a stream. */
function unseal(source: CollectionSource, options: OpenCollectionOptions): ReadableStream<Uint8Array> {
  const envelope = decrypt({ identities: options.identities });
  const pipeOptions = options.signal ? { signal: options.signal } : {};
  return toReadableStream(source).pipeThrough(envelope, pipeOptions).pipeThrough(decompress());
}

/**
 * Opens a sealed collection (envelope → brotli → container): decrypts with
 * `identities`, reads and validates the header. Records then stream through
 * `records()`; integrity is settled at the end (see {@link OpenedCollection}).
 *
 * @example
 * ```ts
 * const collection = await openCollection(download, { identities: [identity], verifyKeys: [verifyKey] });
 * await db.transaction(async () => {
 *   for await (const record of collection.records()) insert(record); // throws on any tampering
 * });
 * const { manifestSha256 } = await collection.finish();
 * ```
 * @param source - the sealed bytes
 * @param options - identities, plus the options of {@link openContainer}
 * @throws TriageError as {@link openContainer}; also the envelope codes of `decrypt()`
 *   (`ENVELOPE_BAD_HEADER`, `ENVELOPE_UNSUPPORTED_VERSION`, `ENVELOPE_NO_MATCHING_IDENTITY`,
 *   `ENVELOPE_WRONG_PASSWORD`, `ENVELOPE_TAMPERED`, `ENVELOPE_TRUNCATED`), `KEY_INVALID` for a malformed
 *   identity, and `DATA_INVALID` for a corrupt or cut brotli layer
 */
export async function openCollection(
  source: CollectionSource,
  options: OpenCollectionOptions,
): Promise<OpenedCollection> {
  settingsOf(options); // argument errors before any decryption work
  return openContainer(unseal(source, options), options);
}

/**
 * Reads a whole sealed collection into memory and verifies it. For small
 * inputs; large ones should stream through {@link openCollection}.
 *
 * @throws TriageError as {@link openCollection}
 */
export async function readCollection(
  source: CollectionSource,
  options: OpenCollectionOptions,
): Promise<CollectionContents> {
  const opened = await openCollection(source, options);
  const records: ArtifactRecord[] = [];
  for await (const record of opened.records()) records.push(record);
  return { header: opened.header, records, ...(await opened.finish()) };
}

/**
 * Decrypts and verifies a sealed collection without keeping its records.
 *
 * @throws TriageError as {@link openCollection}
 */
export async function verifyCollection(
  source: CollectionSource,
  options: OpenCollectionOptions,
): Promise<VerifiedCollection> {
  const opened = await openCollection(source, options);
  return { header: opened.header, ...(await opened.finish()) };
}
