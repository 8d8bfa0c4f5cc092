/**
 * The compression layer: brotli (RFC 7932) through node:zlib, bridged to web
 * streams by hand. (Node 20's `Duplex.toWeb` counts chunks, not bytes, and
 * lets 16,384 chunks queue on its writable side: gigabytes.) Here a write
 * completes only once zlib has consumed it, and output is read from zlib only
 * when the reader asks, so memory stays bounded on both sides, also for a
 * small hostile input that expands enormously (a "decompression bomb").
 */
import type { Transform } from 'node:stream';
import { constants, createBrotliCompress, createBrotliDecompress } from 'node:zlib';
import { isTriageError, TriageError, toTriageError } from '@triage/errors';

/** The brotli quality writers use: 1, fast (hundreds of MB/s) and still 5–10× on NDJSON. */
export const BROTLI_QUALITY = 1;

/** A readable/writable pair for `ReadableStream.pipeThrough`. */
export interface ByteTransform {
  /** Write input bytes here. */
  readonly writable: WritableStream<Uint8Array>;
  /** Read output bytes here. */
  readonly readable: ReadableStream<Uint8Array>;
}

/** Options for {@link compress}. */
export interface CompressOptions {
  /** Brotli quality 0–11; default {@link BROTLI_QUALITY} (1). */
  readonly quality?: number;
}

/**
 * A brotli compressor as a `pipeThrough` pair: container bytes in, the
 * compressed layer out (quality 1, text mode, default window).
 *
 * @param options - the quality
 * @throws INVALID_ARGUMENT (synchronously) for a quality outside 0–11
 */
export function compress(options: CompressOptions = {}): ByteTransform {
  const quality = options.quality ?? BROTLI_QUALITY;
  if (!Number.isInteger(quality) || quality < 0 || quality > 11) {
    throw new TriageError('INVALID_ARGUMENT', 'Brotli quality must be an integer from 0 to 11.');
  }
  const zlib = createBrotliCompress({
    params: {
      [constants.BROTLI_PARAM_QUALITY]: quality,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
    },
  });
  return bridge(zlib, toTriageError);
}

/** Input pieces queued ahead of zlib: at most about one 64 KiB piece. */
const QUEUED_INPUT_BYTES = 64 * 1024;

/**
 * A web stream pair around a node:zlib transform, with byte-bounded
 * backpressure on both sides.
 *
 * @param zlib - the transform; owned (ended or destroyed) by the pair
 * @param translate - maps an error zlib raised itself (not an upstream abort reason)
 * @param atEnd - called when the output ends, before the readable closes; may throw
 */
function bridge(
  zlib: Transform,
  translate: (error: unknown) => unknown,
  atEnd: () => void = () => undefined,
  onInput: (chunk: Uint8Array) => void = () => undefined,
): ByteTransform {
  let upstreamFailure: unknown;
  let pendingWrite: ((error: unknown) => void) | undefined;
  // A write waiting for zlib must fail when zlib is destroyed (the reader cancelled), or the pipe hangs.
  zlib.once('close', () => pendingWrite?.(new TriageError('ABORTED', 'The compression stream was closed.')));
  // Errors reach the caller through the write callbacks and the output iterator; without a
  // listener, an error raised before the first read would crash the process.
  zlib.on('error', () => undefined);
  const writable = new WritableStream<Uint8Array>(
    {
      write(chunk) {
        onInput(chunk);
        // The callback fires once zlib has consumed the piece, which waits while its output is unread.
        return new Promise<void>((resolve, reject) => {
          pendingWrite = reject;
          zlib.write(chunk, (error) => {
            pendingWrite = undefined;
            if (error) reject(error);
            else resolve();
          });
        });
      },
      close() {
        return new Promise<void>((resolve, reject) => {
          const onError = (error: unknown) => {
            zlib.off('finish', onFinish);
            reject(error);
          };
          const onFinish = () => {
            zlib.off('error', onError);
            resolve();
          };
          zlib.once('error', onError);
          zlib.once('finish', onFinish);
          zlib.end();
        });
      },
      abort(reason) {
        upstreamFailure = reason;
        zlib.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: QUEUED_INPUT_BYTES }),
  );
  const output = zlib[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: IteratorResult<Buffer>;
        try {
          next = await output.next();
        } catch (error) {
          // An upstream failure (such as the envelope's ENVELOPE_TAMPERED) passes through unchanged.
          throw upstreamFailure !== undefined ? upstreamFailure : translate(error);
        }
        if (next.done) {
          atEnd();
          controller.close();
          return;
        }
        controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      async cancel() {
        // return() alone does nothing to an iterator that was never read: destroy zlib too.
        zlib.destroy();
        await output.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return { writable, readable };
}

function corrupt(cause: unknown): TriageError {
  return new TriageError(
    'DATA_INVALID',
    'The collection decrypted but its brotli layer is corrupt or cut off: triage did not write it this way; do not import it and ask for the collection again.',
    { cause, context: { layer: 'brotli' } },
  );
}

/**
 * A brotli decompressor as a `pipeThrough` pair. Errors that arrive from
 * upstream (such as the envelope's `ENVELOPE_TAMPERED`) pass through
 * unchanged; output is produced only as fast as it is read.
 *
 * @throws (as the stream's error) DATA_INVALID when the input is not brotli, is cut off
 *   before the end of the brotli stream, or has bytes after it
 */
export function decompress(): ByteTransform {
  const zlib = createBrotliDecompress();
  let received = 0;
  return bridge(
    zlib,
    (error) => (isTriageError(error) ? error : corrupt(error)),
    () => {
      // node:zlib stops at the end of the brotli stream and ignores what follows: refuse it.
      const trailing = received - zlib.bytesWritten;
      if (trailing !== 0) {
        throw new TriageError(
          'DATA_INVALID',
          `The collection has ${trailing} byte(s) after the end of its brotli stream: triage did not write it; do not import it.`,
          { context: { layer: 'brotli', trailingBytes: trailing } },
        );
      }
    },
    (chunk) => {
      received += chunk.byteLength;
    },
  );
}
