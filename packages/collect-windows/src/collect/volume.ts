/**
 * Finding files in a Windows volume mounted (or copied) on this machine.
 * Windows names are case-insensitive and the volume may sit on a
 * case-sensitive file system, so each component is matched against its
 * directory's listing: the exact name first, else the one name that differs
 * only in case. Symbolic links (NTFS junctions and links, as a mount shows
 * them) are followed as the imaged system would, but never out of the root:
 * an absolute target is re-rooted inside the volume and `..` stops at its
 * root. Files are opened read-only, non-blocking and only when regular.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { TriageError } from '@triage/errors';
import { type ByteSource, handleSource } from '../source.js';

/** A file or folder found in the volume. */
export interface VolumeEntry {
  /** The path on this machine (every component resolved; no symlink left in it). */
  readonly hostPath: string;
  /** The components as they are named on the volume (`Windows`, `System32`, `config`, `SAM`). */
  readonly components: readonly string[];
  /** `lstat` of the final component (never a symlink). */
  readonly stats: Stats;
}

/** Most symlinks followed while resolving one path (as Linux's ELOOP limit). */
const MAX_SYMLINKS = 40;
/** Directory listings kept; each is the names of one folder. */
const MAX_CACHED_LISTINGS = 4096;

function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for "no such file" errors. */
export function isMissing(error: unknown): boolean {
  const code = errnoOf(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Case-insensitive lookups under one root, with the directory listings they
 * read kept (bounded) so that walking `Windows\System32` for many programs
 * lists it once.
 */
export class Volume {
  readonly #listings = new Map<string, readonly string[]>();

  /**
   * @param root - the volume's root folder on this machine
   */
  constructor(readonly root: string) {}

  /** The names in a folder on this machine, or null when it is not a readable folder. */
  async #names(hostDir: string): Promise<readonly string[] | null> {
    const cached = this.#listings.get(hostDir);
    if (cached) return cached;
    let names: string[];
    try {
      names = (await readdir(hostDir)).sort();
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
    if (this.#listings.size >= MAX_CACHED_LISTINGS) this.#listings.clear();
    this.#listings.set(hostDir, names);
    return names;
  }

  /** The name in `hostDir` that `wanted` means: itself, else the only case-insensitive match (the first, sorted, of several). */
  async #match(hostDir: string, wanted: string): Promise<string | null> {
    const names = await this.#names(hostDir);
    if (names === null) return null;
    if (names.includes(wanted)) return wanted;
    const folded = wanted.toUpperCase();
    return names.find((name) => name.toUpperCase() === folded) ?? null;
  }

  /**
   * Finds a path below the root, case-insensitively, following symlinks
   * inside the volume only.
   *
   * @param components - the path's components below the root (`['Windows', 'System32', 'config', 'SAM']`)
   * @returns the entry, or null when a component does not exist
   * @throws the file system error for anything but a missing component (EACCES…); ELOOP past 40 links
   */
  async find(components: readonly string[]): Promise<VolumeEntry | null> {
    const todo = [...components];
    const done: string[] = [];
    let hops = 0;
    let stats: Stats | undefined;
    while (todo.length > 0) {
      const part = todo.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const dir = join(this.root, ...done);
      const name = await this.#match(dir, part);
      if (name === null) return null;
      const candidate = join(dir, name);
      try {
        stats = await lstat(candidate);
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
      if (!stats.isSymbolicLink()) {
        done.push(name);
        continue;
      }
      if (++hops > MAX_SYMLINKS) {
        throw Object.assign(new Error(`too many symbolic links: ${components.join('\\')}`), {
          code: 'ELOOP',
        });
      }
      const target = await readlink(candidate);
      // An absolute target restarts from the volume's root; a relative one from the link's folder.
      if (this.#isAbsoluteTarget(target)) done.length = 0;
      todo.unshift(...this.#linkComponents(target));
    }
    if (done.length === 0) {
      stats = await lstat(this.root);
    }
    return { hostPath: join(this.root, ...done), components: done, stats: stats as Stats };
  }

  #isAbsoluteTarget(target: string): boolean {
    return target.startsWith('/') || target.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(target);
  }

  /**
   * A link target's components, as the imaged system would read them: a
   * target under this machine's path of the root is taken relative to the
   * root; `C:\…`, `\??\C:\…` and other absolute targets are read as paths
   * inside the volume.
   */
  #linkComponents(target: string): string[] {
    let t = target;
    const rootPrefix = this.root.endsWith(sep) ? this.root : `${this.root}${sep}`;
    if (t.startsWith(rootPrefix)) t = t.slice(rootPrefix.length);
    else if (t.startsWith('\\??\\') || t.startsWith('\\\\?\\')) t = t.slice(4);
    if (/^[A-Za-z]:[\\/]/.test(t)) t = t.slice(3);
    return t.split(/[\\/]+/).filter((part) => part !== '');
  }

  /**
   * The entries of a folder in the volume, sorted by name.
   *
   * @param components - the folder's components below the root
   * @returns the entries (symlinks resolved inside the volume; entries whose link leads nowhere left out), or [] when the folder does not exist
   */
  async list(components: readonly string[]): Promise<VolumeEntry[]> {
    const folder = await this.find(components);
    if (folder === null || !folder.stats.isDirectory()) return [];
    const names = (await this.#names(folder.hostPath)) ?? [];
    const out: VolumeEntry[] = [];
    for (const name of names) {
      const entry = await this.find([...folder.components, name]).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw error;
      });
      if (entry) out.push(entry);
    }
    return out;
  }
}

/** Read-only, never blocking on a FIFO, never following a symlink swapped in at the last component. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0);

/**
 * Opens a file found in the volume as a {@link ByteSource}, refusing
 * anything that is not a regular file.
 *
 * @param hostPath - the file on this machine
 * @param shown - its Windows path, for messages and diagnostics
 * @throws TriageError `DATA_INVALID` for a folder, FIFO or device; the file system error otherwise
 */
export async function openVolumeFile(hostPath: string, shown: string): Promise<ByteSource> {
  const handle: FileHandle = await open(hostPath, READ_FLAGS);
  let size: number;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new TriageError('DATA_INVALID', `${shown} is not a regular file; not read`, {
        context: { path: shown },
      });
    }
    size = stats.size;
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handleSource(handle, size, shown);
}

/**
 * The bytes of a regular file found in the volume, at most `maxBytes`.
 *
 * @throws TriageError `DATA_INVALID` for a file larger than `maxBytes` or not regular; the file system error otherwise
 */
export async function readVolumeFile(hostPath: string, shown: string, maxBytes: number): Promise<Uint8Array> {
  const source = await openVolumeFile(hostPath, shown);
  try {
    if (source.size > maxBytes) {
      throw new TriageError('DATA_INVALID', `${shown} is larger than ${maxBytes} bytes; not read`, {
        context: { path: shown, size: source.size },
      });
    }
    return Uint8Array.from(await source.read(0, source.size));
  } finally {
    await source.close();
  }
}
