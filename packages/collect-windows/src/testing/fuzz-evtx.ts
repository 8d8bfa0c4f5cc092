/**
 * Fuzz harness for the EVTX parser: mutates the real samples (bit flips in
 * the file header, chunk headers, records and their BinXml; truncation;
 * random bytes; zeroed ranges; swapped and repeated chunks; impossible
 * record sizes) and parses each result to the end.
 *
 * Each input must parse without a throw, except DATA_INVALID when the input
 * is not EVTX at all (no `ElfFile\0` signature, or shorter than the
 * 128-byte header), and with bounded work: the source is read once
 * (at most its size plus the header), at most one record per 28 bytes is
 * yielded, and no record renders past the node budget. Input `i` is made
 * from seed `seed + i` alone, so a failure is reproduced by
 * `fuzzEvtx({ count: 1, seed: failure.seed })`.
 */
import { isTriageError } from '@triage/errors';
import { openEvtx } from '../evtx/evtx.js';
import { MAX_RENDER_NODES } from '../evtx/render.js';
import { bufferSource } from '../source.js';
import { evtxSample, evtxSampleNames } from './evtx-samples.js';
import { prng } from './seeded-random.js';

/** Options for {@link fuzzEvtx}. */
export interface FuzzEvtxOptions {
  /** Number of inputs. */
  readonly count: number;
  /** Seed of the first input; input `i` uses `seed + i`. */
  readonly seed: number;
}

/** One input that broke a rule. */
export interface FuzzFailure {
  readonly seed: number;
  readonly mutations: readonly string[];
  readonly problem: string;
}

/** What a run did. */
export interface FuzzEvtxReport {
  readonly inputs: number;
  /** Inputs refused with DATA_INVALID (not EVTX after mutation). */
  readonly notEvtx: number;
  readonly records: number;
  readonly diagnostics: number;
  /** Largest number of bytes read for one input, divided by its size. */
  readonly maxReadRatio: number;
  readonly failures: readonly FuzzFailure[];
}

const CHUNK = 65536;
const HEADER = 4096;
/** Largest seed input: the header and three chunks of a sample, so each input costs little. */
const MAX_SEED = HEADER + 3 * CHUNK;

let corpus: Uint8Array[] | undefined;
function seeds(): Uint8Array[] {
  corpus ??= evtxSampleNames().map((name) => evtxSample(name).slice(0, MAX_SEED));
  return corpus;
}

type Random = () => number;
const int = (random: Random, below: number) => Math.floor(random() * below);

/** Offsets where records start (the 0x2a2a0000 signature), to aim mutations at records and BinXml. */
function recordOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = HEADER; at + 4 <= bytes.length; at += 8) {
    if (bytes[at] === 0x2a && bytes[at + 1] === 0x2a && bytes[at + 2] === 0 && bytes[at + 3] === 0)
      out.push(at);
  }
  return out;
}

function flipBits(bytes: Uint8Array, random: Random, from: number, to: number, flips: number): void {
  if (to <= from) return;
  for (let i = 0; i < flips; i++) {
    const at = from + int(random, to - from);
    if (at < bytes.length) bytes[at] = (bytes[at] ?? 0) ^ (1 << int(random, 8));
  }
}

/** One mutation, applied in place (or returning a new array when the length changes). */
function mutate(input: Uint8Array, random: Random, log: string[]): Uint8Array {
  let bytes = input;
  const chunks = Math.max(1, Math.floor((bytes.length - HEADER) / CHUNK));
  const chunkAt = HEADER + int(random, chunks) * CHUNK;
  switch (int(random, 10)) {
    case 0: {
      const flips = 1 + int(random, 4);
      flipBits(bytes, random, 0, 128, flips);
      log.push(`flip ${flips} bits in the file header`);
      break;
    }
    case 1: {
      const flips = 1 + int(random, 8);
      flipBits(bytes, random, chunkAt, chunkAt + 512, flips);
      log.push(`flip ${flips} bits in the chunk header at ${chunkAt}`);
      break;
    }
    case 2: {
      const flips = 1 + int(random, 32);
      flipBits(bytes, random, chunkAt + 512, chunkAt + CHUNK, flips);
      log.push(`flip ${flips} bits in the records of the chunk at ${chunkAt}`);
      break;
    }
    case 3: {
      // Aim at one record's BinXml: its first 200 bytes hold the fragment header, template instance and definition.
      const records = recordOffsets(bytes);
      const at = records[int(random, records.length)] ?? chunkAt + 512;
      const flips = 1 + int(random, 6);
      flipBits(bytes, random, at + 24, at + 224, flips);
      log.push(`flip ${flips} bits in the BinXml of the record at ${at}`);
      break;
    }
    case 4: {
      const records = recordOffsets(bytes);
      const at = records[int(random, records.length)] ?? chunkAt + 512;
      const size = [0, 1, 27, 28, 0xffff, 0xffffffff, int(random, 70_000)][int(random, 7)] ?? 0;
      if (at + 8 <= bytes.length) new DataView(bytes.buffer, bytes.byteOffset).setUint32(at + 4, size, true);
      log.push(`set the size of the record at ${at} to ${size}`);
      break;
    }
    case 5: {
      const length = int(random, bytes.length + 1);
      bytes = bytes.slice(0, length);
      log.push(`truncate to ${length} bytes`);
      break;
    }
    case 6: {
      const at = int(random, bytes.length);
      const length = 1 + int(random, 4096);
      for (let i = at; i < Math.min(bytes.length, at + length); i++) bytes[i] = int(random, 256);
      log.push(`random bytes at ${at} for ${length}`);
      break;
    }
    case 7: {
      const at = int(random, bytes.length);
      const length = 1 + int(random, 16_384);
      bytes.fill(0, at, Math.min(bytes.length, at + length));
      log.push(`zero ${length} bytes at ${at}`);
      break;
    }
    case 8: {
      const a = HEADER + int(random, chunks) * CHUNK;
      const b = HEADER + int(random, chunks) * CHUNK;
      if (a !== b && a + CHUNK <= bytes.length && b + CHUNK <= bytes.length) {
        const first = bytes.slice(a, a + CHUNK);
        bytes.copyWithin(a, b, b + CHUNK);
        bytes.set(first, b);
      }
      log.push(`swap the chunks at ${a} and ${b}`);
      break;
    }
    default: {
      // Repeat a chunk at the end: same templates and names, repeated record ids.
      const copy = bytes.slice(chunkAt, chunkAt + CHUNK);
      const longer = new Uint8Array(bytes.length + copy.length);
      longer.set(bytes);
      longer.set(copy, bytes.length);
      bytes = longer;
      log.push(`repeat the chunk at ${chunkAt} at the end`);
    }
  }
  return bytes;
}

/** The input for one seed: a sample, mutated one to four times. */
export function fuzzInput(seed: number): { bytes: Uint8Array; mutations: string[] } {
  const random = prng(seed);
  const pool = seeds();
  const base = pool[int(random, pool.length)] ?? new Uint8Array(0);
  let bytes: Uint8Array = base.slice();
  const mutations: string[] = [];
  const rounds = 1 + int(random, 4);
  for (let i = 0; i < rounds; i++) bytes = mutate(bytes, random, mutations);
  return { bytes, mutations };
}

const isEvtxSignature = (bytes: Uint8Array) =>
  bytes.length >= 128 && Buffer.from(bytes.subarray(0, 8)).toString('latin1') === 'ElfFile\0';

/**
 * Parses `count` mutated samples and checks each against the rules above.
 *
 * @returns what happened; `failures` is empty when every input kept the rules
 */
export async function fuzzEvtx(options: FuzzEvtxOptions): Promise<FuzzEvtxReport> {
  const failures: FuzzFailure[] = [];
  let notEvtx = 0;
  let records = 0;
  let diagnostics = 0;
  let maxReadRatio = 0;
  for (let i = 0; i < options.count; i++) {
    const seed = options.seed + i;
    const { bytes, mutations } = fuzzInput(seed);
    const fail = (problem: string) => failures.push({ seed, mutations, problem });
    const inner = bufferSource(bytes, `fuzz-${seed}`);
    let read = 0;
    const source = {
      ...inner,
      read: async (offset: number, length: number) => {
        const out = await inner.read(offset, length);
        read += out.length;
        return out;
      },
    };
    const random = prng(seed ^ 0x5eed);
    try {
      const evtx = await openEvtx(source);
      let yielded = 0;
      const limit = Math.floor(bytes.length / 28) + 1;
      const eventIds = random() < 0.25 ? [4624, 7045, 261] : undefined;
      for await (const record of evtx.records({ xml: random() < 0.5, ...(eventIds ? { eventIds } : {}) })) {
        yielded += 1;
        if (typeof record.recordId !== 'number' || typeof record.event !== 'object')
          fail('a record without id or event');
        if (yielded > limit) {
          fail(`more than ${limit} records from ${bytes.length} bytes`);
          break;
        }
      }
      records += yielded;
      diagnostics += evtx.diagnostics.length;
      if (read > bytes.length + 128) fail(`read ${read} bytes of a ${bytes.length}-byte input`);
      if (evtx.stats.nodesRendered > evtx.stats.recordsRendered * MAX_RENDER_NODES)
        fail('a record rendered past the node budget');
      maxReadRatio = Math.max(maxReadRatio, read / Math.max(1, bytes.length));
    } catch (error) {
      if (isTriageError(error, 'DATA_INVALID') && !isEvtxSignature(bytes)) notEvtx += 1;
      else fail(`threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  return { inputs: options.count, notEvtx, records, diagnostics, maxReadRatio, failures };
}
