/**
 * Bounds-checked little-endian reads and the Windows data types the LNK and
 * Prefetch parsers share: FILETIME and FAT date/time to ISO 8601, GUIDs,
 * UTF-16LE strings (lone surrogates replaced and counted, never thrown on)
 * and ANSI strings in a Windows code page. Internal to the package.
 */
import { TextDecoder } from 'node:util';
import { isTriageError, TriageError } from '@triage/errors';
import type { ByteSource } from '../source.js';

/** One problem found inside a file that did not stop the parse: a damaged structure, a field out of range. */
export interface ParseDiagnostic {
  /** The structure it concerns, e.g. `LinkInfo`, `ExtraData[2]`, `volumes[0]`, `Actions/Exec[1]`. */
  readonly structure: string;
  /**
   * Byte offset in the file (for MAM Prefetch, in the decompressed file; for
   * Task XML, the character offset in the decoded text), or null when not tied to one.
   */
  readonly offset: number | null;
  /** What is wrong and what the parser did about it. */
  readonly message: string;
}

/** A read past the end of the bytes at hand; parsers turn it into a {@link ParseDiagnostic}. */
export class OutOfBounds extends Error {
  constructor(
    readonly offset: number,
    readonly length: number,
    readonly limit: number,
  ) {
    super(`${length} bytes at offset ${offset} run past the end (${limit} bytes)`);
    this.name = 'OutOfBounds';
  }
}

/** Little-endian reads over bytes that throw {@link OutOfBounds} instead of reading past the end. */
export class ByteReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The number of bytes. */
  get length(): number {
    return this.bytes.length;
  }

  /** Whether `length` bytes at `offset` are inside. */
  has(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }

  /** @throws OutOfBounds unless `length` bytes at `offset` are inside */
  check(offset: number, length: number): void {
    if (!this.has(offset, length)) throw new OutOfBounds(offset, length, this.bytes.length);
  }

  /** An unsigned byte; throws OutOfBounds past the end (as do the other reads). */
  u8(offset: number): number {
    this.check(offset, 1);
    return this.view.getUint8(offset);
  }

  /** A little-endian unsigned 16-bit integer. */
  u16(offset: number): number {
    this.check(offset, 2);
    return this.view.getUint16(offset, true);
  }

  /** A little-endian unsigned 32-bit integer. */
  u32(offset: number): number {
    this.check(offset, 4);
    return this.view.getUint32(offset, true);
  }

  /** A little-endian signed 32-bit integer. */
  i32(offset: number): number {
    this.check(offset, 4);
    return this.view.getInt32(offset, true);
  }

  /** A little-endian unsigned 64-bit integer. */
  u64(offset: number): bigint {
    this.check(offset, 8);
    return this.view.getBigUint64(offset, true);
  }

  /** A view of `length` bytes at `offset`. */
  slice(offset: number, length: number): Uint8Array {
    this.check(offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
}

const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n; // 1970-01-01 in 100 ns since 1601-01-01
const FILETIME_YEAR_10000 = 2_650_467_744_000_000_000n; // 10000-01-01: beyond ISO's four-digit years

/**
 * A FILETIME (100-nanosecond intervals since 1601-01-01 UTC) as ISO 8601 UTC
 * with all seven fractional digits, e.g. `2009-07-13T23:29:02.8491310Z`, so
 * the strings sort in time order and lose no precision.
 *
 * @returns null for 0 (not set) and for values from year 10000 on (garbage; see {@link filetimeInRange})
 */
export function filetimeToIso(raw: bigint): string | null {
  if (raw === 0n || !filetimeInRange(raw)) return null;
  const sinceUnix = raw - FILETIME_UNIX_EPOCH;
  let seconds = sinceUnix / 10_000_000n;
  let fraction = sinceUnix % 10_000_000n;
  if (fraction < 0n) {
    fraction += 10_000_000n;
    seconds -= 1n;
  }
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  return `${iso.slice(0, 19)}.${fraction.toString().padStart(7, '0')}Z`;
}

/** Whether a non-zero FILETIME falls before year 10000 (a value past that is damage, not a time). */
export function filetimeInRange(raw: bigint): boolean {
  return raw < FILETIME_YEAR_10000;
}

/**
 * A FAT (MS-DOS) date and time, given as the date word and the time word
 * (shell items store the date first), as ISO 8601 with a `Z`: shell items
 * store them in UTC (libfwsi "Windows Shell Item format", file entry shell
 * item). Two-second resolution.
 *
 * @returns null for 0 or an impossible date (month 0, day 0, hour 24…)
 */
export function fatDateTimeToIso(date: number, time: number): string | null {
  if (date === 0 && time === 0) return null;
  const day = date & 0x1f;
  const month = (date >> 5) & 0x0f;
  const year = 1980 + (date >> 9);
  const seconds = (time & 0x1f) * 2;
  const minutes = (time >> 5) & 0x3f;
  const hours = time >> 11;
  if (day === 0 || month === 0 || month > 12 || hours > 23 || minutes > 59 || seconds > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hours, minutes, seconds);
  const d = new Date(ms);
  if (d.getUTCDate() !== day) return null; // 31 February and the like
  return `${d.toISOString().slice(0, 19)}Z`;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** A GUID in its little-endian on-disk form as lowercase `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function guidToString(bytes: Uint8Array): string {
  const b = (i: number) => hex2(bytes[i] as number);
  return (
    `${b(3)}${b(2)}${b(1)}${b(0)}-${b(5)}${b(4)}-${b(7)}${b(6)}-` +
    `${b(8)}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}`
  );
}

/** A decoded UTF-16 string and what decoding it found. */
export interface Utf16Result {
  readonly text: string;
  /** Offset just past the string (and its terminator, when one was found). */
  readonly end: number;
  /** Whether a NUL terminator was found (only for terminated reads). */
  readonly terminated: boolean;
  /** Lone surrogates replaced with U+FFFD (UTF-16 allows none; Windows file names can hold them). */
  readonly loneSurrogates: number;
  /** The first lone surrogate's code unit, for the diagnostic. */
  readonly firstLoneSurrogate: number | null;
}

/**
 * Decodes UTF-16LE code units from `start` up to `end` (exclusive), or up to
 * the first NUL when `terminated`. An odd trailing byte is ignored. A lone
 * surrogate becomes U+FFFD (as WHATWG's decoder does, one per code unit) and is
 * counted, so the caller can say so in a diagnostic.
 */
export function decodeUtf16le(
  bytes: Uint8Array,
  start: number,
  end: number,
  terminated: boolean,
): Utf16Result {
  const stop = Math.min(end, bytes.length);
  const units: number[] = [];
  let lone = 0;
  let firstLone: number | null = null;
  let i = Math.max(0, start);
  let foundNul = false;
  while (i + 1 < stop) {
    const unit = (bytes[i] as number) | ((bytes[i + 1] as number) << 8);
    i += 2;
    if (terminated && unit === 0) {
      foundNul = true;
      break;
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < stop ? (bytes[i] as number) | ((bytes[i + 1] as number) << 8) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) {
        units.push(unit, next);
        i += 2;
        continue;
      }
    }
    if (unit >= 0xd800 && unit <= 0xdfff) {
      lone++;
      firstLone ??= unit;
      units.push(0xfffd);
      continue;
    }
    units.push(unit);
  }
  let text = '';
  for (let k = 0; k < units.length; k += 4096) text += String.fromCharCode(...units.slice(k, k + 4096));
  return { text, end: i, terminated: foundNul, loneSurrogates: lone, firstLoneSurrogate: firstLone };
}

const decoders = new Map<string, TextDecoder>();

/**
 * Decodes bytes in a Windows ANSI code page (a WHATWG encoding label such as
 * `windows-1252`, `windows-1251`, `shift_jis`); unmappable bytes become U+FFFD.
 * An unknown label falls back to `windows-1252`.
 */
export function decodeAnsi(bytes: Uint8Array, codePage: string): string {
  let decoder = decoders.get(codePage);
  if (!decoder) {
    try {
      decoder = new TextDecoder(codePage);
    } catch {
      decoder = new TextDecoder('windows-1252');
    }
    decoders.set(codePage, decoder);
  }
  return decoder.decode(bytes);
}

/** Whether a code page label is one this runtime can decode. */
export function isKnownCodePage(codePage: string): boolean {
  try {
    new TextDecoder(codePage);
    return true;
  } catch {
    return false;
  }
}

/** An ANSI string ending at the first NUL (or at `end`) and where it ended. */
export function readAnsiZ(
  bytes: Uint8Array,
  start: number,
  end: number,
  codePage: string,
): { text: string; end: number; terminated: boolean } {
  const stop = Math.min(end, bytes.length);
  let i = Math.max(0, start);
  while (i < stop && bytes[i] !== 0) i++;
  const terminated = i < stop;
  return { text: decodeAnsi(bytes.subarray(start, i), codePage), end: terminated ? i + 1 : i, terminated };
}

/** `n` as eight uppercase hex digits (a volume serial number, a Prefetch hash). */
export function hex32(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * The first `maxBytes` of a source (all of it when smaller), as one buffer.
 *
 * @throws IO_ERROR when the source cannot be read
 */
export async function readPrefix(
  source: ByteSource,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const want = Math.min(source.size, maxBytes);
  const out = new Uint8Array(want);
  let got = 0;
  try {
    while (got < want) {
      const chunk = await source.read(got, want - got);
      if (chunk.length === 0) break;
      out.set(chunk.subarray(0, want - got), got);
      got += Math.min(chunk.length, want - got);
    }
  } catch (error) {
    if (isTriageError(error)) throw error;
    throw new TriageError('IO_ERROR', `Could not read ${source.name}; check that the file is readable.`, {
      cause: error,
      context: { path: source.name },
    });
  }
  return { bytes: out.subarray(0, got), truncated: source.size > maxBytes };
}

/** Whether a value is a {@link ByteSource} rather than bytes. */
export function isByteSource(input: Uint8Array | ByteSource): input is ByteSource {
  return !(input instanceof Uint8Array);
}
