import type { ArtifactRecord } from '@triage/artifact-schema';
import { type CollectOptions, checkRootDirectory, runCollectors, selectKinds } from '@triage/collect-core';
import { fileMetadataRecords } from './collectors/files.js';
import { LINUX_COLLECTORS } from './collectors/index.js';
import { createContext, type SharedState } from './context.js';

/**
 * Options for {@link collectLinux}: where to read, and what every collection
 * takes. Kinds of the schema that no Linux collector produces
 * (`execution_evidence`) yield nothing.
 */
export interface LinuxCollectOptions extends CollectOptions {
  /** The root to collect; default `/` (the running system). A mounted image's directory for offline collection. */
  readonly root?: string;
  /** Whether root is the running system (procfs, sockets, modules); default `root === '/'`. */
  readonly live?: boolean;
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
  // Any kind of the schema may be asked for; kinds no Linux collector produces (execution_evidence) yield nothing.
  const only = selectKinds(options.only);
  await checkRootDirectory(root, 'give the mount point of the image');
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
  yield* runCollectors({
    collectors: LINUX_COLLECTORS,
    fileMetadata: (ctx) =>
      fileMetadataRecords(
        ctx,
        [...references].map(([path, r]) => ({ path, ...r })),
      ),
    only,
    live,
    now,
    signal: options.signal,
    context: (base) => createContext({ ...base, root, onReference, shared }),
    skip: (collector) =>
      collector.liveOnly && !live ? `skipped, needs the running system (offline root ${root})` : undefined,
    onError: options.onError,
    onLog,
    onProgress: options.onProgress,
  });
}
