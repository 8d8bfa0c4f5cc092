/**
 * `collectWindows`: every Windows collector over one volume, as a stream of
 * schema records, each collector isolated, then `file_metadata` for the
 * programs the records named.
 */
import { stat } from 'node:fs/promises';
import {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactRecord,
  isArtifactKind,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import {
  type CollectorError,
  closeSharedState,
  createContext,
  createSharedState,
  logHiveDiagnostics,
  toCollectorError,
} from './context.js';
import { fileMetadataRecords, type Reference } from './files.js';
import { WINDOWS_COLLECTORS } from './registry.js';

/** Progress of {@link collectWindows}, once per collector started and at the end. */
export interface WindowsCollectProgress {
  /** The collector now running, or `file_metadata`, or `done`. */
  readonly collector: string;
  /** Records yielded so far. */
  readonly records: number;
  /** Collector errors so far. */
  readonly errors: number;
}

/** Options for {@link collectWindows}. */
export interface WindowsCollectOptions {
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
  /** Only these kinds; default all. Kinds no Windows collector produces (process, …) yield nothing. */
  readonly only?: readonly ArtifactKind[];
  /** Clock for `collected_at`; default `() => new Date()`. */
  readonly now?: () => Date;
  /** Stops collection with `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called for each item-level or collector failure; collection goes on. */
  readonly onError?: (error: CollectorError) => void;
  /** Called with each log line (for the manifest's log). */
  readonly onLog?: (line: string) => void;
  /** Called as collectors start. */
  readonly onProgress?: (progress: WindowsCollectProgress) => void;
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
  const only = options.only ? new Set<ArtifactKind>(options.only) : undefined;
  for (const kind of only ?? []) {
    if (!isArtifactKind(kind)) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        `unknown artifact kind ${kind}; use one of ${ARTIFACT_KINDS.join(', ')}`,
      );
    }
  }
  const rootStats = await stat(root).catch(() => null);
  if (!rootStats?.isDirectory()) {
    throw new TriageError(
      'NOT_FOUND',
      `the root ${root} is not a directory; give the folder of the Windows volume`,
      {
        context: { root },
      },
    );
  }
  const onError = options.onError ?? (() => {});
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
  let records = 0;
  let errors = 0;
  const countError = (error: CollectorError) => {
    errors++;
    onError(error);
  };
  const checkAbort = () => {
    if (options.signal?.aborted) {
      throw new TriageError('ABORTED', 'collection was aborted', { cause: options.signal.reason });
    }
  };
  const contextFor = (collector: string) =>
    createContext({
      root,
      live,
      systemDrive,
      now,
      signal: options.signal,
      collector,
      onError: countError,
      onLog,
      onReference,
      shared,
    });

  onLog(
    `collecting Windows volume ${live ? '(live, from exported copies where locked)' : '(offline)'}, system drive ${systemDrive}`,
  );
  try {
    for (const collector of WINDOWS_COLLECTORS) {
      checkAbort();
      const wanted = only ? collector.kinds.filter((k) => only.has(k)) : collector.kinds;
      if (wanted.length === 0) continue;
      options.onProgress?.({ collector: collector.name, records, errors });
      const started = Date.now();
      let yielded = 0;
      try {
        for await (const record of collector.collect(contextFor(collector.name))) {
          checkAbort();
          if (!wanted.includes(record.kind)) continue;
          records++;
          yielded++;
          yield record;
        }
      } catch (error) {
        if (error instanceof TriageError && error.code === 'ABORTED') throw error;
        countError(toCollectorError(collector.name, undefined, error));
      }
      onLog(`${collector.name}: ${yielded} records in ${Date.now() - started} ms`);
    }

    if (!only || only.has('file_metadata')) {
      checkAbort();
      options.onProgress?.({ collector: 'file_metadata', records, errors });
      const started = Date.now();
      let yielded = 0;
      try {
        for await (const record of fileMetadataRecords(contextFor('file_metadata'), references.values())) {
          checkAbort();
          records++;
          yielded++;
          yield record;
        }
      } catch (error) {
        if (error instanceof TriageError && error.code === 'ABORTED') throw error;
        countError(toCollectorError('file_metadata', undefined, error));
      }
      onLog(`file_metadata: ${yielded} records in ${Date.now() - started} ms`);
    }
    await logHiveDiagnostics(shared, onLog);
  } finally {
    await closeSharedState(shared);
  }
  options.onProgress?.({ collector: 'done', records, errors });
}

/** A program referenced by more records than this lists only the first ones in `referenced_by`. */
const MAX_REFERENCED_BY = 100;
