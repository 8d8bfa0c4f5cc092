import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, constants, mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TriageError } from '@triage/errors';
import { withFileLock } from './lock.js';

/** moto release installed from PyPI (`moto[server]`). */
export const MOTO_VERSION = '5.2.5';
/**
 * MinIO source version installed with `go install`. MinIO's release tags are
 * not semver, so the Go module proxy serves it as this pseudo-version
 * (commit 7aac2a2c5b7c, 2026-02-12, the newest on the proxy).
 */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';
const MINIO_MODULE = 'github.com/minio/minio';
const CONSTRAINTS = fileURLToPath(new URL('../moto-constraints.txt', import.meta.url));
const MARKER = '.triage-installed';

/** Options shared by the installers. */
export interface InstallOptions {
  /** The cache folder (see `defaultCacheDir`). */
  readonly cacheDir: string;
  /** Progress lines for a human ("installing MinIO, this takes a few minutes"). */
  readonly log?: (line: string) => void;
  /** Environment for the install tools (PATH, HOME, GOPATH, proxies…); default: none but PATH and HOME. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options for {@link ensureMoto}. */
export interface EnsureMotoOptions extends InstallOptions {
  /** Python 3.9+ to build the virtualenv with; default `python3`. */
  readonly python?: string;
}

/** Options for {@link ensureMinio}. */
export interface EnsureMinioOptions extends InstallOptions {
  /** The Go tool; default `go`. */
  readonly go?: string;
}

interface RunResult {
  readonly ok: boolean;
  readonly error?: Error;
}

async function run(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<RunResult> {
  const log = await open(logFile, 'a', 0o600);
  try {
    await log.write(`$ ${file} ${args.join(' ')}\n`);
    const result = await new Promise<RunResult>((resolve) => {
      execFile(file, args, { env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        void log.write(`${stdout}${stderr}`).then(() => resolve(error ? { ok: false, error } : { ok: true }));
      });
    });
    return result;
  } finally {
    await log.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function installed(dir: string, bin: string): Promise<boolean> {
  try {
    await stat(join(dir, MARKER));
  } catch {
    return false;
  }
  return exists(bin);
}

function baseEnv(options: InstallOptions): NodeJS.ProcessEnv {
  return options.env ?? {};
}

function installFailed(what: string, fix: string, logFile: string, cause?: Error): TriageError {
  return new TriageError(
    'TESTKIT_INSTALL_FAILED',
    `Could not install ${what}: ${fix} Install log: ${logFile}`,
    {
      ...(cause ? { cause } : {}),
      context: { logFile },
    },
  );
}

/** A command-line tool installed with pip into a cached virtualenv. */
interface VenvTool {
  /** Folder name under the cache, e.g. `moto-5.2.5-<pins>`. */
  readonly dir: string;
  /** Lock and log name. */
  readonly name: string;
  /** pip requirement, e.g. `moto[server]==5.2.5`. */
  readonly requirement: string;
  /** Executable inside the venv's bin folder. */
  readonly bin: string;
  /** Optional pip constraints file pinning every dependency. */
  readonly constraints?: string;
  /** Human note for the log line. */
  readonly note: string;
}

async function ensureVenvTool(tool: VenvTool, options: EnsureMotoOptions): Promise<string> {
  const dir = join(options.cacheDir, tool.dir);
  const bin = join(dir, 'bin', tool.bin);
  if (await installed(dir, bin)) return bin;
  return withFileLock(
    join(options.cacheDir, 'locks', `${tool.name}.lock`),
    async () => {
      if (await installed(dir, bin)) return bin;
      const logFile = join(options.cacheDir, 'logs', `install-${tool.name}-${Date.now()}.log`);
      await mkdir(join(options.cacheDir, 'logs'), { recursive: true });
      options.log?.(`installing ${tool.requirement} into ${dir} (once; ${tool.note})`);
      const env = baseEnv(options);
      const python = options.python ?? 'python3';
      await rm(dir, { recursive: true, force: true });
      const venv = await run(python, ['-m', 'venv', dir], env, logFile);
      if (!venv.ok) {
        throw installFailed(
          tool.name,
          `"${python} -m venv" failed. Install Python 3.9+ with venv (Debian: apt-get install python3-venv) or set TRIAGE_PYTHON.`,
          logFile,
          venv.error,
        );
      }
      const pip = await run(
        join(dir, 'bin', 'python'),
        [
          '-m',
          'pip',
          'install',
          '--disable-pip-version-check',
          '--no-input',
          '--quiet',
          ...(tool.constraints ? ['-c', tool.constraints] : []),
          tool.requirement,
        ],
        env,
        logFile,
      );
      if (!pip.ok || !(await exists(bin))) {
        await rm(dir, { recursive: true, force: true });
        throw installFailed(
          tool.name,
          `pip could not install ${tool.requirement}; check access to PyPI.`,
          logFile,
          pip.error,
        );
      }
      await writeFile(join(dir, MARKER), `${JSON.stringify({ requirement: tool.requirement, python })}\n`);
      return bin;
    },
    { onWait: (pid) => options.log?.(`waiting for process ${pid} to finish installing ${tool.name}`) },
  );
}

/**
 * Makes sure the pinned moto server is installed in a virtualenv under the
 * cache folder, installing it on first use (about 20 s). Concurrent callers
 * wait for one install. The versions of every Python package come from
 * `moto-constraints.txt`, and the folder name carries a hash of that file, so a
 * change of pins installs afresh beside the old one.
 *
 * @returns the absolute path of `moto_server`
 * @throws TESTKIT_INSTALL_FAILED when Python or pip fail (the message says what to install)
 */
export async function ensureMoto(options: EnsureMotoOptions): Promise<string> {
  const pinHash = createHash('sha256')
    .update(await readFile(CONSTRAINTS))
    .digest('hex')
    .slice(0, 12);
  return ensureVenvTool(
    {
      dir: `moto-${MOTO_VERSION}-${pinHash}`,
      name: 'moto',
      requirement: `moto[server]==${MOTO_VERSION}`,
      bin: 'moto_server',
      constraints: CONSTRAINTS,
      note: 'about 20 s',
    },
    options,
  );
}

/** aws cli release installed from PyPI for the transport benchmark's peer. */
export const AWS_CLI_VERSION = '1.46.3';

/**
 * Makes sure the pinned aws cli (v1, from PyPI) is installed in a virtualenv
 * under the cache folder; used by the transport benchmark as a peer.
 *
 * @returns the absolute path of `aws`
 * @throws TESTKIT_INSTALL_FAILED when Python or pip fail
 */
export function ensureAwsCli(options: EnsureMotoOptions): Promise<string> {
  return ensureVenvTool(
    {
      dir: `awscli-${AWS_CLI_VERSION}`,
      name: 'awscli',
      requirement: `awscli==${AWS_CLI_VERSION}`,
      bin: 'aws',
      note: 'about 15 s',
    },
    options,
  );
}

/**
 * Makes sure the pinned MinIO server is built from source with `go install`
 * into the cache folder, building it on first use (a few minutes: it
 * downloads and compiles MinIO and its modules; Go's own caches make later
 * builds faster). Concurrent callers wait for one build.
 *
 * @returns the absolute path of the `minio` executable
 * @throws TESTKIT_INSTALL_FAILED when Go is missing or the build fails
 */
export async function ensureMinio(options: EnsureMinioOptions): Promise<string> {
  const dir = join(options.cacheDir, `minio-${MINIO_VERSION}`);
  const bin = join(dir, 'bin', 'minio');
  if (await installed(dir, bin)) return bin;
  return withFileLock(
    join(options.cacheDir, 'locks', 'minio.lock'),
    async () => {
      if (await installed(dir, bin)) return bin;
      const logFile = join(options.cacheDir, 'logs', `install-minio-${Date.now()}.log`);
      await mkdir(join(dir, 'bin'), { recursive: true });
      await mkdir(join(options.cacheDir, 'logs'), { recursive: true });
      options.log?.(`building MinIO ${MINIO_VERSION} from source into ${dir} (once; a few minutes)`);
      const go = options.go ?? 'go';
      const env = { ...baseEnv(options), GOBIN: join(dir, 'bin'), CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
      const built = await run(go, ['install', `${MINIO_MODULE}@${MINIO_VERSION}`], env, logFile);
      if (!built.ok || !(await exists(bin))) {
        throw installFailed(
          'MinIO',
          `"${go} install ${MINIO_MODULE}@${MINIO_VERSION}" failed. Install Go 1.24+ (https://go.dev/dl) or set TRIAGE_GO, and check access to the Go module proxy.`,
          logFile,
          built.error,
        );
      }
      await writeFile(join(dir, MARKER), `${JSON.stringify({ minio: MINIO_VERSION })}\n`);
      return bin;
    },
    { onWait: (pid) => options.log?.(`waiting for process ${pid} to finish building MinIO`) },
  );
}
