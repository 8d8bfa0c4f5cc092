import { randomBytes } from 'node:crypto';
import { access, rm, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { ArtifactKind, ArtifactRecord } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { collectLinux } from '@triage/collect-linux';
import { collectWindows } from '@triage/collect-windows';
import { TriageError, toTriageError } from '@triage/errors';
import {
  createTransport,
  type PlanUploadOptions,
  proxyFromEnv,
  type Transport,
  type UploadBody,
  type UploadHandle,
  type UploadReceipt,
  uploadWithPlan,
} from '@triage/s3-transport';
import { type ConfigFlags, type Destination, type RunConfig, resolveConfig } from './config.js';
import type { Deps } from './deps.js';
import { checkExpiry, preflight } from './preflight.js';
import { mb, Reporter } from './progress.js';
import { Scrubber } from './scrub.js';
import { sealRecords } from './seal.js';
import { teeToFileAndUpload } from './tee.js';
import { COLLECTOR_NAME, COLLECTOR_VERSION } from './version.js';

/** The operating system whose artifacts `run` collects. */
export type TargetOs = 'linux' | 'windows';

/** Flags of `triage-collect run`. */
export interface RunFlags extends ConfigFlags {
  readonly root?: string | undefined;
  /** The system to collect; default the host's own (`windows` on Windows, else `linux`). */
  readonly os?: TargetOs | undefined;
  readonly only?: readonly ArtifactKind[] | undefined;
  readonly out?: string | undefined;
  readonly deleteAfterUpload?: boolean | undefined;
  readonly expectMinutes?: number | undefined;
  readonly quiet?: boolean | undefined;
}

/** What a run did, as printed with `--json`. */
export interface RunResult {
  readonly case: string;
  readonly host: string;
  /** The operating system collected. */
  readonly os: TargetOs;
  /** The local collection file; absent when it was deleted after a verified upload. */
  readonly file: string | null;
  readonly bytes: number;
  /** SHA-256 of the local file (the sealed collection). */
  readonly sha256: string;
  readonly manifestSha256: string;
  readonly records: number;
  readonly counts: Readonly<Record<string, number>>;
  /** Collector errors (permission denied and the like); collection went on. */
  readonly collectorErrors: readonly CollectorError[];
  readonly upload: null | {
    readonly bucket: string;
    readonly key: string;
    readonly versionId: string | null;
    readonly etag: string | null;
    readonly sha256: string;
    readonly size: number;
    readonly verified: boolean;
  };
  /** `FILE.receipt.json`: file and manifest hashes, counts, and the upload receipt (null when not uploaded). */
  readonly receiptFile: string;
}

/** Thrown by {@link runCollect} when collection succeeded but the upload failed; carries the result. */
export class UploadFailed extends Error {
  constructor(
    readonly result: RunResult,
    readonly error: TriageError,
  ) {
    super(error.message);
  }
}

function stampOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * Builds the transport for a destination with credentials; apps own real SDK clients.
 *
 * @throws TriageError `INTERNAL` for a destination with a presigned plan instead of credentials
 */
export function transportFor(destination: Destination, deps: Deps): Transport {
  const credentials = destination.credentials;
  if (!credentials) throw new TriageError('INTERNAL', 'a presigned-plan destination has no transport');
  return createTransport({
    bucket: destination.bucket,
    region: destination.region,
    ...(destination.endpoint ? { endpoint: destination.endpoint } : {}),
    ...(destination.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(destination.caBundle ? { ca: destination.caBundle } : {}),
    ...proxyFromEnv(deps.env, destination.endpoint),
    credentials: async () => credentials,
  });
}

/**
 * Checks that a presigned-plan destination can be used from here: the plan's
 * requests go through Node's `fetch`, which takes neither a private CA nor the
 * proxy variables.
 *
 * @throws TriageError `CONFIG_INVALID` for a plan bundle with `s3.ca_bundle`
 */
export function checkPlanDestination(
  destination: Destination,
  deps: Deps,
  warn: (text: string) => void,
): void {
  if (destination.caBundle) {
    throw new TriageError(
      'CONFIG_INVALID',
      'this bundle has a presigned upload plan and s3.ca_bundle, which plan uploads cannot use yet; ask the admin for a credentials bundle',
    );
  }
  if (proxyFromEnv(deps.env, destination.endpoint).proxy !== undefined) {
    warn('presigned plan uploads go direct: HTTPS_PROXY / HTTP_PROXY are not used for them');
  }
}

/**
 * Starts the upload of `body` with a destination's plan or credentials,
 * reusing `transport` (the pre-flight's) when given.
 */
export function startDestinationUpload(
  destination: Destination,
  deps: Deps,
  key: string,
  body: UploadBody,
  options: PlanUploadOptions & { readonly metadata: Readonly<Record<string, string>> },
  transport?: Transport,
): UploadHandle {
  if (destination.plan) {
    // Content type and metadata were signed into the plan by the admin.
    const { metadata: _signedByAdmin, ...planOptions } = options;
    return uploadWithPlan(destination.plan, body, planOptions);
  }
  return (transport ?? transportFor(destination, deps)).upload(key, body, {
    ...options,
    contentType: 'application/octet-stream',
  });
}

/** A verified receipt: size and checksum confirmed by HEAD or by the completion reply. */
export function isVerified(receipt: UploadReceipt): boolean {
  return receipt.verification.sizeMatches !== false && receipt.verification.checksumMatches !== false;
}

/**
 * `triage-collect run`: collect → NDJSON → compress → encrypt → local file
 * and upload, in one stream.
 *
 * @throws {@link UploadFailed} when only the upload failed (the local file is complete and kept); TriageError for everything else
 */
export async function runCollect(flags: RunFlags, deps: Deps): Promise<RunResult> {
  const os = checkTarget(flags, deps);
  const scrubber = new Scrubber();
  const config: RunConfig = await resolveConfig(flags, deps, scrubber);
  const report = new Reporter(deps, scrubber, flags.quiet ?? false);
  const started = deps.now();
  const name = `${config.host}-${stampOf(started)}-${randomBytes(4).toString('hex')}`;
  const file = resolve(deps.cwd, flags.out ?? `${name}.triage`);
  // Refuse before collecting, not after a successful upload, when an earlier run's files are in the way.
  for (const existing of [file, `${file}.receipt.json`]) {
    if (
      await access(existing).then(
        () => true,
        () => false,
      )
    ) {
      throw new TriageError('ALREADY_EXISTS', `${existing} exists; choose another --out or move it away`, {
        context: { path: existing },
      });
    }
  }
  const log: string[] = [];
  const note = (line: string) => log.push(scrubber.text(line));
  const collectorErrors: CollectorError[] = [];

  let key: string | undefined;
  // One client for the pre-flight and the upload.
  let transport: Transport | undefined;
  const expectedMs = (flags.expectMinutes ?? 15) * 60_000;
  const plan = config.destination?.plan;
  if (config.destination && plan) {
    // No URL for a pre-flight write: check that the plan outlives the run instead.
    key = plan.key;
    try {
      checkPlanDestination(config.destination, deps, (w) => report.warn(w));
      checkExpiry(
        [
          ['presigned plan expires', new Date(plan.expiresAt)],
          ['bundle expire', config.expiresAt],
        ],
        expectedMs,
        deps.now(),
      );
    } catch (cause) {
      const error = toTriageError(cause);
      throw new TriageError(
        error.code,
        `pre-flight failed, nothing was collected: ${scrubber.text(error.message)}; ask the admin for a new bundle, or collect locally with --no-upload`,
        { cause: error },
      );
    }
    report.line(`pre-flight: presigned plan, expires ${plan.expiresAt}`);
    note(`preflight: presigned plan for ${key}, expires ${plan.expiresAt}`);
  } else if (config.destination) {
    transport = transportFor(config.destination, deps);
    key = `${config.destination.prefix}${name}.triage`;
    report.line(`pre-flight: writing a note to s3://${config.destination.bucket}/${key}.preflight`);
    try {
      await preflight({
        transport,
        destination: config.destination,
        key: `${key}.preflight`,
        body: new TextEncoder().encode(
          `${JSON.stringify({ preflight: true, case: config.case, host: config.host, collector: COLLECTOR_VERSION, at: started.toISOString() })}\n`,
        ),
        expectedMs,
        bundleExpiresAt: config.expiresAt,
        now: deps.now,
        signal: deps.signal,
      });
    } catch (cause) {
      const error = toTriageError(cause);
      throw new TriageError(
        error.code,
        `pre-flight failed, nothing was collected: ${scrubber.text(error.message)}; fix the bundle or network, or collect locally with --no-upload`,
        { cause: error },
      );
    }
    note(`preflight: wrote ${key}.preflight`);
    report.line('pre-flight: ok');
  }

  const collectOptions = {
    ...(flags.only ? { only: flags.only } : {}),
    now: deps.now,
    ...(deps.signal ? { signal: deps.signal } : {}),
    onError: (error: CollectorError) => {
      const safe = { ...error, message: scrubber.text(error.message) };
      collectorErrors.push(safe);
      note(`error: ${safe.collector}: ${safe.code}: ${safe.message}`);
    },
    onLog: note,
    onProgress: (p: { readonly collector: string; readonly records: number }) => {
      if (p.collector !== 'done') report.line(`collecting ${p.collector} (${p.records} records so far)`);
    },
  };
  const records =
    os === 'windows'
      ? windowsRecords(flags, deps, collectOptions)
      : collectLinux({ root: flags.root ?? '/', ...collectOptions });

  const sealed = sealRecords(records, {
    case: config.case,
    host: config.host,
    collector: { name: COLLECTOR_NAME, version: COLLECTOR_VERSION },
    startedAt: started,
    recipients: config.recipients,
    ...(config.password ? { password: config.password } : {}),
    ...(config.signingKey ? { signingKey: config.signingKey } : {}),
    now: deps.now,
    finish: () => ({ errors: collectorErrors, log }),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });

  const destination = config.destination;
  const tee = await teeToFileAndUpload(
    sealed.stream,
    file,
    destination && key
      ? (body) =>
          startDestinationUpload(
            destination,
            deps,
            key as string,
            body,
            {
              metadata: {
                'triage-case': config.case,
                'triage-host': config.host,
                'triage-format': 'collection-1',
              },
              ...(deps.signal ? { signal: deps.signal } : {}),
              onProgress: (p) => report.transfer('upload', p.loaded, p.bytesPerSecond),
              onWarning: (w) => report.warn(w),
            },
            transport,
          )
      : undefined,
  );
  const { manifest, manifestSha256 } = await sealed.manifest;
  report.line(`collected ${manifest.record_count} records, ${mb(tee.bytes)} sealed, into ${file}`);

  const base = {
    case: config.case,
    host: config.host,
    os,
    bytes: tee.bytes,
    sha256: tee.sha256,
    manifestSha256,
    records: manifest.record_count,
    counts: manifest.counts,
    collectorErrors,
  };

  // The sidecar: what an examiner checks the collection against, kept whatever happens to the upload.
  const receiptFile = `${file}.receipt.json`;
  const receipt = tee.receipt;
  await writeFile(
    receiptFile,
    `${JSON.stringify(
      {
        case: config.case,
        host: config.host,
        os,
        file: basename(file),
        sha256: tee.sha256,
        bytes: tee.bytes,
        manifestSha256,
        records: manifest.record_count,
        counts: manifest.counts,
        receipt: receipt ?? null,
      },
      null,
      2,
    )}\n`,
    { mode: 0o644, flag: 'wx' },
  );

  if (tee.uploadError !== undefined || !receipt) {
    const result: RunResult = { ...base, file, upload: null, receiptFile };
    if (tee.uploadError === undefined) return result;
    const error = toTriageError(tee.uploadError);
    throw new UploadFailed(
      result,
      new TriageError(
        error.code,
        `upload failed: ${scrubber.text(error.message)}; the collection is kept at ${file}; retry with: triage-collect upload ${basename(file)} --config <bundle>`,
        { cause: error, context: { file } },
      ),
    );
  }

  // The bytes the upload read are the bytes in the local file.
  const verified = isVerified(receipt) && receipt.sourceSha256 === tee.sha256 && receipt.size === tee.bytes;
  const upload = {
    bucket: receipt.bucket,
    key: receipt.key,
    versionId: receipt.versionId ?? null,
    etag: receipt.etag ?? null,
    sha256: receipt.sourceSha256,
    size: receipt.size,
    verified,
  };
  let kept: string | null = file;
  if (flags.deleteAfterUpload) {
    if (!verified) report.warn(`the upload could not be verified; keeping ${file}`);
    else {
      await rm(file);
      kept = null;
      report.line(`deleted ${file} after the verified upload`);
    }
  }
  return { ...base, file: kept, upload, receiptFile };
}

/**
 * The system to collect, checked before anything else happens: Windows is
 * collected from a volume (`--root`) anywhere, or live on Windows; Linux
 * from a root anywhere, or live on a host that is not Windows.
 *
 * @throws TriageError `USAGE` for a live collection of another system than the host's
 */
export function checkTarget(flags: RunFlags, deps: Deps): TargetOs {
  const onWindows = deps.platform === 'win32';
  const os = flags.os ?? (onWindows ? 'windows' : 'linux');
  if (flags.root === undefined && os === 'windows' && !deps.exportWindowsLive) {
    throw new TriageError(
      'USAGE',
      `--os windows collects this host live only on Windows (this is ${deps.platform ?? 'linux'}); give the mounted Windows volume with --root DIR`,
    );
  }
  if (flags.root === undefined && os === 'linux' && onWindows) {
    throw new TriageError('USAGE', '--os linux on a Windows host needs --root DIR (a mounted Linux image)');
  }
  return os;
}

/**
 * The Windows records: of the volume at `--root`, or live, from the copies
 * `deps.exportWindowsLive` exports (deleted when the records end, however
 * they end); export failures are collector errors.
 */
async function* windowsRecords(
  flags: RunFlags,
  deps: Deps,
  options: Omit<Parameters<typeof collectWindows>[0], 'root'> & {
    readonly onError: (error: CollectorError) => void;
    readonly onLog: (line: string) => void;
  },
): AsyncGenerator<ArtifactRecord> {
  if (flags.root !== undefined) {
    yield* collectWindows({ root: flags.root, ...options });
    return;
  }
  const exported = await (deps.exportWindowsLive as NonNullable<Deps['exportWindowsLive']>)(deps.signal);
  try {
    for (const error of exported.errors) options.onError(error);
    options.onLog(
      `live: exported ${Object.keys(exported.exports).length} locked files into a private folder`,
    );
    yield* collectWindows({
      root: exported.root,
      live: true,
      systemDrive: exported.systemDrive,
      exports: exported.exports,
      ...options,
    });
  } finally {
    await exported.cleanup();
    options.onLog('live: deleted the exported copies');
  }
}

/** True for the error {@link runCollect} throws when only the upload failed. */
export function isUploadFailed(error: unknown): error is UploadFailed {
  return error instanceof UploadFailed;
}
