/**
 * What every collector is handed whatever the system it reads: the clock,
 * the abort signal, record building and the channels for errors and log
 * lines. Each OS package extends it with how it reads files (a Linux root
 * with symlinks re-rooted, a Windows volume looked up case-insensitively).
 */
import type { ArtifactKind, ArtifactRecord } from '@triage/artifact-schema';
import { type CollectorError, toCollectorError } from './errors.js';

/** The part of a collect context that does not depend on the system collected. */
export interface BaseCollectContext {
  /** True when collecting the running system. */
  readonly live: boolean;
  /** Stops collection; collectors check it between items. */
  readonly signal: AbortSignal | undefined;
  /** ISO time stamped on records as `collected_at`. */
  now(): string;
  /** Reports an item-level failure and lets the collector go on. */
  error(path: string | undefined, cause: unknown): void;
  /** Adds a line to the collector log kept in the manifest (no secrets, no file contents). */
  log(message: string): void;
  /** Builds a record with `kind`, `source` and `collected_at` set. */
  record<K extends ArtifactKind>(
    kind: K,
    source: string,
    fields: Omit<Extract<ArtifactRecord, { kind: K }>, 'kind' | 'source' | 'collected_at'>,
  ): Extract<ArtifactRecord, { kind: K }>;
}

/** One collector: a name, the kinds it yields and the code that reads them. */
export interface Collector<C extends BaseCollectContext = BaseCollectContext> {
  /** Stable name used in `--only`-style selection, in error records and in log lines. */
  readonly name: string;
  /** The record kinds it produces. */
  readonly kinds: readonly ArtifactKind[];
  /** Yields records; a throw ends only this collector and is reported as a {@link CollectorError}. */
  collect(ctx: C): AsyncIterable<ArtifactRecord>;
}

/** Options for {@link createBaseContext}. */
export interface BaseContextOptions {
  /** The collector the context is for: named in its errors and prefixed to its log lines. */
  readonly collector: string;
  /** True when collecting the running system. */
  readonly live: boolean;
  /** Clock for `collected_at`. */
  readonly now: () => Date;
  /** Stops collection. */
  readonly signal?: AbortSignal | undefined;
  /** Receives each item-level failure as a {@link CollectorError}. */
  readonly onError: (error: CollectorError) => void;
  /** Receives each log line, prefixed with the collector's name. */
  readonly onLog: (line: string) => void;
}

/**
 * Builds the system-independent part of the context one collector runs
 * with; an OS package spreads it into its own context.
 *
 * @param options - the collector's name, clock, signal and channels
 */
export function createBaseContext(options: BaseContextOptions): BaseCollectContext {
  const { collector } = options;
  return {
    live: options.live,
    signal: options.signal,
    now: () => options.now().toISOString(),
    error(path, cause) {
      options.onError(toCollectorError(collector, path, cause));
    },
    log(message) {
      options.onLog(`${collector}: ${message}`);
    },
    record(kind, source, fields) {
      return { kind, source, collected_at: options.now().toISOString(), ...fields } as never;
    },
  };
}
