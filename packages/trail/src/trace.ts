/**
 * The whole analysis in one call: read every file of a source, build the
 * lineage, and find what is suspicious.
 */
import { detectFindings, type Finding, type FindingOptions } from './findings.js';
import { LineageBuilder, type LineageGraph, type LineageOptions } from './lineage.js';
import { type ReadTrailOptions, readTrailBatches, type TrailDiagnostic, type TrailSource } from './reader.js';

/** Options for {@link traceTrail}: the reader's, the graph's and the findings'. */
export interface TraceTrailOptions
  extends Omit<ReadTrailOptions, 'onDiagnostic'>,
    LineageOptions,
    FindingOptions {
  /** Called for each file or record that could not be read. */
  readonly onDiagnostic?: (diagnostic: TrailDiagnostic) => void;
  /** Diagnostics kept in the result (the rest are counted); default 1,000. */
  readonly maxDiagnostics?: number;
  /** Called every `progressEvery` events with the count so far; default every 100,000. */
  readonly onProgress?: (progress: { readonly events: number; readonly files: number }) => void;
  readonly progressEvery?: number;
}

/** What {@link traceTrail} found. */
export interface TraceResult {
  readonly graph: LineageGraph;
  readonly findings: readonly Finding[];
  /** Files and records that could not be read, up to `maxDiagnostics`. */
  readonly diagnostics: readonly TrailDiagnostic[];
  /** All of them, kept or not. */
  readonly diagnosticCount: number;
  /** Files read. */
  readonly files: number;
}

/**
 * Reads `source`, builds the credential lineage and its findings. Memory is
 * bounded by the number of distinct keys (and the per-key limits of
 * {@link LineageOptions}), not by the number of events.
 *
 * @param source - `localTrailSource(dir)`, `s3TrailSource(transport, prefix)`, or any files
 * @param options - see {@link TraceTrailOptions}
 * @returns the graph, the findings and the diagnostics
 * @throws ABORTED when `signal` aborts; errors of the source itself (NOT_FOUND, PERMISSION_DENIED…) pass through
 */
export async function traceTrail(source: TrailSource, options: TraceTrailOptions = {}): Promise<TraceResult> {
  const maxDiagnostics = options.maxDiagnostics ?? 1000;
  const every = Math.max(1, options.progressEvery ?? 100_000);
  const diagnostics: TrailDiagnostic[] = [];
  let diagnosticCount = 0;
  let files = 0;
  const counted = async function* () {
    for await (const file of source) {
      files++;
      yield file;
    }
  };
  const builder = new LineageBuilder(options);
  let events = 0;
  const { onDiagnostic, onProgress } = options;
  for await (const batch of readTrailBatches(counted(), {
    ...options,
    onDiagnostic: (d) => {
      diagnosticCount++;
      if (diagnostics.length < maxDiagnostics) diagnostics.push(d);
      onDiagnostic?.(d);
    },
  })) {
    for (const event of batch) {
      builder.add(event);
      events++;
      if (onProgress !== undefined && events % every === 0) onProgress({ events, files });
    }
  }
  const graph = builder.finish();
  return { graph, findings: detectFindings(graph, options), diagnostics, diagnosticCount, files };
}
