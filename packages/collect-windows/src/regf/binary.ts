/**
 * Little-endian field readers, FILETIME conversion and the two string
 * encodings a hive uses (Latin-1 "compressed" names and UTF-16LE). Internal
 * to the regf parser: every reader here expects the caller to have checked
 * that the bytes it reads exist (they return 0 for missing bytes rather than
 * reading past the array, so a missed check never throws).
 */

/** Unsigned 16-bit little-endian at `offset` (0 for bytes past the end). */
export function u16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}

/** Unsigned 32-bit little-endian at `offset` (0 for bytes past the end). */
export function u32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8) | ((bytes[offset + 2] ?? 0) << 16)) +
    (bytes[offset + 3] ?? 0) * 0x1000000
  );
}

/** Signed 32-bit little-endian at `offset`. */
export function i32(bytes: Uint8Array, offset: number): number {
  return u32(bytes, offset) | 0;
}

/** Unsigned 32-bit big-endian at `offset`. */
export function u32be(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset] ?? 0) * 0x1000000 +
    (((bytes[offset + 1] ?? 0) << 16) | ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0))
  );
}

/** Unsigned 64-bit little-endian at `offset`. */
export function u64(bytes: Uint8Array, offset: number): bigint {
  return BigInt(u32(bytes, offset)) | (BigInt(u32(bytes, offset + 4)) << 32n);
}

/** Whether `bytes` holds the ASCII `signature` at `offset`. */
export function hasSignature(bytes: Uint8Array, offset: number, signature: string): boolean {
  for (let i = 0; i < signature.length; i++) {
    if (bytes[offset + i] !== signature.charCodeAt(i)) return false;
  }
  return true;
}

/** The two ASCII characters at `offset` (a cell's record signature), for messages. */
export function signatureText(bytes: Uint8Array, offset: number): string {
  let text = '';
  for (let i = 0; i < 2; i++) {
    const c = bytes[offset + i];
    text += c !== undefined && c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
  }
  return text;
}

/** 100-ns intervals between 1601-01-01 and 1970-01-01 (FILETIME epoch to Unix epoch). */
const FILETIME_UNIX_OFFSET = 116_444_736_000_000_000n;

/**
 * A FILETIME (100-ns intervals since 1601-01-01 UTC) as a Date, truncated to
 * the millisecond. Every 64-bit FILETIME fits in a Date's range.
 */
export function filetimeToDate(filetime: bigint): Date {
  const ms = (filetime - FILETIME_UNIX_OFFSET) / 10_000n;
  return new Date(Number(ms));
}

/** Code units per `String.fromCharCode` call, well under engines' argument limits. */
const CHUNK = 8192;

/**
 * UTF-16LE code units from `bytes[start, end)` as a string, kept as they are
 * (an unpaired surrogate stays in the string, as Windows stores it; nothing is
 * replaced). An odd final byte is ignored.
 */
export function decodeUtf16le(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const units = Math.max(0, Math.floor((Math.min(end, bytes.length) - start) / 2));
  let text = '';
  const codes: number[] = [];
  for (let i = 0; i < units; i++) {
    const at = start + i * 2;
    codes.push((bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8));
    if (codes.length === CHUNK) {
      text += String.fromCharCode(...codes);
      codes.length = 0;
    }
  }
  return text + String.fromCharCode(...codes);
}

/**
 * Bytes as ISO-8859-1 (each byte is the code point). A "compressed" key or
 * value name is a UTF-16 name whose every code unit is below 0x100, stored
 * one byte per character: widening each byte back gives the name.
 */
export function decodeLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  for (let at = start; at < Math.min(end, bytes.length); at += CHUNK) {
    // `apply` takes the typed array as it is; spreading it would go through its iterator (5x slower).
    const codes = bytes.subarray(at, Math.min(end, bytes.length, at + CHUNK)) as unknown as number[];
    text += String.fromCharCode.apply(null, codes);
  }
  return text;
}

const upcaseCache = new Map<number, number>();

/** One UTF-16 code unit in upper case, only when the upper case is one code unit too. */
function upcaseUnit(code: number): number {
  if (code < 0x61) return code;
  if (code <= 0x7a) return code - 0x20;
  if (code < 0x80) return code;
  const cached = upcaseCache.get(code);
  if (cached !== undefined) return cached;
  const upper = String.fromCharCode(code).toUpperCase();
  const result = upper.length === 1 ? upper.charCodeAt(0) : code;
  if (upcaseCache.size < 65_536) upcaseCache.set(code, result);
  return result;
}

/**
 * A name folded for case-insensitive comparison the way the registry
 * compares names: code unit by code unit in upper case, so the length never
 * changes (`ß` stays `ß`, unlike `toUpperCase()`).
 */
export function foldName(name: string): string {
  let folded = '';
  for (let i = 0; i < name.length; i++) folded += String.fromCharCode(upcaseUnit(name.charCodeAt(i)));
  return folded;
}

/**
 * The base block checksum (Suhanov, "Base block", note 2): XOR of the first
 * 127 little-endian 32-bit words. Windows (HvpHeaderCheckSum) stores 1 for a
 * result of 0 and 0xFFFFFFFE for 0xFFFFFFFF, so those are remapped too.
 */
export function baseBlockChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let at = 0; at < 508; at += 4) sum ^= u32(block, at);
  sum >>>= 0;
  if (sum === 0) return 1;
  if (sum === 0xffffffff) return 0xfffffffe;
  return sum;
}
