/**
 * The upload engine: single PUT for what fits in one part, otherwise a
 * multipart upload with bounded parallelism, SHA-256 per part, the
 * whole-source SHA-256 computed while streaming, a resume journal for files,
 * verification after completion, and clean failure.
 */
import { createHash } from 'node:crypto';
import { isTriageError, TriageError } from '@triage/errors';
import type { Backend, CompletionReply, HeadReply } from './backend.js';
import { type Journal, type JournalPart, JournalWriter, readJournal, removeJournal } from './journal.js';
import {
  checksumMatches,
  compositeChecksum,
  MAX_PARTS,
  type PartPlan,
  partOffset,
  partSizeFor,
  planParts,
  sha256,
} from './parts.js';
import { type RetryContext, type RetryPolicy, retryPolicy, withRetry } from './retry.js';
import { openSource, type Source } from './source.js';
import type { UploadBody, UploadHandle, UploadOptions, UploadReceipt, Verification } from './types.js';

/** What the engine needs from the transport. */
export interface EngineContext {
  readonly retry: RetryPolicy;
  readonly now: () => number;
  readonly random: () => number;
}

/** Part buffers for reuse: an upload allocates at most concurrency + 1 of them. */
class BufferPool {
  private readonly free: Buffer[] = [];
  acquire(size: number): Buffer {
    const index = this.free.findIndex((buffer) => buffer.length === size);
    return index >= 0 ? (this.free.splice(index, 1)[0] as Buffer) : Buffer.allocUnsafe(size);
  }
  release(buffer: Buffer | undefined): void {
    if (buffer && this.free.length < 8) this.free.push(buffer);
  }
}

/** Credentials must stay valid at least this long past any request we start. */
const EXPIRY_MARGIN_MS = 60_000;

/** `8388608` or `8388608+grow1000`: lets a downloader find part boundaries. */
export function encodePlan(plan: PartPlan): string {
  return plan.growing ? `${plan.base}+grow1000` : String(plan.base);
}

/** Inverse of {@link encodePlan}; undefined when absent or malformed. */
export function decodePlan(text: string | undefined): PartPlan | undefined {
  const match = /^(\d+)(\+grow1000)?$/.exec(text ?? '');
  if (!match) return undefined;
  return { base: Number(match[1]), growing: match[2] !== undefined };
}

function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 1024) {
    throw new TriageError('INVALID_ARGUMENT', 'An object key is 1 to 1024 bytes of UTF-8.', {
      context: { key },
    });
  }
}

/**
 * Limits of a capacity plan (a presigned plan made before the size was known):
 * always multipart, a fixed part size, and at most `maxSize` bytes.
 */
export interface CapacityLimits {
  readonly maxSize: number;
}

/**
 * Starts an upload at once and returns its handle.
 */
export function startUpload(
  ctx: EngineContext,
  backend: Backend,
  body: UploadBody,
  options: UploadOptions,
  capacity?: CapacityLimits,
): UploadHandle {
  const controller = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
  const state = { discard: false };
  const promise = new Upload(ctx, backend, body, options, signal, state, capacity).run();
  promise.catch(() => undefined); // the caller sees failures through done()
  return {
    done: () => promise,
    async abort() {
      state.discard = true;
      controller.abort();
      await promise.catch(() => undefined);
    },
  };
}

class Upload {
  private readonly policy: RetryPolicy;
  private readonly warnings: string[] = [];
  private readonly startedAt: number;
  private sentBytes = 0;
  private skippedBytes = 0;
  private acknowledged = 0;
  private partsDone = 0;
  private uploadId: string | undefined;
  private warnedRate = false;
  /** Part buffers, reused: at most concurrency + 1 are in use at once. */
  private readonly pool = new BufferPool();
  /** The pooled buffer behind the first part, read before choosing single PUT or multipart. */
  private firstBuffer: Buffer | undefined;

  private readonly key: string;
  private readonly bucket: string;

  constructor(
    private readonly ctx: EngineContext,
    private readonly backend: Backend,
    private readonly body: UploadBody,
    private readonly options: UploadOptions,
    private readonly signal: AbortSignal,
    private readonly state: { discard: boolean },
    private readonly capacity?: CapacityLimits,
  ) {
    this.policy = retryPolicy(ctx.retry, options.retry);
    this.startedAt = ctx.now();
    this.key = backend.key;
    this.bucket = backend.bucket;
  }

  private validateConcurrency(): number {
    const value = this.options.concurrency ?? 4;
    if (!Number.isInteger(value) || value < 1 || value > 64) {
      throw new TriageError('INVALID_ARGUMENT', 'concurrency must be an integer from 1 to 64.');
    }
    return value;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }

  private retryContext(onRetryBytes = 0): RetryContext {
    return {
      policy: this.policy,
      random: this.ctx.random,
      signal: this.signal,
      beforeRetry: () => this.checkCredentials(),
      onRetry: () => {
        this.sentBytes += onRetryBytes;
      },
    };
  }

  private progress(total: number | undefined): void {
    const elapsed = Math.max(1, this.ctx.now() - this.startedAt) / 1000;
    const loaded = this.acknowledged + this.skippedBytes;
    this.options.onProgress?.({
      loaded,
      ...(total === undefined ? {} : { total }),
      parts: this.partsDone,
      bytesPerSecond: Math.round(this.acknowledged / elapsed),
    });
  }

  /**
   * Refuses to start a request that the credentials may not outlive, so the
   * upload stops (and cleans up) while they still work.
   */
  private async checkCredentials(total?: number): Promise<void> {
    const expiration = await this.backend.expiration();
    if (!expiration) return;
    const left = expiration.getTime() - this.ctx.now();
    if (left < EXPIRY_MARGIN_MS) {
      throw new TriageError(
        'CREDENTIALS_EXPIRING',
        `The credentials expire at ${expiration.toISOString()}, before this upload can finish; get credentials valid for longer and start again.`,
        { context: { expiresAt: expiration.toISOString(), key: this.key } },
      );
    }
    const rate = this.options.assumedBytesPerSecond ?? 1_000_000;
    if (total !== undefined && !this.warnedRate) {
      const needMs = ((total - this.acknowledged - this.skippedBytes) / rate) * 1000;
      if (needMs > left - EXPIRY_MARGIN_MS) {
        this.warnedRate = true;
        this.warn(
          `The credentials expire at ${expiration.toISOString()}; at ${(rate / 1e6).toFixed(1)} MB/s the remaining ${((total - this.acknowledged) / 1e6).toFixed(0)} MB need about ${Math.ceil(needMs / 60_000)} min. If they run out, the upload stops cleanly and must be restarted with new credentials.`,
        );
      }
    }
  }

  async run(): Promise<UploadReceipt> {
    validateKey(this.key);
    this.validateConcurrency();
    if (this.options.journal && !(typeof this.body === 'object' && 'path' in this.body)) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        'A resume journal needs a file body ({ path }): only a file can be read again.',
      );
    }
    if (this.signal.aborted)
      throw new TriageError('ABORTED', `Upload of ${this.key} was cancelled before it started.`);
    const source = await openSource(this.body, this.options.size);
    try {
      if (this.options.size !== undefined && source.size !== undefined && this.options.size !== source.size) {
        throw new TriageError(
          'INVALID_ARGUMENT',
          `size says ${this.options.size} bytes but the body has ${source.size}.`,
        );
      }
      const total = source.size ?? this.options.size;
      // A capacity plan fixed its part size when it was signed: no growth, whatever the size.
      const plan: PartPlan = this.capacity
        ? { base: planParts(this.options.partSize, undefined).base, growing: false }
        : planParts(this.options.partSize, total);
      if (this.capacity && total !== undefined && total > this.capacity.maxSize) {
        // Best effort: the plan's multipart upload is useless for this body, so free it.
        await this.backend
          .createMultipartUpload(encodePlan(plan), this.signal)
          .then((uploadId) => this.backend.abortMultipartUpload(uploadId))
          .catch(() => undefined);
        if (this.options.journal) await removeJournal(this.options.journal);
        this.overCapacity(total);
      }
      await this.checkCredentials(total);
      const journal = this.options.journal ? await readJournal(this.options.journal) : undefined;
      if (journal) return await this.resume(source, journal, total);
      this.firstBuffer = this.pool.acquire(partSizeFor(plan, 1));
      const first = await source.read(partSizeFor(plan, 1), this.firstBuffer);
      if (!this.capacity && (first.length < partSizeFor(plan, 1) || total === first.length)) {
        return await this.single(first, total);
      }
      return await this.multipart(source, plan, total, first, new Map(), false);
    } finally {
      await source.close();
    }
  }

  private async single(bytes: Uint8Array, total: number | undefined): Promise<UploadReceipt> {
    if (total !== undefined && bytes.length !== total) this.sizeChanged(total, bytes.length);
    const digest = sha256(bytes);
    const checksum = digest.toString('base64');
    const op = { action: 'PutObject', bucket: this.bucket, key: this.key };
    let attempts = 0;
    let response: CompletionReply | undefined;
    try {
      response = await withRetry(op, this.retryContext(bytes.length), (attempt) => {
        attempts = attempt;
        this.sentBytes += attempt === 1 ? bytes.length : 0;
        return this.backend.putObject(bytes, digest, this.signal);
      });
    } catch (error) {
      // A retry after a lost reply finds our own object: prove it is ours before calling it success.
      if (
        !(
          isTriageError(error, 'ALREADY_EXISTS') &&
          attempts > 1 &&
          (await this.isOurs(bytes.length, checksum))
        )
      ) {
        throw error;
      }
    }
    this.acknowledged = bytes.length;
    this.partsDone = 1;
    this.progress(bytes.length);
    const verification = await this.verify(bytes.length, checksum, response);
    return this.receipt({
      size: bytes.length,
      sourceSha256: digest.toString('hex'),
      checksum,
      parts: 1,
      partSize: bytes.length,
      verification,
      response,
    });
  }

  private async multipart(
    source: Source,
    plan: PartPlan,
    total: number | undefined,
    first: Uint8Array | undefined,
    known: Map<number, JournalPart>,
    resumed: boolean,
    existingUploadId?: string,
    createdAt?: string,
  ): Promise<UploadReceipt> {
    const op = { action: 'CreateMultipartUpload', bucket: this.bucket, key: this.key };
    if (existingUploadId) {
      this.uploadId = existingUploadId;
    } else {
      this.uploadId = await withRetry(op, this.retryContext(), () =>
        this.backend.createMultipartUpload(encodePlan(plan), this.signal),
      );
    }
    const uploadId = this.uploadId as string;
    const journalPath = this.options.journal;
    const parts = new Map<number, JournalPart>();
    const journalWriter = journalPath
      ? new JournalWriter(journalPath, (error) =>
          this.warn(
            `The resume journal ${journalPath} cannot be written (${(error as Error).message}); the upload goes on but cannot be resumed if interrupted.`,
          ),
        )
      : undefined;
    const saveJournal = () => {
      if (!journalWriter || !source.file) return;
      journalWriter.save({
        version: 1,
        bucket: this.bucket,
        key: this.key,
        uploadId,
        source: source.file,
        plan,
        createdAt: createdAt ?? new Date(this.startedAt).toISOString(),
        parts: [...parts.values()].sort((a, b) => a.partNumber - b.partNumber),
      });
    };
    saveJournal();

    try {
      const whole = createHash('sha256');
      const pool = this.pool;
      const inFlight = new Set<Promise<void>>();
      let failure: unknown;
      let offset = 0;
      const concurrency = this.validateConcurrency();
      for (let partNumber = 1; ; partNumber++) {
        if (failure !== undefined) break;
        if (partNumber > MAX_PARTS) {
          throw new TriageError(
            'DATA_INVALID',
            'The body needs more than 10,000 parts; give its size or a larger partSize.',
          );
        }
        const expected = partSizeFor(plan, partNumber);
        const usesFirst = partNumber === 1 && first !== undefined;
        const buffer = usesFirst ? this.firstBuffer : pool.acquire(expected);
        const bytes = usesFirst ? first : await source.read(expected, buffer);
        if (bytes.length === 0 && partNumber > 1) {
          pool.release(buffer);
          break;
        }
        whole.update(bytes);
        const partOffsetHere = offset;
        offset += bytes.length;
        if (total !== undefined && offset > total) this.sizeChanged(total, offset);
        if (this.capacity && offset > this.capacity.maxSize) this.overCapacity(offset);
        const digest = sha256(bytes);
        const previous = known.get(partNumber);
        if (previous && previous.sha256 === digest.toString('base64') && previous.size === bytes.length) {
          parts.set(partNumber, previous); // sent by an earlier run and unchanged since
          this.skippedBytes += bytes.length;
          this.partsDone++;
          pool.release(buffer);
        } else {
          while (inFlight.size >= concurrency) await Promise.race(inFlight);
          if (failure !== undefined) break;
          const task = this.uploadPart(uploadId, partNumber, partOffsetHere, bytes, digest)
            .then((part) => {
              parts.set(partNumber, part);
              this.partsDone++;
              this.progress(total);
              saveJournal();
            })
            .catch((error: unknown) => {
              failure ??= error;
            })
            .finally(() => pool.release(buffer));
          const tracked: Promise<void> = task.finally(() => inFlight.delete(tracked));
          inFlight.add(tracked);
        }
        if (bytes.length < expected) break; // the source ended inside this part
      }
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
      if (total !== undefined && offset !== total) this.sizeChanged(total, offset);
      await journalWriter?.flush();

      const ordered = [...parts.values()].sort((a, b) => a.partNumber - b.partNumber);
      const checksum = compositeChecksum(ordered.map((p) => Buffer.from(p.sha256, 'base64')));
      const response = await this.complete(uploadId, ordered, offset, checksum);
      const verification = await this.verify(offset, checksum, response);
      if (journalPath) await removeJournal(journalPath);
      return this.receipt({
        size: offset,
        sourceSha256: whole.digest('hex'),
        checksum,
        parts: ordered.length,
        partSize: plan.base,
        verification,
        response,
        uploadId,
        resumed,
      });
    } catch (error) {
      await journalWriter?.flush();
      if (
        resumed &&
        isTriageError(error, 'NOT_FOUND') &&
        error.context.s3Error === 'NoSuchUpload' &&
        source.seek
      ) {
        // The multipart upload expired or was aborted since the journal was written: start over.
        this.warn(
          'The multipart upload in the journal no longer exists; starting the upload again from the beginning.',
        );
        source.seek(0);
        this.skippedBytes = 0;
        this.partsDone = 0;
        this.acknowledged = 0;
        return this.multipart(source, plan, total, undefined, new Map(), false);
      }
      await this.cleanUp(uploadId, error);
      throw error;
    }
  }

  private async uploadPart(
    uploadId: string,
    partNumber: number,
    offset: number,
    bytes: Uint8Array,
    digest: Buffer,
  ): Promise<JournalPart> {
    await this.checkCredentials(this.options.size);
    const checksum = digest.toString('base64');
    const op = { action: 'UploadPart', bucket: this.bucket, key: this.key, partNumber };
    const out = await withRetry(op, this.retryContext(bytes.length), (attempt) => {
      if (attempt === 1) this.sentBytes += bytes.length;
      return this.backend.uploadPart(uploadId, partNumber, bytes, digest, this.signal);
    });
    if (out.checksum && out.checksum !== checksum) {
      throw new TriageError(
        'INTEGRITY_MISMATCH',
        `Part ${partNumber} of ${this.key}: the server stored another checksum.`,
        {
          context: { key: this.key, partNumber },
        },
      );
    }
    if (!out.etag) throw new TriageError('INTERNAL', `UploadPart ${partNumber} returned no ETag.`);
    this.acknowledged += bytes.length;
    return { partNumber, offset, size: bytes.length, etag: out.etag, sha256: checksum };
  }

  private async complete(
    uploadId: string,
    parts: readonly JournalPart[],
    size: number,
    checksum: string,
  ): Promise<CompletionReply | undefined> {
    const op = { action: 'CompleteMultipartUpload', bucket: this.bucket, key: this.key };
    let attempts = 0;
    try {
      return await withRetry(op, this.retryContext(), (attempt) => {
        attempts = attempt;
        return this.backend.completeMultipartUpload(uploadId, parts, this.signal);
      });
    } catch (error) {
      // A retried Complete whose first reply was lost finds the upload gone or the object present.
      const lostReply =
        attempts > 1 &&
        (isTriageError(error, 'ALREADY_EXISTS') ||
          (isTriageError(error, 'NOT_FOUND') && error.context.s3Error === 'NoSuchUpload'));
      if (lostReply && (await this.isOurs(size, checksum))) return undefined;
      throw error;
    }
  }

  /** Whether the object now at the key is the one we sent (size and checksum). */
  private async isOurs(size: number, checksum: string): Promise<boolean> {
    try {
      const head = await this.head();
      return head.size === size && head.checksum !== undefined && checksumMatches(head.checksum, checksum);
    } catch {
      return false;
    }
  }

  private head(): Promise<HeadReply> {
    const op = { action: 'HeadObject', bucket: this.bucket, key: this.key };
    return withRetry(op, { policy: this.policy, random: this.ctx.random }, () => this.backend.headObject());
  }

  private async verify(
    size: number,
    checksum: string,
    response: CompletionReply | undefined,
  ): Promise<Verification> {
    let verification: Verification;
    try {
      const head = await this.head();
      verification = {
        method: 'head',
        sizeMatches: head.size === undefined ? null : head.size === size,
        checksumMatches: head.checksum === undefined ? null : checksumMatches(head.checksum, checksum),
      };
    } catch (error) {
      if (!isTriageError(error, 'PERMISSION_DENIED')) throw error;
      // Write-only credentials may not HEAD: fall back to what the completion reply said.
      verification = {
        method: 'response',
        sizeMatches: null,
        checksumMatches:
          response?.ChecksumSHA256 === undefined ? null : checksumMatches(response.ChecksumSHA256, checksum),
      };
    }
    if (verification.sizeMatches === false || verification.checksumMatches === false) {
      throw new TriageError(
        'INTEGRITY_MISMATCH',
        `s3://${this.bucket}/${this.key} does not match what was sent (size or checksum differs); do not trust it and upload again under a new key.`,
        { context: { bucket: this.bucket, key: this.key, size, checksum } },
      );
    }
    return verification;
  }

  private async cleanUp(uploadId: string, error: unknown): Promise<void> {
    const keep =
      this.options.journal !== undefined &&
      !this.state.discard &&
      !isTriageError(error, 'ALREADY_EXISTS') &&
      !(isTriageError(error, 'DATA_INVALID') && error.context.maxSize !== undefined);
    if (keep) return; // the journal lets a later run resume this multipart upload
    try {
      await this.backend.abortMultipartUpload(uploadId);
    } catch {
      // Best effort: a lifecycle rule should remove incomplete uploads too.
    }
    if (this.options.journal) await removeJournal(this.options.journal);
  }

  private async resume(source: Source, journal: Journal, total: number | undefined): Promise<UploadReceipt> {
    const file = source.file;
    if (
      journal.bucket !== this.bucket ||
      journal.key !== this.key ||
      !file ||
      journal.source.path !== file.path ||
      journal.source.size !== file.size ||
      journal.source.mtimeMs !== file.mtimeMs
    ) {
      throw new TriageError(
        'CONFIG_INVALID',
        `The resume journal ${this.options.journal} belongs to another upload, or the file changed since; remove the journal to start from scratch.`,
        { context: { journal: this.options.journal ?? null, key: this.key } },
      );
    }
    const known = new Map(journal.parts.map((p) => [p.partNumber, p]));
    for (const part of journal.parts) {
      if (part.offset !== partOffset(journal.plan, part.partNumber)) known.delete(part.partNumber);
    }
    return this.multipart(
      source,
      journal.plan,
      total,
      undefined,
      known,
      true,
      journal.uploadId,
      journal.createdAt,
    );
  }

  private overCapacity(actual: number): never {
    const maxSize = this.capacity?.maxSize ?? 0;
    throw new TriageError(
      'DATA_INVALID',
      `The body has more than the plan's maxSize of ${maxSize} bytes; nothing was completed and the upload was aborted: ask for a plan with a larger maxSize.`,
      { context: { maxSize, actual } },
    );
  }

  private sizeChanged(expected: number, actual: number): never {
    throw new TriageError(
      'DATA_INVALID',
      `The body was declared as ${expected} bytes but gave ${actual > expected ? 'more' : actual}; nothing was completed.`,
      { context: { expected, actual } },
    );
  }

  private receipt(r: {
    size: number;
    sourceSha256: string;
    checksum: string;
    parts: number;
    partSize: number;
    verification: Verification;
    response: CompletionReply | undefined;
    uploadId?: string;
    resumed?: boolean;
  }): UploadReceipt {
    const completed = this.ctx.now();
    return {
      bucket: this.bucket,
      key: this.key,
      ...(r.response?.VersionId ? { versionId: r.response.VersionId } : {}),
      ...(r.response?.ETag ? { etag: r.response.ETag } : {}),
      size: r.size,
      sourceSha256: r.sourceSha256,
      checksumSha256: r.checksum,
      parts: r.parts,
      partSize: r.partSize,
      ...(r.uploadId ? { multipartUploadId: r.uploadId } : {}),
      verification: r.verification,
      sentBytes: this.sentBytes,
      skippedBytes: this.skippedBytes,
      resumed: r.resumed ?? false,
      startedAt: new Date(this.startedAt).toISOString(),
      completedAt: new Date(completed).toISOString(),
      durationMs: completed - this.startedAt,
      warnings: [...this.warnings],
    };
  }
}
