import { type FileHandle, open } from 'node:fs/promises';
import { TriageError } from '@triage/errors';
import type { UploadBody } from './types.js';

/** Sequential reads of exact sizes from any upload body. */
export interface Source {
  /** Total size, when known before reading. */
  readonly size: number | undefined;
  /** For a file body: its path, size and modification time (what a journal records). */
  readonly file?: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  /**
   * The next `n` bytes; fewer only at the end, empty after it. With `into` (at
   * least `n` bytes), file and stream sources fill it and return a view of it,
   * so part buffers can be reused; otherwise the result is new or a view of
   * the caller's own array.
   */
  read(n: number, into?: Buffer): Promise<Uint8Array>;
  /** Moves a file source's position (resume); unsupported for other sources. */
  seek?(offset: number): void;
  /** `n` bytes at `offset` of a file source (checking parts sent before a resume). */
  readAt?(offset: number, n: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function fileSource(handle: FileHandle, path: string, size: number, mtimeMs: number): Source {
  let position = 0;
  const readAt = async (offset: number, n: number, into?: Buffer): Promise<Uint8Array> => {
    const length = Math.max(0, Math.min(n, size - offset));
    const buffer = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled !== length) {
      throw new TriageError(
        'DATA_INVALID',
        `${path} shrank while it was being uploaded; upload a stable copy.`,
        {
          context: { path },
        },
      );
    }
    return buffer;
  };
  return {
    size,
    file: { path, size, mtimeMs },
    async read(n, into) {
      const bytes = await readAt(position, n, into);
      position += bytes.length;
      return bytes;
    },
    seek(offset) {
      position = offset;
    },
    readAt,
    close: () => handle.close(),
  };
}

function iterableSource(iterable: AsyncIterable<Uint8Array>, size: number | undefined): Source {
  const iterator = iterable[Symbol.asyncIterator]();
  let pending: Uint8Array | undefined; // unread rest of the last piece
  let ended = false;
  return {
    size,
    async read(n, into) {
      const out = into ? into.subarray(0, n) : Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        if (!pending || pending.length === 0) {
          if (ended) break;
          const next = await iterator.next();
          if (next.done) {
            ended = true;
            break;
          }
          if (!(next.value instanceof Uint8Array)) {
            throw new TriageError('INVALID_ARGUMENT', 'An upload body must yield Uint8Array pieces.');
          }
          pending = next.value;
          continue;
        }
        const count = Math.min(n - filled, pending.length);
        out.set(pending.subarray(0, count), filled);
        pending = pending.subarray(count);
        filled += count;
      }
      return filled === n ? out : out.subarray(0, filled);
    },
    async close() {
      if (!ended) await iterator.return?.();
    },
  };
}

function bytesSource(bytes: Uint8Array): Source {
  let position = 0;
  return {
    size: bytes.length,
    async read(n) {
      const out = bytes.subarray(position, position + n);
      position += out.length;
      return out;
    },
    async close() {},
  };
}

/**
 * Opens an upload body for sequential reading.
 *
 * @throws NOT_FOUND / IO_ERROR for a file that cannot be opened
 */
export async function openSource(body: UploadBody, declaredSize: number | undefined): Promise<Source> {
  if (body instanceof Uint8Array) return bytesSource(body);
  if (body instanceof ReadableStream)
    return iterableSource(body as unknown as AsyncIterable<Uint8Array>, declaredSize);
  if (typeof body === 'object' && body !== null && 'path' in body && typeof body.path === 'string') {
    let handle: FileHandle;
    try {
      handle = await open(body.path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new TriageError(
        code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
        `Cannot read ${body.path} (${code}).`,
        {
          cause: error,
          context: { path: body.path },
        },
      );
    }
    const stat = await handle.stat();
    return fileSource(handle, body.path, stat.size, stat.mtimeMs);
  }
  if (typeof body === 'object' && body !== null && Symbol.asyncIterator in body) {
    return iterableSource(body, declaredSize);
  }
  throw new TriageError(
    'INVALID_ARGUMENT',
    'An upload body is a ReadableStream, an AsyncIterable of Uint8Array, a Uint8Array or { path }.',
  );
}
