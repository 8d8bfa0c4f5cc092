/**
 * Upload to MinIO on loopback: @triage/s3-transport vs @aws-sdk/lib-storage
 * Upload vs the aws cli, in one run, each in its own process (so peak RSS is
 * its own), MB/s from wall-clock time and peak RSS from GNU time.
 * Also: bytes re-sent by a resume after a kill at 50%, and (full mode) a
 * 5 GiB upload of unknown length for peak RSS.
 *
 * Targets (issue 4): ≥ 1.0× lib-storage and ≥ 1.5× aws cli in throughput;
 * peak RSS ≤ 128 MiB for ours; resume re-sends at most one part plus 5%.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readJournal } from '@triage/s3-transport';
import {
  defaultCacheDir,
  ensureAwsCli,
  ensureMinio,
  ServerRegistry,
  startFaultProxy,
  startMinio,
} from '@triage/testkit';
import * as esbuild from 'esbuild';
import type { BenchOptions, BenchResult } from '../run.ts';

const MiB = 1024 * 1024;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Compiles the child scripts to plain JavaScript and builds the packages, so
 * every Node uploader runs as `node child.js` on the published build: no
 * TypeScript loader in the measured processes (it would add half a second and
 * ~25 MiB to each).
 */
async function prepareChildren(dir: string): Promise<{ ours: string; libStorage: string }> {
  await new Promise<void>((resolve, reject) => {
    const build = spawn(
      'npx',
      ['turbo', 'run', 'build', '--filter=@triage/s3-transport', '--output-logs=errors-only'],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    build.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build failed (${code})`))));
  });
  const outdir = join(ROOT, 'bench', 'transport', '.build');
  await esbuild.build({
    entryPoints: [here('./child-ours.ts'), here('./child-lib-storage.ts')],
    outdir,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  void dir;
  return { ours: join(outdir, 'child-ours.mjs'), libStorage: join(outdir, 'child-lib-storage.mjs') };
}

interface Measured {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stdout: string;
}

/** Runs a command under GNU time; arguments for node children go on stdin, never argv. */
async function measure(command: string[], stdin: string, env: NodeJS.ProcessEnv): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  const timeFile = join(dir, 'time');
  const child = spawn('/usr/bin/time', ['-f', '%e %M', '-o', timeFile, ...command], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d;
  });
  child.stdin.end(stdin);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`${command[0]} failed (${code}): ${stderr.slice(-500)}`);
  const [seconds, rssKiB] = (await readFile(timeFile, 'utf8')).trim().split(/\s+/).map(Number);
  await rm(dir, { recursive: true, force: true });
  return { seconds: seconds ?? 0, peakRssMiB: (rssKiB ?? 0) / 1024, stdout };
}

async function writeRandomFile(path: string, size: number): Promise<void> {
  const out = createWriteStream(path);
  const block = randomBytes(16 * MiB);
  for (let written = 0; written < size; written += block.length) {
    if (!out.write(block.subarray(0, Math.min(block.length, size - written)))) {
      await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const env = process.env;
  const cacheDir = defaultCacheDir(env, homedir());
  const install = { cacheDir, env, log };
  const [minioBin, awsBin] = await Promise.all([ensureMinio(install), ensureAwsCli(install)]);
  const runDir = await mkdtemp(join(tmpdir(), 'bench-transport-'));
  const registry = new ServerRegistry(join(cacheDir, 'servers'));
  const minio = await startMinio({
    bin: minioBin,
    runDir,
    registry,
    owner: 'cli',
    env: { PATH: env.PATH, HOME: env.HOME },
  });
  const { endpoint, credentials } = minio.info;
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const bucket = 'bench';
  // 1 GiB in both modes (the resume target is defined on it); full mode adds rounds and the 5 GiB run.
  const size = 1024 * MiB;
  const rounds = quick ? 1 : 3;
  const file = join(runDir, 'source.bin');
  try {
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    await writeRandomFile(file, size);
    log(
      `transport bench: ${size / MiB} MiB file to MinIO on 127.0.0.1, ${rounds} interleaved round(s), each uploader in its own process`,
    );

    const args = (key: string, extra: object = {}) =>
      JSON.stringify({ endpoint, bucket, key, path: file, credentials, ...extra });
    const awsEnv = {
      ...env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const children = await prepareChildren(runDir);
    const node = process.execPath;
    const contenders = {
      ours: (key: string) => measure([node, children.ours], args(key), env),
      'lib-storage': (key: string) => measure([node, children.libStorage], args(key), env),
      'aws cli': (key: string) =>
        measure(
          [
            awsBin,
            's3',
            'cp',
            file,
            `s3://${bucket}/${key}`,
            '--endpoint-url',
            endpoint,
            '--only-show-errors',
          ],
          '',
          awsEnv,
        ),
    };
    const best: Record<string, { mbps: number; rss: number }> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, upload] of Object.entries(contenders)) {
        const key = `${name.replace(' ', '-')}-${round}`;
        const result = await upload(key);
        await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
        const mbps = size / 1e6 / result.seconds;
        const previous = best[name];
        best[name] = {
          mbps: Math.max(previous?.mbps ?? 0, mbps),
          rss: Math.max(previous?.rss ?? 0, result.peakRssMiB),
        };
      }
    }
    const ours = best.ours ?? { mbps: 0, rss: 0 };
    const lib = best['lib-storage'] ?? { mbps: 0, rss: 0 };
    const aws = best['aws cli'] ?? { mbps: 0, rss: 0 };
    for (const [name, r] of Object.entries(best)) {
      log(
        `  ${name.padEnd(12)} ${r.mbps.toFixed(0).padStart(5)} MB/s  peak RSS ${r.rss.toFixed(0).padStart(4)} MiB  ` +
          `(${(ours.mbps / r.mbps).toFixed(2)}x ours/this)`,
      );
    }

    // Resume after a kill at 50%: count request bytes through a pass-through proxy.
    const proxy = await startFaultProxy(endpoint);
    const journal = join(runDir, 'resume.journal');
    const resumeArgs = JSON.stringify({
      endpoint: proxy.endpoint,
      bucket,
      key: 'resume',
      path: file,
      journal,
      credentials,
    });
    const killed = spawn(node, [children.ours], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    killed.stdin.end(resumeArgs);
    const partSize = 8 * MiB;
    for (;;) {
      await sleep(5);
      const parts = (await readJournal(journal).catch(() => undefined))?.parts.length ?? 0;
      if (parts * partSize >= size / 2 || killed.exitCode !== null) break;
    }
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.on('exit', resolve));
    const afterKill = proxy.bytesForwarded();
    const resumed = await measure([node, children.ours], resumeArgs, env);
    const receipt = JSON.parse(resumed.stdout) as {
      skippedBytes: number;
      sentBytes: number;
      resumed: boolean;
    };
    const resent = proxy.bytesForwarded() - size;
    await proxy.stop();
    const resendLimit = partSize + 0.05 * size;
    log(
      `  resume after a kill at ${((afterKill / size) * 100).toFixed(0)}%: ${(resent / MiB).toFixed(1)} MiB sent twice ` +
        `(limit ${(resendLimit / MiB).toFixed(1)} MiB: one part + 5%), ${(receipt.skippedBytes / MiB).toFixed(0)} MiB skipped`,
    );

    // 5 GiB of unknown length. The transport holds at most concurrency + 1 parts; V8's young
    // generation grows by itself in a long transfer, so the run is shown with default flags and
    // with the smaller young generation the collector app sets (--max-semi-space-size=2).
    let bigRss = 0;
    if (!quick) {
      for (const flags of [[], ['--max-semi-space-size=2']]) {
        const big = await measure(
          [node, ...flags, children.ours],
          JSON.stringify({ endpoint, bucket, key: 'five-gib', streamBytes: 5 * 1024 * MiB, credentials }),
          env,
        );
        await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'five-gib' }));
        if (flags.length > 0) bigRss = big.peakRssMiB;
        log(
          `  5 GiB of unknown length${flags.length > 0 ? ` (node ${flags.join(' ')})` : ' (default node)'}: ` +
            `${((5 * 1024 * MiB) / 1e6 / big.seconds).toFixed(0)} MB/s, peak RSS ${big.peakRssMiB.toFixed(0)} MiB`,
        );
      }
    }

    const rssOk = ours.rss <= 128 && bigRss <= 128;
    return {
      bench: 'transport',
      metric: `upload_${size / MiB}MiB_minio`,
      value: Math.round(ours.mbps),
      unit: 'MB/s',
      peer: '@aws-sdk/lib-storage Upload',
      peerValue: Math.round(lib.mbps),
      ratio: Number((ours.mbps / lib.mbps).toFixed(3)),
      target: '>=1.0x lib-storage, >=1.5x aws cli, peak RSS <= 128 MiB, resume re-sends <= 1 part + 5%',
      met: ours.mbps >= lib.mbps && ours.mbps >= 1.5 * aws.mbps && rssOk && resent <= resendLimit,
    };
  } finally {
    await minio.process.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}
