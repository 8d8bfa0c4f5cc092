import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  absentFileFields,
  describeFileError,
  type FileMetadataFields,
  fileTimes,
  hashFileFields,
  MAX_HASH_BYTES,
} from './file-metadata.js';

let dir: string;
let handles: FileHandle[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'triage-core-files-'));
  handles = [];
});

afterEach(async () => {
  await Promise.all(handles.map((h) => h.close()));
  await rm(dir, { recursive: true, force: true });
});

/** A context that gathers what `ctx.error` is handed. */
function context(signal?: AbortSignal) {
  const errors: [string | undefined, unknown][] = [];
  return {
    errors,
    ctx: { signal, error: (path: string | undefined, cause: unknown) => errors.push([path, cause]) },
  };
}

async function target(name: string, content: string | Uint8Array) {
  const path = join(dir, name);
  await writeFile(path, content);
  const size = (await stat(path)).size;
  let opened = 0;
  return {
    path: `/usr/bin/${name}`,
    size,
    opened: () => opened,
    open: async () => {
      opened++;
      const handle = await open(path, 'r');
      handles.push(handle);
      return handle;
    },
  };
}

const fields = (size: number): FileMetadataFields => ({
  ...absentFileFields('/usr/bin/x', ['startup_item:x']),
  exists: true,
  size,
});

describe('absentFileFields', () => {
  it('is a missing file: exists false, every other field null, a copy of referenced_by; a valid record', () => {
    const by = ['startup_item:a', 'process:1'];
    const { path, exists, referenced_by, ...rest } = absentFileFields('/usr/bin/a', by);
    expect({ path, exists, referenced_by }).toEqual({ path: '/usr/bin/a', exists: false, referenced_by: by });
    expect(referenced_by).not.toBe(by);
    expect(Object.values(rest).every((value) => value === null)).toBe(true);
    const record = { kind: 'file_metadata', source: path, collected_at: '2026-11-23T12:00:00.000Z' };
    expect(() => assertRecord({ ...record, path, exists, referenced_by, ...rest })).not.toThrow();
  });
});

describe('fileTimes', () => {
  it('writes ISO times and leaves a zero birth time out', () => {
    const stats = { mtimeMs: 1_000, atimeMs: 2_000.5, ctimeMs: 3_000, birthtimeMs: 0 } as Stats;
    expect(fileTimes(stats)).toEqual({
      mtime: '1970-01-01T00:00:01.000Z',
      atime: '1970-01-01T00:00:02.000Z',
      ctime: '1970-01-01T00:00:03.000Z',
      btime: null,
    });
    expect(fileTimes({ ...stats, birthtimeMs: 4_000 } as Stats).btime).toBe('1970-01-01T00:00:04.000Z');
  });
});

describe('describeFileError', () => {
  it('names the errno and the given path, never the host path in the message', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: /host/tmp/x`), { code });
    expect(describeFileError(errno('EACCES'), '/usr/bin/x')).toBe('permission denied: /usr/bin/x');
    expect(describeFileError(errno('EPERM'), '/usr/bin/x')).toBe('permission denied: /usr/bin/x');
    expect(describeFileError(errno('ELOOP'), '/usr/bin/x')).toBe(
      'too many levels of symbolic links: /usr/bin/x',
    );
    expect(describeFileError(errno('EIO'), 'C:\\x.exe')).toBe('EIO: C:\\x.exe');
    expect(describeFileError(new TriageError('DATA_INVALID', 'not a regular file'), '/x')).toBe(
      'DATA_INVALID: /x',
    );
    expect(describeFileError(new Error('/host/tmp/x'), '/usr/bin/x')).toBe('could not read /usr/bin/x');
  });
});

describe('hashFileFields', () => {
  it('adds the SHA-256 of the file, read in chunks (larger than one)', async () => {
    const bytes = new Uint8Array(2 * 1024 * 1024 + 17).map((_, i) => i % 251);
    const file = await target('big', bytes);
    const { ctx, errors } = context();
    const result = await hashFileFields(ctx, fields(file.size), file);
    expect(result.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(result.error).toBeNull();
    expect(errors).toEqual([]);
    expect(MAX_HASH_BYTES).toBe(512 * 1024 * 1024);
  });

  it('does not open a file larger than the limit', async () => {
    const file = await target('large', '0123456789');
    const result = await hashFileFields(context().ctx, fields(file.size), file, 9);
    expect(result).toMatchObject({ sha256: null, error: 'larger than 9 bytes; not hashed' });
    expect(file.opened()).toBe(0);
  });

  it('gives up on a file that grows past the limit while being read', async () => {
    const file = await target('growing', '0123456789');
    const result = await hashFileFields(context().ctx, fields(5), { ...file, size: 5 }, 8);
    expect(result).toMatchObject({ sha256: null, error: 'grew past 8 bytes while being read; not hashed' });
  });

  it('reports a read failure with ctx.error and names the label in error', async () => {
    const denied = Object.assign(new Error('EACCES: /host/proc/42/exe'), { code: 'EACCES' });
    const { ctx, errors } = context();
    const result = await hashFileFields(ctx, fields(3), {
      path: '/usr/bin/x',
      label: '/proc/42/exe',
      size: 3,
      open: async () => {
        throw denied;
      },
    });
    expect(result).toMatchObject({ sha256: null, error: 'permission denied: /proc/42/exe' });
    expect(errors).toEqual([['/usr/bin/x', denied]]);
  });

  it('stops with ABORTED when the signal has fired, reporting nothing', async () => {
    const file = await target('aborted', 'abc');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    const { ctx, errors } = context(controller.signal);
    await expect(hashFileFields(ctx, fields(file.size), file)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(errors).toEqual([]);
  });
});
