/**
 * Builds small, valid registry hives (and transaction logs) in memory for
 * tests: a base block with its checksum, one hive bin, and nk, vk, lf, lh,
 * li, ri, db, sk and class-name cells laid out as Windows lays them out
 * (Suhanov, "Format of primary files"; "Format of transaction log files").
 * Every cell it writes is labelled, so a test can damage exactly one.
 */
import { Marvin32 } from '../regf/marvin32.js';

/** One value to write. */
export interface BuildValue {
  readonly name: string;
  /** The type code (REG_SZ = 1…), any 32-bit number. */
  readonly type: number;
  /** The raw data. */
  readonly data: Uint8Array;
  /** Store the name in Latin-1 (flag 0x0001). Default: when every character is below U+0100. */
  readonly compressed?: boolean;
  /**
   * Where to put the data. Default `auto`: in the vk itself for 4 bytes or
   * fewer, in a big data record above 16,344 bytes in version 1.4+ hives,
   * else in one cell.
   */
  readonly storage?: 'auto' | 'inline' | 'cell' | 'big-data';
}

/** One key to write, with its values and subkeys. */
export interface BuildKey {
  readonly name: string;
  /** Store the name in Latin-1 (flag 0x0020). Default: when every character is below U+0100. */
  readonly compressed?: boolean;
  /** Last written FILETIME. Default 2022-06-18T04:26:40Z. */
  readonly lastWritten?: bigint;
  readonly classname?: string;
  readonly values?: readonly BuildValue[];
  /** Subkeys, written in this order (Windows sorts them by upper-case name; this does not). */
  readonly subkeys?: readonly BuildKey[];
  /** The subkey list kind. Default `lh`. `ri` writes an index root over `lh` leaves of `riLeafSize` keys. */
  readonly list?: 'lf' | 'lh' | 'li' | 'ri';
  /** Keys per leaf under an `ri`. Default 2. */
  readonly riLeafSize?: number;
  /** A self-relative security descriptor to store in an sk cell. */
  readonly security?: Uint8Array;
  /** Extra nk flags (KEY_HIVE_ENTRY is set on the root, KEY_COMP_NAME as needed). */
  readonly flags?: number;
}

/** Base block settings. */
export interface BuildHiveOptions {
  /** Default 5. */
  readonly minorVersion?: number;
  /** Default 1. */
  readonly primarySequence?: number;
  /** Default: the primary sequence number (a clean hive). */
  readonly secondarySequence?: number;
  /** Default 2022-06-18T04:26:40Z. */
  readonly lastWritten?: bigint;
  /** Default `\??\C:\test\hive`. */
  readonly fileName?: string;
  /** Free bytes to leave at the end of the hive bin (a free cell). Default 0 (the bin is padded to 4096). */
  readonly slack?: number;
}

/** A built hive. */
export interface BuiltHive {
  readonly bytes: Uint8Array;
  /**
   * Hive-bins offsets of the cells written, by label: `nk:PATH`, `subkeys:PATH`
   * (the top list), `leaf:PATH:N` (ri leaves), `values:PATH`, `vk:PATH:NAME`,
   * `data:PATH:NAME`, `db:PATH:NAME`, `segments:PATH:NAME`, `segment:PATH:NAME:N`,
   * `sk:PATH`, `class:PATH` (the root's PATH is `""`).
   */
  readonly cells: ReadonlyMap<string, number>;
  /** The file offset of a labelled cell (4096 + its offset); throws for an unknown label. */
  fileOffset(label: string): number;
}

/** 2022-06-18T04:26:40Z. */
export const DEFAULT_FILETIME = 133_000_000_000_000_000n;

const BIG_SEGMENT = 16_344;

/** UTF-16LE bytes of a string (optionally NUL-terminated). */
export function utf16(text: string, terminate = true): Uint8Array {
  const full = terminate ? `${text}\u0000` : text;
  const bytes = new Uint8Array(full.length * 2);
  for (let i = 0; i < full.length; i++) {
    const code = full.charCodeAt(i);
    bytes[i * 2] = code & 0xff;
    bytes[i * 2 + 1] = code >> 8;
  }
  return bytes;
}

/** A REG_MULTI_SZ payload: each string NUL-terminated, then one more NUL. */
export function multiSz(parts: readonly string[]): Uint8Array {
  return utf16(`${parts.join('\u0000')}\u0000`);
}

/** Little-endian 32-bit bytes. */
export function le32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return bytes;
}

/** Little-endian 64-bit bytes. */
export function le64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
}

function latin1(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function fitsLatin1(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return false;
  return true;
}

function upcase(text: string): string {
  let out = '';
  for (const c of text) {
    for (let i = 0; i < c.length; i++) {
      const unit = String.fromCharCode(c.charCodeAt(i));
      const upper = unit.toUpperCase();
      out += upper.length === 1 ? upper : unit;
    }
  }
  return out;
}

/** The lh name hash: H = 37·H + upcase(c) per UTF-16 code unit. */
export function lhHash(name: string): number {
  let hash = 0;
  const folded = upcase(name);
  for (let i = 0; i < folded.length; i++) hash = (Math.imul(hash, 37) + folded.charCodeAt(i)) >>> 0;
  return hash;
}

/** Writes a little-endian u32 at a file offset. */
export function patch32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, true);
}

/** Writes a little-endian u16 at a file offset. */
export function patch16(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint16(offset, value & 0xffff, true);
}

/** Recomputes and stores the XOR-32 checksum of a base block at the start of `bytes`. */
export function fixChecksum(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let at = 0; at < 508; at += 4) sum ^= view.getUint32(at, true);
  sum >>>= 0;
  if (sum === 0) sum = 1;
  if (sum === 0xffffffff) sum = 0xfffffffe;
  view.setUint32(508, sum, true);
}

/** A growing hive bins area: cells appended 8-byte aligned after a 32-byte bin header. */
class Cells {
  bytes = new Uint8Array(64 * 1024);
  used = 32;
  readonly labels = new Map<string, number>();

  alloc(length: number, label?: string): number {
    const size = Math.ceil((4 + length) / 8) * 8;
    while (this.used + size > this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    const offset = this.used;
    new DataView(this.bytes.buffer).setInt32(offset, -size, true);
    this.used += size;
    if (label !== undefined) this.labels.set(label, offset);
    return offset;
  }

  /** Writes cell data (after the size field) at a cell offset. */
  write(offset: number, at: number, data: Uint8Array): void {
    this.bytes.set(data, offset + 4 + at);
  }

  cell(data: Uint8Array, label?: string): number {
    const offset = this.alloc(data.length, label);
    this.write(offset, 0, data);
    return offset;
  }
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}\\${name}`;
}

function writeValue(cells: Cells, value: BuildValue, path: string, minor: number): number {
  const compressed = value.compressed ?? fitsLatin1(value.name);
  const name = compressed ? latin1(value.name) : utf16(value.name, false);
  const label = `${path}:${value.name}`;
  const vk = cells.alloc(20 + name.length, `vk:${label}`);
  const head = new Uint8Array(20);
  const view = new DataView(head.buffer);
  head.set([0x76, 0x6b]); // vk
  view.setUint16(2, name.length, true);
  view.setUint32(12, value.type >>> 0, true);
  view.setUint16(16, compressed ? 1 : 0, true);
  const data = value.data;
  let storage = value.storage ?? 'auto';
  if (storage === 'auto') {
    storage = data.length <= 4 ? 'inline' : data.length > BIG_SEGMENT && minor > 3 ? 'big-data' : 'cell';
  }
  if (data.length === 0) {
    view.setUint32(4, 0, true);
    view.setUint32(8, 0xffffffff, true);
  } else if (storage === 'inline') {
    view.setUint32(4, (data.length | 0x80000000) >>> 0, true);
    head.set(data.subarray(0, 4), 8);
  } else if (storage === 'cell') {
    view.setUint32(4, data.length, true);
    view.setUint32(8, cells.cell(data, `data:${label}`), true);
  } else {
    const count = Math.ceil(data.length / BIG_SEGMENT);
    const segments: number[] = [];
    for (let i = 0; i < count; i++) {
      segments.push(
        cells.cell(data.subarray(i * BIG_SEGMENT, (i + 1) * BIG_SEGMENT), `segment:${label}:${i}`),
      );
    }
    const list = new Uint8Array(count * 4);
    segments.forEach((s, i) => {
      new DataView(list.buffer).setUint32(i * 4, s, true);
    });
    const listOffset = cells.cell(list, `segments:${label}`);
    const db = new Uint8Array(8);
    db.set([0x64, 0x62]); // db
    new DataView(db.buffer).setUint16(2, count, true);
    new DataView(db.buffer).setUint32(4, listOffset, true);
    view.setUint32(4, data.length, true);
    view.setUint32(8, cells.cell(db, `db:${label}`), true);
  }
  cells.write(vk, 0, head);
  cells.write(vk, 20, name);
  return vk;
}

function leaf(kind: 'lf' | 'lh' | 'li', keys: ReadonlyArray<{ offset: number; name: string }>): Uint8Array {
  const width = kind === 'li' ? 4 : 8;
  const bytes = new Uint8Array(4 + keys.length * width);
  const view = new DataView(bytes.buffer);
  bytes.set([kind.charCodeAt(0), kind.charCodeAt(1)]);
  view.setUint16(2, keys.length, true);
  keys.forEach((key, i) => {
    view.setUint32(4 + i * width, key.offset, true);
    if (kind === 'lh') view.setUint32(8 + i * width, lhHash(key.name), true);
    if (kind === 'lf') {
      for (let c = 0; c < 4 && c < key.name.length; c++) {
        const code = key.name.charCodeAt(c);
        bytes[8 + i * width + c] = code < 0x80 ? code : 0;
      }
    }
  });
  return bytes;
}

function writeKey(
  cells: Cells,
  key: BuildKey,
  path: string,
  parent: number,
  minor: number,
  root: boolean,
): number {
  const compressed = key.compressed ?? fitsLatin1(key.name);
  const name = compressed ? latin1(key.name) : utf16(key.name, false);
  const nk = cells.alloc(76 + name.length, `nk:${path}`);
  const head = new Uint8Array(76);
  const view = new DataView(head.buffer);
  head.set([0x6e, 0x6b]); // nk
  view.setUint16(2, (key.flags ?? 0) | (compressed ? 0x20 : 0) | (root ? 0x04 | 0x08 : 0), true);
  view.setBigUint64(4, key.lastWritten ?? DEFAULT_FILETIME, true);
  view.setUint32(16, parent, true);
  view.setUint32(32, 0xffffffff, true);
  view.setUint16(72, name.length, true);

  const subkeys = key.subkeys ?? [];
  const written = subkeys.map((sub) => ({
    offset: writeKey(cells, sub, join(path, sub.name), nk, minor, false),
    name: sub.name,
  }));
  view.setUint32(20, written.length, true);
  if (written.length === 0) {
    view.setUint32(28, 0xffffffff, true);
  } else if ((key.list ?? 'lh') === 'ri') {
    const size = key.riLeafSize ?? 2;
    const leaves: number[] = [];
    for (let i = 0; i < written.length; i += size) {
      leaves.push(cells.cell(leaf('lh', written.slice(i, i + size)), `leaf:${path}:${leaves.length}`));
    }
    const ri = new Uint8Array(4 + leaves.length * 4);
    ri.set([0x72, 0x69]); // ri
    new DataView(ri.buffer).setUint16(2, leaves.length, true);
    leaves.forEach((l, i) => {
      new DataView(ri.buffer).setUint32(4 + i * 4, l, true);
    });
    view.setUint32(28, cells.cell(ri, `subkeys:${path}`), true);
  } else {
    view.setUint32(
      28,
      cells.cell(leaf((key.list ?? 'lh') as 'lf' | 'lh' | 'li', written), `subkeys:${path}`),
      true,
    );
  }

  const values = key.values ?? [];
  view.setUint32(36, values.length, true);
  if (values.length === 0) {
    view.setUint32(40, 0xffffffff, true);
  } else {
    const offsets = values.map((v) => writeValue(cells, v, path, minor));
    const list = new Uint8Array(offsets.length * 4);
    offsets.forEach((o, i) => {
      new DataView(list.buffer).setUint32(i * 4, o, true);
    });
    view.setUint32(40, cells.cell(list, `values:${path}`), true);
  }

  if (key.security) {
    const sk = cells.alloc(20 + key.security.length, `sk:${path}`);
    const skHead = new Uint8Array(20);
    const skView = new DataView(skHead.buffer);
    skHead.set([0x73, 0x6b]); // sk
    skView.setUint32(4, sk, true);
    skView.setUint32(8, sk, true);
    skView.setUint32(12, 1, true);
    skView.setUint32(16, key.security.length, true);
    cells.write(sk, 0, skHead);
    cells.write(sk, 20, key.security);
    view.setUint32(44, sk, true);
  } else {
    view.setUint32(44, 0xffffffff, true);
  }
  if (key.classname !== undefined) {
    const bytes = utf16(key.classname, false);
    view.setUint32(48, cells.cell(bytes, `class:${path}`), true);
    view.setUint16(74, bytes.length, true);
  } else {
    view.setUint32(48, 0xffffffff, true);
  }
  cells.write(nk, 0, head);
  cells.write(nk, 76, name);
  return nk;
}

/**
 * A base block: `regf`, sequence numbers, timestamp, version 1.minor, file
 * type, format 1, root cell offset, hive bins data size, clustering factor 1,
 * file name, XOR-32 checksum.
 */
export function buildBaseBlock(fields: {
  primarySequence: number;
  secondarySequence: number;
  lastWritten: bigint;
  minorVersion: number;
  fileType: number;
  rootCellOffset: number;
  hiveBinsDataSize: number;
  fileName: string;
}): Uint8Array {
  const block = new Uint8Array(4096);
  const view = new DataView(block.buffer);
  block.set([0x72, 0x65, 0x67, 0x66]); // regf
  view.setUint32(4, fields.primarySequence >>> 0, true);
  view.setUint32(8, fields.secondarySequence >>> 0, true);
  view.setBigUint64(12, fields.lastWritten, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, fields.minorVersion, true);
  view.setUint32(28, fields.fileType, true);
  view.setUint32(32, 1, true);
  view.setUint32(36, fields.rootCellOffset, true);
  view.setUint32(40, fields.hiveBinsDataSize, true);
  view.setUint32(44, 1, true);
  block.set(utf16(fields.fileName, false).subarray(0, 64), 48);
  fixChecksum(block);
  return block;
}

/**
 * Builds a hive: the base block, then one hive bin holding every cell (its
 * size rounded up to a multiple of 4096, the rest a free cell).
 *
 * @param root - the root key (flagged KEY_HIVE_ENTRY)
 * @param options - base block settings
 */
export function buildHive(root: BuildKey, options: BuildHiveOptions = {}): BuiltHive {
  const minor = options.minorVersion ?? 5;
  const cells = new Cells();
  const rootOffset = writeKey(cells, root, '', 0xffffffff, minor, true);
  const used = cells.used + (options.slack ?? 0);
  const binSize = Math.ceil(used / 4096) * 4096;
  const bin = new Uint8Array(binSize);
  bin.set(cells.bytes.subarray(0, cells.used));
  const binView = new DataView(bin.buffer);
  bin.set([0x68, 0x62, 0x69, 0x6e]); // hbin
  binView.setUint32(4, 0, true);
  binView.setUint32(8, binSize, true);
  binView.setBigUint64(20, options.lastWritten ?? DEFAULT_FILETIME, true);
  if (binSize - cells.used >= 8) binView.setInt32(cells.used, binSize - cells.used, true);
  const primary = options.primarySequence ?? 1;
  const base = buildBaseBlock({
    primarySequence: primary,
    secondarySequence: options.secondarySequence ?? primary,
    lastWritten: options.lastWritten ?? DEFAULT_FILETIME,
    minorVersion: minor,
    fileType: 0,
    rootCellOffset: rootOffset,
    hiveBinsDataSize: binSize,
    fileName: options.fileName ?? '\\??\\C:\\test\\hive',
  });
  const bytes = new Uint8Array(4096 + binSize);
  bytes.set(base);
  bytes.set(bin, 4096);
  const labels = cells.labels;
  return {
    bytes,
    cells: labels,
    fileOffset(label: string): number {
      const offset = labels.get(label);
      if (offset === undefined) throw new Error(`no cell labelled ${label}`);
      return 4096 + offset;
    },
  };
}

/** One new-format log entry to write. */
export interface BuildLogEntry {
  readonly sequence: number;
  readonly hiveBinsDataSize: number;
  /** Dirty pages: offset relative to the hive bins data, and their bytes. */
  readonly pages: ReadonlyArray<{ readonly offset: number; readonly bytes: Uint8Array }>;
  readonly flags?: number;
}

/** The base block of a log: the hive's first 512 bytes with a new file type, sequence numbers and checksum. */
function logBaseBlock(
  hiveBase: Uint8Array,
  fileType: number,
  primary: number,
  secondary: number,
  size?: number,
) {
  const block = Uint8Array.from(hiveBase.subarray(0, 512));
  const view = new DataView(block.buffer);
  view.setUint32(4, primary >>> 0, true);
  view.setUint32(8, secondary >>> 0, true);
  view.setUint32(28, fileType, true);
  if (size !== undefined) view.setUint32(40, size, true);
  fixChecksum(block);
  return block;
}

/**
 * A new-format transaction log (Windows 8.1+): a 512-byte base block (file
 * type 6) and HvLE entries, each padded to a multiple of 512 bytes with its
 * Hash-1 and Hash-2 (Marvin32).
 *
 * @param hiveBase - the hive's base block (copied, with file type 6)
 * @param entries - the entries, in file order
 * @param sequences - the log base block's sequence numbers; default the first entry's
 */
export function buildNewLog(
  hiveBase: Uint8Array,
  entries: readonly BuildLogEntry[],
  sequences?: readonly [number, number],
): Uint8Array {
  const first = entries[0]?.sequence ?? 1;
  const parts: Uint8Array[] = [logBaseBlock(hiveBase, 6, sequences?.[0] ?? first, sequences?.[1] ?? first)];
  for (const entry of entries) {
    const body = 40 + entry.pages.length * 8 + entry.pages.reduce((n, p) => n + p.bytes.length, 0);
    const size = Math.ceil(body / 512) * 512;
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    bytes.set([0x48, 0x76, 0x4c, 0x45]); // HvLE
    view.setUint32(4, size, true);
    view.setUint32(8, entry.flags ?? 0, true);
    view.setUint32(12, entry.sequence >>> 0, true);
    view.setUint32(16, entry.hiveBinsDataSize, true);
    view.setUint32(20, entry.pages.length, true);
    let at = 40 + entry.pages.length * 8;
    entry.pages.forEach((page, i) => {
      view.setUint32(40 + i * 8, page.offset, true);
      view.setUint32(44 + i * 8, page.bytes.length, true);
      bytes.set(page.bytes, at);
      at += page.bytes.length;
    });
    view.setBigUint64(24, new Marvin32().update(bytes.subarray(40)).digest(), true);
    view.setBigUint64(32, new Marvin32().update(bytes.subarray(0, 32)).digest(), true);
    parts.push(bytes);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const log = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    log.set(part, at);
    at += part.length;
  }
  return log;
}

/**
 * An old-format transaction log (Windows XP to 8): a 512-byte base block
 * (file type 1, both sequence numbers `sequence`, the new hive bins data
 * size), `DIRT` and a bitmap of 512-byte pages at 512, then the dirty pages
 * from the next 512-byte boundary.
 *
 * @param hiveBase - the hive's base block (its timestamp must match for the log to apply)
 * @param sequence - both sequence numbers of the log's base block
 * @param hiveBinsDataSize - hive bins data size after the write
 * @param pages - dirty 512-byte pages by index within the hive bins data
 */
export function buildOldLog(
  hiveBase: Uint8Array,
  sequence: number,
  hiveBinsDataSize: number,
  pages: ReadonlyArray<{ readonly index: number; readonly bytes: Uint8Array }>,
): Uint8Array {
  const bits = hiveBinsDataSize / 512;
  const vector = new Uint8Array(4 + Math.ceil(bits / 8));
  vector.set([0x44, 0x49, 0x52, 0x54]); // DIRT
  const sorted = [...pages].sort((a, b) => a.index - b.index);
  for (const page of sorted)
    vector[4 + (page.index >> 3)] = (vector[4 + (page.index >> 3)] ?? 0) | (1 << (page.index & 7));
  const pagesAt = Math.ceil((512 + vector.length) / 512) * 512;
  const log = new Uint8Array(pagesAt + sorted.length * 512);
  log.set(logBaseBlock(hiveBase, 1, sequence, sequence, hiveBinsDataSize));
  log.set(vector, 512);
  sorted.forEach((page, i) => {
    log.set(page.bytes.subarray(0, 512), pagesAt + i * 512);
  });
  return log;
}

/**
 * The pages of `after` that differ from `before`, relative to the hive bins
 * data (both are whole hive files).
 *
 * @param pageSize - 4096 for new-format logs, 512 for old-format
 */
export function changedPages(
  before: Uint8Array,
  after: Uint8Array,
  pageSize: number,
): Array<{ offset: number; index: number; bytes: Uint8Array }> {
  const pages: Array<{ offset: number; index: number; bytes: Uint8Array }> = [];
  for (let at = 4096; at < after.length; at += pageSize) {
    const a = before.subarray(at, at + pageSize);
    const b = after.subarray(at, at + pageSize);
    if (a.length !== b.length || a.some((byte, i) => byte !== b[i])) {
      const bytes = new Uint8Array(pageSize);
      bytes.set(b);
      pages.push({ offset: at - 4096, index: (at - 4096) / pageSize, bytes });
    }
  }
  return pages;
}
