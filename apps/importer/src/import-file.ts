/** `triage-import file`: one sealed collection from a local path into the case database. */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { type ImportResult, importCollection, openCaseStore } from '@triage/case-store';
import { openCollection } from '@triage/collection';
import { readIdentityFile } from '@triage/encryption';
import { TriageError } from '@triage/errors';
import type { Deps } from './deps.js';
import { ImportProgress } from './progress.js';

/** Flags of `triage-import file`. */
export interface ImportFileFlags {
  readonly file: string;
  readonly identity: string;
  readonly db: string;
  readonly verifyKey?: readonly string[] | undefined;
  readonly examiner?: string | undefined;
  /** No progress lines on stderr. */
  readonly quiet?: boolean | undefined;
}

/** The result printed by `triage-import file`. */
export interface ImportFileResult extends ImportResult {
  /** The collection file, absolute. */
  readonly file: string;
  /** The case database, absolute. */
  readonly db: string;
}

/** The collector's receipt sidecar (`FILE.receipt.json`), when there is one next to the file. */
async function readReceipt(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(`${file}.receipt.json`, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Imports one collection file; throws a TriageError on any failure (after logging it in the database). */
export async function importFile(flags: ImportFileFlags, deps: Deps): Promise<ImportFileResult> {
  const file = resolve(deps.cwd, flags.file);
  const db = resolve(deps.cwd, flags.db);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch (error) {
    throw new TriageError('NOT_FOUND', `Collection file ${file} does not exist or is not a file.`, {
      cause: error,
      context: { path: file },
    });
  }
  const identity = await readIdentityFile(resolve(deps.cwd, flags.identity));
  const receipt = await readReceipt(file);
  const store = openCaseStore(db, { now: deps.now });
  try {
    const result = await importCollection(store, {
      source: new ImportProgress(deps, flags.quiet ?? false).counted(
        basename(file),
        createReadStream(file),
        size,
      ),
      custody: { kind: 'file', path: file, ...(receipt === undefined ? {} : { receipt }) },
      identities: [identity],
      ...(flags.verifyKey && flags.verifyKey.length > 0 ? { verifyKeys: flags.verifyKey } : {}),
      examiner: flags.examiner ?? deps.env.USER ?? 'unknown',
      open: (source, options) =>
        openCollection(source, { ...options, ...(deps.signal ? { signal: deps.signal } : {}) }),
    });
    return { ...result, file, db };
  } finally {
    store.close();
  }
}
