/**
 * What another team gets: `npm pack` of this package (and of @triage/errors,
 * its only workspace dependency, by its published name), installed into an
 * empty project outside the repository; the README's example runs there
 * against MinIO and typechecks with the shipped types.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { childEnv } from '@triage/testkit';
import { describe, expect, inject, it } from 'vitest';
import { adminClient } from './testing/support.js';

const run = promisify(execFile);
const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const PACKAGE = here('..');
const ERRORS = here('../../errors');
const TSC = here('../../../node_modules/.bin/tsc');
const NODE_TYPES = here('../../../node_modules/@types');

async function pack(dir: string, into: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--pack-destination', into, '--json'], { cwd: dir });
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  return join(into, info.filename);
}

describe('the packed package in an empty project', () => {
  it('installs, typechecks, and runs the README example against MinIO', async () => {
    const minio = inject('triageServices').minio;
    const project = await mkdtemp(join(tmpdir(), 'consumer-'));
    const tarballs = await mkdtemp(join(tmpdir(), 'tarballs-'));
    const [errors, transport] = [await pack(ERRORS, tarballs), await pack(PACKAGE, tarballs)];

    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', errors, transport], {
      cwd: project,
    });

    // Only published names among its dependencies; types and ESM entry shipped; no tests.
    const installed = JSON.parse(
      await readFile(join(project, 'node_modules/@triage/s3-transport/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string>; exports: Record<string, Record<string, string>> };
    for (const range of Object.values(installed.dependencies))
      expect(range).not.toMatch(/^(file|workspace|link):/);
    expect(installed.exports['.']).toMatchObject({ types: './dist/index.d.ts', default: './dist/index.js' });
    const { stdout: listing } = await run(
      'find',
      ['node_modules/@triage/s3-transport', '-name', '*.test.*'],
      { cwd: project },
    );
    expect(listing.trim()).toBe('');

    const example = join(project, 'upload-file.mjs');
    await copyFile(here('../examples/upload-file.mjs'), example);
    await copyFile(example, join(project, 'upload-file.mts'));
    await run(
      TSC,
      [
        '--noEmit',
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--typeRoots',
        NODE_TYPES,
        '--types',
        'node',
        'upload-file.mts',
      ],
      { cwd: project },
    );

    const bucket = `consumer-${randomUUID().slice(0, 8)}`;
    const client = adminClient(minio);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const data = randomBytes(6 * 1024 * 1024 + 1);
    await writeFile(join(project, 'evidence.bin'), data);
    const env = childEnv({
      BUCKET: bucket,
      S3_ENDPOINT: minio.endpoint,
      AWS_ACCESS_KEY_ID: minio.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: minio.credentials.secretAccessKey,
    });
    const first = await run(process.execPath, ['upload-file.mjs', './evidence.bin'], { cwd: project, env });
    expect(first.stdout).toContain(
      `uploaded case-42/ws-17/evidence.bin sha256=${createHash('sha256').update(data).digest('hex')} verified by head`,
    );
    // Other bytes under the same key must be refused. (The same bytes again may legitimately be
    // reported as uploaded: a retry that finds an identical object cannot tell it from its own.)
    await writeFile(join(project, 'evidence.bin'), randomBytes(1000));
    const second = await run(process.execPath, ['upload-file.mjs', './evidence.bin'], { cwd: project, env });
    expect(second.stdout, `second run:\n${second.stdout}${second.stderr}`).toContain(
      'is already there; nothing was overwritten',
    );
    const stored = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: 'case-42/ws-17/evidence.bin' }),
    );
    const storedBytes = (await stored.Body?.transformToByteArray()) ?? new Uint8Array();
    expect(createHash('sha256').update(storedBytes).digest('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  }, 180_000);
});
