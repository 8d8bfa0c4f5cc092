/**
 * Acceptance of issue 11: `triage-collect run --root DIR --os windows` over
 * a folder laid out like a Windows system volume (built from the shared
 * samples by `buildWindowsVolume`) gives a sealed collection whose every
 * record is valid against the published docs/schema/artifact-v2.schema.json,
 * with the users, logons, startup items and execution evidence the samples'
 * MANIFEST and reference parsers list; and `importCollection` (the
 * importer's library path) imports it, one row per record, visible in the
 * per-kind views and the triage rules.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  ArtifactRecord,
  ExecutionEvidence,
  FileMetadata,
  LoginEvent,
  StartupItem,
  UserAccount,
} from '@triage/artifact-schema';
import { hits, importCollection, openCaseStore } from '@triage/case-store';
import { type CollectionContents, openCollection, readCollection } from '@triage/collection';
import {
  buildWindowsVolume,
  STAND_INS,
  WINDOWS_SAMPLES_DIR,
  type WindowsVolume,
  windowsSampleManifest,
} from '@triage/testkit';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, examiner, workDir } from './testing/support.js';

const PUBLISHED = new URL('../../../docs/schema/artifact-v2.schema.json', import.meta.url);

/** EXPECTED_tool_output.json's entry for a sample: each reference parser's object. */
async function expectedOutput(file: string): Promise<Record<string, Record<string, unknown>>> {
  const all = JSON.parse(await readFile(join(WINDOWS_SAMPLES_DIR, 'EXPECTED_tool_output.json'), 'utf8')) as {
    files: Record<string, Record<string, Record<string, unknown>>>;
  };
  return all.files[file] ?? {};
}

/** An ISO time cut to whole seconds, as MANIFEST.md writes them. */
const seconds = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19)}Z` : null);

let dir: string;
let volume: WindowsVolume;
let keys: ReturnType<typeof examiner>;
let result: {
  file: string;
  manifestSha256: string;
  counts: Record<string, number>;
  os: string;
  records: number;
};
let contents: CollectionContents;
const of = <K extends ArtifactRecord['kind']>(kind: K) =>
  contents.records.filter((r): r is Extract<ArtifactRecord, { kind: K }> => r.kind === kind);

beforeAll(async () => {
  dir = await workDir();
  volume = await buildWindowsVolume(join(dir, 'volume'));
  keys = examiner();
  const run = await cli(
    [
      'run',
      '--no-upload',
      '--root',
      volume.root,
      '--os',
      'windows',
      '--recipient',
      keys.recipient,
      '--case',
      'IR-W',
      '--host',
      'ws-win',
      '--json',
      '--quiet',
    ],
    dir,
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  result = JSON.parse(run.stdout);
  contents = await readCollection(await readFile(result.file), { identities: [keys.identity] });
}, 180_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('triage-collect run --root VOLUME --os windows', () => {
  it('seals a collection of schema version 2 whose every record the published schema accepts', async () => {
    expect(result.os).toBe('windows');
    expect(contents.manifestSha256).toBe(result.manifestSha256);
    expect(contents.header.schema_version).toBe(2);
    expect(contents.manifest.errors).toEqual([]);
    const validate = new Ajv({ strict: true, allErrors: true }).compile(
      JSON.parse(await readFile(PUBLISHED, 'utf8')) as object,
    );
    const invalid = contents.records.filter((r) => !validate(r));
    expect(invalid).toEqual([]);
    expect(contents.records.length).toBe(result.records);
    for (const kind of [
      'host_info',
      'user_account',
      'login_event',
      'startup_item',
      'execution_evidence',
      'file_metadata',
    ]) {
      expect(result.counts[kind] ?? 0, kind).toBeGreaterThan(0);
    }
    expect(of('host_info')).toEqual([
      expect.objectContaining({
        os_id: 'windows',
        os_name: 'Windows 10 Pro',
        hostname: 'WKS-WIN732BITA',
        live: false,
      }),
    ]);
    // Paths are the volume's Windows paths, never the folder it was read from.
    expect(JSON.stringify(contents.records)).not.toContain(volume.root);
  });

  it("users: the SAM's accounts with the RIDs, flags, logon counts and times MANIFEST.md lists", async () => {
    const manifest = await windowsSampleManifest();
    const sam = volume.placed.find((p) => p.path === 'Windows/System32/config/SAM');
    const contains = manifest.find((m) => m.file === sam?.file)?.contains ?? '';
    const facts = [...contains.matchAll(/(\d+) (\w+) \(([^)]*)\)/g)].map((m) => ({
      rid: Number(m[1]),
      name: m[2],
      uac: /0x[0-9a-f]+/.exec(m[3] ?? '')?.[0],
      logons: Number(
        /logons (\d+)|(\d+) logons/
          .exec(m[3] ?? '')
          ?.slice(1)
          .find((x) => x !== undefined),
      ),
      lastLogon: /last logon (\S+?Z)/.exec(m[3] ?? '')?.[1] ?? null,
      passwordSet: /pwd set (\S+?Z)/.exec(m[3] ?? '')?.[1] ?? null,
    }));
    expect(facts).toHaveLength(3);
    const users = of('user_account') as UserAccount[];
    expect(
      users.map((u) => ({
        rid: u.rid,
        name: u.username,
        uac: `0x${(u.account_control ?? 0).toString(16)}`,
        logons: u.logon_count,
        lastLogon: seconds(u.last_logon),
        passwordSet: seconds(u.password_last_set),
      })),
    ).toEqual(facts);
    expect(users.find((u) => u.rid === 500)).toMatchObject({ disabled: true, password_status: 'disabled' });
  });

  it('logons: every 4624/4625/4634/4647/4648/4672 of every Security log python-evtx counted, and the RDP 1149s', async () => {
    const expected: Record<number, number> = {};
    for (const placed of volume.placed) {
      if (!/Security\.evtx$|Archive-Security-/.test(placed.path)) continue;
      const ids = ((await expectedOutput(placed.file)).evtx_python_evtx?.ids ?? {}) as Record<string, number>;
      for (const [key, count] of Object.entries(ids)) {
        const id = Number(key.split(':')[1]);
        if ([4624, 4625, 4634, 4647, 4648, 4672].includes(id)) expected[id] = (expected[id] ?? 0) + count;
      }
    }
    const logons = of('login_event') as LoginEvent[];
    const actual: Record<number, number> = {};
    for (const l of logons)
      if (l.event_id !== 1149) actual[l.event_id as number] = (actual[l.event_id as number] ?? 0) + 1;
    expect(actual).toEqual(expected);
    const rdp = logons.filter((l) => l.event_id === 1149);
    expect(rdp).toHaveLength(5);
    expect(rdp[0]).toMatchObject({
      event: 'login',
      success: true,
      user: 'mpowers',
      remote_address: '174.127.93.2',
    });
    expect(
      logons.find((l) => l.event === 'failed_login' && l.remote_address === '23.94.153.202'),
    ).toMatchObject({
      user: 'Administrator',
      logon_type: 10,
    });
  });

  it('startup items: Run keys of the machine and every user, IFEO, Winlogon, services, installs, tasks, Startup folders', async () => {
    const items = of('startup_item') as StartupItem[];
    const spec = JSON.parse(
      await readFile(join(WINDOWS_SAMPLES_DIR, 'registry/SOFTWARE_synthetic_fixture.spec.json'), 'utf8'),
    ) as { keys: Record<string, Record<string, [string, string]>> };
    for (const [key, values] of Object.entries(spec.keys)) {
      if (!/\\Run(Once)?$/.test(key)) continue;
      for (const [name, [, command]] of Object.entries(values)) {
        expect(
          items.find((i) => i.registry_value === name && i.user === null)?.command,
          `${key}\\${name}`,
        ).toBe(command);
      }
    }
    const nfury = (await expectedOutput('registry/NTUSER_plaso_win7_nfury.DAT.gz')).registry_python_registry
      ?.ntuser as {
      Run: Record<string, string>;
    };
    for (const [name, command] of Object.entries(nfury.Run)) {
      expect(items.find((i) => i.user === 'nfury' && i.name === name)?.command).toBe(command);
    }
    expect(items.find((i) => i.mechanism === 'ifeo_debugger')).toMatchObject({
      name: 'sethc.exe',
      command: 'C:\\Windows\\System32\\cmd.exe',
    });
    expect(items.filter((i) => i.mechanism === 'winlogon').map((i) => i.name)).toEqual(['Shell', 'Userinit']);
    expect(items.filter((i) => i.mechanism === 'scheduled_task').find((i) => i.hidden)).toMatchObject({
      name: '\\WindowsUpdateHelper',
      user: 'S-1-5-18',
    });
    expect(items.filter((i) => i.mechanism === 'startup_folder')).toHaveLength(
      volume.placed.filter((p) => p.path.includes('/Start Menu/Programs/')).length,
    );
    expect(items.find((i) => i.mechanism === 'service_install' && i.name === 'WCESERVICE')).toMatchObject({
      command: 'D:\\Service\\test.exe',
      event_time: '2020-12-17T10:38:33.9511809Z',
    });
    expect(items.find((i) => i.mechanism === 'service' && i.name === 'Schedule')?.service_dll).toBe(
      '%systemroot%\\system32\\schedsvc.dll',
    );
  });

  it('execution evidence: Prefetch run counts, Amcache entries with SHA-1, the ShimCache in order', async () => {
    const evidence = of('execution_evidence') as ExecutionEvidence[];
    const prefetch = evidence.filter((e) => e.artifact === 'prefetch');
    for (const placed of volume.placed.filter((p) => p.path.startsWith('Windows/Prefetch/'))) {
      const want = (await expectedOutput(placed.file)).prefetch_own_parser as {
        exe: string;
        run_count: number;
      };
      expect(prefetch.find((e) => e.name === want.exe)?.run_count, want.exe).toBe(want.run_count);
    }
    const amcache = evidence.filter((e) => e.artifact === 'amcache');
    expect(amcache).toHaveLength(30);
    expect(amcache.every((e) => e.sha1 === null || /^[0-9a-f]{40}$/.test(e.sha1))).toBe(true);
    expect(amcache.filter((e) => e.sha1 !== null).length).toBeGreaterThan(20);
    const shim = evidence.filter((e) => e.artifact === 'shimcache');
    expect(shim).toHaveLength(330);
    expect(shim[0]).toMatchObject({
      name: 'mfeann.exe',
      position: 0,
      last_modified: '2011-01-12T12:08:00.0000000Z',
    });
  });

  it('file_metadata: SHA-256 of every program the startup items name that is in the volume', () => {
    const files = of('file_metadata') as FileMetadata[];
    for (const [path, text] of Object.entries(STAND_INS)) {
      const record = files.find(
        (f) => f.path.toLowerCase() === `c:\\${path.replaceAll('/', '\\')}`.toLowerCase(),
      );
      expect(record, path).toMatchObject({
        exists: true,
        sha256: createHash('sha256').update(text).digest('hex'),
      });
    }
  });

  it('imports with importCollection: one row per record, the views per kind, and the Windows triage rules', async () => {
    const store = openCaseStore(join(dir, 'case.sqlite'));
    try {
      const imported = await importCollection(store, {
        source: await readFile(result.file),
        custody: { kind: 'file', path: result.file },
        identities: [keys.identity],
        examiner: 'eve',
        open: (source, options) => openCollection(source, options),
      });
      expect(imported).toMatchObject({ outcome: 'imported', records: result.records, counts: result.counts });
      const rows = store.db
        .prepare('SELECT kind, count(*) AS n FROM artifacts GROUP BY kind ORDER BY kind')
        .all() as { kind: string; n: number }[];
      expect(Object.fromEntries(rows.map((r) => [r.kind, r.n]))).toEqual(result.counts);
      const view = (name: string) => store.db.prepare(`SELECT count(*) FROM ${name}`).pluck().get();
      for (const kind of Object.keys(result.counts))
        expect(view(`v_${kind}`), kind).toBe(result.counts[kind]);
      expect(
        store.db.prepare('SELECT username, rid, disabled FROM v_user_account WHERE rid = 500').get(),
      ).toEqual({ username: 'Administrator', rid: 500, disabled: 1 });
      expect(
        store.db
          .prepare(
            "SELECT count(*) FROM v_login_event WHERE event_id = 1149 AND remote_address = '174.127.93.2'",
          )
          .pluck()
          .get(),
      ).toBe(2);
      expect(
        store.db
          .prepare("SELECT count(*) FROM v_execution_evidence WHERE artifact = 'prefetch'")
          .pluck()
          .get(),
      ).toBe(5);
      expect(
        store.db
          .prepare(
            "SELECT time FROM artifacts WHERE kind = 'execution_evidence' AND json_extract(json, '$.artifact') = 'prefetch' AND json_extract(json, '$.name') = 'NOTEPAD.EXE'",
          )
          .pluck()
          .get(),
      ).toBe('2019-06-05T19:55:04.8777787Z');
      const found = hits(store, { rules: ['ifeo-debugger', 'runs-from-temp'] });
      expect(
        found.filter((h) => h.rule === 'ifeo-debugger').map((h) => (h.record as StartupItem).name),
      ).toEqual(['sethc.exe']);
      // C:\Users\Public\policyrun.exe, a RunOnce deleting from C:\Windows\Temp, and (System_omer_7045) a
      // service installed from C:\Users\tony\AppData\Local\Temp\…\pathfinder.exe.
      expect(
        found
          .filter((h) => h.rule === 'runs-from-temp')
          .map((h) => (h.record as StartupItem).name)
          .sort(),
      ).toEqual(['1', 'Cleanup', 'Pathfinder']);
    } finally {
      store.close();
    }
  });
});

describe('--os', () => {
  it('--os windows without --root on a host that is not Windows is a usage error, before anything is collected', async () => {
    const here = await workDir();
    const run = await cli(
      ['run', '--no-upload', '--os', 'windows', '--recipient', examiner().recipient, '--case', 'c'],
      here,
    );
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('--os windows collects this host live only on Windows');
    expect(run.stderr).toContain('[USAGE]');
  });

  it('--os takes only linux or windows', async () => {
    const run = await cli(
      ['run', '--no-upload', '--os', 'macos', '--root', '/', '--recipient', examiner().recipient],
      await workDir(),
    );
    expect(run.code).toBe(64);
  });

  it('on a Windows host the default is a live Windows collection, through the exported copies', async () => {
    const here = await workDir();
    const local = await buildWindowsVolume(join(here, 'C'), { standIns: false });
    let cleaned = false;
    const run = await cli(
      [
        'run',
        '--no-upload',
        '--recipient',
        examiner().recipient,
        '--case',
        'c',
        '--only',
        'user_account',
        '--json',
        '--quiet',
      ],
      here,
      {},
      {
        platform: 'win32',
        exportWindowsLive: async () => ({
          root: local.root,
          systemDrive: 'C:',
          exports: {
            'Windows\\System32\\config\\SAM': join(local.root, 'Windows', 'System32', 'config', 'SAM'),
          },
          errors: [
            {
              collector: 'live_export',
              code: 'PERMISSION_DENIED',
              message: 'reg save HKLM\\SECURITY: denied',
            },
          ],
          cleanup: async () => {
            cleaned = true;
          },
        }),
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as {
      os: string;
      counts: Record<string, number>;
      collectorErrors: unknown[];
    };
    expect(out.os).toBe('windows');
    expect(out.counts).toEqual({ user_account: 3 });
    expect(out.collectorErrors).toEqual([
      expect.objectContaining({ collector: 'live_export', code: 'PERMISSION_DENIED' }),
    ]);
    expect(cleaned).toBe(true);
  });
});
