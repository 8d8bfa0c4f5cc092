import { execFile } from 'node:child_process';
import { chmod, copyFile, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readCollection } from '@triage/collection';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { examiner, workDir, writeBundle } from './testing/support.js';

const run = promisify(execFile);
const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
/** Folders holding a 100 MB copy of the executable, removed after the tests. */
const folders: string[] = [];

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the executable as an operator would: in its folder, no stdin, nothing of this repo in the environment. */
async function operator(exe: string, cwd: string, args: readonly string[]): Promise<Outcome> {
  const env = { PATH: '/usr/bin:/bin', HOME: cwd, LANG: 'C' };
  try {
    const { stdout, stderr } = await run(exe, [...args], { cwd, env, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A bundle folder as `triage-admin issue` hands it over: the executable alone, and bundle.json. */
async function bundleFolder(exe: string, recipient: string): Promise<{ dir: string; exe: string }> {
  const dir = await workDir();
  folders.push(dir);
  const copy = join(dir, 'triage-collect');
  await copyFile(exe, copy);
  await chmod(copy, 0o755);
  await writeBundle(dir, { recipient });
  return { dir, exe: copy };
}

async function collectionIn(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.triage'));
  expect(names).toHaveLength(1);
  return join(dir, names[0] as string);
}

// Node SEAs are built here for linux-x64 (and whatever platform the tests run on), from this Node.
describe('the single executable (scripts/build-sea.mjs)', () => {
  let exe = '';

  beforeAll(async () => {
    // Cached by input hash in dist-sea/: a minute the first time, a second after.
    const { stdout } = await run(process.execPath, ['scripts/build-sea.mjs', '--json'], {
      cwd: PKG_DIR,
      timeout: 300_000,
      maxBuffer: 1 << 20,
    });
    exe = (JSON.parse(stdout) as { exe: string }).exe;
  }, 300_000);

  afterAll(async () => {
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('runs alone in an empty folder: --no-upload collects this host into a file the examiner decrypts', async () => {
    const keys = examiner();
    const folder = await bundleFolder(exe, keys.recipient);
    expect((await readdir(folder.dir)).sort()).toEqual(['bundle.json', 'triage-collect']);
    const result = await operator(folder.exe, folder.dir, ['--no-upload']);
    expect(result.stderr).not.toMatch(/Warning|ExperimentalWarning|Error/);
    expect(result.code).toBe(0);
    const file = await collectionIn(folder.dir);
    expect(result.stdout).toContain(`Saved:     ${file}`);
    const contents = await readCollection(await readFile(file), { identities: [keys.identity] });
    expect(result.stdout).toContain(`manifest sha256 ${contents.manifestSha256}`);
    expect(contents.manifest.record_count).toBeGreaterThan(0);
    expect(contents.manifest.collector.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(contents.records).toHaveLength(contents.manifest.record_count);
    expect(contents.records.some((r) => r.kind === 'user_account')).toBe(true);
  }, 120_000);

  it('with no arguments and an unreachable destination, keeps the local copy and says how to upload it', async () => {
    const keys = examiner();
    const folder = await bundleFolder(exe, keys.recipient);
    const result = await operator(folder.exe, folder.dir, []);
    expect(result.code).toBe(69);
    const file = await collectionIn(folder.dir);
    expect(result.stdout).toContain('it was NOT uploaded');
    expect(result.stdout).toContain(`./triage-collect upload ${file.slice(folder.dir.length + 1)}\n`);
    expect(result.stderr).toMatch(/\[NETWORK_ERROR\]\n$/);
    await readCollection(await readFile(file), { identities: [keys.identity] });
  }, 120_000);

  it('prints its version and help without a bundle', async () => {
    const dir = await workDir();
    folders.push(dir);
    const copy = join(dir, 'triage-collect');
    await copyFile(exe, copy);
    await chmod(copy, 0o755);
    const version = JSON.parse(await readFile(join(PKG_DIR, 'package.json'), 'utf8')) as { version: string };
    expect((await operator(copy, dir, ['--version'])).stdout.trim()).toBe(version.version);
    expect((await operator(copy, dir, ['--help'])).stdout).toContain('triage-collect upload <file>');
  });
});
