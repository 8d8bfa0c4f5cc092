/**
 * Running collectors: the `only` kinds checked against the schema, the root
 * checked, then each collector in order and isolated (a throw becomes an
 * error entry and the next one runs), records kept to the kinds asked for,
 * progress and a log line per collector, and `file_metadata` last for the
 * files the others referenced.
 */
import { stat } from 'node:fs/promises';
import {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactRecord,
  isArtifactKind,
} from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { BaseContextOptions, Collector } from './context.js';
import { type CollectorError, isAborted, throwIfAborted, toCollectorError } from './errors.js';

/** Progress of a collection, once per collector started and at the end. */
export interface CollectProgress {
  /** The collector now running, or `file_metadata`, or `done`. */
  readonly collector: string;
  /** Records yielded so far. */
  readonly records: number;
  /** Collector errors so far. */
  readonly errors: number;
}

/** What every collection takes beside where to read: the kinds, the clock, the signal and the callbacks. */
export interface CollectOptions {
  /**
   * Only these kinds; default all. `file_metadata` covers the files the
   * records of the selected kinds reference. Any kind of the schema may be
   * asked for; one no collector of the system produces yields nothing.
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
  /** Called as collectors start, and with `done` at the end. */
  readonly onProgress?: (progress: CollectProgress) => void;
}

/**
 * The kinds a collection is limited to, each checked against the schema.
 * Any kind of the schema may be asked for, also one no collector of this
 * system produces (it then yields nothing).
 *
 * @param only - the kinds asked for, or undefined for all
 * @returns the kinds as a set, or undefined for all
 * @throws TriageError `INVALID_ARGUMENT` for a kind the schema does not have
 */
export function selectKinds(
  only: readonly ArtifactKind[] | undefined,
): ReadonlySet<ArtifactKind> | undefined {
  if (!only) return undefined;
  const kinds = new Set<ArtifactKind>(only);
  for (const kind of kinds) {
    if (!isArtifactKind(kind)) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        `unknown artifact kind ${kind}; use one of ${ARTIFACT_KINDS.join(', ')}`,
      );
    }
  }
  return kinds;
}

/**
 * Checks that the root to collect is a directory on this machine.
 *
 * @param root - the root folder
 * @param hint - what to give instead, e.g. `give the mount point of the image`
 * @throws TriageError `NOT_FOUND` when `root` is missing or not a directory
 */
export async function checkRootDirectory(root: string, hint: string): Promise<void> {
  const rootStats = await stat(root).catch(() => null);
  if (!rootStats?.isDirectory()) {
    throw new TriageError('NOT_FOUND', `the root ${root} is not a directory; ${hint}`, {
      context: { root },
    });
  }
}

/** The context collectors of type `T` run with. */
export type ContextOf<T extends Collector> = Parameters<T['collect']>[0];

/** Options for {@link runCollectors}, for collectors of type `T`. */
export interface RunCollectorsOptions<T extends Collector> {
  /** The collectors, in run order. */
  readonly collectors: readonly T[];
  /**
   * The last step, run when `file_metadata` is wanted: the records of the
   * files the collectors referenced (`ctx` is the context of a collector
   * named `file_metadata`).
   */
  fileMetadata(ctx: ContextOf<T>): AsyncIterable<ArtifactRecord>;
  /** Only these kinds (from {@link selectKinds}); undefined for all. */
  readonly only: ReadonlySet<ArtifactKind> | undefined;
  /** True when collecting the running system; handed to every context. */
  readonly live: boolean;
  /** Clock for `collected_at`; handed to every context. */
  readonly now: () => Date;
  /** Stops collection with `ABORTED`, checked between records; handed to every context. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Builds the context a collector runs with, from the system-independent
   * part (for `createBaseContext`): the collector's name, `live`, the
   * clock, the signal, `onLog`, and an `onError` that counts the
   * collector's item-level failures before passing them on.
   */
  context(base: BaseContextOptions): ContextOf<T>;
  /** Why a wanted collector is not run this time (logged as `name: reason`), or undefined to run it. */
  skip?(collector: T): string | undefined;
  /** Runs after the last step, before the final progress report (e.g. a summary for the log). */
  finish?(): Promise<void>;
  /** Called for each item-level or collector failure; collection goes on. */
  readonly onError?: ((error: CollectorError) => void) | undefined;
  /** Called with each log line (for the manifest's log). */
  readonly onLog?: ((line: string) => void) | undefined;
  /** Called as collectors start, and with `done` at the end. */
  readonly onProgress?: ((progress: CollectProgress) => void) | undefined;
}

/**
 * Runs collectors one after the other as one stream of records. Each is
 * isolated: a throw ends only that collector and becomes a
 * {@link CollectorError} (`onError`), and the next one runs; only `ABORTED`
 * ends the run. Records of kinds not asked for are dropped; a collector that
 * produces none of the kinds asked for is not run. Each collector gets a
 * progress report when it starts and a log line `name: N records in M ms`
 * when it ends; `file_metadata` runs last, when it is asked for.
 *
 * @param options - the collectors, the `file_metadata` step, kinds, signal, context factory and callbacks
 * @returns the records, in collector order
 * @throws TriageError `ABORTED` when `signal` fires
 */
export async function* runCollectors<T extends Collector>(
  options: RunCollectorsOptions<T>,
): AsyncGenerator<ArtifactRecord> {
  const { only, live, now, signal } = options;
  const onError = options.onError ?? (() => {});
  const onLog = options.onLog ?? (() => {});
  let records = 0;
  let errors = 0;
  const countError = (error: CollectorError) => {
    errors++;
    onError(error);
  };

  /** One step: progress, its records (those `keep` accepts), a throw as an error entry, a log line. */
  async function* step(
    name: string,
    collect: (ctx: ContextOf<T>) => AsyncIterable<ArtifactRecord>,
    keep: (record: ArtifactRecord) => boolean,
  ): AsyncGenerator<ArtifactRecord> {
    options.onProgress?.({ collector: name, records, errors });
    const started = Date.now();
    let yielded = 0;
    try {
      const ctx = options.context({ collector: name, live, now, signal, onError: countError, onLog });
      for await (const record of collect(ctx)) {
        throwIfAborted(signal);
        if (!keep(record)) continue;
        records++;
        yielded++;
        yield record;
      }
    } catch (error) {
      if (isAborted(error)) throw error;
      countError(toCollectorError(name, undefined, error));
    }
    onLog(`${name}: ${yielded} records in ${Date.now() - started} ms`);
  }

  for (const collector of options.collectors) {
    throwIfAborted(signal);
    const wanted = only ? collector.kinds.filter((k) => only.has(k)) : collector.kinds;
    if (wanted.length === 0) continue;
    const skipped = options.skip?.(collector);
    if (skipped !== undefined) {
      onLog(`${collector.name}: ${skipped}`);
      continue;
    }
    yield* step(
      collector.name,
      (ctx) => collector.collect(ctx),
      (record) => wanted.includes(record.kind),
    );
  }

  if (!only || only.has('file_metadata')) {
    throwIfAborted(signal);
    yield* step(
      'file_metadata',
      (ctx) => options.fileMetadata(ctx),
      () => true,
    );
  }
  await options.finish?.();
  options.onProgress?.({ collector: 'done', records, errors });
}
