import { chmod, mkdir, symlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Every file in the fixture root gets this mtime unless it says otherwise: 2026-11-01T12:00:00Z. */
export const FIXTURE_MTIME = new Date('2026-11-01T12:00:00Z');

/** Options for {@link put}. */
export interface PutOptions {
  /** File mode; default 0o644. */
  readonly mode?: number;
  /** Modification (and access) time; default {@link FIXTURE_MTIME}. */
  readonly mtime?: Date;
}

/**
 * Writes one file of the fixture root, creating directories, with a fixed
 * mode and times so golden output does not depend on when the test ran.
 *
 * @param root - the fixture root directory on this machine
 * @param path - absolute path inside the root, e.g. `/etc/passwd`
 */
export async function put(
  root: string,
  path: string,
  content: string | Uint8Array,
  options: PutOptions = {},
) {
  const target = join(root, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, content);
  await chmod(target, options.mode ?? 0o644);
  const time = options.mtime ?? FIXTURE_MTIME;
  await utimes(target, time, time);
}

/** Creates a symlink inside the fixture root (target as the imaged system sees it). */
export async function link(root: string, path: string, target: string) {
  const at = join(root, path);
  await mkdir(dirname(at), { recursive: true });
  await symlink(target, at);
}
