import { TriageError } from '@triage/errors';
import type { ArtifactRecord, SchemaVersion } from './records.js';
import { assertRecord } from './validate.js';

/** Input bytes: a web stream, an async iterable of chunks, or one buffer. */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array;

/** Default for {@link NdjsonDecodeOptions.maxLineBytes}: 16 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/**
 * Encodes one record as its NDJSON line: `JSON.stringify` plus `\n`. The
 * output is always valid UTF-8 (lone surrogates are escaped) and never holds
 * a raw newline inside a line.
 */
export function encodeRecord(record: ArtifactRecord): Uint8Array {
  return encoder.encode(`${JSON.stringify(record)}\n`);
}

/** Options for {@link createNdjsonEncoder}. */
export interface NdjsonEncodeOptions {
  /** Emit a chunk once this many bytes are buffered; default 64 KiB. Lines are never split. */
  readonly chunkBytes?: number;
}

/**
 * A `TransformStream` from records to NDJSON bytes, batching lines into
 * chunks of about `chunkBytes` so downstream compression sees few large
 * writes. It does not validate; collectors build typed records.
 *
 * @param options - chunk size
 */
export function createNdjsonEncoder(
  options: NdjsonEncodeOptions = {},
): TransformStream<ArtifactRecord, Uint8Array> {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = (controller: TransformStreamDefaultController<Uint8Array>) => {
    if (pending.length === 0) return;
    controller.enqueue(encoder.encode(pending.join('')));
    pending = [];
    pendingLength = 0;
  };
  return new TransformStream<ArtifactRecord, Uint8Array>({
    transform(record, controller) {
      const line = `${JSON.stringify(record)}\n`;
      pending.push(line);
      pendingLength += line.length;
      if (pendingLength >= chunkBytes) flush(controller);
    },
    flush,
  });
}

/** Options for {@link decodeNdjson}. */
export interface NdjsonDecodeOptions {
  /** Check each record against the schema; default true. */
  readonly validate?: boolean;
  /** The schema version to check against; default `SCHEMA_VERSION`. */
  readonly schemaVersion?: SchemaVersion;
  /** A longer line is an error (bounded memory); default {@link DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
  /** Stops decoding with `ABORTED`. */
  readonly signal?: AbortSignal;
}

/** One decoded line. */
export interface DecodedLine<T> {
  /** 1-based line number. */
  readonly line: number;
  /** The parsed (and, by default, validated) record. */
  readonly record: T;
}

async function* chunksOf(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source as AsyncIterable<Uint8Array>;
}

/**
 * Splits bytes into lines at `\n` with bounded memory. The last line may lack
 * its newline. Empty lines are reported as empty arrays.
 */
export async function* splitLines(
  source: ByteSource,
  maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  signal?: AbortSignal,
): AsyncGenerator<Uint8Array> {
  let carry: Uint8Array[] = [];
  let carryLength = 0;
  let lineNumber = 1;
  const tooLong = () =>
    new TriageError(
      'DATA_INVALID',
      `line ${lineNumber} is longer than ${maxLineBytes} bytes; the stream is not NDJSON`,
      {
        context: { line: lineNumber, maxLineBytes },
      },
    );
  for await (const chunk of chunksOf(source)) {
    if (signal?.aborted) throw new TriageError('ABORTED', 'decoding was aborted', { cause: signal.reason });
    let start = 0;
    for (;;) {
      const end = chunk.indexOf(NEWLINE, start);
      if (end < 0) break;
      const piece = chunk.subarray(start, end);
      if (carryLength + piece.length > maxLineBytes) throw tooLong();
      if (carryLength === 0) yield piece;
      else {
        carry.push(piece);
        yield concat(carry, carryLength + piece.length);
        carry = [];
        carryLength = 0;
      }
      lineNumber++;
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (carryLength + rest.length > maxLineBytes) throw tooLong();
      carry.push(rest.slice());
      carryLength += rest.length;
    }
  }
  if (carryLength > 0) yield concat(carry, carryLength);
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  if (pieces.length === 1 && pieces[0]) return pieces[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * Decodes NDJSON records as they arrive: one JSON object per line, UTF-8,
 * empty lines not allowed. By default each record is checked against the
 * schema.
 *
 * @param source - the NDJSON bytes
 * @param options - validation, line limit, signal
 * @returns the records with their line numbers
 * @throws TriageError `DATA_INVALID` naming the line (bad UTF-8, bad JSON, empty line, a schema violation or a line over the limit); `ABORTED`
 */
export async function* decodeNdjson(
  source: ByteSource,
  options: NdjsonDecodeOptions = {},
): AsyncGenerator<DecodedLine<ArtifactRecord>> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const validate = options.validate ?? true;
  let line = 0;
  for await (const bytes of splitLines(source, options.maxLineBytes, options.signal)) {
    line++;
    if (bytes.length === 0) {
      throw new TriageError('DATA_INVALID', `line ${line} is empty; NDJSON allows no empty lines`, {
        context: { line },
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(bytes));
    } catch (cause) {
      throw new TriageError('DATA_INVALID', `line ${line} is not valid UTF-8 JSON`, {
        cause,
        context: { line },
      });
    }
    yield {
      line,
      record: validate
        ? assertRecord(value, {
            line,
            ...(options.schemaVersion === undefined ? {} : { version: options.schemaVersion }),
          })
        : (value as ArtifactRecord),
    };
  }
}
