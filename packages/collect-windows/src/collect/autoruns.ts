/**
 * Startup items held in registry values: Run and RunOnce keys (the
 * machine's, its 32-bit view's, and every user's NTUSER.DAT), Winlogon's
 * Shell and Userinit, Image File Execution Options debuggers and
 * AppInit_DLLs. Each item names its key (`HKLM\SOFTWARE\…`, or `HKCU\…`
 * with the user whose hive holds it), its value and the key's last-written
 * time; the hive is its `path`.
 */
import type { ArtifactRecord, StartupMechanism } from '@triage/artifact-schema';
import type { RegistryKey } from '../regf/hive.js';
import type { LoadedHive, UserProfile, WindowsCollectContext, WindowsCollector } from './context.js';
import { splitDllList, type WindowsEnvironment } from './paths.js';
import { approvedState, referencedProgram, startupFields } from './startup.js';
import { keyTime, numberValue, textOf } from './values.js';

/** A Run-style key: its path in the hive, what it is, and its StartupApproved list. */
interface RunKey {
  readonly path: string;
  readonly mechanism: StartupMechanism;
  readonly approved?: string;
  /** Only these values (the legacy `Windows` key's Load and Run). */
  readonly values?: readonly string[];
}

const APPROVED = 'Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved';

/** The machine's Run keys, below SOFTWARE. */
export const MACHINE_RUN_KEYS: readonly RunKey[] = [
  { path: 'Microsoft\\Windows\\CurrentVersion\\Run', mechanism: 'run_key', approved: 'Run' },
  { path: 'Microsoft\\Windows\\CurrentVersion\\RunOnce', mechanism: 'run_once_key' },
  { path: 'Microsoft\\Windows\\CurrentVersion\\RunServices', mechanism: 'run_key' },
  { path: 'Microsoft\\Windows\\CurrentVersion\\RunServicesOnce', mechanism: 'run_once_key' },
  { path: 'Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run', mechanism: 'run_key' },
  { path: 'Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run', mechanism: 'run_key', approved: 'Run32' },
  { path: 'Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce', mechanism: 'run_once_key' },
  { path: 'Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run', mechanism: 'run_key' },
];

/** Each user's Run keys, below NTUSER.DAT's root. */
export const USER_RUN_KEYS: readonly RunKey[] = [
  { path: 'Software\\Microsoft\\Windows\\CurrentVersion\\Run', mechanism: 'run_key', approved: 'Run' },
  { path: 'Software\\Microsoft\\Windows\\CurrentVersion\\RunOnce', mechanism: 'run_once_key' },
  { path: 'Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer\\Run', mechanism: 'run_key' },
  {
    path: 'Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Run',
    mechanism: 'run_key',
    approved: 'Run32',
  },
  { path: 'Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\RunOnce', mechanism: 'run_once_key' },
  {
    path: 'Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows',
    mechanism: 'run_key',
    values: ['Load', 'Run'],
  },
];

/** Where a hive is mounted in the registry, and whose it is. */
interface HiveView {
  readonly loaded: LoadedHive;
  /** `HKLM\SOFTWARE` or `HKCU`. */
  readonly prefix: string;
  /** The user whose NTUSER.DAT it is, else null. */
  readonly user: string | null;
  /** Where the StartupApproved lists are (`Software\…` in a user hive). */
  readonly approvedBase: string;
  readonly env: WindowsEnvironment;
}

function registryPath(view: HiveView, key: RegistryKey): string {
  return key.path === '' ? view.prefix : `${view.prefix}\\${key.path}`;
}

function identifier(view: HiveView, registryKey: string, value: string): string {
  return `${registryKey}\\${value}${view.user === null ? '' : ` (${view.user})`}`;
}

/** The user hives of the volume, as views; a hive that fails to open is an error entry, the others go on. */
async function userViews(ctx: WindowsCollectContext): Promise<HiveView[]> {
  const views: HiveView[] = [];
  for (const profile of await ctx.profiles()) {
    let loaded: LoadedHive | null;
    try {
      loaded = await ctx.userHive(profile);
    } catch (error) {
      ctx.error(`${profile.folder.path}\\NTUSER.DAT`, error);
      continue;
    }
    if (loaded !== null) views.push(userView(loaded, profile));
  }
  return views;
}

function userView(loaded: LoadedHive, profile: UserProfile): HiveView {
  return {
    loaded,
    prefix: 'HKCU',
    user: profile.user,
    approvedBase: `Software\\${APPROVED}`,
    env: profile.env,
  };
}

async function machineView(ctx: WindowsCollectContext): Promise<HiveView | null> {
  const loaded = await ctx.hive('SOFTWARE');
  if (loaded === null) {
    ctx.log('no SOFTWARE hive');
    return null;
  }
  return { loaded, prefix: 'HKLM\\SOFTWARE', user: null, approvedBase: APPROVED, env: ctx.env };
}

async function* runKeyItems(
  ctx: WindowsCollectContext,
  view: HiveView,
  runKey: RunKey,
): AsyncGenerator<ArtifactRecord> {
  const key = await view.loaded.hive.key(runKey.path);
  if (!key) return;
  const approved = runKey.approved
    ? await view.loaded.hive.key(`${view.approvedBase}\\${runKey.approved}`)
    : undefined;
  const registryKey = registryPath(view, key);
  for (const value of await key.values()) {
    if (runKey.values && !runKey.values.some((v) => v.toLowerCase() === value.name.toLowerCase())) continue;
    const command = textOf(value);
    if (command === null) {
      ctx.log(`${registryKey}\\${value.name}: a ${String(value.type)} value, not a command; skipped`);
      continue;
    }
    if (command.trim() === '') continue;
    const id = identifier(view, registryKey, value.name);
    yield ctx.record(
      'startup_item',
      view.loaded.file.path,
      startupFields({
        mechanism: runKey.mechanism,
        name: value.name === '' ? '(default)' : value.name,
        path: view.loaded.file.path,
        user: view.user,
        command,
        executable: await referencedProgram(ctx, command, id, view.env),
        enabled: approvedState((await approved?.value(value.name))?.data),
        file_mtime: view.loaded.mtime,
        registry_key: registryKey,
        registry_value: value.name,
        key_last_written: keyTime(key),
      }),
    );
  }
}

async function* collectRunKeys(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const machine = await machineView(ctx);
  if (machine) for (const runKey of MACHINE_RUN_KEYS) yield* runKeyItems(ctx, machine, runKey);
  for (const view of await userViews(ctx)) {
    try {
      for (const runKey of USER_RUN_KEYS) yield* runKeyItems(ctx, view, runKey);
    } catch (error) {
      ctx.error(view.loaded.file.path, error);
    }
  }
}

const WINLOGON = 'Microsoft\\Windows NT\\CurrentVersion\\Winlogon';
const WINLOGON_VALUES = ['Shell', 'Userinit', 'Taskman', 'AppSetup', 'VMApplet', 'GinaDLL'];

async function* winlogonItems(
  ctx: WindowsCollectContext,
  view: HiveView,
  path: string,
): AsyncGenerator<ArtifactRecord> {
  const key = await view.loaded.hive.key(path);
  if (!key) return;
  const registryKey = registryPath(view, key);
  for (const name of WINLOGON_VALUES) {
    const value = await key.value(name);
    const command = textOf(value);
    if (value === undefined || command === null || command.trim() === '') continue;
    const id = identifier(view, registryKey, value.name);
    // Userinit and Shell hold comma-separated lists: Winlogon runs each one.
    const programs = command.split(',').filter((p) => p.trim() !== '');
    let executable: string | null = null;
    for (const program of programs) {
      const path = await referencedProgram(ctx, program, id, view.env);
      executable ??= path;
    }
    yield ctx.record(
      'startup_item',
      view.loaded.file.path,
      startupFields({
        mechanism: 'winlogon',
        name: value.name,
        path: view.loaded.file.path,
        user: view.user,
        command,
        executable,
        file_mtime: view.loaded.mtime,
        registry_key: registryKey,
        registry_value: value.name,
        key_last_written: keyTime(key),
      }),
    );
  }
}

async function* collectWinlogon(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const machine = await machineView(ctx);
  if (machine) yield* winlogonItems(ctx, machine, WINLOGON);
  for (const view of await userViews(ctx)) {
    try {
      yield* winlogonItems(ctx, view, `Software\\${WINLOGON}`);
    } catch (error) {
      ctx.error(view.loaded.file.path, error);
    }
  }
}

const IFEO_KEYS = [
  'Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options',
  'Wow6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options',
];

async function* collectIfeo(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const view = await machineView(ctx);
  if (!view) return;
  for (const path of IFEO_KEYS) {
    const options = await view.loaded.hive.key(path);
    for (const key of (await options?.subkeys()) ?? []) {
      const value = await key.value('Debugger');
      const command = textOf(value);
      if (command === null || command.trim() === '') continue;
      const registryKey = registryPath(view, key);
      yield ctx.record(
        'startup_item',
        view.loaded.file.path,
        startupFields({
          mechanism: 'ifeo_debugger',
          name: key.name,
          path: view.loaded.file.path,
          command,
          executable: await referencedProgram(
            ctx,
            command,
            identifier(view, registryKey, 'Debugger'),
            view.env,
          ),
          file_mtime: view.loaded.mtime,
          registry_key: registryKey,
          registry_value: 'Debugger',
          key_last_written: keyTime(key),
        }),
      );
    }
  }
}

const APPINIT_KEYS = [
  'Microsoft\\Windows NT\\CurrentVersion\\Windows',
  'Wow6432Node\\Microsoft\\Windows NT\\CurrentVersion\\Windows',
];

async function* collectAppInit(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const view = await machineView(ctx);
  if (!view) return;
  for (const path of APPINIT_KEYS) {
    const key = await view.loaded.hive.key(path);
    const list = textOf(await key?.value('AppInit_DLLs'));
    if (!key || list === null || list.trim() === '') continue;
    const load = await numberValue(key, 'LoadAppInit_DLLs');
    const registryKey = registryPath(view, key);
    for (const dll of splitDllList(list)) {
      yield ctx.record(
        'startup_item',
        view.loaded.file.path,
        startupFields({
          mechanism: 'appinit_dll',
          name: 'AppInit_DLLs',
          path: view.loaded.file.path,
          command: dll,
          executable: await referencedProgram(
            ctx,
            `"${dll}"`,
            identifier(view, registryKey, 'AppInit_DLLs'),
            view.env,
          ),
          enabled: load === null ? null : load !== 0,
          file_mtime: view.loaded.mtime,
          registry_key: registryKey,
          registry_value: 'AppInit_DLLs',
          key_last_written: keyTime(key),
        }),
      );
    }
  }
}

/** Run, RunOnce and the like, machine-wide and per user. */
export const runKeysCollector: WindowsCollector = {
  name: 'run_keys',
  kinds: ['startup_item'],
  collect: collectRunKeys,
};
/** Winlogon Shell, Userinit and their kin, machine-wide and per user. */
export const winlogonCollector: WindowsCollector = {
  name: 'winlogon',
  kinds: ['startup_item'],
  collect: collectWinlogon,
};
/** Image File Execution Options debuggers. */
export const ifeoCollector: WindowsCollector = {
  name: 'ifeo',
  kinds: ['startup_item'],
  collect: collectIfeo,
};
/** AppInit_DLLs (native and 32-bit views). */
export const appInitCollector: WindowsCollector = {
  name: 'appinit_dlls',
  kinds: ['startup_item'],
  collect: collectAppInit,
};
