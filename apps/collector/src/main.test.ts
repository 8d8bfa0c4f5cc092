import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateRecord } from '@triage/artifact-schema';
import { readCollection } from '@triage/collection';
import { describe, expect, it } from 'vitest';
import { cli, examiner, tinyRoot, workDir } from './testing/support.js';

describe('triage-collect run --no-upload', () => {
  it('collects a root into a sealed local file that decrypts to a valid collection with the printed manifest hash', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    const keys = examiner();
    const run = await cli(
      [
        'run',
        '--no-upload',
        '--root',
        root,
        '--recipient',
        keys.recipient,
        '--case',
        'IR-1',
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      file: string;
      manifestSha256: string;
      host: string;
      records: number;
      upload: null;
      counts: Record<string, number>;
    };
    expect(result.upload).toBeNull();
    expect(result.host).toBe('test-host.example');
    expect((result as unknown as { os: string }).os).toBe('linux');
    expect((await stat(result.file)).mode & 0o777).toBe(0o600);
    const contents = await readCollection(await readFile(result.file), { identities: [keys.identity] });
    expect(contents.manifestSha256).toBe(result.manifestSha256);
    expect(contents.manifest.case).toBe('IR-1');
    expect(contents.records.length).toBe(result.records);
    for (const record of contents.records) expect(validateRecord(record).ok).toBe(true);
    expect(contents.records.filter((r) => r.kind === 'user_account').map((r) => r.username)).toEqual([
      'root',
      'alice',
    ]);
    expect(result.counts.user_account).toBe(2);
    const sidecar = JSON.parse(await readFile(`${result.file}.receipt.json`, 'utf8')) as Record<
      string,
      unknown
    >;
    expect(sidecar).toMatchObject({ manifestSha256: result.manifestSha256, receipt: null, case: 'IR-1' });
  });

  it('--only limits the kinds', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    const keys = examiner();
    const run = await cli(
      [
        'run',
        '--no-upload',
        '--root',
        root,
        '--only',
        'group',
        '--recipient',
        keys.recipient,
        '--case',
        'c',
        '--json',
      ],
      dir,
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { file: string; counts: Record<string, number> };
    expect(Object.keys(result.counts)).toEqual(['group']);
  });

  it('seals to a password from a file', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    await writeFile(join(dir, 'pw'), 'correct horse battery staple\n', { mode: 0o600 });
    const run = await cli(
      [
        'run',
        '--no-upload',
        '--root',
        root,
        '--password-file',
        'pw',
        '--case',
        'c',
        '--json',
        '--quiet',
        '--only',
        'group',
      ],
      dir,
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { file: string; manifestSha256: string };
    const contents = await readCollection(await readFile(result.file), {
      identities: [{ password: 'correct horse battery staple' }],
    });
    expect(contents.manifestSha256).toBe(result.manifestSha256);
    expect(run.stdout + run.stderr).not.toContain('correct horse');
  });
});

describe('usage errors', () => {
  it.each([
    [['run', '--no-upload', '--case', 'c'], 64, 'nothing to seal the collection to'],
    [['run', '--case', 'c', '--recipient', 'x'], 64, 'nowhere to upload'],
    [['run', '--no-upload', '--only', 'registry', '--case', 'c'], 64, '--only registry is not a kind'],
    [['frobnicate'], 64, 'Unknown argument'],
    [['run', '--config', 'missing.json'], 66, 'cannot read the bundle missing.json'],
  ])('%j exits %i with one line', async (argv, code, message) => {
    const dir = await workDir();
    const run = await cli(argv, dir);
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('a bad bundle names the wrong field', async () => {
    const dir = await workDir();
    await writeFile(
      join(dir, 'bundle.json'),
      JSON.stringify({
        format: 'triage-bundle',
        format_version: 1,
        client: 'acme',
        case: 'IR-1',
        issued_at: '2026-01-01T00:00:00Z',
        expires_at: '2099-01-01T00:00:00Z',
        s3: { bucket: 'Bad_Bucket', prefix: 'IR-1/', region: 'us-east-1' },
        credentials: { access_key_id: 'AKIAFAKEEXAMPLE00001', secret_access_key: 'FAKEcanarySECRET' },
        recipients: [examiner().recipient],
      }),
    );
    const run = await cli(['run', '--config', 'bundle.json'], dir);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(
      /^triage-collect: bundle field s3\.bucket must be an S3 bucket name.*\[CONFIG_INVALID\]\n$/,
    );
    expect(run.stderr).not.toContain('FAKEcanarySECRET');
  });

  it('refuses credentials that would expire during the run, before collecting or contacting the server', async () => {
    const dir = await workDir();
    const soon = new Date(Date.now() + 5 * 60_000).toISOString();
    await writeFile(
      join(dir, 'bundle.json'),
      JSON.stringify({
        format: 'triage-bundle',
        format_version: 1,
        client: 'acme',
        case: 'IR-1',
        issued_at: '2026-01-01T00:00:00Z',
        expires_at: '2099-01-01T00:00:00Z',
        // Port 9 (discard): nothing listens, so any request would fail differently.
        s3: { bucket: 'acme-evidence', prefix: 'IR-1/', region: 'us-east-1', endpoint: 'http://127.0.0.1:9' },
        credentials: {
          access_key_id: 'ASIAFAKEEXAMPLE00001',
          secret_access_key: 'FAKEcanarySECRET',
          session_token: 'FAKEcanaryTOKEN',
          expiration: soon,
        },
        recipients: [examiner().recipient],
      }),
    );
    const run = await cli(['run', '--config', 'bundle.json', '--quiet'], dir);
    expect(run.code).toBe(77);
    expect(run.stderr).toMatch(
      /^triage-collect: pre-flight failed, nothing was collected: the credentials expire at .* \(in [45] min\), before a run of up to 15 min could finish.*\[CREDENTIALS_EXPIRING\]\n$/,
    );
    const shorter = await cli(['run', '--config', 'bundle.json', '--expect-minutes', '1', '--quiet'], dir);
    expect(shorter.stderr).toContain('[NETWORK_ERROR]');
    expect(run.stderr + shorter.stderr).not.toContain('FAKEcanary');
  });

  it('with a presigned plan: refuses one expiring during the run and one with a private CA, before collecting; no URL is echoed', async () => {
    const dir = await workDir();
    const sig = 'FAKEcanarySIGNATURE0123456789abcdef';
    const url = (q: string) =>
      `http://127.0.0.1:9/acme-evidence/IR-1/web-1/x.triage?${q}&X-Amz-Signature=${sig}`;
    const planBundle = (planExpiresAt: string, extraS3: Record<string, unknown> = {}) =>
      JSON.stringify({
        format: 'triage-bundle',
        format_version: 1,
        client: 'acme',
        case: 'IR-1',
        host: 'web-1',
        issued_at: '2026-01-01T00:00:00Z',
        expires_at: planExpiresAt,
        s3: {
          bucket: 'acme-evidence',
          prefix: 'IR-1/web-1/',
          region: 'us-east-1',
          endpoint: 'http://127.0.0.1:9',
          ...extraS3,
        },
        upload_plan: {
          version: 1,
          bucket: 'acme-evidence',
          key: 'IR-1/web-1/x.triage',
          maxSize: 5 * 1024 * 1024,
          expiresAt: planExpiresAt,
          kind: 'multipart',
          partSize: 5 * 1024 * 1024,
          uploadId: 'u1',
          parts: [{ method: 'PUT', url: url('partNumber=1&uploadId=u1'), headers: {} }],
          complete: { method: 'POST', url: url('uploadId=u1'), headers: { 'if-none-match': '*' } },
          abort: { method: 'DELETE', url: url('uploadId=u1'), headers: {} },
          head: { method: 'HEAD', url: url('x=1'), headers: {} },
        },
        recipients: [examiner().recipient],
      });
    await writeFile(join(dir, 'bundle.json'), planBundle(new Date(Date.now() + 5 * 60_000).toISOString()));
    const run = await cli(['run', '--config', 'bundle.json', '--quiet'], dir);
    expect(run.code).toBe(77);
    expect(run.stderr).toMatch(
      /^triage-collect: pre-flight failed, nothing was collected: the presigned plan expires at .* \(in [45] min\), before a run of up to 15 min could finish.*\[CREDENTIALS_EXPIRING\]\n$/,
    );
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await writeFile(
      join(dir, 'bundle.json'),
      planBundle(later, { ca_bundle: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' }),
    );
    const ca = await cli(['run', '--config', 'bundle.json', '--quiet'], dir);
    expect(ca.code).toBe(78);
    expect(ca.stderr).toMatch(/s3\.ca_bundle, which plan uploads cannot use yet.*\[CONFIG_INVALID\]\n$/);
    expect((await readdir(dir)).filter((f) => f.endsWith('.triage'))).toEqual([]);
    expect(run.stderr + ca.stderr).not.toContain(sig);
  });

  it('a mistyped --root fails with one line and leaves no file behind', async () => {
    const dir = await workDir();
    const run = await cli(
      ['run', '--no-upload', '--root', '/does/not/exist', '--recipient', examiner().recipient, '--case', 'c'],
      dir,
    );
    expect(run.code).toBe(66);
    expect(run.stderr).toMatch(
      /^triage-collect: the root \/does\/not\/exist is not a directory.*\[NOT_FOUND\]\n$/m,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses an --out whose receipt from an earlier run is still there, before collecting', async () => {
    const dir = await workDir();
    const root = await tinyRoot(dir);
    await writeFile(join(dir, 'c.triage.receipt.json'), '{}');
    const run = await cli(
      [
        'run',
        '--no-upload',
        '--root',
        root,
        '--out',
        'c.triage',
        '--recipient',
        examiner().recipient,
        '--case',
        'c',
      ],
      dir,
    );
    expect(run.code).toBe(73);
    expect(run.stderr).toMatch(
      /c\.triage\.receipt\.json exists; choose another --out or move it away \[ALREADY_EXISTS\]\n$/,
    );
    expect((await readdir(dir)).sort()).toEqual(['c.triage.receipt.json', 'root']);
  });

  it('--debug adds the stack', async () => {
    const dir = await workDir();
    const run = await cli(['run', '--no-upload', '--case', 'c', '--debug'], dir);
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/\n\s+at /);
  });

  it('--help prints usage to stdout and exits 0', async () => {
    const run = await cli(['run', '--help'], await workDir());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('--delete-after-upload');
  });
});
