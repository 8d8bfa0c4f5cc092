import { assertRecord, type StartupItem } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { readSample } from '../testing/sample-files.js';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { scheduledTasksCollector } from './tasks.js';

const TASKS = 'Windows/System32/Tasks';
const expected = JSON.parse(readSample('tasks/EXPECTED.json').toString('utf8')) as Record<
  string,
  {
    readonly uri?: string;
    readonly hidden: boolean;
    readonly enabled: boolean;
    readonly principal_user?: string;
    readonly principal_group?: string;
    readonly triggers: readonly string[];
    readonly actions: readonly {
      readonly type: string;
      readonly command?: string;
      readonly arguments?: string;
      readonly class_id?: string;
    }[];
  }
>;

const SAMPLES = Object.keys(expected);

async function tasks(extra: Parameters<typeof windowsRoot>[0] = {}) {
  const files: Record<string, { sample: string }> = {};
  for (const name of SAMPLES) files[`${TASKS}/${name}`] = { sample: `tasks/${name}` };
  const run = await runCollector(scheduledTasksCollector, await windowsRoot({ ...files, ...extra }));
  for (const record of run.records) assertRecord(record);
  return { ...run, items: run.records as StartupItem[] };
}

describe('scheduled_tasks', () => {
  it('one item per task file of the samples, with EXPECTED.json facts', async () => {
    const { items, errors } = await tasks();
    expect(errors).toEqual([]);
    expect(items).toHaveLength(SAMPLES.length);
    for (const name of SAMPLES) {
      const want = expected[name];
      const item = items.find(
        (i) => i.path === `C:\\Windows\\System32\\Tasks\\${name.replaceAll('/', '\\')}`,
      );
      expect(item, name).toBeDefined();
      if (!item || !want) continue;
      expect(item.mechanism).toBe('scheduled_task');
      expect(item.name).toBe(want.uri ?? `\\${name.replaceAll('/', '\\')}`);
      expect(item.hidden).toBe(want.hidden);
      expect(item.enabled).toBe(want.enabled);
      expect(item.user).toBe(want.principal_user ?? want.principal_group);
      const action = want.actions[0];
      if (action?.type === 'Exec') {
        expect(item.command).toBe(
          action.arguments ? `${action.command} ${action.arguments}` : action.command,
        );
      } else {
        expect(item.command).toBe(`COM handler ${action?.class_id}`);
      }
    }
  });

  it('the hidden PowerShell task (WindowsUpdateHelper): schedule, program, hidden', async () => {
    const { items, files } = await tasks({ 'Windows/System32/WindowsPowerShell/v1.0/powershell.exe': 'MZ' });
    const helper = items.find((i) => i.name === '\\WindowsUpdateHelper');
    expect(helper).toMatchObject({
      hidden: true,
      user: 'S-1-5-18',
      executable: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
      command: expect.stringContaining('-nop -w hidden -enc'),
    });
    expect(helper?.schedule).toMatch(/^boot.*; time /);
    expect(files).toContainEqual(
      expect.objectContaining({
        path: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
        exists: true,
        referenced_by: ['startup_item:\\WindowsUpdateHelper'],
      }),
    );
    // %windir% in a command is expanded for the program.
    expect(items.find((i) => i.name.endsWith('ScheduledDefrag'))?.executable).toBe(
      'C:\\Windows\\system32\\defrag.exe',
    );
  });

  it("a COM handler's class is looked up in SOFTWARE for the DLL it loads", async () => {
    const software = hiveOf({
      'Classes\\CLSID\\{A6BA00FE-40E8-477C-B713-C64A14F18ADB}\\InprocServer32': {
        '': ['expand_sz', '%SystemRoot%\\System32\\themeui.dll'],
      },
    });
    const { items } = await tasks({ 'Windows/System32/config/SOFTWARE': software });
    expect(items.find((i) => i.name.endsWith('ThemesSyncedImageDownload'))?.executable).toBe(
      'C:\\Windows\\System32\\themeui.dll',
    );
  });

  it('a file that is not a task is an error entry; the others are read', async () => {
    const { items, errors } = await tasks({ [`${TASKS}/Broken`]: 'this is not XML' });
    expect(items).toHaveLength(SAMPLES.length);
    expect(errors).toEqual([
      expect.objectContaining({
        collector: 'scheduled_tasks',
        code: 'DATA_INVALID',
        path: 'C:\\Windows\\System32\\Tasks\\Broken',
      }),
    ]);
  });

  it('a task with several actions is one item per action', async () => {
    const xml = `<?xml version="1.0"?><Task xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task"><Actions Context="Author"><Exec><Command>C:\\a.exe</Command></Exec><Exec><Command>C:\\b.exe</Command><Arguments>-x</Arguments></Exec></Actions></Task>`;
    const run = await runCollector(scheduledTasksCollector, await windowsRoot({ [`${TASKS}/Two`]: xml }));
    expect((run.records as StartupItem[]).map((i) => [i.name, i.command])).toEqual([
      ['\\Two (action 1)', 'C:\\a.exe'],
      ['\\Two (action 2)', 'C:\\b.exe -x'],
    ]);
  });

  it('a legacy Task Scheduler 1.0 .job file is one item, and a broken one an error entry', async () => {
    const { items, errors } = await tasks({
      'Windows/Tasks/wintask.job': { sample: 'tasks_legacy/wintask.job' },
      'Windows/Tasks/broken.job': 'not a job',
    });
    const job = items.find((i) => i.path === 'C:\\Windows\\Tasks\\wintask.job');
    expect(job).toMatchObject({
      mechanism: 'scheduled_task',
      name: '\\wintask.job',
      command: 'C:\\Program Files (x86)\\Google\\Update\\GoogleUpdate.exe /ua /installsource scheduler',
      schedule: 'daily from 2013-07-12 15:42 every 60 min',
      enabled: true,
      hidden: false,
      user: null,
    });
    expect(errors.map((e) => e.path)).toEqual(['C:\\Windows\\Tasks\\broken.job']);
  });
});
