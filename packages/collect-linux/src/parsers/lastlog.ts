/**
 * glibc `struct lastlog` as in /var/log/lastlog on x86_64 (and the other
 * 64-bit ABIs with 32-bit compatibility times): one 292-byte record per uid,
 * at offset `uid × 292`, in a usually sparse file. Pure functions over bytes.
 *
 * | offset | size | field                        |
 * | ------ | ---- | ---------------------------- |
 * | 0      | 4    | `ll_time` (int32 seconds)    |
 * | 4      | 32   | `ll_line` (tty, e.g. `pts/0`)|
 * | 36     | 256  | `ll_host`                    |
 */
import { decodeUtf8 } from './chunks.js';

/** Size of one record. */
export const LASTLOG_RECORD_SIZE = 292;

/** The last login of one uid. */
export interface LastlogEntry {
  readonly uid: number;
  /** Seconds since the epoch (read unsigned, as for utmp). */
  readonly seconds: number;
  readonly line: string;
  readonly host: string;
}

function cString(bytes: Uint8Array, start: number, size: number): string {
  const field = bytes.subarray(start, start + size);
  const end = field.indexOf(0);
  return decodeUtf8(end < 0 ? field : field.subarray(0, end));
}

/**
 * Decodes one record.
 *
 * @param bytes - at least 292 bytes from `offset`
 * @param uid - the uid the record belongs to (its index in the file)
 * @param offset - where the record starts; default 0
 * @returns the entry, or null when the uid never logged in (time 0) or the record is short
 */
export function parseLastlogRecord(bytes: Uint8Array, uid: number, offset = 0): LastlogEntry | null {
  if (bytes.length - offset < LASTLOG_RECORD_SIZE) return null;
  const record = bytes.subarray(offset, offset + LASTLOG_RECORD_SIZE);
  const seconds = new DataView(record.buffer, record.byteOffset, 4).getUint32(0, true);
  if (seconds === 0) return null;
  return { uid, seconds, line: cString(record, 4, 32), host: cString(record, 36, 256) };
}

/** The result of {@link parseLastlog}. */
export interface LastlogParseResult {
  /** Uids that have logged in, ascending. */
  readonly entries: readonly LastlogEntry[];
  /** Bytes after the last whole record; 0 normally. */
  readonly trailingBytes: number;
}

/**
 * Decodes every whole record of a lastlog file or a slice of one.
 *
 * @param bytes - file contents, or a slice starting at a record boundary
 * @param firstUid - the uid of the record at `bytes[0]`; default 0
 */
export function parseLastlog(bytes: Uint8Array, firstUid = 0): LastlogParseResult {
  const entries: LastlogEntry[] = [];
  const count = Math.floor(bytes.length / LASTLOG_RECORD_SIZE);
  for (let i = 0; i < count; i++) {
    const entry = parseLastlogRecord(bytes, firstUid + i, i * LASTLOG_RECORD_SIZE);
    if (entry) entries.push(entry);
  }
  return { entries, trailingBytes: bytes.length - count * LASTLOG_RECORD_SIZE };
}

/**
 * Encodes a lastlog file (zero records for uids not listed), for test fixtures.
 *
 * @param entries - one per uid that logged in
 * @returns `292 × (highest uid + 1)` bytes
 */
export function encodeLastlog(entries: readonly LastlogEntry[]): Uint8Array {
  const size = entries.reduce((max, e) => Math.max(max, e.uid + 1), 0) * LASTLOG_RECORD_SIZE;
  const out = new Uint8Array(size);
  const encoder = new TextEncoder();
  for (const entry of entries) {
    const at = entry.uid * LASTLOG_RECORD_SIZE;
    new DataView(out.buffer, at, 4).setUint32(0, entry.seconds, true);
    const line = encoder.encode(entry.line);
    const host = encoder.encode(entry.host);
    if (line.length > 32 || host.length > 256) throw new RangeError('lastlog line or host too long');
    out.set(line, at + 4);
    out.set(host, at + 36);
  }
  return out;
}
