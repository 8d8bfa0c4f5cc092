/**
 * Opening the case database: one SQLite file (better-sqlite3) in WAL mode,
 * created 0600, migrated to the current schema.
 */
import { closeSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { TriageError } from '@triage/errors';
import Database from 'better-sqlite3';
import { migrate } from './schema.js';

/** Options for {@link openCaseStore}. */
export interface CaseStoreOptions {
  /** The clock for `imported_at`, `import_log.at` and host sightings; default `() => new Date()`. */
  readonly now?: () => Date;
  /**
   * How long to wait for another importer's write transaction before giving
   * up with `TIMEOUT`, in milliseconds; default 10,000.
   */
  readonly busyTimeoutMs?: number;
}

/** An open case database. Close it with {@link CaseStore.close}. */
export interface CaseStore {
  /** The database file. */
  readonly path: string;
  /** The underlying better-sqlite3 connection, for queries of your own. */
  readonly db: Database.Database;
  /** The clock. */
  readonly now: () => Date;
  /** Write-lock wait, in milliseconds. */
  readonly busyTimeoutMs: number;
  /** Closes the connection; the store is unusable afterwards. */
  close(): void;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/** Creates the file 0600 when it does not exist yet (SQLite gives its -wal and -shm files the same mode). */
function createPrivateFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new TriageError(
      'IO_ERROR',
      `Could not create case database ${path}: ${String((error as NodeJS.ErrnoException).code ?? error)}.`,
      {
        cause: error,
        context: { path },
      },
    );
  }
}

/**
 * Opens (creating if needed, mode 0600) the case database at `path`: WAL
 * journal, `busy_timeout`, `foreign_keys=ON`, migrated to the current schema.
 *
 * @param path - the SQLite file
 * @param options - clock and lock wait
 * @returns the open store
 * @throws TriageError `CONFIG_INVALID` for a database of a newer schema version; `IO_ERROR` when the file cannot be opened
 */
export function openCaseStore(path: string, options: CaseStoreOptions = {}): CaseStore {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  createPrivateFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
  } catch (error) {
    throw new TriageError('IO_ERROR', `Could not open case database ${path}: ${(error as Error).message}.`, {
      cause: error,
      context: { path },
    });
  }
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    migrate(db, path);
  } catch (error) {
    db.close();
    if (error instanceof TriageError) throw error;
    throw new TriageError(
      'IO_ERROR',
      `Could not prepare case database ${path}: ${(error as Error).message}.`,
      {
        cause: error,
        context: { path },
      },
    );
  }
  return {
    path,
    db,
    now: options.now ?? (() => new Date()),
    busyTimeoutMs,
    close: () => db.close(),
  };
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/**
 * `BEGIN IMMEDIATE`, waiting for the write lock without blocking the event
 * loop: better-sqlite3's own busy wait is synchronous, so two stores in one
 * process would wait on each other; here each attempt fails fast and the
 * wait happens between attempts.
 *
 * @internal
 */
export async function beginImmediate(store: CaseStore): Promise<void> {
  const deadline = Date.now() + store.busyTimeoutMs;
  let delay = 5;
  store.db.pragma('busy_timeout = 0');
  try {
    for (;;) {
      try {
        store.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new TriageError(
            'TIMEOUT',
            `Case database ${store.path} stayed locked by another importer for ${store.busyTimeoutMs} ms; try again.`,
            { cause: error, context: { path: store.path } },
          );
        }
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    store.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(store.busyTimeoutMs))}`);
  }
}

/**
 * Runs `fn` in its own short write transaction (acquired with
 * {@link beginImmediate}), committing on return and rolling back on a throw.
 *
 * @internal
 */
export async function writeTransaction<T>(store: CaseStore, fn: () => T): Promise<T> {
  await beginImmediate(store);
  try {
    const result = fn();
    store.db.exec('COMMIT');
    return result;
  } catch (error) {
    if (store.db.inTransaction) store.db.exec('ROLLBACK');
    throw error;
  }
}
