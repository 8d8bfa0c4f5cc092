/**
 * Pure parser for /proc/modules.
 */

/** One line of /proc/modules. */
export interface ProcModule {
  readonly name: string;
  /** Bytes of memory the module uses. */
  readonly size: number;
  /** Use count; null when the kernel prints `-` (module unloading not built in). */
  readonly refcount: number | null;
  /** Modules that use this one. */
  readonly usedBy: string[];
  /** Live, Loading or Unloading. */
  readonly state: string | null;
  /** Taint flags with their parentheses, e.g. `(OE)`; null for an untainted module. */
  readonly taint: string | null;
}

/**
 * Parses one line of /proc/modules: `name size refcount used_by state address [taint]`,
 * `used_by` being `-` or a comma-separated list ending in a comma.
 *
 * @param line - e.g. `vboxdrv 495616 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)`
 * @returns the module, or null for a malformed line
 */
export function parseProcModulesLine(line: string): ProcModule | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 3 || f[0] === '') return null;
  const size = Number(f[1]);
  if (!Number.isSafeInteger(size) || size < 0) return null;
  const refcount = f[2] === '-' ? null : Number(f[2]);
  if (refcount !== null && !Number.isSafeInteger(refcount)) return null;
  const usedBy = f[3] === undefined || f[3] === '-' ? [] : f[3].split(',').filter((s) => s !== '');
  const taint = f.slice(6).join(' ');
  return {
    name: f[0] as string,
    size,
    refcount,
    usedBy,
    state: f[4] ?? null,
    taint: taint === '' ? null : taint,
  };
}
