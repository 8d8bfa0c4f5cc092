import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import type { ArtifactRecord } from '@triage/artifact-schema';
import {
  absentFileFields,
  describeFileError,
  type FileMetadataFields,
  fileTimes,
  hashFileFields,
  MAX_HASH_BYTES,
} from '@triage/collect-core';
import { TriageError } from '@triage/errors';
import type { CollectContext } from '../context.js';
import { isMissing } from '../io.js';

/** An executable some record referenced, to be described and hashed once. */
export interface Reference {
  /** Absolute path inside the collected root. */
  readonly path: string;
  /** `kind:identifier` of each referencing record, in first-seen order. */
  readonly referencedBy: readonly string[];
  /** Read the bytes from here instead (live: `/proc/PID/exe` for a deleted executable). */
  readonly readVia: string | undefined;
}

/** Options for {@link fileMetadataRecords}. */
export interface FileMetadataOptions {
  /** Do not hash regular files larger than this many bytes; default {@link MAX_HASH_BYTES}. */
  readonly maxHashBytes?: number;
}

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `stat` of a path inside the collected root, following every symlink (the
 * final one too) the way the imaged system would, so a link to a program is
 * described by the program. Live this is the system's own `stat`.
 *
 * @param ctx - the collection context (its root decides how links resolve)
 * @param path - absolute path inside the root
 * @returns the target's metadata, or null when the path (or a link's target) does not exist
 * @throws the file system error for anything but a missing path (EACCES, ELOOP, …)
 */
export async function statFollowing(ctx: CollectContext, path: string): Promise<Stats | null> {
  try {
    return await stat(await ctx.hostPath(path));
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** Opens for reading without updating the access time when the kernel lets us (owner or CAP_FOWNER). */
async function openQuietly(hostPath: string): Promise<FileHandle> {
  const flags = constants.O_RDONLY | constants.O_NONBLOCK;
  if (constants.O_NOATIME !== undefined) {
    try {
      return await open(hostPath, flags | constants.O_NOATIME);
    } catch (error) {
      if (errnoOf(error) !== 'EPERM') throw error;
    }
  }
  return open(hostPath, flags);
}

/** `st_mode` as the schema writes it: octal, at least six digits (`100755`). */
export function formatMode(mode: number): string {
  return mode.toString(8).padStart(6, '0');
}

/**
 * Yields one `file_metadata` record per reference (references arrive
 * deduplicated by path).
 *
 * - The path is resolved inside the root following symlinks, so a linked
 *   executable is described by its final target while `path` stays as referenced.
 * - Missing: `exists` false and every other field null; that is a finding, not an error.
 * - Live with `readVia` (`/proc/PID/exe`): metadata and hash come from there,
 *   so a deleted or replaced executable is described as the process runs it;
 *   `exists` still says whether `path` is on disk. If the process has gone,
 *   the path itself is used.
 * - SHA-256 only for regular files, streamed in 1 MiB chunks; larger than
 *   `maxHashBytes` gives `sha256` null and an `error` saying so. Files are
 *   opened with `O_NOATIME` where permitted so hashing does not touch atimes,
 *   and `O_NONBLOCK` so a FIFO swapped in after the stat cannot hang us.
 * - A permission or I/O error fills `error` and is also reported with `ctx.error`.
 * - `btime` is the birth time when the platform reports a non-zero one, else null.
 *
 * @param ctx - the collection context
 * @param references - the referenced paths
 * @param options - hashing limit
 */
export async function* fileMetadataRecords(
  ctx: CollectContext,
  references: Iterable<Reference>,
  options: FileMetadataOptions = {},
): AsyncGenerator<ArtifactRecord> {
  const maxHashBytes = options.maxHashBytes ?? MAX_HASH_BYTES;
  for (const reference of references) {
    yield ctx.record('file_metadata', reference.path, await describeFile(ctx, reference, maxHashBytes));
  }
}

async function describeFile(
  ctx: CollectContext,
  reference: Reference,
  maxHashBytes: number,
): Promise<FileMetadataFields> {
  const { path } = reference;
  const empty = absentFileFields(path, reference.referencedBy);
  let onDisk: Stats | null;
  try {
    onDisk = await statFollowing(ctx, path);
  } catch (error) {
    ctx.error(path, error);
    return { ...empty, error: describeFileError(error, path) };
  }

  // Live, a process's /proc/PID/exe opens the very image it runs, deleted or not.
  let readFrom: string | null = onDisk === null ? null : await ctx.hostPath(path);
  let readLabel = path;
  if (ctx.live && reference.readVia !== undefined) {
    try {
      const via = await ctx.hostPath(reference.readVia);
      await stat(via);
      readFrom = via;
      readLabel = reference.readVia;
    } catch {
      // The process has exited (or hides its exe): fall back to the path itself.
    }
  }
  if (readFrom === null) return empty;

  let handle: FileHandle | null = null;
  try {
    let stats = await stat(readFrom);
    if (stats.isFile()) {
      handle = await openQuietly(readFrom);
      stats = await handle.stat();
    }
    const fields: FileMetadataFields = {
      ...empty,
      exists: onDisk !== null,
      size: stats.size,
      mode: formatMode(stats.mode),
      uid: stats.uid,
      gid: stats.gid,
      owner: await ctx.userName(stats.uid),
      ...fileTimes(stats),
    };
    if (handle === null || !stats.isFile()) return fields;
    const opened = handle;
    // The handle stats came from is the one hashed; it is closed below.
    return await hashFileFields(
      ctx,
      fields,
      { path, label: readLabel, size: stats.size, open: async () => opened },
      maxHashBytes,
    );
  } catch (error) {
    if (error instanceof TriageError && error.code === 'ABORTED') throw error;
    if (isMissing(error)) return empty;
    ctx.error(path, error);
    return { ...empty, exists: onDisk !== null, error: describeFileError(error, readLabel) };
  } finally {
    await handle?.close();
  }
}
