/**
 * Presigned uploads: the admin side makes a plan of presigned URLs (one PUT,
 * or one PUT per part plus Complete, Abort and a HEAD for verification); the
 * host uploads with the plan and no credentials at all. The URLs are bearer
 * credentials for exactly those requests until they expire: keep a plan in a
 * 0600 file and never log it.
 *
 * `If-None-Match: *` is a signed header of the PUT and the Complete, so the
 * host cannot drop it: the no-overwrite rule holds without its cooperation.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { TriageError } from '@triage/errors';
import { type Backend, type CompletionReply, objectParams } from './backend.js';
import type { DownloadContext } from './download.js';
import { MAX_OBJECT_SIZE, MAX_PARTS, type PartPlan, planParts } from './parts.js';
import { retryPolicy, withRetry } from './retry.js';
import type {
  Credentials,
  RetryOptions,
  ServerSideEncryption,
  UploadBody,
  UploadHandle,
  UploadOptions,
} from './types.js';
import { encodePlan, startUpload } from './upload.js';

/** One presigned request: send it with exactly these headers (they are signed). */
export interface PresignedRequest {
  readonly method: 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Everything a host needs to upload one object with no credentials. Version 1.
 * An exact plan has `size` (the body must have exactly that many bytes); a
 * capacity plan has `maxSize` instead (any body up to that size, of known or
 * unknown length; always `multipart`, with a fixed `partSize`). A plan has
 * exactly one of the two.
 */
export interface PresignedPlan {
  readonly version: 1;
  readonly bucket: string;
  readonly key: string;
  /** Exact plan: the exact size the body must have. */
  readonly size?: number;
  /** Capacity plan: the most bytes the body may have; part URLs cover parts 1..ceil(maxSize / partSize). */
  readonly maxSize?: number;
  /** When the URLs stop working (ISO 8601). */
  readonly expiresAt: string;
  readonly kind: 'single' | 'multipart';
  readonly partSize: number;
  /** `single`: the PUT. */
  readonly put?: PresignedRequest;
  /** `multipart`: the upload the parts belong to. */
  readonly uploadId?: string;
  /** `multipart`: part n is `parts[n - 1]`. */
  readonly parts?: readonly PresignedRequest[];
  readonly complete?: PresignedRequest;
  readonly abort?: PresignedRequest;
  /** HEAD of the finished object (size and checksum; reads no content), for verification. */
  readonly head: PresignedRequest;
}

/** Options for {@link presignUpload}: give exactly one of `size` and `maxSize`. */
export interface PresignOptions {
  /** Exact size of the object, in bytes (an exact plan). */
  readonly size?: number;
  /**
   * Capacity plan: the most bytes the object may have, when its size is not
   * known yet (1 byte to 5 TiB). Always multipart, with a fixed part size;
   * `ceil(maxSize / partSize)` may be at most 10,000.
   */
  readonly maxSize?: number;
  /** Lifetime of the URLs; default 3,600 s; at most 7 days, and never past the signing credentials. */
  readonly expiresInSeconds?: number;
  /** Part size; as for uploads (default 8 MiB; for an exact plan grown for large sizes, for a capacity plan fixed). */
  readonly partSize?: number;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly serverSideEncryption?: ServerSideEncryption;
  /** Sign `If-None-Match: *` into the PUT/Complete; default true. */
  readonly ifNoneMatch?: boolean;
}

/** What presigning needs from the transport: the download context and the credentials (for their expiry). */
export interface PresignContext extends DownloadContext {
  readonly credentials: () => Promise<Credentials>;
}

const MAX_EXPIRY_SECONDS = 7 * 24 * 3600;

/** The part plan of a capacity plan: a fixed part size and enough part URLs for `maxSize`. */
function capacityParts(partSize: number | undefined, maxSize: number): { plan: PartPlan; count: number } {
  if (!Number.isSafeInteger(maxSize) || maxSize < 1 || maxSize > MAX_OBJECT_SIZE) {
    throw new TriageError('INVALID_ARGUMENT', 'maxSize must be a whole number of bytes from 1 to 5 TiB.', {
      context: { maxSize },
    });
  }
  const base = planParts(partSize, undefined).base;
  const count = Math.ceil(maxSize / base);
  if (count > MAX_PARTS) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `maxSize needs ${count} parts of ${base} bytes, more than 10,000; give a larger partSize.`,
      { context: { maxSize, partSize: base } },
    );
  }
  return { plan: { base, growing: false }, count };
}

/**
 * Makes a presigned plan for uploading to `key`: an exact plan for
 * `options.size` bytes, or a capacity plan for up to `options.maxSize` bytes
 * (for a body whose size is not known yet). For a multipart plan (every
 * capacity plan) it starts the multipart upload now.
 *
 * @throws INVALID_ARGUMENT for a bad size or lifetime, both or neither of `size` and `maxSize`, or a client that would sign checksums into the URLs
 * @throws CREDENTIALS_EXPIRING when the signing credentials expire within a minute
 */
export async function presignUpload(
  ctx: PresignContext,
  key: string,
  options: PresignOptions,
): Promise<PresignedPlan> {
  if ((options.size === undefined) === (options.maxSize === undefined)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'Give presignUpload exactly one of size (the exact size) and maxSize (an upper bound).',
    );
  }
  const capacity =
    options.maxSize === undefined ? undefined : capacityParts(options.partSize, options.maxSize);
  const plan = capacity?.plan ?? planParts(options.partSize, options.size);
  const requested = options.expiresInSeconds ?? 3600;
  if (!Number.isInteger(requested) || requested < 60 || requested > MAX_EXPIRY_SECONDS) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'expiresInSeconds must be a whole number from 60 to 604,800 (7 days).',
    );
  }
  const now = ctx.now();
  const { expiration } = await ctx.credentials();
  const limit = expiration ? Math.floor((expiration.getTime() - now) / 1000) - 60 : requested;
  const expiresIn = Math.min(requested, limit);
  if (expiresIn < 60) {
    throw new TriageError(
      'CREDENTIALS_EXPIRING',
      'The signing credentials expire within a minute; presigned URLs would be useless.',
    );
  }
  const ifNoneMatch = options.ifNoneMatch ?? true;
  const contentType = options.contentType ?? 'application/octet-stream';
  const settings = {
    contentType,
    metadata: options.metadata,
    serverSideEncryption: options.serverSideEncryption,
    ifNoneMatch,
  };
  const sign = async (command: unknown, headers: Record<string, string>, unhoistable: string[] = []) => {
    // The presigner's generic command type does not fit concrete commands under exactOptionalPropertyTypes.
    const url = await getSignedUrl(ctx.client, command as Parameters<typeof getSignedUrl>[1], {
      expiresIn,
      signableHeaders: new Set(Object.keys(headers)),
      unhoistableHeaders: new Set(unhoistable),
    });
    if (/[?&]x-amz-(checksum-(crc32c?|crc64nvme|sha1|sha256)|sdk-checksum-algorithm)=/i.test(url)) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        "The client signs a default checksum into presigned URLs (an empty body's CRC32); create it with requestChecksumCalculation: 'WHEN_REQUIRED'.",
      );
    }
    return url;
  };
  const conditional: Record<string, string> = ifNoneMatch ? { 'if-none-match': '*' } : {};
  const head: PresignedRequest = {
    method: 'HEAD',
    url: await sign(
      new HeadObjectCommand({ Bucket: ctx.bucket, Key: key, ChecksumMode: 'ENABLED' }),
      { 'x-amz-checksum-mode': 'ENABLED' },
      ['x-amz-checksum-mode'],
    ),
    headers: { 'x-amz-checksum-mode': 'ENABLED' },
  };
  const expiresAt = new Date(now + expiresIn * 1000).toISOString();
  const base = {
    version: 1 as const,
    bucket: ctx.bucket,
    key,
    ...(options.maxSize === undefined ? { size: options.size as number } : { maxSize: options.maxSize }),
    expiresAt,
    partSize: plan.base,
    head,
  };

  if (options.size !== undefined && options.size <= plan.base) {
    const headers = { ...conditional, 'content-type': contentType };
    const url = await sign(
      new PutObjectCommand({
        ...objectParams(ctx.bucket, key, settings),
        ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      headers,
    );
    return { ...base, kind: 'single', put: { method: 'PUT', url, headers } };
  }

  const op = { action: 'CreateMultipartUpload', bucket: ctx.bucket, key };
  const params = objectParams(ctx.bucket, key, settings);
  const created = await withRetry(op, { policy: ctx.retry, random: ctx.random }, () =>
    ctx.client.send(
      new CreateMultipartUploadCommand({
        ...params,
        Metadata: { ...params.Metadata, 'triage-part-plan': encodePlan(plan) },
        ChecksumAlgorithm: 'SHA256',
      }),
    ),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new TriageError('INTERNAL', 'CreateMultipartUpload returned no UploadId.');
  const count = capacity?.count ?? Math.ceil((options.size as number) / plan.base);
  const parts: PresignedRequest[] = [];
  for (let n = 1; n <= count; n++) {
    const url = await sign(
      new UploadPartCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId, PartNumber: n }),
      {},
    );
    parts.push({ method: 'PUT', url, headers: {} });
  }
  const complete: PresignedRequest = {
    method: 'POST',
    url: await sign(
      new CompleteMultipartUploadCommand({
        Bucket: ctx.bucket,
        Key: key,
        UploadId: uploadId,
        ...(ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      }),
      conditional,
    ),
    headers: conditional,
  };
  const abort: PresignedRequest = {
    method: 'DELETE',
    url: await sign(
      new AbortMultipartUploadCommand({ Bucket: ctx.bucket, Key: key, UploadId: uploadId }),
      {},
    ),
    headers: {},
  };
  return { ...base, kind: 'multipart', uploadId, parts, complete, abort };
}

/** `fetch` as the presigned backend uses it. */
export type Fetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal },
) => Promise<Response>;

/** Throws the SDK-shaped error for a failed presigned request, so one translation serves both backends. */
async function failure(response: Response): Promise<never> {
  const text = await response.text().catch(() => '');
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? `Http${response.status}`;
  throw Object.assign(new Error(code), { name: code, $metadata: { httpStatusCode: response.status } });
}

function presignedBackend(plan: PresignedPlan, fetchImpl: Fetch): Backend {
  const send = async (
    request: PresignedRequest | undefined,
    extra: Record<string, string>,
    body: Uint8Array | string | undefined,
    signal?: AbortSignal,
  ) => {
    if (!request)
      throw new TriageError(
        'INVALID_ARGUMENT',
        `The presigned plan for ${plan.key} has no such request (${plan.kind} plan).`,
      );
    let response: Response;
    try {
      response = await fetchImpl(request.url, {
        method: request.method,
        headers: { ...request.headers, ...extra },
        ...(body === undefined ? {} : { body }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      const code = ((error as { cause?: { code?: string } }).cause?.code ?? 'ECONNRESET') as string;
      throw Object.assign(new Error(`request failed (${code})`), { name: code, code, cause: error });
    }
    if (!response.ok) await failure(response);
    return response;
  };
  const reply = (response: Response, xml = ''): CompletionReply => ({
    ETag: response.headers.get('etag') ?? /<ETag>([^<]+)<\/ETag>/.exec(xml)?.[1]?.replaceAll('&quot;', '"'),
    VersionId: response.headers.get('x-amz-version-id') ?? undefined,
    ChecksumSHA256:
      response.headers.get('x-amz-checksum-sha256') ??
      /<ChecksumSHA256>([^<]+)<\/ChecksumSHA256>/.exec(xml)?.[1],
  });
  return {
    bucket: plan.bucket,
    key: plan.key,
    async putObject(bytes, digest, signal) {
      return reply(
        await send(plan.put, { 'x-amz-checksum-sha256': digest.toString('base64') }, bytes, signal),
      );
    },
    async createMultipartUpload() {
      if (!plan.uploadId)
        throw new TriageError('INVALID_ARGUMENT', 'This presigned plan is for a single PUT.');
      return plan.uploadId;
    },
    async uploadPart(_uploadId, partNumber, bytes, digest, signal) {
      const response = await send(
        plan.parts?.[partNumber - 1],
        { 'x-amz-checksum-sha256': digest.toString('base64') },
        bytes,
        signal,
      );
      return {
        etag: response.headers.get('etag') ?? undefined,
        checksum: response.headers.get('x-amz-checksum-sha256') ?? undefined,
      };
    },
    async completeMultipartUpload(_uploadId, parts, signal) {
      const xml = `<CompleteMultipartUpload>${parts
        .map(
          (p) =>
            `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${p.etag}</ETag><ChecksumSHA256>${p.sha256}</ChecksumSHA256></Part>`,
        )
        .join('')}</CompleteMultipartUpload>`;
      const response = await send(plan.complete, { 'content-type': 'application/xml' }, xml, signal);
      const text = await response.text();
      // S3 may answer 200 with an <Error> body to a Complete.
      if (/<Error>/.test(text)) {
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'InternalError';
        throw Object.assign(new Error(code), { name: code, $metadata: { httpStatusCode: 500 } });
      }
      return reply(response, text);
    },
    async abortMultipartUpload() {
      await send(plan.abort, {}, undefined, AbortSignal.timeout(30_000));
    },
    async headObject() {
      const response = await send(plan.head, {}, undefined);
      const length = response.headers.get('content-length');
      return {
        size: length === null ? undefined : Number(length),
        checksum: response.headers.get('x-amz-checksum-sha256') ?? undefined,
      };
    },
    expiration: async () => new Date(plan.expiresAt),
  };
}

/** Options for {@link uploadWithPlan}. */
export interface PlanUploadOptions
  extends Pick<UploadOptions, 'concurrency' | 'onProgress' | 'onWarning' | 'signal' | 'journal' | 'retry'> {
  /** HTTP client; default the global `fetch`. */
  readonly fetch?: Fetch;
  /** Clock; default `Date.now`. */
  readonly now?: () => number;
  /** Backoff jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** Checks a plan's shape before any request; the message never includes a URL. */
function checkPlan(plan: PresignedPlan): void {
  if (plan.version !== 1 || (plan.kind !== 'single' && plan.kind !== 'multipart')) {
    throw new TriageError('INVALID_ARGUMENT', 'Not a version 1 presigned plan.');
  }
  if ((plan.size === undefined) === (plan.maxSize === undefined)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'A presigned plan has exactly one of size and maxSize; ask for a new plan.',
    );
  }
  if (plan.maxSize !== undefined) {
    const count = Math.max(1, Math.ceil(plan.maxSize / plan.partSize));
    if (plan.kind !== 'multipart' || !plan.uploadId || plan.parts?.length !== count) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        `The capacity plan for ${plan.key} is not multipart or lacks part URLs up to its maxSize; ask for a new plan.`,
      );
    }
  }
}

/**
 * Uploads `body` with a presigned plan: no credentials needed. Same engine as
 * `transport.upload()`: bounded memory, SHA-256 per part (sent as a header the
 * server checks), retries, resume with a journal (file bodies), verification
 * with the plan's HEAD (against the bytes actually sent). With an exact plan
 * the body must be exactly `plan.size` bytes; with a capacity plan it may be
 * any body (stream, async iterable, Uint8Array or file; known or unknown
 * length) of at most `plan.maxSize` bytes, sent as a multipart upload with the
 * plan's fixed part size (an empty body is one empty part).
 *
 * @throws INVALID_ARGUMENT (at once) for a malformed plan
 * @throws (from done()) as `transport.upload()`; DATA_INVALID for a body over a capacity plan's maxSize (the multipart upload is aborted, nothing is completed); CREDENTIALS_EXPIRING when the plan's URLs expire too soon
 */
export function uploadWithPlan(
  plan: PresignedPlan,
  body: UploadBody,
  options: PlanUploadOptions = {},
): UploadHandle {
  checkPlan(plan);
  const retry: RetryOptions | undefined = options.retry;
  const fetchImpl = options.fetch ?? (globalThis.fetch as unknown as Fetch);
  return startUpload(
    { retry: retryPolicy(retry), now: options.now ?? Date.now, random: options.random ?? Math.random },
    presignedBackend(plan, fetchImpl),
    body,
    {
      ...options,
      partSize: plan.partSize,
      ...(plan.size === undefined ? {} : { size: plan.size }),
    },
    plan.maxSize === undefined ? undefined : { maxSize: plan.maxSize },
  );
}
