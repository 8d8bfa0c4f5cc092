/**
 * Fuzz harness for the regf reader: mutates the real registry samples (bit
 * flips, truncation, random bytes, zeroed ranges, copied cells, overwritten
 * 32-bit fields; sometimes the transaction logs of the dirty sample too),
 * opens each result, walks it, reads every value and decodes it, and
 * records anything thrown other than the documented DATA_INVALID for an
 * input that no longer starts with `regf`.
 *
 * Mutations are applied on read (a {@link ByteSource} over the original
 * bytes), so even the 11 MB SYSTEM sample costs nothing to mutate. Work per
 * input is bounded by `maxKeys` and the reader's limits, so time per input
 * is bounded too; the harness reports the slowest input (and, with
 * `timeBudgetMs`, counts inputs over budget as failures; the CI test sets
 * no budget, so it asserts nothing about time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isTriageError } from '@triage/errors';
import { openHive } from '../regf/hive.js';
import { walkHive } from '../regf/walk.js';
import type { ByteSource } from '../source.js';
import { SAMPLES_DIR } from './sample-files.js';
import { prng } from './seeded-random.js';

/** Options for {@link fuzzRegf}. */
export interface FuzzRegfOptions {
  /** Inputs to generate. */
  readonly count: number;
  /** PRNG seed: the same seed gives the same inputs. */
  readonly seed: number;
  /** The `registry/` folder of the shared samples. Default: `../shared/windows-samples/registry/` from the repository root. */
  readonly samplesDir?: string;
  /** Keys walked per input. Default 1,500. */
  readonly maxKeys?: number;
  /** When set, an input taking longer than this is a failure (for the bench; the CI test leaves it unset). */
  readonly timeBudgetMs?: number;
  /** Clock in milliseconds. Default `performance.now`. */
  readonly now?: () => number;
}

/** How one input was made. */
export interface FuzzCase {
  readonly index: number;
  readonly sample: string;
  /** The mutations, in order, in words (`bitflip@4100.3`, `truncate@81920`…). */
  readonly mutations: readonly string[];
  /** Whether the transaction logs were passed (and which were mutated). */
  readonly logs: 'none' | 'clean' | 'mutated';
}

/** What a run found. */
export interface FuzzRegfResult {
  readonly inputs: number;
  /** Inputs refused with DATA_INVALID because they no longer start with `regf`. */
  readonly notHives: number;
  /** Keys and values read across all inputs. */
  readonly keys: number;
  readonly values: number;
  /** Diagnostics reported across all inputs (damage found and skipped). */
  readonly diagnostics: number;
  /** The slowest input and its time in milliseconds. */
  readonly slowest: { readonly case: FuzzCase; readonly ms: number } | undefined;
  /** Inputs that threw something other than the documented error, or went over the time budget. */
  readonly failures: ReadonlyArray<{ readonly case: FuzzCase; readonly error: string }>;
}

const DEFAULT_DIR = join(SAMPLES_DIR, 'registry');

type Mutation =
  | { readonly kind: 'bitflip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'bytes'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'zero'; readonly at: number; readonly length: number }
  | { readonly kind: 'copy'; readonly from: number; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly size: number };

function describe(m: Mutation): string {
  switch (m.kind) {
    case 'bitflip':
      return `bitflip@${m.at}.${m.bit}`;
    case 'bytes':
      return `bytes@${m.at}+${m.bytes.length}`;
    case 'zero':
      return `zero@${m.at}+${m.length}`;
    case 'copy':
      return `copy@${m.from}->${m.at}+${m.length}`;
    case 'truncate':
      return `truncate@${m.size}`;
  }
}

/** The original bytes with mutations applied, computed per read. */
function mutatedSource(name: string, base: Uint8Array, mutations: readonly Mutation[]): ByteSource {
  const size = mutations.reduce((s, m) => (m.kind === 'truncate' ? Math.min(s, m.size) : s), base.length);
  return {
    name,
    size,
    read: async (offset, length) => {
      const end = Math.min(size, offset + Math.max(0, length));
      if (offset >= end) return new Uint8Array(0);
      const out = base.slice(offset, end);
      for (const m of mutations) {
        if (m.kind === 'bitflip') {
          if (m.at >= offset && m.at < end) out[m.at - offset] = (out[m.at - offset] ?? 0) ^ (1 << m.bit);
        } else if (m.kind === 'bytes' || m.kind === 'zero' || m.kind === 'copy') {
          const length_ = m.kind === 'bytes' ? m.bytes.length : m.length;
          const from = Math.max(offset, m.at);
          const to = Math.min(end, m.at + length_);
          for (let at = from; at < to; at++) {
            const i = at - m.at;
            out[at - offset] =
              m.kind === 'bytes' ? (m.bytes[i] ?? 0) : m.kind === 'zero' ? 0 : (base[m.from + i] ?? 0);
          }
        }
      }
      return out;
    },
    close: async () => undefined,
  };
}

const INTERESTING = [0, 1, 8, 0x20, 0xfff8, 0x7fffffff, 0x80000000, 0x80000004, 0xfffffff8, 0xffffffff];

function mutations(random: () => number, size: number): Mutation[] {
  const pick = (n: number) => Math.floor(random() * n);
  // Half of the offsets fall in the base block and first hive bin, where most structure is.
  const offset = () => (random() < 0.5 ? pick(Math.min(size, 12_288)) : pick(size));
  const out: Mutation[] = [];
  // Now and then break the signature itself, so refusing non-hives is exercised.
  if (random() < 0.04) out.push({ kind: 'bytes', at: pick(4), bytes: Uint8Array.of(pick(256)) });
  const count = 1 + pick(6);
  for (let i = 0; i < count; i++) {
    const kind = pick(7);
    if (kind === 0 || kind === 1) out.push({ kind: 'bitflip', at: offset(), bit: pick(8) });
    else if (kind === 2)
      out.push({
        kind: 'bytes',
        at: offset(),
        bytes: Uint8Array.from({ length: 1 + pick(64) }, () => pick(256)),
      });
    else if (kind === 3) out.push({ kind: 'zero', at: offset(), length: 1 + pick(4096) });
    else if (kind === 4)
      out.push({ kind: 'copy', from: pick(size) & ~7, at: offset() & ~7, length: 8 + pick(512) });
    else if (kind === 5) {
      const value = INTERESTING[pick(INTERESTING.length)] ?? 0;
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
      out.push({ kind: 'bytes', at: offset() & ~3, bytes });
    } else if (random() < 0.3) out.push({ kind: 'truncate', size: pick(size + 1) });
  }
  return out;
}

interface Samples {
  readonly hives: ReadonlyArray<{ readonly name: string; readonly bytes: Uint8Array }>;
  readonly dirty:
    | { readonly name: string; readonly bytes: Uint8Array; readonly logs: readonly Uint8Array[] }
    | undefined;
}

const loaded = new Map<string, Samples>();

function load(dir: string): Samples {
  const cached = loaded.get(dir);
  if (cached) return cached;
  const read = (file: string) => {
    const bytes = readFileSync(join(dir, file));
    return new Uint8Array(file.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  };
  const files = readdirSync(dir).sort();
  const hives = files
    .filter((f) => !/\.LOG\d?(\.gz)?$|\.json$|\.md$/.test(f))
    .map((f) => ({ name: f, bytes: read(f) }));
  const dirtyName = files.find((f) => /^NTUSER_regipy_transactions\.DAT(\.gz)?$/.test(f));
  const logNames = files.filter((f) => /^NTUSER_regipy_transactions\.DAT\.LOG\d(\.gz)?$/.test(f));
  const dirtyHive = hives.find((h) => h.name === dirtyName);
  const samples: Samples = {
    hives,
    dirty: dirtyHive ? { name: dirtyHive.name, bytes: dirtyHive.bytes, logs: logNames.map(read) } : undefined,
  };
  loaded.set(dir, samples);
  return samples;
}

/**
 * Runs `count` mutated inputs through openHive, walkHive and every value
 * decoder.
 *
 * @param options - count, seed, samples folder, per-input limits
 * @returns counts, the slowest input, and the failures (empty when the reader held)
 */
export async function fuzzRegf(options: FuzzRegfOptions): Promise<FuzzRegfResult> {
  const samples = load(options.samplesDir ?? DEFAULT_DIR);
  if (samples.hives.length === 0)
    throw new Error(`no registry samples in ${options.samplesDir ?? DEFAULT_DIR}`);
  const random = prng(options.seed);
  const now = options.now ?? (() => performance.now());
  const maxKeys = options.maxKeys ?? 1500;
  const failures: Array<{ case: FuzzCase; error: string }> = [];
  let notHives = 0;
  let keys = 0;
  let values = 0;
  let diagnostics = 0;
  let slowest: { case: FuzzCase; ms: number } | undefined;

  for (let index = 0; index < options.count; index++) {
    const withLogs = samples.dirty !== undefined && random() < 0.15;
    const sample =
      withLogs && samples.dirty ? samples.dirty : samples.hives[Math.floor(random() * samples.hives.length)];
    if (!sample) continue;
    const hiveMutations = mutations(random, sample.bytes.length);
    let logs: ByteSource[] | undefined;
    let logState: FuzzCase['logs'] = 'none';
    const words = hiveMutations.map(describe);
    if (withLogs && samples.dirty) {
      const mutateLogs = random() < 0.7;
      logState = mutateLogs ? 'mutated' : 'clean';
      logs = samples.dirty.logs.map((log, i) => {
        const logMutations = mutateLogs ? mutations(random, log.length) : [];
        words.push(...logMutations.map((m) => `log${i + 1}:${describe(m)}`));
        return mutatedSource(`LOG${i + 1}`, log, logMutations);
      });
      // Keep the hive itself intact half of the time, so the logs are what is tested.
      if (random() < 0.5) hiveMutations.length = 0;
    }
    const fuzzCase: FuzzCase = { index, sample: sample.name, mutations: words, logs: logState };
    const source = mutatedSource(sample.name, sample.bytes, hiveMutations);
    const start = now();
    try {
      const hive = await openHive(source, {
        maxDiagnostics: 2000,
        maxListEntries: 20_000,
        maxValueBytes: 4 * 1024 * 1024,
        cachePages: 64,
        ...(logs ? { logs } : {}),
      });
      await walkHive(
        hive,
        async (key) => {
          keys++;
          void key.classname;
          await key.security();
          for (const value of await key.values()) {
            values++;
            value.asString();
            value.asStrings();
            value.asNumber();
          }
        },
        { maxKeys },
      );
      await hive.key('Software\\Microsoft\\Windows\\CurrentVersion\\Run');
      await (await hive.root())?.value('');
      diagnostics += hive.diagnostics.length + hive.diagnosticsDropped;
    } catch (error) {
      const head = await source.read(0, 4);
      const isRegf = head.length === 4 && String.fromCharCode(...head) === 'regf';
      if (isTriageError(error, 'DATA_INVALID') && !isRegf) notHives++;
      else
        failures.push({
          case: fuzzCase,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
    }
    const ms = now() - start;
    if (!slowest || ms > slowest.ms) slowest = { case: fuzzCase, ms };
    if (options.timeBudgetMs !== undefined && ms > options.timeBudgetMs) {
      failures.push({
        case: fuzzCase,
        error: `took ${Math.round(ms)} ms, over the ${options.timeBudgetMs} ms budget`,
      });
    }
  }
  return { inputs: options.count, notHives, keys, values, diagnostics, slowest, failures };
}
