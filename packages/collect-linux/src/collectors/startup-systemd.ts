/**
 * systemd services and timers, system-wide and per user, with drop-ins.
 */
import { posix } from 'node:path';
import type { StartupItem } from '@triage/artifact-schema';
import type { Home, StartupScope } from './startup-common.js';

/** One `Key=Value` of a unit file. */
export interface UnitDirective {
  /** The section it is in, without brackets, e.g. `Service`. */
  readonly section: string;
  readonly key: string;
  /** The value, continuation lines joined, surrounding whitespace removed. */
  readonly value: string;
  /** 1-based line the directive starts on. */
  readonly line: number;
}

/**
 * Parses a unit file (or drop-in) as systemd.syntax(7) describes: `[Section]`
 * headers; `Key=Value` lines; `#` and `;` comment lines; a line ending in a
 * backslash continues on the next, the backslash becoming a space, with
 * comment lines inside a continuation skipped. Directives before any section
 * and lines without `=` are ignored, as systemd ignores them (with a warning).
 *
 * @param text - the file's text
 * @returns the directives in file order
 */
export function parseUnitFile(text: string): UnitDirective[] {
  const out: UnitDirective[] = [];
  const lines = text.split(/\r?\n/);
  let section: string | null = null;
  let pending: { text: string; line: number } | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const trimmed = raw.trim();
    if (pending !== null) {
      if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
      pending.text += raw;
    } else {
      if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
      pending = { text: raw, line: i + 1 };
    }
    if (endsWithContinuation(pending.text) && i + 1 < lines.length) {
      pending.text = `${pending.text.slice(0, -1)} `;
      continue;
    }
    const logical = pending.text.trim();
    const line = pending.line;
    pending = null;
    if (logical.startsWith('[') && logical.endsWith(']')) {
      section = logical.slice(1, -1);
      continue;
    }
    const eq = logical.indexOf('=');
    if (section === null || eq <= 0) continue;
    out.push({ section, key: logical.slice(0, eq).trim(), value: logical.slice(eq + 1).trim(), line });
  }
  return out;
}

/** A line continues when it ends in an odd number of backslashes (two at the end are an escaped backslash). */
function endsWithContinuation(text: string): boolean {
  let n = 0;
  while (n < text.length && text[text.length - 1 - n] === '\\') n++;
  return n % 2 === 1;
}

/** The directives of a service that run a program, in the order systemd runs them. */
export const EXEC_KEYS: readonly string[] = [
  'ExecCondition',
  'ExecStartPre',
  'ExecStart',
  'ExecStartPost',
  'ExecReload',
  'ExecStop',
  'ExecStopPost',
];

/**
 * Removes the special prefixes of an Exec value (`-` ignore failure, `@`
 * argv0 follows, `:` no substitution, `+` / `!` / `!!` privileges).
 *
 * @param value - e.g. `-/usr/bin/foo --bar`
 * @returns e.g. `/usr/bin/foo --bar`
 */
export function stripExecPrefixes(value: string): string {
  return value.replace(/^[-@:+!]+/, '').trim();
}

const TIMER_KEYS = new Set([
  'OnActiveSec',
  'OnBootSec',
  'OnStartupSec',
  'OnUnitActiveSec',
  'OnUnitInactiveSec',
  'OnCalendar',
]);

/**
 * The schedule of a timer: each `On…=` directive of `[Timer]` as `Key=Value`,
 * joined with `; ` in file order; null when there is none.
 */
export function timerSchedule(directives: readonly UnitDirective[]): string | null {
  const parts = directives
    .filter((d) => d.section === 'Timer' && TIMER_KEYS.has(d.key) && d.value !== '')
    .map((d) => `${d.key}=${d.value}`);
  return parts.length === 0 ? null : parts.join('; ');
}

/** The unit a timer activates: its `Unit=`, else the timer's own name with `.service`. */
export function timerUnit(timerName: string, directives: readonly UnitDirective[]): string {
  const unit = directives.filter((d) => d.section === 'Timer' && d.key === 'Unit' && d.value !== '').at(-1);
  return unit?.value ?? timerName.replace(/\.timer$/, '.service');
}

/** The last non-empty value of `key` in `section`, as systemd lets the last assignment win. */
function lastValue(directives: readonly UnitDirective[], section: string, key: string): string | null {
  return (
    directives.filter((d) => d.section === section && d.key === key && d.value !== '').at(-1)?.value ?? null
  );
}

/** `foo@bar.service` → `foo@.service`; other names unchanged. */
function templateOf(name: string): string {
  return name.replace(/@[^.@]+(\.[a-z]+)$/, '@$1');
}

const ENABLE_DIR = /\.(wants|requires|upholds)$/;
const UNIT_KIND = /\.(service|timer)$/;
const DROPIN_DIR = /^(?:.+\.)?(service|timer)\.d$/;

interface Group {
  /** Unit directories, highest precedence first. */
  readonly dirs: readonly string[];
  /** The account per-user units run as; null system-wide and for global user units. */
  readonly user: string | null;
}

interface UnitState {
  readonly enabled: Set<string>;
  readonly masked: Set<string>;
}

/**
 * systemd unit directories: system (`/etc/systemd/system`, `/run/systemd/system`
 * live only, `/usr/local/lib`, `/usr/lib`, `/lib`), global user units
 * (`/etc/systemd/user`, `/usr/lib/systemd/user`, …) and each home's
 * `~/.config/systemd/user` and `~/.local/share/systemd/user`.
 */
function groups(
  live: boolean,
  homes: readonly Home[],
): { system: Group; userGlobal: Group; perUser: Group[] } {
  const run = (dir: string) => (live ? [dir] : []);
  return {
    system: {
      dirs: [
        '/etc/systemd/system',
        ...run('/run/systemd/system'),
        '/usr/local/lib/systemd/system',
        '/usr/lib/systemd/system',
        '/lib/systemd/system',
      ],
      user: null,
    },
    userGlobal: {
      dirs: [
        '/etc/systemd/user',
        ...run('/run/systemd/user'),
        '/usr/local/lib/systemd/user',
        '/usr/lib/systemd/user',
        '/lib/systemd/user',
      ],
      user: null,
    },
    perUser: homes.map((h) => ({
      dirs: [posix.join(h.path, '.config/systemd/user'), posix.join(h.path, '.local/share/systemd/user')],
      user: h.user,
    })),
  };
}

/**
 * Yields one `systemd_unit` item per Exec directive of every `.service` file
 * and service drop-in (`foo.service.d/*.conf`, also `service.d/`), or one
 * with a null command when a file has none, and one `systemd_timer` item per
 * `.timer` file and timer drop-in.
 *
 * - `enabled`: the unit (or, for an instance, its template) is linked from a
 *   `*.wants`, `*.requires` or `*.upholds` directory of any unit directory of
 *   its scope (for per-user units, the user's own or the global user ones),
 *   and not masked (a symlink to /dev/null or an empty file of that name).
 * - `user`: `User=` of the service (a drop-in's own, else the unit's); for
 *   per-user units the home's account; null otherwise (systemd's default,
 *   root, is not written in the file).
 * - A timer's `command` is the unit it activates and its `schedule` the
 *   `On…=` directives; its `executable` is null (the service's item has it).
 * - Entries that are symlinks into another unit directory (aliases such as
 *   `sshd.service`) are skipped: the target is listed where it lives.
 *   Directories reached twice (`/lib` → `/usr/lib`) are read once.
 * - Other unit types (`.socket`, `.path`, `.mount`, …) start no program of
 *   their own, only a service, which is listed.
 */
export async function* systemdItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const { system, userGlobal, perUser } = groups(scope.ctx.live, await scope.homes());
  const seenDirs = new Set<string>();
  const unitDirIdentities = new Set<string>();
  const resolved = new Map<Group, string[]>();
  for (const group of [system, userGlobal, ...perUser]) {
    const dirs: string[] = [];
    for (const dir of group.dirs) {
      const stats = await scope.stat(dir);
      if (!stats?.isDirectory()) continue;
      const id = await scope.identity(dir);
      unitDirIdentities.add(id);
      if (seenDirs.has(id)) continue;
      seenDirs.add(id);
      dirs.push(dir);
    }
    resolved.set(group, dirs);
  }
  const dirsOf = (group: Group) => resolved.get(group) ?? [];

  const systemState = await unitState(scope, dirsOf(system));
  const globalUserState = await unitState(scope, dirsOf(userGlobal));
  const perUserStates = new Map<Group, UnitState>();
  for (const group of perUser) {
    const own = await unitState(scope, dirsOf(group));
    perUserStates.set(group, merge(own, globalUserState));
  }
  // A global user unit counts as enabled when any user (or the global config) enabled it.
  const anyUserState = merge(globalUserState, ...perUserStates.values());

  for (const [group, state] of [
    [system, systemState],
    [userGlobal, anyUserState],
    ...perUser.map((g) => [g, perUserStates.get(g) as UnitState] as const),
  ] as const) {
    yield* groupItems(scope, dirsOf(group), group.user, state, unitDirIdentities);
  }
}

function merge(...states: UnitState[]): UnitState {
  const enabled = new Set<string>();
  const masked = new Set<string>();
  for (const s of states) {
    for (const n of s.enabled) enabled.add(n);
    for (const n of s.masked) masked.add(n);
  }
  return { enabled, masked };
}

/** Names linked from enable directories, and masked names, in a set of unit directories. */
async function unitState(scope: StartupScope, dirs: readonly string[]): Promise<UnitState> {
  const enabled = new Set<string>();
  const masked = new Set<string>();
  const add = (name: string) => {
    enabled.add(name);
    enabled.add(templateOf(name));
  };
  for (const dir of dirs) {
    for (const entry of await scope.list(dir)) {
      const path = posix.join(dir, entry);
      if (UNIT_KIND.test(entry)) {
        const target = await scope.linkTarget(dir, entry);
        if (target === '/dev/null') masked.add(entry);
        else if (target === null) {
          const stats = await scope.stat(path);
          if (stats?.isFile() && stats.size === 0) masked.add(entry);
        }
        continue;
      }
      if (!ENABLE_DIR.test(entry)) continue;
      for (const link of await scope.list(path)) {
        add(link);
        const target = await scope.linkTarget(path, link);
        if (target !== null && target !== '/dev/null') add(posix.basename(target));
      }
    }
  }
  return { enabled, masked };
}

async function* groupItems(
  scope: StartupScope,
  dirs: readonly string[],
  groupUser: string | null,
  state: UnitState,
  unitDirIdentities: ReadonlySet<string>,
): AsyncGenerator<StartupItem> {
  const isEnabled = (name: string) =>
    !state.masked.has(name) && (state.enabled.has(name) || state.enabled.has(templateOf(name)));
  const serviceUsers = new Map<string, string | null>();
  const dropIns: { unit: string; dir: string }[] = [];

  for (const dir of dirs) {
    for (const entry of await scope.list(dir)) {
      const path = posix.join(dir, entry);
      if (DROPIN_DIR.test(entry)) {
        dropIns.push({ unit: entry.slice(0, -2), dir: path });
        continue;
      }
      const kind = UNIT_KIND.exec(entry)?.[1];
      if (kind === undefined) continue;
      const target = await scope.linkTarget(dir, entry);
      if (target !== null && unitDirIdentities.has(posix.dirname(await scope.identity(target)))) continue;
      const stats = await scope.stat(path);
      if (!stats?.isFile()) continue;
      scope.noteMtime(path, stats);
      const text = await scope.read(path);
      if (text === null) continue;
      const directives = parseUnitFile(text);
      if (kind === 'timer') {
        yield await timerItem(scope, entry, path, directives, groupUser, isEnabled(entry));
        continue;
      }
      const user = lastValue(directives, 'Service', 'User') ?? groupUser;
      if (!serviceUsers.has(entry)) serviceUsers.set(entry, user);
      yield* serviceItems(scope, entry, path, directives, user, isEnabled(entry));
    }
  }

  for (const { unit, dir } of dropIns) {
    for (const file of await scope.files(dir, (n) => n.endsWith('.conf'))) {
      scope.noteMtime(file.path, file.stats);
      const text = await scope.read(file.path);
      if (text === null) continue;
      const directives = parseUnitFile(text);
      if (unit.endsWith('timer')) {
        yield await timerItem(scope, unit, file.path, directives, groupUser, isEnabled(unit));
        continue;
      }
      const user = lastValue(directives, 'Service', 'User') ?? serviceUsers.get(unit) ?? groupUser;
      yield* serviceItems(scope, unit, file.path, directives, user, isEnabled(unit));
    }
  }
}

async function* serviceItems(
  scope: StartupScope,
  name: string,
  path: string,
  directives: readonly UnitDirective[],
  user: string | null,
  enabled: boolean,
): AsyncGenerator<StartupItem> {
  const execs = directives.filter(
    (d) => d.section === 'Service' && EXEC_KEYS.includes(d.key) && d.value !== '',
  );
  const base = { mechanism: 'systemd_unit', name, path, user, schedule: null, enabled } as const;
  if (execs.length === 0) {
    yield await scope.item({ ...base, command: null, executable: null, line: null });
    return;
  }
  for (const exec of execs) {
    const command = stripExecPrefixes(exec.value);
    yield await scope.item({
      ...base,
      command,
      executable: await scope.executable(command),
      line: exec.line,
    });
  }
}

function timerItem(
  scope: StartupScope,
  name: string,
  path: string,
  directives: readonly UnitDirective[],
  user: string | null,
  enabled: boolean,
): Promise<StartupItem> {
  return scope.item({
    mechanism: 'systemd_timer',
    name,
    path,
    user,
    command: timerUnit(name, directives),
    executable: null,
    schedule: timerSchedule(directives),
    enabled,
    line: null,
  });
}
