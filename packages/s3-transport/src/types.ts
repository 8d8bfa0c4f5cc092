import type { S3Client } from '@aws-sdk/client-s3';

/** AWS credentials, as an SDK credential provider returns them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; checked before an upload and before each part. */
  readonly expiration?: Date;
}

/** Returns current credentials; called again when they near expiry (as in the AWS SDK). */
export type CredentialsProvider = () => Promise<Credentials>;

/** Retry policy for one request (one part, one range, one call). */
export interface RetryOptions {
  /** Attempts per request, first included; default 5. */
  readonly attempts?: number;
  /** Backoff base: attempt n waits a random time in [0, min(maxDelayMs, baseDelayMs · 2^n)]; default 250 ms. */
  readonly baseDelayMs?: number;
  /** Backoff ceiling; default 20,000 ms. */
  readonly maxDelayMs?: number;
}

/** Options for {@link createTransport}. Give either `client`, or `region` (and usually `endpoint` and `credentials`). */
export interface TransportOptions {
  /** The bucket every call works in. */
  readonly bucket: string;
  /**
   * An S3Client you built (the package then builds none). Its own retries stack with ours:
   * set its `maxAttempts: 1` to leave retries to the transport.
   */
  readonly client?: S3Client;
  /** Region; default `us-east-1` when `client` is not given. */
  readonly region?: string;
  /** S3-compatible endpoint URL, e.g. `http://127.0.0.1:9000`; default AWS. */
  readonly endpoint?: string;
  /** Credentials provider; required when `client` is not given. */
  readonly credentials?: CredentialsProvider;
  /** Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible servers; default false. */
  readonly forcePathStyle?: boolean;
  /**
   * HTTP proxy URL (`http://host:port`); https endpoints are reached through
   * CONNECT. Apps usually pass `proxyFromEnv(process.env, endpoint)`. Default: none.
   */
  readonly proxy?: string | undefined;
  /** Hosts reached directly despite `proxy` (as `NO_PROXY`). */
  readonly noProxy?: readonly string[] | undefined;
  /** Extra trusted CA certificates (PEM) for TLS; verification stays on. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** A socket idle for this long counts as stalled and the request is retried; default 30,000 ms. */
  readonly socketTimeoutMs?: number;
  /** Default retry policy for every call. */
  readonly retry?: RetryOptions;
  /** Clock; default `Date.now`. */
  readonly now?: () => number;
  /** Random numbers in [0, 1) for backoff jitter; default `Math.random`. */
  readonly random?: () => number;
}

/** Server-side encryption for uploaded objects. */
export type ServerSideEncryption =
  | { readonly type: 'SSE-S3' }
  | { readonly type: 'SSE-KMS'; readonly keyId?: string };

/** Progress of an upload or download. */
export interface Progress {
  /** Bytes the server has acknowledged (upload) or that have been delivered (download). */
  readonly loaded: number;
  /** Total bytes, when known. */
  readonly total?: number;
  /** Parts completed. */
  readonly parts: number;
  /** Average since the start. */
  readonly bytesPerSecond: number;
}

/** What {@link Transport.upload} accepts as the object's content. */
export type UploadBody =
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>
  | Uint8Array
  | { readonly path: string };

/** Options for {@link Transport.upload}. */
export interface UploadOptions {
  /**
   * Part size in bytes, at least 5 MiB; default 8 MiB. For a known size it grows (in whole MiB) so
   * that 10,000 parts cover the object. For an unknown size it doubles every 1,000 parts, so
   * 10,000 parts reach 8 TiB, more than S3's 5 TiB object limit.
   */
  readonly partSize?: number;
  /** Parts uploaded at once; default 4. Memory holds at most `concurrency + 1` parts. */
  readonly concurrency?: number;
  /** Size in bytes when the body is a stream of known length; default: unknown (a file's or array's own size is used). */
  readonly size?: number;
  /** Refuse to replace an existing object (`If-None-Match: *`); default true. */
  readonly ifNoneMatch?: boolean;
  /** Server-side encryption; default none requested (the bucket's default applies). */
  readonly serverSideEncryption?: ServerSideEncryption;
  /** Content-Type; default `application/octet-stream`. */
  readonly contentType?: string;
  /** User metadata (`x-amz-meta-*`); keys lower-case `[a-z0-9-]`. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Called after each part and at the end. */
  readonly onProgress?: (progress: Progress) => void;
  /** Called with a warning, e.g. credentials that may expire before a slow upload ends. */
  readonly onWarning?: (message: string) => void;
  /** Stops the upload. Without a journal the multipart upload is aborted; with one it is kept for resuming. */
  readonly signal?: AbortSignal;
  /**
   * Resume journal path (file bodies only). Written atomically after each part; when it exists at
   * start, the upload continues where it stopped, after checking the sent parts against the file.
   * Removed when the upload completes.
   */
  readonly journal?: string;
  /** Retry policy; default the transport's. */
  readonly retry?: RetryOptions;
  /**
   * Throughput to assume when checking that credentials outlive the upload; default 1 MB/s.
   * A known-size upload that would not finish in time at this rate gets a warning.
   */
  readonly assumedBytesPerSecond?: number;
}

/** How the finished object was checked. */
export interface Verification {
  /** `head`: a HEAD after completion; `response`: the completion response (HEAD was denied, as for write-only credentials). */
  readonly method: 'head' | 'response';
  /** The stored size equals the bytes sent (`null`: not reported). */
  readonly sizeMatches: boolean | null;
  /** The stored SHA-256 (full or composite) equals ours (`null`: the server returned none). */
  readonly checksumMatches: boolean | null;
}

/** What a completed upload proves. */
export interface UploadReceipt {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  /** Bytes uploaded. */
  readonly size: number;
  /** SHA-256 of the whole source, hex. */
  readonly sourceSha256: string;
  /** S3's checksum of the object as we computed it: base64 SHA-256, or for multipart the composite `base64-N`. */
  readonly checksumSha256: string;
  /** Parts: 1 for a single PUT. */
  readonly parts: number;
  readonly partSize: number;
  readonly multipartUploadId?: string;
  readonly verification: Verification;
  /** Bytes this run sent over the network, retries included. */
  readonly sentBytes: number;
  /** Bytes not sent because an earlier run (see the journal) had sent them and they still match the file. */
  readonly skippedBytes: number;
  /** True when this upload continued from a journal. */
  readonly resumed: boolean;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly durationMs: number;
  readonly warnings: readonly string[];
}

/** A running upload. */
export interface UploadHandle {
  /** Resolves with the receipt once the object is complete and verified. */
  done(): Promise<UploadReceipt>;
  /** Cancels: stops sending, aborts the multipart upload and removes the journal. Resolves when cleaned up. */
  abort(): Promise<void>;
}

/** One object in a listing. */
export interface ObjectSummary {
  readonly key: string;
  readonly size: number;
  readonly etag?: string;
  readonly lastModified?: Date;
}

/** Options for {@link Transport.download}. */
export interface DownloadOptions {
  /** Ranged GETs at once; default 4. Memory holds at most that many ranges. */
  readonly concurrency?: number;
  /** Bytes per ranged GET for objects uploaded in one piece; default 8 MiB. */
  readonly rangeSize?: number;
  /** Also require this SHA-256 (hex) of the whole object, e.g. a receipt's `sourceSha256`. */
  readonly expectedSha256?: string;
  /** Download this version. */
  readonly versionId?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly retry?: RetryOptions;
}

/** What a verified download proves. */
export interface DownloadReceipt {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  readonly size: number;
  /** SHA-256 of the downloaded bytes, hex. */
  readonly sha256: string;
  /** Whether S3's stored checksum was compared (`false`: the server keeps none for this object). */
  readonly checksumVerified: boolean;
}
