import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRecord, type FileMetadata } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { link, put } from '../testing/fixture-root/write.js';
import { fileMetadataRecords, formatMode, type Reference } from './files.js';

let root: string;
let errors: CollectorError[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-files-'));
  errors = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function context(options: { root?: string; live?: boolean } = {}) {
  return createContext({
    root: options.root ?? root,
    live: options.live ?? false,
    now: () => new Date('2026-11-23T12:00:00Z'),
    collector: 'file_metadata',
    onError: (e) => errors.push(e),
    onLog: () => {},
    onReference: () => {},
    shared: {},
  });
}

const ref = (path: string, readVia?: string): Reference => ({
  path,
  referencedBy: [`startup_item:${path}`],
  readVia,
});

async function describeAll(
  references: Reference[],
  options: { maxHashBytes?: number; live?: boolean; root?: string } = {},
) {
  const out: FileMetadata[] = [];
  const ctx = context(options);
  const opts = options.maxHashBytes === undefined ? {} : { maxHashBytes: options.maxHashBytes };
  for await (const record of fileMetadataRecords(ctx, references, opts)) {
    assertRecord(record);
    out.push(record as FileMetadata);
  }
  return out;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('fileMetadataRecords', () => {
  it('describes and hashes a regular file', async () => {
    await put(root, '/usr/bin/tool', 'hello\n', { mode: 0o4755, mtime: new Date('2026-11-01T12:00:00Z') });
    const [record] = await describeAll([ref('/usr/bin/tool')]);
    expect(record).toMatchObject({
      kind: 'file_metadata',
      source: '/usr/bin/tool',
      path: '/usr/bin/tool',
      exists: true,
      size: 6,
      mode: '104755',
      mtime: '2026-11-01T12:00:00.000Z',
      sha256: sha256('hello\n'),
      referenced_by: ['startup_item:/usr/bin/tool'],
      error: null,
    });
    expect(record?.uid).toBe(process.getuid?.());
    expect(record?.owner).toBeNull(); // the root has no /etc/passwd
    expect(errors).toEqual([]);
  });

  it('names the owner from the root’s passwd', async () => {
    await put(root, '/etc/passwd', `someone:x:${process.getuid?.() ?? 0}:0::/:/bin/sh\n`);
    await put(root, '/bin/x', 'x');
    const [record] = await describeAll([ref('/bin/x')]);
    expect(record?.owner).toBe('someone');
  });

  it('follows symlinks inside the root but keeps the referenced path', async () => {
    await put(root, '/usr/bin/dash', 'dash!', { mode: 0o755 });
    await link(root, '/bin/sh', '/usr/bin/dash');
    await link(root, '/usr/bin/sh2', '../bin/dash');
    const records = await describeAll([ref('/bin/sh'), ref('/usr/bin/sh2')]);
    for (const record of records) {
      expect(record).toMatchObject({ exists: true, size: 5, mode: '100755', sha256: sha256('dash!') });
    }
    expect(records.map((r) => r.path)).toEqual(['/bin/sh', '/usr/bin/sh2']);
  });

  it('reports a missing file as exists: false without an error', async () => {
    await link(root, '/usr/bin/dangling', '/nowhere');
    const records = await describeAll([ref('/usr/bin/absent'), ref('/usr/bin/dangling')]);
    for (const record of records) {
      expect(record).toMatchObject({
        exists: false,
        size: null,
        mode: null,
        uid: null,
        mtime: null,
        btime: null,
        sha256: null,
        error: null,
      });
    }
    expect(errors).toEqual([]);
  });

  it('describes a directory without hashing it', async () => {
    await mkdir(join(root, 'opt/dir'), { recursive: true });
    const [record] = await describeAll([ref('/opt/dir')]);
    expect(record).toMatchObject({ exists: true, sha256: null, error: null });
    expect(record?.mode).toMatch(/^040\d{3}$/);
  });

  it('does not hash files over the limit and says so', async () => {
    await put(root, '/big', 'x'.repeat(100));
    const [record] = await describeAll([ref('/big')], { maxHashBytes: 99 });
    expect(record).toMatchObject({
      exists: true,
      size: 100,
      sha256: null,
      error: 'larger than 99 bytes; not hashed',
    });
  });

  it('hashes in chunks: a file of several MiB', async () => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => i % 251);
    await put(root, '/big', data);
    const [record] = await describeAll([ref('/big')]);
    expect(record?.sha256).toBe(sha256(data));
  });

  it('fills error and reports a path it cannot resolve', async () => {
    await link(root, '/loop', '/loop');
    const [record] = await describeAll([ref('/loop')]);
    expect(record).toMatchObject({
      exists: false,
      sha256: null,
      error: 'too many levels of symbolic links: /loop',
    });
    expect(errors).toEqual([
      expect.objectContaining({ collector: 'file_metadata', path: '/loop', code: 'DATA_INVALID' }),
    ]);
  });

  it.runIf(process.platform === 'linux')('live, hashes through readVia when the path is gone', async () => {
    const exe = realpathSync(process.execPath);
    const [record] = await describeAll([ref('/nonexistent/deleted-node', `/proc/${process.pid}/exe`)], {
      live: true,
      root: '/',
    });
    expect(record).toMatchObject({ path: '/nonexistent/deleted-node', exists: false, error: null });
    expect(record?.sha256).toBe(sha256(readFileSync(exe)));
  });

  it('formats modes as six octal digits', () => {
    expect(formatMode(0o100755)).toBe('100755');
    expect(formatMode(0o40700)).toBe('040700');
    expect(formatMode(0o120777)).toBe('120777');
  });
});
