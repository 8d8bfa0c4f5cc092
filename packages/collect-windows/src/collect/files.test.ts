import { createHash } from 'node:crypto';
import { mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRecord, type FileMetadata } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { TEST_NOW, windowsRoot } from '../testing/windows-root.js';
import { closeSharedState, createContext, createSharedState } from './context.js';
import { fileMetadataRecords, type Reference } from './files.js';

async function describeAll(
  root: string,
  references: Reference[],
  options: { maxFiles?: number; maxHashBytes?: number } = {},
) {
  const shared = createSharedState(root);
  const log: string[] = [];
  const errors: unknown[] = [];
  const ctx = createContext({
    root,
    live: false,
    systemDrive: 'C:',
    now: () => TEST_NOW,
    collector: 'file_metadata',
    onError: (e) => errors.push(e),
    onLog: (l) => log.push(l),
    onReference: () => undefined,
    shared,
  });
  const records: FileMetadata[] = [];
  for await (const record of fileMetadataRecords(ctx, references, options)) {
    assertRecord(record);
    records.push(record as FileMetadata);
  }
  await closeSharedState(shared);
  return { records, log, errors };
}

const ref = (path: string, onlyIfExists = false): Reference => ({
  path,
  referencedBy: [`startup_item:${path}`],
  onlyIfExists,
});

describe('file_metadata', () => {
  it('hashes what exists, marks what is missing, leaves out missing evidence and other drives', async () => {
    const root = await windowsRoot({
      'Program Files/App/app.exe': 'MZ app',
      'Windows/System32': 'a file, oddly',
    });
    const { records, log } = await describeAll(root, [
      ref('C:\\PROGRAM FILES\\app\\APP.EXE'),
      ref('C:\\Program Files\\gone.exe'),
      ref('C:\\Program Files\\gone-too.exe', true),
      ref('D:\\Service\\test.exe'),
      ref('\\\\server\\share\\x.exe'),
    ]);
    expect(records.map((r) => [r.path, r.exists, r.sha256])).toEqual([
      ['C:\\PROGRAM FILES\\app\\APP.EXE', true, createHash('sha256').update('MZ app').digest('hex')],
      ['C:\\Program Files\\gone.exe', false, null],
    ]);
    expect(records[0]).toMatchObject({ size: 6, mode: null, uid: null, gid: null, owner: null, error: null });
    expect(records[0]?.mtime).toMatch(/Z$/);
    expect(log).toContain(
      'file_metadata: 2 referenced programs are on another drive or a network share; not described',
    );
  });

  it('follows a link inside the volume, never out of it', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'triage-outside-'));
    await writeFile(join(outside, 'secret.exe'), 'outside the volume');
    const root = await windowsRoot({ 'Tools/real.exe': 'MZ real' });
    await symlink('real.exe', join(root, 'Tools', 'alias.exe'));
    await symlink(join(outside, 'secret.exe'), join(root, 'Tools', 'escape.exe'));
    const { records } = await describeAll(root, [ref('C:\\Tools\\alias.exe'), ref('C:\\Tools\\escape.exe')]);
    expect(records.map((r) => [r.path, r.exists, r.sha256])).toEqual([
      ['C:\\Tools\\alias.exe', true, createHash('sha256').update('MZ real').digest('hex')],
      ['C:\\Tools\\escape.exe', false, null],
    ]);
  });

  it('does not hash folders or files over the limit, and stops at the file limit', async () => {
    const root = await windowsRoot({
      'Big/big.exe': 'x'.repeat(100),
      'Dir/inner.txt': 'x',
      'a.exe': 'a',
      'b.exe': 'b',
    });
    const { records } = await describeAll(root, [ref('C:\\Big\\big.exe'), ref('C:\\Dir')], {
      maxHashBytes: 10,
    });
    expect(records.map((r) => [r.exists, r.sha256, r.error])).toEqual([
      [true, null, 'larger than 10 bytes; not hashed'],
      [true, null, 'not a regular file; not hashed'],
    ]);
    const limited = await describeAll(root, [ref('C:\\a.exe'), ref('C:\\b.exe')], { maxFiles: 1 });
    expect(limited.records).toHaveLength(1);
    expect(limited.log).toContain('file_metadata: 1 referenced programs left out past the limit of 1');
  });
});
