import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWindowsVolume, STAND_INS, windowsSampleManifest } from './windows-volume.js';

describe('buildWindowsVolume', () => {
  it('places each sample at its canonical path, original bytes, later logs as archives, later hives left out', async () => {
    const root = await mkdtemp(join(tmpdir(), 'triage-volume-test-'));
    try {
      const volume = await buildWindowsVolume(root);
      const manifest = new Map((await windowsSampleManifest()).map((m) => [m.file, m]));
      for (const { file, path } of volume.placed) {
        const bytes = await readFile(join(root, ...path.split('/')));
        expect(createHash('sha256').update(bytes).digest('hex'), file).toBe(manifest.get(file)?.raw_sha256);
      }
      const paths = volume.placed.map((p) => p.path);
      expect(paths).toContain('Windows/System32/config/SAM');
      expect(paths).toContain('Windows/System32/winevt/Logs/Security.evtx');
      expect(
        paths.filter((p) => /Logs\/Archive-Security-2000-01-01-00-00-\d\d-000\.evtx$/.test(p)).length,
      ).toBe(6);
      expect(paths).toContain('Windows/System32/winevt/Logs/Archive-System-2000-01-01-00-00-05-000.evtx');
      expect(new Set(paths.map((p) => p.toLowerCase())).size).toBe(paths.length);
      expect(volume.skipped.map((s) => s.file)).toEqual(
        expect.arrayContaining([
          'registry/SAM_ez_xp_dupename',
          'registry/Amcache_plaso_win8_mixed.hve.gz',
          'tasks/EXPECTED.json',
        ]),
      );
      expect(volume.placed.length + volume.skipped.length).toBe(manifest.size);
      for (const [path, text] of Object.entries(STAND_INS)) {
        expect(await readFile(join(root, ...path.split('/')), 'utf8')).toBe(text);
      }
      expect(volume.standIns).toEqual(Object.keys(STAND_INS));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('can leave the stand-ins out', async () => {
    const root = await mkdtemp(join(tmpdir(), 'triage-volume-test-'));
    try {
      const volume = await buildWindowsVolume(root, { standIns: false });
      expect(volume.standIns).toEqual([]);
      await expect(stat(join(root, 'ProgramData', 'upd', 'svchost.exe'))).rejects.toMatchObject({
        code: 'ENOENT',
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
