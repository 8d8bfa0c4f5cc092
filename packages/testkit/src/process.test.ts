import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTriageError } from '@triage/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive } from './lock.js';
import { freePort, startServerProcess } from './process.js';
import { isOrphan, isRunning, reapServers, ServerRegistry } from './registry.js';

// A real (tiny) HTTP server process stands in for moto/MinIO; it also forks a
// grandchild, to prove that stopping kills the whole process group.
const SERVER = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('grandchild ' + child.pid);
http.createServer((req, res) => res.end('ok')).listen(Number(process.argv[1]), '127.0.0.1', () => console.log('listening'));
`;

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'testkit-proc-'));
  return { dir, registry: new ServerRegistry(join(dir, 'servers')) };
}

describe('startServerProcess', () => {
  it('starts, health-checks, records, and stops the whole process group by PID', async () => {
    const { dir, registry } = await setup();
    const port = await freePort();
    const server = await startServerProcess({
      name: 'fake',
      bin: process.execPath,
      args: ['-e', SERVER, String(port)],
      env: {},
      logFile: join(dir, 'logs', 'fake.log'),
      healthUrl: `http://127.0.0.1:${port}/`,
      registry,
      owner: 'vitest',
    });
    cleanup.push(() => server.killNow());
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    const [record] = await registry.list();
    expect(record).toMatchObject({ pid: server.pid, name: 'fake', owner: 'vitest', ownerPid: process.pid });
    expect(await isRunning(record as NonNullable<typeof record>)).toBe(true);

    const log = await readFile(server.logFile, 'utf8');
    const grandchild = Number(/grandchild (\d+)/.exec(log)?.[1]);
    expect(isAlive(grandchild)).toBe(true);

    await server.stop();
    expect(isAlive(server.pid)).toBe(false);
    await expect.poll(() => isAlive(grandchild)).toBe(false);
    expect(await registry.list()).toEqual([]);
    await server.stop(); // idempotent
  });

  it('fails with TESTKIT_START_FAILED and the log tail when the server exits early', async () => {
    const { dir, registry } = await setup();
    const error = await startServerProcess({
      name: 'crashy',
      bin: process.execPath,
      args: ['-e', 'console.error("address already in use"); process.exit(3)'],
      env: {},
      logFile: join(dir, 'crashy.log'),
      healthUrl: 'http://127.0.0.1:9/',
      registry,
      owner: 'vitest',
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'TESTKIT_START_FAILED')).toBe(true);
    expect((error as Error).message).toContain('address already in use');
    expect(await registry.list()).toEqual([]);
  });

  it('fails when the server never becomes healthy, and stops it', async () => {
    const { dir, registry } = await setup();
    const error = await startServerProcess({
      name: 'silent',
      bin: process.execPath,
      args: ['-e', 'setInterval(() => {}, 1000)'],
      env: {},
      logFile: join(dir, 'silent.log'),
      healthUrl: `http://127.0.0.1:${await freePort()}/`,
      readyTimeoutMs: 300,
      registry,
      owner: 'vitest',
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'TESTKIT_START_FAILED')).toBe(true);
    expect(await registry.list()).toEqual([]);
  });

  it('reports a missing executable as TESTKIT_START_FAILED', async () => {
    const { dir, registry } = await setup();
    const error = await startServerProcess({
      name: 'missing',
      bin: join(dir, 'no-such-binary'),
      args: [],
      env: {},
      logFile: join(dir, 'missing.log'),
      healthUrl: 'http://127.0.0.1:9/',
      registry,
      owner: 'vitest',
    }).catch((e: unknown) => e);
    expect(isTriageError(error, 'TESTKIT_START_FAILED')).toBe(true);
    expect((error as Error).message).toContain('Delete the test kit cache folder');
  });
});

describe('reapServers', () => {
  async function sleeper() {
    const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    await once(child, 'spawn');
    child.unref();
    const pid = child.pid as number;
    cleanup.push(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    });
    const bin = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[0] as string;
    return { pid, bin };
  }

  it('kills orphans (owner gone), keeps owned servers, clears dead records', async () => {
    const { registry } = await setup();
    const orphan = await sleeper();
    const owned = await sleeper();
    const exited = spawn(process.execPath, ['-e', '']);
    await once(exited, 'exit');
    const deadOwner = exited.pid as number;
    const base = { name: 'fake', owner: 'vitest' as const, startedAt: '' };
    await registry.add({ ...base, ...orphan, ownerPid: deadOwner });
    await registry.add({ ...base, ...owned, ownerPid: process.pid });
    await registry.add({ ...base, pid: deadOwner, bin: process.execPath, ownerPid: process.pid });

    const result = await reapServers(registry, isOrphan);
    expect(result.killed.map((r) => r.pid)).toEqual([orphan.pid]);
    expect(result.cleared.map((r) => r.pid)).toEqual([deadOwner]);
    await expect.poll(() => isAlive(orphan.pid)).toBe(false);
    expect(isAlive(owned.pid)).toBe(true);
    expect((await registry.list()).map((r) => r.pid)).toEqual([owned.pid]);
  });

  it('never touches a live PID whose command line is not the recorded executable', async () => {
    const { registry } = await setup();
    const other = await sleeper();
    const record = {
      pid: other.pid,
      name: 'minio',
      bin: '/nonexistent/minio',
      owner: 'vitest' as const,
      ownerPid: 1,
      startedAt: '',
    };
    expect(await isRunning(record)).toBe(false);
    await registry.add(record);
    const result = await reapServers(registry, () => true);
    expect(result.killed).toEqual([]);
    expect(isAlive(other.pid)).toBe(true);
  });
});
