import { createHash } from 'node:crypto';
import { assertRecord, type FileMetadata, type StartupItem } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { expectedToolOutput, readSample } from '../testing/sample-files.js';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { appInitCollector, ifeoCollector, runKeysCollector, winlogonCollector } from './autoruns.js';

const SOFTWARE = 'Windows/System32/config/SOFTWARE';
const spec = JSON.parse(readSample('registry/SOFTWARE_synthetic_fixture.spec.json').toString('utf8')) as {
  keys: Record<string, Record<string, [string, string | number]>>;
};

function items(records: readonly unknown[]): StartupItem[] {
  for (const record of records) assertRecord(record);
  return records as StartupItem[];
}

describe('run_keys', () => {
  it('SOFTWARE_synthetic_fixture: every Run, RunOnce, policy and 32-bit value of its spec', async () => {
    const root = await windowsRoot({ [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' } });
    const { records, errors } = await runCollector(runKeysCollector, root);
    expect(errors).toEqual([]);
    const found = items(records).map((r) => [r.mechanism, r.registry_key, r.name, r.command]);
    const expected: unknown[] = [];
    for (const [key, values] of Object.entries(spec.keys)) {
      const mechanism = /RunOnce$/.test(key) ? 'run_once_key' : /\\Run$/.test(key) ? 'run_key' : null;
      if (mechanism === null) continue;
      for (const [name, [, data]] of Object.entries(values)) {
        expected.push([
          mechanism,
          `HKLM\\SOFTWARE\\${key.replace(/^WOW6432Node/, 'WOW6432Node')}`,
          name,
          data,
        ]);
      }
    }
    expect(found).toHaveLength(6);
    expect(found.sort()).toEqual((expected as string[][]).sort());
  });

  it('resolves each program, references it, and says what runs from where', async () => {
    const root = await windowsRoot({
      [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' },
      'ProgramData/UPD/SVCHOST.EXE': 'MZ stand-in',
    });
    const { records, files } = await runCollector(runKeysCollector, root);
    const updater = items(records).find((r) => r.name === 'Updater');
    expect(updater).toMatchObject({
      source: 'C:\\Windows\\System32\\config\\SOFTWARE',
      path: 'C:\\Windows\\System32\\config\\SOFTWARE',
      user: null,
      command: 'C:\\ProgramData\\upd\\svchost.exe -k netsvcs',
      executable: 'C:\\ProgramData\\upd\\svchost.exe',
      registry_value: 'Updater',
      key_last_written: '2021-05-08T15:22:02.4911432Z',
      enabled: null,
    });
    const health = items(records).find((r) => r.name === 'SecurityHealth');
    expect(health?.executable).toBe('C:\\Windows\\system32\\SecurityHealthSystray.exe');
    const metadata = files as FileMetadata[];
    expect(metadata.find((f) => f.path === 'C:\\ProgramData\\upd\\svchost.exe')).toMatchObject({
      exists: true,
      size: 11,
      sha256: createHash('sha256').update('MZ stand-in').digest('hex'),
      referenced_by: ['startup_item:HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater'],
    });
    expect(metadata.find((f) => f.path === 'C:\\Windows\\system32\\SecurityHealthSystray.exe')).toMatchObject(
      {
        exists: false,
        sha256: null,
      },
    );
  });

  it.each([
    ['nfury', 'registry/NTUSER_plaso_win7_nfury.DAT.gz'],
    ['vibranium', 'registry/NTUSER_plaso_vibranium.DAT'],
  ])(
    "each user's NTUSER.DAT: %s's Run and RunOnce values as python-registry read them",
    async (user, sample) => {
      const root = await windowsRoot({ [`Users/${user}/NTUSER.DAT`]: { sample } });
      const { records, errors } = await runCollector(runKeysCollector, root);
      expect(errors).toEqual([]);
      const expected = (expectedToolOutput(sample)?.ntuser ?? {}) as Record<string, Record<string, string>>;
      const want = [
        ...Object.entries(expected.Run ?? {}).map(([name, command]) => ['run_key', name, command]),
        ...Object.entries(expected.RunOnce ?? {}).map(([name, command]) => ['run_once_key', name, command]),
      ];
      expect(want.length).toBeGreaterThan(0);
      expect(items(records).map((r) => [r.mechanism, r.name, r.command])).toEqual(want);
      for (const r of items(records)) {
        expect(r.user).toBe(user);
        expect(r.registry_key?.startsWith('HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run')).toBe(
          true,
        );
        expect(r.path).toBe(`C:\\Users\\${user}\\NTUSER.DAT`);
      }
      if (user === 'nfury') {
        // %USERPROFILE%-free absolute paths stay as written.
        expect(items(records)[0]?.executable).toBe(
          'C:\\Users\\nfury\\AppData\\Local\\Google\\Update\\GoogleUpdate.exe',
        );
      } else {
        // %ProgramFiles% is expanded.
        expect(items(records)[0]?.executable).toBe('C:\\Program Files\\Windows Sidebar\\Sidebar.exe');
      }
    },
  );

  it('a dirty NTUSER.DAT is read with its transaction logs replayed (regipy: OneDrive)', async () => {
    const root = await windowsRoot({
      'Users/x/NTUSER.DAT': { sample: 'registry/NTUSER_regipy_transactions.DAT.gz' },
      'Users/x/NTUSER.DAT.LOG1': { sample: 'registry/NTUSER_regipy_transactions.DAT.LOG1.gz' },
      'Users/x/NTUSER.DAT.LOG2': { sample: 'registry/NTUSER_regipy_transactions.DAT.LOG2' },
    });
    const { records, log } = await runCollector(runKeysCollector, root);
    expect(items(records).map((r) => [r.user, r.name, r.command])).toEqual([
      ['x', 'OneDrive', '"C:\\Users\\tony\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background'],
    ]);
    expect(
      log.some((l) => /hive C:\\Users\\x\\NTUSER\.DAT: applied sequence numbers 566 to 588/.test(l)),
    ).toBe(true);
  });

  it("honours Explorer's StartupApproved lists, reads the legacy Windows\\Load value, skips non-text values", async () => {
    const software = hiveOf({
      'Microsoft\\Windows\\CurrentVersion\\Run': {
        On: ['sz', 'C:\\on.exe'],
        Off: ['sz', 'C:\\off.exe'],
        Unlisted: ['sz', 'C:\\unlisted.exe'],
        Blob: ['binary', [1, 2, 3]],
        Empty: ['sz', ''],
      },
      'Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\Run': {
        On: ['binary', [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
        Off: ['binary', [3, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0, 0, 0, 0]],
      },
    });
    const ntuser = hiveOf({
      'Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows': {
        Load: ['sz', '%APPDATA%\\evil.exe'],
        Device: ['sz', 'not a startup value'],
      },
    });
    const root = await windowsRoot({ [SOFTWARE]: software, 'Users/alice/NTUSER.DAT': ntuser });
    const { records, log } = await runCollector(runKeysCollector, root);
    expect(items(records).map((r) => [r.name, r.enabled, r.executable])).toEqual([
      ['On', true, 'C:\\on.exe'],
      ['Off', false, 'C:\\off.exe'],
      ['Unlisted', null, 'C:\\unlisted.exe'],
      ['Load', null, 'C:\\Users\\alice\\AppData\\Roaming\\evil.exe'],
    ]);
    expect(log).toContain(
      'run_keys: HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Blob: a REG_BINARY value, not a command; skipped',
    );
  });

  it('a user hive that is not a hive is an error entry; the machine and other users still come', async () => {
    const root = await windowsRoot({
      [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' },
      'Users/broken/NTUSER.DAT': 'garbage',
      'Users/vibranium/NTUSER.DAT': { sample: 'registry/NTUSER_plaso_vibranium.DAT' },
    });
    const { records, errors } = await runCollector(runKeysCollector, root);
    expect(errors).toEqual([
      expect.objectContaining({
        collector: 'run_keys',
        code: 'DATA_INVALID',
        path: 'C:\\Users\\broken\\NTUSER.DAT',
      }),
    ]);
    expect(items(records).filter((r) => r.user === 'vibranium')).toHaveLength(2);
    expect(items(records).filter((r) => r.user === null)).toHaveLength(6);
  });
});

describe('winlogon, ifeo, appinit_dlls', () => {
  it('Winlogon Shell and Userinit, each program of Userinit referenced', async () => {
    const root = await windowsRoot({
      [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' },
      'Windows/System32/userinit.exe': 'MZ',
    });
    const { records, files } = await runCollector(winlogonCollector, root);
    expect(items(records).map((r) => [r.mechanism, r.name, r.command, r.executable])).toEqual([
      ['winlogon', 'Shell', 'explorer.exe', null],
      ['winlogon', 'Userinit', 'C:\\Windows\\system32\\userinit.exe,', 'C:\\Windows\\system32\\userinit.exe'],
    ]);
    expect((files as FileMetadata[]).map((f) => [f.path, f.exists])).toEqual([
      ['C:\\Windows\\system32\\userinit.exe', true],
    ]);
  });

  it('Image File Execution Options: only keys with a Debugger (sethc.exe), not AcroRd32.exe', async () => {
    const root = await windowsRoot({ [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' } });
    const { records } = await runCollector(ifeoCollector, root);
    expect(items(records).map((r) => [r.mechanism, r.name, r.command, r.registry_key])).toEqual([
      [
        'ifeo_debugger',
        'sethc.exe',
        'C:\\Windows\\System32\\cmd.exe',
        'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\sethc.exe',
      ],
    ]);
  });

  it('AppInit_DLLs: one item per DLL, enabled by LoadAppInit_DLLs; empty lists are nothing', async () => {
    const software = hiveOf({
      'Microsoft\\Windows NT\\CurrentVersion\\Windows': {
        AppInit_DLLs: ['sz', 'C:\\ProgramData\\a.dll, "C:\\Program Files\\b\\b.dll"'],
        LoadAppInit_DLLs: ['dword', 1],
      },
      'Wow6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Windows': {
        AppInit_DLLs: ['sz', ' '],
        LoadAppInit_DLLs: ['dword', 0],
      },
    });
    const root = await windowsRoot({ [SOFTWARE]: software });
    const { records } = await runCollector(appInitCollector, root);
    expect(items(records).map((r) => [r.mechanism, r.command, r.executable, r.enabled])).toEqual([
      ['appinit_dll', 'C:\\ProgramData\\a.dll', 'C:\\ProgramData\\a.dll', true],
      ['appinit_dll', 'C:\\Program Files\\b\\b.dll', 'C:\\Program Files\\b\\b.dll', true],
    ]);
    const none = await runCollector(
      appInitCollector,
      await windowsRoot({ [SOFTWARE]: { sample: 'registry/SOFTWARE_synthetic_fixture' } }),
    );
    expect(none.records).toEqual([]);
  });
});
