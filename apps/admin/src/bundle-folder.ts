import { mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Bundle, formatBundle } from '@triage/bundle';
import { TriageError } from '@triage/errors';

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
export function operatorReadme(bundle: Bundle, mode: string): string {
  const hostLine = bundle.host ? `host ${bundle.host}` : 'any host';
  return `triage collector bundle
=======================

Client:  ${bundle.client}
Case:    ${bundle.case} (${hostLine})
Expires: ${bundle.expiresAt.toISOString()}   <- after this the bundle no longer works
Mode:    ${mode} (${bundle.uploadPlan ? `a presigned upload of one object, s3://${bundle.s3.bucket}/${bundle.uploadPlan.key}, up to ${bundle.uploadPlan.maxSize} bytes; no credential` : `write-only credentials for s3://${bundle.s3.bucket}/${bundle.s3.prefix}`})

bundle.json holds short-lived upload credentials or presigned URLs. Keep it private (mode
0600), do not e-mail it in clear, and delete it when you are done.

On the host (as root, to see everything):

    triage-collect run --config bundle.json

It collects, seals the collection for the examiner, uploads it and keeps a
local copy (HOST-TIME-RANDOM.triage) with a receipt next to it. Send the
"manifest sha256" it prints to the examiner by another channel.

If the upload fails, the local copy is complete. Retry with:

    triage-collect upload HOST-TIME-RANDOM.triage --config bundle.json

If the bundle has expired, ask the admin for a new one, or hand the .triage
file over on physical media: it is encrypted to the examiner.

Full guide: docs/guides/operator.md in the triage repository.
`;
}

/**
 * Writes a bundle folder: `bundle.json` (0600, holds the credentials) and
 * `README.txt` for the operator. The folder must not exist or be empty.
 *
 * @returns the paths written
 * @throws TriageError `ALREADY_EXISTS` when the folder has files
 */
export async function writeBundleFolder(
  dir: string,
  bundle: Bundle,
  mode: string,
): Promise<{ dir: string; bundleFile: string; readme: string }> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if ((await readdir(dir)).length > 0) {
    throw new TriageError('ALREADY_EXISTS', `${dir} is not empty; choose another --out or remove it`, {
      context: { path: dir },
    });
  }
  const bundleFile = join(dir, 'bundle.json');
  const readme = join(dir, 'README.txt');
  await writeNew(bundleFile, formatBundle(bundle), 0o600);
  await writeNew(readme, operatorReadme(bundle, mode), 0o644);
  return { dir, bundleFile, readme };
}
