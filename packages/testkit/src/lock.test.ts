import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { isAlive, withFileLock } from './lock.js';

/** The PID of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  const pid = Number(child.stdout);
  expect(isAlive(pid)).toBe(false);
  return pid;
}

describe('withFileLock', () => {
  it('serialises holders and removes the lock afterwards', async () => {
    const lock = join(await mkdtemp(join(tmpdir(), 'lock-')), 'sub', 'x.lock');
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(
        lock,
        async () => {
          events.push(`${name} in`);
          expect(await readFile(lock, 'utf8')).toBe(String(process.pid));
          await sleep(50);
          events.push(`${name} out`);
          return name;
        },
        { pollMs: 10 },
      );
    expect(await Promise.all([holder('a'), holder('b')])).toEqual(['a', 'b']);
    // Either may win the race; what matters is that one is out before the other is in.
    const [first, second] = [events[0]?.split(' ')[0], events[2]?.split(' ')[0]];
    expect(new Set([first, second])).toEqual(new Set(['a', 'b']));
    expect(events).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    await expect(stat(lock)).rejects.toThrow();
  });

  it('releases the lock when the function throws', async () => {
    const lock = join(await mkdtemp(join(tmpdir(), 'lock-')), 'x.lock');
    await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(stat(lock)).rejects.toThrow();
  });

  it('takes over a lock whose owner died', async () => {
    const lock = join(await mkdtemp(join(tmpdir(), 'lock-')), 'x.lock');
    await writeFile(lock, String(deadPid()));
    expect(await withFileLock(lock, async () => 'got it', { timeoutMs: 1_000 })).toBe('got it');
  });

  it('times out with TESTKIT_INSTALL_FAILED while a live process holds it', async () => {
    const lock = join(await mkdtemp(join(tmpdir(), 'lock-')), 'x.lock');
    await writeFile(lock, String(process.ppid));
    const waited: number[] = [];
    const error = await withFileLock(lock, async () => 'never', {
      timeoutMs: 100,
      pollMs: 20,
      onWait: (pid) => waited.push(pid),
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'TESTKIT_INSTALL_FAILED')).toBe(true);
    expect(waited).toEqual([process.ppid]);
    expect(await readFile(lock, 'utf8')).toBe(String(process.ppid));
  });
});
