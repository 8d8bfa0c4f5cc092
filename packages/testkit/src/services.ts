import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureMinio, ensureMoto } from './install.js';
import { defaultCacheDir } from './paths.js';
import { tailFile } from './process.js';
import { isOrphan, reapServers, type ServerOwner, ServerRegistry } from './registry.js';
import { type RunningServer, type ServerInfo, type ServerName, startMinio, startMoto } from './servers.js';

/** Endpoints and credentials of every running server; what tests get from `inject('triageServices')`. */
export type ServicesInfo = Readonly<Record<ServerName, ServerInfo>>;

/** Options for {@link startServices}. */
export interface StartServicesOptions {
  /** The cache folder for installs, logs and process records. */
  readonly cacheDir: string;
  /** Who owns the servers: `vitest` runs are checked for leftovers, `cli` ones are not. */
  readonly owner: ServerOwner;
  /** Environment for installers and servers (PATH, HOME, GOPATH, proxies); default none. */
  readonly env?: NodeJS.ProcessEnv;
  /** Use this moto_server instead of installing one. */
  readonly motoBin?: string | undefined;
  /** Use this minio instead of building one. */
  readonly minioBin?: string | undefined;
  /** Python for the moto virtualenv; default `python3`. */
  readonly python?: string | undefined;
  /** Go for building MinIO; default `go`. */
  readonly go?: string | undefined;
  /** Progress lines for a human. */
  readonly log?: (line: string) => void;
}

/** Options for {@link Services.stop}. */
export interface StopServicesOptions {
  /** Keep the run folder's logs (because a test failed) and print where; default false. */
  readonly keepLogs?: boolean;
}

/** Running servers started by {@link startServices}. */
export interface Services {
  readonly info: ServicesInfo;
  /** This run's folder: `logs/` and the MinIO data. */
  readonly runDir: string;
  /** Stops every server by PID and removes their data; logs only survive with `keepLogs`. */
  stop(options?: StopServicesOptions): Promise<{ readonly logsKeptIn?: string }>;
  /** Synchronous last resort for `process.on('exit')`. */
  killNow(): void;
}

const RUN_RETENTION_MS = 3 * 24 * 3600_000;

async function pruneOldRuns(runsDir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(runsDir, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > RUN_RETENTION_MS)
      await rm(path, { recursive: true, force: true });
  }
}

/**
 * Installs (when needed) and starts moto and MinIO on 127.0.0.1 at free ports,
 * and waits until both answer their health checks. Before starting, it kills
 * any server an earlier, crashed run left behind (found by the PID it
 * recorded, checked against the command line).
 *
 * @throws TESTKIT_INSTALL_FAILED when a server cannot be installed
 * @throws TESTKIT_START_FAILED when a server does not start; the others are stopped again
 */
export async function startServices(options: StartServicesOptions): Promise<Services> {
  const registry = new ServerRegistry(join(options.cacheDir, 'servers'));
  const reaped = await reapServers(registry, isOrphan);
  for (const record of reaped.killed) {
    options.log?.(`stopped ${record.name} (pid ${record.pid}) left running by an earlier run`);
  }
  const runsDir = join(options.cacheDir, 'runs');
  await pruneOldRuns(runsDir);
  const runDir = join(
    runsDir,
    `${new Date().toISOString().replaceAll(':', '-')}-${randomBytes(3).toString('hex')}`,
  );
  await mkdir(join(runDir, 'logs'), { recursive: true });

  const env = options.env ?? {};
  const installOptions = {
    cacheDir: options.cacheDir,
    env,
    ...(options.log ? { log: options.log } : {}),
  };
  const [motoBin, minioBin] = await Promise.all([
    options.motoBin ??
      ensureMoto({ ...installOptions, ...(options.python ? { python: options.python } : {}) }),
    options.minioBin ?? ensureMinio({ ...installOptions, ...(options.go ? { go: options.go } : {}) }),
  ]);

  const common = { runDir, registry, owner: options.owner, env: { PATH: env.PATH, HOME: env.HOME } };
  const hint = (variable: string) => ({
    fixHint: `Check ${variable}, which named it, or unset it to install one.`,
  });
  const started = await Promise.allSettled([
    startMoto({ ...common, bin: motoBin, ...(options.motoBin ? hint('TRIAGE_MOTO_SERVER') : {}) }),
    startMinio({ ...common, bin: minioBin, ...(options.minioBin ? hint('TRIAGE_MINIO') : {}) }),
  ]);
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(running.map((server) => server.process.stop()));
    throw failure.reason;
  }
  const [moto, minio] = running as [RunningServer, RunningServer];

  return {
    info: { moto: moto.info, minio: minio.info },
    runDir,
    killNow() {
      for (const server of running) server.process.killNow();
    },
    async stop(stopOptions = {}) {
      await Promise.all(running.map((server) => server.process.stop()));
      const dataDirs = (await readdir(runDir)).filter((name) => name.startsWith('minio-data-'));
      await Promise.all(dataDirs.map((name) => rm(join(runDir, name), { recursive: true, force: true })));
      if (stopOptions.keepLogs) return { logsKeptIn: join(runDir, 'logs') };
      await rm(runDir, { recursive: true, force: true });
      return {};
    },
  };
}

/**
 * The last lines of each server's log, for printing when tests failed.
 *
 * @param info - the servers
 * @param lines - lines per log; default 30
 */
export async function serverLogTails(info: ServicesInfo, lines = 30): Promise<string> {
  const parts: string[] = [];
  for (const server of Object.values(info)) {
    parts.push(
      `--- ${server.name} (${server.logFile}), last ${lines} lines ---`,
      await tailFile(server.logFile, lines),
    );
  }
  return parts.join('\n');
}

/**
 * {@link StartServicesOptions} from the environment: the cache folder
 * (`TRIAGE_CACHE_DIR`, `XDG_CACHE_HOME`), binaries to use instead of installing
 * (`TRIAGE_MOTO_SERVER`, `TRIAGE_MINIO`) and toolchains (`TRIAGE_PYTHON`,
 * `TRIAGE_GO`). Used by the CLI and the vitest setup alike.
 */
export function servicesOptionsFromEnv(
  env: NodeJS.ProcessEnv,
  owner: ServerOwner,
  log: (line: string) => void,
): StartServicesOptions {
  return {
    cacheDir: defaultCacheDir(env, homedir()),
    owner,
    env,
    motoBin: env.TRIAGE_MOTO_SERVER,
    minioBin: env.TRIAGE_MINIO,
    python: env.TRIAGE_PYTHON,
    go: env.TRIAGE_GO,
    log,
  };
}
