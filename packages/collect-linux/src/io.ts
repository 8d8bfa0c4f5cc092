/**
 * Safe reading inside the collected root, shared by the context and the
 * collectors: files are opened read-only and non-blocking (a FIFO swapped in
 * by an attacker cannot hang collection), only regular files are read, and
 * reading is chunked so memory stays bounded.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { TriageError } from '@triage/errors';
import type { CollectContext } from './context.js';

/** Read chunk size for binary and compressed files. */
export const CHUNK_BYTES = 256 * 1024;
/** Read-only, and never blocking on a FIFO. */
export const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** True for "no such file" errors (ENOENT, ENOTDIR). */
export function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Opens a file on this machine for reading, refusing anything that is not a
 * regular file (a FIFO, device or directory) after opening, so a swap between
 * check and open cannot slip through.
 *
 * @param real - path on this machine (already mapped into the root)
 * @param shown - the path inside the root, for messages
 * @returns the handle and its stats, or null when the file does not exist
 * @throws TriageError `DATA_INVALID` for a non-regular file; errno errors otherwise
 */
export async function openRegular(
  real: string,
  shown: string,
): Promise<{ handle: FileHandle; stats: Stats } | null> {
  let handle: FileHandle;
  try {
    handle = await open(real, READ_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new TriageError('DATA_INVALID', `${shown} is not a regular file; not read`, {
      context: { path: shown },
    });
  }
  return { handle, stats };
}

/**
 * The metadata of a regular file inside the root; null (with a log line)
 * for a FIFO, device or directory, which reading could block on or
 * misread, and null when missing.
 */
export async function regularFile(ctx: CollectContext, path: string): Promise<Stats | null> {
  const stats = await ctx.stat(path);
  if (stats === null) return null;
  if (!stats.isFile()) {
    ctx.log(`${path} is not a regular file; not read`);
    return null;
  }
  return stats;
}

/**
 * The bytes of a file inside the root as a stream of chunks (bounded
 * memory), gunzipped when asked; null when the file does not exist.
 */
export async function openChunks(
  ctx: CollectContext,
  path: string,
  options: { readonly gunzip?: boolean } = {},
): Promise<AsyncIterable<Uint8Array> | null> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO swapped in after the regular-file check cannot block the open.
    handle = await open(await ctx.hostPath(path), READ_FLAGS);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
  const stream = handle.createReadStream({ highWaterMark: CHUNK_BYTES });
  if (!options.gunzip) return stream;
  const gunzip = createGunzip();
  pipeline(stream, gunzip, () => {});
  return gunzip;
}
