/**
 * Listing and verified, parallel, ranged downloads.
 */
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { isTriageError, TriageError } from '@triage/errors';
import { checksumMatches, compositeChecksum, partSizeFor } from './parts.js';
import { type RetryPolicy, retryPolicy, withRetry } from './retry.js';
import type { DownloadOptions, DownloadReceipt, ObjectSummary, Progress } from './types.js';
import { decodePlan } from './upload.js';

/** What downloads need from the transport. */
export interface DownloadContext {
  readonly client: S3Client;
  readonly bucket: string;
  readonly retry: RetryPolicy;
  readonly now: () => number;
  readonly random: () => number;
}

/** A download in progress: consume `stream`; `done` settles after the last byte, verified or not. */
export interface Download {
  /** The object's bytes, in order. Errors with INTEGRITY_MISMATCH at the end if verification fails. */
  readonly stream: ReadableStream<Uint8Array>;
  readonly size: number;
  readonly etag?: string;
  readonly versionId?: string;
  /** Resolves when the stream has been read to the end and verified. */
  readonly done: Promise<DownloadReceipt>;
}

/** Lists objects under `prefix`, across pages. */
export async function* listObjects(
  ctx: DownloadContext,
  prefix: string,
  options: { readonly signal?: AbortSignal; readonly pageSize?: number } = {},
): AsyncGenerator<ObjectSummary> {
  let token: string | undefined;
  do {
    const op = { action: 'ListObjectsV2', bucket: ctx.bucket, key: prefix };
    const page = await withRetry(op, { policy: ctx.retry, random: ctx.random, signal: options.signal }, () =>
      ctx.client.send(
        new ListObjectsV2Command({
          Bucket: ctx.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
          ...(options.pageSize ? { MaxKeys: options.pageSize } : {}),
        }),
        options.signal ? { abortSignal: options.signal } : {},
      ),
    );
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      yield {
        key: item.Key,
        size: item.Size ?? 0,
        ...(item.ETag ? { etag: item.ETag } : {}),
        ...(item.LastModified ? { lastModified: item.LastModified } : {}),
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

interface Range {
  readonly start: number;
  readonly end: number; // exclusive
  /** Index of the upload part this range belongs to (0 for single-part objects). */
  readonly part: number;
}

/** Cuts [0, size) into ranges of at most `rangeSize` that never cross a part boundary. */
export function planRanges(partSizes: readonly number[], rangeSize: number): Range[] {
  const ranges: Range[] = [];
  let offset = 0;
  partSizes.forEach((partSize, part) => {
    const end = offset + partSize;
    for (let start = offset; start < end; start += rangeSize)
      ranges.push({ start, end: Math.min(end, start + rangeSize), part });
    offset = end;
  });
  return ranges;
}

async function partSizesOf(
  ctx: DownloadContext,
  key: string,
  size: number,
  count: number,
  planText: string | undefined,
  versionId: string | undefined,
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
): Promise<number[]> {
  const plan = decodePlan(planText);
  if (plan) {
    const sizes: number[] = [];
    let left = size;
    for (let n = 1; left > 0; n++) {
      const partSize = Math.min(left, partSizeFor(plan, n));
      sizes.push(partSize);
      left -= partSize;
    }
    if (sizes.length === count) return sizes;
  }
  // Uploaded by another tool: ask for each part's size.
  const sizes: number[] = [];
  for (let n = 1; n <= count; n++) {
    const op = { action: 'HeadObject', bucket: ctx.bucket, key, partNumber: n };
    const head = await withRetry(op, { policy, random: ctx.random, signal }, () =>
      ctx.client.send(
        new HeadObjectCommand({
          Bucket: ctx.bucket,
          Key: key,
          PartNumber: n,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      ),
    );
    sizes.push(head.ContentLength ?? 0);
  }
  return sizes;
}

/**
 * Starts a verified download: HEAD, then ranged GETs, `concurrency` at once,
 * emitted in order. Each GET carries `If-Match` with the ETag, so an object
 * replaced mid-download fails instead of mixing versions.
 *
 * @throws NOT_FOUND, PERMISSION_DENIED and the other translated codes from HEAD
 */
export async function openDownload(
  ctx: DownloadContext,
  key: string,
  options: DownloadOptions = {},
): Promise<Download> {
  const policy = retryPolicy(ctx.retry, options.retry);
  const concurrency = options.concurrency ?? 4;
  const rangeSize = options.rangeSize ?? 8 * 1024 * 1024;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new TriageError('INVALID_ARGUMENT', 'concurrency must be an integer from 1 to 64.');
  }
  if (!Number.isInteger(rangeSize) || rangeSize < 64 * 1024) {
    throw new TriageError('INVALID_ARGUMENT', 'rangeSize must be a whole number of bytes, at least 64 KiB.');
  }
  const signal = options.signal;
  const headOp = { action: 'HeadObject', bucket: ctx.bucket, key };
  const head = await withRetry(headOp, { policy, random: ctx.random, signal }, () =>
    ctx.client.send(
      new HeadObjectCommand({
        Bucket: ctx.bucket,
        Key: key,
        ChecksumMode: 'ENABLED',
        ...(options.versionId ? { VersionId: options.versionId } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    ),
  );
  const size = head.ContentLength ?? 0;
  const etag = head.ETag;
  const versionId = head.VersionId ?? options.versionId;
  const stored = head.ChecksumSHA256;
  // A multipart object shows its part count in the ETag (`"md5-N"`) and, on S3, in the checksum (`…-N`).
  const partCount = Number(/-(\d+)"?$/.exec(stored ?? '')?.[1] ?? /-(\d+)"?$/.exec(etag ?? '')?.[1] ?? 0);
  // Part boundaries only matter when there is a stored SHA-256 to compare the composite with.
  const composite =
    stored !== undefined && partCount > 0 && (stored.includes('-') || head.ChecksumType !== 'FULL_OBJECT');
  const partSizes = composite
    ? await partSizesOf(
        ctx,
        key,
        size,
        partCount,
        head.Metadata?.['triage-part-plan'],
        versionId,
        policy,
        signal,
      )
    : [size];
  const ranges = planRanges(partSizes, rangeSize);

  const whole = createHash('sha256');
  const partDigests: Buffer[] = [];
  let partHash: Hash | undefined = composite ? createHash('sha256') : undefined;
  let currentPart = 0;
  let delivered = 0;
  const started = ctx.now();
  const fetched = new Map<number, Promise<Uint8Array>>();
  let next = 0;

  const fetchRange = (index: number): Promise<Uint8Array> => {
    const range = ranges[index] as Range;
    const op = { action: 'GetObject', bucket: ctx.bucket, key };
    return withRetry(op, { policy, random: ctx.random, signal }, async () => {
      const out = await ctx.client.send(
        new GetObjectCommand({
          Bucket: ctx.bucket,
          Key: key,
          Range: `bytes=${range.start}-${range.end - 1}`,
          ...(etag ? { IfMatch: etag } : {}),
          ...(versionId ? { VersionId: versionId } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array(0);
      if (bytes.length !== range.end - range.start) {
        // A body cut mid-way: retry it.
        throw Object.assign(new Error(`short body: ${bytes.length} of ${range.end - range.start} bytes`), {
          name: 'RequestTimeout',
        });
      }
      return bytes;
    });
  };
  const fill = () => {
    while (fetched.size < concurrency && next < ranges.length) {
      const index = next++;
      const promise = fetchRange(index);
      promise.catch(() => undefined);
      fetched.set(index, promise);
    }
  };

  let resolveDone!: (receipt: DownloadReceipt) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<DownloadReceipt>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);
  let emitted = 0;

  const finish = (): DownloadReceipt => {
    if (partHash) partDigests.push(partHash.digest());
    const sha256 = whole.digest('hex');
    let checksumVerified = false;
    if (stored !== undefined) {
      const ours = composite ? compositeChecksum(partDigests) : Buffer.from(sha256, 'hex').toString('base64');
      if (!checksumMatches(stored, ours)) {
        throw new TriageError(
          'INTEGRITY_MISMATCH',
          `s3://${ctx.bucket}/${key}: the downloaded bytes do not match S3's stored checksum.`,
          {
            context: { bucket: ctx.bucket, key },
          },
        );
      }
      checksumVerified = true;
    }
    if (options.expectedSha256 !== undefined && options.expectedSha256.toLowerCase() !== sha256) {
      throw new TriageError(
        'INTEGRITY_MISMATCH',
        `s3://${ctx.bucket}/${key}: SHA-256 ${sha256} is not the expected one.`,
        {
          context: { bucket: ctx.bucket, key, sha256 },
        },
      );
    }
    return {
      bucket: ctx.bucket,
      key,
      ...(versionId ? { versionId } : {}),
      ...(etag ? { etag } : {}),
      size: delivered,
      sha256,
      checksumVerified,
    };
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (emitted >= ranges.length) {
            const receipt = finish();
            controller.close();
            resolveDone(receipt);
            return;
          }
          fill();
          const index = emitted;
          const bytes = await (fetched.get(index) as Promise<Uint8Array>);
          fetched.delete(index);
          emitted++;
          const range = ranges[index] as Range;
          if (partHash && range.part !== currentPart) {
            partDigests.push(partHash.digest());
            partHash = createHash('sha256');
            currentPart = range.part;
          }
          partHash?.update(bytes);
          whole.update(bytes);
          delivered += bytes.length;
          const elapsed = Math.max(1, ctx.now() - started) / 1000;
          const progress: Progress = {
            loaded: delivered,
            total: size,
            parts: emitted,
            bytesPerSecond: Math.round(delivered / elapsed),
          };
          options.onProgress?.(progress);
          controller.enqueue(bytes);
          fill();
        } catch (error) {
          const translated = isTriageError(error)
            ? error
            : new TriageError('INTERNAL', 'Download failed unexpectedly.', { cause: error });
          controller.error(translated);
          rejectDone(translated);
        }
      },
      cancel(reason) {
        rejectDone(new TriageError('ABORTED', `Download of ${key} was cancelled.`, { cause: reason }));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, size, ...(etag ? { etag } : {}), ...(versionId ? { versionId } : {}), done };
}

/**
 * Downloads to a new file, written through a temporary file beside it and
 * linked into place only after verification; never overwrites; 0600.
 *
 * @throws ALREADY_EXISTS, INTEGRITY_MISMATCH, IO_ERROR and the translated S3 codes
 */
export async function downloadToFile(
  ctx: DownloadContext,
  key: string,
  path: string,
  options: DownloadOptions = {},
): Promise<DownloadReceipt> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    const download = await openDownload(ctx, key, options);
    const sink = Writable.toWeb(createWriteStream(temporary, { flags: 'wx', mode: 0o600, flush: true }));
    await download.stream.pipeTo(sink);
    const receipt = await download.done;
    try {
      await link(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new TriageError('ALREADY_EXISTS', `${path} already exists; nothing is overwritten.`, {
          context: { path },
        });
      }
      throw new TriageError('IO_ERROR', `Cannot create ${path}.`, { cause: error, context: { path } });
    }
    return receipt;
  } catch (error) {
    if (isTriageError(error)) throw error;
    throw new TriageError('IO_ERROR', `Cannot write ${path}: ${(error as Error).message}`, {
      cause: error,
      context: { path },
    });
  } finally {
    await rm(temporary, { force: true });
  }
}
