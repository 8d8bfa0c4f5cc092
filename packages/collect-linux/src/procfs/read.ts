/**
 * Reading procfs on the running system. /proc files report size 0 and
 * processes vanish at any moment, so reads are capped by hand and
 * "gone" is told apart from "not allowed".
 */
import { open, readdir, readlink } from 'node:fs/promises';

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for the errors a vanished process (or a missing /proc entry) gives. */
export function isGone(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** True for permission errors. */
export function isDenied(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'EACCES' || code === 'EPERM';
}

/**
 * Reads at most `maxBytes` of a file, for procfs files whose size is not known in advance.
 *
 * @param path - path on this machine
 * @param maxBytes - the cap; the rest of a longer file is not read
 */
export async function readCapped(path: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(maxBytes);
    let length = 0;
    while (length < maxBytes) {
      const { bytesRead } = await handle.read(buffer, length, maxBytes - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
  } finally {
    await handle.close();
  }
}

/** Reads a small procfs text file (64 KiB at most). */
export async function readProcText(path: string, maxBytes = 64 * 1024): Promise<string> {
  return new TextDecoder().decode(await readCapped(path, maxBytes));
}

/**
 * The process ids in a procfs directory, ascending (thread-group leaders only,
 * as /proc lists them).
 *
 * @param proc - the procfs mount on this machine, normally `/proc`
 */
export async function listPids(proc: string): Promise<number[]> {
  return (await readdir(proc))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * readlink for procfs: a vanished entry (or a kernel thread's missing `exe`)
 * gives a null target, a permission error a null target with `denied` set.
 *
 * @throws any other file system error
 */
export async function readLinkSafe(
  path: string,
): Promise<{ readonly target: string | null; readonly denied: boolean }> {
  try {
    return { target: await readlink(path), denied: false };
  } catch (error) {
    if (isDenied(error)) return { target: null, denied: true };
    if (isGone(error)) return { target: null, denied: false };
    throw error;
  }
}
