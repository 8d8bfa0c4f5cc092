/** All or nothing and concurrency with real sealed collections, through the case-store API. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importCollection, openCaseStore } from '@triage/case-store';
import { openCollection } from '@triage/collection';
import { describe, expect, it } from 'vitest';
import {
  examinerKey,
  importLog,
  makeCollection,
  sampleRecords,
  tableCounts,
  workDir,
} from './testing/support.js';

async function setup(n: number) {
  const dir = await workDir();
  const key = await examinerKey(dir);
  const { file } = await makeCollection(dir, 'c.triage', {
    records: sampleRecords(n),
    recipient: key.recipient,
  });
  return { dir, key, file, db: join(dir, 'case.sqlite'), bytes: await readFile(file) };
}

describe('importCollection with real collections', () => {
  it.each([
    [
      'a flipped ciphertext byte',
      (b: Buffer) => {
        const copy = Buffer.from(b);
        const at = copy.length - 200;
        copy[at] = (copy[at] ?? 0) ^ 0x80;
        return copy;
      },
      'ENVELOPE_TAMPERED',
    ],
    // Cut inside a chunk, the last piece fails authentication as a final chunk would: TAMPERED, not TRUNCATED.
    ['a file cut in the middle', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2)), 'ENVELOPE_TAMPERED'],
  ])('%s: nothing imported, one failed log row', async (_name, damage, code) => {
    const { key, db, bytes } = await setup(3000);
    const store = openCaseStore(db);
    let seen = 0;
    await expect(
      importCollection(store, {
        // Hand the bytes over in small chunks so records stream into the transaction before the failure.
        source: (async function* () {
          const damaged = damage(bytes);
          for (let i = 0; i < damaged.length; i += 16384) yield damaged.subarray(i, i + 16384);
        })(),
        custody: { kind: 'file', path: '/evidence/c.triage' },
        identities: [key.identity],
        examiner: 'eve',
        open: async (source, options) => {
          const opened = await openCollection(source, options);
          return {
            header: opened.header,
            finish: () => opened.finish(),
            cancel: (reason) => opened.cancel(reason),
            async *records() {
              for await (const record of opened.records()) {
                seen++;
                yield record;
              }
            },
          };
        },
      }),
    ).rejects.toMatchObject({ code });
    expect(seen).toBeGreaterThan(0); // some records were inserted before the failure, then rolled back
    store.close();
    expect(tableCounts(db)).toEqual({ collections: 0, artifacts: 0, hosts: 0, import_log: 1 });
    expect(importLog(db)).toEqual([{ outcome: 'failed', code, message: expect.any(String) }]);
  });

  it('a schema-invalid record (written with validate: false): DATA_INVALID, nothing imported', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    const records = sampleRecords(20);
    const bad = { ...records[5], line: -1 } as unknown as (typeof records)[number];
    records.splice(5, 1, bad);
    const { file } = await makeCollection(dir, 'bad.triage', {
      records,
      recipient: key.recipient,
      validate: false,
    });
    const db = join(dir, 'case.sqlite');
    const store = openCaseStore(db);
    await expect(
      importCollection(store, {
        source: await readFile(file),
        custody: { kind: 'file', path: file },
        identities: [key.identity],
        examiner: 'eve',
        open: openCollection,
      }),
    ).rejects.toMatchObject({ code: 'DATA_INVALID' });
    store.close();
    expect(tableCounts(db)).toEqual({ collections: 0, artifacts: 0, hosts: 0, import_log: 1 });
    expect(importLog(db)[0]).toMatchObject({ outcome: 'failed', code: 'DATA_INVALID' });
  });

  it('two concurrent imports of the same collection from two connections: exactly one imported', async () => {
    const { key, db, bytes, file } = await setup(2000);
    const a = openCaseStore(db);
    const b = openCaseStore(db);
    const run = (store: typeof a, path: string) =>
      importCollection(store, {
        source: (async function* () {
          for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
        })(),
        custody: { kind: 'file', path },
        identities: [key.identity],
        examiner: 'eve',
        open: openCollection,
      });
    const results = await Promise.all([run(a, file), run(b, `${file}.copy`)]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['imported', 'skipped']);
    expect(results[0]?.collectionId).toBe(results[1]?.collectionId);
    a.close();
    b.close();
    expect(tableCounts(db)).toEqual({ collections: 1, artifacts: 2002, hosts: 1, import_log: 2 });
  });
});
