import { chmod, constants, copyFile, mkdir, open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Bundle, formatBundle, writeZip } from '@triage/bundle';
import { TriageError } from '@triage/errors';
import { renderOperatorReadme } from './operator-readme.js';

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  const file = await open(path, 'wx', mode);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
}

/** The operator's README inside a bundle folder: what to run, when it expires, what to do on failure. */
export function operatorReadme(bundle: Bundle, mode: string, exe?: string): string {
  return renderOperatorReadme({
    client: bundle.client,
    case: bundle.case,
    host: bundle.host ?? 'any computer',
    expires: `${bundle.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    upload: bundle.uploadPlan
      ? `${mode}: one presigned upload of at most ${bundle.uploadPlan.maxSize} bytes to s3://${bundle.s3.bucket}/${bundle.uploadPlan.key}; no credential`
      : `${mode}: write-only credentials for s3://${bundle.s3.bucket}/${bundle.s3.prefix}`,
    exe,
  });
}

/**
 * Writes a bundle folder: `bundle.json` (0600, holds the credentials),
 * `README.txt` for the operator and, when `collectorExe` is given, a copy of
 * the single-file collector (0755) that runs there with no argument. The
 * folder must not exist or be empty.
 *
 * @param collectorExe - the collector executable to copy in (apps/collector `npm run build:sea`)
 * @returns the paths written (`exe` null without a collector)
 * @throws TriageError `ALREADY_EXISTS` when the folder has files
 */
export async function writeBundleFolder(
  dir: string,
  bundle: Bundle,
  mode: string,
  collectorExe?: string,
): Promise<{ dir: string; bundleFile: string; readme: string; exe: string | null }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    throw new TriageError('ALREADY_EXISTS', `${dir} is not empty; choose another --out or remove it`, {
      context: { path: dir },
    });
  }
  const bundleFile = join(dir, 'bundle.json');
  const readme = join(dir, 'README.txt');
  await writeNew(bundleFile, formatBundle(bundle), 0o600);
  const exe = collectorExe ? join(dir, basename(collectorExe)) : null;
  if (collectorExe && exe) {
    await copyFile(collectorExe, exe, constants.COPYFILE_EXCL);
    await chmod(exe, 0o755);
  }
  await writeNew(readme, operatorReadme(bundle, mode, exe ? basename(exe) : undefined), 0o644);
  return { dir, bundleFile, readme, exe };
}

/**
 * Refuses, before a credential is minted, a bundle folder that has files in
 * it or (with `zip`) a `FOLDER.zip` that exists: minting first would leave a
 * live credential with nowhere to go.
 *
 * @throws TriageError `ALREADY_EXISTS`
 */
export async function checkBundleTargets(dir: string, zip: boolean): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0) {
    throw new TriageError('ALREADY_EXISTS', `${dir} is not empty; choose another --out or remove it`, {
      context: { path: dir },
    });
  }
  if (zip && (await stat(`${dir}.zip`).catch(() => undefined)) !== undefined) {
    throw new TriageError('ALREADY_EXISTS', `${dir}.zip already exists; choose another --out or remove it`, {
      context: { path: `${dir}.zip` },
    });
  }
}

/**
 * The bundle folder as one zip beside it (`FOLDER.zip`, 0600: it holds the
 * credentials), entries under the folder's name with their modes, so the
 * collector is still executable after `unzip`.
 *
 * @returns the zip's path
 * @throws TriageError `ALREADY_EXISTS`, `IO_ERROR`
 */
export async function zipBundleFolder(
  written: { dir: string; bundleFile: string; readme: string; exe: string | null },
  now: Date,
): Promise<string> {
  const top = basename(written.dir);
  const path = `${written.dir}.zip`;
  await writeZip(
    path,
    [
      { name: `${top}/bundle.json`, source: { path: written.bundleFile }, mode: 0o600 },
      { name: `${top}/README.txt`, source: { path: written.readme }, mode: 0o644 },
      ...(written.exe
        ? [{ name: `${top}/${basename(written.exe)}`, source: { path: written.exe }, mode: 0o755 }]
        : []),
    ],
    { mtime: now },
  );
  return path;
}
