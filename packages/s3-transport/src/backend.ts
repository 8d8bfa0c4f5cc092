/**
 * The S3 calls an upload makes, one attempt each, behind one interface: the
 * SDK backend signs with credentials; the presigned backend sends the
 * requests of a presigned plan with `fetch`, so a host can upload with no
 * credentials at all. The upload engine (retries, bounded memory, hashing,
 * resume, verification) is the same for both.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { JournalPart } from './journal.js';
import type { Credentials, ServerSideEncryption } from './types.js';

/** The fields of a PutObject or CompleteMultipartUpload reply that a receipt uses. */
export interface CompletionReply {
  readonly VersionId?: string | undefined;
  readonly ETag?: string | undefined;
  readonly ChecksumSHA256?: string | undefined;
}

/** What HEAD tells about the stored object. */
export interface HeadReply {
  readonly size?: number | undefined;
  readonly checksum?: string | undefined;
}

/** One S3 call per method, one attempt; errors are SDK errors or shaped like them (`name`, `$metadata.httpStatusCode`). */
export interface Backend {
  readonly bucket: string;
  readonly key: string;
  putObject(bytes: Uint8Array, digest: Buffer, signal: AbortSignal): Promise<CompletionReply>;
  /** Starts a multipart upload and returns its id (a presigned plan already has one). */
  createMultipartUpload(partPlanMetadata: string, signal: AbortSignal): Promise<string>;
  uploadPart(
    uploadId: string,
    partNumber: number,
    bytes: Uint8Array,
    digest: Buffer,
    signal: AbortSignal,
  ): Promise<{ etag?: string | undefined; checksum?: string | undefined }>;
  completeMultipartUpload(
    uploadId: string,
    parts: readonly JournalPart[],
    signal: AbortSignal,
  ): Promise<CompletionReply>;
  abortMultipartUpload(uploadId: string): Promise<void>;
  headObject(): Promise<HeadReply>;
  /** When the authority to upload ends (credentials or presigned URLs), if known. */
  expiration(): Promise<Date | undefined>;
}

/** What the SDK backend puts on every new object. */
export interface ObjectSettings {
  readonly contentType: string;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly serverSideEncryption?: ServerSideEncryption | undefined;
  readonly ifNoneMatch: boolean;
}

/**
 * Hands our SHA-256 of the body to the SigV4 signer (it uses an
 * `x-amz-content-sha256` header when present) so the SDK does not hash every
 * byte a second time.
 */
function withPayloadHash<C extends { middlewareStack: { addRelativeTo: (...args: never[]) => void } }>(
  command: C,
  digest: Buffer,
): C {
  const hex = digest.toString('hex');
  const middleware = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => {
    const request = (args as { request?: { headers?: Record<string, string> } }).request;
    if (request?.headers) request.headers['x-amz-content-sha256'] = hex;
    return next(args);
  };
  (command.middlewareStack.addRelativeTo as (mw: unknown, options: object) => void)(middleware, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: 'triagePayloadHash',
    override: true,
  });
  return command;
}

/** Object-level parameters for PutObject and CreateMultipartUpload. */
export function objectParams(bucket: string, key: string, settings: ObjectSettings) {
  const sse = settings.serverSideEncryption;
  return {
    Bucket: bucket,
    Key: key,
    ContentType: settings.contentType,
    ...(settings.metadata ? { Metadata: { ...settings.metadata } } : {}),
    ...(sse?.type === 'SSE-S3' ? { ServerSideEncryption: 'AES256' as const } : {}),
    ...(sse?.type === 'SSE-KMS'
      ? { ServerSideEncryption: 'aws:kms' as const, ...(sse.keyId ? { SSEKMSKeyId: sse.keyId } : {}) }
      : {}),
  };
}

/** The backend that signs requests with the SDK client's credentials. */
export function sdkBackend(
  client: S3Client,
  bucket: string,
  key: string,
  settings: ObjectSettings,
  credentials: () => Promise<Credentials>,
): Backend {
  return {
    bucket,
    key,
    putObject: (bytes, digest, signal) =>
      client.send(
        withPayloadHash(
          new PutObjectCommand({
            ...objectParams(bucket, key, settings),
            Body: bytes,
            ContentLength: bytes.length,
            ChecksumSHA256: digest.toString('base64'),
            ...(settings.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
          digest,
        ),
        { abortSignal: signal },
      ),
    async createMultipartUpload(partPlanMetadata, signal) {
      const params = objectParams(bucket, key, settings);
      const created = await client.send(
        new CreateMultipartUploadCommand({
          ...params,
          Metadata: { ...params.Metadata, 'triage-part-plan': partPlanMetadata },
          ChecksumAlgorithm: 'SHA256',
        }),
        { abortSignal: signal },
      );
      if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      return created.UploadId;
    },
    async uploadPart(uploadId, partNumber, bytes, digest, signal) {
      const out = await client.send(
        withPayloadHash(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: bytes,
            ContentLength: bytes.length,
            ChecksumSHA256: digest.toString('base64'),
          }),
          digest,
        ),
        { abortSignal: signal },
      );
      return { etag: out.ETag, checksum: out.ChecksumSHA256 };
    },
    completeMultipartUpload: (uploadId, parts, signal) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ChecksumSHA256: p.sha256 })),
          },
          ...(settings.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
        }),
        { abortSignal: signal },
      ),
    async abortMultipartUpload(uploadId) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), {
        abortSignal: AbortSignal.timeout(30_000),
      });
    },
    async headObject() {
      const head = await client.send(
        new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
      );
      return { size: head.ContentLength, checksum: head.ChecksumSHA256 };
    },
    expiration: async () => (await credentials()).expiration,
  };
}
