import { assertRecord, type ExecutionEvidence, type FileMetadata } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { expectedToolOutput, toMicroseconds } from '../testing/sample-files.js';
import { runCollector, windowsRoot } from '../testing/windows-root.js';
import { amcacheCollector, amcacheSha1, prefetchCollector, shimCacheCollector } from './execution.js';

function evidence(records: readonly unknown[]): ExecutionEvidence[] {
  for (const record of records) assertRecord(record);
  return records as ExecutionEvidence[];
}

const PREFETCH = [
  'CMD.EXE-087B4001.pf',
  'PING.EXE-B29F6629.pf',
  'TASKHOST.EXE-3AE259FC.pf',
  'NOTEPAD.EXE-D8414F97.pf',
  'BYTECODEGENERATOR.EXE-C1E9BCE6.pf',
];

describe('prefetch', () => {
  it('every sample: name, run count, run times and volume as the reference parser read them', async () => {
    const files: Record<string, { sample: string }> = {};
    for (const name of PREFETCH) files[`Windows/Prefetch/${name}`] = { sample: `prefetch/${name}` };
    const { records, errors } = await runCollector(prefetchCollector, await windowsRoot(files));
    expect(errors).toEqual([]);
    const found = evidence(records);
    expect(found).toHaveLength(PREFETCH.length);
    for (const name of PREFETCH) {
      const want = expectedToolOutput(`prefetch/${name}`) as {
        exe: string;
        run_count: number;
        last_run: string[];
        volumes: { serial: string }[];
      };
      const record = found.find((r) => r.source.endsWith(`\\${name}`));
      expect(record, name).toMatchObject({
        artifact: 'prefetch',
        name: want.exe,
        run_count: want.run_count,
        executed: true,
        volume_serial: want.volumes[0]?.serial,
      });
      expect(record?.run_times?.map(toMicroseconds)).toEqual(want.last_run.map(toMicroseconds));
      expect(record?.last_run).toBe(record?.run_times?.[0]);
      expect(record?.path?.toUpperCase().endsWith(`\\${want.exe}`)).toBe(true);
    }
    expect(found.find((r) => r.name === 'NOTEPAD.EXE')?.path).toBe(
      '\\VOLUME{01d3096ba3a46863-2ca3d1ae}\\WINDOWS\\SYSTEM32\\NOTEPAD.EXE',
    );
  });

  it('a program on the system volume gets file_metadata; a damaged file is an error entry', async () => {
    const { records, files, errors } = await runCollector(
      prefetchCollector,
      await windowsRoot({
        'Windows/Prefetch/NOTEPAD.EXE-D8414F97.pf': { sample: 'prefetch/NOTEPAD.EXE-D8414F97.pf' },
        'Windows/Prefetch/JUNK.EXE-00000000.pf': 'junk',
        'Windows/System32/notepad.exe': 'MZ',
      }),
    );
    expect(evidence(records).map((r) => r.name)).toEqual(['NOTEPAD.EXE']);
    expect(errors).toEqual([
      expect.objectContaining({ code: 'DATA_INVALID', path: 'C:\\Windows\\Prefetch\\JUNK.EXE-00000000.pf' }),
    ]);
    expect((files as FileMetadata[]).map((f) => [f.path, f.exists, f.referenced_by])).toEqual([
      [
        'C:\\WINDOWS\\SYSTEM32\\NOTEPAD.EXE',
        true,
        ['execution_evidence:C:\\Windows\\Prefetch\\NOTEPAD.EXE-D8414F97.pf'],
      ],
    ]);
  });
});

describe('amcache', () => {
  it('Windows 10 (InventoryApplicationFile): 30 entries with path, SHA-1, size, publisher and first seen', async () => {
    const root = await windowsRoot({
      'Windows/AppCompat/Programs/Amcache.hve': { sample: 'registry/Amcache_plaso_win10.hve.gz' },
    });
    const { records, errors, files } = await runCollector(amcacheCollector, root);
    expect(errors).toEqual([]);
    const found = evidence(records);
    expect(found).toHaveLength(30);
    expect(found.find((r) => r.name === '7z.exe')).toMatchObject({
      artifact: 'amcache',
      path: 'c:\\program files\\7-zip\\7z.exe',
      sha1: '6c7ea8bbd435163ae3945cbef30ef6b9872a4591',
      size: 468992,
      publisher: 'igor pavlov',
      product: '7-zip',
      version: '19.00',
      first_seen: expect.stringMatching(/^2019-12-16T21:01:12\.\d{7}Z$/),
      registry_key: 'Root\\InventoryApplicationFile\\7z.exe|afe683e0fa522625',
      executed: null,
    });
    // Execution evidence names programs the volume does not hold: no file_metadata for those.
    expect(files).toEqual([]);
  });

  it("the transitional hive (Root\\File and InventoryApplicationFile): every entry, regipy's 1,367", async () => {
    const root = await windowsRoot({
      'Windows/AppCompat/Programs/Amcache.hve': { sample: 'registry/Amcache_plaso_win8_mixed.hve.gz' },
    });
    const found = evidence((await runCollector(amcacheCollector, root)).records);
    const counts = expectedToolOutput('registry/Amcache_plaso_win8_mixed.hve.gz')?.amcache as Record<
      string,
      number
    >;
    expect(found).toHaveLength((counts.File_entries ?? 0) + (counts.InventoryApplicationFile ?? 0));
    expect(found).toHaveLength(1367);
    // MANIFEST: "entry full_path C:\Windows\system32\TPVMMondeu.dll sha1 056f4b9d9ec9b5dc548e1b460da889e44089d76f".
    expect(found.find((r) => r.path?.toLowerCase() === 'c:\\windows\\system32\\tpvmmondeu.dll')?.sha1).toBe(
      '056f4b9d9ec9b5dc548e1b460da889e44089d76f',
    );
    const setup = found.find(
      (r) => r.path === 'c:\\users\\user\\appdata\\local\\temp\\vmware-user\\000052fe\\setup64.exe',
    );
    expect(setup).toMatchObject({
      publisher: 'VMware, Inc.',
      product: 'VMware Tools',
      version: '10.1.6.5214329',
      size: 57353160,
      sha1: 'e992f0c2aa48b763b5f7109ea16b8f800436c27e',
      last_modified: expect.stringMatching(/^2017-/),
    });
  });

  it('takes a SHA-1 only from a well-formed FileId', () => {
    expect(amcacheSha1('0000056F4B9D9EC9B5DC548E1B460DA889E44089D76F')).toBe(
      '056f4b9d9ec9b5dc548e1b460da889e44089d76f',
    );
    expect(amcacheSha1('056f4b9d9ec9b5dc548e1b460da889e44089d76f')).toBeNull();
    expect(amcacheSha1(null)).toBeNull();
  });
});

describe('shimcache', () => {
  // MANIFEST: 330 entries per control set, first mfeann.exe 2011-01-12T12:08:00Z; EXPECTED: last bfsvc.exe.
  it('SYSTEM_regipy_win7x86: the 330 entries of the current control set, most recent first', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SYSTEM': { sample: 'registry/SYSTEM_regipy_win7x86.gz' },
    });
    const { records, errors, log } = await runCollector(shimCacheCollector, root);
    expect(errors).toEqual([]);
    const found = evidence(records);
    expect(found).toHaveLength(330);
    expect(found[0]).toMatchObject({
      artifact: 'shimcache',
      path: '\\??\\C:\\Program Files\\McAfee\\VirusScan Enterprise\\mfeann.exe',
      name: 'mfeann.exe',
      position: 0,
      last_modified: '2011-01-12T12:08:00.0000000Z',
      registry_key: 'HKLM\\SYSTEM\\ControlSet001\\Control\\Session Manager\\AppCompatCache',
      source: 'C:\\Windows\\System32\\config\\SYSTEM',
    });
    expect(found.at(-1)?.path).toBe('\\??\\C:\\Windows\\bfsvc.exe');
    expect(found.every((r) => r.executed === true || r.executed === false)).toBe(true);
    expect(log.some((l) => l.includes('layout vista-7-x86, 330 entries'))).toBe(true);
  });

  it('no SYSTEM hive: a log line, no records', async () => {
    const { records, log } = await runCollector(shimCacheCollector, await windowsRoot({ 'x.txt': 'x' }));
    expect(records).toEqual([]);
    expect(log).toContain('shimcache: no SYSTEM hive');
  });
});
