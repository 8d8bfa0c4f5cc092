/**
 * The whole story, as an admin, an operator and an examiner would run it,
 * with the three command line tools as real processes (their built
 * `dist/bin.js`) against a local moto server:
 *
 *  1. the examiner makes a key pair (`triage-import keygen`);
 *  2. the admin hardens the client's bucket and creates the write-only
 *     uploader (`triage-admin setup`), then mints an assume-role credential
 *     for one case and host and writes the bundle (`triage-admin issue`);
 *  3. the collector runs on this very machine (live) with only the bundle,
 *     and uploads through the scoped credential (`triage-collect run`);
 *  4. the examiner pulls into a case database, twice (`triage-import pull`),
 *     and looks (`report`, `hits`);
 *  5. the admin revokes the credential (`triage-admin revoke`), repairs the
 *     bucket policy the demo took off moto (`setup`), and proves with `audit`
 *     that IAM's policies now deny the revoked credential.
 *
 * `npm run demo` (demo.ts) prints it; the end-to-end test (e2e.integ.test.ts)
 * asserts each step. Both share this file, so they cannot drift apart.
 *
 * moto stores IAM policies but does not enforce them, and it applies every
 * Deny of a bucket policy to every object call, conditions ignored (so the
 * TLS-only statement would refuse plain-HTTP uploads). The story therefore
 * removes the bucket policy while the collector uploads and lets `setup`
 * put it back; the revocation is proved by triage's IAM evaluator on the
 * policies read back from IAM. Enforcement by a real server is tested
 * against MinIO (packages/sts-broker enforcement tests).
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The built entry points of the three tools. */
export const BINS = {
  'triage-admin': join(ROOT, 'apps/admin/dist/bin.js'),
  'triage-collect': join(ROOT, 'apps/collector/dist/bin.js'),
  'triage-import': join(ROOT, 'apps/importer/dist/bin.js'),
} as const;

export type Tool = keyof typeof BINS;

/** A local S3/IAM/STS server: moto from @triage/testkit. */
export interface Server {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** One command the story ran. */
export interface Step {
  readonly tool: Tool;
  /** The arguments, shown to the reader: they never hold a secret. */
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the story reports what it does; the demo prints, the test collects. */
export interface Narrator {
  /** A new part of the story. */
  heading(title: string): void;
  /** A line of explanation. */
  say(line: string): void;
  /** A command and what it printed. */
  ran(step: Step): void;
}

export interface StoryOptions {
  readonly server: Server;
  /** An empty folder for everything the story writes. */
  readonly dir: string;
  readonly narrator: Narrator;
  /** Client, case and host names; defaults `demo`, `IR-DEMO`, this host's name. */
  readonly client?: string;
  readonly caseId?: string;
  readonly host?: string;
}

/** What the story made, for the reader and for assertions. */
export interface StoryResult {
  readonly dir: string;
  readonly client: string;
  readonly caseId: string;
  readonly host: string;
  readonly bucket: string;
  readonly identityFile: string;
  readonly recipient: string;
  readonly bundleDir: string;
  readonly db: string;
  readonly adminState: string;
  readonly issued: { readonly accessKeyId: string; readonly ledgerId: string; readonly prefix: string };
  readonly collected: CollectResult;
  readonly pulls: readonly PullResult[];
  readonly report: {
    readonly hosts: readonly { host: string; kinds: readonly { kind: string; count: number }[] }[];
  };
  readonly hits: { readonly hits: readonly { rule: string; severity: string; artifactId: number }[] };
  readonly revoked: {
    readonly entries: readonly string[];
    readonly attachments: readonly { kind: string; arn: string; cutoff: string }[];
    readonly steps: readonly { action: string; outcome: string }[];
  };
  readonly repaired: { readonly steps: readonly { id: string; status: string }[] };
  readonly audit: {
    readonly hasHigh: boolean;
    readonly findings: readonly { id: string; severity: string; message: string }[];
  };
}

export interface CollectResult {
  readonly file: string;
  readonly sha256: string;
  readonly manifestSha256: string;
  readonly records: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly receiptFile: string;
  readonly upload: { readonly bucket: string; readonly key: string; readonly verified: boolean } | null;
}

export interface PullResult {
  readonly imported: readonly { key: string; records: number; manifestSha256: string | null }[];
  readonly skipped: readonly string[];
  readonly failed: readonly { key: string; code: string; message: string }[];
}

/** A step that did not exit 0: the story stops there. */
export class StepFailed extends Error {
  constructor(readonly step: Step) {
    super(
      `${step.tool} ${step.argv.join(' ')} exited ${step.code}: ${step.stderr.trim().split('\n').pop() ?? ''}`,
    );
    this.name = 'StepFailed';
  }
}

/** A host name as the bundle and S3 keys want it. */
export function hostLabel(name = hostname()): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48);
  return label || 'demo-host';
}

/** Only what a child needs: no credential leaks into a process that should not have it. */
export function baseEnv(): NodeJS.ProcessEnv {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT'];
  const env: NodeJS.ProcessEnv = {
    AWS_EC2_METADATA_DISABLED: 'true',
    // On Node 20 every SDK process warns that SDK releases after January 2027 need Node 22
    // (docs/adr/0003); the pinned SDK works, and the demo says so once instead of in every step.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    NO_COLOR: '1',
  };
  for (const name of keep) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/** Runs one tool's built bin with node, as its `#!` line does; never throws for a non-zero exit. */
export function runTool(
  tool: Tool,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<Step> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--max-semi-space-size=2', BINS[tool], ...argv], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolve({
        tool,
        argv,
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}

/**
 * Runs the story. Each step must exit 0 (the audit too: no high finding);
 * the first that does not stops it with {@link StepFailed}.
 *
 * @throws StepFailed naming the command and its one-line error
 */
export async function runStory(options: StoryOptions): Promise<StoryResult> {
  const { server, dir, narrator } = options;
  const client = options.client ?? 'demo';
  const caseId = options.caseId ?? 'IR-DEMO';
  const host = options.host ?? hostLabel();
  const adminState = join(dir, 'admin');
  const identityFile = join(dir, 'examiner', 'examiner.key');
  const bundleDir = join(dir, 'bundle');
  const evidenceDir = join(dir, 'host');
  const db = join(dir, 'examiner', 'case.sqlite');
  await mkdir(join(dir, 'examiner'), { recursive: true, mode: 0o700 });
  await mkdir(evidenceDir, { recursive: true, mode: 0o700 });

  // The admin's and the examiner's AWS credentials (moto's root); never the collector's.
  const awsEnv = {
    ...baseEnv(),
    AWS_ACCESS_KEY_ID: server.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: server.credentials.secretAccessKey,
    AWS_REGION: server.region,
    TRIAGE_ADMIN_HOME: adminState,
  };
  const hostEnv = baseEnv();

  const step = async (tool: Tool, argv: string[], env: NodeJS.ProcessEnv, cwd = dir): Promise<Step> => {
    const done = await runTool(tool, argv, env, cwd);
    narrator.ran(done);
    if (done.code !== 0) throw new StepFailed(done);
    return done;
  };
  const json = <T>(s: Step): T => JSON.parse(s.stdout) as T;
  const endpoint = ['--endpoint', server.endpoint];

  narrator.heading('1. The examiner makes a key pair');
  narrator.say(
    'The secret key stays with the examiner; only the public key goes to the admin and into the bundle.',
  );
  const key = json<{ recipient: string; fingerprint: string }>(
    await step('triage-import', ['keygen', '--out', identityFile, '--json'], hostEnv),
  );

  narrator.heading("2. The admin hardens the client's bucket and creates the write-only uploader");
  const setup = json<{ bucket: string; summary: string }>(
    await step(
      'triage-admin',
      [
        'setup',
        '--client',
        client,
        '--region',
        server.region,
        '--examiner-key',
        key.recipient,
        ...endpoint,
        '--json',
      ],
      awsEnv,
    ),
  );
  narrator.say(`bucket ${setup.bucket}: ${setup.summary}`);
  narrator.say(
    'moto quirk: it applies every Deny of a bucket policy to every object call, ignoring conditions, so the ' +
      'TLS-only statement would refuse this plain-HTTP endpoint. The demo takes the policy off moto; setup puts it back in step 7.',
  );
  const s3 = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
  });
  try {
    await s3.send(new DeleteBucketPolicyCommand({ Bucket: setup.bucket }));
  } finally {
    s3.destroy();
  }

  narrator.heading(
    `3. The admin issues a 1-hour assume-role credential for ${caseId}/${host} and writes the bundle`,
  );
  narrator.say('moto accepts any MFA code; against AWS you type the one from your authenticator.');
  const issued = json<{
    accessKeyId: string;
    ledgerId: string;
    scope: { prefix: string };
    expiresAt: string;
  }>(
    await step(
      'triage-admin',
      [
        'issue',
        '--client',
        client,
        '--case',
        caseId,
        '--host',
        host,
        '--ttl',
        '1h',
        '--mode',
        'assume-role',
        '--mfa-code',
        '000000',
        '--out',
        bundleDir,
        '--json',
      ],
      awsEnv,
    ),
  );
  narrator.say(
    `credential ${issued.accessKeyId}: write-only to ${issued.scope.prefix}, expires ${issued.expiresAt}; ` +
      'bundle.json is 0600 and holds no long-term key.',
  );

  narrator.heading('4. The collector runs on this machine with only the bundle, and uploads');
  narrator.say(
    'Live collection, read-only: users, logins, persistence, processes, network. Sealed to the examiner key.',
  );
  const collected = json<CollectResult>(
    await step(
      'triage-collect',
      [
        'run',
        '--config',
        join(bundleDir, 'bundle.json'),
        '--out',
        join(evidenceDir, `${host}.triage`),
        '--json',
        '--quiet',
      ],
      hostEnv,
      evidenceDir,
    ),
  );
  narrator.say(
    `${collected.records} records, manifest sha256 ${collected.manifestSha256}; ` +
      `uploaded to s3://${collected.upload?.bucket}/${collected.upload?.key} (verified: ${collected.upload?.verified})`,
  );

  narrator.heading('5. The examiner pulls the case into a SQLite case database, twice');
  const pullArgs = [
    'pull',
    '--bucket',
    setup.bucket,
    '--prefix',
    `${caseId}/`,
    ...endpoint,
    '--force-path-style',
    '--identity',
    identityFile,
    '--db',
    db,
    '--json',
  ];
  const first = json<PullResult>(await step('triage-import', pullArgs, awsEnv));
  narrator.say(
    `first pull: ${first.imported.length} imported, ${first.skipped.length} skipped, ${first.failed.length} failed`,
  );
  const second = json<PullResult>(await step('triage-import', pullArgs, awsEnv));
  narrator.say(`second pull: ${second.imported.length} imported (already there: nothing new is downloaded)`);

  narrator.heading('6. What is in the case: report and first-look hits');
  const report = json<StoryResult['report']>(
    await step('triage-import', ['report', '--db', db, '--json'], hostEnv),
  );
  await step('triage-import', ['report', '--db', db], hostEnv);
  const hits = json<StoryResult['hits']>(
    await step('triage-import', ['hits', '--db', db, '--json'], hostEnv),
  );
  await step('triage-import', ['hits', '--db', db], hostEnv);

  narrator.heading('7. The admin revokes the credential, and proves it');
  const revoked = json<StoryResult['revoked']>(
    await step('triage-admin', ['revoke', '--client', client, '--case', caseId, '--json'], awsEnv),
  );
  for (const a of revoked.attachments)
    narrator.say(`deny every token issued before ${a.cutoff} on ${a.kind} ${a.arn} (aws:TokenIssueTime)`);
  const repaired = json<StoryResult['repaired']>(
    await step(
      'triage-admin',
      ['setup', '--client', client, '--region', server.region, ...endpoint, '--json'],
      awsEnv,
    ),
  );
  narrator.say(
    `setup again: ${
      repaired.steps
        .filter((s) => s.status !== 'ok')
        .map((s) => `${s.id} ${s.status}`)
        .join(', ') || 'nothing to change'
    }`,
  );
  const audit = json<StoryResult['audit']>(
    await step('triage-admin', ['audit', '--client', client, '--json'], awsEnv),
  );
  for (const f of audit.findings.filter((f) => f.id.startsWith('revocation-'))) narrator.say(f.message);

  return {
    dir,
    client,
    caseId,
    host,
    bucket: setup.bucket,
    identityFile,
    recipient: key.recipient,
    bundleDir,
    db,
    adminState,
    issued: { accessKeyId: issued.accessKeyId, ledgerId: issued.ledgerId, prefix: issued.scope.prefix },
    collected,
    pulls: [first, second],
    report,
    hits,
    revoked,
    repaired,
    audit,
  };
}
