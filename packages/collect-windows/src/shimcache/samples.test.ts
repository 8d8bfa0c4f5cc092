/**
 * Every AppCompatCache sample (the five raw values in `appcompatcache/` and
 * the value in the regipy SYSTEM hive) parses with no diagnostic, and the
 * facts of MANIFEST.json, EXPECTED_tool_output.json and Eric Zimmerman's
 * AppCompatCacheParser tests (`AppCompatCacheParserTest/AppCompatCacheTest.cs`,
 * whose test files these are) hold: layout, counts, paths, path sizes, times
 * and executed flags.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openHive } from '../regf/hive.js';
import { bufferSource } from '../source.js';
import {
  expectedToolOutput,
  listSamples,
  manifest,
  readSample,
  sha256,
  toMicroseconds,
} from '../testing/sample-files.js';
import { parseAppCompatCache, readShimCache, type ShimCache, type ShimCacheEntry } from './shimcache.js';

const FILES = listSamples('appcompatcache');
const MANIFEST = manifest();

interface Expected {
  first_dword: string;
  len: number;
  declared?: number;
  format: string;
  entries: number;
  first: [string, string | null][];
  last: [string, string | null][];
}

/** EXPECTED_tool_output.json's `format` names and our layouts. */
const FORMATS: Record<string, ShimCache['layout']> = {
  WinXP: 'xp',
  // Server 2008 (NT 6.0): its entries hold InsertFlags (all at most 3), not 2003's file sizes.
  'Vista/2003/2008 x64': 'vista-7-x64',
  'Win7/2008R2 x86': 'vista-7-x86',
  'Win8.0/2012': 'win8.0',
  'Win10/11 (hdr 0x30)': 'win10',
};

const u32 = (bytes: Uint8Array, at: number) =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true);

/**
 * The entries in the order the other tools list them: XP by slot (EZ,
 * Mandiant, RegRipper and the EXPECTED helper walk the slots; we give the
 * LRU order, see the README), every other layout as stored.
 */
function toolOrder(cache: ShimCache): ShimCacheEntry[] {
  return cache.layout === 'xp' ? [...cache.entries].sort((a, b) => a.offset - b.offset) : [...cache.entries];
}

const pair = (e: ShimCacheEntry | undefined) => [e?.path, toMicroseconds(e?.lastModified ?? null)];

/** `[N] name.exe exec=Yes PathSize 54` facts from a MANIFEST `contains` text. */
function indexedFacts(
  contains: string,
): { index: number; name: string; executed?: boolean; pathSize?: number }[] {
  return [...contains.matchAll(/\[(\d+)\] ([^\s,)]+)(?: exec=(Yes|No))?(?: PathSize (\d+))?/g)].map((m) => ({
    index: Number(m[1]),
    name: m[2] as string,
    ...(m[3] === undefined ? {} : { executed: m[3] === 'Yes' }),
    ...(m[4] === undefined ? {} : { pathSize: Number(m[4]) }),
  }));
}

describe('AppCompatCache samples', () => {
  it('are the five files the manifest lists, unchanged', () => {
    expect(FILES).toEqual([
      'appcompatcache/Win10.bin',
      'appcompatcache/Win2k8Standard.bin',
      'appcompatcache/Win80.bin',
      'appcompatcache/WinXPx86.bin',
      'appcompatcache/win7x86.bin',
    ]);
    for (const file of FILES) expect(sha256(readSample(file)), file).toBe(MANIFEST.get(file)?.raw_sha256);
  });

  it.each(FILES)('%s matches EXPECTED_tool_output.json and parses with no diagnostic', (file) => {
    const bytes = new Uint8Array(readSample(file));
    const cache = parseAppCompatCache(bytes);
    const x = expectedToolOutput(file) as unknown as Expected;
    expect(cache.diagnostics).toEqual([]);
    expect(cache.layout).toBe(FORMATS[x.format]);
    expect(bytes.length).toBe(x.len);
    expect(u32(bytes, 0)).toBe(Number.parseInt(x.first_dword, 16));
    expect(cache.entries).toHaveLength(x.entries);
    // Positions run 0, 1, 2… (no entry was skipped).
    expect(cache.entries.every((e, i) => e.position === i)).toBe(true);
    const ordered = toolOrder(cache);
    const ours = [...ordered.slice(0, x.first.length), ordered[ordered.length - 1]];
    const theirs = [...x.first, ...x.last];
    expect(ours.map((e) => e?.path)).toEqual(theirs.map(([path]) => path));
    if (cache.layout === 'win8.0') {
      // The EXPECTED helper leaves every Windows 8.0 time unset. We read the FILETIME after the flags,
      // where EZ's Windows8x.cs and RegRipper's appWin81 read it; regripper.test.ts checks every one
      // against RegRipper. These are 2012 (Windows 8 RTM files) to 2015 times.
      expect(theirs.map(([, time]) => time)).toEqual([null, null, null]);
      expect(ours.map((e) => e?.lastModified?.slice(0, 4))).toEqual(['2012', '2015', '2012']);
    } else {
      expect(ours.map(pair)).toEqual(theirs.map(([path, time]) => [path, toMicroseconds(time)]));
    }
    if (x.declared !== undefined) {
      // XP: EXPECTED's "declared" is the slot count at offset 4 (96); the header's entries in use are
      // at offset 8 (17), which is our declaredCount and the number of entries.
      if (cache.layout === 'xp') {
        expect([u32(bytes, 4), cache.declaredCount]).toEqual([x.declared, x.entries]);
      } else {
        expect(cache.declaredCount).toBe(x.declared);
      }
    }
  });

  it.each(FILES)('%s holds the MANIFEST facts (count, layout, indexed entries, executed flags)', (file) => {
    const contains = MANIFEST.get(file)?.contains ?? '';
    const cache = parseAppCompatCache(new Uint8Array(readSample(file)));
    const count = /(\d+) (?:entries|populated)/.exec(contains);
    expect(cache.entries).toHaveLength(Number(count?.[1]));
    const signature = /0x([0-9a-f]{8})/.exec(contains);
    if (signature) expect(cache.signature).toBe(Number.parseInt(signature[1] as string, 16));
    if (/ x64 \(32-byte entries\)/.test(contains))
      expect([cache.bits, cache.entries[1]?.offset]).toEqual([64, 40]);
    if (/header 0x30/.test(contains))
      expect([cache.layout, cache.entries[0]?.offset]).toEqual(['win10', 0x30]);
    if (/128-byte header, entries "00ts"/.test(contains)) {
      expect([cache.layout, cache.entries[0]?.offset, u32(readSample(file), 0)]).toEqual(['win8.0', 0x80, 0]);
    }
    const first = /first (\\\?\?\\.*)$/.exec(contains);
    if (first) expect(cache.entries[0]?.path).toBe(first[1]);
    const ordered = toolOrder(cache);
    const facts = indexedFacts(contains);
    for (const fact of facts) {
      const entry = ordered[fact.index];
      expect(entry?.path.endsWith(`\\${fact.name}`), `${file} [${fact.index}] ${fact.name}`).toBe(true);
      if (fact.executed !== undefined) expect(entry?.executed, `[${fact.index}] exec`).toBe(fact.executed);
      if (fact.pathSize !== undefined) expect((entry?.path.length ?? 0) * 2).toBe(fact.pathSize);
    }
    expect(facts.length + (first ? 1 : 0)).toBeGreaterThan(0);
  });

  it("holds Eric Zimmerman's test expectations for the same files (index, path size, name, executed)", () => {
    // AppCompatCacheTest.cs: PathSize is the stored path's byte length; EZ's index is the slot on XP.
    // Windows 10: EZ's test predates its executed flag (issue 6), so only paths are checked there.
    const ez: Record<string, [number, number | null, string, boolean | null][]> = {
      'appcompatcache/Win10.bin': [
        [0, 54, 'vds.exe', null],
        [2, 140, 'DismHost.exe', null],
        [7, 58, 'mstsc.exe', null],
        [337, 112, 'Ngen.exe', null],
        [349, 64, 'services.exe', null],
      ],
      'appcompatcache/WinXPx86.bin': [
        [0, null, 'msoobe.exe', null],
        [2, null, 'agentsvr.exe', null],
        [8, null, 'NETSHELL.dll', null],
      ],
      'appcompatcache/win7x86.bin': [
        [0, 70, 'LogonUI.exe', true],
        [2, 92, 'SearchProtocolHost.exe', true],
        [8, 108, 'wmplayer.exe', false],
        [89, 62, 'reg.exe', true],
        [90, 72, 'SETUPUGC.EXE', true],
      ],
      'appcompatcache/Win80.bin': [
        [0, 70, 'LogonUI.exe', true],
        [2, 144, 'EditPadLite7.exe', true],
        [8, 70, 'svchost.exe', true],
        [100, 76, 'Setup.exe', true],
        [101, 70, 'WWAHost.exe', false],
      ],
    };
    const counts: Record<string, number> = {
      'appcompatcache/Win10.bin': 350,
      'appcompatcache/WinXPx86.bin': 17,
      'appcompatcache/win7x86.bin': 91,
      'appcompatcache/Win80.bin': 104,
    };
    for (const [file, checks] of Object.entries(ez)) {
      const cache = parseAppCompatCache(new Uint8Array(readSample(file)));
      expect(cache.entries).toHaveLength(counts[file] as number);
      const ordered = toolOrder(cache);
      for (const [index, pathSize, name, executed] of checks) {
        const entry = ordered[index];
        expect(entry?.path.endsWith(`\\${name}`), `${file} [${index}]`).toBe(true);
        if (pathSize !== null)
          expect((entry?.path.length ?? 0) * 2, `${file} [${index}] PathSize`).toBe(pathSize);
        if (executed !== null) expect(entry?.executed, `${file} [${index}] Executed`).toBe(executed);
      }
    }
  });

  it('XP: the LRU array is most recent first (its order is the descending order of the last update times)', () => {
    const cache = parseAppCompatCache(new Uint8Array(readSample('appcompatcache/WinXPx86.bin')));
    const updates = cache.entries.map((e) => e.lastUpdated ?? '');
    expect(updates.every((u) => u !== '')).toBe(true);
    expect(updates).toEqual([...updates].sort().reverse());
    // …while the slot order is not: slot 0 (msoobe.exe, first boot) is the least recent.
    expect(cache.entries.at(-1)).toMatchObject({
      offset: 400,
      path: '\\??\\C:\\WINDOWS\\system32\\oobe\\msoobe.exe',
    });
    expect(cache.entries[0]).toMatchObject({
      path: '\\??\\C:\\WINDOWS\\system32\\wscntfy.exe',
      fileSize: 13_824,
      lastModified: '2008-04-14T12:00:00.0000000Z',
      lastUpdated: '2016-01-13T22:20:03.2656250Z',
      executed: null,
    });
  });

  it('SYSTEM hive: the current control set (ControlSet001) only, 330 entries as EXPECTED says', async () => {
    const bytes = gunzipSync(readSample('registry/SYSTEM_regipy_win7x86.gz'));
    const hive = await openHive(bufferSource(bytes, 'SYSTEM'));
    expect((await (await hive.key('Select'))?.value('Current'))?.asNumber()).toBe(1);
    const cache = await readShimCache(hive);
    // expectedToolOutput() gives a file's first parser (python-registry here); the AppCompatCache one is next to it.
    const own = (
      JSON.parse(readSample('EXPECTED_tool_output.json').toString('utf8')) as {
        files: Record<string, { appcompatcache_own_parser: Expected }>;
      }
    ).files['registry/SYSTEM_regipy_win7x86.gz']?.appcompatcache_own_parser as Expected;
    expect(cache).toMatchObject({
      keyPath: 'ControlSet001\\Control\\Session Manager\\AppCompatCache',
      layout: FORMATS[own.format],
      signature: Number.parseInt(own.first_dword, 16),
      bits: 32,
      declaredCount: own.declared,
      diagnostics: [],
    });
    expect(cache?.entries).toHaveLength(own.entries);
    const entries = cache?.entries ?? [];
    expect([entries[0], entries[1], entries.at(-1)].map(pair)).toEqual(
      [...own.first, ...own.last].map(([path, time]) => [path, toMicroseconds(time)]),
    );
    expect(entries[0]).toMatchObject({
      path: '\\??\\C:\\Program Files\\McAfee\\VirusScan Enterprise\\mfeann.exe',
      lastModified: '2011-01-12T12:08:00.0000000Z',
      executed: true,
    });
    // regipy's 660 is both control sets: ControlSet002 holds another 330, which we do not read.
    const other = await (await hive.key('ControlSet002\\Control\\Session Manager\\AppCompatCache'))?.value(
      'AppCompatCache',
    );
    expect(entries.length + parseAppCompatCache(other?.data ?? new Uint8Array(4)).entries.length).toBe(660);
  });
});
