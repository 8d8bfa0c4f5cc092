import { chmod, constants, copyFile, mkdir, open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Bundle, formatBundle } from '@triage/bundle';
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
