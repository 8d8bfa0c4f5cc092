/**
 * A small [MS-XCA] 2.1 LZ77+Huffman ("Xpress Huffman") compressor, for tests
 * only: it makes hand-checkable streams for the decompressor (literals only,
 * long matches with each extended-length form, offsets of every bit length,
 * several 64 KiB blocks) and compressed Prefetch (`MAM\x04`) files.
 *
 * Each 64 KiB of input is one block: greedy LZ77 with a hash chain (matches
 * never cross a block boundary), symbol counts including the end-of-file
 * symbol 256, code lengths limited to 15 bits, the 256-byte nibble table,
 * then the bit stream. The bit stream's 16-bit words are placed exactly
 * where the decoder of MS-XCA 2.2.4 reads them: it holds two words ahead, so
 * word `k + 2` is written after every extra-length byte the decoder reads
 * before it needs that word.
 */

/** One step of the LZ77 pass. */
export type XpressToken =
  | { readonly kind: 'literal'; readonly byte: number }
  | { readonly kind: 'match'; readonly length: number; readonly offset: number };

/** Options for {@link xpressHuffmanCompress}. */
export interface XpressEncodeOptions {
  /**
   * Encode these tokens as one block instead of running the LZ77 pass: they
   * must decode to `input`, and only the last one may cross the 64 KiB mark
   * (the decoder starts a new block at the first token boundary past it).
   */
  readonly tokens?: readonly XpressToken[];
  /** Look for matches (default true); false writes literals only. */
  readonly matches?: boolean;
  /** Longest match the LZ77 pass emits (default 65,538 + 3). */
  readonly maxMatch?: number;
}

const BLOCK = 65_536;

/** Code lengths (at most `limit` bits) for symbol counts, by repeated Huffman with flattened counts. */
export function huffmanLengths(counts: readonly number[], limit = 15): number[] {
  let weights = counts.slice();
  for (;;) {
    const lengths = new Array<number>(counts.length).fill(0);
    type Node = { weight: number; symbols: number[] };
    const nodes: Node[] = [];
    weights.forEach((w, s) => {
      if (w > 0) nodes.push({ weight: w, symbols: [s] });
    });
    if (nodes.length === 1) {
      lengths[(nodes[0] as Node).symbols[0] as number] = 1;
      return lengths;
    }
    while (nodes.length > 1) {
      nodes.sort((a, b) => a.weight - b.weight);
      const a = nodes.shift() as Node;
      const b = nodes.shift() as Node;
      for (const s of [...a.symbols, ...b.symbols]) lengths[s] = (lengths[s] as number) + 1;
      nodes.push({ weight: a.weight + b.weight, symbols: [...a.symbols, ...b.symbols] });
    }
    if (Math.max(...lengths) <= limit) return lengths;
    weights = weights.map((w) => (w > 0 ? Math.max(1, w >> 1) : 0));
  }
}

/** Canonical codes (MS-XCA 2.2.4 order: by length, then by symbol) for code lengths. */
export function canonicalCodes(lengths: readonly number[]): number[] {
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0;
  for (let bits = 1; bits <= 15; bits++) {
    for (let s = 0; s < lengths.length; s++) {
      if (lengths[s] === bits) {
        codes[s] = code;
        code++;
      }
    }
    code <<= 1;
  }
  return codes;
}

function lz77(input: Uint8Array, start: number, end: number, maxMatch: number): XpressToken[] {
  const tokens: XpressToken[] = [];
  const head = new Map<number, number[]>();
  const key = (i: number) =>
    ((input[i] as number) << 16) | ((input[i + 1] as number) << 8) | (input[i + 2] as number);
  let i = start;
  while (i < end) {
    let bestLength = 0;
    let bestOffset = 0;
    if (i + 3 <= end) {
      const chain = head.get(key(i)) ?? [];
      for (let c = chain.length - 1, tries = 0; c >= 0 && tries < 32; c--, tries++) {
        const j = chain[c] as number;
        if (i - j > 65_535) break;
        let n = 0;
        while (i + n < end && n < maxMatch && input[j + n] === input[i + n]) n++;
        if (n > bestLength) {
          bestLength = n;
          bestOffset = i - j;
        }
      }
    }
    const step = bestLength >= 3 ? bestLength : 1;
    tokens.push(
      bestLength >= 3
        ? { kind: 'match', length: bestLength, offset: bestOffset }
        : { kind: 'literal', byte: input[i] as number },
    );
    for (let k = i; k < i + step && k + 3 <= end; k++) {
      const list = head.get(key(k));
      if (list) list.push(k);
      else head.set(key(k), [k]);
    }
    i += step;
  }
  return tokens;
}

/** Symbol, extra-length bytes and offset bits of one token. */
function encodeToken(token: XpressToken): {
  symbol: number;
  bytes: number[];
  offsetBits: number;
  offsetValue: number;
} {
  if (token.kind === 'literal') return { symbol: token.byte, bytes: [], offsetBits: 0, offsetValue: 0 };
  const offsetBits = 31 - Math.clz32(token.offset);
  const l = token.length - 3;
  const bytes: number[] = [];
  let nibble = l;
  if (l >= 15) {
    nibble = 15;
    if (l - 15 < 255) bytes.push(l - 15);
    else if (l <= 0xffff) bytes.push(255, l & 0xff, l >> 8);
    else bytes.push(255, 0, 0, l & 0xff, (l >>> 8) & 0xff, (l >>> 16) & 0xff, l >>> 24);
  }
  return {
    symbol: 256 + offsetBits * 16 + nibble,
    bytes,
    offsetBits,
    offsetValue: token.offset - (1 << offsetBits),
  };
}

/** Lays out one block's bit fields and raw bytes the way the MS-XCA 2.2.4 decoder reads them. */
function layoutBlock(steps: readonly ({ bits: number; count: number } | { bytes: number[] })[]): number[] {
  const out: number[] = [0, 0, 0, 0]; // words 0 and 1 are read before anything else
  const slots = [0, 2];
  let consumed = 0;
  let refills = 0;
  let acc: number[] = []; // the bit stream, one bit per entry
  for (const step of steps) {
    if ('bytes' in step) {
      out.push(...step.bytes);
      continue;
    }
    for (let b = step.count - 1; b >= 0; b--) acc.push((step.bits >>> b) & 1);
    consumed += step.count;
    if (consumed > 16 * (refills + 1)) {
      slots.push(out.length);
      out.push(0, 0);
      refills++;
    }
  }
  const words = Math.ceil(acc.length / 16);
  while (slots.length < words) {
    slots.push(out.length);
    out.push(0, 0);
  }
  acc = acc.concat(new Array<number>(slots.length * 16 - acc.length).fill(0));
  slots.forEach((at, w) => {
    let word = 0;
    for (let b = 0; b < 16; b++) word = (word << 1) | (acc[w * 16 + b] as number);
    out[at] = word & 0xff;
    out[at + 1] = word >> 8;
  });
  return out;
}

/**
 * Compresses bytes into an MS-XCA LZ77+Huffman stream that
 * `xpressHuffmanDecompress(result, input.length)` restores.
 *
 * @param input - the bytes to compress
 * @param options - fixed tokens, or whether and how long to match
 */
export function xpressHuffmanCompress(input: Uint8Array, options: XpressEncodeOptions = {}): Uint8Array {
  const out: number[] = [];
  const blocks = options.tokens ? 1 : Math.max(1, Math.ceil(input.length / BLOCK));
  for (let b = 0; b < blocks; b++) {
    const start = b * BLOCK;
    const end = options.tokens ? input.length : Math.min(input.length, start + BLOCK);
    const tokens =
      options.tokens ??
      (options.matches === false
        ? Array.from(input.subarray(start, end), (byte): XpressToken => ({ kind: 'literal', byte }))
        : lz77(input, start, end, options.maxMatch ?? 65_541));
    const encoded = tokens.map(encodeToken);
    const counts = new Array<number>(512).fill(0);
    for (const e of encoded) counts[e.symbol] = (counts[e.symbol] as number) + 1;
    counts[256] = (counts[256] as number) + 1; // end of file, written after the last block's data
    const lengths = huffmanLengths(counts);
    const codes = canonicalCodes(lengths);
    for (let i = 0; i < 256; i++)
      out.push((lengths[2 * i] as number) | ((lengths[2 * i + 1] as number) << 4));
    const steps: ({ bits: number; count: number } | { bytes: number[] })[] = [];
    const all =
      b === blocks - 1 ? [...encoded, encodeToken({ kind: 'match', length: 3, offset: 1 })] : encoded;
    for (const e of all) {
      steps.push({ bits: codes[e.symbol] as number, count: lengths[e.symbol] as number });
      if (e.bytes.length > 0) steps.push({ bytes: e.bytes });
      if (e.offsetBits > 0) steps.push({ bits: e.offsetValue, count: e.offsetBits });
    }
    out.push(...layoutBlock(steps));
  }
  return Uint8Array.from(out);
}

/**
 * Wraps bytes as a Windows 10 compressed Prefetch file: `MAM\x04`, the
 * uncompressed size, then the Xpress Huffman stream.
 *
 * @param scca - the uncompressed (SCCA) Prefetch file
 */
export function mamWrap(scca: Uint8Array, options: XpressEncodeOptions = {}): Uint8Array {
  const body = xpressHuffmanCompress(scca, options);
  const out = new Uint8Array(8 + body.length);
  out.set([0x4d, 0x41, 0x4d, 0x04]);
  new DataView(out.buffer).setUint32(4, scca.length, true);
  out.set(body, 8);
  return out;
}
