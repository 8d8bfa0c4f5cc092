/**
 * Splits container bytes into lines with bounded memory, telling a line ended
 * by `\n` from a final line without one (which means the container was cut
 * off or has trailing bytes: `splitLines` of the artifact schema cannot tell).
 */
import { isTriageError, redactText, TriageError } from '@triage/errors';

const NEWLINE = 0x0a;

/** One line of a container. */
export interface Line {
  /** 1-based line number. */
  readonly number: number;
  /** The line's bytes without its `\n`; a view into the input piece (copy it to keep it). */
  readonly bytes: Uint8Array;
  /** False only for a last line that has no `\n`. */
  readonly terminated: boolean;
}

/** The `ABORTED` error for a cancelled read or write. */
export function abortedError(signal: AbortSignal | undefined, what: string): TriageError {
  return new TriageError('ABORTED', `${what} was cancelled; nothing was kept.`, { cause: signal?.reason });
}

/**
 * Translates an error from a caller's byte source: `TriageError`s (such as the
 * envelope codes) pass through; cancellation becomes `ABORTED`; anything else
 * is `IO_ERROR`.
 */
export function sourceError(error: unknown, signal: AbortSignal | undefined): TriageError {
  if (isTriageError(error)) return error;
  if (signal?.aborted || (error as { name?: unknown } | null)?.name === 'AbortError') {
    return abortedError(signal, 'Reading the collection');
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new TriageError(
    'IO_ERROR',
    `Could not read the collection (${redactText(detail.split('\n', 1)[0] ?? '').slice(0, 200)}); check the file or stream and try again.`,
    { cause: error },
  );
}

function concat(pieces: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

/**
 * Yields the lines of `source`, in batches: every line that ends in one piece
 * of input comes out in one array (one await per piece, not per line). Empty
 * lines are yielded (as empty arrays) for the caller to reject with their
 * line number. An error found part way through a piece (a line too long)
 * is thrown after the batch of the lines before it.
 *
 * @param source - container bytes
 * @param maxLineBytes - a longer line (newline excluded) is an error
 * @param signal - checked before each piece of input
 * @throws TriageError `DATA_INVALID` for a line over `maxLineBytes`; `ABORTED`; `IO_ERROR` or the
 *   source's own `TriageError` when reading fails
 */
export async function* readLines(
  source: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Line[], void, undefined> {
  let carry: Uint8Array[] = [];
  let carryLength = 0;
  let number = 1;
  const tooLong = () =>
    new TriageError(
      'DATA_INVALID',
      `line ${number}: longer than ${maxLineBytes} bytes; this is not a triage collection (or raise maxLineBytes if you trust it)`,
      { context: { line: number, maxLineBytes } },
    );
  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      if (signal?.aborted) throw abortedError(signal, 'Reading the collection');
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw sourceError(error, signal);
      }
      if (signal?.aborted) throw abortedError(signal, 'Reading the collection');
      if (next.done) break;
      const chunk = next.value;
      const batch: Line[] = [];
      let failure: TriageError | undefined;
      let start = 0;
      for (;;) {
        const end = chunk.indexOf(NEWLINE, start);
        if (end < 0) break;
        const piece = chunk.subarray(start, end);
        if (carryLength + piece.length > maxLineBytes) {
          failure = tooLong();
          break;
        }
        if (carryLength === 0) {
          batch.push({ number, bytes: piece, terminated: true });
        } else {
          carry.push(piece);
          const bytes = concat(carry, carryLength + piece.length);
          carry = [];
          carryLength = 0;
          batch.push({ number, bytes, terminated: true });
        }
        number++;
        start = end + 1;
      }
      if (failure === undefined && start < chunk.length) {
        const rest = chunk.subarray(start);
        if (carryLength + rest.length > maxLineBytes) failure = tooLong();
        else {
          carry.push(rest.slice());
          carryLength += rest.length;
        }
      }
      if (batch.length > 0) yield batch;
      if (failure) throw failure;
    }
  } finally {
    // On an early exit (an error, or the consumer stopping), release the source.
    await Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
  if (carryLength > 0) yield [{ number, bytes: concat(carry, carryLength), terminated: false }];
}
