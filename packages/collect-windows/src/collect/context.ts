/**
 * What every Windows collector is handed: the volume (case-insensitive
 * lookups kept inside the root), the hives each opened once per run with
 * their transaction logs, the user profiles, record building, and the
 * channels for errors, log lines and `file_metadata` references.
 */
import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import {
  type BaseCollectContext,
  type BaseContextOptions,
  type Collector,
  createBaseContext,
} from '@triage/collect-core';
import { openHive, type RegistryHive } from '../regf/hive.js';
import type { ByteSource } from '../source.js';
import {
  absoluteWindowsPath,
  isBareName,
  programOf,
  searchPath,
  volumeComponents,
  type WindowsEnvironment,
  withExeExtension,
} from './paths.js';
import { isoOfMs } from './time.js';
import { openVolumeFile, readVolumeFile, Volume, type VolumeEntry } from './volume.js';

/** A file or folder of the volume, with its Windows path. */
export interface VolumeFile {
  /** The path on this machine (or of the exported copy, live). */
  readonly hostPath: string;
  /** Its Windows path with the names as found (`C:\Windows\System32\config\SAM`). */
  readonly path: string;
  /** Its components below the volume root, as found. */
  readonly components: readonly string[];
  /** `lstat` of it. */
  readonly stats: Stats;
}

/** A hive opened for the run. */
export interface LoadedHive {
  /** The parsed hive. */
  readonly hive: RegistryHive;
  /** The hive file. */
  readonly file: VolumeFile;
  /** Its modification time (ISO 8601 UTC). */
  readonly mtime: string;
}

/** A user profile folder (`C:\Users\alice`) and its NTUSER.DAT, when readable. */
export interface UserProfile {
  /** The folder's name, used as the user name of per-user items. */
  readonly user: string;
  /** The profile folder. */
  readonly folder: VolumeFile;
  /** What `%USERPROFILE%` and friends expand to for this user. */
  readonly env: WindowsEnvironment;
}

/** The machine-wide hives a run opens. */
export type MachineHive = 'SAM' | 'SYSTEM' | 'SOFTWARE' | 'Amcache';

/** Where each machine-wide hive lives below the volume root. */
export const HIVE_PATHS: Readonly<Record<MachineHive, string>> = {
  SAM: 'Windows\\System32\\config\\SAM',
  SYSTEM: 'Windows\\System32\\config\\SYSTEM',
  SOFTWARE: 'Windows\\System32\\config\\SOFTWARE',
  Amcache: 'Windows\\AppCompat\\Programs\\Amcache.hve',
};

/** Options of a `file_metadata` reference. */
export interface ReferenceOptions {
  /**
   * Describe the file only when it exists in the volume (execution evidence
   * names far more programs than a volume keeps); a startup item's program
   * is described either way, since a missing one is a finding.
   */
  readonly onlyIfExists?: boolean;
}

/**
 * What every Windows collector is handed: the system-independent context of
 * `@triage/collect-core` (`live` is true when collecting the running system,
 * from exported copies of the locked files) and the volume, its hives and profiles.
 */
export interface WindowsCollectContext extends BaseCollectContext {
  /** The system drive and the expansions of the machine-wide environment variables. */
  readonly env: WindowsEnvironment;
  /** A file or folder by its path below the root (`Windows\System32\config\SAM`), case-insensitively; null when missing. */
  find(path: string): Promise<VolumeFile | null>;
  /** A file or folder by its absolute Windows path on the system drive; null when missing or on another drive. */
  findWindowsPath(path: string): Promise<VolumeFile | null>;
  /** The entries of a folder below the root, sorted by name; empty when it does not exist. */
  list(path: string | VolumeFile): Promise<VolumeFile[]>;
  /** A regular file's bytes, at most `maxBytes` (default 16 MiB). */
  readBytes(file: VolumeFile, maxBytes?: number): Promise<Uint8Array>;
  /** A regular file as a byte source; the caller closes it. */
  openSource(file: VolumeFile): Promise<ByteSource>;
  /** A machine hive, opened once per run with its `.LOG1`/`.LOG2`; null when the volume has none. */
  hive(name: MachineHive): Promise<LoadedHive | null>;
  /** The current control set of the SYSTEM hive (`ControlSet001`), or null. */
  controlSet(): Promise<string | null>;
  /** The folders under `Users`. */
  profiles(): Promise<readonly UserProfile[]>;
  /** A user's NTUSER.DAT, opened once per run with its logs; null when there is none. */
  userHive(profile: UserProfile): Promise<LoadedHive | null>;
  /**
   * The program a command line runs as an absolute Windows path: variables
   * expanded, a bare name looked up on the system PATH in the volume.
   *
   * @returns the path, or null when it cannot be told (an unknown variable, a bare name not found)
   */
  programPath(command: string, env?: WindowsEnvironment): Promise<string | null>;
  /** Asks for a `file_metadata` record (with SHA-256) of a program by its absolute Windows path; each path once. */
  reference(path: string, referencedBy: string, options?: ReferenceOptions): void;
}

/** One Windows collector: a name, the kinds it yields and the code that reads them. */
export interface WindowsCollector extends Collector<WindowsCollectContext> {}

/** State shared by the collectors of one run: the volume, the hives, the profiles. */
export interface SharedState {
  readonly volume: Volume;
  /** Exported copies of locked files, by lower-case path below the root (`windows\system32\config\sam`). */
  readonly exports: ReadonlyMap<string, string>;
  readonly hives: Map<string, Promise<LoadedHive | null>>;
  readonly sources: ByteSource[];
  profiles?: Promise<readonly UserProfile[]>;
  controlSet?: Promise<string | null>;
}

/** Options for {@link createContext}. */
export interface ContextOptions extends BaseContextOptions {
  readonly root: string;
  readonly systemDrive: string;
  readonly onReference: (path: string, referencedBy: string, onlyIfExists: boolean) => void;
  readonly shared: SharedState;
}

/**
 * Creates the state shared by one run's collectors.
 *
 * @param root - the volume root on this machine
 * @param exports - exported copies of locked files (live), by lower-case path below the root
 */
export function createSharedState(
  root: string,
  exports: ReadonlyMap<string, string> = new Map(),
): SharedState {
  return { volume: new Volume(root), exports, hives: new Map(), sources: [] };
}

/** Closes every source the run opened (hives and their logs). */
export async function closeSharedState(shared: SharedState): Promise<void> {
  const sources = shared.sources.splice(0);
  await Promise.all(sources.map((source) => source.close().catch(() => undefined)));
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

/** Builds the context one collector runs with. */
export function createContext(options: ContextOptions): WindowsCollectContext {
  const { shared, systemDrive } = options;
  const env: WindowsEnvironment = { systemDrive };
  const windowsPathOf = (components: readonly string[]) => `${systemDrive}\\${components.join('\\')}`;
  const fileOf = (entry: VolumeEntry): VolumeFile => ({
    hostPath: entry.hostPath,
    path: windowsPathOf(entry.components),
    components: entry.components,
    stats: entry.stats,
  });
  const findComponents = async (components: readonly string[]): Promise<VolumeFile | null> => {
    const exported = shared.exports.get(components.join('\\').toLowerCase());
    if (exported !== undefined) {
      try {
        return {
          hostPath: exported,
          path: windowsPathOf(components),
          components,
          stats: await lstat(exported),
        };
      } catch {
        return null;
      }
    }
    const entry = await shared.volume.find(components);
    return entry === null ? null : fileOf(entry);
  };
  const find = (path: string) => findComponents(path.split('\\').filter((p) => p !== ''));

  const context: WindowsCollectContext = {
    ...createBaseContext(options),
    env,
    find,
    async findWindowsPath(path) {
      if (path.slice(0, 2).toLowerCase() !== systemDrive.toLowerCase() || path[2] !== '\\') return null;
      return findComponents(volumeComponents(path));
    },
    async list(path) {
      const components =
        typeof path === 'string' ? path.split('\\').filter((p) => p !== '') : path.components;
      const entries = await shared.volume.list(components);
      return entries.map(fileOf);
    },
    readBytes(file, maxBytes = DEFAULT_MAX_BYTES) {
      return readVolumeFile(file.hostPath, file.path, maxBytes);
    },
    openSource(file) {
      return openVolumeFile(file.hostPath, file.path);
    },
    hive(name) {
      return loadHive(context, shared, HIVE_PATHS[name], options.onLog);
    },
    controlSet() {
      shared.controlSet ??= (async () => {
        const system = await context.hive('SYSTEM');
        const current = (await (await system?.hive.key('Select'))?.value('Current'))?.asNumber();
        if (typeof current !== 'number' || current < 1 || current > 999) return null;
        return `ControlSet${String(current).padStart(3, '0')}`;
      })();
      return shared.controlSet;
    },
    profiles() {
      shared.profiles ??= (async () => {
        const out: UserProfile[] = [];
        for (const folder of await context.list('Users')) {
          if (!folder.stats.isDirectory()) continue;
          out.push({
            user: folder.components.at(-1) ?? '',
            folder,
            env: { systemDrive, profile: folder.path },
          });
        }
        return out;
      })();
      return shared.profiles;
    },
    userHive(profile) {
      return loadHive(context, shared, `${profile.folder.components.join('\\')}\\NTUSER.DAT`, options.onLog);
    },
    async programPath(command, commandEnv = env) {
      const program = programOf(command);
      if (program === null) return null;
      if (isBareName(program)) {
        const name = withExeExtension(program);
        for (const dir of searchPath(env)) {
          const found = await context.findWindowsPath(`${dir}\\${name}`);
          if (found?.stats.isFile()) return found.path;
        }
        return null;
      }
      return absoluteWindowsPath(program, commandEnv);
    },
    reference(path, referencedBy, refOptions) {
      options.onReference(path, referencedBy, refOptions?.onlyIfExists ?? false);
    },
  };
  return context;
}

/**
 * Opens a hive (and the `.LOG1`/`.LOG2` beside it) once per run. A hive
 * that cannot be opened is reported once by the collector that asked first
 * and is null for the others.
 */
function loadHive(
  ctx: WindowsCollectContext,
  shared: SharedState,
  path: string,
  onLog: (line: string) => void,
): Promise<LoadedHive | null> {
  const key = path.toLowerCase();
  const known = shared.hives.get(key);
  // A hive that failed to open is reported by the collector that asked first; the others get null.
  if (known !== undefined) return known.catch(() => null);
  const loaded = (async () => {
    const file = await ctx.find(path);
    if (file === null) return null;
    const source = await ctx.openSource(file);
    shared.sources.push(source);
    const logs: ByteSource[] = [];
    // An exported copy (reg save) is a clean hive: the live logs beside the original are not its logs.
    const exported = shared.exports.has(key);
    for (const suffix of exported ? [] : ['.LOG1', '.LOG2']) {
      const log = await ctx.find(`${path}${suffix}`);
      if (log?.stats.isFile()) {
        const logSource = await ctx.openSource(log);
        shared.sources.push(logSource);
        logs.push(logSource);
      }
    }
    const hive = await openHive(source, logs.length === 0 ? {} : { logs });
    if (hive.recovery?.attempted) onLog(`hive ${file.path}: ${hive.recovery.note}`);
    return { hive, file, mtime: isoOfMs(file.stats.mtimeMs) };
  })();
  shared.hives.set(key, loaded);
  return loaded;
}

/**
 * Logs the damage a hive's parser reported, once per hive, at the end of a run.
 *
 * @internal
 */
export async function logHiveDiagnostics(shared: SharedState, onLog: (line: string) => void): Promise<void> {
  for (const loaded of shared.hives.values()) {
    const hive = await loaded.catch(() => null);
    if (!hive) continue;
    const count = hive.hive.diagnostics.length + hive.hive.diagnosticsDropped;
    if (count > 0) {
      const first = hive.hive.diagnostics[0];
      onLog(
        `hive ${hive.file.path}: ${count} damaged structures skipped${first ? ` (first: ${first.code} ${first.reason})` : ''}`,
      );
    }
  }
}
