import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { TriageError } from '@triage/errors';
import { sdkBackend } from './backend.js';
import {
  type Download,
  type DownloadContext,
  downloadToFile,
  listObjects,
  openDownload,
} from './download.js';
import { type PresignedPlan, type PresignOptions, presignUpload } from './presigned.js';
import { agentsFor } from './proxy.js';
import { type RetryPolicy, retryPolicy } from './retry.js';
import type {
  Credentials,
  DownloadOptions,
  DownloadReceipt,
  ObjectSummary,
  TransportOptions,
  UploadBody,
  UploadHandle,
  UploadOptions,
} from './types.js';
import { type EngineContext, startUpload } from './upload.js';

/** Moves bytes between this process and one S3 bucket. */
export interface Transport {
  readonly bucket: string;
  /**
   * Uploads `body` to `key` and returns at once; `done()` resolves with the
   * receipt when the object is complete and verified.
   *
   * @throws (from done()) ALREADY_EXISTS, PERMISSION_DENIED, CREDENTIALS_INVALID, CREDENTIALS_EXPIRING,
   *   NOT_FOUND, INTEGRITY_MISMATCH, DATA_INVALID, THROTTLED, SERVICE_UNAVAILABLE, NETWORK_ERROR,
   *   TIMEOUT, ABORTED, S3_REQUEST_REJECTED, INVALID_ARGUMENT, IO_ERROR, CONFIG_INVALID
   */
  upload(key: string, body: UploadBody, options?: UploadOptions): UploadHandle;
  /** Lists objects whose keys start with `prefix`, across pages. */
  list(
    prefix: string,
    options?: { readonly signal?: AbortSignal; readonly pageSize?: number },
  ): AsyncIterable<ObjectSummary>;
  /** Starts a verified, parallel, ranged download. */
  download(key: string, options?: DownloadOptions): Promise<Download>;
  /** Downloads to a new file, which appears only once verified. */
  downloadToFile(key: string, path: string, options?: DownloadOptions): Promise<DownloadReceipt>;
  /**
   * Makes a presigned plan so a host can upload to `key` with no credentials
   * (see `uploadWithPlan`): exactly `options.size` bytes, or (a capacity plan,
   * for a size not known yet) up to `options.maxSize` bytes in parts of a fixed
   * `partSize` (default 8 MiB). Give exactly one of the two. The plan's URLs
   * are bearer credentials: store it 0600, never log it.
   *
   * @throws INVALID_ARGUMENT for both or neither of size and maxSize, a bad size, part size or lifetime
   * @throws CREDENTIALS_EXPIRING when the signing credentials expire within a minute; the transport's codes for CreateMultipartUpload
   */
  presignUpload(key: string, options: PresignOptions): Promise<PresignedPlan>;
}

function buildClient(options: TransportOptions): S3Client {
  if (!options.credentials) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'createTransport() needs `client`, or `credentials` (a provider function).',
    );
  }
  const ca =
    options.ca === undefined
      ? undefined
      : typeof options.ca === 'string' || Buffer.isBuffer(options.ca)
        ? options.ca
        : [...(options.ca as readonly (string | Buffer)[])];
  return new S3Client({
    region: options.region ?? 'us-east-1',
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    credentials: options.credentials,
    // The transport retries per part with its own budget and backoff.
    maxAttempts: 1,
    // Checksums are ours (SHA-256, given explicitly); no default CRC32 on top.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: 10_000,
      socketTimeout: options.socketTimeoutMs ?? 30_000,
      ...agentsFor(options.endpoint, { proxy: options.proxy, noProxy: options.noProxy }, { ca }),
    }),
  });
}

/**
 * Creates a transport for one bucket.
 *
 * @example
 * ```ts
 * const transport = createTransport({ bucket: 'acme-evidence', region: 'eu-west-1', credentials: provider });
 * const receipt = await transport.upload('case-42/ws-17/collection.tri', { path: './collection.tri' }).done();
 * ```
 * @throws INVALID_ARGUMENT when neither a client nor credentials are given, or the bucket is empty
 */
export function createTransport(options: TransportOptions): Transport {
  if (typeof options.bucket !== 'string' || options.bucket.length === 0) {
    throw new TriageError('INVALID_ARGUMENT', 'createTransport() needs a bucket name.');
  }
  const client = options.client ?? buildClient(options);
  const retry: RetryPolicy = retryPolicy(options.retry);
  const credentials = async (): Promise<Credentials> => {
    const provider = client.config.credentials as () => Promise<Credentials>;
    return provider();
  };
  const context: EngineContext & DownloadContext = {
    client,
    bucket: options.bucket,
    retry,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
  };
  return {
    bucket: options.bucket,
    upload: (key, body, uploadOptions = {}) =>
      startUpload(
        context,
        sdkBackend(
          client,
          options.bucket,
          key,
          {
            contentType: uploadOptions.contentType ?? 'application/octet-stream',
            metadata: uploadOptions.metadata,
            serverSideEncryption: uploadOptions.serverSideEncryption,
            ifNoneMatch: uploadOptions.ifNoneMatch ?? true,
          },
          credentials,
        ),
        body,
        uploadOptions,
      ),
    list: (prefix, listOptions = {}) => listObjects(context, prefix, listOptions),
    download: (key, downloadOptions = {}) => openDownload(context, key, downloadOptions),
    downloadToFile: (key, path, downloadOptions = {}) => downloadToFile(context, key, path, downloadOptions),
    presignUpload: (key, presignOptions) => presignUpload({ ...context, credentials }, key, presignOptions),
  };
}
