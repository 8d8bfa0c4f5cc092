/**
 * Live collection on Windows: the files the running system keeps open and
 * locked (the SAM, SYSTEM and SOFTWARE hives, the loaded users' hives, the
 * event logs) cannot be read in place, so they are exported first into a
 * private temporary folder (`reg save`, `wevtutil epl`), the collectors read
 * the copies, and the folder is deleted at the end. What cannot be exported
 * (no administrator rights) becomes a collector error and collection goes on
 * with what is readable.
 *
 * UNTESTED: this module runs only on Windows, and the test machines are
 * Linux. It is kept small and behind `Deps.exportWindowsLive`; everything it
 * feeds (`collectWindows` with `exports`) is tested offline.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CollectorError } from '@triage/collect-core';
import { LIVE_EXPORTS } from '@triage/collect-windows';

/** The exported copies, ready for `collectWindows`. */
export interface WindowsLiveExport {
  /** The system volume's root, e.g. `C:\`. */
  readonly root: string;
  /** The drive letter, e.g. `C:`. */
  readonly systemDrive: string;
  /** Exported copies by path below the root (`collectWindows`'s `exports`). */
  readonly exports: Readonly<Record<string, string>>;
  /** What could not be exported (permission denied without administrator rights, a missing log). */
  readonly errors: readonly CollectorError[];
  /** Deletes the private folder and every copy in it. */
  cleanup(): Promise<void>;
}

/** Runs a Windows tool; rejects with its first line of output on failure. */
function run(file: string, args: readonly string[], signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { windowsHide: true, ...(signal ? { signal } : {}) },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${`${stderr}`.trim().split(/\r?\n/)[0] || error.message}`));
        else resolve(`${stdout}`);
      },
    );
  });
}

function failure(what: string, path: string, error: unknown): CollectorError {
  const message = error instanceof Error ? error.message : String(error);
  const denied = /access is denied|privilege/i.test(message);
  return {
    collector: 'live_export',
    code: denied ? 'PERMISSION_DENIED' : 'IO_ERROR',
    message: `${what}: ${message}${denied ? ' (needs administrator rights)' : ''}`,
    path,
  };
}

/**
 * Exports the locked files of the running Windows system into a new folder
 * under the user's temporary folder (created by `mkdtemp`, so private to
 * this user; Windows gives %TEMP% an ACL of the user, SYSTEM and
 * Administrators).
 *
 * @param env - the environment (`SystemDrive`)
 * @param signal - stops the export tools
 */
export async function exportWindowsLive(
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal | undefined,
): Promise<WindowsLiveExport> {
  const systemDrive = /^[A-Za-z]:$/.test(env.SystemDrive ?? '') ? (env.SystemDrive as string) : 'C:';
  const dir = await mkdtemp(join(tmpdir(), 'triage-live-'));
  const exports: Record<string, string> = {};
  const errors: CollectorError[] = [];
  let n = 0;
  const target = () => join(dir, `export-${++n}`);
  for (const item of LIVE_EXPORTS) {
    const file = target();
    try {
      if (item.how === 'reg-save') await run('reg.exe', ['save', item.key, file, '/y'], signal);
      else await run('wevtutil.exe', ['epl', item.channel, file, '/ow:true'], signal);
      exports[item.path] = file;
    } catch (error) {
      errors.push(
        failure(
          item.how === 'reg-save' ? `reg save ${item.key}` : `wevtutil epl ${item.channel}`,
          `${systemDrive}\\${item.path}`,
          error,
        ),
      );
    }
  }
  // The hives of users logged on now are loaded under HKEY_USERS and locked on disk.
  try {
    const loaded = (await run('reg.exe', ['query', 'HKU'], signal))
      .split(/\r?\n/)
      .map((line) => /^HKEY_USERS\\(S-1-5-21-[0-9-]+)$/.exec(line.trim())?.[1])
      .filter((sid): sid is string => sid !== undefined);
    for (const sid of loaded) {
      const profile = await run(
        'reg.exe',
        [
          'query',
          `HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\${sid}`,
          '/v',
          'ProfileImagePath',
        ],
        signal,
      ).catch(() => '');
      const folder = /ProfileImagePath\s+REG_EXPAND_SZ\s+(.+)$/m.exec(profile)?.[1]?.trim();
      const relative = folder?.replace(/^(%SystemDrive%|[A-Za-z]:)\\/i, '');
      if (!relative) continue;
      const file = target();
      try {
        await run('reg.exe', ['save', `HKU\\${sid}`, file, '/y'], signal);
        exports[`${relative}\\NTUSER.DAT`] = file;
      } catch (error) {
        errors.push(failure(`reg save HKU\\${sid}`, `${systemDrive}\\${relative}\\NTUSER.DAT`, error));
      }
    }
  } catch (error) {
    errors.push(failure('reg query HKU', 'HKEY_USERS', error));
  }
  return {
    root: `${systemDrive}\\`,
    systemDrive,
    exports,
    errors,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
