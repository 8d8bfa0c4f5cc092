import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Bundle } from '@triage/bundle';
import { generateExaminerKeyPair } from '@triage/encryption';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { checkBundleTargets, writeBundleFolder } from './bundle-folder.js';
import { resolveCollectorExe } from './collector-exe.js';
import type { Deps } from './deps.js';
import { workDir } from './testing/support.js';

const bundle: Bundle = {
  client: 'acme',
  case: 'IR-42',
  host: 'web01',
  issuedAt: new Date('2026-11-23T12:00:00Z'),
  expiresAt: new Date('2026-11-24T12:00:00Z'),
  s3: { bucket: 'triage-acme-1', prefix: 'IR-42/web01/', region: 'eu-west-1' },
  credentials: {
    accessKeyId: 'ASIAFAKEEXAMPLE00001',
    secretAccessKey: 'FAKEcanarySECRETfakeCANARYsecret0000000',
    sessionToken: 'FAKEcanaryTOKEN',
  },
  recipients: [generateExaminerKeyPair().recipient],
};

function deps(cwd: string, env: Record<string, string> = {}, collectorExe?: string): Deps {
  return {
    stdout: { write: () => true },
    stderr: { write: () => true },
    env,
    cwd,
    now: () => new Date(),
    aws: {} as Deps['aws'],
    ...(collectorExe ? { collectorExe } : {}),
  };
}

describe('the bundle folder', () => {
  it('with the collector: the program (0755) beside bundle.json (0600) and a README that says to run it there', async () => {
    const dir = await workDir();
    const exe = join(dir, 'build', 'triage-collect');
    await mkdir(join(dir, 'build'));
    await writeFile(exe, '#!/bin/sh\necho collector\n');
    const out = join(dir, 'folder');
    const written = await writeBundleFolder(out, bundle, 'assume-role', exe);
    expect((await readdir(out)).sort()).toEqual(['README.txt', 'bundle.json', 'triage-collect']);
    expect(written.exe).toBe(join(out, 'triage-collect'));
    expect((await stat(join(out, 'triage-collect'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(out, 'bundle.json'))).mode & 0o777).toBe(0o600);
    const readme = await readFile(join(out, 'README.txt'), 'utf8');
    expect(readme).toContain('Case:     IR-42 (client acme)');
    expect(readme).toContain('Valid until: 2026-11-24 12:00 UTC');
    expect(readme).toContain('  triage-collect   the collection program');
    expect(readme).toContain('    sudo ./triage-collect\n');
    expect(readme).toContain('    sudo ./triage-collect upload HOST-TIME-RANDOM.triage\n');
    expect(readme).not.toMatch(/\[\/?with|\{\{|--config/);
    expect(readme).not.toContain('FAKEcanary');
  });

  it('without the collector: the README says how to run an installed triage-collect', async () => {
    const out = join(await workDir(), 'folder');
    const written = await writeBundleFolder(out, bundle, 'session-token');
    expect(written.exe).toBeNull();
    expect((await readdir(out)).sort()).toEqual(['README.txt', 'bundle.json']);
    const readme = await readFile(join(out, 'README.txt'), 'utf8');
    expect(readme).toContain('    sudo triage-collect run --config bundle.json\n');
    expect(readme).toContain('upload HOST-TIME-RANDOM.triage --config bundle.json');
    expect(readme).not.toMatch(/\[\/?with|\{\{|\.\/triage-collect/);
  });
});

describe('which collector executable issue copies', () => {
  it('--collector-exe, else TRIAGE_COLLECTOR_EXE, else the built one when it exists', async () => {
    const dir = await workDir();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    await writeFile(a, 'a');
    await writeFile(b, 'b');
    expect(await resolveCollectorExe('a', deps(dir, { TRIAGE_COLLECTOR_EXE: b }))).toBe(a);
    expect(await resolveCollectorExe(undefined, deps(dir, { TRIAGE_COLLECTOR_EXE: 'b' }, a))).toBe(b);
    expect(await resolveCollectorExe(undefined, deps(dir, {}, a))).toBe(a);
    expect(await resolveCollectorExe(undefined, deps(dir, {}, join(dir, 'not-built')))).toBeUndefined();
    expect(await resolveCollectorExe(undefined, deps(dir))).toBeUndefined();
  });

  it('a given path that is not a file is an error, before anything is minted', async () => {
    const dir = await workDir();
    await expect(resolveCollectorExe('missing', deps(dir))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      resolveCollectorExe(undefined, deps(dir, { TRIAGE_COLLECTOR_EXE: dir })),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('checkBundleTargets (before anything is minted)', () => {
  it('accepts a new or empty folder, refuses one with files, and a zip that exists with --zip', async () => {
    const dir = await workDir();
    await checkBundleTargets(join(dir, 'new'), true);
    await mkdir(join(dir, 'empty'));
    await checkBundleTargets(join(dir, 'empty'), true);
    await mkdir(join(dir, 'full'));
    await writeFile(join(dir, 'full', 'bundle.json'), '{}');
    expect(
      isTriageError(
        await checkBundleTargets(join(dir, 'full'), false).catch((e: unknown) => e),
        'ALREADY_EXISTS',
      ),
    ).toBe(true);
    await writeFile(join(dir, 'empty.zip'), '');
    await checkBundleTargets(join(dir, 'empty'), false);
    const zipped = await checkBundleTargets(join(dir, 'empty'), true).catch((e: unknown) => e);
    expect(isTriageError(zipped, 'ALREADY_EXISTS')).toBe(true);
    expect((zipped as Error).message).toContain('empty.zip already exists');
  });
});
