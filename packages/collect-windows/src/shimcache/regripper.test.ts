/**
 * Differential test: our AppCompatCache parser against RegRipper 3.0's
 * `appcompatcache` plugin (20220921, Debian 12's regripper package, installed
 * by the test kit), on the regipy SYSTEM hive and on each raw sample value
 * put into a small SYSTEM hive of our own (`Select\Current` = 1, the value
 * under the current control set, as RegRipper reads it).
 *
 * Compared for every entry both report: the path (RegRipper drops the
 * `\??\` prefix and the UTF-16 high bytes, so we compare ASCII paths with the
 * prefix dropped) and the last-modified time in seconds; also the executed
 * flag where RegRipper prints one (Vista, 7), and XP's last update time and
 * file size. RegRipper prints its entries in Perl hash order, so both sides
 * are compared as multisets. Every disagreement must be one of
 * {@link JUSTIFIED}: each names the field, says why we are right, and is
 * checked against the bytes; the count of each is fixed per file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { debianParsers } from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHive } from '../regf/hive.js';
import { bufferSource } from '../source.js';
import { listSamples, readSample } from '../testing/sample-files.js';
import { buildSystemHive } from '../testing/shimcache-builder.js';
import { parseAppCompatCache, readShimCache, type ShimCache, type ShimCacheEntry } from './shimcache.js';

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      // RegRipper's 8.x/10 loops never end on bytes that are not an entry: fail rather than hang.
      { env, cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'latin1', timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

/** One line of the plugin's report: `path  modtime[  updtime][  N bytes][  Executed]`. */
interface RipRow {
  readonly path: string;
  /** `YYYY-MM-DD HH:MM:SS`, or `` when the time was 0. */
  readonly modtime: string;
  /** XP only. */
  readonly updtime: string;
  /** XP (and 2003) only. */
  readonly size: string;
  readonly executed: boolean;
}

interface RipReport {
  readonly keyPath: string;
  readonly signature: number;
  readonly rows: RipRow[];
}

const DATE = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`;
const ROW = new RegExp(`^(.*?)  (${DATE})?(?:  (${DATE}))?(?:  (\\d+|Too big) bytes)?(  Executed)?$`);

function parseRip(output: string): RipReport {
  const lines = output.split('\n');
  const sig = lines.findIndex((line) => line.startsWith('Signature: 0x'));
  expect(sig, output.slice(0, 2000)).toBeGreaterThan(0);
  const rows: RipRow[] = [];
  for (const line of lines.slice(sig + 1)) {
    if (line === '' || /^(WinXP|Win2K3\/Vista\/Win2K8|Win2K8R2\/Win7), (32|64)-bit$/.test(line)) continue; // banner
    const m = ROW.exec(line);
    expect(m, `unparsed RegRipper line ${JSON.stringify(line)}`).not.toBeNull();
    if (!m) continue;
    rows.push({
      path: m[1] ?? '',
      modtime: m[2] ?? '',
      updtime: m[3] ?? '',
      size: m[4] ?? '',
      executed: m[5] !== undefined,
    });
  }
  return {
    keyPath: lines[sig - 2] ?? '',
    signature: Number.parseInt((lines[sig] ?? '').slice('Signature: '.length), 16),
    rows,
  };
}

/** ISO (7 fractional digits) back to the exact FILETIME. */
function isoToFiletime(iso: string): bigint {
  const seconds = BigInt(Date.parse(`${iso.slice(0, 19)}Z`) / 1000);
  return (seconds + 11_644_473_600n) * 10_000_000n + BigInt(iso.slice(20, 27));
}

/**
 * RegRipper's `::getTime` (rip.pl): `int(($hi - 0x019db1de) * 429.4967296 +
 * ($lo - 0xd53e8000) / 1e7)` in Perl doubles (as JavaScript's), 0 for 0 and
 * below, then `getDateFromEpoch` (gmtime); the plugin prints `` for 0.
 */
function perlTime(filetime: bigint, zeroAsEmpty: boolean): string {
  const lo = Number(filetime & 0xffff_ffffn);
  const hi = Number(filetime >> 32n);
  let t = lo === 0 && hi === 0 ? 0 : Math.trunc((hi - 0x019db1de) * 429.4967296 + (lo - 0xd53e8000) / 1e7);
  if (t < 0) t = 0;
  if (t === 0 && zeroAsEmpty) return '';
  return new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Our time in RegRipper's form, exactly (truncated to the second). */
const seconds = (iso: string | null) => (iso === null ? '' : iso.slice(0, 19).replace('T', ' '));

/** What RegRipper prints for one of our entries, field by field, read exactly. */
function expectedRow(cache: ShimCache, e: ShimCacheEntry): RipRow {
  const xp = cache.layout === 'xp';
  return {
    path: e.path.replace(/^\\\?\?\\/, ''),
    modtime: seconds(e.lastModified),
    updtime: xp ? (e.lastUpdated === null ? '1970-01-01 00:00:00' : seconds(e.lastUpdated)) : '',
    size: xp || cache.layout === '2003' ? String(e.fileSize ?? '') : '',
    // RegRipper prints "Executed" for the NT 5.2/6.0 and 6.1 tables only.
    executed: cache.layout.startsWith('vista-7') && e.executed === true,
  };
}

const key = (r: RipRow) => JSON.stringify([r.path, r.modtime, r.updtime, r.size, r.executed]);

/** A disagreement RegRipper and we have about one entry, and the rule that explains it. */
interface Rule {
  readonly id: string;
  /** RegRipper's row for our entry under this rule, or null when the rule does not apply to it. */
  readonly predict: (cache: ShimCache, e: ShimCacheEntry, value: Uint8Array) => RipRow | null;
}

/**
 * The known disagreements. Each predicts, from our entry and the bytes, what
 * RegRipper prints instead of our value, so a rule can only excuse what it
 * explains; an entry takes the first rule that changes its row (an 8.x
 * entry with a package name is also a candidate for the float rule).
 */
const JUSTIFIED: readonly Rule[] = [
  {
    // Field: time, Windows 8.0/8.1 entries with a package name. After the path, 8.x entries hold a
    // 2-byte package name size and the name, then InsertFlags and ShimFlags, then the time (EZ
    // Windows8x.cs; libyal winreg-kb "Windows 8.1 application compat cache entry": the 2 "unknown"
    // bytes). RegRipper's appWin81 reads the time at path end + 10, right only when the package name is
    // empty; for the Metro app entries it reads 8 bytes of the package name.
    id: 'win8-package-name',
    predict: (cache, e, value) => {
      if (cache.layout !== 'win8.0' && cache.layout !== 'win8.1') return null;
      const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
      const pathEnd = e.offset + 14 + view.getUint16(e.offset + 12, true);
      if (view.getUint16(pathEnd, true) === 0) return null;
      return { ...expectedRow(cache, e), modtime: perlTime(view.getBigUint64(pathEnd + 10, true), true) };
    },
  },
  {
    // Field: time (and XP's update time). rip.pl's getTime works in floating point: for a FILETIME on a
    // whole second, hi × 429.4967296 + lo / 1e7 comes out just under the integer and int() drops a
    // second (e.g. 2011-06-06T17:55:28.0000000Z prints as 17:55:27). We convert the 64-bit integer
    // exactly ([MS-DTYP] 2.3.3 FILETIME: 100-ns intervals since 1601).
    id: 'perl-float-seconds',
    predict: (cache, e) => {
      const row = expectedRow(cache, e);
      const modtime = e.lastModified === null ? '' : perlTime(isoToFiletime(e.lastModified), true);
      const updtime =
        cache.layout === 'xp' && e.lastUpdated !== null
          ? perlTime(isoToFiletime(e.lastUpdated), false)
          : row.updtime;
      return modtime === row.modtime && updtime === row.updtime ? null : { ...row, modtime, updtime };
    },
  },
];

/**
 * Field: every field, XP. RegRipper takes the DWORD at offset 4 (the slot
 * count, 96) as the number of entries and prints every slot; the header's
 * entries in use are at offset 8 (Mandiant read_winxp_entries) and the LRU
 * array lists those slots. The extra rows must be the all-zero slots.
 */
function emptyXpSlots(cache: ShimCache, value: Uint8Array): RipRow[] {
  if (cache.layout !== 'xp') return [];
  const used = new Set(cache.entries.map((e) => e.offset));
  const rows: RipRow[] = [];
  for (let slot = 0; slot < 96; slot++) {
    const at = 400 + slot * 552;
    if (used.has(at)) continue;
    expect(
      value.subarray(at, at + 552).every((b) => b === 0),
      `slot ${slot} is all zero`,
    ).toBe(true);
    rows.push({ path: '', modtime: '', updtime: '1970-01-01 00:00:00', size: '0', executed: false });
  }
  return rows;
}

/** RegRipper's row for one of our entries: ours, unless a rule says (from the bytes) what RegRipper prints instead. */
function ripperRow(
  cache: ShimCache,
  e: ShimCacheEntry,
  value: Uint8Array,
): { row: RipRow; rule: string | null } {
  const row = expectedRow(cache, e);
  for (const r of JUSTIFIED) {
    const predicted = r.predict(cache, e, value);
    if (predicted !== null && key(predicted) !== key(row)) return { row: predicted, rule: r.id };
  }
  return { row, rule: null };
}

interface Comparison {
  readonly compared: number;
  readonly byRule: Record<string, number>;
  readonly unexplainedOurs: RipRow[];
  readonly unexplainedTheirs: RipRow[];
}

function compare(cache: ShimCache, rip: RipReport, value: Uint8Array): Comparison {
  const theirs = new Map<string, number>();
  for (const row of rip.rows) theirs.set(key(row), (theirs.get(key(row)) ?? 0) + 1);
  const take = (row: RipRow) => {
    const n = theirs.get(key(row)) ?? 0;
    if (n === 0) return false;
    theirs.set(key(row), n - 1);
    return true;
  };
  const byRule: Record<string, number> = {};
  const unexplainedOurs: RipRow[] = [];
  for (const e of cache.entries) {
    const { row, rule } = ripperRow(cache, e, value);
    if (!take(row)) unexplainedOurs.push(row);
    else if (rule !== null) byRule[rule] = (byRule[rule] ?? 0) + 1;
  }
  for (const row of emptyXpSlots(cache, value)) {
    if (take(row)) byRule['xp-slot-count'] = (byRule['xp-slot-count'] ?? 0) + 1;
  }
  const unexplainedTheirs = [...theirs].flatMap(([k, n]) =>
    Array.from({ length: n }, () => {
      const [path, modtime, updtime, size, executed] = JSON.parse(k) as [
        string,
        string,
        string,
        string,
        boolean,
      ];
      return { path, modtime, updtime, size, executed };
    }),
  );
  return { compared: cache.entries.length, byRule, unexplainedOurs, unexplainedTheirs };
}

/** A v1.3 SYSTEM hive (data in one cell, which Parse::Win32Registry reads) with the value under ControlSet001. */
function wrap(value: Uint8Array, keyName: string): Uint8Array {
  return buildSystemHive(
    1,
    { ControlSet001: { key: keyName, data: value } },
    { minorVersion: 3, fileName: '\\SystemRoot\\System32\\Config\\SYSTEM' },
  );
}

/** Per file: entries compared and the disagreements each rule explains (all others fail the test). */
const EXPECTED: Record<string, { compared: number; byRule: Record<string, number> }> = {
  SYSTEM_regipy_win7x86: { compared: 330, byRule: { 'perl-float-seconds': 22 } },
  'Win10.bin': { compared: 350, byRule: { 'perl-float-seconds': 24 } },
  'Win2k8Standard.bin': { compared: 873, byRule: { 'perl-float-seconds': 74 } },
  'Win80.bin': { compared: 104, byRule: { 'perl-float-seconds': 3, 'win8-package-name': 8 } },
  'WinXPx86.bin': { compared: 17, byRule: { 'xp-slot-count': 79 } },
  'win7x86.bin': { compared: 91, byRule: { 'perl-float-seconds': 3 } },
};

describe('AppCompatCache differential: RegRipper appcompatcache', () => {
  let tools: Awaited<ReturnType<typeof debianParsers>>;
  let dir: string;

  beforeAll(async () => {
    tools = await debianParsers();
    dir = await mkdtemp(join(tmpdir(), 'triage-shimcache-diff-'));
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function rip(hive: string): Promise<RipReport> {
    const root = `${tools.root}/usr/lib/regripper`;
    const output = await run(
      'perl',
      [`${root}/rip.pl`, '-r', hive, '-p', 'appcompatcache'],
      tools.processEnv,
      root,
    );
    return parseRip(output);
  }

  function check(name: string, cache: ShimCache, report: RipReport, value: Uint8Array): void {
    const result = compare(cache, report, value);
    expect(result.unexplainedOurs.slice(0, 10), `${name}: ours, not RegRipper's`).toEqual([]);
    expect(result.unexplainedTheirs.slice(0, 10), `${name}: RegRipper's, not ours`).toEqual([]);
    expect({ compared: result.compared, byRule: result.byRule }).toEqual(EXPECTED[name]);
  }

  it('SYSTEM hive: the current control set on both sides; every entry agrees or is explained', async () => {
    const bytes = gunzipSync(readSample('registry/SYSTEM_regipy_win7x86.gz'));
    const path = join(dir, 'SYSTEM');
    await writeFile(path, bytes);
    const hive = await openHive(bufferSource(bytes, 'SYSTEM'));
    const cache = await readShimCache(hive);
    if (!cache) throw new Error('no AppCompatCache in the SYSTEM sample');
    const report = await rip(path);
    // RegRipper reads Select\Current too and prints the one control set it read: like with like.
    expect(report.keyPath).toBe(cache.keyPath);
    expect(report.signature).toBe(cache.signature);
    expect(report.rows).toHaveLength(330);
    const value = await (await hive.key(cache.keyPath ?? ''))?.value('AppCompatCache');
    check('SYSTEM_regipy_win7x86', cache, report, value?.data ?? new Uint8Array(0));
  }, 120_000);

  it.each(listSamples('appcompatcache').map((file) => file.slice('appcompatcache/'.length)))(
    '%s in a SYSTEM hive: every entry agrees or is explained',
    async (name) => {
      const full = new Uint8Array(readSample(`appcompatcache/${name}`));
      const cache = parseAppCompatCache(full);
      let value = full;
      if (cache.layout.startsWith('win8') || cache.layout.startsWith('win10')) {
        // RegRipper's appWin81/appWin10 advance only on an entry signature, so the zero padding after
        // the last entry would loop forever: give it the value up to the end of the last entry.
        const last = cache.entries[cache.entries.length - 1] as ShimCacheEntry;
        const end =
          last.offset + 12 + new DataView(full.buffer, full.byteOffset).getUint32(last.offset + 8, true);
        expect(full.subarray(end).every((b) => b === 0)).toBe(true);
        value = full.subarray(0, end);
        expect(parseAppCompatCache(value)).toEqual(cache);
      }
      const path = join(dir, `${name}.hive`);
      await writeFile(path, wrap(value, cache.layout === 'xp' ? 'AppCompatibility' : 'AppCompatCache'));
      const report = await rip(path);
      expect(report.keyPath).toBe(
        `ControlSet001\\Control\\Session Manager\\${cache.layout === 'xp' ? 'AppCompatibility' : 'AppCompatCache'}`,
      );
      // RegRipper prints the first DWORD (0 for this Windows 8.0 value, 0x30 for Windows 10).
      expect(report.signature).toBe(new DataView(full.buffer, full.byteOffset).getUint32(0, true));
      check(name, cache, report, full);
    },
    120_000,
  );

  it('the rules explain only what they predict: a time or path off in another way is not excused', () => {
    const value = new Uint8Array(readSample('appcompatcache/win7x86.bin'));
    const cache = parseAppCompatCache(value);
    const rows = cache.entries.map((e) => ripperRow(cache, e, value).row);
    const same = compare(cache, { keyPath: '', signature: 0, rows }, value);
    expect([same.unexplainedOurs, same.unexplainedTheirs, same.byRule]).toEqual([
      [],
      [],
      { 'perl-float-seconds': 3 },
    ]);
    // Two seconds off (not the float rule's one), and a different path: both unexplained, on both sides.
    const wrong = rows.map((r, i) =>
      i === 0 ? { ...r, modtime: '2009-07-14 01:14:20' } : i === 1 ? { ...r, path: `${r.path}x` } : r,
    );
    const result = compare(cache, { keyPath: '', signature: 0, rows: wrong }, value);
    expect(result.unexplainedOurs.map((r) => r.path)).toEqual(
      [cache.entries[0], cache.entries[1]].map((e) => e?.path.slice(4)),
    );
    expect(result.unexplainedTheirs).toHaveLength(2);
    // A second that is not a whole-second FILETIME is not excused by the float rule either.
    const entry = cache.entries.find((e) => !e.lastModified?.endsWith('.0000000Z')) as ShimCacheEntry;
    const rule = JUSTIFIED.find((r) => r.id === 'perl-float-seconds');
    expect(rule?.predict(cache, entry, value)).toBeNull();
  });
});
