import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, open, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TriageError } from '@triage/errors';
import { type ServerOwner, type ServerRegistry, signalServer } from './registry.js';

/**
 * Asks the kernel for a free TCP port on 127.0.0.1. Another process could take
 * it before the server binds; {@link startServerProcess} callers retry on that.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** The last `lines` lines of a log file, for error messages about a failed server. */
export async function tailFile(path: string, lines = 20): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** What {@link startServerProcess} needs. */
export interface ServerProcessOptions {
  /** Short name used in logs and errors: `moto`, `minio`. */
  readonly name: string;
  /** Absolute path of the executable. */
  readonly bin: string;
  readonly args: readonly string[];
  /** The complete environment of the server (nothing is inherited implicitly). */
  readonly env: NodeJS.ProcessEnv;
  /** stdout and stderr go here. */
  readonly logFile: string;
  /** URL that answers 2xx once the server is ready. */
  readonly healthUrl: string;
  /** Give up on readiness after this long; default 60 s. */
  readonly readyTimeoutMs?: number;
  readonly registry: ServerRegistry;
  readonly owner: ServerOwner;
  /** What to do when the executable cannot be run; default: delete the cache folder to reinstall. */
  readonly fixHint?: string;
}

/** A server process started by the test kit. */
export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Stops the server by PID: SIGTERM to its process group, SIGKILL after 5 s. Idempotent. */
  stop(): Promise<void>;
  /** Synchronous last resort for `process.on('exit')`: SIGKILL to the group. */
  killNow(): void;
}

async function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = once(child, 'exit').then(() => true);
  const timer = sleep(ms).then(() => false);
  return Promise.race([exited, timer]);
}

/**
 * Starts a server as its own process group, with output to `logFile`, records
 * it in the registry, and waits until `healthUrl` answers 2xx.
 *
 * @throws TESTKIT_START_FAILED when the process exits early or is not ready in time
 *   (the server is stopped first; the message names the log file)
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  await mkdir(dirname(options.logFile), { recursive: true });
  const log = await open(options.logFile, 'a', 0o600);
  let child: ChildProcess;
  let spawnError: Promise<Error>;
  try {
    child = spawn(options.bin, options.args, {
      env: options.env,
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
    // Listen before any await: a spawn failure (ENOENT) is emitted on the next tick.
    spawnError = once(child, 'error').then(([error]) => error as Error);
  } finally {
    await log.close();
  }
  const pid = child.pid;
  if (pid === undefined) {
    const error = await spawnError;
    throw new TriageError(
      'TESTKIT_START_FAILED',
      `Could not run ${options.name} at ${options.bin}: ${error.message}. ${options.fixHint ?? 'Delete the test kit cache folder to reinstall it.'}`,
      { cause: error, context: { server: options.name, bin: options.bin } },
    );
  }
  child.unref();
  await options.registry.add({
    pid,
    name: options.name,
    bin: options.bin,
    owner: options.owner,
    ownerPid: process.pid,
    startedAt: new Date().toISOString(),
  });

  let stopped: Promise<void> | undefined;
  const server: ServerProcess = {
    name: options.name,
    pid,
    logFile: options.logFile,
    stop() {
      stopped ??= (async () => {
        signalServer(pid, 'SIGTERM');
        if (!(await waitForExit(child, 5_000))) {
          signalServer(pid, 'SIGKILL');
          await waitForExit(child, 5_000);
        }
        // The leader is gone; make sure nothing it forked lingers in the group.
        signalServer(pid, 'SIGKILL');
        await options.registry.remove(pid);
      })();
      return stopped;
    },
    killNow() {
      signalServer(pid, 'SIGKILL');
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await server.stop();
      const tail = await tailFile(options.logFile, 5);
      throw new TriageError(
        'TESTKIT_START_FAILED',
        `${options.name} exited during start-up (${child.exitCode ?? child.signalCode}); see ${options.logFile}: ${tail.replaceAll('\n', ' | ')}`,
        { context: { server: options.name, logFile: options.logFile } },
      );
    }
    try {
      const response = await fetch(options.healthUrl, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new TriageError(
        'TESTKIT_START_FAILED',
        `${options.name} did not become ready at ${options.healthUrl} in time; see ${options.logFile}.`,
        { context: { server: options.name, logFile: options.logFile } },
      );
    }
    await sleep(100);
  }
}
