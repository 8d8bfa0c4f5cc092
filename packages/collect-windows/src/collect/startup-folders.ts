/**
 * Startup folders: the common one
 * (`ProgramData\Microsoft\Windows\Start Menu\Programs\StartUp`) and each
 * user's (`AppData\Roaming\Microsoft\Windows\Start Menu\Programs\Startup`).
 * Explorer runs everything in them at logon: a shortcut (`.lnk`) is read
 * with `parseLnk` for its target and arguments; any other file (a script, a
 * program) runs itself. `desktop.ini` is Explorer's own and left out.
 * StartupApproved\StartupFolder (HKLM for the common folder, the user's
 * hive for theirs) says whether an item is disabled.
 */
import type { ArtifactRecord } from '@triage/artifact-schema';
import { type LnkFile, parseLnk } from '../lnk/lnk.js';
import type { RegistryKey } from '../regf/hive.js';
import type { VolumeFile, WindowsCollectContext, WindowsCollector } from './context.js';
import { absoluteWindowsPath, type WindowsEnvironment } from './paths.js';
import { approvedState, startupFields } from './startup.js';
import { isoOfMs } from './time.js';

/** The common Startup folder, below the volume root. */
export const COMMON_STARTUP = 'ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp';
/** A user's Startup folder, below the profile. */
export const USER_STARTUP = 'AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup';

const APPROVED = 'Microsoft\\Windows\\CurrentVersion\\Explorer\\StartupApproved\\StartupFolder';
/** A shortcut larger than this is not read (real ones are a few KiB). */
const MAX_LNK_BYTES = 1024 * 1024;

/** What a shortcut runs: its target path (local, network, or the environment block's), or null. */
export function shortcutTarget(lnk: LnkFile): string | null {
  return (
    lnk.linkInfo?.localPath ??
    lnk.linkInfo?.networkPath ??
    lnk.extraData.environmentTarget ??
    lnk.targetIdList?.path ??
    null
  );
}

async function* folderItems(
  ctx: WindowsCollectContext,
  folder: VolumeFile,
  user: string | null,
  approved: RegistryKey | undefined,
  env: WindowsEnvironment,
): AsyncGenerator<ArtifactRecord> {
  for (const file of await ctx.list(folder)) {
    const name = file.components.at(-1) ?? '';
    if (!file.stats.isFile() || name.toLowerCase() === 'desktop.ini') continue;
    let command: string | null = file.path;
    let program: string | null = file.path;
    if (name.toLowerCase().endsWith('.lnk')) {
      try {
        const lnk = await parseLnk(await ctx.readBytes(file, MAX_LNK_BYTES));
        if (lnk.diagnostics.length > 0)
          ctx.log(
            `${file.path}: ${lnk.diagnostics.length} damaged structures (first: ${lnk.diagnostics[0]?.message})`,
          );
        const target = shortcutTarget(lnk);
        const args = lnk.stringData.arguments;
        command = target === null ? null : args ? `"${target}" ${args}` : `"${target}"`;
        program = target === null ? null : absoluteWindowsPath(target, env);
      } catch (error) {
        ctx.error(file.path, error);
        command = null;
        program = null;
      }
    }
    if (program !== null) ctx.reference(program, `startup_item:${file.path}`);
    yield ctx.record(
      'startup_item',
      file.path,
      startupFields({
        mechanism: 'startup_folder',
        name,
        path: file.path,
        user,
        command,
        executable: program,
        enabled: approvedState((await approved?.value(name))?.data),
        file_mtime: isoOfMs(file.stats.mtimeMs),
      }),
    );
  }
}

async function* collectStartupFolders(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const common = await ctx.find(COMMON_STARTUP);
  if (common?.stats.isDirectory()) {
    const software = await ctx.hive('SOFTWARE').catch(() => null);
    yield* folderItems(ctx, common, null, await software?.hive.key(APPROVED), ctx.env);
  }
  for (const profile of await ctx.profiles()) {
    const folder = await ctx.find(`${profile.folder.components.join('\\')}\\${USER_STARTUP}`);
    if (!folder?.stats.isDirectory()) continue;
    let approved: RegistryKey | undefined;
    try {
      approved = await (await ctx.userHive(profile))?.hive.key(`Software\\${APPROVED}`);
    } catch {
      // The user's hive is reported by the registry collectors; the folder is still read.
    }
    yield* folderItems(ctx, folder, profile.user, approved, profile.env);
  }
}

/** Programs and shortcuts in the common and per-user Startup folders. */
export const startupFoldersCollector: WindowsCollector = {
  name: 'startup_folders',
  kinds: ['startup_item'],
  collect: collectStartupFolders,
};
