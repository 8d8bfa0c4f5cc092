/**
 * `npm run bench -- trail`: CloudTrail events per second through
 * `traceTrail`, beside the script a responder writes first, and the peak
 * memory of both on one large file.
 *
 * Target (the `@triage/trail` issue): ≥ 100,000 events/s over a generated
 * corpus of 1 million events, with bounded memory.
 *
 * Setup (untimed): `syntheticTrail({ noise: N })` (N = 1,000,000, or
 * 200,000 with `--quick`; the credential-theft chain is hidden in it) written
 * as CloudTrail delivers it, gzip files of `{"Records":[…]}` with 1,000
 * records each under `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`, and,
 * for the memory check, one uncompressed `.json` file of 300,000 records
 * (about 260 MB), all in a temp folder that is removed at the end.
 *
 * - ours: `traceTrail(localTrailSource(dir))`, exactly as the app calls it:
 *   list, read, gunzip, split records, parse, normalise, build the lineage,
 *   detect findings. Checked: every event read, no diagnostics, the chain's
 *   chained role key in the graph and a `role-chaining` finding on it.
 * - peer: what a responder's script does: per file `zlib.gunzipSync` of the
 *   file read whole, `JSON.parse` of the whole document, a loop counting
 *   events per `userIdentity.accessKeyId` in a Map. No lineage, no findings.
 *
 * Rounds are interleaved (ours, peer), after one untimed warm-up round; each
 * side keeps its best. Peak memory is measured in child processes
 * (bench/trail/child.ts, `process.resourceUsage().maxRSS`): ours over the
 * whole corpus and over the one large file, the peer's whole-file parse of
 * that file, and an idle child that only loads `@triage/trail` (the floor).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { localTrailSource, type SyntheticAttack, syntheticTrail, traceTrail } from '@triage/trail';
import type { BenchOptions, BenchResult } from '../run.ts';

const TARGET_RATE = 100_000;
/**
 * The big-file bound. An idle child (node, tsx, `@triage/trail`) peaks
 * around 80 MiB; the reader adds its 1 MiB read chunks, zlib's buffers, one
 * record (at most 16 MiB by default) or one small file read whole (at most
 * 4 MiB), and the graph, which grows with keys, not events. 256 MiB leaves
 * room for that and for V8's lazy collection, and is below the file's own
 * size (about 260 MB), so a reader that held the file could not stay under it.
 */
const RSS_BOUND = 256 * 1024 * 1024;
const RECORDS_PER_FILE = 1000;
const BIG_FILE_RECORDS = 300_000;
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const rate = (n: number) => Math.round(n).toLocaleString('en');

interface Corpus {
  readonly dir: string;
  readonly files: number;
  readonly events: number;
  readonly jsonBytes: number;
  readonly gzipBytes: number;
  readonly attack: SyntheticAttack;
}

/** `syntheticTrail({ noise })` as CloudTrail delivers it: gzip `{"Records":[…]}` files of `perFile` records. */
export function writeCorpus(root: string, noise: number, perFile = RECORDS_PER_FILE): Corpus {
  const trail = syntheticTrail({ noise });
  const dir = join(root, 'AWSLogs', ACCOUNT, 'CloudTrail', REGION, '2026', '11', '02');
  mkdirSync(dir, { recursive: true });
  let files = 0;
  let events = 0;
  let jsonBytes = 0;
  let gzipBytes = 0;
  let batch: string[] = [];
  const flush = () => {
    const body = `{"Records":[${batch.join(',')}]}`;
    const gz = gzipSync(body);
    const seq = String(files).padStart(6, '0');
    writeFileSync(join(dir, `${ACCOUNT}_CloudTrail_${REGION}_20261102T0800Z_${seq}.json.gz`), gz);
    files++;
    jsonBytes += Buffer.byteLength(body);
    gzipBytes += gz.length;
    batch = [];
  };
  for (const record of trail.records()) {
    batch.push(JSON.stringify(record));
    events++;
    if (batch.length === perFile) flush();
  }
  if (batch.length > 0) flush();
  return { dir: root, files, events, jsonBytes, gzipBytes, attack: trail.attack };
}

/** One uncompressed `{"Records":[…]}` file of about `records` records, written in pieces. */
export function writeBigFile(path: string, records: number): { events: number; bytes: number } {
  const fd = openSync(path, 'w');
  try {
    let events = 0;
    let bytes = 0;
    let piece = '{"Records":[';
    for (const record of syntheticTrail({ noise: records, seed: 2 }).records()) {
      piece += `${events === 0 ? '' : ','}${JSON.stringify(record)}`;
      events++;
      if (piece.length >= MiB) {
        bytes += writeSync(fd, piece);
        piece = '';
      }
    }
    bytes += writeSync(fd, `${piece}]}`);
    return { events, bytes };
  } finally {
    closeSync(fd);
  }
}

/** The responder's script: per file gunzip whole, parse whole, count events per access key id. */
function naive(root: string): { events: number; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  let events = 0;
  const files = readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json.gz'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const file of files) {
    const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as {
      Records: { userIdentity?: { accessKeyId?: string } }[];
    };
    for (const record of doc.Records) {
      const key = record.userIdentity?.accessKeyId;
      if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
      events++;
    }
  }
  return { events, counts };
}

interface ChildReport {
  readonly mode: string;
  readonly events: number;
  readonly keys: number;
  readonly chained: boolean;
  readonly seconds: number;
  readonly maxRssBytes: number;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** Runs bench/trail/child.ts in a fresh process; its report, or why it failed. */
function child(...args: string[]): ChildReport | string {
  const out = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=triage-source', CHILD, ...args], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 * MiB,
  });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) {
    const why = (
      out.stderr
        .trim()
        .split('\n')
        .find((l) => /error/i.test(l)) ?? out.stderr.trim()
    ).slice(0, 160);
    return `exit ${out.status ?? out.signal}: ${why}`;
  }
  return JSON.parse(line) as ChildReport;
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const noise = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 2 : 3;
  const root = await mkdtemp(join(tmpdir(), 'triage-bench-trail-'));
  try {
    const setup = process.hrtime.bigint();
    const corpus = writeCorpus(join(root, 'corpus'), noise);
    const bigPath = join(root, 'big', `${ACCOUNT}_CloudTrail_${REGION}_20261102T0800Z_big.json`);
    mkdirSync(join(root, 'big'));
    const big = writeBigFile(bigPath, BIG_FILE_RECORDS);
    const { attack, events } = corpus;
    log(
      `trail bench: ${events.toLocaleString('en')} events in ${corpus.files} gzip files of ${RECORDS_PER_FILE} ` +
        `(${(corpus.jsonBytes / 1e6).toFixed(0)} MB of JSON, ${(corpus.gzipBytes / 1e6).toFixed(0)} MB gzip), ` +
        `and one ${(big.bytes / 1e6).toFixed(0)} MB .json file of ${big.events.toLocaleString('en')} events, ` +
        `written in ${(Number(process.hrtime.bigint() - setup) / 1e9).toFixed(1)} s; ` +
        `best of ${rounds} interleaved rounds after a warm-up (node ${process.version})`,
    );

    const ours = async (): Promise<number> => {
      const start = process.hrtime.bigint();
      const result = await traceTrail(localTrailSource(corpus.dir));
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const chained = result.graph.keys.find((k) => k.accessKeyId === attack.chainedRoleKey);
      const finding = result.findings.find(
        (f) => f.rule === 'role-chaining' && f.keys.includes(attack.chainedRoleKey),
      );
      if (
        result.graph.events !== events ||
        result.diagnosticCount !== 0 ||
        result.files !== corpus.files ||
        chained?.origin !== 'minted' ||
        finding === undefined
      ) {
        throw new Error(
          `traceTrail is wrong: ${result.graph.events}/${events} events, ${result.diagnosticCount} diagnostics, ` +
            `chained key ${chained?.origin ?? 'missing'}, role-chaining finding ${finding ? 'found' : 'missing'}`,
        );
      }
      return seconds;
    };
    const peer = (): number => {
      const start = process.hrtime.bigint();
      const result = naive(corpus.dir);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (result.events !== events || !result.counts.has(attack.chainedRoleKey)) {
        throw new Error(`peer is wrong: ${result.events}/${events} events`);
      }
      return seconds;
    };

    let bestOurs = 0;
    let bestPeer = 0;
    for (let round = 0; round <= rounds; round++) {
      const oursSeconds = await ours();
      const peerSeconds = peer();
      const label = round === 0 ? 'warm-up' : `round ${round}`;
      log(
        `  ${label.padEnd(8)} traceTrail ${oursSeconds.toFixed(2)} s (${rate(events / oursSeconds)}/s)` +
          `  naive ${peerSeconds.toFixed(2)} s (${rate(events / peerSeconds)}/s)`,
      );
      if (round === 0) continue;
      bestOurs = Math.max(bestOurs, events / oursSeconds);
      bestPeer = Math.max(bestPeer, events / peerSeconds);
    }
    const ratio = bestOurs / bestPeer;
    log(
      `  traceTrail, files to findings                  ${rate(bestOurs).padStart(9)} events/s  ${ratio.toFixed(2)}x naive`,
    );
    log(`  gunzipSync + JSON.parse + Map count (peer)     ${rate(bestPeer).padStart(9)} events/s`);

    // Peak memory, each in a fresh process.
    const idle = child('idle');
    const whole = child('ours', corpus.dir);
    const oursBig = child('ours', bigPath);
    const peerBig = child('peer', bigPath);
    const rss = (r: ChildReport | string) => (typeof r === 'string' ? `failed (${r})` : mib(r.maxRssBytes));
    const bigOk =
      typeof oursBig !== 'string' &&
      oursBig.events === big.events &&
      oursBig.chained &&
      oursBig.maxRssBytes < RSS_BOUND;
    if (typeof whole !== 'string' && (whole.events !== events || !whole.chained)) {
      throw new Error(`child traceTrail over the corpus read ${whole.events}/${events} events`);
    }
    const row = (label: string, r: ChildReport | string, extra = '') =>
      log(
        `    ${label.padEnd(52)} ${rss(r).padStart(8)}` +
          (typeof r === 'string' || r.mode === 'idle' ? '' : `  ${r.seconds.toFixed(2)} s${extra}`),
      );
    const bigMB = `${(big.bytes / 1e6).toFixed(0)} MB`;
    log(`  peak RSS (maxRSS of a fresh process each):`);
    row('idle: node + tsx + @triage/trail loaded', idle);
    row(`traceTrail, the whole corpus (${corpus.files} files)`, whole);
    row(
      `traceTrail, one ${bigMB} .json file (streamed)`,
      oursBig,
      typeof oursBig === 'string' ? '' : `, ${rate(oursBig.events / oursBig.seconds)} events/s`,
    );
    row(`peer, JSON.parse of that file whole`, peerBig);
    log(
      `  bounded memory: ${bigOk ? 'yes' : 'NO'}, the ${bigMB} file peaks at ${rss(oursBig)} < ${mib(RSS_BOUND)} ` +
        `(the idle floor, 1 MiB reads, one record or one small file at a time, and the graph of keys)`,
    );

    return {
      bench: 'trail',
      metric: 'CloudTrail events per second, gzip files to lineage and findings',
      value: Math.round(bestOurs),
      unit: 'events/s',
      peer: 'zlib.gunzipSync + JSON.parse per file, count per userIdentity.accessKeyId in a Map',
      peerValue: Math.round(bestPeer),
      ratio: Number(ratio.toFixed(3)),
      target: '>= 100000 events/s, bounded memory',
      met: bestOurs >= TARGET_RATE && bigOk,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
