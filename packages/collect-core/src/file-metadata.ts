/**
 * The parts of a `file_metadata` record every system fills the same way:
 * the record of a missing file, the times from `stat`, the SHA-256 streamed
 * in 1 MiB chunks with bounds on size and time, and error text without
 * host paths. How a referenced file is found (a Linux root, a Windows
 * volume) and opened stays with the OS package.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { FileMetadata } from '@triage/artifact-schema';
import type { BaseCollectContext } from './context.js';
import { isAborted, throwIfAborted } from './errors.js';

/** A `file_metadata` record's own fields (without `kind`, `source` and `collected_at`). */
export type FileMetadataFields = Omit<FileMetadata, 'kind' | 'source' | 'collected_at'>;

/** Files larger than this are described but not hashed: 512 MiB. */
export const MAX_HASH_BYTES = 512 * 1024 * 1024;

const CHUNK_BYTES = 1024 * 1024;

/**
 * The fields of a file that is not there: `exists` false and every other
 * field null (a finding, not an error).
 *
 * @param path - the file's path as referenced
 * @param referencedBy - `kind:identifier` of each referencing record
 */
export function absentFileFields(path: string, referencedBy: readonly string[]): FileMetadataFields {
  return {
    path,
    exists: false,
    size: null,
    mode: null,
    uid: null,
    gid: null,
    owner: null,
    mtime: null,
    atime: null,
    ctime: null,
    btime: null,
    sha256: null,
    referenced_by: [...referencedBy],
    error: null,
  };
}

/**
 * The times of a `stat` as ISO 8601 UTC with milliseconds; `btime` only
 * when the platform reports a non-zero birth time, else null.
 */
export function fileTimes(stats: Stats): Pick<FileMetadataFields, 'mtime' | 'atime' | 'ctime' | 'btime'> {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    mtime: iso(stats.mtimeMs),
    atime: iso(stats.atimeMs),
    ctime: iso(stats.ctimeMs),
    btime: stats.birthtimeMs > 0 ? iso(stats.birthtimeMs) : null,
  };
}

/**
 * One line naming why a file could not be read, for a record's `error`:
 * the error's code (an errno, or a `TriageError`'s code) and the path as the
 * collected system names it, never the error's message (it may hold a host path).
 *
 * @param error - what was thrown
 * @param path - the path to name
 */
export function describeFileError(error: unknown, path: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${path}`;
  if (code === 'ELOOP') return `too many levels of symbolic links: ${path}`;
  if (typeof code === 'string') return `${code}: ${path}`;
  return `could not read ${path}`;
}

/**
 * SHA-256 of an open file in 1 MiB chunks: memory stays bounded whatever the
 * size. Checks `signal` between chunks; gives null when the file grows past
 * `maxBytes` while being read (a log being written), so time is bounded too.
 */
async function sha256Of(
  handle: FileHandle,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let total = 0;
  for (;;) {
    throwIfAborted(signal);
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) return null;
    hash.update(buffer.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}

/** A regular file for {@link hashFileFields}. */
export interface HashTarget {
  /** The path the record names, reported with `ctx.error`. */
  readonly path: string;
  /** The path named in the `error` text when reading fails; default `path` (Linux live: `/proc/PID/exe`). */
  readonly label?: string;
  /** Its size from `stat`: a file larger than the limit is not opened. */
  readonly size: number;
  /** Opens it for reading; called only when it is to be hashed. The caller closes the handle. */
  open(): Promise<FileHandle>;
}

/**
 * Completes the fields of a regular file with its SHA-256, or with the
 * reason it has none in `error`: larger than `maxHashBytes` (not opened),
 * grown past it while being read, or a read failure (also reported with
 * `ctx.error`).
 *
 * @param ctx - the collect context (its signal is checked between chunks; failures go to its `error`)
 * @param fields - the file's fields so far
 * @param file - the file: its path, size and how to open it
 * @param maxHashBytes - the most bytes hashed; default {@link MAX_HASH_BYTES}
 * @returns `fields` with `sha256` or `error` set
 * @throws TriageError `ABORTED` when the signal fires
 */
export async function hashFileFields(
  ctx: Pick<BaseCollectContext, 'signal' | 'error'>,
  fields: FileMetadataFields,
  file: HashTarget,
  maxHashBytes: number = MAX_HASH_BYTES,
): Promise<FileMetadataFields> {
  if (file.size > maxHashBytes) return { ...fields, error: `larger than ${maxHashBytes} bytes; not hashed` };
  try {
    const sha256 = await sha256Of(await file.open(), maxHashBytes, ctx.signal);
    if (sha256 === null)
      return { ...fields, error: `grew past ${maxHashBytes} bytes while being read; not hashed` };
    return { ...fields, sha256 };
  } catch (error) {
    if (isAborted(error)) throw error;
    ctx.error(file.path, error);
    return { ...fields, error: describeFileError(error, file.label ?? file.path) };
  }
}
