/**
 * Builds AppCompatCache values in each layout the parser reads (see
 * `src/shimcache/README.md` for the sources), for tests: XP (0xdeadbeef),
 * NT 5.2/6.0 (0xbadc0ffe, 2003 with file sizes or Vista with flags, x86 or
 * x64), NT 6.1 (0xbadc0fee, 7 x86 or x64, with data blobs), 8.0/8.1
 * (`00ts`/`10ts` at 0x80) and 10 (header 0x30 or 0x34). Each returns the
 * bytes and where each entry (and its path) was written, so a test can damage
 * exactly one field.
 */
import { type BuildHiveOptions, type BuildKey, buildHive, le32 } from './hive-builder.js';
import { Bytes } from './lnk-builder.js';

/** 2022-06-18T04:26:40Z as a FILETIME. */
export const SHIM_FILETIME = 133_000_000_000_000_000n;

/** One entry to write; fields a layout has no room for are ignored. */
export interface ShimEntrySpec {
  readonly path: string;
  /** Default {@link SHIM_FILETIME}. */
  readonly lastModified?: bigint;
  /** Vista, 7, 8.x. Default 0x2 (executed). */
  readonly insertFlags?: number;
  /** Vista, 7, 8.x. Default 0. */
  readonly shimFlags?: number;
  /** XP, 2003. Default 4096. */
  readonly fileSize?: bigint;
  /** XP. Default {@link SHIM_FILETIME} + 1 s. */
  readonly lastUpdated?: bigint;
  /** 7, 8.x, 10. Default none (10: 4 bytes, 1 = executed, when `executed` is set). */
  readonly data?: Uint8Array;
  /** 8.x package name. Default none. */
  readonly packageName?: string;
}

/** A built value and where its parts are. */
export interface BuiltShimCache {
  readonly bytes: Uint8Array;
  /** Offset of each entry (XP: of its slot, in slot order). */
  readonly entryOffsets: readonly number[];
  /** Offset of each entry's path string. */
  readonly pathOffsets: readonly number[];
}

const utf16 = (s: string) => new Bytes().utf16(s, false).done();

/**
 * XP 32-bit: 400-byte header (0xdeadbeef, 96, count, 0, LRU array of 96
 * slot numbers, -1 when unused) and 96 slots of 552 bytes. Entry `i` goes
 * into slot `i`; `lru` lists the slots most recent first (default: slot order).
 */
export function buildXpCache(
  entries: readonly ShimEntrySpec[],
  options: { lru?: readonly number[]; count?: number; slots?: number } = {},
): BuiltShimCache {
  const lru = options.lru ?? entries.map((_, i) => i);
  const head = new Bytes()
    .u32(0xdeadbeef)
    .u32(options.slots ?? 96)
    .u32(options.count ?? lru.length)
    .u32(0);
  for (let i = 0; i < 96; i++) head.u32(lru[i] ?? 0xffffffff);
  const out = new Uint8Array(400 + 96 * 552);
  out.set(head.done());
  const entryOffsets: number[] = [];
  entries.forEach((e, i) => {
    const at = 400 + i * 552;
    const path = utf16(e.path);
    out.set(path.subarray(0, 528), at);
    const tail = new Bytes()
      .u64(e.lastModified ?? SHIM_FILETIME)
      .u64(e.fileSize ?? 4096n)
      .u64(e.lastUpdated ?? SHIM_FILETIME + 10_000_000n)
      .done();
    out.set(tail, at + 528);
    entryOffsets.push(at);
  });
  return { bytes: out, entryOffsets, pathOffsets: entryOffsets };
}

/**
 * The table layouts: 0xbadc0ffe (8-byte header; entries of 24 or 32 bytes
 * holding a file size for `2003` or InsertFlags/ShimFlags for `vista`) and
 * 0xbadc0fee (`win7`: 128-byte header; entries of 32 or 48 bytes with a data
 * size and offset). Paths (and data) follow the table, in entry order.
 */
export function buildTableCache(
  kind: '2003' | 'vista' | 'win7',
  bits: 32 | 64,
  entries: readonly ShimEntrySpec[],
  options: { count?: number } = {},
): BuiltShimCache {
  const header = kind === 'win7' ? 128 : 8;
  const entrySize = kind === 'win7' ? (bits === 64 ? 48 : 32) : bits === 64 ? 32 : 24;
  const tableEnd = header + entries.length * entrySize;
  const heap = new Bytes();
  const table = new Bytes();
  const entryOffsets: number[] = [];
  const pathOffsets: number[] = [];
  entries.forEach((e, i) => {
    entryOffsets.push(header + i * entrySize);
    const path = utf16(e.path);
    const pathAt = tableEnd + heap.length;
    pathOffsets.push(pathAt);
    heap.bytes(path).u16(0);
    const data = e.data ?? new Uint8Array(0);
    const dataAt = data.length > 0 ? tableEnd + heap.length : 0;
    heap.bytes(data);
    while (heap.length % 4 !== 0) heap.u8(0);
    table.u16(path.length).u16(path.length + 2);
    if (bits === 64) table.u32(0).u64(BigInt(pathAt));
    else table.u32(pathAt);
    table.u64(e.lastModified ?? SHIM_FILETIME);
    if (kind === '2003') table.u64(e.fileSize ?? 4096n);
    else table.u32(e.insertFlags ?? 0x2).u32(e.shimFlags ?? 0);
    if (kind === 'win7') {
      if (bits === 64) table.u64(BigInt(data.length)).u64(BigInt(dataAt));
      else table.u32(data.length).u32(dataAt);
    }
  });
  const head = new Bytes()
    .u32(kind === 'win7' ? 0xbadc0fee : 0xbadc0ffe)
    .u32(options.count ?? entries.length);
  if (kind === 'win7') head.u32(120).zeros(116);
  const bytes = new Bytes().bytes(head.done()).bytes(table.done()).bytes(heap.done()).done();
  return { bytes, entryOffsets, pathOffsets };
}

/**
 * 8.0 (`00ts`) and 8.1 (`10ts`): a 128-byte header whose first DWORD is 0x80
 * (or `headerDword`, e.g. 0 as in some 8.0 values), then entries of
 * signature, a 4-byte hash, the size after these 12 bytes, path size, path,
 * package name size and name, InsertFlags, ShimFlags, time, data size, data.
 */
export function buildWin8Cache(
  version: '8.0' | '8.1',
  entries: readonly ShimEntrySpec[],
  options: { headerDword?: number; padding?: number } = {},
): BuiltShimCache {
  const out = new Bytes().u32(options.headerDword ?? 0x80).zeros(0x7c);
  const entryOffsets: number[] = [];
  const pathOffsets: number[] = [];
  for (const e of entries) {
    const path = utf16(e.path);
    const pkg = utf16(e.packageName ?? '');
    const data = e.data ?? new Uint8Array(0);
    const body = new Bytes()
      .u16(path.length)
      .bytes(path)
      .u16(pkg.length)
      .bytes(pkg)
      .u32(e.insertFlags ?? 0x2)
      .u32(e.shimFlags ?? 0)
      .u64(e.lastModified ?? SHIM_FILETIME)
      .u32(data.length)
      .bytes(data)
      .done();
    entryOffsets.push(out.length);
    pathOffsets.push(out.length + 14);
    out
      .latin1(version === '8.0' ? '00ts' : '10ts', false)
      .u32(0x12345678)
      .u32(body.length)
      .bytes(body);
  }
  out.zeros(options.padding ?? 0);
  return { bytes: out.done(), entryOffsets, pathOffsets };
}

/**
 * Windows 10: a header of 0x30 bytes (count at 0x24) or 0x34 (Creators
 * Update; count at 0x28), then `10ts` entries of signature, hash, size, path
 * size, path, time, data size, data. `executed` sets the last DWORD of a
 * 4-byte-or-longer data blob (default data: 4 bytes holding 1 when
 * `executed`, 0 otherwise).
 */
export function buildWin10Cache(
  entries: readonly (ShimEntrySpec & { executed?: boolean })[],
  options: { headerSize?: 0x30 | 0x34; count?: number; padding?: number } = {},
): BuiltShimCache {
  const headerSize = options.headerSize ?? 0x30;
  const header = new Uint8Array(headerSize);
  const view = new DataView(header.buffer);
  view.setUint32(0, headerSize, true);
  view.setUint32(headerSize === 0x34 ? 0x28 : 0x24, options.count ?? entries.length, true);
  const out = new Bytes().bytes(header);
  const entryOffsets: number[] = [];
  const pathOffsets: number[] = [];
  for (const e of entries) {
    const path = utf16(e.path);
    const data = Uint8Array.from(e.data ?? new Uint8Array(4));
    if (e.executed !== undefined && data.length >= 4) {
      new DataView(data.buffer).setUint32(data.length - 4, e.executed ? 1 : 0, true);
    }
    const body = new Bytes()
      .u16(path.length)
      .bytes(path)
      .u64(e.lastModified ?? SHIM_FILETIME)
      .u32(data.length)
      .bytes(data)
      .done();
    entryOffsets.push(out.length);
    pathOffsets.push(out.length + 14);
    out.latin1('10ts', false).u32(0x9abcdef0).u32(body.length).bytes(body);
  }
  out.zeros(options.padding ?? 0);
  return { bytes: out.done(), entryOffsets, pathOffsets };
}

/** Writes a little-endian u32 into built bytes (for damage). */
export function poke32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0, true);
}

/** Writes a little-endian u16 into built bytes (for damage). */
export function poke16(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint16(offset, value, true);
}

/**
 * A SYSTEM hive holding AppCompatCache values: `Select` with `Current`
 * (left out when undefined) and `Default` 1, and per control set its value
 * under `Control\Session Manager\<key>` (`AppCompatCache`, or
 * `AppCompatibility` as on XP).
 */
export function buildSystemHive(
  current: number | undefined,
  sets: Readonly<
    Record<string, { readonly key?: string; readonly data: Uint8Array; readonly type?: number }>
  >,
  options: BuildHiveOptions = {},
): Uint8Array {
  const subkeys: BuildKey[] = [];
  if (current !== undefined) {
    subkeys.push({
      name: 'Select',
      values: [
        { name: 'Current', type: 4, data: le32(current) },
        { name: 'Default', type: 4, data: le32(1) },
      ],
    });
  }
  for (const [name, value] of Object.entries(sets)) {
    subkeys.push({
      name,
      subkeys: [
        {
          name: 'Control',
          subkeys: [
            {
              name: 'Session Manager',
              subkeys: [
                {
                  name: value.key ?? 'AppCompatCache',
                  values: [{ name: 'AppCompatCache', type: value.type ?? 3, data: value.data }],
                },
              ],
            },
          ],
        },
      ],
    });
  }
  return buildHive({ name: 'ROOT', subkeys }, options).bytes;
}
