import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isAlive } from './lock.js';

/** Who started a server: a vitest run (must be gone when tests end) or `npm run services`. */
export type ServerOwner = 'vitest' | 'cli';

/** What the registry records about each server process the test kit starts. */
export interface ServerRecord {
  readonly pid: number;
  readonly name: string;
  /** The executable path; a live PID only counts as ours if its command line contains it. */
  readonly bin: string;
  readonly owner: ServerOwner;
  /** The process that started it; when it has died, the server is an orphan. */
  readonly ownerPid: number;
  readonly startedAt: string;
}

/**
 * A folder of one JSON file per server process started by the test kit.
 * It lets a later run find and stop servers that a crashed run left behind,
 * always by PID and only after checking the PID's command line, never by
 * process name.
 */
export class ServerRegistry {
  constructor(readonly dir: string) {}

  /** Records a started server. */
  async add(record: ServerRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, `${record.pid}.json`), `${JSON.stringify(record)}\n`, { mode: 0o600 });
  }

  /** Forgets a server (after it has been stopped). */
  async remove(pid: number): Promise<void> {
    await rm(join(this.dir, `${pid}.json`), { force: true });
  }

  /** All records; unreadable files are ignored. */
  async list(): Promise<ServerRecord[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const records: ServerRecord[] = [];
    for (const name of names.filter((n) => n.endsWith('.json'))) {
      try {
        records.push(JSON.parse(await readFile(join(this.dir, name), 'utf8')) as ServerRecord);
      } catch {
        // A half-written record from a crash; isRunning() cannot vouch for it, so skip it.
      }
    }
    return records;
  }
}

/**
 * Whether the process recorded in `record` still runs: the PID is alive and
 * its command line still names the recorded executable (so a PID the kernel
 * has reused for something else is never mistaken for our server).
 */
export async function isRunning(record: ServerRecord): Promise<boolean> {
  if (!isAlive(record.pid)) return false;
  try {
    const cmdline = await readFile(`/proc/${record.pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg === record.bin);
  } catch {
    // No /proc (not Linux): fall back to the PID alone.
    return process.platform !== 'linux';
  }
}

/**
 * Sends `signal` to the server's process group (the test kit starts each server
 * as a group leader, so helper processes it forked go too).
 */
export function signalServer(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

/** The outcome of {@link reapServers}. */
export interface ReapResult {
  /** Servers that were still running and have now been killed. */
  readonly killed: ServerRecord[];
  /** Records of processes that had already exited; removed. */
  readonly cleared: ServerRecord[];
}

/**
 * Kills registered servers that match `shouldReap` and are still running,
 * and clears records of servers that have exited.
 *
 * @param registry - the registry to sweep
 * @param shouldReap - which live servers to kill (e.g. orphans whose owner died)
 */
export async function reapServers(
  registry: ServerRegistry,
  shouldReap: (record: ServerRecord) => boolean,
): Promise<ReapResult> {
  const killed: ServerRecord[] = [];
  const cleared: ServerRecord[] = [];
  for (const record of await registry.list()) {
    if (!(await isRunning(record))) {
      await registry.remove(record.pid);
      cleared.push(record);
    } else if (shouldReap(record)) {
      signalServer(record.pid, 'SIGKILL');
      await registry.remove(record.pid);
      killed.push(record);
    }
  }
  return { killed, cleared };
}

/** A record whose starting process has died: nobody will stop it. */
export function isOrphan(record: ServerRecord): boolean {
  return !isAlive(record.ownerPid);
}
