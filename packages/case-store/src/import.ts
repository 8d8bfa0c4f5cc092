/**
 * Importing one sealed collection, all or nothing and idempotently.
 *
 * The collection is read by a caller-supplied opener (in practice
 * `openCollection` of `@triage/collection`), so this package stays a pure
 * storage layer. Records are inserted as they stream out inside one
 * `BEGIN IMMEDIATE` transaction; the end-of-file checks run before COMMIT, so
 * a tampered, truncated, schema-invalid or wrongly keyed collection leaves no
 * trace but one `import_log` row saying why.
 */
import { createHash } from 'node:crypto';
import type { ArtifactRecord, ExecutionEvidence } from '@triage/artifact-schema';
import { TriageError, toTriageError } from '@triage/errors';
import { beginImmediate, type CaseStore, writeTransaction } from './store.js';

/** Input bytes of a sealed collection. */
export type SealedSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

/** An examiner identity: a `TRIAGE-SECRET-KEY-1…` string or a password. */
export type ImportIdentity = string | { readonly password: string };

/** Where the sealed bytes came from: recorded with the collection as chain of custody. */
export interface Custody {
  /** `file` (a local path) or `s3` (an object). */
  readonly kind: 'file' | 's3';
  /** The bucket, for `s3`. */
  readonly bucket?: string;
  /** The object key, for `s3`. */
  readonly key?: string;
  /** The object version, for `s3` in a versioned bucket. */
  readonly versionId?: string;
  /** The object's ETag, for `s3`. */
  readonly etag?: string;
  /** The local path, for `file`. */
  readonly path?: string;
  /** The collector's upload receipt, stored as JSON. */
  readonly receipt?: unknown;
}

/** The part of an opened collection the importer uses (`OpenedCollection` of `@triage/collection` fits). */
export interface ImportableCollection {
  /** The header: identity of the collection. */
  readonly header: {
    readonly collection_id: string;
    readonly case: string;
    readonly host: string;
    readonly started_at: string;
  };
  /** Records as they are read; throws after the last one if an end-of-file check fails. */
  records(): AsyncIterable<ArtifactRecord>;
  /** Runs the end-of-file checks and gives the verified manifest. */
  finish(): Promise<{
    readonly manifest: {
      readonly ended_at: string;
      readonly record_count: number;
      readonly counts: Readonly<Record<string, number>>;
    };
    readonly manifestSha256: string;
    readonly signature: { readonly fingerprint: string; readonly trusted: boolean } | null;
  }>;
  /** Stops reading and releases the source. */
  cancel(reason?: unknown): Promise<void>;
}

/** Decrypts and opens sealed bytes; `openCollection` of `@triage/collection`. */
export type CollectionOpener = (
  source: AsyncIterable<Uint8Array>,
  options: { readonly identities: readonly ImportIdentity[]; readonly verifyKeys?: readonly string[] },
) => Promise<ImportableCollection>;

/** Options for {@link importCollection}. */
export interface ImportOptions {
  /** The sealed bytes. */
  readonly source: SealedSource;
  /** Where they came from. */
  readonly custody: Custody;
  /** Examiner identities that can decrypt the collection. */
  readonly identities: readonly ImportIdentity[];
  /** Trusted collector verify keys (`triagesign1…`); when given, a signature by one of them is required. */
  readonly verifyKeys?: readonly string[];
  /** Who imports, recorded with the collection and in the log. */
  readonly examiner: string;
  /** Opens the collection: pass `openCollection` from `@triage/collection`. */
  readonly open: CollectionOpener;
}

/** What {@link importCollection} did. A failure is thrown, never returned. */
export interface ImportResult {
  /** `imported`, or `skipped` when the collection was already in the database. */
  readonly outcome: 'imported' | 'skipped';
  /** The collection's `collection_id`. */
  readonly collectionId?: string;
  /** Records in the collection. */
  readonly records: number;
  /** Records per kind. */
  readonly counts: Readonly<Record<string, number>>;
  /** The verified manifest hash. */
  readonly manifestSha256: string | null;
  /** SHA-256 of the sealed bytes (of the first import, when skipped). */
  readonly fileSha256: string | null;
}

interface ExistingRow {
  readonly collection_id: string;
  readonly record_count: number | null;
  readonly manifest: string | null;
  readonly manifest_sha256: string | null;
  readonly file_sha256: string | null;
}

/**
 * The page cache (KiB) of the connection while an import's transaction is
 * open: SQLite's default 2 MiB makes every insert into the four artifact
 * indexes fetch and spill pages once they outgrow it. Memory is taken only as
 * pages are used, and the connection's own setting comes back afterwards.
 */
const IMPORT_CACHE_KIB = 64 * 1024;

/** Rows decoded before they are inserted together (bounded memory: a few hundred KiB). */
const INSERT_BATCH = 1024;

const EXISTING_COLUMNS = 'collection_id, record_count, manifest, manifest_sha256, file_sha256';

function hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function locationOf(custody: Custody): string {
  if (custody.kind === 's3') {
    return `s3://${custody.bucket}/${custody.key}${custody.versionId ? `?versionId=${custody.versionId}` : ''}`;
  }
  return custody.path ?? '(stream)';
}

function checkCustody(custody: Custody): void {
  if (custody.kind === 's3' && (!custody.bucket || !custody.key)) {
    throw new TriageError('INVALID_ARGUMENT', 'custody of kind s3 needs a bucket and a key.');
  }
  if (custody.kind !== 's3' && custody.kind !== 'file') {
    throw new TriageError('INVALID_ARGUMENT', "custody.kind must be 'file' or 's3'.");
  }
}

/** The sealed bytes, hashed as they are read. */
class HashingSource implements AsyncIterable<Uint8Array> {
  private readonly hash = createHash('sha256');
  done = false;
  bytes = 0;
  constructor(private readonly source: SealedSource) {}
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    const chunks: AsyncIterable<Uint8Array> | Uint8Array[] =
      this.source instanceof Uint8Array ? [this.source] : (this.source as AsyncIterable<Uint8Array>);
    for await (const chunk of chunks) {
      this.hash.update(chunk);
      this.bytes += chunk.byteLength;
      yield chunk;
    }
    this.done = true;
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

/** `time`, `user` and `path` columns for the kinds that have one. */
function typedColumns(record: ArtifactRecord): {
  time: string | null;
  user: string | null;
  path: string | null;
} {
  switch (record.kind) {
    case 'host_info':
      return { time: record.boot_time, user: null, path: null };
    case 'user_account':
      return { time: null, user: record.username, path: record.home };
    case 'group':
      return { time: null, user: null, path: null };
    case 'login_event':
      return { time: record.time, user: record.user, path: null };
    case 'startup_item':
      // A service install (System 7045) happened at its event's time; other items have their file's mtime.
      return { time: record.event_time ?? record.file_mtime, user: record.user, path: record.path };
    case 'process':
      return { time: record.start_time, user: record.user, path: record.exe };
    case 'network_connection':
      return { time: null, user: null, path: null };
    case 'ssh_authorized_key':
      return { time: record.file_mtime, user: record.user, path: record.path };
    case 'ssh_known_host':
      return { time: null, user: record.user, path: record.path };
    case 'shell_history_entry':
      return { time: record.time, user: record.user, path: record.path };
    case 'installed_package':
      return { time: record.install_time, user: null, path: null };
    case 'kernel_module':
      return { time: null, user: null, path: null };
    case 'file_metadata':
      return { time: record.mtime, user: record.owner, path: record.path };
    case 'execution_evidence':
      return { time: executionTime(record), user: null, path: record.path };
  }
}

/**
 * The time an execution evidence record is placed at: Prefetch's last run,
 * Amcache's first seen (its key's last write), ShimCache's file modification
 * time (ShimCache records no execution time).
 */
export function executionTime(record: ExecutionEvidence): string | null {
  switch (record.artifact) {
    case 'prefetch':
      return record.last_run;
    case 'amcache':
      return record.first_seen ?? record.last_modified;
    case 'shimcache':
      return record.last_modified;
  }
}

function skippedResult(row: ExistingRow): ImportResult {
  const manifest =
    row.manifest === null ? null : (JSON.parse(row.manifest) as { counts?: Record<string, number> });
  return {
    outcome: 'skipped',
    collectionId: row.collection_id,
    records: row.record_count ?? 0,
    counts: manifest?.counts ?? {},
    manifestSha256: row.manifest_sha256,
    fileSha256: row.file_sha256,
  };
}

function findByCustody(
  store: CaseStore,
  custody: Custody,
  fileSha256: string | null,
): ExistingRow | undefined {
  const { db } = store;
  if (custody.kind === 's3') {
    const row = db
      .prepare(`SELECT ${EXISTING_COLUMNS} FROM collections WHERE bucket = ? AND key = ? AND version_id IS ?`)
      .get(custody.bucket, custody.key, custody.versionId ?? null) as ExistingRow | undefined;
    if (row) return row;
  }
  if (fileSha256 !== null) {
    return db.prepare(`SELECT ${EXISTING_COLUMNS} FROM collections WHERE file_sha256 = ?`).get(fileSha256) as
      | ExistingRow
      | undefined;
  }
  return undefined;
}

function findByCollectionId(store: CaseStore, collectionId: string): ExistingRow | undefined {
  return store.db
    .prepare(`SELECT ${EXISTING_COLUMNS} FROM collections WHERE collection_id = ?`)
    .get(collectionId) as ExistingRow | undefined;
}

interface LogEntry {
  readonly outcome: 'imported' | 'skipped' | 'failed';
  readonly code: string | null;
  readonly message: string | null;
  readonly collectionId: string | null;
  readonly fileSha256: string | null;
}

function insertLog(store: CaseStore, custody: Custody, examiner: string, entry: LogEntry): void {
  store.db
    .prepare(
      `INSERT INTO import_log (at, source_kind, location, outcome, code, message, collection_id, file_sha256, examiner)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      store.now().toISOString(),
      custody.kind,
      locationOf(custody),
      entry.outcome,
      entry.code,
      entry.message,
      entry.collectionId,
      entry.fileSha256,
      examiner,
    );
}

/**
 * Imports one sealed collection into the case database, all or nothing.
 *
 * - Already imported (same bucket/key/version, same SHA-256 of the sealed
 *   bytes, or same `collection_id`): returns `skipped`; the only write is an
 *   `import_log` row.
 * - Otherwise, inside one `BEGIN IMMEDIATE` transaction (which serialises
 *   concurrent importers; "already imported" is checked again inside it), the
 *   collection row and every record are inserted as they stream out, the
 *   end-of-file checks run (`finish()`), the row gets the verified manifest,
 *   and the transaction commits.
 * - Any failure rolls everything back, writes one `failed` row to
 *   `import_log` (code and one-line message) in a separate transaction, and
 *   rethrows the error.
 *
 * @param store - the case database
 * @param options - bytes, custody, keys, examiner, opener
 * @returns the outcome, the collection id, the record counts and the manifest hash
 * @throws TriageError from the opener (`ENVELOPE_*`, `DATA_INVALID`, `INTEGRITY_MISMATCH`, `SIGNATURE_INVALID`, …), `TIMEOUT` when the database stays locked
 */
export async function importCollection(store: CaseStore, options: ImportOptions): Promise<ImportResult> {
  const { custody, examiner } = options;
  checkCustody(custody);
  const upfrontSha = options.source instanceof Uint8Array ? hex(options.source) : null;
  const logSkipped = (row: ExistingRow): LogEntry => ({
    outcome: 'skipped',
    code: 'ALREADY_IMPORTED',
    message: `already imported as collection ${row.collection_id}`,
    collectionId: row.collection_id,
    fileSha256: row.file_sha256,
  });

  let collectionId: string | null = null;
  let opened: ImportableCollection | undefined;
  let fileSha256: string | null = upfrontSha;
  try {
    const known = findByCustody(store, custody, upfrontSha);
    if (known) {
      await writeTransaction(store, () => insertLog(store, custody, examiner, logSkipped(known)));
      return skippedResult(known);
    }

    const hashed = new HashingSource(options.source);
    opened = await options.open(hashed, {
      identities: options.identities,
      ...(options.verifyKeys === undefined ? {} : { verifyKeys: options.verifyKeys }),
    });
    const { header } = opened;
    collectionId = header.collection_id;
    const seen = findByCollectionId(store, header.collection_id);
    if (seen) {
      await opened.cancel();
      await writeTransaction(store, () => insertLog(store, custody, examiner, logSkipped(seen)));
      return skippedResult(seen);
    }

    await beginImmediate(store);
    const { db } = store;
    const cacheSize = db.pragma('cache_size', { simple: true }) as number;
    if (cacheSize >= 0 || -cacheSize < IMPORT_CACHE_KIB) db.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
    try {
      const again =
        findByCustody(store, custody, upfrontSha) ?? findByCollectionId(store, header.collection_id);
      if (again) {
        insertLog(store, custody, examiner, logSkipped(again));
        db.exec('COMMIT');
        await opened.cancel();
        return skippedResult(again);
      }
      const importedAt = store.now().toISOString();
      const rowId = db
        .prepare(
          `INSERT INTO collections (collection_id, case_id, host, source_kind, bucket, key, version_id, etag, path,
             receipt, started_at, imported_at, examiner)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          header.collection_id,
          header.case,
          header.host,
          custody.kind,
          custody.bucket ?? null,
          custody.key ?? null,
          custody.versionId ?? null,
          custody.etag ?? null,
          custody.path ?? null,
          custody.receipt === undefined ? null : JSON.stringify(custody.receipt),
          header.started_at,
          importedAt,
          examiner,
        ).lastInsertRowid;
      const insertArtifact = db.prepare(
        `INSERT INTO artifacts (collection_ref, kind, collected_at, source, time, user, path, json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const counts: Record<string, number> = {};
      let records = 0;
      // Rows are written in runs of INSERT_BATCH: SQLite's pages stay hot in the CPU caches
      // instead of being pushed out by the decoding between two rows.
      const batch: unknown[][] = [];
      const flush = () => {
        for (const row of batch) insertArtifact.run(row);
        batch.length = 0;
      };
      for await (const record of opened.records()) {
        const typed = typedColumns(record);
        batch.push([
          rowId,
          record.kind,
          record.collected_at,
          record.source,
          typed.time,
          typed.user,
          typed.path,
          JSON.stringify(record),
        ]);
        if (batch.length === INSERT_BATCH) flush();
        counts[record.kind] = (counts[record.kind] ?? 0) + 1;
        records++;
      }
      flush();
      const verified = await opened.finish();
      if (!hashed.done) {
        throw new TriageError(
          'INTERNAL',
          'The collection reader stopped before the end of the sealed bytes.',
        );
      }
      fileSha256 = hashed.digest();
      const signatureStatus =
        verified.signature === null ? 'none' : verified.signature.trusted ? 'verified' : 'unverified';
      db.prepare(
        `UPDATE collections SET file_sha256 = ?, manifest_sha256 = ?, manifest = ?, signature_status = ?,
           verify_key_fingerprint = ?, record_count = ?, ended_at = ? WHERE id = ?`,
      ).run(
        fileSha256,
        verified.manifestSha256,
        JSON.stringify(verified.manifest),
        signatureStatus,
        verified.signature?.fingerprint ?? null,
        verified.manifest.record_count,
        verified.manifest.ended_at,
        rowId,
      );
      db.prepare(
        `INSERT INTO hosts (case_id, name, first_seen, last_seen) VALUES (?, ?, ?, ?)
         ON CONFLICT (case_id, name) DO UPDATE SET
           first_seen = min(first_seen, excluded.first_seen),
           last_seen = max(last_seen, excluded.last_seen)`,
      ).run(header.case, header.host, header.started_at, verified.manifest.ended_at);
      insertLog(store, custody, examiner, {
        outcome: 'imported',
        code: null,
        message: `imported ${records} records`,
        collectionId: header.collection_id,
        fileSha256,
      });
      db.exec('COMMIT');
      return {
        outcome: 'imported',
        collectionId: header.collection_id,
        records,
        counts,
        manifestSha256: verified.manifestSha256,
        fileSha256,
      };
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.pragma(`cache_size = ${cacheSize}`);
    }
  } catch (error) {
    if (opened) await opened.cancel().catch(() => undefined);
    const failure = toTriageError(error);
    try {
      await writeTransaction(store, () =>
        insertLog(store, custody, examiner, {
          outcome: 'failed',
          code: failure.code,
          message: failure.message,
          collectionId,
          fileSha256,
        }),
      );
    } catch {
      // The database itself is failing; the original error says more.
    }
    throw error;
  }
}
