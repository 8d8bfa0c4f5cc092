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
import { planParts } from './parts.js';
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

/** Everything a host needs to upload one object with no credentials. Version 1. */
export interface PresignedPlan {
  readonly version: 1;
  readonly bucket: string;
  readonly key: string;
  /** The exact size the body must have. */
  readonly size: number;
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

/** Options for {@link presignUpload}. */
export interface PresignOptions {
  /** Exact size of the object, in bytes. */
  readonly size: number;
  /** Lifetime of the URLs; default 3,600 s; at most 7 days, and never past the signing credentials. */
  readonly expiresInSeconds?: number;
  /** Part size; as for uploads (default 8 MiB, grown for large sizes). */
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

/**
 * Makes a presigned plan for uploading `options.size` bytes to `key`. For a
 * multipart plan it starts the multipart upload now.
 *
 * @throws INVALID_ARGUMENT for a bad size or lifetime, or a client that would sign checksums into the URLs
 * @throws CREDENTIALS_EXPIRING when the signing credentials expire within a minute
 */
export async function presignUpload(
  ctx: PresignContext,
  key: string,
  options: PresignOptions,
): Promise<PresignedPlan> {
  const plan = planParts(options.partSize, options.size);
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
    size: options.size,
    expiresAt,
    partSize: plan.base,
    head,
  };

  if (options.size <= plan.base) {
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
  const count = Math.ceil(options.size / plan.base);
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

/**
 * Uploads `body` with a presigned plan: no credentials needed. Same engine as
 * `transport.upload()`: bounded memory, SHA-256 per part (sent as a header the
 * server checks), retries, resume with a journal, verification with the plan's
 * HEAD. The body must be exactly `plan.size` bytes.
 *
 * @throws (from done()) as `transport.upload()`; CREDENTIALS_EXPIRING when the plan's URLs expire too soon
 */
export function uploadWithPlan(
  plan: PresignedPlan,
  body: UploadBody,
  options: PlanUploadOptions = {},
): UploadHandle {
  if (plan.version !== 1 || (plan.kind !== 'single' && plan.kind !== 'multipart')) {
    throw new TriageError('INVALID_ARGUMENT', 'Not a version 1 presigned plan.');
  }
  const retry: RetryOptions | undefined = options.retry;
  const fetchImpl = options.fetch ?? (globalThis.fetch as unknown as Fetch);
  return startUpload(
    { retry: retryPolicy(retry), now: options.now ?? Date.now, random: options.random ?? Math.random },
    presignedBackend(plan, fetchImpl),
    body,
    {
      ...options,
      partSize: plan.partSize,
      size: plan.size,
    },
  );
}
