/**
 * Whole-file startup scripts: rc.local, SysV init scripts and shell profiles.
 */
import { posix } from 'node:path';
import type { StartupItem } from '@triage/artifact-schema';
import type { StartupScope } from './startup-common.js';

/**
 * Yields one `rc_local` item per rc.local (/etc/rc.local, /etc/rc.d/rc.local;
 * one file reached by both paths is listed once). The script is the command
 * and the executable (so it is hashed); `enabled` is its execute bit, which
 * systemd's rc-local.service requires.
 */
export async function* rcLocalItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const seen = new Set<string>();
  for (const path of ['/etc/rc.local', '/etc/rc.d/rc.local']) {
    const stats = await scope.stat(path);
    if (!stats?.isFile()) continue;
    const id = await scope.identity(path);
    if (seen.has(id)) continue;
    seen.add(id);
    scope.noteMtime(path, stats);
    yield await scope.item({
      mechanism: 'rc_local',
      name: posix.basename(path),
      path,
      user: null,
      command: path,
      executable: path,
      schedule: null,
      enabled: (stats.mode & 0o111) !== 0,
      line: null,
    });
  }
}

/**
 * Yields one `sysv_init` item per file in /etc/init.d (the script is command
 * and executable). `enabled`: an `S<NN><name>` link in any of /etc/rc{0-6,S}.d
 * or /etc/rc.d/rc{0-6}.d starts it in some runlevel.
 */
export async function* sysvItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const started = new Set<string>();
  const seenDirs = new Set<string>();
  const runlevels = ['0', '1', '2', '3', '4', '5', '6', 'S'];
  for (const dir of [
    ...runlevels.map((r) => `/etc/rc${r}.d`),
    ...runlevels.map((r) => `/etc/rc.d/rc${r}.d`),
  ]) {
    const id = await scope.identity(dir);
    if (seenDirs.has(id)) continue;
    seenDirs.add(id);
    for (const entry of await scope.list(dir)) {
      const m = /^S\d+(.+)$/.exec(entry);
      if (!m) continue;
      started.add(m[1] as string);
      const target = await scope.linkTarget(dir, entry);
      if (target !== null) started.add(posix.basename(target));
    }
  }
  for (const f of await scope.files('/etc/init.d')) {
    scope.noteMtime(f.path, f.stats);
    yield await scope.item({
      mechanism: 'sysv_init',
      name: f.name,
      path: f.path,
      user: null,
      command: f.path,
      executable: f.path,
      schedule: null,
      enabled: started.has(f.name),
      line: null,
    });
  }
}

/** System-wide files shells read at login or start, in the order a login bash reads the common ones. */
export const SYSTEM_PROFILES: readonly string[] = [
  '/etc/environment',
  '/etc/profile',
  '/etc/bash.bashrc',
  '/etc/bashrc',
  '/etc/bash.bash_logout',
  '/etc/zshenv',
  '/etc/zprofile',
  '/etc/zshrc',
  '/etc/zlogin',
  '/etc/zlogout',
  '/etc/zsh/zshenv',
  '/etc/zsh/zprofile',
  '/etc/zsh/zshrc',
  '/etc/zsh/zlogin',
  '/etc/zsh/zlogout',
  '/etc/csh.cshrc',
  '/etc/csh.login',
  '/etc/fish/config.fish',
];

/** Per-user startup files of the shells, relative to the home directory. */
export const USER_PROFILES: readonly string[] = [
  '.profile',
  '.bash_profile',
  '.bash_login',
  '.bashrc',
  '.bash_logout',
  '.zshenv',
  '.zprofile',
  '.zshrc',
  '.zlogin',
  '.zlogout',
  '.cshrc',
  '.tcshrc',
  '.login',
  '.config/fish/config.fish',
];

/**
 * Yields one `shell_profile` item per shell startup file that exists: the
 * {@link SYSTEM_PROFILES}, every file in /etc/profile.d, and each home's
 * {@link USER_PROFILES} (`user` = the home's account).
 *
 * Granularity, deliberately one record per file with `command` and
 * `executable` null: a profile is shell code that is sourced, not a command
 * that is run. Splitting it into "commands" would need a shell parser
 * (continuations, functions, here-documents, conditionals), and picking
 * "suspicious" lines would be a heuristic that silently misses what it does
 * not know. The record gives the file and its mtime exactly; the examiner
 * reads the files that stand out.
 */
export async function* profileItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const files: { path: string; user: string | null }[] = SYSTEM_PROFILES.map((path) => ({
    path,
    user: null,
  }));
  files.splice(2, 0, ...(await scope.files('/etc/profile.d')).map((f) => ({ path: f.path, user: null })));
  for (const home of await scope.homes()) {
    for (const rel of USER_PROFILES) files.push({ path: posix.join(home.path, rel), user: home.user });
  }
  for (const { path, user } of files) {
    const stats = await scope.stat(path);
    if (!stats?.isFile()) continue;
    scope.noteMtime(path, stats);
    yield await scope.item({
      mechanism: 'shell_profile',
      name: posix.basename(path),
      path,
      user,
      command: null,
      executable: null,
      schedule: null,
      enabled: null,
      line: null,
    });
  }
}
