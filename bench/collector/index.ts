/**
 * `triage-collect`, the whole app, in two measurements in one run. Every
 * contender runs in its own process under GNU time (peak RSS from it,
 * wall-clock from a monotonic clock around the process), interleaved round by
 * round, best of N.
 *
 * 1. Default set, live, this machine: `triage-collect run --no-upload` of all
 *    kinds from /, beside `tar -czf` of the raw files those collectors read.
 *    Target (issue): ≤ 5 s. Closing JSON line; ratio = tar seconds / ours, so
 *    higher is better for us. tar only copies bytes (and reads /proc/net/*
 *    as empty files); ours parses, normalises, compresses and seals.
 * 2. End to end to MinIO on loopback: collect → compress → encrypt → upload
 *    of a synthetic root (a large sshd auth.log, /etc/passwd, /etc/hostname)
 *    with `run --config bundle.json --root DIR`, beside
 *    `tar -cz -C DIR . | aws s3 cp -`. MB/s = the root's bytes / wall seconds.
 *    Both use the same AssumeRole session credentials, write-only under the
 *    bundle's prefix (what triage-admin hands out). Ours also keeps the local
 *    copy it always writes; the peer writes nothing locally.
 *
 * Secrets go in the bundle file (mode 0600, in a temp dir) or the peer's
 * environment, never in argv.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { generateExaminerKeyPair } from '@triage/encryption';
import { defaultCacheDir, ensureAwsCli, ensureMinio, ServerRegistry, startMinio } from '@triage/testkit';
import type { BenchOptions, BenchResult } from '../run.ts';

const MB = 1e6;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'apps', 'collector', 'dist', 'bin.js');
/** As the `triage-collect` shebang runs it. */
const NODE_FLAGS = ['--max-semi-space-size=2'];
const CASE = 'BENCH-1';
const HOST = 'bench-host';
const PREFIX = `${CASE}/${HOST}/`;
const TARGET_SECONDS = 5;

/**
 * The raw files the default collectors read, for the manual peer; patterns
 * with `*` are expanded, missing paths dropped. /proc/<pid> (processes) has
 * no tar equivalent and is left out.
 */
const TAR_SOURCES = [
  '/etc/passwd',
  '/etc/group',
  '/etc/shadow',
  '/etc/hostname',
  '/etc/os-release',
  '/etc/machine-id',
  '/etc/systemd',
  '/lib/systemd/system',
  '/etc/cron*',
  '/var/spool/cron',
  '/etc/init.d',
  '/etc/rc.local',
  '/etc/profile*',
  '/etc/environment',
  '/etc/bash.bashrc',
  '/etc/xdg/autostart',
  '/etc/ld.so.preload',
  '/etc/modules*',
  '/etc/udev/rules.d',
  '/etc/ssh/sshd_config',
  '/var/log/wtmp',
  '/var/log/btmp',
  '/var/log/lastlog',
  '/var/log/auth.log*',
  '/var/log/secure*',
  '/var/lib/dpkg/status',
  '/home/*/.ssh',
  '/root/.ssh',
  '/home/*/.*_history',
  '/root/.*_history',
  '/proc/net/tcp*',
  '/proc/net/udp*',
];

function exec(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

interface Measured {
  readonly seconds: number;
  readonly peakRssMiB: number;
  readonly stdout: string;
}

interface MeasureOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Exit codes that count as success (tar exits 1 when a file changed as it read it). */
  readonly ok?: readonly number[];
}

/**
 * Runs a command under GNU time for its peak RSS (of the largest process, for
 * a shell pipeline); wall seconds from `performance.now()` around it, since
 * `%e` has 10 ms resolution and tar takes a few tens of them.
 */
async function measure(command: readonly string[], options: MeasureOptions): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-time-'));
  try {
    const timeFile = join(dir, 'time');
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...command], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', resolve);
    });
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => (child.stdout.closed ? resolve(undefined) : child.on('close', resolve)));
    if (code === null || !(options.ok ?? [0]).includes(code)) {
      throw new Error(`${command[0]} failed (${code}): ${stderr.slice(-500)}`);
    }
    const rssKiB = Number((await readFile(timeFile, 'utf8')).trim().split(/\s+/).pop());
    return { seconds, peakRssMiB: rssKiB / 1024, stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Expands `*` in any segment of an absolute path; only paths that exist (lstat). */
async function expand(pattern: string): Promise<string[]> {
  let paths = [''];
  for (const segment of pattern.split('/').slice(1)) {
    const next: string[] = [];
    for (const base of paths) {
      if (!segment.includes('*')) {
        next.push(`${base}/${segment}`);
        continue;
      }
      const re = new RegExp(`^${segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*')}$`);
      const names = await readdir(base || '/').catch(() => [] as string[]);
      for (const name of names.sort()) if (re.test(name)) next.push(`${base}/${name}`);
    }
    paths = next;
  }
  const present: string[] = [];
  for (const path of paths) if ((await lstat(path).catch(() => null)) !== null) present.push(path);
  return present;
}

/** Total bytes of the regular files under `dir`. */
async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await treeBytes(path);
    else if (entry.isFile()) total += (await lstat(path)).size;
  }
  return total;
}

/** xorshift32: the same auth.log on every run. */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ACCOUNTS = ['alice', 'bob', 'deploy', 'backup', 'ci'];
const GUESSED = [
  'admin',
  'ubuntu',
  'test',
  'oracle',
  'postgres',
  'git',
  'user',
  'pi',
  'ftpuser',
  'guest',
  'support',
  'hadoop',
  'minecraft',
  'nagios',
  'steam',
];
const YEAR = 2025;
const LOG_MTIME = new Date(Date.UTC(YEAR, 11, 31, 23, 59, 59));

/**
 * Writes an sshd auth.log of about `size` bytes: mostly Failed/Accepted
 * password lines (and some publickey, invalid-user and preauth lines), users,
 * addresses and ports varied, traditional syslog stamps spread over {@link YEAR}
 * in order, and the file's mtime at the end of that year (the collector dates
 * yearless stamps from it).
 */
async function writeAuthLog(path: string, size: number): Promise<void> {
  const r = random(0x7a11a9e);
  const start = Date.UTC(YEAR, 0, 1);
  const span = Date.UTC(YEAR, 11, 31, 23) - start;
  const step = span / (size / 108); // lines average about 108 bytes
  const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);
  const ipv4 = () => `${1 + r(222)}.${r(256)}.${r(256)}.${1 + r(254)}`;
  const out = createWriteStream(path);
  let written = 0;
  let chunk: string[] = [];
  let chunkBytes = 0;
  let lastSecond = -1;
  let stamp = '';
  for (let i = 0; written + chunkBytes < size; i++) {
    const ms = Math.min(start + Math.floor(i * step), start + span);
    const second = Math.floor(ms / 1000);
    if (second !== lastSecond) {
      const d = new Date(second * 1000);
      const day = d.getUTCDate();
      stamp = `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
      lastSecond = second;
    }
    const head = `${stamp} ${HOST} sshd[${1000 + r(4_000_000)}]: `;
    const ip = r(50) === 0 ? `2001:db8:${r(65536).toString(16)}::${r(65536).toString(16)}` : ipv4();
    const port = 1024 + r(64512);
    const pick = r(100);
    let message: string;
    if (pick < 45) message = `Failed password for root from ${ip} port ${port} ssh2`;
    else if (pick < 65) {
      const user = r(4) === 0 ? `user${r(10000)}` : (GUESSED[r(GUESSED.length)] as string);
      message = `Failed password for invalid user ${user} from ${ip} port ${port} ssh2`;
    } else if (pick < 72)
      message = `Failed password for ${ACCOUNTS[r(ACCOUNTS.length)]} from ${ip} port ${port} ssh2`;
    else if (pick < 80) message = `Invalid user ${GUESSED[r(GUESSED.length)]} from ${ip} port ${port}`;
    else if (pick < 90)
      message = `Accepted password for ${ACCOUNTS[r(ACCOUNTS.length)]} from ${ip} port ${port} ssh2`;
    else if (pick < 95) {
      const fingerprint = Buffer.from([r(2 ** 31), r(2 ** 31), r(2 ** 31), r(2 ** 31), r(2 ** 31)].join(':'))
        .toString('base64')
        .slice(0, 43);
      message = `Accepted publickey for ${ACCOUNTS[r(ACCOUNTS.length)]} from ${ip} port ${port} ssh2: ED25519 SHA256:${fingerprint}`;
    } else message = `Connection closed by authenticating user root ${ip} port ${port} [preauth]`;
    const line = `${head}${message}\n`;
    chunk.push(line);
    chunkBytes += line.length;
    if (chunkBytes >= 1 << 20) {
      written += chunkBytes;
      if (!out.write(chunk.join('')))
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      chunk = [];
      chunkBytes = 0;
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end(chunk.join(''), (error?: Error | null) => (error ? reject(error) : resolve())),
  );
  await utimes(path, LOG_MTIME, LOG_MTIME);
}

/** The synthetic root of the end-to-end run; returns its total bytes. */
async function makeRoot(root: string, authLogBytes: number): Promise<number> {
  await mkdir(join(root, 'etc'), { recursive: true });
  await mkdir(join(root, 'var', 'log'), { recursive: true });
  await writeFile(join(root, 'etc', 'hostname'), `${HOST}\n`);
  await writeFile(
    join(root, 'etc', 'passwd'),
    [
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'sshd:x:105:65534::/run/sshd:/usr/sbin/nologin',
      ...ACCOUNTS.map((name, i) => `${name}:x:${1000 + i}:${1000 + i}:${name}:/home/${name}:/bin/bash`),
      '',
    ].join('\n'),
  );
  await writeAuthLog(join(root, 'var', 'log', 'auth.log'), authLogBytes);
  return treeBytes(root);
}

interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** Write-only session credentials under the prefix, as a bundle from triage-admin carries. */
async function assumeUploader(
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
  bucket: string,
): Promise<Session> {
  const sts = new STSClient({ endpoint, region: 'us-east-1', credentials });
  const assumed = await sts.send(
    new AssumeRoleCommand({
      RoleArn: 'arn:aws:iam::000000000000:role/uploader',
      RoleSessionName: `${CASE}-${HOST}`,
      DurationSeconds: 3600,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:AbortMultipartUpload'],
            Resource: [`arn:aws:s3:::${bucket}/${PREFIX}*`],
          },
        ],
      }),
    }),
  );
  const c = assumed.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new Error('MinIO AssumeRole returned no session credentials');
  }
  if (!/^[A-Z0-9]{16,128}$/.test(c.AccessKeyId)) {
    throw new Error(
      'the MinIO session access key id does not match [A-Z0-9]{16,128}; a bundle cannot carry it',
    );
  }
  return {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: c.Expiration,
  };
}

interface CollectResult {
  readonly bytes: number;
  readonly records: number;
  readonly collectorErrors: readonly unknown[];
  readonly upload: null | {
    readonly bucket: string;
    readonly key: string;
    readonly size: number;
    readonly verified: boolean;
  };
}

interface Best {
  seconds: number;
  rss: number;
}

function keep(best: Best | undefined, m: Measured): Best {
  return {
    seconds: Math.min(best?.seconds ?? Infinity, m.seconds),
    rss: Math.max(best?.rss ?? 0, m.peakRssMiB),
  };
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const env = process.env;
  const cacheDir = defaultCacheDir(env, homedir());
  const install = { cacheDir, env, log };
  const built = performance.now();
  const [minioBin, awsBin] = await Promise.all([
    ensureMinio(install),
    ensureAwsCli(install),
    exec('npx', ['turbo', 'run', 'build', '--filter=@triage/collector', '--output-logs=errors-only']),
  ]);
  const buildSeconds = (performance.now() - built) / 1000;
  const liveRounds = quick ? 3 : 7;
  const e2eRounds = quick ? 2 : 3;
  const authLogBytes = (quick ? 40 : 400) * MB;

  const runDir = await mkdtemp(join(tmpdir(), 'bench-collector-'));
  const work = join(runDir, 'work');
  const registry = new ServerRegistry(join(cacheDir, 'servers'));
  const minio = await startMinio({
    bin: minioBin,
    runDir,
    registry,
    owner: 'cli',
    env: { PATH: env.PATH, HOME: env.HOME },
  }).catch(async (error: unknown) => {
    await rm(runDir, { recursive: true, force: true });
    throw error;
  });
  const { endpoint, credentials } = minio.info;
  const admin = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
  const bucket = 'bench-collector';
  const node = process.execPath;
  // The children get no AWS_* from this shell: ours reads the bundle, the peer gets the session below.
  const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.startsWith('AWS_')),
  );
  try {
    await mkdir(work);
    log(
      `collector bench: dist/bin.js and tools ready in ${buildSeconds.toFixed(1)} s; each contender in its own process, ` +
        `best wall-clock of ${liveRounds} (live) and ${e2eRounds} (end to end) interleaved rounds, peak RSS the worst`,
    );

    // 1. The default set, live.
    const { recipient } = generateExaminerKeyPair();
    const sources = (await Promise.all(TAR_SOURCES.map(expand))).flat();
    const live: Record<'ours' | 'tar', Best | undefined> = { ours: undefined, tar: undefined };
    let liveResult: CollectResult | undefined;
    let tarBytes = 0;
    for (let round = 0; round < liveRounds; round++) {
      const out = join(work, `live-${round}.triage`);
      const ours = await measure(
        [
          node,
          ...NODE_FLAGS,
          BIN,
          'run',
          '--no-upload',
          '--recipient',
          recipient,
          '--case',
          CASE,
          '--json',
          '--quiet',
          '--out',
          out,
        ],
        { env: childEnv, cwd: work },
      );
      liveResult = JSON.parse(ours.stdout) as CollectResult;
      live.ours = keep(live.ours, ours);
      const archive = join(work, `live-${round}.tar.gz`);
      const tar = await measure(['tar', '-czf', archive, '--ignore-failed-read', ...sources], {
        env: childEnv,
        cwd: work,
        ok: [0, 1],
      });
      tarBytes = (await lstat(archive)).size;
      live.tar = keep(live.tar, tar);
      await Promise.all([out, `${out}.receipt.json`, archive].map((file) => rm(file, { force: true })));
    }
    const ours = live.ours ?? { seconds: Number.NaN, rss: 0 };
    const tar = live.tar ?? { seconds: Number.NaN, rss: 0 };
    log(
      `  default set, live   ours ${ours.seconds.toFixed(3).padStart(7)} s  peak RSS ${ours.rss.toFixed(0).padStart(4)} MiB  ` +
        `(${liveResult?.records} records, ${liveResult?.collectorErrors.length} collector errors, ${kB(liveResult?.bytes ?? 0)} sealed; target ≤ ${TARGET_SECONDS} s)`,
    );
    log(
      `  default set, live   tar  ${tar.seconds.toFixed(3).padStart(7)} s  peak RSS ${tar.rss.toFixed(0).padStart(4)} MiB  ` +
        `(tar -czf of ${sources.length} paths, ${kB(tarBytes)} .tar.gz; ${(tar.seconds / ours.seconds).toFixed(3)}x tar/ours)`,
    );

    // 2. End to end to MinIO.
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    const root = join(runDir, 'root');
    const inputBytes = await makeRoot(root, authLogBytes);
    const session = await assumeUploader(endpoint, credentials, bucket);
    const bundle = join(work, 'bundle.json');
    await writeFile(
      bundle,
      JSON.stringify({
        format: 'triage-bundle',
        format_version: 1,
        client: 'bench',
        case: CASE,
        host: HOST,
        issued_at: new Date(Date.now() - 60_000).toISOString(),
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        s3: { bucket, prefix: PREFIX, region: 'us-east-1', endpoint, force_path_style: true },
        credentials: {
          access_key_id: session.accessKeyId,
          secret_access_key: session.secretAccessKey,
          session_token: session.sessionToken,
          expiration: session.expiration.toISOString(),
        },
        recipients: [recipient],
      }),
      { mode: 0o600 },
    );
    const awsEnv: NodeJS.ProcessEnv = {
      ...childEnv,
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    log(
      `  end to end: ${(inputBytes / MB).toFixed(0)} MB root (sshd auth.log, passwd, hostname) → MinIO on 127.0.0.1, ` +
        'write-only session credentials',
    );
    const e2e: Record<'ours' | 'peer', Best | undefined> = { ours: undefined, peer: undefined };
    let ourObject = 0;
    let peerObject = 0;
    let records = 0;
    for (let round = 0; round < e2eRounds; round++) {
      const out = join(work, `e2e-${round}.triage`);
      const m = await measure(
        [
          node,
          ...NODE_FLAGS,
          BIN,
          'run',
          '--config',
          bundle,
          '--root',
          root,
          '--json',
          '--quiet',
          '--out',
          out,
        ],
        { env: childEnv, cwd: work },
      );
      const result = JSON.parse(m.stdout) as CollectResult;
      if (!result.upload?.verified) throw new Error('triage-collect: the upload was not verified');
      ourObject = result.upload.size;
      records = result.records;
      e2e.ours = keep(e2e.ours, m);
      for (const key of [result.upload.key, `${result.upload.key}.preflight`]) {
        await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }
      await Promise.all([out, `${out}.receipt.json`].map((file) => rm(file, { force: true })));

      const key = `${PREFIX}tar-${round}.tar.gz`;
      const peer = await measure(
        [
          '/bin/sh',
          '-c',
          'set -e; tar -cz -C "$1" . | "$2" s3 cp - "s3://$3/$4" --endpoint-url "$5" --only-show-errors',
          'sh',
          root,
          awsBin,
          bucket,
          key,
          endpoint,
        ],
        { env: awsEnv, cwd: work },
      );
      peerObject = (await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ContentLength ?? 0;
      e2e.peer = keep(e2e.peer, peer);
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    }
    const mine = e2e.ours ?? { seconds: Number.NaN, rss: 0 };
    const theirs = e2e.peer ?? { seconds: Number.NaN, rss: 0 };
    const mbps = (seconds: number) => inputBytes / MB / seconds;
    log(
      `  end to end   ours     ${mbps(mine.seconds).toFixed(1).padStart(6)} MB/s (${mine.seconds.toFixed(2)} s)  ` +
        `peak RSS ${mine.rss.toFixed(0).padStart(4)} MiB  input/object ${(inputBytes / ourObject).toFixed(1)}x ` +
        `(${(ourObject / MB).toFixed(1)} MB sealed, ${records} records)`,
    );
    log(
      `  end to end   tar|aws  ${mbps(theirs.seconds).toFixed(1).padStart(6)} MB/s (${theirs.seconds.toFixed(2)} s)  ` +
        `peak RSS ${theirs.rss.toFixed(0).padStart(4)} MiB  input/object ${(inputBytes / peerObject).toFixed(1)}x ` +
        `(${(peerObject / MB).toFixed(1)} MB .tar.gz)`,
    );
    log(`  end to end: ours/peer ${(mbps(mine.seconds) / mbps(theirs.seconds)).toFixed(2)}x in MB/s`);

    return {
      bench: 'collector',
      metric: 'default-set seconds',
      value: Number(ours.seconds.toFixed(3)),
      unit: 's',
      peer: 'tar -czf (same sources)',
      peerValue: Number(tar.seconds.toFixed(3)),
      ratio: Number((tar.seconds / ours.seconds).toFixed(3)),
      target: `≤ ${TARGET_SECONDS} s`,
      met: ours.seconds <= TARGET_SECONDS,
    };
  } finally {
    await minio.process.stop();
    await rm(runDir, { recursive: true, force: true });
  }
}
