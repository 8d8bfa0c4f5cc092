/**
 * Scheduled tasks: every file under `Windows\System32\Tasks` (folders
 * walked, bounded), read with `parseTaskXml`, one `startup_item` per
 * action; then the legacy Task Scheduler 1.0 jobs, `Windows\Tasks\*.job`,
 * read with `parseJobFile`, one `startup_item` each. An `exec` action's command and arguments are its command; a COM
 * handler's class is looked up in SOFTWARE (`Classes\CLSID\{…}\InprocServer32`)
 * for the DLL it loads.
 */
import type { ArtifactRecord } from '@triage/artifact-schema';
import { type JobFile, type JobTrigger, parseJobFile } from '../tasks/job.js';
import { parseTaskXml, type TaskAction, type TaskTrigger, type TaskXml } from '../tasks/task-xml.js';
import type { VolumeFile, WindowsCollectContext, WindowsCollector } from './context.js';
import { referencedProgram, startupFields } from './startup.js';
import { isoOfMs } from './time.js';
import { textValue } from './values.js';

/** Where the Task Scheduler keeps its task files, below the volume root. */
export const TASKS_FOLDER = 'Windows\\System32\\Tasks';
/** Where Task Scheduler 1.0 keeps its `.job` files. */
export const JOBS_FOLDER = 'Windows\\Tasks';
/** Folders deeper than this below the Tasks folder are not walked. */
const MAX_DEPTH = 16;
/** At most this many task files are read. */
const MAX_TASKS = 10_000;
/** A task file larger than this is not read (real ones are a few KiB). */
const MAX_TASK_BYTES = 1024 * 1024;

/** One line describing when a task's triggers fire, e.g. `logon; calendar 2024-02-05T06:00:00 every PT1H`. */
export function scheduleOf(triggers: readonly TaskTrigger[]): string | null {
  if (triggers.length === 0) return null;
  return triggers
    .map((t) => {
      const parts: string[] = [t.type === 'other' ? t.element : t.type];
      if (t.schedule !== null) parts.push(t.schedule);
      if (t.startBoundary !== null) parts.push(`from ${t.startBoundary}`);
      if (t.repetition?.interval) parts.push(`every ${t.repetition.interval}`);
      if (t.delay !== null) parts.push(`delay ${t.delay}`);
      if (t.userId !== null) parts.push(`user ${t.userId}`);
      if (!t.enabled) parts.push('(disabled)');
      return parts.join(' ');
    })
    .join('; ');
}

async function* taskFiles(
  ctx: WindowsCollectContext,
  folder: VolumeFile | string,
  depth: number,
  budget: { left: number },
): AsyncGenerator<VolumeFile> {
  for (const entry of await ctx.list(folder)) {
    if (budget.left <= 0) return;
    if (entry.stats.isDirectory()) {
      if (depth < MAX_DEPTH) yield* taskFiles(ctx, entry, depth + 1, budget);
      else ctx.log(`${entry.path}: deeper than ${MAX_DEPTH} folders; not walked`);
    } else if (entry.stats.isFile()) {
      budget.left--;
      yield entry;
    }
  }
}

/** The command line of an action, and the program to resolve (null when it runs none we can name). */
async function actionCommand(
  ctx: WindowsCollectContext,
  action: TaskAction,
): Promise<{ command: string | null; program: string | null }> {
  switch (action.type) {
    case 'exec': {
      const command =
        action.command === null
          ? null
          : action.arguments
            ? `${action.command} ${action.arguments}`
            : action.command;
      return { command, program: action.command === null ? null : `"${action.command.replaceAll('"', '')}"` };
    }
    case 'comHandler': {
      const command = `COM handler ${action.classId ?? '(no class id)'}${action.data ? ` ${action.data}` : ''}`;
      if (action.classId === null) return { command, program: null };
      const software = await ctx.hive('SOFTWARE').catch(() => null);
      const server = await textValue(
        await software?.hive.key(`Classes\\CLSID\\${action.classId}\\InprocServer32`),
        '',
      );
      return { command, program: server === null ? null : `"${server}"` };
    }
    case 'sendEmail':
      return {
        command: `send e-mail to ${action.to ?? '(nobody)'} via ${action.server ?? '(no server)'}`,
        program: null,
      };
    case 'showMessage':
      return { command: `show message ${action.title ?? ''}`.trim(), program: null };
    default:
      return { command: action.text === '' ? null : action.text, program: null };
  }
}

async function* taskItems(
  ctx: WindowsCollectContext,
  file: VolumeFile,
  task: TaskXml,
): AsyncGenerator<ArtifactRecord> {
  const relative = file.components.slice(3).join('\\');
  const name = task.uri ?? `\\${relative}`;
  const principal = task.principal;
  const schedule = scheduleOf(task.triggers);
  if (task.actions.length === 0) ctx.log(`${file.path}: a task without actions`);
  for (const [i, action] of task.actions.entries()) {
    const itemName = task.actions.length === 1 ? name : `${name} (action ${i + 1})`;
    const { command, program } = await actionCommand(ctx, action);
    yield ctx.record(
      'startup_item',
      file.path,
      startupFields({
        mechanism: 'scheduled_task',
        name: itemName,
        path: file.path,
        user: principal?.userId ?? principal?.groupId ?? null,
        command,
        executable: await referencedProgram(ctx, program, itemName),
        schedule,
        enabled: task.enabled,
        file_mtime: isoOfMs(file.stats.mtimeMs),
        hidden: task.hidden,
      }),
    );
  }
}

/** One line for a legacy job's triggers, e.g. `daily from 2013-07-12 15:42 every 60 min`. */
function jobSchedule(triggers: readonly JobTrigger[]): string | null {
  if (triggers.length === 0) return null;
  return triggers
    .map((t) => {
      const parts = [String(t.type)];
      if (t.beginDate !== null) parts.push(`from ${t.beginDate} ${t.startTime}`);
      if (t.intervalMinutes > 0) parts.push(`every ${t.intervalMinutes} min`);
      if (t.endDate !== null) parts.push(`until ${t.endDate}`);
      if (t.disabled) parts.push('(disabled)');
      return parts.join(' ');
    })
    .join('; ');
}

async function* collectJobs(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const folder = await ctx.find(JOBS_FOLDER);
  if (folder === null) return;
  let left = MAX_TASKS;
  for (const file of await ctx.list(folder)) {
    if (!file.stats.isFile() || !/\.job$/i.test(file.path)) continue;
    if (left-- <= 0) {
      ctx.log(`stopped after ${MAX_TASKS} .job files`);
      return;
    }
    let job: JobFile;
    try {
      job = parseJobFile(await ctx.readBytes(file, MAX_TASK_BYTES));
    } catch (error) {
      ctx.error(file.path, error);
      continue;
    }
    if (job.diagnostics.length > 0)
      ctx.log(`${file.path}: ${job.diagnostics.length} problems (first: ${job.diagnostics[0]?.message})`);
    const name = `\\${file.components[file.components.length - 1] ?? file.path}`;
    const command =
      job.applicationName === ''
        ? null
        : job.parameters
          ? `${job.applicationName} ${job.parameters}`
          : job.applicationName;
    yield ctx.record(
      'startup_item',
      file.path,
      startupFields({
        mechanism: 'scheduled_task',
        name,
        path: file.path,
        // A .job file names its author, not the account it runs as (that is in the scheduler's secrets).
        user: null,
        command,
        executable:
          job.applicationName === '' ? null : await referencedProgram(ctx, `"${job.applicationName}"`, name),
        schedule: jobSchedule(job.triggers),
        enabled: !job.disabled,
        file_mtime: isoOfMs(file.stats.mtimeMs),
        hidden: job.hidden,
      }),
    );
  }
}

async function* collectTasks(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  yield* collectXmlTasks(ctx);
  yield* collectJobs(ctx);
}

async function* collectXmlTasks(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const folder = await ctx.find(TASKS_FOLDER);
  if (folder === null) {
    ctx.log(`no ${TASKS_FOLDER} folder`);
    return;
  }
  const budget = { left: MAX_TASKS };
  for await (const file of taskFiles(ctx, folder, 0, budget)) {
    let task: TaskXml;
    try {
      task = parseTaskXml(await ctx.readBytes(file, MAX_TASK_BYTES));
    } catch (error) {
      ctx.error(file.path, error);
      continue;
    }
    if (task.diagnostics.length > 0)
      ctx.log(
        `${file.path}: ${task.diagnostics.length} XML problems (first: ${task.diagnostics[0]?.message})`,
      );
    yield* taskItems(ctx, file, task);
  }
  if (budget.left <= 0) ctx.log(`stopped after ${MAX_TASKS} task files`);
}

/** Scheduled tasks (Task Scheduler 2.0 XML files and 1.0 `.job` files). */
export const scheduledTasksCollector: WindowsCollector = {
  name: 'scheduled_tasks',
  kinds: ['startup_item'],
  collect: collectTasks,
};
