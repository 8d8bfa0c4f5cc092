/**
 * A seeded mutation fuzzer for the AppCompatCache parser. It starts from the
 * five raw sample values, the value in the regipy SYSTEM hive and built
 * values of the layouts the samples lack (2003 x86, 7 x64, 8.1 with a
 * package name, 10 Creators), mutates them with `mutate` (fuzz-small.ts) over
 * the whole value or over a 64-byte window at the header or an entry (where
 * the counts, sizes and offsets are), and checks the rule: the parser returns
 * a well-formed cache (plain JSON, known layout, positions increasing, offsets
 * inside the value, ISO times) or throws `DATA_INVALID` (fewer than 4
 * bytes). One input in ten goes through `readShimCache` in a hive built
 * around it, which must never throw. Any other outcome throws an Error naming
 * the seed and input index, so it can be replayed with `{ count: index + 1, seed }`.
 *
 * Work per input is bounded: inputs are at most a sample's size plus a few
 * hundred bytes and the parser reads each entry once.
 */
import { gunzipSync } from 'node:zlib';
import { isTriageError } from '@triage/errors';
import { openHive } from '../regf/hive.js';
import { parseAppCompatCache, readShimCache, type ShimCache } from '../shimcache/shimcache.js';
import { bufferSource } from '../source.js';
import { type FuzzOptions, type FuzzReport, mutate } from './fuzz-small.js';
import { listSamples, readSample } from './sample-files.js';
import { prng } from './seeded-random.js';
import { buildSystemHive, buildTableCache, buildWin8Cache, buildWin10Cache } from './shimcache-builder.js';

/** What a ShimCache fuzz run saw, beyond {@link FuzzReport}. */
export interface FuzzShimCacheReport extends FuzzReport {
  /** Entries over all parsed inputs. */
  readonly entries: number;
  /** Parsed inputs by layout. */
  readonly layouts: Readonly<Record<string, number>>;
  /** Inputs read through `readShimCache` in a hive. */
  readonly viaHive: number;
}

const LAYOUTS = new Set([
  'xp',
  '2003',
  'vista-7-x86',
  'vista-7-x64',
  'win8.0',
  'win8.1',
  'win10',
  'win10-creators',
  'unknown',
]);
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/;

/** Throws unless a result is a well-formed cache for an input of `length` bytes. */
function checkCache(cache: ShimCache, length: number): void {
  JSON.stringify(cache); // no BigInt, no cycle
  if (!LAYOUTS.has(cache.layout)) throw new Error(`layout ${String(cache.layout)}`);
  if (!Number.isInteger(cache.signature) || cache.signature < 0 || cache.signature > 0xffffffff) {
    throw new Error(`signature ${cache.signature}`);
  }
  let last = -1;
  for (const e of cache.entries) {
    if (!Number.isInteger(e.position) || e.position <= last)
      throw new Error(`position ${e.position} after ${last}`);
    last = e.position;
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset >= length)
      throw new Error(`entry offset ${e.offset}`);
    if (typeof e.path !== 'string') throw new Error('path not a string');
    for (const t of [e.lastModified, e.lastUpdated])
      if (t !== null && !ISO.test(t)) throw new Error(`time ${t}`);
    if (!(e.executed === null || typeof e.executed === 'boolean')) throw new Error('executed');
    if (!Number.isSafeInteger(e.dataSize) || e.dataSize < 0) throw new Error(`dataSize ${e.dataSize}`);
    if (e.fileSize !== null && !(Number.isSafeInteger(e.fileSize) && e.fileSize >= 0))
      throw new Error('fileSize');
  }
  for (const d of cache.diagnostics) {
    if (!Number.isInteger(d.offset) || d.offset < 0 || d.offset > length)
      throw new Error(`diagnostic offset ${d.offset}`);
    if (typeof d.reason !== 'string' || d.reason === '') throw new Error('diagnostic reason');
  }
  if (cache.layout === 'unknown' && cache.entries.length > 0) throw new Error('entries in an unknown layout');
}

interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Where a window mutation hurts most: the header and each entry. */
  readonly hot: readonly number[];
}

async function corpus(): Promise<Seed[]> {
  const values: { name: string; bytes: Uint8Array }[] = listSamples('appcompatcache').map((name) => ({
    name,
    bytes: new Uint8Array(readSample(name)),
  }));
  const hive = await openHive(
    bufferSource(gunzipSync(readSample('registry/SYSTEM_regipy_win7x86.gz')), 'SYSTEM'),
  );
  const system = await (await hive.key('ControlSet001\\Control\\Session Manager\\AppCompatCache'))?.value(
    'AppCompatCache',
  );
  if (system) values.push({ name: 'SYSTEM_regipy_win7x86 AppCompatCache', bytes: system.data });
  const entries = [
    { path: '\\??\\C:\\Windows\\system32\\cmd.exe', fileSize: 302_592n, data: new Uint8Array(24) },
    {
      path: '\\??\\C:\\Users\\Public\\a.exe',
      fileSize: 4096n,
      insertFlags: 0,
      packageName: 'App_1.0_x64__8wekyb3d8bbwe',
    },
  ];
  values.push(
    { name: 'built: 2003 x86', bytes: buildTableCache('2003', 32, entries).bytes },
    { name: 'built: 7 x64', bytes: buildTableCache('win7', 64, entries).bytes },
    { name: 'built: 8.1', bytes: buildWin8Cache('8.1', entries, { padding: 32 }).bytes },
    { name: 'built: 10 Creators', bytes: buildWin10Cache(entries, { headerSize: 0x34, padding: 32 }).bytes },
  );
  return values.map((v) => {
    const cache = parseAppCompatCache(v.bytes);
    return { ...v, hot: [0, ...cache.entries.map((e) => e.offset)] };
  });
}

/** A mutation of the whole value, or of a 64-byte window at the header or an entry. */
function mutateSeed(seed: Seed, random: () => number): { bytes: Uint8Array; describe: string } {
  if (random() < 0.5) return mutate(seed.bytes, random);
  const at = seed.hot[Math.floor(random() * seed.hot.length)] as number;
  const end = Math.min(seed.bytes.length, at + 64);
  const window = mutate(seed.bytes.subarray(at, end), random);
  const out = new Uint8Array(at + window.bytes.length + (seed.bytes.length - end));
  out.set(seed.bytes.subarray(0, at));
  out.set(window.bytes, at);
  out.set(seed.bytes.subarray(end), at + window.bytes.length);
  return { bytes: out, describe: `at ${at}: ${window.describe}` };
}

/** The value in a SYSTEM-like hive, read back with `readShimCache`. */
async function viaHive(bytes: Uint8Array): Promise<ShimCache> {
  const built = buildSystemHive(1, { ControlSet001: { data: bytes } });
  const cache = await readShimCache(await openHive(bufferSource(built, 'fuzz SYSTEM')));
  if (!cache) throw new Error('readShimCache found no value in the hive built around it');
  return cache;
}

/**
 * Fuzzes {@link parseAppCompatCache} (and, for one input in ten,
 * {@link readShimCache}) with seeded mutations of the samples and built values.
 *
 * @param options - how many inputs, and the seed
 * @returns the counts; throws an Error naming the seed and input on any failure
 */
export async function fuzzShimCache(options: FuzzOptions): Promise<FuzzShimCacheReport> {
  const seeds = await corpus();
  const random = prng(options.seed);
  let parsed = 0;
  let rejected = 0;
  let diagnostics = 0;
  let entries = 0;
  let hiveInputs = 0;
  let slowestMs = 0;
  let slowestInput = -1;
  const layouts: Record<string, number> = {};
  for (let i = 0; i < options.count; i++) {
    const seed = seeds[Math.floor(random() * seeds.length)] as Seed;
    const input = mutateSeed(seed, random);
    const hive = random() < 0.1;
    const started = performance.now();
    try {
      const cache = hive ? await viaHive(input.bytes) : parseAppCompatCache(input.bytes);
      checkCache(cache, Math.max(input.bytes.length, 1));
      if (hive) hiveInputs++;
      parsed++;
      diagnostics += cache.diagnostics.length;
      entries += cache.entries.length;
      layouts[cache.layout] = (layouts[cache.layout] ?? 0) + 1;
    } catch (error) {
      if (!hive && isTriageError(error, 'DATA_INVALID') && input.bytes.length < 4) rejected++;
      else {
        throw new Error(
          `fuzzShimCache: input ${i} (seed ${options.seed}; ${seed.name}, ${input.describe}${hive ? ', via a hive' : ''}) failed: ${String(error)}`,
          { cause: error },
        );
      }
    }
    const ms = performance.now() - started;
    if (ms > slowestMs) {
      slowestMs = ms;
      slowestInput = i;
    }
  }
  return {
    inputs: options.count,
    parsed,
    rejected,
    diagnostics,
    entries,
    layouts,
    viaHive: hiveInputs,
    slowestMs,
    slowestInput,
  };
}
