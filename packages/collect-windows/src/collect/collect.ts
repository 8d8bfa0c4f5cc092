/**
 * `collectWindows`: every Windows collector over one volume, as a stream of
 * schema records, each collector isolated, then `file_metadata` for the
 * programs the records named.
 */
import type { ArtifactRecord } from '@triage/artifact-schema';
import { type CollectOptions, checkRootDirectory, runCollectors, selectKinds } from '@triage/collect-core';
import { TriageError } from '@triage/errors';
import { closeSharedState, createContext, createSharedState, logHiveDiagnostics } from './context.js';
import { fileMetadataRecords, type Reference } from './files.js';
import { WINDOWS_COLLECTORS } from './registry.js';

/**
 * Options for {@link collectWindows}: the volume, and what every collection
 * takes. Kinds no Windows collector produces (process, …) yield nothing.
 */
export interface WindowsCollectOptions extends CollectOptions {
  /** The root of the Windows system volume on this machine: a mounted image, or the running system's drive. */
  readonly root: string;
  /** True when collecting the running system; default false. Recorded in `host_info.live`. */
  readonly live?: boolean;
  /** The drive letter the volume had on its system, used in every Windows path written; default `C:`. */
  readonly systemDrive?: string;
  /**
   * Files to read from elsewhere: exported copies of files the running
   * system keeps locked (hives by `reg save`, event logs by `wevtutil epl`),
   * by their path below the root (`Windows\System32\config\SAM`, any case).
   */
  readonly exports?: Readonly<Record<string, string>>;
}

/**
 * Collects Windows artifacts from a system volume as a stream of schema
 * records (artifact schema version 2): accounts (SAM, ProfileList), logons
 * (Security and Remote Desktop logs), startup items (Run keys, services and
 * service installs, scheduled tasks, Startup folders, Winlogon, IFEO
 * debuggers, AppInit_DLLs), execution evidence (ShimCache, Amcache,
 * Prefetch) and `host_info`. Paths are looked up case-insensitively and
 * never outside `root`. Each collector is isolated: a missing or damaged
 * artifact becomes an `onError` report and the others still run. Programs
 * the records name are described and hashed once each, as `file_metadata`
 * records after all others.
 *
 * @param options - root, kind selection, clock, signal and callbacks
 * @returns the records, in collector order
 * @throws TriageError `ABORTED` when `signal` fires; `INVALID_ARGUMENT` for an unknown kind in `only` or a bad `systemDrive`; `NOT_FOUND` when `root` is not a directory
 */
export async function* collectWindows(options: WindowsCollectOptions): AsyncGenerator<ArtifactRecord> {
  const root = options.root;
  const live = options.live ?? false;
  const now = options.now ?? (() => new Date());
  const systemDrive = (options.systemDrive ?? 'C:').toUpperCase();
  if (!/^[A-Z]:$/.test(systemDrive)) {
    throw new TriageError('INVALID_ARGUMENT', `systemDrive must be a drive letter and a colon, like C:`, {
      context: { systemDrive },
    });
  }
  const only = selectKinds(options.only);
  await checkRootDirectory(root, 'give the folder of the Windows volume');
  const onLog = options.onLog ?? (() => {});
  const exports = new Map(
    Object.entries(options.exports ?? {}).map(([path, hostPath]) => [
      path.replaceAll('/', '\\').replace(/^\\+/, '').toLowerCase(),
      hostPath,
    ]),
  );
  const shared = createSharedState(root, exports);
  const references = new Map<string, Reference>();
  const onReference = (path: string, referencedBy: string, onlyIfExists: boolean) => {
    const key = path.toLowerCase();
    const entry = references.get(key);
    if (!entry) references.set(key, { path, referencedBy: [referencedBy], onlyIfExists });
    else {
      if (!entry.referencedBy.includes(referencedBy) && entry.referencedBy.length < MAX_REFERENCED_BY) {
        entry.referencedBy.push(referencedBy);
      }
      if (!onlyIfExists) entry.onlyIfExists = false;
    }
  };

  onLog(
    `collecting Windows volume ${live ? '(live, from exported copies where locked)' : '(offline)'}, system drive ${systemDrive}`,
  );
  try {
    yield* runCollectors({
      collectors: WINDOWS_COLLECTORS,
      fileMetadata: (ctx) => fileMetadataRecords(ctx, references.values()),
      only,
      live,
      now,
      signal: options.signal,
      context: (base) => createContext({ ...base, root, systemDrive, onReference, shared }),
      finish: () => logHiveDiagnostics(shared, onLog),
      onError: options.onError,
      onLog,
      onProgress: options.onProgress,
    });
  } finally {
    await closeSharedState(shared);
  }
}

/** A program referenced by more records than this lists only the first ones in `referenced_by`. */
const MAX_REFERENCED_BY = 100;
