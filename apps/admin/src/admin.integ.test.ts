/**
 * setup → setup again (no-op) → issue (session-token, assume-role) → audit →
 * revoke → ledger, end to end against moto over HTTP.
 *
 * moto does not enforce: MFA codes (any six digits pass), IAM or session
 * policies, trust policies, Block Public Access, or signatures. Those are
 * proved by the evaluator (packages/iam-policy, packages/sts-broker) and
 * enforced against MinIO (packages/sts-broker enforcement tests,
 * packages/provision probe tests).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteRolePolicyCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { DeleteBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { generateExaminerKeyPair } from '@triage/encryption';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { cli, serverAws, workDir } from './testing/support.js';

const runFile = promisify(execFile);
const moto = inject('triageServices').moto;
const aws = serverAws(moto);
const examiner = generateExaminerKeyPair();

describe('triage-admin against moto', () => {
  const client = `acme-${randomUUID().slice(0, 6)}`;
  let dir: string;
  let state: string;
  const run = (argv: string[], extra: { prompt?: (q: string) => Promise<string> } = {}) =>
    cli([...argv, '--state-dir', state, '--endpoint', moto.endpoint], { cwd: dir, aws, ...extra });

  beforeAll(async () => {
    dir = await workDir();
    state = join(dir, 'state');
  });

  it('setup creates everything; a second setup changes nothing and says so', async () => {
    const first = await run([
      'setup',
      '--client',
      client,
      '--region',
      'us-east-1',
      '--examiner-key',
      examiner.recipient,
      '--json',
    ]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const one = JSON.parse(first.stdout) as {
      changed: boolean;
      steps: { status: string }[];
      stateFile: string;
    };
    expect(one.changed).toBe(true);
    expect(one.steps.every((s) => s.status === 'create' || s.status === 'update')).toBe(true);
    expect((await stat(one.stateFile)).mode & 0o777).toBe(0o600);

    const second = await run(['setup', '--client', client, '--region', 'us-east-1', '--json']);
    expect(second.code).toBe(0);
    const two = JSON.parse(second.stdout) as {
      changed: boolean;
      steps: { status: string }[];
      summary: string;
      stateFile: null;
    };
    expect(two.changed).toBe(false);
    expect(two.steps.every((s) => s.status === 'ok')).toBe(true);
    expect(two.summary).toMatch(/nothing to change/i);
    expect(two.stateFile).toBeNull();
  });

  it.each(['session-token', 'assume-role', 'presigned'])(
    'issue --mode %s writes a 0600 bundle and a ledger line without secrets',
    async (mode) => {
      const out = join(dir, `bundle-${mode}`);
      const s3 = new S3Client({
        endpoint: moto.endpoint,
        region: moto.region,
        credentials: moto.credentials,
        forcePathStyle: true,
      });
      const bucket = JSON.parse(await readFile(join(state, 'clients', `${client}.json`), 'utf8'))
        .bucket as string;
      if (mode === 'presigned') {
        // Presigning starts the multipart upload with the minted token. moto applies every Deny of a
        // bucket policy to object calls, and this endpoint is plain HTTP, so the TLS-only statement
        // would refuse it (AWS is reached over HTTPS). Remove the policy here; setup puts it back below.
        await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
      }
      // assume-role also carries the single-file collector (a stand-in file here).
      const exe = join(dir, `triage-collect-${mode}`);
      if (mode === 'assume-role') await writeFile(exe, '#!/bin/sh\n');
      const issued = await run(
        [
          'issue',
          '--client',
          client,
          '--case',
          'IR-1',
          '--host',
          'web-1',
          '--ttl',
          '1h',
          '--mode',
          mode,
          '--out',
          out,
          '--json',
          ...(mode === 'assume-role' ? ['--collector-exe', exe, '--zip'] : []),
        ],
        { prompt: async () => '123456' },
      );
      expect(issued.stderr).toBe('');
      expect(issued.code).toBe(0);
      const result = JSON.parse(issued.stdout) as {
        accessKeyId: string;
        bundleDir: string;
        bundleZip: string | null;
        collectorExe: string | null;
        ledgerId: string;
      };
      // --zip: the same folder in one file, 0600, the program still executable once unzipped.
      expect(result.bundleZip).toBe(mode === 'assume-role' ? `${out}.zip` : null);
      if (result.bundleZip !== null) {
        expect((await stat(result.bundleZip)).mode & 0o777).toBe(0o600);
        const listing = (await runFile('unzip', ['-Z', result.bundleZip])).stdout;
        const top = basename(out);
        expect(listing).toMatch(new RegExp(`-rw-------.* ${top}/bundle\\.json\\n`));
        expect(listing).toMatch(new RegExp(`-rw-r--r--.* ${top}/README\\.txt\\n`));
        expect(listing).toMatch(new RegExp(`-rwxr-xr-x.* ${top}/triage-collect-assume-role\\n`));
        const zipped = (await runFile('unzip', ['-p', result.bundleZip, `${top}/bundle.json`])).stdout;
        expect(zipped).toBe(await readFile(join(out, 'bundle.json'), 'utf8'));
      }
      expect((await readdir(out)).sort()).toEqual(
        mode === 'assume-role'
          ? ['README.txt', 'bundle.json', `triage-collect-${mode}`]
          : ['README.txt', 'bundle.json'],
      );
      expect(result.collectorExe).toBe(mode === 'assume-role' ? join(out, `triage-collect-${mode}`) : null);
      expect((await stat(join(out, 'bundle.json'))).mode & 0o777).toBe(0o600);
      const bundle = JSON.parse(await readFile(join(out, 'bundle.json'), 'utf8')) as {
        s3: { prefix: string; bucket: string };
        credentials?: { access_key_id: string; secret_access_key: string; session_token: string };
        upload_plan?: { key: string; maxSize: number; parts: { url: string }[] };
        recipients: string[];
      };
      expect(bundle.s3.prefix).toBe('IR-1/web-1/');
      expect(bundle.recipients).toEqual([examiner.recipient]);
      if (mode === 'presigned') {
        // No credential reaches the host: only URLs for one object under the prefix.
        expect(bundle.credentials).toBeUndefined();
        expect(bundle.upload_plan?.key).toMatch(/^IR-1\/web-1\/web-1-\d{8}T\d{6}Z-[0-9a-f]{8}\.triage$/);
        expect(bundle.upload_plan?.maxSize).toBe(1024 ** 3);
        const signature = new URL(bundle.upload_plan?.parts[0]?.url ?? 'http://x/').searchParams.get(
          'X-Amz-Signature',
        );
        expect(signature).toBeTruthy();
        const ledgerText = await readFile(join(state, 'ledger.jsonl'), 'utf8');
        expect(ledgerText).toContain(result.ledgerId);
        expect(ledgerText).not.toContain(signature as string);
        expect(issued.stdout).not.toContain(signature as string);
        expect(await readFile(join(out, 'README.txt'), 'utf8')).toContain('no credential');
        // setup repairs the drift it finds: the bucket policy comes back, and only that changes.
        const repaired = await run(['setup', '--client', client, '--region', 'us-east-1', '--json']);
        const steps = (JSON.parse(repaired.stdout) as { steps: { id: string; status: string }[] }).steps;
        expect(steps.filter((st) => st.status !== 'ok').map((st) => st.id)).toEqual(['bucket-policy']);
        return;
      }
      expect(bundle.credentials?.access_key_id).toBe(result.accessKeyId);
      // The ledger names the key and never holds the secret or the token.
      const ledger = await readFile(join(state, 'ledger.jsonl'), 'utf8');
      expect((await stat(join(state, 'ledger.jsonl'))).mode & 0o777).toBe(0o600);
      expect(ledger).toContain(result.ledgerId);
      for (const secret of [bundle.credentials?.secret_access_key, bundle.credentials?.session_token]) {
        expect(secret).toBeTruthy();
        expect(ledger).not.toContain(secret);
        expect(issued.stdout).not.toContain(secret);
      }
    },
  );

  it('audit reads every setting back and finds nothing high', async () => {
    const audited = await run(['audit', '--client', client, '--json']);
    const report = JSON.parse(audited.stdout) as {
      hasHigh: boolean;
      findings: { id: string; severity: string }[];
    };
    expect(report.findings.length).toBeGreaterThan(5);
    expect(report.findings.filter((f) => f.severity === 'high')).toEqual([]);
    expect(audited.code).toBe(0);
  });

  it('revoke plans, proves and applies a TokenIssueTime deny; the ledger records it', async () => {
    const dry = await run([
      'revoke',
      '--client',
      client,
      '--case',
      'IR-1',
      '--dry-run',
      '--allow-collateral',
      '--json',
    ]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      entries: string[];
      proof: { subject: string; decision: string }[];
    };
    expect(planned.dryRun).toBe(true);
    expect(planned.entries).toHaveLength(3);
    for (const row of planned.proof) {
      expect(row.decision).toBe(row.subject === 'new-credential' ? 'Allowed' : 'ExplicitlyDenied');
    }
    const ledgerBefore = await readFile(join(state, 'ledger.jsonl'), 'utf8');

    const applied = await run([
      'revoke',
      '--client',
      client,
      '--case',
      'IR-1',
      '--allow-collateral',
      '--json',
    ]);
    expect(applied.code).toBe(0);
    const done = JSON.parse(applied.stdout) as {
      steps: { action: string; name: string; policyName: string; outcome: string }[];
    };
    const roleStep = done.steps.find((s) => s.action === 'PutRolePolicy');
    expect(roleStep?.outcome).toBe('done');
    const iam = new IAMClient({
      endpoint: moto.endpoint,
      region: moto.region,
      credentials: moto.credentials,
    });
    const policy = await iam.send(
      new GetRolePolicyCommand({ RoleName: roleStep?.name, PolicyName: roleStep?.policyName }),
    );
    expect(decodeURIComponent(policy.PolicyDocument ?? '')).toContain('aws:TokenIssueTime');

    const ledger = await readFile(join(state, 'ledger.jsonl'), 'utf8');
    expect(ledger.length).toBeGreaterThan(ledgerBefore.length);
    const listed = await run(['ledger', '--client', client]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/REVOKE/);
    expect(listed.stdout).toMatch(/ISSUE .*revoked/);

    // audit reads the role's and user's policies back from IAM and evaluates every revoked credential.
    const revokedIds = JSON.parse(dry.stdout).entries as string[];
    const audited = await run(['audit', '--client', client, '--json']);
    expect(audited.code).toBe(0);
    const holds = (
      JSON.parse(audited.stdout) as { findings: { id: string; message: string }[] }
    ).findings.filter((f) => f.id === 'revocation-holds');
    expect(holds.length).toBeGreaterThanOrEqual(revokedIds.length);
    for (const id of revokedIds) expect(holds.some((f) => f.message.includes(id))).toBe(true);

    // Someone deletes the deny on the role: audit now says so, high, and exits 65.
    await iam.send(
      new DeleteRolePolicyCommand({ RoleName: roleStep?.name, PolicyName: roleStep?.policyName }),
    );
    const lost = await run(['audit', '--client', client, '--json']);
    expect(lost.code).toBe(65);
    const findings = (JSON.parse(lost.stdout) as { findings: { id: string; severity: string }[] }).findings;
    expect(
      findings.filter((f) => f.id === 'revocation-lost' && f.severity === 'high').length,
    ).toBeGreaterThan(0);
    // Put it back: revoking the same case again restores exactly that cut-off.
    const again = await run(['revoke', '--client', client, '--case', 'IR-1', '--allow-collateral', '--json']);
    expect(again.code).toBe(0);
    expect((await run(['audit', '--client', client, '--json'])).code).toBe(0);
  });
});

describe('bad input: one clear line, non-zero exit, nothing changed', () => {
  it.each([
    [['issue', '--client', 'nobody', '--case', 'c', '--host', 'h'], 66, 'unknown client nobody'],
    [['issue', '--client', 'Bad_Name', '--case', 'c', '--host', 'h'], 64, 'is not a client name'],
    [['revoke', '--client', 'nobody'], 66, 'unknown client nobody'],
    [['setup'], 64, 'Missing required argument: client'],
  ])('%j', async (argv, code, message) => {
    const dir = await workDir();
    const run = await cli([...argv, '--state-dir', join(dir, 'state')], { cwd: dir, aws });
    expect(run.code).toBe(code);
    expect(run.stderr).toContain(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });

  describe('with a client set up', () => {
    const client = `bad-${randomUUID().slice(0, 6)}`;
    let dir: string;
    const run = (argv: string[], factory = aws) =>
      cli([...argv, '--state-dir', join(dir, 'state'), '--endpoint', moto.endpoint], {
        cwd: dir,
        aws: factory,
      });

    beforeAll(async () => {
      dir = await workDir();
      const setup = await run(['setup', '--client', client, '--examiner-key', examiner.recipient]);
      expect(setup.code).toBe(0);
    });

    it.each([
      [
        ['--mode', 'session-token', '--ttl', '600'],
        64,
        '--ttl 600 s is outside 900–129600 s for session-token',
      ],
      [['--mode', 'session-token', '--ttl', '37h'], 64, 'outside 900–129600 s'],
      [['--mode', 'assume-role', '--ttl', '13h'], 64, 'outside 900–43200 s for assume-role'],
      [['--ttl', 'tomorrow'], 64, 'is not a duration'],
      [['--mfa-code', '12345'], 64, 'malformed MFA code'],
      [['--mfa-code', 'abcdef'], 64, 'malformed MFA code'],
      [['--case', '../etc'], 64, '--case must be'],
    ])('issue %j', async (extra, code, message) => {
      const ledgerBefore = await readFile(join(dir, 'state', 'ledger.jsonl'), 'utf8').catch(() => '');
      const issued = await run([
        'issue',
        '--client',
        client,
        '--case',
        'c1',
        '--host',
        'h1',
        '--mfa-code',
        '123456',
        ...extra,
      ]);
      expect(issued.code).toBe(code);
      expect(issued.stderr).toContain(message);
      expect(issued.stderr.trim().split('\n')).toHaveLength(1);
      expect(issued.stderr).not.toContain('abcdef');
      expect(await readFile(join(dir, 'state', 'ledger.jsonl'), 'utf8').catch(() => '')).toBe(ledgerBefore);
      expect((await readdir(dir)).filter((f) => f.startsWith('triage-bundle'))).toEqual([]);
    });

    it('missing AWS credentials: one line saying how to configure them', async () => {
      const none = serverAws(moto, null);
      const issued = await run(
        ['issue', '--client', client, '--case', 'c1', '--host', 'h1', '--mfa-code', '123456'],
        none,
      );
      expect(issued.code).toBe(77);
      expect(issued.stderr).toMatch(
        /^triage-admin: no AWS credentials found for the admin: configure a profile/,
      );
      const setup = await run(['setup', '--client', client], none);
      expect(setup.code).toBe(77);
    });
  });
});
