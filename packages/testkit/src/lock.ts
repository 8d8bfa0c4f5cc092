import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TriageError } from '@triage/errors';

/**
 * Whether a process with this PID is running. Signal 0 probes without
 * signalling; on Linux a zombie (exited, not yet reaped, which happens to
 * orphans in containers whose PID 1 does not reap) counts as not running.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..."; comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Options for {@link withFileLock}. */
export interface FileLockOptions {
  /** Give up after this long; default 20 minutes (a cold MinIO build takes minutes). */
  readonly timeoutMs?: number;
  /** How often to look again; default 500 ms. */
  readonly pollMs?: number;
  /** Called once when the lock is held by another process and we start waiting. */
  readonly onWait?: (holderPid: number) => void;
}

/**
 * Runs `fn` while holding an exclusive lock file, so that two test processes
 * never install the same server at once. The lock file holds the owner's PID;
 * a lock whose owner has died is taken over.
 *
 * @throws TESTKIT_INSTALL_FAILED when the lock is not free within `timeoutMs`
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 20 * 60_000;
  const pollMs = options.pollMs ?? 500;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(path), { recursive: true });
  let warned = false;
  for (;;) {
    // The lock appears with its content or not at all: write the PID to a private file, then
    // link it into place (link fails if the lock exists). Creating the lock and then writing the
    // PID would leave a moment in which another holder reads an empty lock and takes it as stale.
    const candidate = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    await writeFile(candidate, String(process.pid), { mode: 0o600 });
    try {
      await link(candidate, path);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(candidate, { force: true });
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = Number.parseInt(text, 10);
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      // Stale: its owner died. Remove it only if nobody has replaced it meanwhile, and race again.
      const again = await readFile(path, 'utf8').catch(() => undefined);
      if (again === text) await rm(path, { force: true });
      continue;
    }
    if (!warned) {
      options.onWait?.(holder);
      warned = true;
    }
    if (Date.now() > deadline) {
      throw new TriageError(
        'TESTKIT_INSTALL_FAILED',
        `Lock ${path} is still held by process ${holder}; wait for it to finish or remove the file if that process is gone.`,
        { context: { path, holderPid: holder } },
      );
    }
    await sleep(pollMs);
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
