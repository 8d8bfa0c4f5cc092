import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Journal, JournalWriter, readJournal, writeJournal } from './journal.js';
import { codeOf } from './testing/support.js';

const journal = (parts: number): Journal => ({
  version: 1,
  bucket: 'b',
  key: 'k',
  uploadId: 'u',
  source: { path: '/f', size: 1, mtimeMs: 1 },
  plan: { base: 5 * 1024 * 1024, growing: false },
  createdAt: '2026-11-23T00:00:00.000Z',
  parts: Array.from({ length: parts }, (_, i) => ({
    partNumber: i + 1,
    offset: 0,
    size: 1,
    etag: '"e"',
    sha256: 's',
  })),
});

describe('journal', () => {
  it('round-trips, 0600, and reports a foreign file as CONFIG_INVALID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    await writeJournal(join(dir, 'j'), journal(2));
    expect(await readJournal(join(dir, 'j'))).toEqual(journal(2));
    expect((await stat(join(dir, 'j'))).mode & 0o777).toBe(0o600);
    expect(await readJournal(join(dir, 'missing'))).toBeUndefined();
    await writeJournal(join(dir, 'x'), { nonsense: true } as unknown as Journal);
    expect(await codeOf(readJournal(join(dir, 'x')))).toBe('CONFIG_INVALID');
  });

  it('the writer coalesces snapshots and ends with the newest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    const writer = new JournalWriter(join(dir, 'j'), () => expect.unreachable('no failure expected'));
    for (let i = 1; i <= 50; i++) writer.save(journal(i));
    await writer.flush();
    expect((await readJournal(join(dir, 'j')))?.parts).toHaveLength(50);
  });

  it('reports a write failure once and keeps going', async () => {
    const failures: unknown[] = [];
    const writer = new JournalWriter('/nonexistent-dir/j', (error) => failures.push(error));
    writer.save(journal(1));
    await writer.flush();
    writer.save(journal(2));
    await writer.flush();
    expect(failures).toHaveLength(1);
  });
});
