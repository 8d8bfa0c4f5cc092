/**
 * glibc `struct utmp` as written to utmp, wtmp and btmp on x86_64 (and the
 * other little-endian 64-bit ABIs that keep 32-bit times for compatibility:
 * aarch64, riscv64, ppc64le). Pure functions over bytes.
 *
 * Layout (384 bytes):
 *
 * | offset | size | field                                   |
 * | ------ | ---- | --------------------------------------- |
 * | 0      | 2    | `ut_type` (short) + 2 bytes padding     |
 * | 4      | 4    | `ut_pid`                                |
 * | 8      | 32   | `ut_line` (tty, e.g. `pts/0`)           |
 * | 40     | 4    | `ut_id`                                 |
 * | 44     | 32   | `ut_user`                               |
 * | 76     | 256  | `ut_host`                               |
 * | 332    | 4    | `ut_exit` (2 × short)                   |
 * | 336    | 4    | `ut_session`                            |
 * | 340    | 8    | `ut_tv` (int32 seconds, int32 µs)       |
 * | 348    | 16   | `ut_addr_v6` (network order)            |
 * | 364    | 20   | reserved                                |
 */
import { decodeUtf8 } from './chunks.js';
import { formatIpv4, formatIpv6 } from './ip.js';

/** Size of one record. */
export const UTMP_RECORD_SIZE = 384;

/** `ut_type` values from `<utmp.h>`. */
export const UtmpType = Object.freeze({
  EMPTY: 0,
  RUN_LVL: 1,
  BOOT_TIME: 2,
  NEW_TIME: 3,
  OLD_TIME: 4,
  INIT_PROCESS: 5,
  LOGIN_PROCESS: 6,
  USER_PROCESS: 7,
  DEAD_PROCESS: 8,
  ACCOUNTING: 9,
});

const MAX_TYPE = UtmpType.ACCOUNTING;

/** One decoded record. Strings are cut at the first NUL and decoded as UTF-8. */
export interface UtmpEntry {
  /** `ut_type`, 0–9. */
  readonly type: number;
  readonly pid: number;
  /** Device name without `/dev/`, e.g. `pts/0`; `~` for boot and run-level records. */
  readonly line: string;
  /** Terminal id (the last characters of `line`, or an inittab id). */
  readonly id: string;
  readonly user: string;
  /** Remote host name or address, or the kernel release for boot and run-level records. */
  readonly host: string;
  readonly exitTermination: number;
  readonly exitStatus: number;
  readonly session: number;
  /**
   * Seconds since the epoch. glibc declares it `int32_t`; it is read unsigned,
   * which changes nothing before 2038 and keeps records after it meaningful.
   */
  readonly seconds: number;
  readonly microseconds: number;
  /** `ut_addr_v6` as text; an IPv4 address when only the first word is set; null when all zero. */
  readonly address: string | null;
}

function cString(bytes: Uint8Array, start: number, size: number): string {
  const field = bytes.subarray(start, start + size);
  const end = field.indexOf(0);
  return decodeUtf8(end < 0 ? field : field.subarray(0, end));
}

function address(bytes: Uint8Array): string | null {
  if (bytes.every((b) => b === 0)) return null;
  if (bytes.subarray(4).every((b) => b === 0)) return formatIpv4(bytes);
  return formatIpv6(bytes);
}

/**
 * Decodes the record at `offset`.
 *
 * @param bytes - the buffer holding the record
 * @param offset - where it starts; default 0
 * @returns the record, or null when it cannot be a utmp record (unknown
 *   `ut_type`, microseconds out of range) or fewer than 384 bytes remain
 */
export function parseUtmpRecord(bytes: Uint8Array, offset = 0): UtmpEntry | null {
  if (bytes.length - offset < UTMP_RECORD_SIZE) return null;
  const record = bytes.subarray(offset, offset + UTMP_RECORD_SIZE);
  const view = new DataView(record.buffer, record.byteOffset, UTMP_RECORD_SIZE);
  const type = view.getInt16(0, true);
  const microseconds = view.getInt32(344, true);
  if (type < 0 || type > MAX_TYPE || microseconds < 0 || microseconds >= 1_000_000) return null;
  return {
    type,
    pid: view.getInt32(4, true),
    line: cString(record, 8, 32),
    id: cString(record, 40, 4),
    user: cString(record, 44, 32),
    host: cString(record, 76, 256),
    exitTermination: view.getInt16(332, true),
    exitStatus: view.getInt16(334, true),
    session: view.getInt32(336, true),
    seconds: view.getUint32(340, true),
    microseconds,
    address: address(record.subarray(348, 364)),
  };
}

/** The result of {@link parseUtmp}. */
export interface UtmpParseResult {
  /** The valid records with their byte offsets, in file order (EMPTY records included). */
  readonly entries: ReadonlyArray<UtmpEntry & { readonly offset: number }>;
  /** Byte offsets of whole records that are not valid utmp records. */
  readonly invalidOffsets: readonly number[];
  /** Bytes after the last whole record (a truncated file); 0 normally. */
  readonly trailingBytes: number;
}

/**
 * Decodes every whole record of a utmp, wtmp or btmp file. Bad records and
 * a truncated tail are reported, not fatal: the good records are kept.
 *
 * @param bytes - file contents
 * @param baseOffset - offset of `bytes[0]` in the file, for reporting; default 0
 */
export function parseUtmp(bytes: Uint8Array, baseOffset = 0): UtmpParseResult {
  const entries: Array<UtmpEntry & { offset: number }> = [];
  const invalidOffsets: number[] = [];
  const whole = bytes.length - (bytes.length % UTMP_RECORD_SIZE);
  for (let at = 0; at < whole; at += UTMP_RECORD_SIZE) {
    const entry = parseUtmpRecord(bytes, at);
    if (entry) entries.push({ ...entry, offset: baseOffset + at });
    else invalidOffsets.push(baseOffset + at);
  }
  return { entries, invalidOffsets, trailingBytes: bytes.length - whole };
}

/** What {@link encodeUtmp} takes; absent fields are zero or empty. */
export interface UtmpInput {
  readonly type: number;
  readonly pid?: number;
  readonly line?: string;
  readonly id?: string;
  readonly user?: string;
  readonly host?: string;
  readonly seconds?: number;
  readonly microseconds?: number;
  readonly session?: number;
  /** IPv4 as 4 bytes or IPv6 as 16 bytes, network order. */
  readonly address?: Uint8Array;
}

function putString(record: Uint8Array, start: number, size: number, value: string | undefined): void {
  if (value === undefined) return;
  const encoded = new TextEncoder().encode(value);
  if (encoded.length > size)
    throw new RangeError(`utmp field of ${size} bytes cannot hold ${encoded.length}`);
  record.set(encoded, start);
}

/**
 * Encodes records in the same layout, for test fixtures.
 *
 * @param entries - the records, in order
 * @returns `384 × entries.length` bytes
 */
export function encodeUtmp(entries: readonly UtmpInput[]): Uint8Array {
  const out = new Uint8Array(UTMP_RECORD_SIZE * entries.length);
  entries.forEach((entry, index) => {
    const record = out.subarray(index * UTMP_RECORD_SIZE, (index + 1) * UTMP_RECORD_SIZE);
    const view = new DataView(record.buffer, record.byteOffset, UTMP_RECORD_SIZE);
    view.setInt16(0, entry.type, true);
    view.setInt32(4, entry.pid ?? 0, true);
    putString(record, 8, 32, entry.line);
    putString(record, 40, 4, entry.id);
    putString(record, 44, 32, entry.user);
    putString(record, 76, 256, entry.host);
    view.setInt32(336, entry.session ?? 0, true);
    view.setUint32(340, entry.seconds ?? 0, true);
    view.setInt32(344, entry.microseconds ?? 0, true);
    if (entry.address) record.set(entry.address.subarray(0, 16), 348);
  });
  return out;
}
