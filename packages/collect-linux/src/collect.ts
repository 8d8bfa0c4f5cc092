import { stat } from 'node:fs/promises';
import {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactRecord,
  isArtifactKind,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import { fileMetadataRecords, type Reference } from './collectors/files.js';
import { LINUX_COLLECTORS } from './collectors/index.js';
import { type CollectorError, createContext, type SharedState, toCollectorError } from './context.js';

/** Progress of {@link collectLinux}, once per collector started and at the end. */
export interface CollectProgress {
  /** The collector now running, or `file_metadata`, or `done`. */
  readonly collector: string;
  /** Records yielded so far. */
  readonly records: number;
  /** Collector errors so far. */
  readonly errors: number;
}

/** Options for {@link collectLinux}. */
export interface LinuxCollectOptions {
  /** The root to collect; default `/` (the running system). A mounted image's directory for offline collection. */
  readonly root?: string;
  /** Whether root is the running system (procfs, sockets, modules); default `root === '/'`. */
  readonly live?: boolean;
  /**
   * Only these kinds; default all. `file_metadata` covers executables referenced by the selected kinds.
   * Kinds of the schema that no Linux collector produces (`execution_evidence`) yield nothing.
   */
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
  readonly onProgress?: (progress: CollectProgress) => void;
}

/**
 * Collects Linux artifacts as a stream of schema records. Each collector is
 * isolated: a permission error or a bug in one becomes an `onError` report
 * and the others still run. Executables referenced by startup items and
 * processes are described and hashed once each, as `file_metadata` records
 * after all other records.
 *
 * @param options - root, kind selection, clock, signal and callbacks
 * @returns the records, in collector order
 * @throws TriageError `ABORTED` when `signal` fires; `INVALID_ARGUMENT` for an unknown kind in `only`; `NOT_FOUND` when `root` is not a directory
 */
export async function* collectLinux(options: LinuxCollectOptions = {}): AsyncGenerator<ArtifactRecord> {
  const root = options.root ?? '/';
  const live = options.live ?? root === '/';
  const now = options.now ?? (() => new Date());
  const only = options.only ? new Set<ArtifactKind>(options.only) : undefined;
  if (only) {
    // Any kind of the schema may be asked for; kinds no Linux collector produces (execution_evidence) yield nothing.
    for (const kind of only) {
      if (!isArtifactKind(kind)) {
        throw new TriageError(
          'INVALID_ARGUMENT',
          `unknown artifact kind ${kind}; use one of ${ARTIFACT_KINDS.join(', ')}`,
        );
      }
    }
  }
  const rootStats = await stat(root).catch(() => null);
  if (!rootStats?.isDirectory()) {
    throw new TriageError(
      'NOT_FOUND',
      `the root ${root} is not a directory; give the mount point of the image`,
      {
        context: { root },
      },
    );
  }
  const onError = options.onError ?? (() => {});
  const onLog = options.onLog ?? (() => {});
  const shared: SharedState = {};
  const references = new Map<string, { referencedBy: string[]; readVia: string | undefined }>();
  const onReference = (path: string, referencedBy: string, readVia: string | undefined) => {
    const entry = references.get(path);
    if (!entry) references.set(path, { referencedBy: [referencedBy], readVia });
    else {
      if (!entry.referencedBy.includes(referencedBy)) entry.referencedBy.push(referencedBy);
      entry.readVia ??= readVia;
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
      now,
      signal: options.signal,
      collector,
      onError: countError,
      onLog,
      onReference,
      shared,
    });

  for (const collector of LINUX_COLLECTORS) {
    checkAbort();
    const wanted = only ? collector.kinds.filter((k) => only.has(k)) : collector.kinds;
    if (wanted.length === 0) continue;
    if (collector.liveOnly && !live) {
      onLog(`${collector.name}: skipped, needs the running system (offline root ${root})`);
      continue;
    }
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
    const list: Reference[] = [...references].map(([path, r]) => ({ path, ...r }));
    const started = Date.now();
    let yielded = 0;
    try {
      for await (const record of fileMetadataRecords(contextFor('file_metadata'), list)) {
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
  options.onProgress?.({ collector: 'done', records, errors });
}
