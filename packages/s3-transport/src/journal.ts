/**
 * The resume journal: what an interrupted multipart upload of a file had
 * achieved, so a later run continues without `ListParts` (which a write-only
 * credential may lack). JSON, written atomically (temporary file + rename),
 * mode 0600. It holds no credentials.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { TriageError } from '@triage/errors';
import type { PartPlan } from './parts.js';

/** One part the server acknowledged. */
export interface JournalPart {
  readonly partNumber: number;
  readonly offset: number;
  readonly size: number;
  readonly etag: string;
  /** Base64 SHA-256 of the part's bytes (S3's `x-amz-checksum-sha256`). */
  readonly sha256: string;
}

/** Journal file content, version 1. */
export interface Journal {
  readonly version: 1;
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly source: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  readonly plan: PartPlan;
  readonly createdAt: string;
  readonly parts: readonly JournalPart[];
}

/**
 * Reads a journal; `undefined` when the file does not exist.
 *
 * @throws CONFIG_INVALID when it exists but is not a journal
 */
export async function readJournal(path: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TriageError('IO_ERROR', `Cannot read the resume journal ${path}.`, {
      cause: error,
      context: { path },
    });
  }
  try {
    const journal = JSON.parse(text) as Journal;
    if (journal.version !== 1 || typeof journal.uploadId !== 'string' || !Array.isArray(journal.parts)) {
      throw new Error('not a version 1 journal');
    }
    return journal;
  } catch (error) {
    throw new TriageError(
      'CONFIG_INVALID',
      `${path} is not a readable resume journal; remove it to start the upload from scratch.`,
      { cause: error, context: { path } },
    );
  }
}

/** Writes a journal atomically: readers see the old or the new content, never a mix. */
export async function writeJournal(path: string, journal: Journal): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify(journal)}\n`, { mode: 0o600, flush: true });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new TriageError('IO_ERROR', `Cannot write the resume journal ${path}.`, {
      cause: error,
      context: { path },
    });
  }
}

/** Removes a journal (after completion or a deliberate abort). */
export async function removeJournal(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * Writes journal snapshots one at a time, always the newest: a snapshot that
 * arrives while a write is under way replaces any waiting one. The journal
 * therefore lags the upload by at most one write (an fsync can be slow), so a
 * killed upload re-sends little.
 */
export class JournalWriter {
  private pending: Journal | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly path: string,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Schedules `journal` to be written; returns at once. */
  save(journal: Journal): void {
    this.pending = journal;
    this.running ??= this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending) {
        const next = this.pending;
        this.pending = undefined;
        await writeJournal(this.path, next);
      }
    } catch (error) {
      // The upload goes on without a journal; it just cannot be resumed.
      if (this.failure === undefined) this.onFailure(error);
      this.failure = error;
      this.pending = undefined;
    } finally {
      this.running = undefined;
    }
  }

  /** Resolves when every snapshot saved so far has been written (or has failed). */
  async flush(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }
}
