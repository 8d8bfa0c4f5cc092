/**
 * BinXml value types: decoding the bytes of a template substitution value
 * into a JSON-friendly value, and their text form.
 *
 * Specifications: libyal "Windows XML Event Log (EVTX) format", section
 * "Value types" (and "Systemtime"); MS-EVEN6 section 3.1.4.7.3 "Type System"
 * and "Array Types"; MS-DTYP 2.4.2 for the SID string form. Text forms follow
 * what Windows writes into rendered event XML: decimal integers, `0x` and
 * lower-case hex digits without padding for the hex types (the Event schema's
 * `HexInt32Type`/`HexInt64Type` pattern `0[xX][0-9A-Fa-f]{1,16}`), GUIDs in
 * upper case with braces, FILETIME as ISO 8601 with the full 100 ns precision.
 */

/** A decoded value or an element's content, as it appears in the JSON rendering. */
export type EvtxJsonValue = string | number | boolean | null | EvtxJsonValue[] | EvtxJsonObject;

/** A JSON object in the rendering of an event. */
export interface EvtxJsonObject {
  [key: string]: EvtxJsonValue;
}

/** Value type codes (libyal "Value types"; MS-EVEN6 3.1.4.7.3). */
export const ValueType = {
  Null: 0x00,
  String: 0x01,
  AnsiString: 0x02,
  Int8: 0x03,
  UInt8: 0x04,
  Int16: 0x05,
  UInt16: 0x06,
  Int32: 0x07,
  UInt32: 0x08,
  Int64: 0x09,
  UInt64: 0x0a,
  Real32: 0x0b,
  Real64: 0x0c,
  Bool: 0x0d,
  Binary: 0x0e,
  Guid: 0x0f,
  SizeT: 0x10,
  FileTime: 0x11,
  SystemTime: 0x12,
  Sid: 0x13,
  HexInt32: 0x14,
  HexInt64: 0x15,
  EvtHandle: 0x20,
  BinXml: 0x21,
  EvtXml: 0x23,
  /** The array flag: `0x80 | type` is an array of `type`. */
  Array: 0x80,
} as const;

/** Thrown when a value's bytes do not fit its type (wrong size, bad SID); the caller turns it into a diagnostic. */
export class ValueDecodeError extends Error {
  override readonly name = 'ValueDecodeError';
}

const utf16 = new TextDecoder('utf-16le');

/** Windows-1252 characters for bytes 0x80–0x9F (the rest map as Latin-1; undefined bytes keep their code). */
const CP1252_HIGH = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';

/**
 * Decodes ANSI text as Windows-1252, the default code page of libyal's tools
 * (the record does not say which code page wrote it). Node's `TextDecoder`
 * treats `windows-1252` as Latin-1, so bytes 0x80–0x9F are mapped here.
 */
function decodeAnsi(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes)
    out += b >= 0x80 && b <= 0x9f ? (CP1252_HIGH[b - 0x80] ?? '') : String.fromCharCode(b);
  return out;
}

/** Fixed widths of the scalar types (bytes). */
const WIDTH: Readonly<Record<number, number>> = {
  [ValueType.Int8]: 1,
  [ValueType.UInt8]: 1,
  [ValueType.Int16]: 2,
  [ValueType.UInt16]: 2,
  [ValueType.Int32]: 4,
  [ValueType.UInt32]: 4,
  [ValueType.Int64]: 8,
  [ValueType.UInt64]: 8,
  [ValueType.Real32]: 4,
  [ValueType.Real64]: 8,
  [ValueType.Bool]: 4,
  [ValueType.Guid]: 16,
  [ValueType.FileTime]: 8,
  [ValueType.SystemTime]: 16,
  [ValueType.HexInt32]: 4,
  [ValueType.HexInt64]: 8,
};

/** A 64-bit integer as a JSON number when exact, else as its decimal string. */
function int64Json(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** Decodes UTF-16LE, dropping trailing NUL characters (substitution strings often carry one). */
export function decodeUtf16(bytes: Uint8Array): string {
  const even = bytes.length & 1 ? bytes.subarray(0, bytes.length - 1) : bytes;
  return withoutTrailingNuls(utf16.decode(even));
}

function hex(value: bigint | number): string {
  return `0x${value.toString(16)}`;
}

/** Upper-case hex of raw bytes, as Event Viewer shows binary data. */
function hexBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** Two upper-case hex digits for each byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, b) =>
  b.toString(16).padStart(2, '0').toUpperCase(),
);

/**
 * `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` of the 16 bytes at `at`: the first
 * three fields little-endian (MS-DTYP 2.3.4), upper case. The caller checked
 * the bounds.
 */
function formatGuid(bytes: Uint8Array, at: number): string {
  let text = '{';
  for (let i = 0; i < 16; i++) {
    // Bytes 0-3, 4-5 and 6-7 are little-endian fields: each is written from its last byte.
    const from = i < 4 ? 3 - i : i < 6 ? 9 - i : i < 8 ? 13 - i : i;
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-';
    text += HEX_BYTE[bytes[at + from] ?? 0];
  }
  return `${text}}`;
}

/** `n` in decimal, zero-padded to `width` digits. */
function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * A FILETIME (100 ns intervals since 1601-01-01 UTC) as ISO 8601 with seven
 * fractional digits, e.g. `2016-07-08T18:12:51.6816406Z`. Works for every
 * 64-bit value (years up to 60056) without `Date`'s range or precision limits.
 */
export function formatFiletime(ticks: bigint): string {
  const seconds = ticks / 10_000_000n;
  const fraction = ticks % 10_000_000n;
  const days = Number(seconds / 86_400n);
  const daySeconds = Number(seconds % 86_400n);
  // Days since 1601-01-01 to a civil date (H. Hinnant's days_from_civil inverse, shifted to 0000-03-01).
  const z = days + 584_694; // 1601-01-01 is day 584694 counted from 0000-03-01
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(daySeconds / 3600);
  const mm = Math.floor((daySeconds % 3600) / 60);
  const ss = daySeconds % 60;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hh)}:${pad(mm)}:${pad(ss)}.${fraction.toString().padStart(7, '0')}Z`;
}

/** SYSTEMTIME (libyal "Systemtime"): year, month, day of week, day, hour, minute, second, milliseconds. */
function formatSystemtime(view: DataView, at: number): string {
  const f = (i: number) => view.getUint16(at + i * 2, true);
  return `${pad(f(0), 4)}-${pad(f(1))}-${pad(f(3))}T${pad(f(4))}:${pad(f(5))}:${pad(f(6))}.${pad(f(7), 3)}Z`;
}

/**
 * A SID in its string form (MS-DTYP 2.4.2.1): `S-1-5-21-…`; the identifier
 * authority in decimal below 2^32, else in hex.
 *
 * @returns the SID and its length in bytes
 */
function readSid(bytes: Uint8Array, at: number, end: number): { sid: string; length: number } {
  if (at + 8 > end) throw new ValueDecodeError(`SID needs 8 bytes, has ${end - at}`);
  const revision = bytes[at] ?? 0;
  const count = bytes[at + 1] ?? 0;
  const length = 8 + 4 * count;
  if (at + length > end)
    throw new ValueDecodeError(`SID with ${count} sub-authorities needs ${length} bytes`);
  let authority = 0n;
  for (let i = 0; i < 6; i++) authority = (authority << 8n) | BigInt(bytes[at + 2 + i] ?? 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts = [`S-${revision}`, authority < 2n ** 32n ? authority.toString() : hex(authority)];
  for (let i = 0; i < count; i++) parts.push(String(view.getUint32(at + 8 + 4 * i, true)));
  return { sid: parts.join('-'), length };
}

/** One scalar of a fixed-width type at `at` (the caller checked the bounds). */
function scalar(type: number, view: DataView, bytes: Uint8Array, at: number, width: number): EvtxJsonValue {
  switch (type) {
    case ValueType.Int8:
      return view.getInt8(at);
    case ValueType.UInt8:
      return view.getUint8(at);
    case ValueType.Int16:
      return view.getInt16(at, true);
    case ValueType.UInt16:
      return view.getUint16(at, true);
    case ValueType.Int32:
      return view.getInt32(at, true);
    case ValueType.UInt32:
      return view.getUint32(at, true);
    case ValueType.Int64:
      return int64Json(view.getBigInt64(at, true));
    case ValueType.UInt64:
      return int64Json(view.getBigUint64(at, true));
    case ValueType.Real32:
    case ValueType.Real64: {
      const n = type === ValueType.Real32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
      return Number.isFinite(n) ? n : String(n);
    }
    case ValueType.Bool:
      return view.getUint32(at, true) !== 0;
    case ValueType.Guid:
      return formatGuid(bytes, at);
    case ValueType.FileTime:
      return formatFiletime(view.getBigUint64(at, true));
    case ValueType.SystemTime:
      return formatSystemtime(view, at);
    case ValueType.HexInt32:
      return hex(view.getUint32(at, true));
    case ValueType.HexInt64:
      return hex(view.getBigUint64(at, true));
    case ValueType.SizeT:
      return width === 4 ? hex(view.getUint32(at, true)) : hex(view.getBigUint64(at, true));
    default:
      throw new ValueDecodeError(`type 0x${type.toString(16)} is not a scalar`);
  }
}

/**
 * Decodes one substitution value of `type` held in `bytes[at, at + size)`.
 * BinXml values (0x21) are not handled here: the renderer parses them.
 * Types with no defined text form (EvtHandle 0x20, EvtXml 0x23, binary
 * arrays, unknown codes) come back as upper-case hex of their bytes.
 *
 * @param view - a DataView over exactly `bytes` (the chunk's), to spare making one per value
 * @throws ValueDecodeError when the size does not fit the type
 */
export function decodeValue(
  type: number,
  bytes: Uint8Array,
  at: number,
  size: number,
  view: DataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
): EvtxJsonValue {
  const end = at + size;
  if (at < 0 || size < 0 || end > bytes.length)
    throw new ValueDecodeError(`value of ${size} bytes outside the data`);
  const base = type & 0x7f;
  const isArray = (type & ValueType.Array) !== 0;
  if (!isArray) {
    switch (type) {
      case ValueType.Null:
        return null;
      case ValueType.String:
        return decodeUtf16(bytes.subarray(at, end));
      case ValueType.AnsiString:
        return withoutTrailingNuls(decodeAnsi(bytes.subarray(at, end)));
      case ValueType.Binary:
      case ValueType.EvtHandle:
      case ValueType.EvtXml:
        return hexBytes(bytes.subarray(at, end));
      case ValueType.Sid: {
        const { sid, length } = readSid(bytes, at, end);
        if (length !== size) throw new ValueDecodeError(`SID is ${length} bytes but the value is ${size}`);
        return sid;
      }
      case ValueType.SizeT:
        if (size !== 4 && size !== 8) throw new ValueDecodeError(`size_t value of ${size} bytes`);
        return scalar(type, view, bytes, at, size);
      case ValueType.Bool:
        // Booleans are 32-bit (libyal "Value types"); accept the narrower forms some writers use.
        if (size !== 1 && size !== 2 && size !== 4) throw new ValueDecodeError(`bool value of ${size} bytes`);
        return bytes.subarray(at, end).some((b) => b !== 0);
      default: {
        const width = WIDTH[type];
        if (width === undefined) return hexBytes(bytes.subarray(at, end));
        if (size !== width)
          throw new ValueDecodeError(`type 0x${type.toString(16)} needs ${width} bytes, has ${size}`);
        return scalar(type, view, bytes, at, width);
      }
    }
  }
  switch (base) {
    case ValueType.String:
    case ValueType.AnsiString: {
      // Arrays of strings: each item ends with a NUL (libyal "Value types", 0x81/0x82).
      const data = bytes.subarray(at, end);
      const text = base === ValueType.String ? utf16.decode(data.subarray(0, size & ~1)) : decodeAnsi(data);
      const items = text.split('\0');
      if (items.length > 1 && items.at(-1) === '') items.pop();
      return items;
    }
    case ValueType.Sid: {
      const items: EvtxJsonValue[] = [];
      for (let p = at; p < end; ) {
        const { sid, length } = readSid(bytes, p, end);
        items.push(sid);
        p += length;
      }
      return items;
    }
    case ValueType.SizeT: {
      // Pointer width is not recorded: 8-byte items when the size allows it, else 4.
      const width = size % 8 === 0 ? 8 : 4;
      if (size % width !== 0) throw new ValueDecodeError(`size_t array of ${size} bytes`);
      const items: EvtxJsonValue[] = [];
      for (let p = at; p < end; p += width) items.push(scalar(base, view, bytes, p, width));
      return items;
    }
    default: {
      const width = WIDTH[base];
      if (width === undefined) return hexBytes(bytes.subarray(at, end));
      if (size % width !== 0) {
        throw new ValueDecodeError(
          `array of type 0x${base.toString(16)} is ${size} bytes, not a multiple of ${width}`,
        );
      }
      const items: EvtxJsonValue[] = [];
      for (let p = at; p < end; p += width) items.push(scalar(base, view, bytes, p, width));
      return items;
    }
  }
}

/** The text of a decoded value, as it appears inside rendered XML. */
export function valueText(value: EvtxJsonValue): string {
  if (value === null) return '';
  if (Array.isArray(value)) return value.map(valueText).join(',');
  if (typeof value === 'object') return '';
  return String(value);
}

/**
 * `text` without trailing NULs, in linear time: `/\0+$/` is quadratic in a
 * run of NULs that is not at the end, which a crafted record can hold.
 */
function withoutTrailingNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return end === text.length ? text : text.slice(0, end);
}
