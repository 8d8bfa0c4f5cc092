/**
 * Golden tests: collect the synthetic root (test-fixtures/linux-root) and
 * compare every kind with test-fixtures/linux-root/expected/<kind>.ndjson.
 * `TRIAGE_UPDATE_GOLDEN=1 npx vitest run src/golden.test.ts` rewrites them;
 * review the diff before committing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ARTIFACT_KINDS, type ArtifactRecord, assertRecord } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectLinux } from './collect.js';
import { LINUX_COLLECTORS } from './collectors/index.js';
import { buildFixtureRoot, FIXTURE_NOW } from './testing/fixture-root/index.js';

const EXPECTED = new URL('../../../test-fixtures/linux-root/expected/', import.meta.url);
// biome-ignore lint/style/noProcessEnv: a test-only switch that rewrites the golden files for review
const UPDATE = process.env.TRIAGE_UPDATE_GOLDEN === '1';

/** Fields that depend on the machine running the test, not on the fixture. */
const VARYING: Readonly<Record<string, readonly string[]>> = {
  file_metadata: ['uid', 'gid', 'owner', 'atime', 'ctime', 'btime'],
};

function normalise(record: ArtifactRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const field of VARYING[record.kind] ?? []) if (out[field] !== null) out[field] = '<varies>';
  return out;
}

let root: string;
let records: ArtifactRecord[];
const errors: CollectorError[] = [];
const log: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-linux-root-'));
  await buildFixtureRoot(root);
  records = [];
  for await (const record of collectLinux({
    root,
    live: false,
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => log.push(l),
  })) {
    records.push(record);
  }
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('golden output over test-fixtures/linux-root', () => {
  it('every record is valid against the schema', () => {
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) expect(() => assertRecord(record)).not.toThrow();
  });

  it('paths are those inside the image, never the temporary directory', () => {
    expect(JSON.stringify(records)).not.toContain(root);
    expect(JSON.stringify(errors)).not.toContain(root);
  });

  it('reports no collector errors on a clean image', () => {
    expect(errors).toEqual([]);
  });

  // The kinds the Linux collectors produce (not execution_evidence, a Windows kind), live-only ones left out.
  const linuxKinds = new Set<string>([...LINUX_COLLECTORS.flatMap((c) => c.kinds), 'file_metadata']);
  it.each(
    ARTIFACT_KINDS.filter(
      (k) => linuxKinds.has(k) && !['process', 'network_connection', 'kernel_module'].includes(k),
    ),
  )('%s matches its golden file', async (kind) => {
    const actual = records.filter((r) => r.kind === kind).map((r) => JSON.stringify(normalise(r)));
    const text = actual.length === 0 ? '' : `${actual.join('\n')}\n`;
    const file = new URL(`${kind}.ndjson`, EXPECTED);
    if (UPDATE) await writeFile(file, text);
    const expected = await readFile(file, 'utf8');
    expect(text).toBe(expected);
    expect(actual.length, `the fixture root should yield at least one ${kind}`).toBeGreaterThan(0);
  });

  it('skips live-only collectors offline, saying so in the log', () => {
    expect(records.some((r) => r.kind === 'process' || r.kind === 'network_connection')).toBe(false);
    expect(log.some((l) => l.startsWith('processes: skipped'))).toBe(true);
  });
});

describe('a root that is not a directory', () => {
  it.each(['/does/not/exist', '/etc/hostname'])('%s fails at once with NOT_FOUND', async (bad) => {
    const run = async () => {
      for await (const _ of collectLinux({ root: bad, live: false })) {
        // nothing is yielded
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('kinds the Linux collectors do not produce', () => {
  it('execution_evidence (a Windows kind) may be asked for and yields nothing; an unknown kind is refused', async () => {
    const yielded: ArtifactRecord[] = [];
    for await (const record of collectLinux({ root, live: false, only: ['execution_evidence'] }))
      yielded.push(record);
    expect(yielded).toEqual([]);
    const unknown = async () => {
      for await (const _ of collectLinux({ root, live: false, only: ['registry_key' as never] })) {
        // nothing is yielded
      }
    };
    await expect(unknown()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
