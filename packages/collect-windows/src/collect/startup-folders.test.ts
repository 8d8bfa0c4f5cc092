import { assertRecord, type StartupItem } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { manifest, manifestFacts } from '../testing/sample-files.js';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { startupFoldersCollector } from './startup-folders.js';

const COMMON = 'ProgramData/Microsoft/Windows/Start Menu/Programs/StartUp';
const USER = 'Users/x/AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup';

async function folders(files: Parameters<typeof windowsRoot>[0]) {
  const run = await runCollector(startupFoldersCollector, await windowsRoot(files));
  for (const record of run.records) assertRecord(record);
  return { ...run, items: run.records as StartupItem[] };
}

describe('startup_folders', () => {
  it('shortcuts in the common and a user folder: target, arguments, user', async () => {
    const { items, errors } = await folders({
      [`${COMMON}/NeroInfoTool.lnk`]: { sample: 'lnk/NeroInfoTool.lnk' },
      [`${USER}/ez_WinXP_Windows_Media_Player_6.lnk`]: { sample: 'lnk/ez_WinXP_Windows_Media_Player_6.lnk' },
      [`${USER}/ez_Misc_remote.file.xp.lnk`]: { sample: 'lnk/ez_Misc_remote.file.xp.lnk' },
    });
    expect(errors).toEqual([]);
    expect(items.map((i) => [i.user, i.name, i.command, i.executable])).toEqual([
      [
        null,
        'NeroInfoTool.lnk',
        '"C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe" -ScParameter=30002  ',
        'C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe',
      ],
      [
        'x',
        'ez_Misc_remote.file.xp.lnk',
        expect.stringMatching(/^"\\\\ALS-FICHIERS3\\QUALITÉ/),
        expect.stringMatching(/^\\\\ALS-FICHIERS3\\QUALITÉ/),
      ],
      [
        'x',
        'ez_WinXP_Windows_Media_Player_6.lnk',
        '"C:\\Program Files\\Windows Media Player\\wmplayer.exe" /prefetch:1',
        'C:\\Program Files\\Windows Media Player\\wmplayer.exe',
      ],
    ]);
    expect(items[0]).toMatchObject({
      mechanism: 'startup_folder',
      path: 'C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp\\NeroInfoTool.lnk',
      source: 'C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp\\NeroInfoTool.lnk',
      enabled: null,
    });
  });

  it('every MANIFEST shortcut with a local base path runs that path', async () => {
    const files: Record<string, { sample: string }> = {};
    const want: [string, string][] = [];
    for (const [file, entry] of manifest()) {
      if (!file.startsWith('lnk/')) continue;
      const name = file.slice(4);
      files[`${USER}/${name}`] = { sample: file };
      const local = manifestFacts(entry.contains).get('local_base_path');
      if (local && !local.endsWith('\\')) want.push([name, local]);
    }
    const { items, errors } = await folders(files);
    expect(errors).toEqual([]);
    expect(items).toHaveLength(Object.keys(files).length);
    expect(want.length).toBeGreaterThan(4);
    for (const [name, local] of want)
      expect(items.find((i) => i.name === name)?.executable, name).toBe(local);
  });

  it('other files run themselves; desktop.ini is left out; StartupApproved disables', async () => {
    const ntuser = hiveOf({
      'Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\StartupFolder': {
        'run.bat': ['binary', [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]],
      },
    });
    const { items, files, errors } = await folders({
      [`${USER}/desktop.ini`]: '[.ShellClassInfo]',
      [`${USER}/run.bat`]: '@echo off',
      [`${USER}/broken.lnk`]: 'not a shortcut',
      'Users/x/NTUSER.DAT': ntuser,
    });
    expect(items.map((i) => [i.name, i.command, i.enabled])).toEqual([
      ['broken.lnk', null, null],
      [
        'run.bat',
        'C:\\Users\\x\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\run.bat',
        false,
      ],
    ]);
    expect(files).toEqual([
      expect.objectContaining({ exists: true, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    expect(errors).toEqual([
      expect.objectContaining({ code: 'DATA_INVALID', path: expect.stringMatching(/\\broken\.lnk$/) }),
    ]);
  });
});
