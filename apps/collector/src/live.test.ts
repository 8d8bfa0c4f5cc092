/**
 * Acceptance: a live run on this machine (the default set, no --root)
 * produces a valid collection, checked against the JSON Schema as published
 * in docs/schema/ (not the code that generated it).
 */
import { readFile } from 'node:fs/promises';
import { readCollection } from '@triage/collection';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { cli, examiner, workDir } from './testing/support.js';

const PUBLISHED = new URL('../../../docs/schema/artifact-v2.schema.json', import.meta.url);

describe('live run on this machine', () => {
  it('collects the default set into a collection whose every record is valid against the published schema', async () => {
    const dir = await workDir();
    const keys = examiner();
    const run = await cli(
      ['run', '--no-upload', '--recipient', keys.recipient, '--case', 'live', '--json', '--quiet'],
      dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      file: string;
      manifestSha256: string;
      counts: Record<string, number>;
    };
    const contents = await readCollection(await readFile(result.file), { identities: [keys.identity] });
    expect(contents.manifestSha256).toBe(result.manifestSha256);

    const validate = new Ajv({ strict: true, allErrors: true }).compile(
      JSON.parse(await readFile(PUBLISHED, 'utf8')) as object,
    );
    const invalid = contents.records.filter((r) => !validate(r));
    expect(invalid).toEqual([]);
    // A live Linux host always has these; processes and sockets only exist live.
    for (const kind of [
      'host_info',
      'user_account',
      'group',
      'process',
      'network_connection',
      'file_metadata',
    ]) {
      expect(result.counts[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(contents.records.filter((r) => r.kind === 'host_info')).toHaveLength(1);
    expect(contents.records.some((r) => r.kind === 'process' && r.pid === process.pid)).toBe(true);
  });
});
