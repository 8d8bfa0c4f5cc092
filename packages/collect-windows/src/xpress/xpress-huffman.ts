/**
 * The "LZ77+Huffman" (Xpress Huffman) decompressor of Microsoft [MS-XCA]
 * sections 2.1–2.2, as used by Windows 10/11 compressed Prefetch (`MAM\x04`)
 * files. Pure TypeScript, no allocation beyond the output buffer and one
 * 32 Ki-entry decoding table, and bounds-checked throughout: every read of the
 * input and every copy inside the output is checked, so a corrupt stream ends
 * in a `DATA_INVALID` error, never an out-of-bounds access or a loop that does
 * not end (each step of the inner loop writes at least one output byte).
 *
 * The stream (MS-XCA 2.2.1–2.2.4): a sequence of blocks, each decoding to
 * 65,536 bytes of output (the last one to what is left). A block starts with
 * a 256-byte table of 512 four-bit code lengths (symbol `2i` in the low
 * nibble of byte `i`, `2i + 1` in the high nibble), from which canonical
 * Huffman codes are built (shorter codes first, then by symbol value). The
 * bit stream that follows is read as little-endian 16-bit words, most
 * significant bit first, 32 bits ahead; the extra length bytes of long
 * matches sit in the byte stream between those words. Symbols 0–255 are
 * literals; symbol `256 + 16·o + l` is a match with `o` offset bits
 * (offset `2^o + those bits`) and length `l + 3`, where `l = 15` escapes to
 * one more byte, then (at 255) a 16-bit length, then (at 0) a 32-bit length.
 * A match may refer to output of earlier blocks (one stream, not independent
 * blocks) and may run past the block's 64 KiB mark; the next block's mark
 * then counts from where it ended.
 */
import { TriageError } from '@triage/errors';

/** Output bytes per block (MS-XCA 2.2.4: the table is re-read every 65,536 output bytes). */
const BLOCK_OUTPUT = 65_536;
/** Bytes of the code-length table at the start of each block. */
const TABLE_BYTES = 256;
/** Longest code (MS-XCA 2.2.4: the decoding table has 2^15 entries). */
const MAX_CODE_BITS = 15;
const TABLE_SIZE = 1 << MAX_CODE_BITS;
/**
 * How many 16-bit words the bit reader may fetch past the end of the input.
 * The decoder always holds 16–32 bits ahead of what it has consumed, so a
 * stream that ends exactly on its last symbol still has it read up to two
 * words that do not exist; a third means the stream is truncated.
 */
const MAX_PHANTOM_WORDS = 2;

function corrupt(message: string, context: Record<string, number>): TriageError<'DATA_INVALID'> {
  return new TriageError('DATA_INVALID', `Xpress Huffman stream is corrupt: ${message}.`, { context });
}

/**
 * Builds the canonical decoding table of one block (MS-XCA 2.2.4): entry `i`
 * of the 2^15 table holds the symbol whose code is a prefix of the 15-bit
 * value `i`; `lengths[symbol]` its code length.
 *
 * @returns false when the lengths do not form a complete prefix code
 */
function buildTable(
  input: Uint8Array,
  at: number,
  table: Uint16Array,
  lengths: Uint8Array,
  bySymbolLength: Uint16Array,
): boolean {
  // Count symbols per length, then place them by (length, symbol): canonical order.
  const counts = new Uint16Array(MAX_CODE_BITS + 1);
  for (let i = 0; i < TABLE_BYTES; i++) {
    const byte = input[at + i] as number;
    lengths[2 * i] = byte & 0x0f;
    lengths[2 * i + 1] = byte >> 4;
    counts[byte & 0x0f] = (counts[byte & 0x0f] as number) + 1;
    counts[byte >> 4] = (counts[byte >> 4] as number) + 1;
  }
  let n = 0;
  for (let bits = 1; bits <= MAX_CODE_BITS; bits++) {
    if (counts[bits] === 0) continue;
    for (let symbol = 0; symbol < 512; symbol++) if (lengths[symbol] === bits) bySymbolLength[n++] = symbol;
  }
  let entry = 0;
  for (let k = 0; k < n; k++) {
    const symbol = bySymbolLength[k] as number;
    const span = 1 << (MAX_CODE_BITS - (lengths[symbol] as number));
    if (entry + span > TABLE_SIZE) return false; // over-subscribed
    table.fill(symbol, entry, entry + span);
    entry += span;
  }
  return entry === TABLE_SIZE; // under-subscribed codes leave bit patterns with no symbol
}

/**
 * Decompresses an [MS-XCA] LZ77+Huffman ("Xpress Huffman") stream of known
 * decompressed size, e.g. the body of a Windows 10/11 `MAM\x04` Prefetch file.
 * Input after the last block needed is ignored.
 *
 * @param input - the compressed stream (from its first Huffman table)
 * @param outputSize - the exact decompressed size in bytes (a non-negative integer up to 2^31 − 1)
 * @returns a new buffer of `outputSize` bytes
 * @throws INVALID_ARGUMENT when `outputSize` is not an integer in range
 * @throws DATA_INVALID when the stream is corrupt or truncated (an incomplete
 *   or over-full code table, input that ends before the output is complete,
 *   a match before the start of the output or past its end, an invalid
 *   extended length)
 */
export function xpressHuffmanDecompress(input: Uint8Array, outputSize: number): Uint8Array {
  checkOutputSize(outputSize);
  const output = new Uint8Array(outputSize);
  decode(input, output, { out: 0 });
  return output;
}

/** What {@link xpressHuffmanDecompressPartial} could decode. */
export interface PartialDecompression {
  /** The output buffer of the requested size; bytes from `produced` on are zero. */
  readonly output: Uint8Array;
  /** How many bytes were decoded before the end or the first error. */
  readonly produced: number;
  /** The DATA_INVALID error that stopped decoding, or null when the output is complete. */
  readonly error: TriageError | null;
}

/**
 * {@link xpressHuffmanDecompress} that keeps what it decoded before it
 * detected a corruption instead of throwing, so a parser can still read the
 * start of a damaged file. Damage is usually detected within a few symbols
 * of where it is, but bytes just before `produced` may already be wrong: the
 * caller should say that the output is partial.
 *
 * @throws INVALID_ARGUMENT when `outputSize` is not an integer in range
 */
export function xpressHuffmanDecompressPartial(input: Uint8Array, outputSize: number): PartialDecompression {
  checkOutputSize(outputSize);
  const output = new Uint8Array(outputSize);
  const state = { out: 0 };
  try {
    decode(input, output, state);
    return { output, produced: state.out, error: null };
  } catch (error) {
    if (error instanceof TriageError && error.code === 'DATA_INVALID')
      return { output, produced: state.out, error };
    throw error;
  }
}

function checkOutputSize(outputSize: number): void {
  if (!Number.isSafeInteger(outputSize) || outputSize < 0 || outputSize > 0x7fff_ffff) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `xpressHuffmanDecompress: outputSize must be an integer from 0 to 2^31 - 1, not ${outputSize}.`,
      { context: { outputSize: String(outputSize) } },
    );
  }
}

/** Decodes into `output`, keeping `state.out` current so a caller can see how far it got. */
function decode(input: Uint8Array, output: Uint8Array, state: { out: number }): void {
  const outputSize = output.length;
  const table = new Uint16Array(TABLE_SIZE);
  const lengths = new Uint8Array(512);
  const bySymbolLength = new Uint16Array(512);
  const end = input.length;
  let pos = 0; // next input byte
  let out = 0; // next output byte (mirrored into state.out)
  let phantom = 0; // words read past the end of the input

  const read16 = (): number => {
    if (pos + 2 <= end) {
      const word = (input[pos] as number) | ((input[pos + 1] as number) << 8);
      pos += 2;
      return word;
    }
    // Past the end: a lone last byte is the low half of its (little-endian) word, the rest reads as zeros.
    const word = pos < end ? (input[pos] as number) : 0;
    pos = Math.min(pos + 2, end);
    phantom++;
    if (phantom > MAX_PHANTOM_WORDS) {
      throw corrupt('the input ends before the output is complete', { inputSize: end, outputOffset: out });
    }
    return word;
  };

  while (out < outputSize) {
    if (pos + TABLE_BYTES > end) {
      throw corrupt('the input ends where a block should start', { inputOffset: pos, outputOffset: out });
    }
    if (!buildTable(input, pos, table, lengths, bySymbolLength)) {
      throw corrupt('a block has an invalid Huffman code-length table', {
        inputOffset: pos,
        outputOffset: out,
      });
    }
    pos += TABLE_BYTES;
    phantom = 0;
    // NextBits holds 32 bits, left-aligned; ExtraBitCount is how many of them beyond the first 16 are valid.
    let bits = ((read16() << 16) | read16()) >>> 0;
    let extra = 16;
    const blockEnd = out + BLOCK_OUTPUT;
    while (out < blockEnd && out < outputSize) {
      const symbol = table[bits >>> (32 - MAX_CODE_BITS)] as number;
      const codeBits = lengths[symbol] as number;
      bits = (bits << codeBits) >>> 0;
      extra -= codeBits;
      if (extra < 0) {
        bits = (bits | (read16() << -extra)) >>> 0;
        extra += 16;
      }
      if (symbol < 256) {
        output[out++] = symbol;
        state.out = out;
        continue;
      }
      const matchSymbol = symbol - 256;
      let length = matchSymbol & 0x0f;
      const offsetBits = matchSymbol >> 4;
      if (length === 15) {
        if (pos >= end)
          throw corrupt('a match length byte is missing', { inputOffset: pos, outputOffset: out });
        length = input[pos++] as number;
        if (length === 255) {
          if (pos + 2 > end)
            throw corrupt('a 16-bit match length is missing', { inputOffset: pos, outputOffset: out });
          length = (input[pos] as number) | ((input[pos + 1] as number) << 8);
          pos += 2;
          if (length === 0) {
            if (pos + 4 > end) {
              throw corrupt('a 32-bit match length is missing', { inputOffset: pos, outputOffset: out });
            }
            length =
              ((input[pos] as number) |
                ((input[pos + 1] as number) << 8) |
                ((input[pos + 2] as number) << 16) |
                ((input[pos + 3] as number) << 24)) >>>
              0;
            pos += 4;
          }
          if (length < 15)
            throw corrupt('an extended match length is below 15', { inputOffset: pos, length });
          length -= 15;
        }
        length += 15;
      }
      length += 3;
      let offset = 1 << offsetBits;
      if (offsetBits > 0) {
        offset += bits >>> (32 - offsetBits);
        bits = (bits << offsetBits) >>> 0;
        extra -= offsetBits;
        if (extra < 0) {
          bits = (bits | (read16() << -extra)) >>> 0;
          extra += 16;
        }
      }
      if (offset > out) {
        throw corrupt('a match refers to before the start of the output', { outputOffset: out, offset });
      }
      if (length > outputSize - out) {
        throw corrupt('a match runs past the end of the output', { outputOffset: out, length, outputSize });
      }
      // Byte by byte: the source may overlap what this match writes (MS-XCA 2.2.4).
      for (let from = out - offset, stop = out + length; out < stop; )
        output[out++] = output[from++] as number;
      state.out = out;
    }
  }
}
