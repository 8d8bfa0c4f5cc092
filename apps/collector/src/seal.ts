import type { ArtifactRecord } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { type CollectionManifest, sealCollection } from '@triage/collection';
import type { Recipient } from '@triage/encryption';

/** Options for {@link sealRecords}. */
export interface SealOptions {
  readonly case: string;
  readonly host: string;
  readonly collector: { readonly name: string; readonly version: string };
  readonly startedAt: Date;
  readonly recipients: readonly string[];
  readonly password?: string;
  readonly signingKey?: string;
  readonly now: () => Date;
  /** Called once the records end: the collector errors and log for the manifest. */
  readonly finish: () => { readonly errors: readonly CollectorError[]; readonly log: readonly string[] };
  readonly signal?: AbortSignal;
}

/** The sealed bytes and, once they have been read to the end, the manifest. */
export interface Sealed {
  readonly stream: ReadableStream<Uint8Array>;
  readonly manifest: Promise<{ readonly manifest: CollectionManifest; readonly manifestSha256: string }>;
}

/** Records → collection container → brotli → envelope, as one stream. */
export function sealRecords(records: AsyncIterable<ArtifactRecord>, options: SealOptions): Sealed {
  const recipients: Recipient[] =
    options.password === undefined ? [...options.recipients] : [{ password: options.password }];
  const sealed = sealCollection(records, {
    header: {
      case: options.case,
      host: options.host,
      collector: options.collector,
      started_at: options.startedAt.toISOString(),
    },
    recipients,
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    now: options.now,
    finish: options.finish,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const manifest = sealed.manifest.then((m) => ({ manifest: m.manifest, manifestSha256: m.manifestSha256 }));
  // When the stream fails the caller never awaits the manifest; the stream's error is the one reported.
  manifest.catch(() => {});
  return { stream: sealed.stream, manifest };
}
