/**
 * Test support: a stand-in for `openCollection` whose "sealed bytes" are the
 * JSON of a {@link StandInCollection}, so case-store tests need no crypto.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { type CaseStore, type CollectionOpener, importCollection, openCaseStore } from '../index.js';

/** The collection a stand-in import reads. */
export interface StandInCollection {
  readonly collection_id: string;
  readonly host?: string;
  readonly ended_at?: string;
  readonly records: readonly ArtifactRecord[];
}

/** The `started_at` of every stand-in collection. */
export const STAND_IN_STARTED_AT = '2026-11-23T16:00:00.000Z';

/** Opens stand-in bytes: header, records and a manifest with their counts. */
export const openStandIn: CollectionOpener = async (source) => {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  const f = JSON.parse(Buffer.concat(chunks).toString('utf8')) as StandInCollection;
  const counts: Record<string, number> = {};
  for (const r of f.records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  return {
    header: {
      collection_id: f.collection_id,
      case: 'IR-1',
      host: f.host ?? 'ws-17',
      started_at: STAND_IN_STARTED_AT,
    },
    async *records() {
      yield* f.records;
    },
    finish: async () => ({
      manifest: {
        ended_at: f.ended_at ?? '2026-11-23T16:05:00.000Z',
        record_count: f.records.length,
        counts,
      },
      manifestSha256: 'ab'.repeat(32),
      signature: null,
    }),
    cancel: async () => undefined,
  };
};

/** A fresh store in a temporary folder with the given stand-in collections imported. */
export async function storeWith(
  options: { readonly now?: () => Date },
  ...collections: StandInCollection[]
): Promise<CaseStore> {
  const store = openCaseStore(
    join(await mkdtemp(join(tmpdir(), 'case-store-')), 'case.sqlite'),
    options.now ? { now: options.now } : {},
  );
  for (const f of collections) {
    await importCollection(store, {
      source: new TextEncoder().encode(JSON.stringify(f)),
      custody: { kind: 'file', path: `/evidence/${f.collection_id}.triage` },
      identities: ['key'],
      examiner: 'eve',
      open: openStandIn,
    });
  }
  return store;
}
