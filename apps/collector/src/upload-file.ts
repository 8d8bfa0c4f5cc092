import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TriageError } from '@triage/errors';
import { type ConfigFlags, resolveConfig } from './config.js';
import type { Deps } from './deps.js';
import { Reporter } from './progress.js';
import { checkPlanDestination, isVerified, startDestinationUpload } from './run.js';
import { Scrubber } from './scrub.js';

/** Flags of `triage-collect upload`. */
export interface UploadFlags extends ConfigFlags {
  readonly file: string;
  readonly quiet?: boolean | undefined;
}

/** What `triage-collect upload` did. */
export interface UploadResult {
  readonly file: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string | null;
  readonly sha256: string;
  readonly size: number;
  readonly resumed: boolean;
  readonly verified: boolean;
  readonly receiptFile: string;
}

/**
 * `triage-collect upload FILE`: uploads a collection kept by an earlier run
 * whose upload failed. Resumable: a journal (`FILE.journal`) records the sent
 * parts, so running the command again continues where it stopped instead of
 * starting over. The object key is the prefix plus the file's name (with a
 * presigned-plan bundle: the plan's key), written with If-None-Match, so it
 * never overwrites.
 *
 * @throws TriageError `NOT_FOUND` for a missing file, `USAGE` without a destination, the transport's codes
 */
export async function uploadFile(flags: UploadFlags, deps: Deps): Promise<UploadResult> {
  const scrubber = new Scrubber();
  const file = resolve(deps.cwd, flags.file);
  const size = await stat(file).then(
    (s) => s.size,
    (cause: unknown) => {
      throw new TriageError(
        'NOT_FOUND',
        `no collection file at ${flags.file}; give the path a failed run printed`,
        {
          cause,
          context: { path: flags.file },
        },
      );
    },
  );
  // Uploading sealed bytes needs no recipient or password; the case and destination it does.
  const config = await resolveConfig({ ...flags, upload: true }, deps, scrubber, false);
  const destination = config.destination;
  if (!destination) throw new TriageError('USAGE', 'give --config bundle.json (or --bucket and --region)');
  const report = new Reporter(deps, scrubber, flags.quiet ?? false);
  // With a presigned plan the key is the plan's (the admin chose it); otherwise prefix + file name.
  if (destination.plan) checkPlanDestination(destination, deps, (w) => report.warn(w));
  const key = destination.plan?.key ?? `${destination.prefix}${basename(file)}`;
  const receipt = await startDestinationUpload(
    destination,
    deps,
    key,
    { path: file },
    {
      journal: `${file}.journal`,
      metadata: { 'triage-case': config.case, 'triage-host': config.host, 'triage-format': 'collection-1' },
      ...(deps.signal ? { signal: deps.signal } : {}),
      onProgress: (p) => report.transfer('upload', p.loaded, p.bytesPerSecond, size),
      onWarning: (w) => report.warn(w),
    },
  ).done();
  // Complete the sidecar the failed run left (it has the manifest hash), or start one.
  const receiptFile = `${file}.receipt.json`;
  const earlier = await readFile(receiptFile, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => ({}),
  );
  await writeFile(
    receiptFile,
    `${JSON.stringify({ case: config.case, host: config.host, file: basename(file), ...earlier, receipt }, null, 2)}\n`,
    { mode: 0o644 },
  );
  return {
    file,
    bucket: receipt.bucket,
    key: receipt.key,
    versionId: receipt.versionId ?? null,
    sha256: receipt.sourceSha256,
    size: receipt.size,
    resumed: receipt.resumed,
    verified: isVerified(receipt),
    receiptFile,
  };
}
