import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { UploadHandle, UploadReceipt } from '@triage/s3-transport';

/**
 * A bounded single-consumer queue, read as an async iterable. `push` waits
 * while the queue is full, so the slower of file and upload sets the pace
 * and memory stays at `capacity` chunks. After `drop()` (the reader failed)
 * pushes are discarded so the file side can finish alone.
 */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  readonly #items: Uint8Array[] = [];
  #ended = false;
  #dropped = false;
  #wakeReader: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;

  constructor(readonly capacity = 4) {}

  /** Adds a chunk, waiting while the queue is full. */
  async push(chunk: Uint8Array): Promise<void> {
    while (!this.#dropped && this.#items.length >= this.capacity) {
      await new Promise<void>((resolve) => {
        this.#wakeWriter = resolve;
      });
    }
    if (this.#dropped) return;
    this.#items.push(chunk);
    this.#wakeReader?.();
  }

  /** No more chunks. */
  end(): void {
    this.#ended = true;
    this.#wakeReader?.();
  }

  /** The reader has gone: discard what is queued and all further chunks. */
  drop(): void {
    this.#dropped = true;
    this.#items.length = 0;
    this.#wakeWriter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    try {
      for (;;) {
        const item = this.#items.shift();
        if (item) {
          this.#wakeWriter?.();
          yield item;
          continue;
        }
        if (this.#ended || this.#dropped) return;
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve;
        });
      }
    } finally {
      // The consumer stopped early (upload failed or was aborted).
      this.drop();
    }
  }
}

/** The outcome of {@link teeToFileAndUpload}. */
export interface TeeResult {
  /** Bytes written to the local file. */
  readonly bytes: number;
  /** SHA-256 of those bytes, hex. */
  readonly sha256: string;
  /** The verified upload, when there was one and it succeeded. */
  readonly receipt?: UploadReceipt;
  /** Why the upload failed; the local file is complete regardless. */
  readonly uploadError?: unknown;
}

/**
 * Writes `source` to `path` (through `path.partial`, renamed when complete,
 * mode 0600) and, when `startUpload` is given, to an upload at the same
 * time. An upload failure never stops the file: the local copy is always
 * complete. A source failure removes the partial file, aborts the upload
 * and rethrows.
 *
 * @param source - the sealed collection bytes
 * @param path - the local file; must not exist
 * @param startUpload - starts the upload with a body to read from
 */
export async function teeToFileAndUpload(
  source: AsyncIterable<Uint8Array>,
  path: string,
  startUpload?: (body: AsyncIterable<Uint8Array>) => UploadHandle,
): Promise<TeeResult> {
  const partial = `${path}.partial`;
  const file = await open(partial, 'wx', 0o600);
  const queue = new ChunkQueue();
  let handle: UploadHandle | undefined;
  let uploadError: unknown;
  let receipt: UploadReceipt | undefined;
  let upload: Promise<void> | undefined;
  if (startUpload) {
    handle = startUpload(queue);
    upload = handle.done().then(
      (r) => {
        receipt = r;
      },
      (error: unknown) => {
        uploadError = error;
        queue.drop();
      },
    );
  }
  let bytes = 0;
  const hash = createHash('sha256');
  try {
    for await (const chunk of source) {
      for (let offset = 0; offset < chunk.length; ) {
        offset += (await file.write(chunk, offset, chunk.length - offset)).bytesWritten;
      }
      hash.update(chunk);
      bytes += chunk.length;
      if (upload && uploadError === undefined) await queue.push(chunk);
    }
    queue.end();
    await file.sync();
    await file.close();
    await rename(partial, path);
  } catch (error) {
    queue.drop();
    await file.close().catch(() => {});
    await rm(partial, { force: true });
    if (handle) await handle.abort().catch(() => {});
    await upload;
    throw error;
  }
  await upload;
  return {
    bytes,
    sha256: hash.digest('hex'),
    ...(receipt === undefined ? {} : { receipt }),
    ...(uploadError === undefined ? {} : { uploadError }),
  };
}
