/**
 * Loader and kernel hooks: /etc/ld.so.preload, modules loaded at boot, udev RUN programs.
 */
import type { StartupItem } from '@triage/artifact-schema';
import type { StartupScope } from './startup-common.js';

/** One entry of a line-based list file. */
export interface ListEntry {
  readonly value: string;
  /** 1-based line. */
  readonly line: number;
}

/**
 * Parses /etc/ld.so.preload as glibc's loader does: library names separated
 * by white space or `:`, `#` starting a comment to the end of the line.
 *
 * @param text - the file's text
 * @returns the listed libraries in order
 */
export function parseLdSoPreload(text: string): ListEntry[] {
  const out: ListEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const content = (lines[i] as string).replace(/#.*$/, '');
    for (const value of content.split(/[\s:]+/)) if (value !== '') out.push({ value, line: i + 1 });
  }
  return out;
}

/**
 * Parses a modules-load.d(5) file (or Debian's /etc/modules): one module
 * name per line, `#` and `;` comment lines. Anything after the name (old
 * /etc/modules allowed parameters) is not part of the name.
 *
 * @param text - the file's text
 * @returns the module names in order
 */
export function parseModulesLoad(text: string): ListEntry[] {
  const out: ListEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    out.push({ value: line.split(/\s+/)[0] as string, line: i + 1 });
  }
  return out;
}

const RUN_KEY = /(?:^|[\s,])RUN(?:\{([^}]*)\})?\s*(?:\+=|:=|=)\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * The programs a udev rules file runs: every `RUN` / `RUN{program}`
 * assignment (not `RUN{builtin}`), one entry per assignment, `line` being
 * the line the rule starts on. A line ending in a backslash continues on the
 * next; `#` lines are comments.
 *
 * @param text - the rules file's text
 * @returns the RUN values, as written (with `$kernel`, `%k` substitutions)
 */
export function parseUdevRuns(text: string): ListEntry[] {
  const out: ListEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let rule = lines[i] as string;
    while (rule.endsWith('\\') && i + 1 < lines.length) rule = `${rule.slice(0, -1)} ${lines[++i]}`;
    const trimmed = rule.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    for (const m of trimmed.matchAll(RUN_KEY)) {
      const type = m[1];
      if (type !== undefined && type !== 'program') continue;
      const value = (m[2] as string).trim();
      if (value !== '') out.push({ value, line: first + 1 });
    }
  }
  return out;
}

/**
 * Yields one `ld_preload` item per library in /etc/ld.so.preload: `command`
 * and `executable` are the library path (so it is hashed); every process the
 * dynamic loader starts maps it.
 */
export async function* ldPreloadItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const path = '/etc/ld.so.preload';
  const stats = await scope.stat(path);
  if (!stats?.isFile()) return;
  scope.noteMtime(path, stats);
  const text = await scope.read(path);
  if (text === null) return;
  for (const entry of parseLdSoPreload(text)) {
    yield await scope.item({
      mechanism: 'ld_preload',
      name: `${path}:${entry.line}`,
      path,
      user: null,
      command: entry.value,
      executable: entry.value.startsWith('/') ? entry.value : null,
      schedule: null,
      enabled: null,
      line: entry.line,
    });
  }
}

/** Directories of modules-load.d(5), highest precedence first; /run only live. */
function modulesLoadDirs(live: boolean): string[] {
  return [
    '/etc/modules-load.d',
    ...(live ? ['/run/modules-load.d'] : []),
    '/usr/local/lib/modules-load.d',
    '/usr/lib/modules-load.d',
    '/lib/modules-load.d',
  ];
}

/**
 * Yields one `modules_load` item per module name in Debian's /etc/modules and
 * in the `*.conf` files of the modules-load.d directories (other names are
 * ignored by systemd-modules-load, so here too). `command` is the module
 * name; `executable` is null. A file reached twice (Debian links
 * /etc/modules-load.d/modules.conf to ../modules) is read once.
 */
export async function* modulesLoadItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const files: string[] = ['/etc/modules'];
  const seenDirs = new Set<string>();
  for (const dir of modulesLoadDirs(scope.ctx.live)) {
    const id = await scope.identity(dir);
    if (seenDirs.has(id)) continue;
    seenDirs.add(id);
    for (const f of await scope.files(dir, (n) => n.endsWith('.conf'))) files.push(f.path);
  }
  const seen = new Set<string>();
  for (const path of files) {
    const stats = await scope.stat(path);
    if (!stats?.isFile()) continue;
    const id = await scope.identity(path);
    if (seen.has(id)) continue;
    seen.add(id);
    scope.noteMtime(path, stats);
    const text = await scope.read(path);
    if (text === null) continue;
    for (const entry of parseModulesLoad(text)) {
      yield await scope.item({
        mechanism: 'modules_load',
        name: `${path}:${entry.line}`,
        path,
        user: null,
        command: entry.value,
        executable: null,
        schedule: null,
        enabled: null,
        line: entry.line,
      });
    }
  }
}

/** Where udev looks for a RUN program given without a path. */
const UDEV_PROGRAM_DIRS = ['/usr/lib/udev', '/lib/udev'];

/**
 * Yields one `udev_rule` item per RUN program (see {@link parseUdevRuns}) in
 * the `*.rules` files of /etc/udev/rules.d, /run/udev/rules.d (live),
 * /usr/local/lib/udev/rules.d, /usr/lib/udev/rules.d and /lib/udev/rules.d.
 * A bare program name is looked up in /usr/lib/udev and /lib/udev first, as udev does.
 */
export async function* udevItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const seenDirs = new Set<string>();
  const dirs = [
    '/etc/udev/rules.d',
    ...(scope.ctx.live ? ['/run/udev/rules.d'] : []),
    '/usr/local/lib/udev/rules.d',
    '/usr/lib/udev/rules.d',
    '/lib/udev/rules.d',
  ];
  for (const dir of dirs) {
    const id = await scope.identity(dir);
    if (seenDirs.has(id)) continue;
    seenDirs.add(id);
    for (const f of await scope.files(dir, (n) => n.endsWith('.rules'))) {
      scope.noteMtime(f.path, f.stats);
      const text = await scope.read(f.path);
      if (text === null) continue;
      for (const run of parseUdevRuns(text)) {
        yield await scope.item({
          mechanism: 'udev_rule',
          name: `${f.path}:${run.line}`,
          path: f.path,
          user: null,
          command: run.value,
          executable: await scope.executable(run.value, { firstDirs: UDEV_PROGRAM_DIRS }),
          schedule: null,
          enabled: null,
          line: run.line,
        });
      }
    }
  }
}
