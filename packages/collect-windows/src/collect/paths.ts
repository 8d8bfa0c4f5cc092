/**
 * Windows paths and command lines, as the registry, task files, shortcuts
 * and event logs write them: environment variables, `\??\` and
 * `\SystemRoot\` prefixes, paths relative to the Windows folder (drivers),
 * quoted and unquoted programs with spaces. Pure functions; nothing here
 * touches the disk.
 */

/** The program extensions Windows runs or loads, for finding the program in an unquoted command line. */
const PROGRAM_EXTENSIONS = /\.(exe|com|bat|cmd|dll|sys|scr|cpl|ocx|ps1|vbs|vbe|js|jse|wsf|msc|pif|hta|drv)$/i;

/** What `%NAME%` expands to; per-user names only when a profile is known. */
export interface WindowsEnvironment {
  /** The system drive, `C:`. */
  readonly systemDrive: string;
  /** The user's profile folder (`C:\Users\alice`) for a per-user source, else undefined. */
  readonly profile?: string | undefined;
}

/**
 * The value of an environment variable as Windows sets it on a default
 * installation, or undefined for one we do not know (it stays unexpanded).
 */
export function environmentValue(name: string, env: WindowsEnvironment): string | undefined {
  const drive = env.systemDrive;
  switch (name.toLowerCase()) {
    case 'systemroot':
    case 'windir':
      return `${drive}\\Windows`;
    case 'systemdrive':
      return drive;
    case 'programfiles':
    case 'programw6432':
      return `${drive}\\Program Files`;
    case 'programfiles(x86)':
      return `${drive}\\Program Files (x86)`;
    case 'commonprogramfiles':
    case 'commonprogramw6432':
      return `${drive}\\Program Files\\Common Files`;
    case 'commonprogramfiles(x86)':
      return `${drive}\\Program Files (x86)\\Common Files`;
    case 'programdata':
    case 'allusersprofile':
      return `${drive}\\ProgramData`;
    case 'public':
      return `${drive}\\Users\\Public`;
    case 'userprofile':
      return env.profile;
    case 'appdata':
      return env.profile === undefined ? undefined : `${env.profile}\\AppData\\Roaming`;
    case 'localappdata':
      return env.profile === undefined ? undefined : `${env.profile}\\AppData\\Local`;
    case 'temp':
    case 'tmp':
      return env.profile === undefined ? `${drive}\\Windows\\Temp` : `${env.profile}\\AppData\\Local\\Temp`;
    default:
      return undefined;
  }
}

/** `text` with the `%NAME%` variables we know expanded; unknown ones stay as written. */
export function expandEnvironment(text: string, env: WindowsEnvironment): string {
  return text.replace(
    /%([^%\\/:*?"<>|\r\n]{1,64})%/g,
    (whole, name: string) => environmentValue(name, env) ?? whole,
  );
}

/**
 * A path as an absolute Windows path with a drive: variables expanded,
 * `\??\` and `\\?\` removed, `\SystemRoot\` and Windows-relative driver
 * paths (`System32\drivers\x.sys`) put under the Windows folder, ShimCache's
 * `SYSVOL\` put on the system drive, forward slashes turned back.
 *
 * @returns the path, or null when it is not absolute (a bare program name,
 *   an unknown variable left in front, a relative path)
 */
export function absoluteWindowsPath(path: string, env: WindowsEnvironment): string | null {
  let p = expandEnvironment(path.trim(), env).replaceAll('/', '\\');
  if (p.startsWith('\\??\\') || p.startsWith('\\\\?\\')) p = p.slice(4);
  if (/^\\systemroot\\/i.test(p)) p = `${env.systemDrive}\\Windows${p.slice('\\SystemRoot'.length)}`;
  else if (/^(system32|syswow64)\\/i.test(p)) p = `${env.systemDrive}\\Windows\\${p}`;
  else if (/^sysvol\\/i.test(p)) p = `${env.systemDrive}${p.slice('SYSVOL'.length)}`;
  if (/^[A-Za-z]:\\/.test(p)) return p;
  if (/^\\\\[^\\]/.test(p)) return p; // UNC
  return null;
}

/** True when `path` (absolute) is on the system drive, so it can be looked for in the collected volume. */
export function onSystemDrive(path: string, env: WindowsEnvironment): boolean {
  return path.slice(0, 2).toLowerCase() === env.systemDrive.toLowerCase() && path[2] === '\\';
}

/**
 * The components of a path on the system drive below its root
 * (`C:\Windows\System32\cmd.exe` → `Windows`, `System32`, `cmd.exe`), with
 * `.` dropped and `..` applied (never above the root).
 */
export function volumeComponents(path: string): string[] {
  const out: string[] = [];
  for (const part of path.slice(3).split('\\')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** The last component of a Windows path. */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return cut < 0 ? path : path.slice(cut + 1);
}

/**
 * The program a command line runs, as written: the quoted first word, or
 * the shortest run of unquoted words that ends in a program extension
 * (`C:\Program Files\x\y.exe -k` has spaces), or the first word.
 *
 * @returns the program, or null for an empty command
 */
export function programOf(command: string): string | null {
  let text = command.trim();
  if (text.startsWith('\\??\\')) text = text.slice(4);
  if (text === '') return null;
  if (text.startsWith('"')) {
    const end = text.indexOf('"', 1);
    const quoted = end < 0 ? text.slice(1) : text.slice(1, end);
    return quoted.trim() === '' ? null : quoted.trim();
  }
  const words = text.split(/\s+/);
  let joined = '';
  for (const [i, word] of words.entries()) {
    joined = i === 0 ? word : `${joined} ${word}`;
    if (PROGRAM_EXTENSIONS.test(joined)) return joined;
    // Program names rarely hold more than a few spaces; stop looking past a switch.
    if (i > 0 && /^[-/]/.test(word)) break;
  }
  return words[0] ?? null;
}

/** Ways of finding a bare program name, in Windows' order for the system PATH. */
export function searchPath(env: WindowsEnvironment): string[] {
  const windows = `${env.systemDrive}\\Windows`;
  return [
    `${windows}\\System32`,
    windows,
    `${windows}\\System32\\Wbem`,
    `${windows}\\System32\\WindowsPowerShell\\v1.0`,
  ];
}

/** True for a bare program name (no folder), which Windows looks for on the PATH. */
export function isBareName(program: string): boolean {
  return !/[\\/:]/.test(program) && !program.startsWith('%');
}

/** Adds `.exe` to a bare name without an extension (Windows' default). */
export function withExeExtension(name: string): string {
  return /\.[A-Za-z0-9]{1,4}$/.test(name) ? name : `${name}.exe`;
}

/** Splits a list of DLLs as AppInit_DLLs holds them (spaces or commas). */
export function splitDllList(value: string): string[] {
  const out: string[] = [];
  for (const quoted of value.matchAll(/"([^"]+)"|([^\s,"]+)/g)) {
    const item = (quoted[1] ?? quoted[2] ?? '').trim();
    if (item !== '') out.push(item);
  }
  return out;
}
