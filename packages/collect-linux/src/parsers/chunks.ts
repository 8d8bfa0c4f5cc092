/**
 * Splitting a byte stream into lines or fixed-size records in bounded
 * memory. Pure: the functions consume any async (or sync) iterable of chunks
 * and do no I/O of their own.
 */

/** Lines longer than this are cut (the rest, up to the newline, is dropped). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

/** One line from {@link splitByteLines}. */
export interface ByteLine {
  /** The line without its `\n` (and without a `\r` before it). */
  readonly bytes: Uint8Array;
  /** True when the line was longer than the limit and was cut. */
  readonly truncated: boolean;
}

/** Chunks as `fs.ReadStream`, a gunzip stream or a test array give them. */
export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Splits chunks into `\n`-terminated lines, holding at most `maxLineBytes`
 * of one line in memory. A last line without a newline is yielded too.
 *
 * @param chunks - the bytes, in order
 * @param maxLineBytes - longest line kept whole; default {@link DEFAULT_MAX_LINE_BYTES}
 */
export async function* splitByteLines(
  chunks: ByteChunks,
  maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
): AsyncGenerator<ByteLine> {
  let parts: Uint8Array[] = [];
  let length = 0;
  let truncated = false;
  let pending = false;
  const take = (piece: Uint8Array) => {
    pending = true;
    const room = maxLineBytes - length;
    if (piece.length > room) truncated = true;
    const kept = piece.length > room ? piece.subarray(0, Math.max(0, room)) : piece;
    if (kept.length === 0) return;
    parts.push(kept);
    length += kept.length;
  };
  const flush = (): ByteLine => {
    let bytes = concat(parts, length);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const line = { bytes, truncated };
    parts = [];
    length = 0;
    truncated = false;
    pending = false;
    return line;
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, start);
      if (newline < 0) break;
      take(chunk.subarray(start, newline));
      yield flush();
      start = newline + 1;
    }
    if (start < chunk.length) take(chunk.subarray(start));
  }
  if (pending) yield flush();
}

/** One record from {@link fixedSizeRecords}. */
export interface FixedRecord {
  /** Byte offset of the record in the stream. */
  readonly offset: number;
  /** The record; shorter than the record size only for a truncated last record. */
  readonly bytes: Uint8Array;
}

/**
 * Cuts chunks into records of `size` bytes, as binary logs like wtmp are
 * laid out. A short tail (a truncated last record) is yielded as is, so the
 * caller can report it.
 *
 * @param chunks - the bytes, in order
 * @param size - the record size in bytes
 */
export async function* fixedSizeRecords(chunks: ByteChunks, size: number): AsyncGenerator<FixedRecord> {
  let pending: Uint8Array = new Uint8Array(0);
  let offset = 0;
  for await (const chunk of chunks) {
    const data = pending.length === 0 ? chunk : concat([pending, chunk], pending.length + chunk.length);
    let at = 0;
    while (data.length - at >= size) {
      yield { offset, bytes: data.subarray(at, at + size) };
      at += size;
      offset += size;
    }
    pending = data.slice(at);
  }
  if (pending.length > 0) yield { offset, bytes: pending };
}

const UTF8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Decodes UTF-8, replacing invalid sequences with U+FFFD (a log or history
 * file is whatever bytes the system wrote).
 */
export function decodeUtf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}
