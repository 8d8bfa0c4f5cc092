/**
 * The case database schema: versioned migrations, applied in order and
 * recorded in `PRAGMA user_version`. Migration 1 creates every table, index
 * and view (the views of artifact schema version 1); migration 2 adds the
 * view of `execution_evidence` and recreates the views of the kinds artifact
 * schema version 2 extended. A database written by a newer triage (a higher
 * version) is refused rather than guessed at. A migration, once released,
 * never changes: each is pinned to the artifact schema version it was
 * written for.
 */
import { kindOf, type RecordSchema, recordSchemas } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type BetterSqlite3 from 'better-sqlite3';

/** The schema version this package writes (`PRAGMA user_version`). */
export const CASE_DB_VERSION = 2;

/** SQL names are quoted; field names come from the artifact schema (snake_case). */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The fields of a record schema, without the envelope (`kind`, `source`, `collected_at`). */
function fieldsOf(schema: RecordSchema): string[] {
  return Object.keys(schema.properties).filter(
    (name) => name !== 'kind' && name !== 'source' && name !== 'collected_at',
  );
}

/**
 * One view per record kind, `v_<kind>`: the artifact's case, host and
 * collection plus one column per field of the kind (`json_extract`). Arrays
 * and objects come out as JSON text, booleans as 0/1; a field a record lacks
 * (a version 2 field of a version 1 record) comes out as NULL.
 */
function kindViews(schemas: readonly RecordSchema[]): string[] {
  return schemas.map((schema) => {
    const kind = kindOf(schema);
    const fields = fieldsOf(schema);
    const columns = fields.map((field) => `json_extract(a.json, '$.${field}') AS ${quoteIdentifier(field)}`);
    return `CREATE VIEW ${quoteIdentifier(`v_${kind}`)} AS
  SELECT a.id AS artifact_id, c.case_id AS case_id, c.host AS host, c.collection_id AS collection_id,
         a.collected_at AS collected_at, a.source AS source${columns.map((column) => `,\n         ${column}`).join('')}
  FROM artifacts a JOIN collections c ON c.id = a.collection_ref
  WHERE a.kind = '${kind}';`;
  });
}

const MIGRATION_1 = [
  `CREATE TABLE collections (
    id INTEGER PRIMARY KEY,
    collection_id TEXT NOT NULL UNIQUE,
    case_id TEXT NOT NULL,
    host TEXT NOT NULL,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('file', 's3')),
    bucket TEXT,
    key TEXT,
    version_id TEXT,
    etag TEXT,
    path TEXT,
    file_sha256 TEXT UNIQUE,
    manifest_sha256 TEXT,
    manifest TEXT,
    receipt TEXT,
    signature_status TEXT CHECK (signature_status IN ('verified', 'unverified', 'none')),
    verify_key_fingerprint TEXT,
    record_count INTEGER,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    imported_at TEXT NOT NULL,
    examiner TEXT NOT NULL,
    UNIQUE (bucket, key, version_id)
  ) STRICT;`,
  `CREATE TABLE hosts (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL,
    name TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (case_id, name)
  ) STRICT;`,
  `CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    collection_ref INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    collected_at TEXT NOT NULL,
    source TEXT NOT NULL,
    time TEXT,
    user TEXT,
    path TEXT,
    json TEXT NOT NULL
  ) STRICT;`,
  'CREATE INDEX artifacts_collection ON artifacts (collection_ref);',
  'CREATE INDEX artifacts_kind_time ON artifacts (kind, time);',
  'CREATE INDEX artifacts_user ON artifacts (user) WHERE user IS NOT NULL;',
  'CREATE INDEX artifacts_path ON artifacts (path) WHERE path IS NOT NULL;',
  `CREATE TABLE import_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    source_kind TEXT NOT NULL CHECK (source_kind IN ('file', 's3')),
    location TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('imported', 'skipped', 'failed')),
    code TEXT,
    message TEXT,
    collection_id TEXT,
    file_sha256 TEXT,
    examiner TEXT NOT NULL
  ) STRICT;`,
  ...kindViews(recordSchemas(1)),
];

/**
 * Artifact schema version 2: `v_execution_evidence`, and the views of the
 * kinds whose fields version 2 extended (Windows accounts, logons and
 * startup items) recreated with the new columns after the old ones.
 */
function migration2(): string[] {
  const v1 = new Map(recordSchemas(1).map((schema) => [kindOf(schema), fieldsOf(schema).join(',')]));
  const changed = recordSchemas(2).filter((schema) => v1.get(kindOf(schema)) !== fieldsOf(schema).join(','));
  return [
    ...changed.map((schema) => `DROP VIEW IF EXISTS ${quoteIdentifier(`v_${kindOf(schema)}`)};`),
    ...kindViews(changed),
  ];
}

const MIGRATIONS: readonly (readonly string[])[] = [MIGRATION_1, migration2()];

/**
 * The SQL statements of one migration, for tests that build a database of
 * an older version.
 *
 * @internal
 */
export function migrationStatements(version: number): readonly string[] {
  return MIGRATIONS[version - 1] ?? [];
}

/**
 * Brings the database to {@link CASE_DB_VERSION}, each migration in its own
 * exclusive transaction.
 *
 * @throws TriageError `CONFIG_INVALID` when the database is newer than this triage
 */
export function migrate(db: BetterSqlite3.Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new TriageError(
      'CONFIG_INVALID',
      `Case database ${path} has schema version ${current}, newer than this triage understands (${MIGRATIONS.length}); upgrade triage.`,
      { context: { path, version: current, supported: MIGRATIONS.length } },
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    const statements = MIGRATIONS[version - 1] ?? [];
    db.exec('BEGIN EXCLUSIVE');
    try {
      // Another connection may have migrated while we waited for the lock.
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now >= version) {
        db.exec('COMMIT');
        continue;
      }
      for (const statement of statements) db.exec(statement);
      db.pragma(`user_version = ${version}`);
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}
