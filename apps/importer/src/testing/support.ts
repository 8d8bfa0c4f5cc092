import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { openCaseStore } from '@triage/case-store';
import { sealCollection } from '@triage/collection';
import { generateExaminerKeyPair, writeIdentityFile } from '@triage/encryption';
import type { Deps } from '../deps.js';
import { main } from '../main.js';

/** Output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main` with captured output in `cwd`. */
export async function cli(
  argv: readonly string[],
  cwd: string,
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env: { USER: 'examiner-eve', ...env },
    cwd,
    now: () => new Date('2026-11-24T09:00:00.000Z'),
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr };
}

/** A fresh working directory. */
export function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'triage-import-'));
}

/** An examiner key pair with its identity written to `DIR/examiner.key`. */
export async function examinerKey(dir: string, name = 'examiner.key') {
  const keys = generateExaminerKeyPair();
  const keyFile = join(dir, name);
  await writeIdentityFile(keyFile, keys.identity);
  return { ...keys, keyFile };
}

const at = '2026-11-23T16:00:00.000Z';

/**
 * `n` shell history records with random commands (incompressible, so a
 * collection spans several envelope chunks), after one account and one group.
 */
export function sampleRecords(n: number): ArtifactRecord[] {
  const records: ArtifactRecord[] = [
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
  ];
  for (let i = 0; i < n; i++) {
    const random = Array.from(crypto.getRandomValues(new Uint8Array(48)), (b) =>
      b.toString(16).padStart(2, '0'),
    );
    records.push({
      kind: 'shell_history_entry',
      source: '/home/alice/.bash_history',
      collected_at: at,
      user: 'alice',
      shell: 'bash',
      path: '/home/alice/.bash_history',
      line: i + 1,
      command: `echo ${random.join('')}`,
      time: new Date(Date.parse('2026-11-20T00:00:00.000Z') + i * 60_000).toISOString(),
    });
  }
  return records;
}

/** Options for {@link makeCollection}. */
export interface MakeCollectionOptions {
  readonly records: readonly ArtifactRecord[];
  readonly recipient: string;
  readonly host?: string;
  readonly signingKey?: string;
  /** false: write records without checking them against the schema. */
  readonly validate?: boolean;
  /** The artifact schema version to write; default the writer's (2). 1 writes a collection as triage did before Windows. */
  readonly schemaVersion?: 1 | 2;
}

/** Seals records into `DIR/NAME` with `sealCollection`; returns the path and manifest hash. */
export async function makeCollection(dir: string, name: string, options: MakeCollectionOptions) {
  async function* source(): AsyncGenerator<ArtifactRecord> {
    yield* options.records;
  }
  const { stream, manifest } = sealCollection(source(), {
    header: { case: 'IR-7', host: options.host ?? 'ws-17', collector: { name: 'test', version: '0.0.0' } },
    recipients: [options.recipient],
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    ...(options.validate === false ? { validate: false } : {}),
    ...(options.schemaVersion === undefined ? {} : { schemaVersion: options.schemaVersion }),
  });
  const file = join(dir, name);
  await stream.pipeTo(Writable.toWeb(createWriteStream(file)));
  return { file, manifestSha256: (await manifest).manifestSha256 };
}

/** Row counts of the case database's tables. */
export function tableCounts(
  db: string,
): Record<'collections' | 'artifacts' | 'hosts' | 'import_log', number> {
  const store = openCaseStore(db);
  try {
    const n = (table: string) => store.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    return {
      collections: n('collections'),
      artifacts: n('artifacts'),
      hosts: n('hosts'),
      import_log: n('import_log'),
    };
  } finally {
    store.close();
  }
}

/** The import log, oldest first. */
export function importLog(db: string): { outcome: string; code: string | null; message: string | null }[] {
  const store = openCaseStore(db);
  try {
    return store.db.prepare('SELECT outcome, code, message FROM import_log ORDER BY id').all() as {
      outcome: string;
      code: string | null;
      message: string | null;
    }[];
  } finally {
    store.close();
  }
}
