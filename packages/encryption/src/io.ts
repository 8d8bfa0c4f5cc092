import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { isTriageError, TriageError } from '@triage/errors';
import { type DecryptOptions, decrypt, type EncryptOptions, encrypt } from './stream.js';

/** Anything the helpers accept as input bytes. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

/** Turns any {@link ByteSource} into a web `ReadableStream`. */
export function toReadableStream(source: ByteSource): ReadableStream<Uint8Array> {
  if (source instanceof ReadableStream) return source;
  if (source instanceof Uint8Array) {
    return new ReadableStream<Uint8Array>({
      start(controller) {
        if (source.length > 0) controller.enqueue(source);
        controller.close();
      },
    });
  }
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) {
    pieces.push(piece);
    total += piece.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * Encrypts in memory. For large data, pipe through {@link encrypt} instead.
 *
 * @returns the whole envelope
 * @throws as {@link encrypt}
 */
export function encryptBytes(plaintext: ByteSource, options: EncryptOptions): Promise<Uint8Array> {
  return collect(toReadableStream(plaintext).pipeThrough(encrypt(options)));
}

/**
 * Decrypts in memory; resolves only when the whole envelope verified.
 *
 * @throws as {@link decrypt}
 */
export function decryptBytes(envelope: ByteSource, options: DecryptOptions): Promise<Uint8Array> {
  return collect(toReadableStream(envelope).pipeThrough(decrypt(options)));
}

/** Options for the file helpers. */
export interface FileOptions {
  /** Cancels the operation; the partial output is removed. */
  readonly signal?: AbortSignal;
}

async function transformFile(
  source: string,
  destination: string,
  transform: TransformStream<Uint8Array, Uint8Array>,
  options: FileOptions,
): Promise<void> {
  // Write beside the destination, then link into place: the destination appears whole or not at all,
  // and an existing file is never overwritten (link fails with EEXIST where rename would replace).
  const temporary = join(
    dirname(destination),
    `.${basename(destination)}.${randomBytes(6).toString('hex')}.partial`,
  );
  const file = createWriteStream(temporary, { flags: 'wx', mode: 0o600, flush: true });
  try {
    const input = Readable.toWeb(createReadStream(source)) as unknown as ReadableStream<Uint8Array>;
    const output = Writable.toWeb(file);
    await input.pipeThrough(transform).pipeTo(output, options.signal ? { signal: options.signal } : {});
    await link(temporary, destination).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EEXIST') {
        throw new TriageError(
          'ALREADY_EXISTS',
          `${destination} already exists; choose another name (nothing is overwritten).`,
          {
            context: { path: destination },
          },
        );
      }
      throw error;
    });
  } catch (error) {
    if (isTriageError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (error as NodeJS.ErrnoException).path === source) {
      throw new TriageError('NOT_FOUND', `${source} does not exist.`, {
        cause: error,
        context: { path: source },
      });
    }
    if ((error as Error).name === 'AbortError') {
      throw new TriageError('ABORTED', 'Cancelled; no output was written.', { cause: error });
    }
    throw new TriageError('IO_ERROR', `Could not write ${destination}: ${(error as Error).message}`, {
      cause: error,
      context: { path: destination },
    });
  } finally {
    // The file opens asynchronously: after an early failure or abort it may not exist yet.
    // Wait until the stream has closed so the temporary file cannot appear after the rm.
    if (!file.closed) {
      const closed = once(file, 'close').catch(() => undefined);
      file.destroy();
      await closed;
    }
    await rm(temporary, { force: true });
  }
}

/**
 * Encrypts a file into a new envelope file (mode 0600). The output appears
 * only when complete; an existing output is never overwritten.
 *
 * @throws as {@link encrypt}; NOT_FOUND (no source), ALREADY_EXISTS, IO_ERROR, ABORTED
 */
export function encryptFile(
  source: string,
  destination: string,
  options: EncryptOptions & FileOptions,
): Promise<void> {
  return transformFile(source, destination, encrypt(options), options);
}

/**
 * Decrypts an envelope file into a new file (mode 0600). Plaintext goes to a
 * temporary file that is linked into place only after the final chunk has
 * verified: a failed, tampered or truncated decryption leaves no output.
 *
 * @throws as {@link decrypt}; NOT_FOUND (no source), ALREADY_EXISTS, IO_ERROR, ABORTED
 */
export function decryptFile(
  source: string,
  destination: string,
  options: DecryptOptions & FileOptions,
): Promise<void> {
  return transformFile(source, destination, decrypt(options), options);
}
