import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decryptBytes, decryptFile, encryptBytes, encryptFile, toReadableStream } from './io.js';
import { generateExaminerKeyPair } from './keys.js';
import { codeOf } from './test-support.js';

const examiner = generateExaminerKeyPair();

async function* generate(): AsyncIterable<Uint8Array> {
  yield new Uint8Array([1, 2]);
  yield new Uint8Array([3]);
}

describe('byte helpers', () => {
  it('accept a Uint8Array, an async iterable or a ReadableStream', async () => {
    const sources = [new Uint8Array([1, 2, 3]), generate(), toReadableStream(new Uint8Array([1, 2, 3]))];
    for (const source of sources) {
      const envelope = await encryptBytes(source, { recipients: [examiner.recipient] });
      expect(Array.from(await decryptBytes(envelope, { identities: [examiner.identity] }))).toEqual([
        1, 2, 3,
      ]);
    }
  });

  it('validate options synchronously', () => {
    expect(() => encryptBytes(new Uint8Array(1), { recipients: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      encryptBytes(new Uint8Array(1), { recipients: [examiner.recipient, { password: 'x' }] }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encryptBytes(new Uint8Array(1), { recipients: [{ password: '' }] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      encryptBytes(new Uint8Array(1), { recipients: [examiner.recipient], chunkSize: 1000 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encryptBytes(new Uint8Array(1), { recipients: ['triage1nope'] })).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
    expect(() => decryptBytes(new Uint8Array(1), { identities: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('file helpers', () => {
  async function setup() {
    const dir = await mkdtemp(join(tmpdir(), 'envelope-files-'));
    const plain = join(dir, 'collection.ndjson');
    await writeFile(plain, Buffer.alloc(300_000, 7));
    return { dir, plain, sealed: join(dir, 'collection.tri'), opened: join(dir, 'opened.ndjson') };
  }

  it('encrypt and decrypt files to new 0600 files', async () => {
    const { plain, sealed, opened } = await setup();
    await encryptFile(plain, sealed, { recipients: [examiner.recipient] });
    await decryptFile(sealed, opened, { identities: [examiner.identity] });
    expect(await readFile(opened)).toEqual(await readFile(plain));
    expect((await stat(sealed)).mode & 0o777).toBe(0o600);
    expect((await stat(opened)).mode & 0o777).toBe(0o600);
  });

  it('leave no output at all when decryption fails, and no temporary file', async () => {
    const { dir, plain, sealed, opened } = await setup();
    await encryptFile(plain, sealed, { recipients: [examiner.recipient] });
    const bytes = await readFile(sealed);
    await writeFile(sealed, bytes.subarray(0, bytes.length - 100_000)); // cut off
    expect(await codeOf(decryptFile(sealed, opened, { identities: [examiner.identity] }))).toBe(
      'ENVELOPE_TAMPERED',
    );
    const other = generateExaminerKeyPair();
    expect(await codeOf(decryptFile(sealed, opened, { identities: [other.identity] }))).toBe(
      'ENVELOPE_NO_MATCHING_IDENTITY',
    );
    expect((await readdir(dir)).sort()).toEqual(['collection.ndjson', 'collection.tri']);
  });

  it('never overwrite an existing output', async () => {
    const { plain, sealed } = await setup();
    await writeFile(sealed, 'already here');
    expect(await codeOf(encryptFile(plain, sealed, { recipients: [examiner.recipient] }))).toBe(
      'ALREADY_EXISTS',
    );
    expect(await readFile(sealed, 'utf8')).toBe('already here');
  });

  it('report a missing source and honour an abort signal', async () => {
    const { dir, plain, sealed } = await setup();
    expect(await codeOf(encryptFile(join(dir, 'nope'), sealed, { recipients: [examiner.recipient] }))).toBe(
      'NOT_FOUND',
    );
    expect(
      await codeOf(
        encryptFile(plain, sealed, { recipients: [examiner.recipient], signal: AbortSignal.abort() }),
      ),
    ).toBe('ABORTED');
    expect((await readdir(dir)).sort()).toEqual(['collection.ndjson']);
  });
});
