/**
 * `npm run bench -- windows`: parse throughput of `@triage/collect-windows`
 * on the real Windows samples, beside libyal's `evtxexport` and `regfexport`
 * on the same files in the same run, and the package's fuzz harnesses.
 *
 * Target (issue 11): ≥ 1.0× `evtxexport` in EVTX records/s and ≥ 1.0×
 * `regfexport` in registry keys/s; damaged inputs give error entries and
 * no crash, fuzzed with 10,000 inputs per parser (500 with `--quick`).
 *
 * Setup (untimed): every sample in `../shared/windows-samples/evtx/` and the
 * hives in `registry/` (not the transaction logs, not the spec JSON) from
 * the repository root, `.gz` ones gunzipped, into a temp dir that is removed
 * at the end. Debian 12's libyal tools (`evtxexport` 20181227 from
 * libevtx-utils, `regfexport` 20201007 from libregf-utils), unpacked by the
 * test kit into its cache (`ensureDebianTools`).
 *
 * One timed unit is N passes over all the files of a kind (N = 4, 1 with
 * `--quick`), for a steadier time than one pass over these few MB.
 *
 * - ours, in this process: `openEvtx(fileSource(path))` and every record of
 *   `records()` (BinXml parsed, templates substituted, every value decoded,
 *   the JSON event built); `openHive(fileSource(path))` and `walkHive` over
 *   every key, reading the class name and every value with its data, decoded
 *   as its type says (`asString`, `asStrings`, `asNumber`).
 * - peers, one process per file, wall time from spawn to exit summed over
 *   the files: `evtxexport FILE` (its default text export of every record)
 *   and `regfexport FILE` (every key, and every value with its data as text
 *   or hex dump), stdout to /dev/null. libyal's tools write stdout
 *   unbuffered (regfexport makes about 5 million write calls for the 11 MB
 *   SYSTEM hive), so a pipe drained by this process, or a file, would
 *   time those writes (2 to 3.5 times regfexport's own time on SYSTEM);
 *   /dev/null times the parsing and formatting.
 * - counted the same: each peer's own count per file, from its output
 *   saved to a file in an untimed run (`Event number` blocks; `Key path:`
 *   and `Value:` blocks), must equal ours, in every timed run of ours too,
 *   or the bench stops. Rates count the records and keys both read: ours
 *   also yields the records it finds by scanning after a torn record
 *   (flagged `found-by-scan`; `evtxexport -m recovered` lists the same
 *   ones), which are not counted.
 * - context, not the target: ours with `records({ xml: true })` beside
 *   `evtxexport -f xml FILE`, and how much of a peer's time is starting a
 *   process (`-V`, best of 5).
 *
 * Rounds are interleaved (ours, peer, for EVTX then registry) after one
 * untimed warm-up round; each side keeps its best.
 *
 * Fuzz: the package's harnesses in `packages/collect-windows/src/testing/`
 * (not exported by the package) with fixed seeds other than CI's: fuzzRegf,
 * fuzzEvtx, fuzzLnk, fuzzPrefetch, fuzzTaskXml, fuzzXpress, and
 * fuzzShimCache when `fuzz-shimcache.ts` exists. Each logs its inputs,
 * failures and slowest input; any failure makes `met` false.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { fileSource, openEvtx, openHive, type RegistryValue, walkHive } from '@triage/collect-windows';
import { childEnv, defaultCacheDir, ensureDebianTools } from '@triage/testkit';
import { fuzzEvtx, fuzzInput } from '../../packages/collect-windows/src/testing/fuzz-evtx.ts';
import { fuzzRegf } from '../../packages/collect-windows/src/testing/fuzz-regf.ts';
import {
  type FuzzReport,
  fuzzLnk,
  fuzzPrefetch,
  fuzzTaskXml,
  fuzzXpress,
} from '../../packages/collect-windows/src/testing/fuzz-small.ts';
import type { BenchOptions, BenchResult } from '../run.ts';

const TARGET_RATIO = 1.0;
const SAMPLES = fileURLToPath(new URL('../../../shared/windows-samples/', import.meta.url));
const SHIMCACHE_FUZZ = new URL(
  '../../packages/collect-windows/src/testing/fuzz-shimcache.ts',
  import.meta.url,
);

const rate = (n: number) => Math.round(n).toLocaleString('en');
const int = (n: number) => n.toLocaleString('en');
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** One sample, decompressed into the temp dir. */
interface Sample {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
}

/** The samples of one folder, `.gz` ones gunzipped, written to `dir`. */
function unpack(folder: 'evtx' | 'registry', dir: string, keep: (name: string) => boolean): Sample[] {
  const out: Sample[] = [];
  for (const file of readdirSync(join(SAMPLES, folder)).sort()) {
    if (!keep(file)) continue;
    const raw = readFileSync(join(SAMPLES, folder, file));
    const bytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    const name = file.replace(/\.gz$/, '');
    const path = join(dir, name);
    writeFileSync(path, bytes);
    out.push({ name, path, bytes: bytes.length });
  }
  if (out.length === 0) throw new Error(`no samples in ${join(SAMPLES, folder)}`);
  return out;
}

/** Occurrences of each marker in a file (a peer's saved output). */
function countMarkers(path: string, markers: readonly string[]): number[] {
  const text = readFileSync(path);
  return markers.map((marker) => {
    const needle = Buffer.from(marker, 'latin1');
    let n = 0;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) n++;
    return n;
  });
}

/**
 * Runs `bin ...args` with stdout to `out` (a file descriptor); wall time in
 * seconds from spawn to exit. A non-zero exit throws.
 */
function runPeer(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, out: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const start = process.hrtime.bigint();
    const child = spawn(bin, args, { env, stdio: ['ignore', out, 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const elapsed = seconds(start);
      if (code !== 0) {
        reject(
          new Error(`${bin} ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim().slice(0, 300)}`),
        );
      } else resolve(elapsed);
    });
  });
}

/** Per file: what both sides must count (records; keys and values). */
type Expected = Map<string, readonly number[]>;

interface Timed {
  readonly seconds: number;
  /** What the rate counts: records both read, or keys. */
  readonly units: number;
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const passes = quick ? 1 : 4;
  const rounds = quick ? 2 : 5;
  const fuzzCount = quick ? 500 : 10_000;
  const root = await mkdtemp(join(tmpdir(), 'triage-bench-windows-'));
  const devNull = openSync('/dev/null', 'w');
  try {
    const tools = await ensureDebianTools({
      cacheDir: defaultCacheDir(process.env, homedir()),
      env: childEnv(),
      log: (line) => log(`  [testkit] ${line}`),
    });
    const env = { ...childEnv(), ...tools.env };
    const evtxexport = join(tools.bin, 'evtxexport');
    const regfexport = join(tools.bin, 'regfexport');

    const evtxFiles = unpack('evtx', root, (f) => /\.evtx(\.gz)?$/.test(f));
    const hiveFiles = unpack('registry', root, (f) => !/\.LOG\d?(\.gz)?$|\.json$|\.md$/.test(f));
    const mb = (files: readonly Sample[]) => (files.reduce((s, f) => s + f.bytes, 0) / 1e6).toFixed(1);
    log(
      `windows bench: ${evtxFiles.length} EVTX files (${mb(evtxFiles)} MB) and ${hiveFiles.length} hives ` +
        `(${mb(hiveFiles)} MB) from ${SAMPLES}, unpacked to a temp dir; one timed unit is ${passes} ` +
        `pass${passes === 1 ? '' : 'es'} over all files of a kind; best of ${rounds} interleaved rounds after a ` +
        `warm-up (node ${process.version})`,
    );
    log(
      '  ours runs in this process (sources opened and closed per file); each peer runs as one process per ' +
        'file, wall time from spawn to exit summed over the files, stdout to /dev/null (libyal tools write ' +
        'stdout unbuffered: regfexport makes about 5 million writes for the SYSTEM hive, which a pipe or a ' +
        'file would add to its time); their counts come from an untimed run with stdout saved to a file',
    );

    // --- ours -------------------------------------------------------------------------------------------
    /** Every record of every file, rendered; per file: records yielded and how many were found by scanning. */
    const oursEvtx = async (xml: boolean) => {
      const perFile = new Map<string, { records: number; scanned: number; diagnostics: number }>();
      for (const file of evtxFiles) {
        const source = await fileSource(file.path);
        try {
          const evtx = await openEvtx(source);
          let records = 0;
          let scanned = 0;
          for await (const record of evtx.records({ xml })) {
            records++;
            if (record.warnings.includes('found-by-scan')) scanned++;
            if (record.event === undefined || (xml && record.xml === undefined))
              throw new Error(`${file.name}: record ${record.recordId} was not rendered`);
          }
          perFile.set(file.name, { records, scanned, diagnostics: evtx.diagnostics.length });
        } finally {
          await source.close();
        }
      }
      return perFile;
    };
    const decode = (value: RegistryValue): unknown => {
      switch (value.type) {
        case 'REG_SZ':
        case 'REG_EXPAND_SZ':
        case 'REG_LINK':
          return value.asString();
        case 'REG_MULTI_SZ':
          return value.asStrings();
        case 'REG_DWORD':
        case 'REG_DWORD_BIG_ENDIAN':
        case 'REG_QWORD':
          return value.asNumber();
        default:
          return value.data.length;
      }
    };
    /** Every key of every hive with every value read and decoded; per file: keys, values, diagnostics. */
    const oursRegf = async () => {
      const perFile = new Map<string, { keys: number; values: number; diagnostics: number }>();
      for (const file of hiveFiles) {
        const source = await fileSource(file.path);
        try {
          const hive = await openHive(source);
          let keys = 0;
          let values = 0;
          let decoded = 0;
          await walkHive(hive, async (key) => {
            keys++;
            if (key.classname !== undefined) decoded++;
            for (const value of await key.values()) {
              values++;
              if (decode(value) !== undefined) decoded++;
            }
          });
          if (decoded === 0 && values > 0) throw new Error(`${file.name}: no value decoded`);
          perFile.set(file.name, { keys, values, diagnostics: hive.diagnostics.length });
        } finally {
          await source.close();
        }
      }
      return perFile;
    };

    // --- peers, and what both must count -----------------------------------------------------------------
    const EVTX_TEXT = ['\nEvent number\t'];
    const EVTX_XML = ['\n<Event '];
    const REGF = ['\nKey path: ', '\nValue: '];
    /** A peer's own counts per file, from its whole output saved to a file (untimed). */
    const peerCounts = async (
      bin: string,
      extra: readonly string[],
      files: readonly Sample[],
      markers: string[],
    ) => {
      const perFile = new Map<string, readonly number[]>();
      const saved = join(root, 'peer-output.txt');
      for (const file of files) {
        const fd = openSync(saved, 'w');
        try {
          await runPeer(bin, [...extra, file.path], env, fd);
        } finally {
          closeSync(fd);
        }
        perFile.set(file.name, countMarkers(saved, markers));
      }
      await rm(saved, { force: true });
      return perFile;
    };
    /** One pass of a peer over the files, output to /dev/null: wall time summed over its processes. */
    const peerPass = async (bin: string, extra: readonly string[], files: readonly Sample[]) => {
      let total = 0;
      for (const file of files) total += await runPeer(bin, [...extra, file.path], env, devNull);
      return total;
    };
    const sameCounts = (what: string, expected: Expected, got: Map<string, readonly number[]>) => {
      for (const [name, counts] of expected) {
        const other = got.get(name) ?? [];
        if (counts.some((n, i) => other[i] !== n))
          throw new Error(
            `${what}: ${name} counted ${other.join('/')} where ${counts.join('/')} was expected`,
          );
      }
    };

    // Untimed first look: the peers' own counts per file, which ours must equal.
    const evtxPeerCounts = await peerCounts(evtxexport, [], evtxFiles, EVTX_TEXT);
    const regfPeerCounts = await peerCounts(regfexport, [], hiveFiles, REGF);
    const evtxXmlCounts = await peerCounts(evtxexport, ['-f', 'xml'], evtxFiles, EVTX_XML);
    sameCounts('evtxexport -f xml against its text export', evtxPeerCounts, evtxXmlCounts);
    const firstEvtx = await oursEvtx(false);
    const firstRegf = await oursRegf();
    const evtxOurs: Expected = new Map([...firstEvtx].map(([n, c]) => [n, [c.records - c.scanned]]));
    const regfOurs: Expected = new Map([...firstRegf].map(([n, c]) => [n, [c.keys, c.values]]));
    sameCounts('ours against evtxexport', evtxPeerCounts, evtxOurs);
    sameCounts('ours against regfexport', regfPeerCounts, regfOurs);
    const sum = (m: Expected, i: number) => [...m.values()].reduce((s, c) => s + (c[i] ?? 0), 0);
    const records = sum(evtxPeerCounts, 0);
    const keys = sum(regfPeerCounts, 0);
    const values = sum(regfPeerCounts, 1);
    const scanned = [...firstEvtx.values()].reduce((s, c) => s + c.scanned, 0);
    const evtxDiagnostics = [...firstEvtx.values()].reduce((s, c) => s + c.diagnostics, 0);
    const hiveDiagnostics = [...firstRegf.values()].reduce((s, c) => s + c.diagnostics, 0);
    log(
      `  counts agree per file: ${int(records)} records (evtxexport's "Event number" blocks, text and xml), ` +
        `plus ${scanned} of ours found by scanning after a torn record (not counted in rates); ` +
        `${int(keys)} keys and ${int(values)} values (regfexport's "Key path:" and "Value:" blocks)`,
    );
    log(
      `  our diagnostics on the samples: ${evtxDiagnostics} EVTX (damage the samples really hold), ` +
        `${hiveDiagnostics} registry`,
    );

    // --- timed rounds ------------------------------------------------------------------------------------
    const timeOurs = async (kind: 'evtx' | 'evtx-xml' | 'regf'): Promise<Timed> => {
      const start = process.hrtime.bigint();
      for (let p = 0; p < passes; p++) {
        if (kind === 'regf') {
          const got = await oursRegf();
          sameCounts(
            'ours (regf, timed)',
            regfPeerCounts,
            new Map([...got].map(([n, c]) => [n, [c.keys, c.values]])),
          );
        } else {
          const got = await oursEvtx(kind === 'evtx-xml');
          sameCounts(
            'ours (evtx, timed)',
            evtxPeerCounts,
            new Map([...got].map(([n, c]) => [n, [c.records - c.scanned]])),
          );
        }
      }
      return { seconds: seconds(start), units: passes * (kind === 'regf' ? keys : records) };
    };
    const timePeer = async (kind: 'evtx' | 'evtx-xml' | 'regf'): Promise<Timed> => {
      let total = 0;
      for (let p = 0; p < passes; p++) {
        total +=
          kind === 'regf'
            ? await peerPass(regfexport, [], hiveFiles)
            : await peerPass(evtxexport, kind === 'evtx' ? [] : ['-f', 'xml'], evtxFiles);
      }
      return { seconds: total, units: passes * (kind === 'regf' ? keys : records) };
    };

    const kinds = ['evtx', 'evtx-xml', 'regf'] as const;
    const best = new Map<string, number>();
    const keepBest = (label: string, t: Timed) =>
      best.set(label, Math.max(best.get(label) ?? 0, t.units / t.seconds));
    for (let round = 0; round <= rounds; round++) {
      const parts: string[] = [];
      for (const kind of kinds) {
        const ours = await timeOurs(kind);
        const peer = await timePeer(kind);
        parts.push(`${kind} ${ours.seconds.toFixed(2)}/${peer.seconds.toFixed(2)} s`);
        if (round === 0) continue;
        keepBest(`ours:${kind}`, ours);
        keepBest(`peer:${kind}`, peer);
      }
      log(`  ${(round === 0 ? 'warm-up' : `round ${round}`).padEnd(8)} ours/peer: ${parts.join('   ')}`);
    }

    // Process start-up: what a peer pays per file before it reads anything.
    let startup = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) startup = Math.min(startup, await runPeer(evtxexport, ['-V'], env, devNull));

    const ratioOf = (kind: string) => (best.get(`ours:${kind}`) ?? 0) / (best.get(`peer:${kind}`) ?? 1);
    const evtxRatio = ratioOf('evtx');
    const regfRatio = ratioOf('regf');
    const xmlRatio = ratioOf('evtx-xml');
    const line = (label: string, kind: string, unit: string, peer: string) =>
      log(
        `  ${label.padEnd(50)} ${rate(best.get(`ours:${kind}`) ?? 0).padStart(8)} ${unit}/s  ` +
          `${peer.padEnd(26)} ${rate(best.get(`peer:${kind}`) ?? 0).padStart(8)} ${unit}/s  ${ratioOf(kind).toFixed(2)}x`,
      );
    line('EVTX: openEvtx + records(), JSON', 'evtx', 'records', 'evtxexport FILE');
    line('registry: openHive + walkHive, every value read', 'regf', 'keys', 'regfexport FILE');
    line('context: records({ xml: true }), JSON and XML', 'evtx-xml', 'records', 'evtxexport -f xml FILE');
    // The peers' best time for one pass, and the share of it spent starting processes.
    const peerPassSeconds = (kind: string, units: number) => units / (best.get(`peer:${kind}`) ?? 1);
    const share = (files: number, kind: string, units: number) =>
      `${(((files * startup) / peerPassSeconds(kind, units)) * 100).toFixed(0)}%`;
    log(
      `  a peer process starts and exits in ${(startup * 1000).toFixed(1)} ms (evtxexport -V, best of 5): ` +
        `${share(evtxFiles.length, 'evtx', records)} of evtxexport's best time, ` +
        `${share(hiveFiles.length, 'regf', keys)} of regfexport's`,
    );

    // --- fuzz --------------------------------------------------------------------------------------------
    log(
      `  fuzz: ${int(fuzzCount)} inputs per harness (nothing may throw but DATA_INVALID for a non-format input)`,
    );
    let fuzzFailures = 0;
    const fuzzLine = (name: string, inputs: number, failures: number, detail: string, slowest: string) =>
      log(
        `    ${name.padEnd(13)} ${int(inputs).padStart(6)} inputs  ${failures} failures  ${detail}; slowest ${slowest}`,
      );
    const ms = (n: number) => `${n.toFixed(1)} ms`;

    {
      const start = process.hrtime.bigint();
      const r = await fuzzRegf({ count: fuzzCount, seed: 0xb3c11 });
      fuzzFailures += r.failures.length;
      const slow = r.slowest;
      fuzzLine(
        'fuzzRegf',
        r.inputs,
        r.failures.length,
        `${r.notHives} not hives, ${int(r.keys)} keys, ${int(r.values)} values, ${int(r.diagnostics)} diagnostics, ${seconds(start).toFixed(0)} s`,
        slow
          ? `${ms(slow.ms)} (input ${slow.case.index}, ${slow.case.sample}, logs ${slow.case.logs}: ${slow.case.mutations.join(' ').slice(0, 120)})`
          : '-',
      );
      for (const f of r.failures.slice(0, 5))
        log(
          `      failure: input ${f.case.index} ${f.case.sample} ${f.case.mutations.join(' ')}: ${f.error.split('\n')[0]}`,
        );
    }
    {
      // One input per call (input i comes from seed + i alone), so each input is timed.
      const seed = 0xe7d10000;
      fuzzInput(seed); // loads the samples outside the timing
      const start = process.hrtime.bigint();
      let notEvtx = 0;
      let recordsRead = 0;
      let diagnostics = 0;
      let maxReadRatio = 0;
      const failures: { seed: number; problem: string }[] = [];
      let slowest = { ms: 0, seed };
      for (let i = 0; i < fuzzCount; i++) {
        const t = performance.now();
        const r = await fuzzEvtx({ count: 1, seed: seed + i });
        const took = performance.now() - t;
        if (took > slowest.ms) slowest = { ms: took, seed: seed + i };
        notEvtx += r.notEvtx;
        recordsRead += r.records;
        diagnostics += r.diagnostics;
        maxReadRatio = Math.max(maxReadRatio, r.maxReadRatio);
        failures.push(...r.failures);
      }
      fuzzFailures += failures.length;
      fuzzLine(
        'fuzzEvtx',
        fuzzCount,
        failures.length,
        `${notEvtx} not EVTX, ${int(recordsRead)} records, ${int(diagnostics)} diagnostics, ` +
          `reads at most ${maxReadRatio.toFixed(2)}x the input, ${seconds(start).toFixed(0)} s`,
        `${ms(slowest.ms)} (seed ${slowest.seed}: ${fuzzInput(slowest.seed).mutations.join('; ').slice(0, 120)})`,
      );
      for (const f of failures.slice(0, 5)) log(`      failure: seed ${f.seed}: ${f.problem}`);
    }
    const small: Array<[string, (o: { count: number; seed: number }) => Promise<FuzzReport>]> = [
      ['fuzzLnk', fuzzLnk],
      ['fuzzPrefetch', fuzzPrefetch],
      ['fuzzTaskXml', fuzzTaskXml],
      ['fuzzXpress', fuzzXpress],
    ];
    if (existsSync(SHIMCACHE_FUZZ)) {
      const module = (await import(SHIMCACHE_FUZZ.href)) as Record<string, unknown>;
      const harness = module.fuzzShimCache;
      if (typeof harness === 'function') small.push(['fuzzShimCache', harness as (typeof small)[number][1]]);
      else log('    fuzz-shimcache.ts exists but exports no fuzzShimCache function; not run');
    } else {
      log('    (no src/testing/fuzz-shimcache.ts yet: fuzzShimCache not run)');
    }
    for (const [index, [name, harness]] of small.entries()) {
      const start = process.hrtime.bigint();
      try {
        const r = (await harness({ count: fuzzCount, seed: 0x5a11 + index })) as Partial<FuzzReport> & {
          failures?: readonly unknown[];
        };
        // fuzz-small's harnesses throw on the first failure; a harness that lists failures is counted too.
        const failed = r.failures?.length ?? 0;
        fuzzFailures += failed;
        fuzzLine(
          name,
          r.inputs ?? fuzzCount,
          failed,
          `${r.parsed ?? '?'} parsed, ${r.rejected ?? '?'} DATA_INVALID, ${int(r.diagnostics ?? 0)} diagnostics, ` +
            `${seconds(start).toFixed(1)} s`,
          r.slowestMs === undefined ? '-' : `${ms(r.slowestMs)} (input ${r.slowestInput})`,
        );
      } catch (error) {
        fuzzFailures += 1;
        fuzzLine(name, fuzzCount, 1, `stopped at its first failure: ${String(error).slice(0, 300)}`, '-');
      }
    }

    const worse = evtxRatio <= regfRatio ? 'evtx' : 'regf';
    const ratiosMet = evtxRatio >= TARGET_RATIO && regfRatio >= TARGET_RATIO;
    log(
      `  target: ${evtxRatio.toFixed(2)}x evtxexport and ${regfRatio.toFixed(2)}x regfexport (>= ${TARGET_RATIO.toFixed(1)}x each: ` +
        `${ratiosMet ? 'met' : 'NOT met'}); ${fuzzFailures} fuzz failures; XML context ${xmlRatio.toFixed(2)}x`,
    );
    return {
      bench: 'windows',
      metric: 'parse throughput on the same files: EVTX records/s and registry keys/s (the worse ratio)',
      value: Math.round(best.get(`ours:${worse}`) ?? 0),
      unit: worse === 'evtx' ? 'records/s' : 'keys/s',
      peer: `evtxexport 20181227 (${evtxRatio.toFixed(2)}x) and regfexport 20201007 (${regfRatio.toFixed(2)}x), one process per file`,
      peerValue: Math.round(best.get(`peer:${worse}`) ?? 0),
      ratio: Number(Math.min(evtxRatio, regfRatio).toFixed(3)),
      target: `>= 1.0x evtxexport records/s and >= 1.0x regfexport keys/s; 0 failures in ${fuzzCount} fuzzed inputs per parser`,
      met: ratiosMet && fuzzFailures === 0,
    };
  } finally {
    closeSync(devNull);
    await rm(root, { recursive: true, force: true });
  }
}
