import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { cli, examinerKey, makeCollection, sampleRecords, workDir } from './testing/support.js';

const at = '2026-11-23T12:00:00.000Z';
const backdoor: ArtifactRecord = {
  kind: 'user_account',
  source: '/etc/passwd',
  collected_at: at,
  username: 'sysupdate',
  uid: 0,
  gid: 0,
  gecos: '',
  home: '/root',
  shell: '/bin/bash',
  password_status: 'empty',
  last_change: null,
  min_days: null,
  max_days: null,
  warn_days: null,
  inactive_days: null,
  expires: null,
};

async function imported() {
  const dir = await workDir();
  const key = await examinerKey(dir);
  const records = [...sampleRecords(3), backdoor];
  const { file } = await makeCollection(dir, 'ws-17.triage', { records, recipient: key.recipient });
  const run = await cli(['file', file, '--identity', 'examiner.key'], dir);
  expect(run.code).toBe(0);
  return dir;
}

describe('triage-import hits and export', () => {
  it('hits names the uid-0 account that is not root, with the artifact it came from', async () => {
    const dir = await imported();
    const run = await cli(['hits', '--json'], dir);
    expect(run.code).toBe(0);
    const { hits } = JSON.parse(run.stdout) as {
      hits: { rule: string; severity: string; record: { username?: string } }[];
    };
    expect(hits.map((h) => [h.rule, h.severity, h.record.username])).toEqual([
      ['uid0-not-root', 'high', 'sysupdate'],
    ]);
    const text = await cli(['hits'], dir);
    expect(text.stdout).toMatch(/^HIGH +uid0-not-root .*sysupdate/m);
    const only = await cli(['hits', '--rule', 'deleted-exe'], dir);
    expect(only.stdout).toBe('no hits\n');
  });

  it('export writes a Timesketch JSONL timeline to stdout, and CSV to a 0600 file', async () => {
    const dir = await imported();
    const jsonl = await cli(['export'], dir);
    expect(jsonl.code).toBe(0);
    const rows = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row).toMatchObject({ kind: 'shell_history_entry', timestamp_desc: expect.any(String) });
      expect(row.message).toEqual(expect.any(String));
      expect(Date.parse(row.datetime as string)).not.toBeNaN();
    }
    expect(jsonl.stderr).toContain('exported 3 rows');

    const csv = await cli(['export', '--format', 'csv', '--out', 'timeline.csv'], dir);
    expect(csv.code).toBe(0);
    const text = await readFile(join(dir, 'timeline.csv'), 'utf8');
    expect(text.split('\r\n')[0]).toBe('datetime,timestamp_desc,message,host,kind,artifact_id');
    expect((await stat(join(dir, 'timeline.csv'))).mode & 0o777).toBe(0o600);
    const again = await cli(['export', '--format', 'csv', '--out', 'timeline.csv'], dir);
    expect(again.code).toBe(73);
    expect(again.stderr).toMatch(
      /timeline\.csv exists or cannot be created; choose another --out \[ALREADY_EXISTS\]\n$/,
    );
  });

  it('hits on a missing database: one line, exit 66', async () => {
    const run = await cli(['hits'], await workDir());
    expect(run.code).toBe(66);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
