/**
 * The whole of collectWindows over a volume built from every sample
 * (`buildWindowsVolume` of the test kit), and its contract: isolation of
 * collectors, kind selection, exports, abort, bad arguments.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ArtifactRecord,
  type LoginEvent,
  type StartupItem,
  validateRecord,
} from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { buildWindowsVolume, STAND_INS, type WindowsVolume } from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_NOW, windowsRoot } from '../testing/windows-root.js';
import { collectWindows, type WindowsCollectOptions } from './collect.js';

interface Run {
  readonly records: ArtifactRecord[];
  readonly errors: CollectorError[];
  readonly log: string[];
}

async function collect(options: WindowsCollectOptions): Promise<Run> {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const log: string[] = [];
  for await (const record of collectWindows({
    now: () => TEST_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => log.push(l),
    ...options,
  })) {
    records.push(record);
  }
  return { records, errors, log };
}

const count = (records: readonly ArtifactRecord[], test: (r: ArtifactRecord) => boolean) =>
  records.filter(test).length;

let volume: WindowsVolume;
let run: Run;

beforeAll(async () => {
  volume = await buildWindowsVolume(await mkdtemp(join(tmpdir(), 'triage-windows-volume-')));
  run = await collect({ root: volume.root });
}, 120_000);

afterAll(async () => {
  await rm(volume.root, { recursive: true, force: true });
});

describe('collectWindows over the volume built from the samples', () => {
  it('yields valid version 2 records of every Windows kind, without a collector error', () => {
    expect(run.errors).toEqual([]);
    for (const record of run.records)
      expect(validateRecord(record).ok, JSON.stringify(record).slice(0, 200)).toBe(true);
    const kinds = new Set(run.records.map((r) => r.kind));
    expect([...kinds].sort()).toEqual([
      'execution_evidence',
      'file_metadata',
      'host_info',
      'login_event',
      'startup_item',
      'user_account',
    ]);
  });

  it('names files as Windows does, never by the temporary folder they were read from', () => {
    const text = JSON.stringify(run.records) + JSON.stringify(run.log);
    expect(text).not.toContain(volume.root);
    expect(run.records.every((r) => r.source.startsWith('C:\\'))).toBe(true);
  });

  it('host_info from SYSTEM and SOFTWARE', () => {
    expect(run.records.filter((r) => r.kind === 'host_info')).toEqual([
      expect.objectContaining({
        hostname: 'WKS-WIN732BITA',
        os_id: 'windows',
        os_name: 'Windows 10 Pro',
        os_version: '19045',
        timezone: 'Eastern Standard Time',
        live: false,
        source: 'C:\\Windows\\System32\\config\\SYSTEM',
      }),
    ]);
  });

  it('users from the SAM, logons from every Security log and the RDP log', () => {
    expect(
      run.records.filter((r) => r.kind === 'user_account').map((r) => (r as { username: string }).username),
    ).toEqual(['Administrator', 'Guest', 'gold_administrator']);
    const logons = run.records.filter((r): r is LoginEvent => r.kind === 'login_event');
    const byId = (id: number) => logons.filter((l) => l.event_id === id).length;
    // Security_omer_security 583 + runascs 1 + bruteforce 2, and RemoteConnectionManager's 5 1149s.
    expect(byId(4624)).toBe(586);
    expect(byId(1149)).toBe(5);
    expect(byId(4625)).toBe(6);
    expect(byId(4672)).toBe(459);
    // The two Security samples without logon events (4720, 4698) add none.
    expect([...new Set(logons.map((l) => l.source.split('\\').at(-1)))].sort()).toEqual([
      'Archive-Security-2000-01-01-00-00-01-000.evtx',
      'Archive-Security-2000-01-01-00-00-03-000.evtx',
      'Archive-Security-2000-01-01-00-00-04-000.evtx',
      'Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx',
      'Security.evtx',
    ]);
  });

  it('startup items of every mechanism the samples hold', () => {
    const items = run.records.filter((r): r is StartupItem => r.kind === 'startup_item');
    const mechanisms: Record<string, number> = {};
    for (const item of items) mechanisms[item.mechanism] = (mechanisms[item.mechanism] ?? 0) + 1;
    expect(mechanisms).toMatchObject({
      // SOFTWARE: Run 3, Policies 1, Wow6432Node 1; nfury 2, vibranium 1, x (tony) 1.
      run_key: 9,
      // SOFTWARE Cleanup, vibranium mctadmin.
      run_once_key: 2,
      winlogon: 2,
      ifeo_debugger: 1,
      // 4 task XML files, and the legacy wintask.job.
      scheduled_task: 5,
      // 3 common shortcuts, 13 in x's folder.
      startup_folder: 16,
    });
    expect(mechanisms.service).toBeGreaterThan(400);
    expect(mechanisms.service_install).toBeGreaterThanOrEqual(37);
    expect(items.find((i) => i.name === 'Updater')?.executable).toBe('C:\\ProgramData\\upd\\svchost.exe');
  });

  it('execution evidence from Prefetch, Amcache and the ShimCache', () => {
    const by = (artifact: string) =>
      count(run.records, (r) => r.kind === 'execution_evidence' && r.artifact === artifact);
    expect([by('prefetch'), by('amcache'), by('shimcache')]).toEqual([5, 30, 330]);
  });

  it('file_metadata hashes the stand-in programs the startup items name, and marks missing ones', () => {
    const files = run.records.filter((r) => r.kind === 'file_metadata') as Extract<
      ArtifactRecord,
      { kind: 'file_metadata' }
    >[];
    for (const [path, text] of Object.entries(STAND_INS)) {
      const windowsPath = `C:\\${path.replaceAll('/', '\\')}`;
      const record = files.find((f) => f.path.toLowerCase() === windowsPath.toLowerCase());
      expect(record, windowsPath).toMatchObject({
        exists: true,
        size: Buffer.byteLength(text),
        sha256: createHash('sha256').update(text).digest('hex'),
        mode: null,
        uid: null,
        owner: null,
      });
    }
    expect(files.filter((f) => !f.exists).length).toBeGreaterThan(100);
    // Each program once, whatever its case in the records that named it.
    expect(new Set(files.map((f) => f.path.toLowerCase())).size).toBe(files.length);
  });
});

describe('collectWindows contract', () => {
  it('only: the kinds asked for; file_metadata only when asked for', async () => {
    const { records } = await collect({ root: volume.root, only: ['user_account', 'host_info'] });
    expect(new Set(records.map((r) => r.kind))).toEqual(new Set(['host_info', 'user_account']));
    const linuxOnly = await collect({ root: volume.root, only: ['process'] });
    expect(linuxOnly.records).toEqual([]);
  });

  it('a damaged hive fails only the collectors that read it', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SYSTEM': 'not a hive',
      'Windows/System32/config/SAM': { sample: 'registry/SAM_plaso_win7' },
      'Windows/Prefetch/CMD.EXE-087B4001.pf': { sample: 'prefetch/CMD.EXE-087B4001.pf' },
    });
    const { records, errors } = await collect({ root });
    expect(records.filter((r) => r.kind === 'user_account')).toHaveLength(3);
    expect(records.filter((r) => r.kind === 'execution_evidence')).toHaveLength(1);
    // host_info asked first for SYSTEM and reports it; services and shimcache find no SYSTEM after that.
    expect(errors.map((e) => [e.collector, e.code])).toEqual([['host_info', 'DATA_INVALID']]);
  });

  it('reads an exported copy in place of a locked file', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SAM': 'locked: the copy must be read instead',
    });
    const copy = join(await mkdtemp(join(tmpdir(), 'triage-export-')), 'SAM');
    await writeFile(
      copy,
      (await import('../testing/windows-root.js')).sampleBytes('registry/SAM_plaso_win7'),
    );
    const { records, errors } = await collect({
      root,
      live: true,
      exports: { 'windows/system32/CONFIG/sam': copy },
      only: ['user_account', 'host_info'],
    });
    expect(errors).toEqual([]);
    expect(records.map((r) => r.kind)).toEqual(['user_account', 'user_account', 'user_account']);
    expect(records[0]?.source).toBe('C:\\Windows\\System32\\config\\SAM');
  });

  it('writes another system drive into every path', async () => {
    const { records } = await collect({ root: volume.root, systemDrive: 'd:', only: ['user_account'] });
    expect(records[0]?.source).toBe('D:\\Windows\\System32\\config\\SAM');
  });

  it('stops with ABORTED when its signal fires', async () => {
    const controller = new AbortController();
    const records: ArtifactRecord[] = [];
    await expect(
      (async () => {
        for await (const record of collectWindows({ root: volume.root, signal: controller.signal })) {
          records.push(record);
          if (records.length === 10) controller.abort();
        }
      })(),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(records).toHaveLength(10);
  });

  it('refuses a root that is not a folder, an unknown kind and a bad drive', async () => {
    await expect(collect({ root: join(volume.root, 'nothere') })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(collect({ root: volume.root, only: ['registry_key' as never] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(collect({ root: volume.root, systemDrive: 'CC' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
