/**
 * `file_metadata` for the programs the Windows records named: found in the
 * volume case-insensitively, described from `lstat` (never a symlink: the
 * lookup resolved them inside the volume) and hashed with SHA-256 in 1 MiB
 * chunks, as collect-linux does, with bounds on the size hashed and the
 * number of files.
 */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { ArtifactRecord } from '@triage/artifact-schema';
import {
  absentFileFields,
  describeFileError,
  type FileMetadataFields,
  fileTimes,
  hashFileFields,
  MAX_HASH_BYTES,
} from '@triage/collect-core';
import type { WindowsCollectContext } from './context.js';
import { onSystemDrive } from './paths.js';

/** A program some record referenced, to be described and hashed once. */
export interface Reference {
  /** Its absolute Windows path, as first referenced. */
  readonly path: string;
  /** `kind:identifier` of each referencing record, in first-seen order. */
  readonly referencedBy: string[];
  /** Describe it only when it exists (every reference so far was execution evidence). */
  onlyIfExists: boolean;
}

/** At most this many files are described in one run; the rest are counted in the log. */
export const MAX_FILES = 20_000;

/** Options for {@link fileMetadataRecords}. */
export interface FileMetadataOptions {
  /** Do not hash regular files larger than this; default {@link MAX_HASH_BYTES}. */
  readonly maxHashBytes?: number;
  /** Describe at most this many files; default {@link MAX_FILES}. */
  readonly maxFiles?: number;
}

const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

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
): Promise<FileMetadataFields | null> {
  const { path } = reference;
  const empty = absentFileFields(path, reference.referencedBy);
  let found: Awaited<ReturnType<WindowsCollectContext['findWindowsPath']>>;
  try {
    found = await ctx.findWindowsPath(path);
  } catch (error) {
    ctx.error(path, error);
    return { ...empty, error: describeFileError(error, path) };
  }
  if (found === null) return reference.onlyIfExists ? null : empty;
  const { hostPath, stats } = found;
  const fields: FileMetadataFields = { ...empty, exists: true, size: stats.size, ...fileTimes(stats) };
  if (!stats.isFile()) return { ...fields, error: 'not a regular file; not hashed' };
  let handle: FileHandle | undefined;
  try {
    return await hashFileFields(
      ctx,
      fields,
      {
        path,
        size: stats.size,
        open: async () => {
          handle = await open(hostPath, READ_FLAGS);
          return handle;
        },
      },
      maxHashBytes,
    );
  } finally {
    await handle?.close();
  }
}
