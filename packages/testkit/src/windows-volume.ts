/**
 * A folder laid out like a Windows system volume, built from the shared
 * Windows samples (`../shared/windows-samples/` beside the repository, never
 * copied into it): each sample at the `canonical_path` its MANIFEST.json
 * names, gunzipped when stored as `.gz`. For tests of the Windows
 * collectors and of `triage-collect run --os windows`.
 *
 * Several samples share a path (five Security logs, two SAMs). The first in
 * MANIFEST order takes the path; a later event log becomes an archive beside
 * it, named as Windows names archived logs
 * (`Archive-Security-2000-01-01-00-00-01-000.evtx`, numbered in MANIFEST
 * order), so every log is read; a later hive is left out (a volume has one
 * SAM) and listed in `skipped`. Samples without a path on a volume (raw
 * AppCompatCache values, expected-value files) are listed in `skipped` too.
 *
 * A few small stand-in programs are written where the samples' startup
 * items point (`STAND_INS`), so `file_metadata` has files to hash; their
 * bytes are text saying what they are.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** The samples folder: `/work/shared/windows-samples` for a checkout at `/work/main`. */
export const WINDOWS_SAMPLES_DIR = fileURLToPath(
  new URL('../../../../shared/windows-samples/', import.meta.url),
);

/** One entry of the samples' MANIFEST.json. */
export interface WindowsSampleEntry {
  /** Its path below the samples folder, e.g. `registry/SAM_plaso_win7`. */
  readonly file: string;
  /** Where it lives on a Windows volume, or a parenthesised note when it does not. */
  readonly canonical_path: string;
  /** SHA-256 of the original (gunzipped) bytes. */
  readonly raw_sha256: string;
  /** What it holds, in words: the facts tests check. */
  readonly contains: string;
}

/** Programs written into the volume where the samples' startup items point, with their contents. */
export const STAND_INS: Readonly<Record<string, string>> = {
  // SOFTWARE_synthetic_fixture's planted Run value "Updater".
  'ProgramData/upd/svchost.exe': 'MZ triage test stand-in for C:\\ProgramData\\upd\\svchost.exe\n',
  // Its Policies\Explorer\Run value "1".
  'Users/Public/policyrun.exe': 'MZ triage test stand-in for C:\\Users\\Public\\policyrun.exe\n',
  // The sethc.exe IFEO debugger's target.
  'Windows/System32/cmd.exe': 'MZ triage test stand-in for C:\\Windows\\System32\\cmd.exe\n',
};

/** What {@link buildWindowsVolume} did. */
export interface WindowsVolume {
  /** The volume's root folder. */
  readonly root: string;
  /** Each sample placed: its MANIFEST file and its path below the root (forward slashes). */
  readonly placed: readonly { readonly file: string; readonly path: string }[];
  /** Samples not placed, and why. */
  readonly skipped: readonly { readonly file: string; readonly reason: string }[];
  /** Stand-in programs written, below the root. */
  readonly standIns: readonly string[];
}

/** Options for {@link buildWindowsVolume}. */
export interface BuildWindowsVolumeOptions {
  /** The samples folder; default {@link WINDOWS_SAMPLES_DIR}. */
  readonly samplesDir?: string;
  /** Write {@link STAND_INS}; default true. */
  readonly standIns?: boolean;
}

/** The MANIFEST.json entries of the samples folder. */
export async function windowsSampleManifest(samplesDir = WINDOWS_SAMPLES_DIR): Promise<WindowsSampleEntry[]> {
  return JSON.parse(await readFile(join(samplesDir, 'MANIFEST.json'), 'utf8')) as WindowsSampleEntry[];
}

/**
 * Builds the volume in `root` (created if needed; best empty).
 *
 * @param root - the folder to build in
 * @param options - the samples folder, stand-ins
 * @returns what was placed and what was not
 */
export async function buildWindowsVolume(
  root: string,
  options: BuildWindowsVolumeOptions = {},
): Promise<WindowsVolume> {
  const samplesDir = options.samplesDir ?? WINDOWS_SAMPLES_DIR;
  const entries = await windowsSampleManifest(samplesDir);
  const placed: { file: string; path: string }[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const taken = new Set<string>();
  let archives = 0;
  for (const entry of entries) {
    const canonical = entry.canonical_path;
    if (!canonical || canonical.startsWith('(')) {
      skipped.push({ file: entry.file, reason: `no path on a volume ${canonical ?? ''}`.trim() });
      continue;
    }
    const stored = entry.file.replace(/\.gz$/, '');
    let path = canonical.endsWith('/') ? `${canonical}${posix.basename(stored)}` : canonical;
    if (taken.has(path.toLowerCase())) {
      const name = posix.basename(path);
      if (!name.toLowerCase().endsWith('.evtx')) {
        skipped.push({ file: entry.file, reason: `${path} is already taken by an earlier sample` });
        continue;
      }
      archives++;
      const stamp = `2000-01-01-00-00-${String(archives).padStart(2, '0')}-000`;
      path = posix.join(posix.dirname(path), `Archive-${name.slice(0, -'.evtx'.length)}-${stamp}.evtx`);
    }
    taken.add(path.toLowerCase());
    const bytes = await readFile(join(samplesDir, entry.file));
    const raw = entry.file.endsWith('.gz') ? gunzipSync(bytes) : bytes;
    const target = join(root, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, raw);
    placed.push({ file: entry.file, path });
  }
  const standIns: string[] = [];
  if (options.standIns ?? true) {
    for (const [path, text] of Object.entries(STAND_INS)) {
      const target = join(root, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text);
      standIns.push(path);
    }
  }
  return { root, placed, skipped, standIns };
}
