/**
 * `file_metadata` for the programs the Windows records named: found in the
 * volume case-insensitively, described from `lstat` (never a symlink: the
 * lookup resolved them inside the volume) and hashed with SHA-256 in 1 MiB
 * chunks, as collect-linux does, with bounds on the size hashed and the
 * number of files.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ArtifactRecord, FileMetadata } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { WindowsCollectContext } from './context.js';
import { onSystemDrive } from './paths.js';
import { isoOfMs } from './time.js';

/** A program some record referenced, to be described and hashed once. */
export interface Reference {
  /** Its absolute Windows path, as first referenced. */
  readonly path: string;
  /** `kind:identifier` of each referencing record, in first-seen order. */
  readonly referencedBy: string[];
  /** Describe it only when it exists (every reference so far was execution evidence). */
  onlyIfExists: boolean;
}

/** Files larger than this are described but not hashed: 512 MiB. */
export const MAX_HASH_BYTES = 512 * 1024 * 1024;
/** At most this many files are described in one run; the rest are counted in the log. */
export const MAX_FILES = 20_000;

/** Options for {@link fileMetadataRecords}. */
export interface FileMetadataOptions {
  /** Do not hash regular files larger than this; default {@link MAX_HASH_BYTES}. */
  readonly maxHashBytes?: number;
  /** Describe at most this many files; default {@link MAX_FILES}. */
  readonly maxFiles?: number;
}

const CHUNK_BYTES = 1024 * 1024;
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

type Fields = Omit<FileMetadata, 'kind' | 'source' | 'collected_at'>;

async function sha256Of(
  handle: FileHandle,
  maxBytes: number,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let total = 0;
  for (;;) {
    if (signal?.aborted) throw new TriageError('ABORTED', 'collection was aborted', { cause: signal.reason });
    const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > maxBytes) return null;
    hash.update(buffer.subarray(0, bytesRead));
  }
  return hash.digest('hex');
}

function describeError(error: unknown, path: string): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied: ${path}`;
  if (code === 'ELOOP') return `too many levels of symbolic links: ${path}`;
  if (typeof code === 'string') return `${code}: ${path}`;
  return error instanceof TriageError ? error.message : `could not read ${path}`;
}

/**
 * One `file_metadata` record per reference: `exists` false (every other
 * field null) for a startup item's program that is not in the volume,
 * nothing for execution evidence's; `mode`, `uid`, `gid` and `owner` null
 * (they belong to the mount, not to Windows); SHA-256 for regular files up
 * to `maxHashBytes`. Programs on another drive or a network share are not in
 * the volume and are left out, with a count in the log.
 *
 * @param ctx - the collection context
 * @param references - the referenced programs, each path once
 * @param options - hashing and count limits
 */
export async function* fileMetadataRecords(
  ctx: WindowsCollectContext,
  references: Iterable<Reference>,
  options: FileMetadataOptions = {},
): AsyncGenerator<ArtifactRecord> {
  const maxHashBytes = options.maxHashBytes ?? MAX_HASH_BYTES;
  const maxFiles = options.maxFiles ?? MAX_FILES;
  let elsewhere = 0;
  let described = 0;
  let dropped = 0;
  for (const reference of references) {
    if (!onSystemDrive(reference.path, ctx.env)) {
      elsewhere++;
      continue;
    }
    if (described >= maxFiles) {
      dropped++;
      continue;
    }
    const fields = await describe(ctx, reference, maxHashBytes);
    if (fields === null) continue;
    described++;
    yield ctx.record('file_metadata', reference.path, fields);
  }
  if (elsewhere > 0)
    ctx.log(`${elsewhere} referenced programs are on another drive or a network share; not described`);
  if (dropped > 0) ctx.log(`${dropped} referenced programs left out past the limit of ${maxFiles}`);
}

async function describe(
  ctx: WindowsCollectContext,
  reference: Reference,
  maxHashBytes: number,
): Promise<Fields | null> {
  const { path } = reference;
  const empty: Fields = {
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
    referenced_by: [...reference.referencedBy],
    error: null,
  };
  let found: Awaited<ReturnType<WindowsCollectContext['findWindowsPath']>>;
  try {
    found = await ctx.findWindowsPath(path);
  } catch (error) {
    ctx.error(path, error);
    return { ...empty, error: describeError(error, path) };
  }
  if (found === null) return reference.onlyIfExists ? null : empty;
  const { stats } = found;
  const fields: Fields = {
    ...empty,
    exists: true,
    size: stats.size,
    mtime: isoOfMs(stats.mtimeMs),
    atime: isoOfMs(stats.atimeMs),
    ctime: isoOfMs(stats.ctimeMs),
    btime: stats.birthtimeMs > 0 ? isoOfMs(stats.birthtimeMs) : null,
  };
  if (!stats.isFile()) return { ...fields, error: 'not a regular file; not hashed' };
  if (stats.size > maxHashBytes) return { ...fields, error: `larger than ${maxHashBytes} bytes; not hashed` };
  let handle: FileHandle | undefined;
  try {
    handle = await open(found.hostPath, READ_FLAGS);
    const sha256 = await sha256Of(handle, maxHashBytes, ctx.signal);
    if (sha256 === null)
      return { ...fields, error: `grew past ${maxHashBytes} bytes while being read; not hashed` };
    return { ...fields, sha256 };
  } catch (error) {
    if (error instanceof TriageError && error.code === 'ABORTED') throw error;
    ctx.error(path, error);
    return { ...fields, error: describeError(error, path) };
  } finally {
    await handle?.close();
  }
}
