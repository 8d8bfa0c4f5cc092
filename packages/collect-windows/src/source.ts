/**
 * Random access to the bytes of an artifact file, so parsers read what they
 * need (a header, a hive bin, an EVTX chunk) instead of the whole file:
 * memory stays bounded by the parser's working set, not the file size.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { TriageError } from '@triage/errors';

/** The bytes of one file, read at any offset. */
export interface ByteSource {
  /** A name for diagnostics (a path). */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * Up to `length` bytes at `offset` (fewer only at the end of the file;
   * none past it). The result may be a view: copy it to keep it past the
   * next read.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Releases the file; a closed source must not be read. */
  close(): Promise<void>;
}

/**
 * A source over bytes already in memory (tests, small files, a decompressed buffer).
 *
 * @param bytes - the file's content
 * @param name - for diagnostics; default `memory`
 */
export function bufferSource(bytes: Uint8Array, name = 'memory'): ByteSource {
  return {
    name,
    size: bytes.length,
    read: async (offset, length) => {
      if (offset >= bytes.length || length <= 0) return new Uint8Array(0);
      return bytes.subarray(offset, Math.min(bytes.length, offset + length));
    },
    close: async () => undefined,
  };
}

/**
 * A source over a file, read with positioned reads on one file handle.
 *
 * @param path - the file
 * @returns the open source; close it when done
 * @throws NOT_FOUND when the file does not exist; IO_ERROR when it cannot be opened
 */
export async function fileSource(path: string): Promise<ByteSource> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TriageError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      code === 'ENOENT'
        ? `No such file: ${path}`
        : `Could not open ${path} (${code}); check its permissions.`,
      { cause: error, context: { path } },
    );
  }
  return handleSource(handle, (await handle.stat()).size, path);
}

/**
 * A source over a file already open, read with positioned reads; closing
 * the source closes the handle.
 *
 * @param handle - the open file
 * @param size - its size in bytes (reads stop there)
 * @param name - for diagnostics
 */
export function handleSource(handle: FileHandle, size: number, name: string): ByteSource {
  return {
    name,
    size,
    read: async (offset, length) => {
      if (offset >= size || length <= 0) return new Uint8Array(0);
      const buffer = Buffer.allocUnsafe(Math.min(length, size - offset));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}
