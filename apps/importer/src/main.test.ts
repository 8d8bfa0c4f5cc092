import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openCaseStore } from '@triage/case-store';
import { generateSigningKeyPair } from '@triage/encryption';
import { describe, expect, it } from 'vitest';
import {
  cli,
  examinerKey,
  importLog,
  makeCollection,
  sampleRecords,
  tableCounts,
  workDir,
} from './testing/support.js';

describe('triage-import file', () => {
  it('imports a collection of artifact schema version 1 (written before Windows support) beside a version 2 one', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    const records = sampleRecords(5);
    const v1 = await makeCollection(dir, 'old.triage', {
      records,
      recipient: key.recipient,
      schemaVersion: 1,
    });
    const v2 = await makeCollection(dir, 'new.triage', { records, recipient: key.recipient, host: 'ws-18' });
    for (const file of [v1.file, v2.file]) {
      const run = await cli(['file', file, '--identity', 'examiner.key'], dir);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`imported ${records.length} records`);
    }
    const db = join(dir, 'case.sqlite');
    expect(tableCounts(db)).toEqual({
      collections: 2,
      artifacts: 2 * records.length,
      hosts: 2,
      import_log: 2,
    });
    const store = openCaseStore(db);
    try {
      const versions = store.db
        .prepare(
          "SELECT host, json_extract(manifest, '$.schema_version') AS version FROM collections ORDER BY host",
        )
        .all();
      expect(versions).toEqual([
        { host: 'ws-17', version: 1 },
        { host: 'ws-18', version: 2 },
      ]);
      // The version 1 account reads through the version 2 view: its Windows columns are NULL.
      expect(
        store.db.prepare('SELECT host, username, uid, rid, sid FROM v_user_account ORDER BY host').all(),
      ).toEqual([
        { host: 'ws-17', username: 'alice', uid: 1000, rid: null, sid: null },
        { host: 'ws-18', username: 'alice', uid: 1000, rid: null, sid: null },
      ]);
    } finally {
      store.close();
    }
  });

  it('imports a good collection, skips it the second time, and reports it', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    const records = sampleRecords(50);
    const { file, manifestSha256 } = await makeCollection(dir, 'ws-17.triage', {
      records,
      recipient: key.recipient,
    });

    const first = await cli(['file', file, '--identity', 'examiner.key'], dir);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`imported ${records.length} records`);
    expect(first.stdout).toContain(`manifest sha256 ${manifestSha256}`);
    const db = join(dir, 'case.sqlite');
    expect(tableCounts(db)).toEqual({ collections: 1, artifacts: records.length, hosts: 1, import_log: 1 });

    const second = await cli(['file', 'ws-17.triage', '--identity', 'examiner.key', '--json'], dir);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      outcome: 'skipped',
      records: records.length,
      manifestSha256,
    });
    expect(tableCounts(db)).toEqual({ collections: 1, artifacts: records.length, hosts: 1, import_log: 2 });
    expect(importLog(db).map((l) => l.outcome)).toEqual(['imported', 'skipped']);

    const text = await cli(['report'], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('case IR-7, host ws-17: 1 collection(s)');
    expect(text.stdout).toMatch(
      /shell_history_entry\s+50\s+2026-11-20T00:00:00.000Z \.\. 2026-11-20T00:49:00.000Z/,
    );
    const json = await cli(['report', '--json'], dir);
    expect(JSON.parse(json.stdout)).toEqual({
      hosts: [
        {
          case: 'IR-7',
          host: 'ws-17',
          collections: 1,
          kinds: [
            { kind: 'group', count: 1, firstTime: null, lastTime: null },
            {
              kind: 'shell_history_entry',
              count: 50,
              firstTime: '2026-11-20T00:00:00.000Z',
              lastTime: '2026-11-20T00:49:00.000Z',
            },
            { kind: 'user_account', count: 1, firstTime: null, lastTime: null },
          ],
        },
      ],
    });
  });

  it('records custody: path, examiner, the receipt sidecar and a verified signature', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    const signing = generateSigningKeyPair();
    const { file } = await makeCollection(dir, 'signed.triage', {
      records: sampleRecords(3),
      recipient: key.recipient,
      signingKey: signing.signingKey,
    });
    await writeFile(`${file}.receipt.json`, JSON.stringify({ receipt: { bucket: 'b' } }));
    const run = await cli(
      [
        'file',
        file,
        '--identity',
        'examiner.key',
        '--verify-key',
        signing.verifyKey,
        '--examiner',
        'bob',
        '--json',
      ],
      dir,
    );
    expect(run.code).toBe(0);
    const { openCaseStore } = await import('@triage/case-store');
    const store = openCaseStore(join(dir, 'case.sqlite'));
    expect(
      store.db
        .prepare(
          'SELECT source_kind, path, examiner, receipt, signature_status, imported_at FROM collections',
        )
        .get(),
    ).toEqual({
      source_kind: 'file',
      path: file,
      examiner: 'bob',
      receipt: '{"receipt":{"bucket":"b"}}',
      signature_status: 'verified',
      imported_at: '2026-11-24T09:00:00.000Z',
    });
    store.close();

    // An untrusted signer is refused.
    const other = generateSigningKeyPair();
    const { file: file2 } = await makeCollection(dir, 'other.triage', {
      records: sampleRecords(3),
      recipient: key.recipient,
      signingKey: other.signingKey,
    });
    const refused = await cli(
      ['file', file2, '--identity', 'examiner.key', '--verify-key', signing.verifyKey],
      dir,
    );
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('[SIGNATURE_INVALID]');
  });

  it('refuses a tampered collection: exit 65, one line, nothing written but a failed log row', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    const { file } = await makeCollection(dir, 'ws-17.triage', {
      records: sampleRecords(3000),
      recipient: key.recipient,
    });
    const bytes = await readFile(file);
    expect(bytes.length).toBeGreaterThan(2 * 65536); // several envelope chunks: records stream in before the flip
    const at = bytes.length - 100;
    bytes[at] = (bytes[at] ?? 0) ^ 0x01;
    await writeFile(file, bytes);

    const run = await cli(['file', file, '--identity', 'examiner.key'], dir);
    expect(run.code).toBe(65);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^triage-import: .*\[ENVELOPE_TAMPERED\]\n$/);
    const db = join(dir, 'case.sqlite');
    expect(tableCounts(db)).toEqual({ collections: 0, artifacts: 0, hosts: 0, import_log: 1 });
    expect(importLog(db)).toEqual([
      { outcome: 'failed', code: 'ENVELOPE_TAMPERED', message: expect.any(String) },
    ]);

    const debug = await cli(['file', file, '--identity', 'examiner.key', '--debug'], dir);
    expect(debug.code).toBe(65);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('refuses a wrong identity with exit 77', async () => {
    const dir = await workDir();
    const key = await examinerKey(dir);
    await examinerKey(dir, 'other.key');
    const { file } = await makeCollection(dir, 'ws-17.triage', {
      records: sampleRecords(3),
      recipient: key.recipient,
    });
    const run = await cli(['file', file, '--identity', 'other.key'], dir);
    expect(run.code).toBe(77);
    expect(run.stderr).toContain('[ENVELOPE_NO_MATCHING_IDENTITY]');
    const db = join(dir, 'case.sqlite');
    expect(tableCounts(db)).toMatchObject({ collections: 0, artifacts: 0, import_log: 1 });
  });

  it.each([
    [['file', 'missing.triage', '--identity', 'examiner.key'], 66, 'does not exist'],
    [['file', 'x.triage'], 64, 'Missing required argument: identity'],
    [['frobnicate'], 64, 'Unknown argument'],
    [['report', '--db', 'none.sqlite'], 66, 'does not exist'],
    [[], 64, 'give a command'],
  ])('usage: %j → exit %i', async (argv, code, text) => {
    const dir = await workDir();
    await examinerKey(dir);
    const run = await cli(argv, dir);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(text);
  });
});

describe('triage-import keygen', () => {
  it('writes a 0600 identity that decrypts what is sealed to the printed key, and never overwrites it', async () => {
    const dir = await workDir();
    const made = await cli(['keygen', '--out', 'examiner.key', '--json'], dir);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const { identityFile, recipient } = JSON.parse(made.stdout) as {
      identityFile: string;
      recipient: string;
    };
    expect(identityFile).toBe(join(dir, 'examiner.key'));
    expect(recipient).toMatch(/^triage1/);
    expect((await stat(identityFile)).mode & 0o777).toBe(0o600);
    const secret = (await readFile(identityFile, 'utf8')).match(/TRIAGE-SECRET-KEY-1\S+/)?.[0];
    expect(secret).toBeTruthy();
    expect(made.stdout).not.toContain(secret as string);

    // What is sealed to the printed public key imports with the new file.
    const records = sampleRecords(5);
    const { file } = await makeCollection(dir, 'k.triage', { records, recipient });
    const imported = await cli(['file', file, '--identity', 'examiner.key'], dir);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain(`imported ${records.length} records`);

    const again = await cli(['keygen', '--out', 'examiner.key'], dir);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('never overwritten');
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readFile(identityFile, 'utf8')).toContain(secret as string);
  });
});
