import type { Stats } from 'node:fs';
import { lstat, readdir, readlink, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import {
  type BaseCollectContext,
  type Collector as BaseCollector,
  type BaseContextOptions,
  createBaseContext,
} from '@triage/collect-core';
import { TriageError } from '@triage/errors';
import { CHUNK_BYTES, isMissing, openRegular } from './io.js';
import { decodeUtf8, splitByteLines } from './parsers/chunks.js';

/**
 * What every Linux collector is handed: the system-independent context of
 * `@triage/collect-core` (`live` is true for the running system: procfs,
 * sockets and modules are collected only then) and reading inside the
 * collected root. Paths are absolute as seen inside the collected root.
 */
export interface CollectContext extends BaseCollectContext {
  /** The collected root on this machine: `/` live, the image mount point with `--root`. */
  readonly root: string;
  /** Maps a path inside the root to the path on this machine, following symlinks inside the root. */
  hostPath(path: string): Promise<string>;
  /** File text, or null when the file does not exist. Larger than `maxBytes` (default 16 MiB) or not a regular file (FIFO, device) is `DATA_INVALID`. */
  readText(path: string, maxBytes?: number): Promise<string | null>;
  /** File bytes, or null when the file does not exist. */
  readBytes(path: string, maxBytes?: number): Promise<Uint8Array | null>;
  /** Lines of a regular text file in bounded memory, each cut at 1 MiB (empty when it does not exist). */
  lines(path: string): AsyncIterable<string>;
  /** Directory entry names, sorted; empty when the directory does not exist. */
  list(path: string): Promise<string[]>;
  /** stat after following symlinks (inside the root when offline); null when missing. */
  stat(path: string): Promise<Stats | null>;
  /** Asks for a `file_metadata` record (with SHA-256) for an executable; each path is hashed once. */
  reference(path: string, referencedBy: string, options?: { readonly readVia?: string }): void;
  /** uid → user name from the root's /etc/passwd (loaded once). */
  userName(uid: number): Promise<string | null>;
  /** The root's accounts: name, uid and home, for per-user files (loaded once). */
  accounts(): Promise<ReadonlyArray<{ readonly name: string; readonly uid: number; readonly home: string }>>;
}

/** One Linux collector: a name, the kinds it yields, whether it needs the running system, and the code that reads them. */
export interface Collector extends BaseCollector<CollectContext> {
  /** Needs the running system (procfs); skipped with a log line under `--root`. */
  readonly liveOnly: boolean;
}

const MAX_SYMLINKS = 40;

/**
 * Resolves `path` (absolute, inside the root) to a path on this machine,
 * following symlinks as the imaged system would: absolute link targets are
 * re-rooted, `..` never climbs above the root. Live (`root` = `/`) this is
 * the path itself.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  if (root === '/') return posix.normalize(path);
  const parts = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = posix.join(root, ...done, part);
    let stats: Stats;
    try {
      stats = await lstat(candidate);
    } catch (error) {
      if (isMissing(error)) return posix.join(root, ...done, part, ...parts);
      throw error;
    }
    if (!stats.isSymbolicLink()) {
      done.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINKS)
      throw Object.assign(new Error(`too many symlinks: ${path}`), { code: 'ELOOP' });
    const target = await readlink(candidate);
    const targetParts = target.split('/').filter(Boolean);
    if (target.startsWith('/')) done.length = 0;
    parts.unshift(...targetParts);
  }
  return posix.join(root, ...done);
}

/** Options for {@link createContext}. */
export interface ContextOptions extends BaseContextOptions {
  readonly root: string;
  readonly onReference: (path: string, referencedBy: string, readVia: string | undefined) => void;
  readonly shared: SharedState;
}

/** State shared by every collector of one run (accounts loaded once). */
export interface SharedState {
  accounts?: Promise<ReadonlyArray<{ name: string; uid: number; home: string }>>;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Builds the context one collector runs with. */
export function createContext(options: ContextOptions): CollectContext {
  const { root, collector } = options;
  const hostPath = (path: string) => resolveInRoot(root, path);
  const readBytes = async (path: string, maxBytes = DEFAULT_MAX_BYTES): Promise<Uint8Array | null> => {
    const opened = await openRegular(await hostPath(path), path);
    if (opened === null) return null;
    const { handle, stats } = opened;
    try {
      const tooLarge = () =>
        new TriageError('DATA_INVALID', `${path} is larger than ${maxBytes} bytes; skipped`, {
          context: { path, size: stats.size },
        });
      if (stats.size > maxBytes) throw tooLarge();
      // procfs files report size 0: read in chunks up to the limit.
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const buffer = new Uint8Array(Math.min(CHUNK_BYTES, maxBytes + 1 - total));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
        if (bytesRead === 0) break;
        chunks.push(buffer.subarray(0, bytesRead));
        total += bytesRead;
        if (total > maxBytes) throw tooLarge();
      }
      return Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  };
  const context: CollectContext = {
    ...createBaseContext(options),
    root,
    hostPath,
    readBytes,
    async readText(path, maxBytes) {
      const bytes = await readBytes(path, maxBytes);
      return bytes === null ? null : new TextDecoder().decode(bytes);
    },
    async *lines(path) {
      const opened = await openRegular(await hostPath(path), path);
      if (opened === null) return;
      const stream = opened.handle.createReadStream({ highWaterMark: CHUNK_BYTES });
      let cut = 0;
      try {
        for await (const line of splitByteLines(stream)) {
          if (line.truncated) cut++;
          yield decodeUtf8(line.bytes);
        }
      } finally {
        stream.destroy();
        if (cut > 0) options.onLog(`${collector}: ${path}: ${cut} lines longer than 1 MiB were cut`);
      }
    },
    async list(path) {
      try {
        return (await readdir(await hostPath(path))).sort();
      } catch (error) {
        if (isMissing(error)) return [];
        throw error;
      }
    },
    async stat(path) {
      try {
        // Offline, hostPath has already followed every link inside the root; live, stat follows them.
        return root === '/' ? await stat(path) : await lstat(await hostPath(path));
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },
    reference(path, referencedBy, refOptions) {
      options.onReference(path, referencedBy, refOptions?.readVia);
    },
    async accounts() {
      options.shared.accounts ??= (async () => {
        const out: { name: string; uid: number; home: string }[] = [];
        const text = await context.readText('/etc/passwd').catch(() => null);
        for (const line of (text ?? '').split('\n')) {
          const f = line.split(':');
          if (f.length < 7 || line.startsWith('#')) continue;
          const uid = Number(f[2]);
          if (Number.isInteger(uid)) out.push({ name: f[0] as string, uid, home: f[5] as string });
        }
        return out;
      })();
      return options.shared.accounts;
    },
    async userName(uid) {
      return (await context.accounts()).find((a) => a.uid === uid)?.name ?? null;
    },
  };
  return context;
}
