/**
 * XDG autostart entries (`.desktop` files started with a graphical session).
 */
import { posix } from 'node:path';
import type { StartupItem } from '@triage/artifact-schema';
import type { StartupScope } from './startup-common.js';

/** One key of a desktop entry, with the line it is on. */
export interface DesktopValue {
  readonly value: string;
  /** 1-based line. */
  readonly line: number;
}

/**
 * Parses the `[Desktop Entry]` group of a desktop file (Desktop Entry
 * Specification): `Key=Value` lines, `#` comments, other groups (actions)
 * ignored, localised keys (`Name[de]=`) ignored, the first occurrence of a
 * key kept. Values are returned raw, escapes and field codes included.
 *
 * @param text - the file's text
 * @returns the keys of the main group
 */
export function parseDesktopEntry(text: string): Map<string, DesktopValue> {
  const out = new Map<string, DesktopValue>();
  let inEntry = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      inEntry = line === '[Desktop Entry]';
      continue;
    }
    if (!inEntry) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (key.includes('[') || out.has(key)) continue;
    out.set(key, { value: line.slice(eq + 1).trim(), line: i + 1 });
  }
  return out;
}

/**
 * Whether a session would start the entry: not when `Hidden=true` or
 * `X-GNOME-Autostart-enabled=false`.
 */
export function desktopEnabled(entry: ReadonlyMap<string, DesktopValue>): boolean {
  if (entry.get('Hidden')?.value.toLowerCase() === 'true') return false;
  return entry.get('X-GNOME-Autostart-enabled')?.value.toLowerCase() !== 'false';
}

/** Removes `%f`-style field codes (the spec says they expand to nothing or to files). */
export function stripFieldCodes(exec: string): string {
  return exec
    .replace(/(^|\s)%[fFuUdDnNickvm](?=\s|$)/g, '$1')
    .replace(/%%/g, '%')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Yields one `xdg_autostart` item per `.desktop` file in /etc/xdg/autostart
 * and each home's `~/.config/autostart` (`user` = the home's account):
 * `command` = `Exec=` as written, `line` its line, `enabled` per
 * {@link desktopEnabled}. An entry without `Exec=` (a user file that only
 * hides a system one) has a null command.
 */
export async function* xdgAutostartItems(scope: StartupScope): AsyncGenerator<StartupItem> {
  const dirs: { dir: string; user: string | null }[] = [{ dir: '/etc/xdg/autostart', user: null }];
  for (const home of await scope.homes())
    dirs.push({ dir: posix.join(home.path, '.config/autostart'), user: home.user });
  for (const { dir, user } of dirs) {
    for (const f of await scope.files(dir, (n) => n.endsWith('.desktop'))) {
      scope.noteMtime(f.path, f.stats);
      const text = await scope.read(f.path);
      if (text === null) continue;
      const entry = parseDesktopEntry(text);
      const exec = entry.get('Exec');
      const command = exec?.value ?? null;
      yield await scope.item({
        mechanism: 'xdg_autostart',
        name: f.name,
        path: f.path,
        user,
        command,
        executable: await scope.executable(command === null ? null : stripFieldCodes(command)),
        schedule: null,
        enabled: desktopEnabled(entry),
        line: exec?.line ?? null,
      });
    }
  }
}
