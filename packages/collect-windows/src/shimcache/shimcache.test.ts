/**
 * The AppCompatCache parser on values built in memory
 * (`src/testing/shimcache-builder.ts`): every layout, the fields each one
 * has, and each kind of damage (truncated entries and tables, paths and data
 * past the end, bad LRU slots, unknown signatures); and `readShimCache` on
 * hives built in memory (current control set only, XP's key, absent values).
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { openHive } from '../regf/hive.js';
import { bufferSource } from '../source.js';
import { filetime } from '../testing/lnk-builder.js';
import {
  buildSystemHive,
  buildTableCache,
  buildWin8Cache,
  buildWin10Cache,
  buildXpCache,
  poke16,
  poke32,
  type ShimEntrySpec,
} from '../testing/shimcache-builder.js';
import { parseAppCompatCache, readShimCache, type ShimCache } from './shimcache.js';

const T1 = filetime('2021-03-04T05:06:07Z', 1234567n);
const T2 = filetime('2019-12-31T23:59:59Z');
const T3 = filetime('2009-07-14T01:14:22Z', 8760000n);
const ISO1 = '2021-03-04T05:06:07.1234567Z';
const ISO2 = '2019-12-31T23:59:59.0000000Z';
const ISO3 = '2009-07-14T01:14:22.8760000Z';

const ENTRIES: readonly ShimEntrySpec[] = [
  { path: '\\??\\C:\\Windows\\system32\\cmd.exe', lastModified: T1, insertFlags: 0x2, fileSize: 302_592n },
  { path: '\\??\\C:\\Users\\Public\\mimikatz.exe', lastModified: T2, insertFlags: 0x0, fileSize: 1_250_056n },
  { path: '\\??\\C:\\Windows\\Temp\\a.exe', lastModified: T3, insertFlags: 0x3, fileSize: 73_802n },
];

const reasons = (cache: ShimCache) => cache.diagnostics.map((d) => `${d.offset}: ${d.reason}`);

function expectDataInvalid(data: Uint8Array): void {
  let error: unknown;
  try {
    parseAppCompatCache(data);
  } catch (e) {
    error = e;
  }
  expect(isTriageError(error, 'DATA_INVALID'), String(error)).toBe(true);
}

describe('parseAppCompatCache: each layout', () => {
  it('XP: reads the slots in LRU order (most recent first) with size and last update time', () => {
    const built = buildXpCache(ENTRIES, { lru: [2, 0, 1] });
    const cache = parseAppCompatCache(built.bytes);
    expect(cache).toMatchObject({
      layout: 'xp',
      signature: 0xdeadbeef,
      bits: 32,
      declaredCount: 3,
      keyPath: null,
    });
    expect(cache.diagnostics).toEqual([]);
    expect(cache.entries).toEqual([
      {
        position: 0,
        path: '\\??\\C:\\Windows\\Temp\\a.exe',
        lastModified: ISO3,
        executed: null,
        dataSize: 0,
        offset: 400 + 2 * 552,
        fileSize: 73_802,
        lastUpdated: '2022-06-18T04:26:41.0000000Z',
        insertFlags: null,
      },
      expect.objectContaining({ position: 1, path: ENTRIES[0]?.path, offset: 400, lastModified: ISO1 }),
      expect.objectContaining({ position: 2, path: ENTRIES[1]?.path, offset: 952, fileSize: 1_250_056 }),
    ]);
    // Plain data: survives JSON (no BigInt).
    expect(JSON.parse(JSON.stringify(cache))).toEqual(cache);
  });

  it.each([
    [32, 24],
    [64, 32],
  ] as const)(
    'Server 2003 / XP 64-bit (0xbadc0ffe, %i-bit, %i-byte entries): file sizes, no flags',
    (bits, size) => {
      const built = buildTableCache('2003', bits, ENTRIES);
      expect(built.entryOffsets[1]).toBe(8 + size);
      const cache = parseAppCompatCache(built.bytes);
      expect(cache).toMatchObject({ layout: '2003', signature: 0xbadc0ffe, bits, declaredCount: 3 });
      expect(cache.diagnostics).toEqual([]);
      expect(
        cache.entries.map((e) => [e.position, e.path, e.lastModified, e.fileSize, e.executed, e.insertFlags]),
      ).toEqual([
        [0, ENTRIES[0]?.path, ISO1, 302_592, null, null],
        [1, ENTRIES[1]?.path, ISO2, 1_250_056, null, null],
        [2, ENTRIES[2]?.path, ISO3, 73_802, null, null],
      ]);
    },
  );

  it.each([
    [32, 'vista-7-x86'],
    [64, 'vista-7-x64'],
  ] as const)('Vista / 2008 (0xbadc0ffe, %i-bit): InsertFlags and the executed bit 0x2', (bits, layout) => {
    const cache = parseAppCompatCache(buildTableCache('vista', bits, ENTRIES).bytes);
    expect(cache).toMatchObject({ layout, signature: 0xbadc0ffe, bits, declaredCount: 3 });
    expect(cache.diagnostics).toEqual([]);
    expect(cache.entries.map((e) => [e.path, e.lastModified, e.insertFlags, e.executed, e.fileSize])).toEqual(
      [
        [ENTRIES[0]?.path, ISO1, 2, true, null],
        [ENTRIES[1]?.path, ISO2, 0, false, null],
        [ENTRIES[2]?.path, ISO3, 3, true, null],
      ],
    );
  });

  it.each([
    [32, 'vista-7-x86', 32],
    [64, 'vista-7-x64', 48],
  ] as const)('7 / 2008 R2 (0xbadc0fee, %i-bit): 128-byte header, %s, data blobs', (bits, layout, size) => {
    const entries = ENTRIES.map((e, i) => ({ ...e, data: new Uint8Array(i * 8) }));
    const built = buildTableCache('win7', bits, entries);
    expect(built.entryOffsets).toEqual([128, 128 + size, 128 + 2 * size]);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache).toMatchObject({ layout, signature: 0xbadc0fee, bits, declaredCount: 3 });
    expect(cache.diagnostics).toEqual([]);
    expect(cache.entries.map((e) => [e.offset, e.path, e.lastModified, e.executed, e.dataSize])).toEqual([
      [128, ENTRIES[0]?.path, ISO1, true, 0],
      [128 + size, ENTRIES[1]?.path, ISO2, false, 8],
      [128 + 2 * size, ENTRIES[2]?.path, ISO3, true, 16],
    ]);
  });

  it.each([
    ['8.0', 'win8.0', 0x73743030, 0x80],
    ['8.0', 'win8.0', 0x73743030, 0],
    ['8.1', 'win8.1', 0x73743031, 0x80],
    ['8.1', 'win8.1', 0x73743031, 0],
  ] as const)(
    'Windows %s (%s, header DWORD %i): entries at 0x80, package names skipped, InsertFlags',
    (version, layout, signature, headerDword) => {
      const entries = [
        { path: 'SYSVOL\\Windows\\System32\\LogonUI.exe', lastModified: T1, insertFlags: 0x43 },
        {
          path: 'SYSVOL\\Program Files\\App\\app.exe',
          lastModified: T2,
          insertFlags: 0x55,
          data: new Uint8Array(456),
          packageName: 'Microsoft.App_1.0_x64__8wekyb3d8bbwe',
        },
        { path: 'SYSVOL\\Windows\\System32\\WWAHost.exe', lastModified: 0n, insertFlags: 0x0 },
      ];
      const cache = parseAppCompatCache(
        buildWin8Cache(version, entries, { headerDword, padding: 200 }).bytes,
      );
      expect(cache).toMatchObject({ layout, signature, bits: null, declaredCount: null });
      expect(cache.diagnostics).toEqual([]);
      expect(
        cache.entries.map((e) => [e.position, e.path, e.lastModified, e.insertFlags, e.executed, e.dataSize]),
      ).toEqual([
        [0, entries[0]?.path, ISO1, 0x43, true, 0],
        [1, entries[1]?.path, ISO2, 0x55, false, 456],
        [2, entries[2]?.path, null, 0, false, 0],
      ]);
    },
  );

  it.each([
    [0x30, 'win10', 0x24],
    [0x34, 'win10-creators', 0x28],
  ] as const)(
    'Windows 10 (header size %i, %s): count at %i, executed from the last DWORD of the data',
    (headerSize, layout, countAt) => {
      const entries = [
        {
          path: 'C:\\WINDOWS\\System32\\vds.exe',
          lastModified: T1,
          executed: true,
          data: new Uint8Array(124),
        },
        { path: 'C:\\Users\\x\\Downloads\\tool.exe', lastModified: T2, executed: false },
        {
          path: 'C:\\Windows\\system32\\services.exe',
          lastModified: T3,
          data: Uint8Array.of(0, 0, 0, 0, 2, 0, 0, 0),
        },
        { path: 'Microsoft.App_8wekyb3d8bbwe\t1', lastModified: 0n, data: Uint8Array.of(1, 0) },
      ];
      const built = buildWin10Cache(entries, { headerSize, padding: 64 });
      const cache = parseAppCompatCache(built.bytes);
      expect(cache).toMatchObject({ layout, signature: 0x73743031, bits: null, declaredCount: 4 });
      poke32(built.bytes, countAt, 9);
      expect(reasons(parseAppCompatCache(built.bytes))).toEqual([
        `${countAt}: the header declares 9 entries; 4 read`,
      ]);
      expect(cache.diagnostics).toEqual([]);
      expect(
        cache.entries.map((e) => [e.offset, e.path, e.lastModified, e.executed, e.dataSize, e.insertFlags]),
      ).toEqual([
        [headerSize, entries[0]?.path, ISO1, true, 124, null],
        [expect.any(Number), entries[1]?.path, ISO2, false, 4, null],
        // Neither 0 nor 1 in the last DWORD; too little data for one.
        [expect.any(Number), entries[2]?.path, ISO3, null, 8, null],
        [expect.any(Number), entries[3]?.path, null, null, 2, null],
      ]);
    },
  );

  it('empty caches: no entries and no diagnostics; an empty table cache cannot tell its bitness', () => {
    expect(parseAppCompatCache(buildTableCache('vista', 64, []).bytes)).toMatchObject({
      layout: 'vista-7-x86',
      bits: null,
      declaredCount: 0,
      entries: [],
      diagnostics: [],
    });
    expect(parseAppCompatCache(buildTableCache('win7', 32, []).bytes)).toMatchObject({
      layout: 'vista-7-x86',
      signature: 0xbadc0fee,
      entries: [],
      diagnostics: [],
    });
    expect(parseAppCompatCache(buildWin10Cache([], { headerSize: 0x34 }).bytes)).toMatchObject({
      layout: 'win10-creators',
      declaredCount: 0,
      entries: [],
      diagnostics: [],
    });
    expect(parseAppCompatCache(buildXpCache([]).bytes)).toMatchObject({
      layout: 'xp',
      entries: [],
      diagnostics: [],
    });
  });

  it('2003 or Vista: most entries decide, so one damaged flags field does not turn Vista into 2003', () => {
    const built = buildTableCache('vista', 32, ENTRIES);
    poke32(built.bytes, (built.entryOffsets[1] as number) + 16, 0x1000);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.layout).toBe('vista-7-x86');
    expect(cache.entries[1]?.insertFlags).toBe(0x1000);
    // A real 2003 cache with one file of 2 bytes is still 2003.
    const small = buildTableCache('2003', 64, [...ENTRIES, { path: '\\??\\C:\\x.com', fileSize: 2n }]);
    expect(parseAppCompatCache(small.bytes)).toMatchObject({ layout: '2003', bits: 64 });
  });

  it('x86 or x64: most of the first entries decide, so a damaged first entry does not flip the bitness', () => {
    const built = buildTableCache('win7', 64, ENTRIES);
    poke32(built.bytes, 128 + 4, 0xdead); // the first entry's padding, which x64 detection looks at
    const cache = parseAppCompatCache(built.bytes);
    expect(cache).toMatchObject({ layout: 'vista-7-x64', bits: 64 });
    expect(cache.entries.map((e) => e.path)).toEqual(ENTRIES.map((e) => e.path));
  });
});

describe('parseAppCompatCache: damage', () => {
  it('fewer than 4 bytes is DATA_INVALID (no signature); 4 unknown bytes are layout unknown', () => {
    expectDataInvalid(new Uint8Array(0));
    expectDataInvalid(Uint8Array.of(0xee, 0x0f, 0xdc));
    const cache = parseAppCompatCache(Uint8Array.of(1, 2, 3, 4));
    expect(cache).toMatchObject({ layout: 'unknown', signature: 0x04030201, entries: [] });
    expect(reasons(cache)).toEqual([expect.stringMatching(/^0: unknown signature 0x04030201/)]);
  });

  it('an unknown signature on a long value is layout unknown with a diagnostic, not an exception', () => {
    const bytes = buildWin10Cache(ENTRIES).bytes;
    poke32(bytes, 0, 0x2c); // not 0x30/0x34, and no signature at 0x80
    const cache = parseAppCompatCache(bytes);
    expect(cache).toMatchObject({ layout: 'unknown', signature: 0x2c, entries: [], bits: null });
    expect(cache.diagnostics).toHaveLength(1);
  });

  it('a table declaring more entries than fit: the whole ones are read', () => {
    const built = buildTableCache('win7', 32, ENTRIES, { count: 500 });
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries.length).toBeGreaterThanOrEqual(3);
    expect(cache.entries.slice(0, 3).map((e) => e.path)).toEqual(ENTRIES.map((e) => e.path));
    expect(cache.declaredCount).toBe(500);
    expect(reasons(cache)[0]).toMatch(/declares 500 entries of 32 bytes; only \d+ fit/);
  });

  it('a table entry cut short by the end of the value is not read; the ones before it are', () => {
    const built = buildTableCache('vista', 64, ENTRIES);
    // Cut inside the third entry: its path offsets now point past the end too.
    const cut = built.bytes.subarray(0, (built.entryOffsets[2] as number) + 20);
    const cache = parseAppCompatCache(cut);
    expect(reasons(cache)[0]).toMatch(/declares 3 entries of 32 bytes; only 2 fit/);
    // The paths of the first two lie after the table, now cut off: skipped, each with a diagnostic.
    expect(cache.entries).toEqual([]);
    expect(reasons(cache).slice(1)).toEqual([
      expect.stringMatching(/entry 0: the path at offset \d+ \(\d+ bytes\) is outside the value; skipped/),
      expect.stringMatching(/entry 1: the path at offset \d+ \(\d+ bytes\) is outside the value; skipped/),
    ]);
  });

  it('a path length past the end of the value: the path is cut short, the entry kept', () => {
    const built = buildTableCache('win7', 32, ENTRIES);
    poke16(built.bytes, built.entryOffsets[2] as number, 0xfff0);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries).toHaveLength(3);
    expect(cache.entries[2]?.path.startsWith(ENTRIES[2]?.path ?? '?')).toBe(true);
    expect(reasons(cache)).toEqual([
      expect.stringMatching(
        /entry 2: the path \(65520 bytes at \d+\) runs past the end of the value; cut short/,
      ),
    ]);
  });

  it('a path offset outside the value, into the header, an empty path, an odd length: each said and handled', () => {
    const built = buildTableCache('vista', 32, [...ENTRIES, { path: 'xy' }]);
    poke32(built.bytes, (built.entryOffsets[0] as number) + 4, 0x7fff_0000);
    poke32(built.bytes, (built.entryOffsets[1] as number) + 4, 4);
    poke16(built.bytes, built.entryOffsets[2] as number, 0);
    poke16(built.bytes, built.entryOffsets[3] as number, 3);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries.map((e) => [e.position, e.path])).toEqual([[3, 'x']]);
    expect(reasons(cache)).toEqual([
      expect.stringMatching(/entry 0: the path at offset 2147418112 .* is outside the value; skipped/),
      expect.stringMatching(/entry 1: the path at offset 4 .* points into the header; skipped/),
      expect.stringMatching(/entry 2 has an empty path \(length 0\); skipped/),
      expect.stringMatching(/entry 3: odd path length 3; the last byte is ignored/),
    ]);
  });

  it('Win7 data past the end of the value is reported; the entry is kept with its declared size', () => {
    const built = buildTableCache('win7', 64, ENTRIES);
    const dataSizeAt = (built.entryOffsets[1] as number) + 32;
    built.bytes.set([0, 0, 1, 0, 0, 0, 0, 0], dataSizeAt); // 65,536 bytes
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries[1]?.dataSize).toBe(65_536);
    expect(reasons(cache)).toEqual([
      `${dataSizeAt}: entry 1: its data (65536 bytes at 0) runs past the end of the value`,
    ]);
  });

  it('XP: a bad, repeated or empty LRU slot is skipped (its position stays unused), a short value loses its last slots', () => {
    const built = buildXpCache([...ENTRIES, { path: '' }], { lru: [1, 200, 1, 3, 0xffffffff, 0], count: 6 });
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries.map((e) => [e.position, e.offset])).toEqual([
      [0, 952],
      [5, 400],
    ]);
    expect(reasons(cache)).toEqual([
      '20: LRU entry 1 names slot 200, not 0 to 95; skipped',
      '24: LRU entry 2 names slot 1 a second time; skipped',
      `${400 + 3 * 552}: slot 3 (LRU entry 3) has an empty path; skipped`,
      '32: LRU entry 4 names slot -1, not 0 to 95; skipped',
    ]);

    const short = parseAppCompatCache(
      buildXpCache(ENTRIES, { lru: [2, 1, 0] }).bytes.subarray(0, 400 + 552 + 300),
    );
    expect(short.entries.map((e) => e.path)).toEqual([ENTRIES[0]?.path]);
    expect(reasons(short)).toEqual([
      '400: the value is 1252 bytes; the header and 96 slots take 53392: slots past the end cannot be read',
      '1252: slot 2 (LRU entry 0) runs past the end of the value; skipped',
      '952: slot 1 (LRU entry 1) runs past the end of the value; skipped',
    ]);
  });

  it('XP: an entry count above 96, a wrong slot count, a path without NUL, trailing bytes', () => {
    const built = buildXpCache([{ path: 'A'.repeat(300) }], { count: 1000, slots: 95 });
    const bytes = new Uint8Array(built.bytes.length + 8);
    bytes.set(built.bytes);
    const cache = parseAppCompatCache(bytes);
    expect(cache.entries.map((e) => e.path)).toEqual(['A'.repeat(264)]);
    expect(reasons(cache)).toEqual([
      '4: the header says 95 slots; the XP layout has 96 (the 400-byte header holds 96 LRU numbers)',
      '8: the header says 1000 entries in use, more than the 96 slots; 96 read',
      '53392: 8 bytes after the 96th slot are not read',
      '400: slot 0: the path fills all 528 bytes with no NUL; read as is',
      '20: LRU entry 1 names slot -1, not 0 to 95; skipped',
      ...Array.from(
        { length: 94 },
        (_, i) => `${24 + 4 * i}: LRU entry ${i + 2} names slot -1, not 0 to 95; skipped`,
      ),
    ]);
    // Too short for the LRU array at all.
    const tiny = parseAppCompatCache(buildXpCache(ENTRIES).bytes.subarray(0, 12));
    expect(tiny).toMatchObject({ layout: 'xp', entries: [], declaredCount: null });
    expect(tiny.diagnostics).toHaveLength(1);
  });

  it('8.x / 10: an entry cut in its data is kept; cut in its path or time, the walk stops', () => {
    const entries = ENTRIES.map((e) => ({ ...e, data: new Uint8Array(40) }));
    const built = buildWin10Cache(entries);
    const third = built.entryOffsets[2] as number;
    const inData = parseAppCompatCache(built.bytes.subarray(0, built.bytes.length - 10));
    expect(inData.entries.map((e) => [e.path, e.dataSize, e.executed])).toEqual([
      [ENTRIES[0]?.path, 40, false],
      [ENTRIES[1]?.path, 40, false],
      [ENTRIES[2]?.path, 40, null],
    ]);
    expect(reasons(inData)).toEqual([
      expect.stringMatching(/entry 2: its data \(40 bytes\) runs past the end of the value; entry kept/),
    ]);
    const inPath = parseAppCompatCache(built.bytes.subarray(0, third + 20));
    expect(inPath.entries).toHaveLength(2);
    expect(reasons(inPath)).toEqual([
      `${third + 12}: entry 2: the path (${(ENTRIES[2]?.path.length ?? 0) * 2} bytes) runs past the end of the value; not read`,
      '36: the header declares 3 entries; 2 read',
    ]);
    const inHeader = parseAppCompatCache(built.bytes.subarray(0, third + 6));
    expect(reasons(inHeader)[0]).toBe(
      `${third}: entry 2: its 14-byte header is cut short by the end of the value`,
    );
    const pathEnd = (built.pathOffsets[2] as number) + (ENTRIES[2]?.path.length ?? 0) * 2;
    const inTime = parseAppCompatCache(built.bytes.subarray(0, pathEnd + 4));
    expect(reasons(inTime)[0]).toBe(
      `${pathEnd}: entry 2: the time and data size run past the end of the value; not read`,
    );
  });

  it('8.x: a path size past the end, a package name past the end', () => {
    const built = buildWin8Cache('8.1', ENTRIES);
    poke16(built.bytes, (built.entryOffsets[1] as number) + 12, 0xfffe);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries.map((e) => e.path)).toEqual([ENTRIES[0]?.path]);
    expect(reasons(cache)).toEqual([
      `${(built.entryOffsets[1] as number) + 12}: entry 1: the path (65534 bytes) runs past the end of the value; not read`,
    ]);
    const pkg = buildWin8Cache('8.0', ENTRIES);
    const pkgAt = (pkg.pathOffsets[2] as number) + (ENTRIES[2]?.path.length ?? 0) * 2;
    poke16(pkg.bytes, pkgAt, 0x4000);
    expect(reasons(parseAppCompatCache(pkg.bytes))).toEqual([
      `${pkgAt}: entry 2: the package name runs past the end of the value; not read`,
    ]);
  });

  it('8.x / 10: a wrong entry size is reported and the walk goes on at the next signature', () => {
    const built = buildWin10Cache(ENTRIES);
    const first = built.entryOffsets[0] as number;
    poke32(built.bytes, first + 8, 3);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries.map((e) => e.path)).toEqual(ENTRIES.map((e) => e.path));
    expect(reasons(cache)).toEqual([
      `${first + 8}: entry 0: the entry size says it ends at ${first + 15}, its fields end at ${built.entryOffsets[1]}; the next entry is read at ${built.entryOffsets[1]}`,
    ]);
  });

  it('8.x / 10: bytes after the last entry that are neither an entry nor zero padding, a count that does not match', () => {
    const built = buildWin10Cache(ENTRIES, { count: 5, padding: 16 });
    built.bytes[built.bytes.length - 3] = 0x41;
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries).toHaveLength(3);
    const end = built.bytes.length - 16;
    expect(reasons(cache)).toEqual([
      `${end}: no "10ts" entry signature at offset ${end} and the 16 bytes from there are not zero padding; not read`,
      '36: the header declares 5 entries; 3 read',
    ]);
  });

  it('8.x: a header size field other than 0x80 or 0 is reported; the entries are read', () => {
    const cache = parseAppCompatCache(buildWin8Cache('8.0', ENTRIES, { headerDword: 0x1234 }).bytes);
    expect(cache.entries).toHaveLength(3);
    expect(reasons(cache)).toEqual([
      '0: the header size field is 0x00001234, not 0x80 (or 0); entries read from 0x80',
    ]);
  });

  it('lone surrogates become U+FFFD; a time past year 9999 is null; both reported', () => {
    const built = buildWin10Cache([{ path: 'C:\\a\uD800b.exe', lastModified: 0xffff_ffff_ffff_ffffn }]);
    const cache = parseAppCompatCache(built.bytes);
    expect(cache.entries[0]).toMatchObject({ path: 'C:\\a\uFFFDb.exe', lastModified: null });
    expect(reasons(cache)).toEqual([
      `${built.pathOffsets[0]}: path has 1 lone UTF-16 surrogate(s) (first 0xd800), replaced with U+FFFD`,
      expect.stringMatching(/entry 0 last modified time 0xffffffffffffffff is past year 9999; left out/),
    ]);
  });

  it('maxEntries stops the read with a diagnostic; out of range or a non-Uint8Array is INVALID_ARGUMENT', () => {
    for (const bytes of [
      buildXpCache(ENTRIES).bytes,
      buildTableCache('win7', 64, ENTRIES).bytes,
      buildWin8Cache('8.1', ENTRIES).bytes,
    ]) {
      const cache = parseAppCompatCache(bytes, { maxEntries: 2 });
      expect(cache.entries).toHaveLength(2);
      expect(reasons(cache)).toEqual([expect.stringMatching(/stopped after 2 entries \(maxEntries\)/)]);
    }
    for (const maxEntries of [0, 1.5, 2 ** 21]) {
      expect(() => parseAppCompatCache(buildXpCache([]).bytes, { maxEntries })).toThrow(/maxEntries/);
    }
    let error: unknown;
    try {
      parseAppCompatCache('0xbadc0fee' as unknown as Uint8Array);
    } catch (e) {
      error = e;
    }
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('reads a value inside a larger buffer (a subarray) at its own offsets', () => {
    const inner = buildTableCache('win7', 32, ENTRIES).bytes;
    const outer = new Uint8Array(inner.length + 13);
    outer.set(inner, 13);
    const cache = parseAppCompatCache(outer.subarray(13));
    expect(cache.entries.map((e) => e.path)).toEqual(ENTRIES.map((e) => e.path));
    expect(cache.diagnostics).toEqual([]);
  });
});

/** A SYSTEM-like hive: Select\Current and control sets holding the given AppCompatCache values. */
function systemHive(
  current: number | undefined,
  sets: Record<string, { key?: string; data: Uint8Array; type?: number }>,
) {
  return openHive(bufferSource(buildSystemHive(current, sets), 'SYSTEM'));
}

describe('readShimCache', () => {
  const one = buildTableCache('win7', 64, ENTRIES.slice(0, 1)).bytes;
  const two = buildWin10Cache(ENTRIES.slice(1)).bytes;

  it('reads only the control set Select\\Current names', async () => {
    const hive = await systemHive(2, { ControlSet001: { data: one }, ControlSet002: { data: two } });
    const cache = await readShimCache(hive);
    expect(cache).toMatchObject({
      keyPath: 'ControlSet002\\Control\\Session Manager\\AppCompatCache',
      layout: 'win10',
      diagnostics: [],
    });
    expect(cache?.entries.map((e) => e.path)).toEqual([ENTRIES[1]?.path, ENTRIES[2]?.path]);
    const first = await readShimCache(
      await systemHive(1, { ControlSet001: { data: one }, ControlSet002: { data: two } }),
    );
    expect(first?.keyPath).toBe('ControlSet001\\Control\\Session Manager\\AppCompatCache');
    expect(first?.entries.map((e) => e.lastModified)).toEqual([ISO1]);
  });

  it('XP keeps the value under Session Manager\\AppCompatibility', async () => {
    const hive = await systemHive(1, {
      ControlSet001: { key: 'AppCompatibility', data: buildXpCache(ENTRIES).bytes },
    });
    const cache = await readShimCache(hive);
    expect(cache).toMatchObject({
      keyPath: 'ControlSet001\\Control\\Session Manager\\AppCompatibility',
      layout: 'xp',
    });
    expect(cache?.entries).toHaveLength(3);
  });

  it('null when Select\\Current is missing or not a control set number, or the current set has no value', async () => {
    expect(await readShimCache(await systemHive(undefined, { ControlSet001: { data: one } }))).toBeNull();
    expect(await readShimCache(await systemHive(0, { ControlSet001: { data: one } }))).toBeNull();
    expect(await readShimCache(await systemHive(1000, { ControlSet001: { data: one } }))).toBeNull();
    // Current names ControlSet003, which does not exist; ControlSet001's value is not used in its place.
    expect(await readShimCache(await systemHive(3, { ControlSet001: { data: one } }))).toBeNull();
  });

  it('a value too short for a signature is layout unknown, not an exception; another type is said and parsed', async () => {
    const short = await readShimCache(
      await systemHive(1, { ControlSet001: { data: Uint8Array.of(0xee, 0x0f) } }),
    );
    expect(short).toMatchObject({ layout: 'unknown', signature: 0, entries: [] });
    expect(short?.diagnostics.map((d) => d.reason)).toEqual([
      'the value has 2 bytes, too few for a signature; no entries read',
    ]);
    const typed = await readShimCache(await systemHive(1, { ControlSet001: { data: one, type: 0 } }));
    expect(typed?.entries).toHaveLength(1);
    expect(typed?.diagnostics.map((d) => d.reason)).toEqual([
      "the value's type is REG_NONE, not REG_BINARY; parsed anyway",
    ]);
  });

  it('maxEntries out of range is INVALID_ARGUMENT', async () => {
    const hive = await systemHive(1, { ControlSet001: { data: one } });
    await expect(readShimCache(hive, { maxEntries: -1 })).rejects.toThrow(/maxEntries/);
  });
});
