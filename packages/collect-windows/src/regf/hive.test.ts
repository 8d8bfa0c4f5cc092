/**
 * The regf reader on tiny hives built in memory: every value type, both name
 * encodings, each subkey list kind, big data, class names, security, and
 * each kind of damage becoming a diagnostic instead of an exception.
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import {
  type BuildKey,
  buildHive,
  DEFAULT_FILETIME,
  fixChecksum,
  le32,
  le64,
  multiSz,
  patch16,
  patch32,
  utf16,
} from '../testing/hive-builder.js';
import type { HiveDiagnosticCode } from './diagnostics.js';
import { openHive, type RegistryHive } from './hive.js';
import { REGISTRY_VALUE_TYPES as T } from './value.js';
import { walkHive } from './walk.js';

function open(bytes: Uint8Array, options: Parameters<typeof openHive>[1] = {}): Promise<RegistryHive> {
  return openHive(bufferSource(bytes, 'built'), options);
}

function codes(hive: RegistryHive): HiveDiagnosticCode[] {
  return hive.diagnostics.map((d) => d.code);
}

const BIG = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 7 + 3) & 0xff);

const TREE: BuildKey = {
  name: 'ROOT',
  subkeys: [
    {
      name: 'Software',
      list: 'lf',
      subkeys: [
        {
          name: 'Microsoft',
          list: 'li',
          subkeys: [
            {
              name: 'Windows',
              subkeys: [
                {
                  name: 'CurrentVersion',
                  list: 'ri',
                  subkeys: [
                    { name: 'App Paths' },
                    { name: 'Explorer' },
                    { name: 'Policies' },
                    {
                      name: 'Run',
                      values: [
                        { name: 'Updater', type: T.REG_SZ, data: utf16('C:\\upd\\svchost.exe -k netsvcs') },
                      ],
                    },
                    { name: 'RunOnce' },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
    {
      name: 'Values',
      classname: 'GenericClass',
      lastWritten: 132_000_000_000_123_456n,
      values: [
        { name: '', type: T.REG_SZ, data: utf16('default value') },
        { name: 'none', type: T.REG_NONE, data: Uint8Array.of(1, 2, 3, 4, 5) },
        { name: 'sz', type: T.REG_SZ, data: utf16('Windows 10 Pro') },
        { name: 'expand', type: T.REG_EXPAND_SZ, data: utf16('%windir%\\system32\\x.exe') },
        { name: 'binary', type: T.REG_BINARY, data: Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x00, 0x01) },
        { name: 'dword', type: T.REG_DWORD, data: le32(0xbadc0fee) },
        { name: 'dwordbe', type: T.REG_DWORD_BIG_ENDIAN, data: Uint8Array.of(0x12, 0x34, 0x56, 0x78) },
        { name: 'link', type: T.REG_LINK, data: utf16('\\Registry\\Machine\\System\\ControlSet001', false) },
        { name: 'multi', type: T.REG_MULTI_SZ, data: multiSz(['one', '', 'three']) },
        { name: 'reslist', type: T.REG_RESOURCE_LIST, data: Uint8Array.of(1, 0, 0, 0, 9, 9, 9, 9) },
        { name: 'fullres', type: T.REG_FULL_RESOURCE_DESCRIPTOR, data: Uint8Array.of(2, 0, 0, 0, 8, 8) },
        { name: 'reqlist', type: T.REG_RESOURCE_REQUIREMENTS_LIST, data: Uint8Array.of(3, 0, 0, 0, 7) },
        { name: 'qword', type: T.REG_QWORD, data: le64(0x1234_5678_9abcn) },
        { name: 'qwordbig', type: T.REG_QWORD, data: le64(0xfedcba9876543210n) },
        { name: 'rid', type: 0x1f4, data: new Uint8Array(0) },
        { name: 'tiny', type: T.REG_BINARY, data: Uint8Array.of(0xaa, 0xbb) },
        { name: 'empty', type: T.REG_SZ, data: new Uint8Array(0) },
        { name: 'big', type: T.REG_BINARY, data: BIG },
        { name: 'Grüße', type: T.REG_SZ, data: utf16('latin-1 name') },
        { name: 'emoji🌍', type: T.REG_SZ, data: utf16('utf-16 name') },
        { name: 'odd', type: T.REG_SZ, data: Uint8Array.of(0x41, 0, 0x42, 0, 0x43) },
        { name: 'trailing', type: T.REG_SZ, data: Uint8Array.of(0x41, 0, 0, 0, 0x5a, 0, 0x5a, 0) },
        { name: 'dwordlong', type: T.REG_DWORD, data: new Uint8Array(8) },
      ],
    },
    { name: 'Café', subkeys: [{ name: '🌎🌏🌍' }, { name: 'ω', compressed: false }] },
    {
      name: 'Secured',
      security: Uint8Array.of(
        // revision 1, control SE_SELF_RELATIVE|SE_DACL_PRESENT, owner at 20, group at 36, no SACL/DACL
        1,
        0,
        0x04,
        0x80,
        20,
        0,
        0,
        0,
        36,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        // S-1-5-32-544
        1,
        2,
        0,
        0,
        0,
        0,
        0,
        5,
        32,
        0,
        0,
        0,
        0x20,
        2,
        0,
        0,
        // S-1-5-18
        1,
        1,
        0,
        0,
        0,
        0,
        0,
        5,
        18,
        0,
        0,
        0,
      ),
    },
  ],
};

describe('openHive on a well-formed built hive', () => {
  it('reads the base block, root and paths, with no diagnostics', async () => {
    const built = buildHive(TREE, { primarySequence: 7, fileName: '\\??\\C:\\Users\\x\\ntuser.dat' });
    const hive = await open(built.bytes);
    expect(hive.header).toMatchObject({
      primarySequence: 7,
      secondarySequence: 7,
      majorVersion: 1,
      minorVersion: 5,
      fileType: 0,
      fileFormat: 1,
      rootCellOffset: built.cells.get('nk:'),
      fileName: '\\??\\C:\\Users\\x\\ntuser.dat',
      checksumValid: true,
      lastWrittenFiletime: DEFAULT_FILETIME,
    });
    expect(hive.header.lastWritten.toISOString()).toBe('2022-06-18T04:26:40.000Z');
    expect(hive.dirty).toBe(false);
    const root = await hive.root();
    expect(root?.name).toBe('ROOT');
    expect(root?.path).toBe('');
    expect((await root?.subkeys())?.map((k) => k.name)).toEqual(['Software', 'Values', 'Café', 'Secured']);
    const run = await hive.key('software\\MICROSOFT\\windows\\CurrentVersion\\run');
    expect(run?.path).toBe('Software\\Microsoft\\Windows\\CurrentVersion\\Run');
    expect((await run?.value('UPDATER'))?.asString()).toBe('C:\\upd\\svchost.exe -k netsvcs');
    expect(await hive.key('Software\\Nope')).toBeUndefined();
    expect((await hive.key(''))?.name).toBe('ROOT');
    expect(hive.diagnostics).toEqual([]);
  });

  it('reads each subkey list kind: lf, li, lh and ri over lh leaves', async () => {
    const built = buildHive(TREE);
    const hive = await open(built.bytes);
    const cv = await hive.key('Software\\Microsoft\\Windows\\CurrentVersion');
    expect(cv?.subkeyCount).toBe(5);
    expect((await cv?.subkeys())?.map((k) => k.name)).toEqual([
      'App Paths',
      'Explorer',
      'Policies',
      'Run',
      'RunOnce',
    ]);
    const signature = (label: string) => {
      const at = built.fileOffset(label) + 4;
      return String.fromCharCode(built.bytes[at] ?? 0, built.bytes[at + 1] ?? 0);
    };
    expect(signature('subkeys:Software')).toBe('lf');
    expect(signature('subkeys:Software\\Microsoft')).toBe('li');
    expect(signature('subkeys:Software\\Microsoft\\Windows')).toBe('lh');
    expect(signature('subkeys:Software\\Microsoft\\Windows\\CurrentVersion')).toBe('ri');
    for (const name of ['app paths', 'EXPLORER', 'Policies', 'Run', 'runonce']) {
      expect((await cv?.subkey(name))?.name.toLowerCase()).toBe(name.toLowerCase());
    }
    expect(hive.diagnostics).toEqual([]);
  });

  it('decodes every value type, inline, cell and big data storage, and keeps unknown types as numbers', async () => {
    const hive = await open(buildHive(TREE).bytes);
    const key = await hive.key('Values');
    expect(key?.classname).toBe('GenericClass');
    expect(key?.lastWrittenFiletime).toBe(132_000_000_000_123_456n);
    expect(key?.lastWritten.toISOString()).toBe('2019-04-17T18:40:00.012Z');
    const values = (await key?.values()) ?? [];
    const by = new Map(values.map((v) => [v.name, v]));
    expect(values.map((v) => v.name)).toEqual([
      '',
      'none',
      'sz',
      'expand',
      'binary',
      'dword',
      'dwordbe',
      'link',
      'multi',
      'reslist',
      'fullres',
      'reqlist',
      'qword',
      'qwordbig',
      'rid',
      'tiny',
      'empty',
      'big',
      'Grüße',
      'emoji🌍',
      'odd',
      'trailing',
      'dwordlong',
    ]);
    expect(values.map((v) => v.type)).toEqual([
      'REG_SZ',
      'REG_NONE',
      'REG_SZ',
      'REG_EXPAND_SZ',
      'REG_BINARY',
      'REG_DWORD',
      'REG_DWORD_BIG_ENDIAN',
      'REG_LINK',
      'REG_MULTI_SZ',
      'REG_RESOURCE_LIST',
      'REG_FULL_RESOURCE_DESCRIPTOR',
      'REG_RESOURCE_REQUIREMENTS_LIST',
      'REG_QWORD',
      'REG_QWORD',
      0x1f4,
      'REG_BINARY',
      'REG_SZ',
      'REG_BINARY',
      'REG_SZ',
      'REG_SZ',
      'REG_SZ',
      'REG_SZ',
      'REG_DWORD',
    ]);
    expect(by.get('')?.asString()).toBe('default value');
    expect((await key?.value(''))?.asString()).toBe('default value');
    expect([...(by.get('none')?.data ?? [])]).toEqual([1, 2, 3, 4, 5]);
    expect(by.get('sz')?.asString()).toBe('Windows 10 Pro');
    expect(by.get('expand')?.asString()).toBe('%windir%\\system32\\x.exe');
    expect(by.get('dword')?.asNumber()).toBe(0xbadc0fee);
    expect(by.get('dword')?.storage).toBe('inline');
    expect(by.get('dwordbe')?.asNumber()).toBe(0x12345678);
    expect(by.get('link')?.asString()).toBe('\\Registry\\Machine\\System\\ControlSet001');
    expect(by.get('multi')?.asStrings()).toEqual(['one', '', 'three']);
    expect(by.get('qword')?.asNumber()).toBe(0x1234_5678_9abc);
    expect(by.get('qwordbig')?.asNumber()).toBe(0xfedcba9876543210n);
    expect(by.get('rid')?.typeCode).toBe(0x1f4);
    expect(by.get('rid')?.storage).toBe('empty');
    expect([...(by.get('tiny')?.data ?? [])]).toEqual([0xaa, 0xbb]);
    expect(by.get('tiny')?.storage).toBe('inline');
    expect(by.get('empty')?.asString()).toBe('');
    expect(by.get('big')?.storage).toBe('big-data');
    expect(by.get('big')?.data).toEqual(BIG);
    expect(by.get('Grüße')?.flags).toBe(1);
    expect(by.get('emoji🌍')?.flags).toBe(0);
    // An odd length: the last byte is ignored (libyal 6, "String value data too small").
    expect(by.get('odd')?.asString()).toBe('AB');
    // Data after the first NUL is ignored (libyal 6, "String value data too large").
    expect(by.get('trailing')?.asString()).toBe('A');
    // A DWORD of 8 bytes is not a number (libyal 6, "Integer value data too large").
    expect(by.get('dwordlong')?.asNumber()).toBeUndefined();
    expect(by.get('binary')?.asNumber()).toBeUndefined();
    expect(values.every((v) => !v.damaged)).toBe(true);
    expect(hive.diagnostics).toEqual([]);
  });

  it('reads Latin-1 (compressed) and UTF-16 names of keys and values', async () => {
    const built = buildHive(TREE);
    const hive = await open(built.bytes);
    const cafe = await hive.key('CAFÉ');
    expect(cafe?.name).toBe('Café');
    expect(((cafe?.flags ?? 0) & 0x20) !== 0).toBe(true);
    expect((await cafe?.subkeys())?.map((k) => k.name)).toEqual(['🌎🌏🌍', 'ω']);
    expect((await hive.key('Café\\🌎🌏🌍'))?.flags ?? 0).toBe(0);
    expect((await hive.key('café\\Ω'))?.name).toBe('ω');
    expect((await (await hive.key('Values'))?.value('GRÜSSE'))?.name).toBeUndefined();
    expect((await (await hive.key('Values'))?.value('GRÜßE'))?.name).toBe('Grüße');
  });

  it('reads a big value from one cell in a version 1.3 hive (no big data records before 1.4)', async () => {
    const hive = await open(
      buildHive({ name: 'R', values: [{ name: 'big', type: T.REG_BINARY, data: BIG }] }, { minorVersion: 3 })
        .bytes,
    );
    const value = await (await hive.root())?.value('big');
    expect(value?.storage).toBe('cell');
    expect(value?.data).toEqual(BIG);
  });

  it('reads the key security item: reference count, descriptor, owner and group', async () => {
    const hive = await open(buildHive(TREE).bytes);
    const secured = await hive.key('Secured');
    const security = await secured?.security();
    expect(security).toMatchObject({
      referenceCount: 1,
      owner: 'S-1-5-32-544',
      group: 'S-1-5-18',
      control: 0x8004,
    });
    expect(security?.descriptor.length).toBe(48);
    expect(await (await hive.key('Values'))?.security()).toBeUndefined();
  });

  it('walks every key depth-first, with depth and count limits and pruning', async () => {
    const hive = await open(buildHive(TREE).bytes);
    const paths: string[] = [];
    const all = await walkHive(hive, (key) => {
      paths.push(key.path);
    });
    expect(all).toEqual({ keys: 15, truncated: false, repeats: 0 });
    expect(paths.slice(0, 6)).toEqual([
      '',
      'Software',
      'Software\\Microsoft',
      'Software\\Microsoft\\Windows',
      'Software\\Microsoft\\Windows\\CurrentVersion',
      'Software\\Microsoft\\Windows\\CurrentVersion\\App Paths',
    ]);
    const pruned = await walkHive(hive, (key) => key.name !== 'Software');
    expect(pruned.keys).toBe(15 - 8);
    const shallow = await walkHive(hive, () => undefined, { maxDepth: 1 });
    expect(shallow).toMatchObject({ keys: 5, truncated: true });
    const few = await walkHive(hive, () => undefined, { maxKeys: 3 });
    expect(few).toMatchObject({ keys: 3, truncated: true });
    expect(codes(hive)).toContain('LIMIT');
  });

  it('holds at most cachePages pages', async () => {
    const keys: BuildKey[] = Array.from({ length: 300 }, (_, i) => ({
      name: `k${i}`,
      values: [{ name: 'v', type: T.REG_BINARY, data: new Uint8Array(200).fill(i & 0xff) }],
    }));
    const built = buildHive({ name: 'R', subkeys: keys });
    expect(built.bytes.length).toBeGreaterThan(20 * 4096);
    const hive = await open(built.bytes, { cachePages: 4, readAheadPages: 2 });
    let seen = 0;
    await walkHive(hive, async (key) => {
      for (const v of await key.values()) seen += v.data.length;
      expect(hive.cacheStats.pagesHeld).toBeLessThanOrEqual(4);
    });
    expect(seen).toBe(300 * 200);
  });
});

describe('openHive refuses what is not a hive, and bad options', () => {
  it('throws DATA_INVALID without the regf signature', async () => {
    for (const bytes of [new Uint8Array(0), Uint8Array.of(0x72, 0x65), new Uint8Array(8192)]) {
      const error = await open(bytes).catch((e: unknown) => e);
      expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    }
  });

  it('throws INVALID_ARGUMENT for out-of-range options', async () => {
    const bytes = buildHive({ name: 'R' }).bytes;
    for (const options of [
      { cachePages: 0 },
      { readAheadPages: 0 },
      { cachePages: 4, readAheadPages: 8 },
      { maxListEntries: 0.5 },
    ]) {
      const error = await open(bytes, options).catch((e: unknown) => e);
      expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('throws IO_ERROR when the source fails', async () => {
    const bytes = buildHive({ name: 'R' }).bytes;
    const failing = {
      name: 'failing',
      size: bytes.length,
      read: async () => {
        throw Object.assign(new Error('EIO'), { code: 'EIO' });
      },
      close: async () => undefined,
    };
    const error = await openHive(failing).catch((e: unknown) => e);
    expect(isTriageError(error, 'IO_ERROR')).toBe(true);
  });
});

describe('damage becomes a diagnostic and the rest is read', () => {
  const tree: BuildKey = {
    name: 'R',
    subkeys: [
      { name: 'A' },
      { name: 'B', values: [{ name: 'x', type: T.REG_SZ, data: utf16('fine') }] },
      { name: 'C' },
    ],
    values: [
      { name: 'first', type: T.REG_SZ, data: utf16('first value') },
      { name: 'second', type: T.REG_BINARY, data: new Uint8Array(64).fill(0x42) },
      { name: 'big', type: T.REG_BINARY, data: BIG },
    ],
  };

  it('a values list entry pointing outside the hive bins: that value is skipped', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('values:') + 4, 0x7ffffff0);
    const hive = await open(built.bytes);
    const values = (await (await hive.root())?.values()) ?? [];
    expect(values.map((v) => v.name)).toEqual(['second', 'big']);
    expect(hive.diagnostics).toEqual([
      expect.objectContaining({
        code: 'CELL',
        offset: 4096 + 0x7ffffff0,
        reason: expect.stringMatching(/outside the hive bins/),
      }),
    ]);
  });

  it('a misaligned offset and an offset into the bin header are refused', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('values:') + 4, (built.cells.get('vk::first') ?? 0) + 2);
    patch32(built.bytes, built.fileOffset('values:') + 8, 8);
    const hive = await open(built.bytes);
    expect((await (await hive.root())?.values())?.map((v) => v.name)).toEqual(['big']);
    expect(hive.diagnostics.map((d) => d.reason)).toEqual([
      expect.stringMatching(/not 8-byte aligned/),
      expect.stringMatching(/into a hive bin header/),
    ]);
  });

  it('a cell whose size runs past its hive bin: the key is skipped, its siblings read', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('nk:B'), -0x100000 >>> 0);
    const hive = await open(built.bytes);
    expect((await (await hive.root())?.subkeys())?.map((k) => k.name)).toEqual(['A', 'C']);
    expect(hive.diagnostics).toEqual([
      expect.objectContaining({
        code: 'CELL',
        offset: built.fileOffset('nk:B'),
        reason: expect.stringMatching(/invalid size/),
      }),
    ]);
  });

  it('a wrong record signature: the key node and the value are skipped', async () => {
    const built = buildHive(tree);
    built.bytes[built.fileOffset('nk:A') + 4] = 0x78;
    built.bytes[built.fileOffset('vk::second') + 4] = 0x78;
    const hive = await open(built.bytes);
    const root = await hive.root();
    expect((await root?.subkeys())?.map((k) => k.name)).toEqual(['B', 'C']);
    expect((await root?.values())?.map((v) => v.name)).toEqual(['first', 'big']);
    expect(codes(hive)).toEqual(['KEY', 'VALUE']);
    expect(hive.diagnostics[0]?.reason).toMatch(/signature "xk", not nk/);
  });

  it('a subkey list with a bad signature, a count beyond its cell, or a nested index root', async () => {
    const built = buildHive(tree);
    const list = built.fileOffset('subkeys:');
    patch16(built.bytes, list + 6, 500);
    const hive = await open(built.bytes);
    expect((await (await hive.root())?.subkeys())?.length).toBeGreaterThanOrEqual(3);
    expect(hive.diagnostics[0]).toMatchObject({
      code: 'LIST',
      reason: expect.stringMatching(/declares 500 elements/),
    });

    const bad = buildHive(tree);
    bad.bytes[bad.fileOffset('subkeys:') + 4] = 0x7a;
    const badHive = await open(bad.bytes);
    expect(await (await badHive.root())?.subkeys()).toEqual([]);
    expect(badHive.diagnostics[0]?.reason).toMatch(/not lf, lh, li or ri/);

    const nested = buildHive({
      name: 'R',
      list: 'ri',
      subkeys: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    });
    // Point the second leaf of the index root at the index root itself.
    const ri = nested.fileOffset('subkeys:');
    patch32(nested.bytes, ri + 8 + 4, nested.cells.get('subkeys:') ?? 0);
    const nestedHive = await open(nested.bytes);
    expect((await (await nestedHive.root())?.subkeys())?.map((k) => k.name)).toEqual(['a', 'b']);
    expect(nestedHive.diagnostics.map((d) => d.reason)).toEqual([
      expect.stringMatching(/referenced twice \(a loop\)/),
      expect.stringMatching(/declares 3 subkeys but its lists hold 2/),
    ]);
  });

  it('a loop through the tree (a subkey list naming an ancestor) is walked once', async () => {
    const built = buildHive({ name: 'R', subkeys: [{ name: 'A', subkeys: [{ name: 'B' }] }] });
    // A's list element now points at the root key node.
    patch32(built.bytes, built.fileOffset('subkeys:A') + 8, built.cells.get('nk:') ?? 0);
    const hive = await open(built.bytes);
    const paths: string[] = [];
    const result = await walkHive(hive, (key) => {
      paths.push(key.path);
    });
    expect(paths).toEqual(['', 'A']);
    expect(result).toEqual({ keys: 2, truncated: false, repeats: 1 });
    expect(hive.diagnostics.map((d) => d.reason)).toContainEqual(
      expect.stringMatching(/reached again as "A\\R"/),
    );
  });

  it('a list naming the same key twice, and a values list naming a value twice', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('subkeys:') + 16, built.cells.get('nk:A') ?? 0);
    patch32(built.bytes, built.fileOffset('values:') + 8, built.cells.get('vk::first') ?? 0);
    const hive = await open(built.bytes);
    const root = await hive.root();
    expect((await root?.subkeys())?.map((k) => k.name)).toEqual(['A', 'C']);
    expect((await root?.values())?.map((v) => v.name)).toEqual(['first', 'big']);
    expect(hive.diagnostics.map((d) => d.reason)).toEqual(
      expect.arrayContaining([expect.stringMatching(/listed twice/), expect.stringMatching(/listed twice/)]),
    );
  });

  it('value data larger than its cell is cut short and marked damaged', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('vk::second') + 8, 5000);
    const hive = await open(built.bytes);
    const second = await (await hive.root())?.value('second');
    expect(second?.dataSize).toBe(5000);
    expect(second?.damaged).toBe(true);
    expect(second?.data.length).toBeGreaterThanOrEqual(64);
    expect(second?.data.length).toBeLessThan(5000);
    expect(codes(hive)).toEqual(['VALUE']);
  });

  it('an inline data size above 4 is read as 4 bytes and marked damaged', async () => {
    const built = buildHive({ name: 'R', values: [{ name: 'd', type: T.REG_DWORD, data: le32(7) }] });
    patch32(built.bytes, built.fileOffset('vk::d') + 8, 0x80000009);
    const hive = await open(built.bytes);
    const value = await (await hive.root())?.value('d');
    expect(value?.data.length).toBe(4);
    expect(value?.damaged).toBe(true);
    expect(value?.asNumber()).toBe(7);
    expect(hive.diagnostics[0]?.reason).toMatch(/at most 4 fit/);
  });

  it('a value over maxValueBytes keeps empty data, with a LIMIT diagnostic', async () => {
    const hive = await open(buildHive(tree).bytes, { maxValueBytes: 1000 });
    const values = (await (await hive.root())?.values()) ?? [];
    expect(values.map((v) => [v.name, v.data.length, v.damaged])).toEqual([
      ['first', 24, false],
      ['second', 64, false],
      ['big', 0, true],
    ]);
    expect(hive.diagnostics).toEqual([expect.objectContaining({ code: 'LIMIT' })]);
  });

  it('big data with a missing segment is cut short', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('segments::big') + 4 + 4, 0xffffff00);
    const hive = await open(built.bytes);
    const big = await (await hive.root())?.value('big');
    expect(big?.storage).toBe('big-data');
    expect(big?.damaged).toBe(true);
    expect(big?.data).toEqual(BIG.subarray(0, 16_344));
    expect(codes(hive)).toEqual(['CELL']);
  });

  it('big data with too few segments is cut short', async () => {
    const built = buildHive(tree);
    patch16(built.bytes, built.fileOffset('db::big') + 6, 2);
    const hive = await open(built.bytes);
    const big = await (await hive.root())?.value('big');
    expect(big?.data).toEqual(BIG.subarray(0, 2 * 16_344));
    expect(hive.diagnostics[0]?.reason).toMatch(/2 segments, 3 are needed/);
  });

  it('a key name longer than its cell is cut short', async () => {
    const built = buildHive(tree);
    patch16(built.bytes, built.fileOffset('nk:C') + 4 + 72, 900);
    const hive = await open(built.bytes);
    const names = (await (await hive.root())?.subkeys())?.map((k) => k.name) ?? [];
    expect(names[2]?.startsWith('C')).toBe(true);
    expect(hive.diagnostics[0]?.reason).toMatch(/900-byte name/);
  });

  it('an unallocated (free) cell still referenced is read, with a diagnostic', async () => {
    const built = buildHive(tree);
    const at = built.fileOffset('vk::first');
    patch32(built.bytes, at, -new DataView(built.bytes.buffer).getInt32(at, true));
    const hive = await open(built.bytes);
    expect((await (await hive.root())?.value('first'))?.asString()).toBe('first value');
    expect(hive.diagnostics[0]?.reason).toMatch(/marked unallocated/);
  });

  it('a subkey count that does not match the lists', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, built.fileOffset('nk:') + 4 + 20, 9);
    const hive = await open(built.bytes);
    expect((await (await hive.root())?.subkeys())?.length).toBe(3);
    expect(hive.diagnostics[0]?.reason).toMatch(/declares 9 subkeys but its lists hold 3/);
  });

  it('a broken root cell offset: the key node flagged as root is found by scanning', async () => {
    const built = buildHive(tree);
    patch32(built.bytes, 36, 0x123458);
    fixChecksum(built.bytes);
    const hive = await open(built.bytes);
    const root = await hive.root();
    expect(root?.name).toBe('R');
    expect((await root?.subkeys())?.length).toBe(3);
    expect(codes(hive)).toEqual(['CELL', 'KEY']);
  });

  it('a bad checksum marks the hive dirty', async () => {
    const built = buildHive(tree);
    built.bytes[100] = 1;
    const hive = await open(built.bytes);
    expect(hive.header.checksumValid).toBe(false);
    expect(hive.dirty).toBe(true);
    expect((await hive.root())?.name).toBe('R');
    expect(codes(hive)).toEqual(['BASE_BLOCK']);
  });

  it('a damaged hive bin header is skipped and the next bin found', async () => {
    const first = buildHive({ name: 'R', subkeys: [{ name: 'A' }] });
    // Append a second bin at 4096 and a third after a 512-byte gap (libyal 6, "Misaligned hive bins"),
    // whose offset field says 8192, where it would be without the gap; then break the second's signature.
    const bins = new Uint8Array(first.bytes.length + 4096 + 512 + 4096);
    bins.set(first.bytes);
    const second = first.bytes.length;
    const third = second + 4096 + 512;
    for (const [at, rel] of [
      [second, second - 4096],
      [third, 8192],
    ] as const) {
      bins.set([0x68, 0x62, 0x69, 0x6e], at);
      patch32(bins, at + 4, rel);
      patch32(bins, at + 8, 4096);
      patch32(bins, at + 32, 4096 - 32);
    }
    patch32(bins, 40, bins.length - 4096);
    fixChecksum(bins);
    const clean = await open(bins);
    expect(clean.hiveBins().length).toBe(3);
    expect(clean.diagnostics.map((d) => d.reason)).toEqual([
      expect.stringMatching(/hive bins data size 12800 is not a positive multiple of 4096/),
      expect.stringMatching(/no hive bin signature at hive-bins offset 8192/),
      expect.stringMatching(/skipped 512 bytes/),
      expect.stringMatching(/at hive-bins offset 8704 says it is at 8192/),
    ]);
    bins[second] = 0;
    const damaged = await open(bins);
    expect(damaged.hiveBins().length).toBe(2);
    expect((await damaged.root())?.name).toBe('R');
    expect(damaged.diagnostics[1]?.reason).toMatch(/no hive bin signature at hive-bins offset 4096/);
  });

  it('a truncated file: the hive bins past its end are reported, the rest read', async () => {
    const built = buildHive(tree, { slack: 3 * 4096 });
    const cut = built.bytes.subarray(0, built.bytes.length - 2 * 4096);
    const hive = await open(cut);
    expect((await (await hive.root())?.subkeys())?.length).toBe(3);
    expect(hive.diagnostics.map((d) => d.code)).toContain('HIVE_BIN');
    expect(hive.diagnostics[0]?.reason).toMatch(/truncated/);
  });

  it('a file of just a base block signature has no root and no crash', async () => {
    const bytes = new Uint8Array(600);
    bytes.set([0x72, 0x65, 0x67, 0x66]);
    const hive = await open(bytes);
    expect(await hive.root()).toBeUndefined();
    expect(await hive.key('A\\B')).toBeUndefined();
    expect(codes(hive)).toContain('BASE_BLOCK');
  });

  it('keeps at most maxDiagnostics and counts the rest', async () => {
    const built = buildHive({
      name: 'R',
      values: Array.from({ length: 20 }, (_, i) => ({ name: `v${i}`, type: 1, data: utf16('x') })),
    });
    const list = built.fileOffset('values:') + 4;
    for (let i = 0; i < 20; i++) patch32(built.bytes, list + i * 4, 0x10000000 + i * 8);
    const hive = await open(built.bytes, { maxDiagnostics: 5 });
    expect(await (await hive.root())?.values()).toEqual([]);
    expect(hive.diagnostics.length).toBe(5);
    expect(hive.diagnosticsDropped).toBe(15);
  });
});
