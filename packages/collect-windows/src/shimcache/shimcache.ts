/**
 * The Application Compatibility Cache (AppCompatCache, "ShimCache"): the
 * `AppCompatCache` value of a SYSTEM hive's control set, in every layout
 * Windows has written it in.
 *
 * Sources followed (read for understanding; this is our own code):
 * - Andrew Davis (Mandiant), "Leveraging the Application Compatibility Cache
 *   in Forensic Investigations" (2012) and its ShimCacheParser.py: the XP
 *   32-bit header (0xdeadbeef, 400 bytes, LRU array) and 552-byte entries,
 *   the NT 5.2/6.0 layout (0xbadc0ffe, 8-byte header; 2003 keeps a file size
 *   where Vista/2008 keep InsertFlags and ShimFlags, told apart by values
 *   above 3), the NT 6.1 layout (0xbadc0fee, 128-byte header), x86 and x64
 *   entries told apart by the 64-bit UNICODE_STRING padding, and the
 *   "executed" bit 0x2 of InsertFlags (set by CSRSS).
 * - Joachim Metz, libyal/winreg-kb "Application Compatibility Cache key":
 *   the header and entry tables of each version (XP, 2003, Vista, 7, 8.0,
 *   8.1, 10).
 * - Eric Zimmerman, AppCompatCacheParser (`Windows8x.cs`, `Windows10.cs`,
 *   `AppCompatCache.cs`): layout detection by the entry signature at 0x80
 *   (`00ts` 8.0, `10ts` 8.1) and at the header size 0x30/0x34 (10), the
 *   8.x package name field, the Windows 10 entry count at 0x24 (0x28 with
 *   the 0x34 header), and the Windows 10 "executed" value: the last 4 bytes
 *   of an entry's data (EricZimmerman/AppCompatCacheParser issue 6).
 * - Harlan Carvey, RegRipper `appcompatcache.pl` (20220921): the same
 *   layouts, and the current control set only (`Select\Current`).
 *
 * Each entry's time is the file's last-modified time ($STANDARD_INFORMATION)
 * when it was cached, not a time it ran.
 */
import { TriageError } from '@triage/errors';
import { decodeUtf16le, filetimeInRange, filetimeToIso } from '../lnk/binary.js';
import type { RegistryHive } from '../regf/hive.js';

/**
 * Which layout a cache was written in:
 * - `xp`: Windows XP 32-bit (signature 0xdeadbeef; 96 slots of 552 bytes in LRU order);
 * - `2003`: Server 2003 and XP 64-bit (0xbadc0ffe; entries hold a file size, no flags);
 * - `vista-7-x86` / `vista-7-x64`: Vista and Server 2008 (0xbadc0ffe) or 7 and
 *   Server 2008 R2 (0xbadc0fee), 32- or 64-bit entries with InsertFlags
 *   (`signature` tells the two apart);
 * - `win8.0` (`00ts` entries at 0x80), `win8.1` and Server 2012 R2 (`10ts` at 0x80);
 * - `win10` (header 0x30, `10ts` entries), `win10-creators` (header 0x34: 1703 and later, 11);
 * - `unknown`: none of these; no entries are read.
 */
export type ShimCacheLayout =
  | 'xp'
  | '2003'
  | 'vista-7-x86'
  | 'vista-7-x64'
  | 'win8.0'
  | 'win8.1'
  | 'win10'
  | 'win10-creators'
  | 'unknown';

/** Damage found in a cache and what the parser did about it. */
export interface ShimCacheDiagnostic {
  /** Byte offset in the value's data (0 for a problem with the value as a whole). */
  readonly offset: number;
  /** What is wrong and what the parser did. */
  readonly reason: string;
}

/** One cached file. */
export interface ShimCacheEntry {
  /**
   * The entry's 0-based place in the cache's own order, most recent first:
   * the LRU array's order on XP (not the slot order), the table or stream
   * order elsewhere. An entry skipped for damage leaves its number unused,
   * so positions can have gaps; they always increase.
   */
  readonly position: number;
  /** The path as stored (`\??\C:\Windows\system32\cmd.exe`, `SYSVOL\…` on 8.x, `C:\…` on 10); lone UTF-16 surrogates become U+FFFD. */
  readonly path: string;
  /** The file's $STANDARD_INFORMATION last-modified time stored in the entry (ISO 8601 UTC, 7 fractional digits), or null when 0 or out of range. */
  readonly lastModified: string | null;
  /**
   * Whether the entry says the file was executed: InsertFlags bit 0x2 on
   * Vista, 7 and 8.x; on 10 the last 4 bytes of the entry's data (1 true, 0
   * false, any other value null); null on XP and 2003, which have no such flag.
   */
  readonly executed: boolean | null;
  /** The size of the entry's data blob (7: the declared size; 8.x and 10: the data field's size); 0 for layouts without one. */
  readonly dataSize: number;
  /** Where the entry starts in the value (on XP, its slot: `400 + 552 × slot`). */
  readonly offset: number;
  /** The file size the entry records (XP and 2003), else null. */
  readonly fileSize: number | null;
  /** XP's "last update" time of the entry (ISO 8601 UTC), else null. */
  readonly lastUpdated: string | null;
  /** The raw InsertFlags (Vista, 7, 8.x), else null. */
  readonly insertFlags: number | null;
}

/** A parsed AppCompatCache value. */
export interface ShimCache {
  readonly layout: ShimCacheLayout;
  /**
   * The number that told the layout: the first 4 bytes (0xdeadbeef,
   * 0xbadc0ffe, 0xbadc0fee; for `unknown`, whatever is there) or, for 8.x and
   * 10, the first entry's signature read as a little-endian number
   * (`00ts` 0x73743030, `10ts` 0x73743031).
   */
  readonly signature: number;
  /** The entries in {@link ShimCacheEntry.position} order. */
  readonly entries: readonly ShimCacheEntry[];
  /** Damage found; empty for a sound value. */
  readonly diagnostics: readonly ShimCacheDiagnostic[];
  /** 32 or 64 for the layouts whose entries depend on it (XP is 32), null for 8.x and 10 and when no entry tells. */
  readonly bits: 32 | 64 | null;
  /** The entry count the header declares (XP: entries in use; 8.x has none: null). */
  readonly declaredCount: number | null;
  /** For {@link readShimCache}: the key the value was read from (`ControlSet001\Control\Session Manager\AppCompatCache`); null from {@link parseAppCompatCache}. */
  readonly keyPath: string | null;
}

/** Options for {@link parseAppCompatCache} and {@link readShimCache}. */
export interface ShimCacheOptions {
  /**
   * Most entries read; the rest is left with a diagnostic. Windows keeps at
   * most 96 (XP), 512 (2003) or 1,024 (Vista and later). Default 16,384; 1 to 1,048,576.
   */
  readonly maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 16_384;

const XP_SIGNATURE = 0xdeadbeef;
const NT52_SIGNATURE = 0xbadc0ffe; // Server 2003, XP 64-bit, Vista, Server 2008
const NT61_SIGNATURE = 0xbadc0fee; // 7, Server 2008 R2
const SIG_00TS = 0x73743030; // "00ts"
const SIG_10TS = 0x73743031; // "10ts"

const XP_HEADER = 400;
const XP_SLOTS = 96;
const XP_ENTRY = 552;
const XP_PATH_BYTES = 528; // 2 × (MAX_PATH + 4)
const WIN8_HEADER = 0x80;
/** InsertFlags bit set when CSRSS created a process for the file (Mandiant: "executed"). */
const INSERT_FLAG_EXECUTED = 0x2;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Reads and records, shared by the layouts. */
class CacheParse {
  readonly view: DataView;
  readonly diagnostics: ShimCacheDiagnostic[] = [];
  readonly entries: ShimCacheEntry[] = [];

  constructor(
    readonly bytes: Uint8Array,
    readonly maxEntries: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  has(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && offset + length <= this.bytes.length;
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** A u64 as a number; values above 2^53 (never a real offset or size) become Infinity, which fails every bound check. */
  u64n(offset: number): number {
    const value = this.view.getBigUint64(offset, true);
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.POSITIVE_INFINITY;
  }

  diag(offset: number, reason: string): void {
    this.diagnostics.push({ offset, reason });
  }

  /** A FILETIME field as ISO, null for 0; a value past year 9999 is damage. */
  time(offset: number, what: string): string | null {
    const raw = this.view.getBigUint64(offset, true);
    if (raw !== 0n && !filetimeInRange(raw)) {
      this.diag(offset, `${what} 0x${raw.toString(16)} is past year 9999; left out`);
    }
    return filetimeToIso(raw);
  }

  /** UTF-16LE from `start` to `end` (or to the first NUL when `terminated`); lone surrogates replaced and reported. */
  text(start: number, end: number, terminated: boolean): { text: string; terminated: boolean } {
    const s = decodeUtf16le(this.bytes, start, end, terminated);
    if (s.loneSurrogates > 0) {
      this.diag(
        start,
        `path has ${s.loneSurrogates} lone UTF-16 surrogate(s) (first 0x${(s.firstLoneSurrogate ?? 0).toString(16)}), replaced with U+FFFD`,
      );
    }
    return { text: s.text, terminated: s.terminated };
  }

  /** Whether another entry may be added; records the limit once when reached. */
  roomFor(offset: number): boolean {
    if (this.entries.length < this.maxEntries) return true;
    this.diag(offset, `stopped after ${this.maxEntries} entries (maxEntries); the rest is not read`);
    return false;
  }

  allZero(from: number): boolean {
    for (let i = from; i < this.bytes.length; i++) if (this.bytes[i] !== 0) return false;
    return true;
  }

  result(
    layout: ShimCacheLayout,
    signature: number,
    bits: 32 | 64 | null,
    declaredCount: number | null,
  ): ShimCache {
    return {
      layout,
      signature: signature >>> 0,
      entries: this.entries,
      diagnostics: this.diagnostics,
      bits,
      declaredCount,
      keyPath: null,
    };
  }
}

function checkMaxEntries(options: ShimCacheOptions, caller: string): number {
  const value = options.maxEntries;
  if (value === undefined) return DEFAULT_MAX_ENTRIES;
  if (!Number.isSafeInteger(value) || value < 1 || value > 1 << 20) {
    throw new TriageError('INVALID_ARGUMENT', `${caller}: maxEntries must be an integer from 1 to 1048576.`, {
      context: { option: 'maxEntries', value: String(value) },
    });
  }
  return value;
}

/**
 * Windows XP 32-bit (Mandiant, "Windows XP 32-bit"; libyal "Windows XP"): a
 * 400-byte header (signature, 96 at 4, entries in use at 8, the LRU array of
 * slot numbers at 16, most recent first) and 96 slots of 552 bytes: the path
 * (528 bytes, NUL-terminated), last modified, file size, last update. The
 * entries are read in LRU order; slots the LRU array does not list are not read.
 */
function parseXp(p: CacheParse): ShimCache {
  if (p.length < 16) {
    p.diag(0, `the value is ${p.length} bytes: the 400-byte XP header is cut short before its LRU array`);
    return p.result('xp', XP_SIGNATURE, 32, null);
  }
  const slotsField = p.u32(4);
  if (slotsField !== XP_SLOTS) {
    p.diag(
      4,
      `the header says ${slotsField} slots; the XP layout has 96 (the 400-byte header holds 96 LRU numbers)`,
    );
  }
  const declared = p.u32(8);
  let count = declared;
  if (count > XP_SLOTS) {
    p.diag(8, `the header says ${count} entries in use, more than the 96 slots; 96 read`);
    count = XP_SLOTS;
  }
  const full = XP_HEADER + XP_SLOTS * XP_ENTRY;
  if (p.length < full) {
    p.diag(
      Math.min(p.length, XP_HEADER),
      `the value is ${p.length} bytes; the header and 96 slots take ${full}: slots past the end cannot be read`,
    );
  } else if (p.length > full) {
    p.diag(full, `${p.length - full} bytes after the 96th slot are not read`);
  }
  const seen = new Set<number>();
  for (let rank = 0; rank < count; rank++) {
    const lruAt = 16 + rank * 4;
    if (!p.has(lruAt, 4)) {
      p.diag(Math.min(lruAt, p.length), `the LRU array is cut short after ${rank} of ${count} entries`);
      break;
    }
    const slot = p.u32(lruAt);
    if (slot >= XP_SLOTS) {
      p.diag(lruAt, `LRU entry ${rank} names slot ${slot === 0xffffffff ? -1 : slot}, not 0 to 95; skipped`);
      continue;
    }
    if (seen.has(slot)) {
      p.diag(lruAt, `LRU entry ${rank} names slot ${slot} a second time; skipped`);
      continue;
    }
    seen.add(slot);
    const at = XP_HEADER + slot * XP_ENTRY;
    if (!p.has(at, XP_ENTRY)) {
      p.diag(
        Math.min(at, p.length),
        `slot ${slot} (LRU entry ${rank}) runs past the end of the value; skipped`,
      );
      continue;
    }
    if (!p.roomFor(at)) break;
    const path = p.text(at, at + XP_PATH_BYTES, true);
    if (!path.terminated) p.diag(at, `slot ${slot}: the path fills all 528 bytes with no NUL; read as is`);
    if (path.text === '') {
      p.diag(at, `slot ${slot} (LRU entry ${rank}) has an empty path; skipped`);
      continue;
    }
    const size = p.u64n(at + 536);
    if (!Number.isFinite(size)) p.diag(at + 536, `slot ${slot}: file size above 2^53; left out`);
    p.entries.push({
      position: rank,
      path: path.text,
      lastModified: p.time(at + 528, `slot ${slot} last modified time`),
      executed: null,
      dataSize: 0,
      offset: at,
      fileSize: Number.isFinite(size) ? size : null,
      lastUpdated: p.time(at + 544, `slot ${slot} last update time`),
      insertFlags: null,
    });
  }
  return p.result('xp', XP_SIGNATURE, 32, declared);
}

/** The table layouts: where an entry's fields are, by signature and bitness. */
interface TableLayout {
  readonly header: number;
  readonly entrySize: number;
  readonly bits: 32 | 64;
  /** Offset of the FILETIME in an entry; the flags or file size follow it. */
  readonly timeAt: number;
  /** Win7 only: offsets of the data size and data offset. */
  readonly dataSizeAt?: number;
  readonly dataOffsetAt?: number;
}

const TABLES: Record<'nt52' | 'nt61', Record<32 | 64, TableLayout>> = {
  // Mandiant CACHE_ENTRY_NT5 (2H 3L 2L / 2H 4x Q 2L 2L); libyal "Windows 2003", "Windows Vista".
  nt52: {
    32: { header: 8, entrySize: 24, bits: 32, timeAt: 8 },
    64: { header: 8, entrySize: 32, bits: 64, timeAt: 16 },
  },
  // Mandiant CACHE_ENTRY_NT6 (2H 7L / 2H 4x Q 4L 2Q); libyal "Windows 7".
  nt61: {
    32: { header: 128, entrySize: 32, bits: 32, timeAt: 8, dataSizeAt: 24, dataOffsetAt: 28 },
    64: { header: 128, entrySize: 48, bits: 64, timeAt: 16, dataSizeAt: 32, dataOffsetAt: 40 },
  },
};

/** The path UNICODE_STRING of a table entry: length, maximum length, buffer offset (relative to the value). */
function pathField(
  p: CacheParse,
  t: TableLayout,
  at: number,
): { length: number; max: number; offset: number } {
  const length = p.u16(at);
  const max = p.u16(at + 2);
  const offset = t.bits === 64 ? p.u64n(at + 8) : p.u32(at + 4);
  return { length, max, offset };
}

/** Whether a table entry read with `t` looks like one: a path of even length inside the value, the x64 padding zero. */
function plausibleEntry(p: CacheParse, t: TableLayout, at: number): boolean {
  if (!p.has(at, t.entrySize)) return false;
  if (t.bits === 64 && p.u32(at + 4) !== 0) return false;
  const path = pathField(p, t, at);
  return (
    path.length > 0 &&
    path.length % 2 === 0 &&
    path.max >= path.length &&
    path.offset >= t.header &&
    path.offset + path.length <= p.length
  );
}

/**
 * 32- or 64-bit entries (Mandiant: a 64-bit UNICODE_STRING is followed by a
 * zero DWORD of padding; a 32-bit one by the buffer offset, which is never
 * 0): the bitness under which more of the first 8 entries look sound; a tie
 * goes by the first entry's padding. Null when there is no entry.
 */
function chooseBits(p: CacheParse, kind: 'nt52' | 'nt61', count: number): 32 | 64 | null {
  const header = TABLES[kind][32].header;
  if (count === 0 || !p.has(header, 8)) return null;
  const sample = Math.min(count, 8);
  const score = (bits: 32 | 64) => {
    const t = TABLES[kind][bits];
    let n = 0;
    for (let i = 0; i < sample; i++) if (plausibleEntry(p, t, header + i * t.entrySize)) n++;
    return n;
  };
  const s32 = score(32);
  const s64 = score(64);
  if (s32 !== s64) return s64 > s32 ? 64 : 32;
  return p.u32(header + 4) === 0 ? 64 : 32;
}

/**
 * The table layouts: NT 5.2/6.0 (0xbadc0ffe: Server 2003 and XP 64-bit with
 * a file size, Vista and Server 2008 with InsertFlags and ShimFlags) and NT
 * 6.1 (0xbadc0fee: 7 and Server 2008 R2, InsertFlags, ShimFlags and a data
 * blob). The count at offset 4, then fixed-size entries whose paths (and 7's
 * data) lie after the table.
 */
function parseTable(p: CacheParse, signature: number): ShimCache {
  const kind = signature === NT61_SIGNATURE ? 'nt61' : 'nt52';
  const header = TABLES[kind][32].header;
  if (p.length < 8) {
    p.diag(0, `the value is ${p.length} bytes: the header is cut short before its entry count`);
    return p.result('vista-7-x86', signature, null, null);
  }
  const declared = p.u32(4);
  if (p.length < header) {
    p.diag(0, `the value is ${p.length} bytes: the ${header}-byte header is cut short`);
    return p.result('vista-7-x86', signature, null, declared);
  }
  const bits = chooseBits(p, kind, declared);
  const t = TABLES[kind][bits ?? 32];
  const fits = Math.floor((p.length - header) / t.entrySize);
  let count = declared;
  if (count > fits) {
    p.diag(
      header + fits * t.entrySize,
      `the header declares ${declared} entries of ${t.entrySize} bytes; only ${fits} fit in the value`,
    );
    count = fits;
  }
  // NT 5.2 vs 6.0 (Mandiant read_nt5_entries): Vista's InsertFlags are at most 3 where 2003 keeps a
  // file size. Mandiant takes any entry above 3 as proof of file sizes; we take most entries, so one
  // damaged entry does not turn a Vista cache into a 2003 one.
  let fileSizes = false;
  if (kind === 'nt52' && count > 0) {
    let above = 0;
    for (let i = 0; i < count; i++) if (p.u32(header + i * t.entrySize + t.timeAt + 8) > 3) above++;
    fileSizes = above * 2 > count;
  }
  const layout: ShimCacheLayout = fileSizes ? '2003' : t.bits === 64 ? 'vista-7-x64' : 'vista-7-x86';
  const tableEnd = header + declared * t.entrySize;
  for (let i = 0; i < count; i++) {
    const at = header + i * t.entrySize;
    if (!p.roomFor(at)) break;
    const field = pathField(p, t, at);
    if (field.length < 2) {
      p.diag(at, `entry ${i} has an empty path (length ${field.length}); skipped`);
      continue;
    }
    if (!p.has(field.offset, 1) || field.offset < header) {
      const where = field.offset < header ? 'points into the header' : 'is outside the value';
      p.diag(at, `entry ${i}: the path at offset ${field.offset} (${field.length} bytes) ${where}; skipped`);
      continue;
    }
    let end = field.offset + field.length;
    if (end > p.length) {
      p.diag(
        at,
        `entry ${i}: the path (${field.length} bytes at ${field.offset}) runs past the end of the value; cut short`,
      );
      end = p.length;
    } else if (field.length % 2 !== 0) {
      p.diag(at, `entry ${i}: odd path length ${field.length}; the last byte is ignored`);
    }
    if (field.offset < tableEnd) {
      p.diag(at, `entry ${i}: the path at offset ${field.offset} lies inside the entry table; read anyway`);
    }
    const path = p.text(field.offset, end, false).text;
    const after = at + t.timeAt + 8;
    let fileSize: number | null = null;
    let insertFlags: number | null = null;
    let dataSize = 0;
    if (fileSizes) {
      const size = p.u64n(after);
      fileSize = Number.isFinite(size) ? size : null;
      if (fileSize === null) p.diag(after, `entry ${i}: file size above 2^53; left out`);
    } else {
      insertFlags = p.u32(after);
    }
    if (t.dataSizeAt !== undefined && t.dataOffsetAt !== undefined) {
      const size = t.bits === 64 ? p.u64n(at + t.dataSizeAt) : p.u32(at + t.dataSizeAt);
      const offset = t.bits === 64 ? p.u64n(at + t.dataOffsetAt) : p.u32(at + t.dataOffsetAt);
      if (size > 0 && !p.has(offset, size)) {
        p.diag(
          at + t.dataSizeAt,
          `entry ${i}: its data (${size} bytes at ${offset}) runs past the end of the value`,
        );
      }
      dataSize = Number.isFinite(size) ? size : 0;
    }
    p.entries.push({
      position: i,
      path,
      lastModified: p.time(at + t.timeAt, `entry ${i} last modified time`),
      executed: insertFlags === null ? null : (insertFlags & INSERT_FLAG_EXECUTED) !== 0,
      dataSize,
      offset: at,
      fileSize,
      lastUpdated: null,
      insertFlags,
    });
  }
  return p.result(layout, signature, bits, declared);
}

/**
 * The entry streams of 8.0, 8.1 and 10 (libyal "Windows 8", "Windows 10";
 * EZ `Windows8x.cs`, `Windows10.cs`): from the header on, entries of
 * signature (4), unknown (4), entry size after these 12 bytes (4), path size
 * (2), path; on 8.x a package name size (2) and name, InsertFlags (4),
 * ShimFlags (4); then last modified (8), data size (4), data. The walk ends
 * at the first place without the signature (zero padding after the last
 * entry is normal).
 */
function parseStream(
  p: CacheParse,
  layout: ShimCacheLayout,
  start: number,
  entrySignature: number,
): ShimCache {
  const win8 = layout === 'win8.0' || layout === 'win8.1';
  let declared: number | null = null;
  if (!win8) {
    const countAt = start === 0x34 ? 0x28 : 0x24;
    declared = p.has(countAt, 4) ? p.u32(countAt) : null;
  }
  const tag = entrySignature === SIG_00TS ? '00ts' : '10ts';
  let at = start;
  let index = 0;
  while (at < p.length) {
    if (!p.has(at, 4) || p.u32(at) !== entrySignature) {
      if (!p.allZero(at)) {
        p.diag(
          at,
          `no "${tag}" entry signature at offset ${at} and the ${p.length - at} bytes from there are not zero padding; not read`,
        );
      }
      break;
    }
    if (!p.roomFor(at)) break;
    if (!p.has(at, 14)) {
      p.diag(at, `entry ${index}: its 14-byte header is cut short by the end of the value`);
      break;
    }
    const entrySize = p.u32(at + 8);
    const pathSize = p.u16(at + 12);
    let q = at + 14;
    if (!p.has(q, pathSize)) {
      p.diag(
        at + 12,
        `entry ${index}: the path (${pathSize} bytes) runs past the end of the value; not read`,
      );
      break;
    }
    if (pathSize % 2 !== 0)
      p.diag(at + 12, `entry ${index}: odd path size ${pathSize}; the last byte is ignored`);
    const path = p.text(q, q + pathSize, false).text;
    q += pathSize;
    let insertFlags: number | null = null;
    if (win8) {
      if (!p.has(q, 2) || !p.has(q + 2, p.u16(q))) {
        p.diag(q, `entry ${index}: the package name runs past the end of the value; not read`);
        break;
      }
      q += 2 + p.u16(q);
      if (!p.has(q, 8)) {
        p.diag(q, `entry ${index}: the flags run past the end of the value; not read`);
        break;
      }
      insertFlags = p.u32(q);
      q += 8;
    }
    if (!p.has(q, 12)) {
      p.diag(q, `entry ${index}: the time and data size run past the end of the value; not read`);
      break;
    }
    const lastModified = p.time(q, `entry ${index} last modified time`);
    const dataSize = p.u32(q + 8);
    const dataAt = q + 12;
    const dataEnd = dataAt + dataSize;
    const dataInside = dataEnd <= p.length;
    if (!dataInside) {
      p.diag(
        q + 8,
        `entry ${index}: its data (${dataSize} bytes) runs past the end of the value; entry kept`,
      );
    }
    let executed: boolean | null = null;
    if (win8) executed = ((insertFlags ?? 0) & INSERT_FLAG_EXECUTED) !== 0;
    else if (dataInside && dataSize >= 4) {
      const flag = p.u32(dataEnd - 4);
      executed = flag === 1 ? true : flag === 0 ? false : null;
    }
    p.entries.push({
      position: index,
      path,
      lastModified,
      executed,
      dataSize,
      offset: at,
      fileSize: null,
      lastUpdated: null,
      insertFlags,
    });
    index++;
    if (!dataInside) break;
    const declaredEnd = at + 12 + entrySize;
    let next = dataEnd;
    if (declaredEnd !== dataEnd) {
      const signatureAt = (o: number) => p.has(o, 4) && p.u32(o) === entrySignature;
      next = signatureAt(declaredEnd) || !signatureAt(dataEnd) ? declaredEnd : dataEnd;
      p.diag(
        at + 8,
        `entry ${index - 1}: the entry size says it ends at ${declaredEnd}, its fields end at ${dataEnd}; the next entry is read at ${next}`,
      );
    }
    at = next;
  }
  if (declared !== null && declared !== p.entries.length) {
    p.diag(start === 0x34 ? 0x28 : 0x24, `the header declares ${declared} entries; ${p.entries.length} read`);
  }
  return p.result(layout, entrySignature, null, declared);
}

function parseWithOptions(data: Uint8Array, maxEntries: number): ShimCache {
  const p = new CacheParse(data, maxEntries);
  const first = p.u32(0);
  if (first === XP_SIGNATURE) return parseXp(p);
  if (first === NT52_SIGNATURE || first === NT61_SIGNATURE) return parseTable(p, first);
  const signatureAt = (offset: number) => (p.has(offset, 4) ? p.u32(offset) : -1);
  if ((first === 0x30 || first === 0x34) && (signatureAt(first) === SIG_10TS || p.allZero(first))) {
    return parseStream(p, first === 0x34 ? 'win10-creators' : 'win10', first, SIG_10TS);
  }
  const at80 = signatureAt(WIN8_HEADER);
  if (at80 === SIG_00TS || at80 === SIG_10TS) {
    // The header size field is 0x80; Windows 8.0 / Server 2012 R2 values have been seen with 0 there.
    if (first !== WIN8_HEADER && first !== 0) {
      p.diag(0, `the header size field is ${hex(first)}, not 0x80 (or 0); entries read from 0x80`);
    }
    return parseStream(p, at80 === SIG_00TS ? 'win8.0' : 'win8.1', WIN8_HEADER, at80);
  }
  p.diag(
    0,
    `unknown signature ${hex(first)}: not 0xdeadbeef, 0xbadc0ffe or 0xbadc0fee, no "10ts" entry after a 0x30/0x34 header and no "00ts"/"10ts" entry at 0x80; no entries read`,
  );
  return p.result('unknown', first, null, null);
}

/**
 * Parses the data of an `AppCompatCache` value in any of the layouts of
 * {@link ShimCacheLayout}. Damage (a table longer than the value, a path or
 * data past the end, a bad LRU slot, an unknown signature) becomes a
 * diagnostic and what is readable is returned.
 *
 * @param data - the value's bytes
 * @param options - `maxEntries` (default 16,384)
 * @returns the layout, its entries (most recent first) and the diagnostics
 * @throws DATA_INVALID when `data` has fewer than 4 bytes (no signature: not an AppCompatCache value)
 * @throws INVALID_ARGUMENT when `data` is not a Uint8Array or `maxEntries` is out of range
 */
export function parseAppCompatCache(data: Uint8Array, options: ShimCacheOptions = {}): ShimCache {
  if (!(data instanceof Uint8Array)) {
    throw new TriageError('INVALID_ARGUMENT', 'parseAppCompatCache: data must be a Uint8Array.');
  }
  const maxEntries = checkMaxEntries(options, 'parseAppCompatCache');
  if (data.length < 4) {
    throw new TriageError(
      'DATA_INVALID',
      `An AppCompatCache value needs at least a 4-byte signature; this one has ${data.length} bytes.`,
      { context: { size: data.length } },
    );
  }
  return parseWithOptions(data, maxEntries);
}

/**
 * Reads the AppCompatCache of a SYSTEM hive's current control set only:
 * `Select\Current` names it (1 → `ControlSet001`), and the value is
 * `…\Control\Session Manager\AppCompatCache\AppCompatCache`, or
 * `…\Session Manager\AppCompatibility\AppCompatCache` on XP. Other control
 * sets (older copies, usually) are not read.
 *
 * A value too short for a signature is returned as layout `unknown` with a
 * diagnostic, not thrown; a value the hive could not read in full is parsed
 * as far as it goes, with a diagnostic (the hive's own diagnostics say why).
 *
 * @param system - the SYSTEM hive
 * @param options - as for {@link parseAppCompatCache}
 * @returns the parsed cache with its `keyPath`, or null when `Select\Current`
 *   is missing or not a control set number (1 to 999), or the control set has no such value
 * @throws IO_ERROR when the hive's source cannot be read
 * @throws INVALID_ARGUMENT when `maxEntries` is out of range
 */
export async function readShimCache(
  system: RegistryHive,
  options: ShimCacheOptions = {},
): Promise<ShimCache | null> {
  const maxEntries = checkMaxEntries(options, 'readShimCache');
  const current = (await (await system.key('Select'))?.value('Current'))?.asNumber();
  if (typeof current !== 'number' || !Number.isInteger(current) || current < 1 || current > 999) return null;
  const controlSet = `ControlSet${String(current).padStart(3, '0')}`;
  for (const keyName of ['AppCompatCache', 'AppCompatibility']) {
    const keyPath = `${controlSet}\\Control\\Session Manager\\${keyName}`;
    const value = await (await system.key(keyPath))?.value('AppCompatCache');
    if (!value) continue;
    const notes: ShimCacheDiagnostic[] = [];
    if (value.damaged) {
      notes.push({
        offset: 0,
        reason: `the hive could not give the value's data in full (${value.data.length} of ${value.dataSize} bytes; see the hive's diagnostics); parsed as far as it goes`,
      });
    }
    if (value.type !== 'REG_BINARY') {
      notes.push({
        offset: 0,
        reason: `the value's type is ${String(value.type)}, not REG_BINARY; parsed anyway`,
      });
    }
    if (value.data.length < 4) {
      notes.push({
        offset: 0,
        reason: `the value has ${value.data.length} bytes, too few for a signature; no entries read`,
      });
      return {
        layout: 'unknown',
        signature: 0,
        entries: [],
        diagnostics: notes,
        bits: null,
        declaredCount: null,
        keyPath,
      };
    }
    const cache = parseWithOptions(value.data, maxEntries);
    return { ...cache, diagnostics: [...notes, ...cache.diagnostics], keyPath };
  }
  return null;
}
