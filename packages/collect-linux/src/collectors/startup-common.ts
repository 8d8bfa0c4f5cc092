/**
 * What every startup source shares: the homes to look in, a cached
 * "is this a file" lookup for program search, directory listing that reports
 * failures and goes on, and the one place records are built (so every
 * resolved executable is referenced for hashing).
 */
import type { Stats } from 'node:fs';
import { lstat, readlink, realpath } from 'node:fs/promises';
import { posix } from 'node:path';
import type { StartupItem, StartupMechanism } from '@triage/artifact-schema';
import type { CollectContext } from '../context.js';
import { statFollowing } from './files.js';
import { type ResolveOptions, resolveExecutable } from './startup-command.js';

/** Startup configuration files larger than this are reported as errors, not read: 4 MiB. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A home directory to look for per-user items in, with the account it belongs to. */
export interface Home {
  /** Absolute path inside the root. */
  readonly path: string;
  /** The account whose home it is; null for a directory under /home no account names. */
  readonly user: string | null;
}

/** A regular file found in a directory. */
export interface FoundFile {
  readonly name: string;
  /** Absolute path inside the root. */
  readonly path: string;
  /** Metadata of the file (of the link's target for a symlink). */
  readonly stats: Stats;
}

/** The fields of a startup item a source decides; `file_mtime` and the envelope are filled in. */
export interface ItemInput {
  readonly mechanism: StartupMechanism;
  readonly name: string;
  readonly path: string;
  readonly user: string | null;
  readonly command: string | null;
  readonly executable: string | null;
  readonly schedule: string | null;
  readonly enabled: boolean | null;
  readonly line: number | null;
}

/** Shared state of one startup collection. */
export class StartupScope {
  readonly #mtimes = new Map<string, string | null>();
  readonly #isFile = new Map<string, Promise<boolean>>();
  #homes: Promise<readonly Home[]> | undefined;

  constructor(readonly ctx: CollectContext) {}

  /**
   * Homes to look in: each distinct home of the root's accounts (the first
   * account in /etc/passwd order owns a shared one), then `/root` and every
   * directory under `/home` that no account names — an orphaned home can
   * still hold persistence.
   */
  homes(): Promise<readonly Home[]> {
    this.#homes ??= (async () => {
      const out: Home[] = [];
      const seen = new Set<string>();
      for (const account of await this.ctx.accounts()) {
        if (!account.home.startsWith('/')) continue;
        const path = posix.normalize(account.home);
        if (seen.has(path)) continue;
        seen.add(path);
        out.push({ path, user: account.name });
      }
      const extra = ['/root', ...(await this.list('/home')).map((n) => `/home/${n}`)];
      for (const path of extra) {
        if (seen.has(path)) continue;
        const stats = await this.stat(path);
        if (!stats?.isDirectory()) continue;
        seen.add(path);
        out.push({ path, user: null });
      }
      return out;
    })();
    return this.#homes;
  }

  /** Directory entries, sorted; a failure other than "missing" is reported and gives none. */
  async list(dir: string): Promise<string[]> {
    try {
      return await this.ctx.list(dir);
    } catch (error) {
      this.ctx.error(dir, error);
      return [];
    }
  }

  /** Metadata following links; null when missing, reported and null on other failures. */
  async stat(path: string): Promise<Stats | null> {
    try {
      return await statFollowing(this.ctx, path);
    } catch (error) {
      this.ctx.error(path, error);
      return null;
    }
  }

  /** Regular files in `dir` (symlinks followed) whose name passes `accept`, sorted by name. */
  async files(dir: string, accept: (name: string) => boolean = () => true): Promise<FoundFile[]> {
    const out: FoundFile[] = [];
    for (const name of await this.list(dir)) {
      if (!accept(name)) continue;
      const path = posix.join(dir, name);
      const stats = await this.stat(path);
      if (stats?.isFile()) out.push({ name, path, stats });
    }
    return out;
  }

  /**
   * An identity for a path that is the same for two paths reaching one file
   * (`/lib` → `/usr/lib` on merged-/usr systems, `/etc/modules-load.d/modules.conf` → `../modules`).
   * A host path, never put in a record.
   */
  async identity(path: string): Promise<string> {
    try {
      if (this.ctx.root === '/') return await realpath(path);
      return await this.ctx.hostPath(path);
    } catch {
      return posix.normalize(path);
    }
  }

  /**
   * Where a directory entry links to, as a path inside the root, or null when
   * it is not a symlink (or cannot be read). Reads the link itself, not its target.
   */
  async linkTarget(dir: string, name: string): Promise<string | null> {
    try {
      const host = posix.join(await this.ctx.hostPath(dir), name);
      if (!(await lstat(host)).isSymbolicLink()) return null;
      return posix.resolve(dir, await readlink(host));
    } catch {
      return null;
    }
  }

  /** File text up to {@link MAX_CONFIG_BYTES}; null (after reporting) when it cannot be read. */
  async read(path: string): Promise<string | null> {
    try {
      return await this.ctx.readText(path, MAX_CONFIG_BYTES);
    } catch (error) {
      this.ctx.error(path, error);
      return null;
    }
  }

  /** The program `command` runs, resolved inside the root (see {@link resolveExecutable}). */
  executable(command: string | null, options: ResolveOptions = {}): Promise<string | null> {
    if (command === null) return Promise.resolve(null);
    return resolveExecutable(command, (p) => this.#fileExists(p), options);
  }

  #fileExists(path: string): Promise<boolean> {
    let known = this.#isFile.get(path);
    if (known === undefined) {
      known = statFollowing(this.ctx, path).then(
        (s) => s?.isFile() === true,
        () => false,
      );
      this.#isFile.set(path, known);
    }
    return known;
  }

  /** Remembers a defining file's mtime so {@link item} need not stat it again. */
  noteMtime(path: string, stats: Stats): void {
    this.#mtimes.set(path, new Date(stats.mtimeMs).toISOString());
  }

  async #mtime(path: string): Promise<string | null> {
    if (!this.#mtimes.has(path)) {
      const stats = await this.stat(path);
      this.#mtimes.set(path, stats === null ? null : new Date(stats.mtimeMs).toISOString());
    }
    return this.#mtimes.get(path) ?? null;
  }

  /**
   * Builds the record and, when it names an executable, asks for that file's
   * metadata with `startup_item:<path>[:<line>]` as the referrer.
   */
  async item(input: ItemInput): Promise<StartupItem> {
    if (input.executable !== null) {
      const by = input.line === null ? input.path : `${input.path}:${input.line}`;
      this.ctx.reference(input.executable, `startup_item:${by}`);
    }
    return this.ctx.record('startup_item', input.path, {
      mechanism: input.mechanism,
      name: input.name,
      path: input.path,
      user: input.user,
      command: input.command,
      executable: input.executable,
      schedule: input.schedule,
      enabled: input.enabled,
      line: input.line,
      file_mtime: await this.#mtime(input.path),
    });
  }
}
