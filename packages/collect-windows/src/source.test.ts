import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { bufferSource, fileSource } from './source.js';

describe('byte sources', () => {
  it('read the same bytes from memory and from a file, short only at the end', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const dir = await mkdtemp(join(tmpdir(), 'triage-source-'));
    try {
      await writeFile(join(dir, 'f'), bytes);
      for (const source of [bufferSource(bytes), await fileSource(join(dir, 'f'))]) {
        expect(source.size).toBe(1000);
        expect([...(await source.read(10, 5))]).toEqual([10, 11, 12, 13, 14]);
        expect((await source.read(990, 100)).length).toBe(10);
        expect((await source.read(1000, 10)).length).toBe(0);
        expect((await source.read(5000, 10)).length).toBe(0);
        await source.close();
      }
      const missing = await fileSource(join(dir, 'nope')).catch((e: unknown) => e);
      expect(isTriageError(missing, 'NOT_FOUND')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
