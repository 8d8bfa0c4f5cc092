/**
 * `triage-admin trail` on local folders of synthetic CloudTrail (gzip
 * `{"Records":[…]}` files, as CloudTrail writes them): the tree, the
 * findings, the plans, the pictures, the filters, the ledger checks, and
 * `--apply` against a fake IAM client that records its calls (the real one
 * is in trail.integ.test.ts, against moto).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { appendLedger, type IssuedCredentials, ledgerEntryFor } from '@triage/sts-broker';
import { type CloudTrailRecord, type SyntheticTrail, syntheticTrail } from '@triage/trail';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AwsFactory } from './deps.js';
import { type ClientState, StateStore } from './state.js';
import { cli, workDir } from './testing/support.js';

/** The synthetic records say `<redacted>`; the files here carry this instead, and no output may. */
const TOKEN_CANARY = 'FAKEcanarySESSIONTOKENEXAMPLEIQoJb3JpZ2luX2VjEJr';
const NOW = new Date('2026-11-05T00:00:00Z');

async function writeTrail(dir: string, trail: SyntheticTrail, files = 3): Promise<CloudTrailRecord[]> {
  const records = [...trail.records()].map(
    (r) => JSON.parse(JSON.stringify(r).replaceAll('"<redacted>"', `"${TOKEN_CANARY}"`)) as CloudTrailRecord,
  );
  expect(JSON.stringify(records)).toContain(TOKEN_CANARY);
  await mkdir(join(dir, 'AWSLogs'), { recursive: true });
  const per = Math.ceil(records.length / files);
  for (let i = 0; i < files; i++) {
    const part = records.slice(i * per, (i + 1) * per);
    await writeFile(
      join(dir, 'AWSLogs', `111122223333_CloudTrail_eu-west-1_2026110${i}T0000Z_${i}.json.gz`),
      gzipSync(JSON.stringify({ Records: part })),
    );
  }
  return records;
}

/** AWS clients that must not be used: a local trail needs none. */
const noAws: AwsFactory = {
  s3: () => {
    throw new Error('no S3 client in this test');
  },
  iam: () => {
    throw new Error('no IAM client in this test');
  },
  sts: () => {
    throw new Error('no STS client in this test');
  },
};

/** An STS that knows the admin and an IAM that records each call (name and input). */
function recordingAws(calls: { name: string; input: Record<string, unknown> }[]): AwsFactory {
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      calls.push({ name: command.constructor.name, input: command.input });
      if (command instanceof GetCallerIdentityCommand)
        return { Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/responder' };
      return {};
    },
  };
  return {
    s3: () => client as unknown as S3Client,
    iam: () => client as unknown as IAMClient,
    sts: () => client as unknown as STSClient,
  };
}

const trail = syntheticTrail({ noise: 600, sessionEvery: 150 });
const { attack } = trail;
const chainKeys = [attack.longTermKey, attack.sessionTokenKey, attack.roleKey, attack.chainedRoleKey];

let dir: string;
let total: number;
const run = (argv: string[], options: { aws?: AwsFactory; prompt?: (q: string) => Promise<string> } = {}) =>
  cli(['trail', ...argv], {
    cwd: dir,
    aws: options.aws ?? noAws,
    now: () => NOW,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  });

interface TrailJson {
  files: number;
  events: number;
  keys: number;
  diagnosticCount: number;
  summary: { high: number; medium: number; low: number };
  graph: { keys: { accessKeyId: string; firstUse?: string }[]; roots: string[] };
  findings: { rule: string; severity: string; keys: string[]; evidence: string[] }[];
  plans: {
    root: string;
    proven: boolean;
    cutoff: string;
    steps: { kind: string; target: string; accessKeyId?: string; keys: string[] }[];
    proof: { subject: string; accessKeyId?: string; decision: string; ok: boolean }[];
  }[];
  applied: { cutoff: string; done: { kind: string; target: string }[] } | null;
}

beforeAll(async () => {
  dir = await workDir();
  total = (await writeTrail(dir, trail)).length;
});

describe('triage-admin trail on a local folder', () => {
  it('prints the summary, the tree with every key of the chain, the findings and a proven plan; exits 65', async () => {
    const out = await run(['--from', 'AWSLogs']);
    expect(out.stdout).toMatch(new RegExp(`^trail: 3 file\\(s\\), ${total} event\\(s\\), \\d+ key\\(s\\), `));
    expect(out.stdout).toContain('; 0 diagnostic(s)\n');
    const tree = out.stdout.slice(out.stdout.indexOf('lineage'), out.stdout.indexOf('findings:'));
    for (const key of chainKeys) expect(tree).toContain(key);
    expect(tree).toContain(`GetSessionToken ${attack.userArn}`);
    expect(tree).toContain(`AssumeRole ${attack.chainedRoleArn}`);
    for (const rule of [
      'role-chaining',
      'session-token-from-long-term-key',
      's3-read-by-derived-key',
      'minted-key-other-address',
    ]) {
      expect(out.stdout).toMatch(new RegExp(`^  (HIGH|MEDIUM) +${rule} \\[T\\d{4}`, 'm'));
    }
    // Each finding carries its ATT&CK ids and its evidence: the chained AssumeRole's event id.
    expect(out.stdout).toMatch(/HIGH +role-chaining \[T1548\.005, T1078\.004\]/);
    expect(out.stdout).toContain(`evidence: ${attack.eventIds.chainedAssumeRole}`);
    expect(out.stdout).toContain(
      `plan for the chain of ${attack.longTermKey} (4 keys): proven, cut-off ${NOW.toISOString()}`,
    );
    expect(out.stdout).toContain(`1. deactivate-key  ${attack.longTermKey} of user ${attack.userName}`);
    expect(out.stdout).toMatch(
      new RegExp(
        `derived +${attack.chainedRoleKey} +\\S+data-reader/sync +s3:GetObject +→ ExplicitlyDenied +ok`,
      ),
    );
    expect(out.stdout).toMatch(/new-token +\(new\) +\S+ +s3:GetObject +→ Allowed +ok/);
    expect(out.stdout).toContain(`to apply it: the same command with --key ${attack.longTermKey} --apply`);
    expect(out.code).toBe(65);
    expect(out.stderr).toBe(
      'triage-admin: the trail shows 3 high finding(s); review them and the remediation plans [AUDIT_FINDINGS]\n',
    );
    expect(out.stdout).not.toMatch(/ +$/m);
    expect(out.stdout + out.stderr).not.toContain(TOKEN_CANARY);
  });

  it('--json holds the graph, the findings, a proven plan for the chain and the diagnostics count', async () => {
    const out = await run(['--from', join(dir, 'AWSLogs'), '--json']);
    expect(out.code).toBe(65);
    const json = JSON.parse(out.stdout) as TrailJson;
    expect(json.files).toBe(3);
    expect(json.events).toBe(total);
    expect(json.diagnosticCount).toBe(0);
    expect(json.graph.keys.map((k) => k.accessKeyId)).toEqual(expect.arrayContaining(chainKeys));
    expect(json.summary.high).toBe(json.findings.filter((f) => f.severity === 'high').length);
    expect(json.findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining([
        'role-chaining',
        'session-token-from-long-term-key',
        's3-read-by-derived-key',
        'minted-key-other-address',
      ]),
    );
    const plan = json.plans.find((p) => p.root === attack.longTermKey);
    expect(plan?.proven).toBe(true);
    expect(plan?.steps.map((s) => [s.kind, s.target])).toEqual([
      ['deactivate-key', attack.userName],
      ['put-user-policy', attack.userName],
      ['put-role-policy', 'ops-admin'],
      ['put-role-policy', 'data-reader'],
    ]);
    expect(
      plan?.proof.filter((r) => r.subject === 'derived').map((r) => [r.accessKeyId, r.decision]),
    ).toEqual(
      expect.arrayContaining(
        [attack.sessionTokenKey, attack.roleKey, attack.chainedRoleKey].map((k) => [k, 'ExplicitlyDenied']),
      ),
    );
    expect(json.applied).toBeNull();
    expect(out.stdout).not.toContain(TOKEN_CANARY);
    expect(out.stdout).not.toContain('sessionToken');
  });

  it('--graph mermaid and --graph dot print only the picture of the lineage', async () => {
    const mermaid = await run(['--from', 'AWSLogs', '--graph', 'mermaid']);
    expect(mermaid.stdout.startsWith('flowchart LR\n')).toBe(true);
    const id = (key: string) => `k_${key}`;
    expect(mermaid.stdout).toContain(`${id(attack.longTermKey)}[[`);
    expect(mermaid.stdout).toMatch(
      new RegExp(`${id(attack.roleKey)} -->\\|"AssumeRole [^"]+"\\| ${id(attack.chainedRoleKey)}`),
    );
    expect(mermaid.stdout).not.toContain('findings');
    expect(mermaid.code).toBe(65);

    const dot = await run(['--from', 'AWSLogs', '--graph', 'dot']);
    expect(dot.stdout.startsWith('digraph lineage {\n')).toBe(true);
    expect(dot.stdout.trimEnd().endsWith('}')).toBe(true);
    expect(dot.stdout).toContain(
      `"${attack.longTermKey}" -> "${attack.sessionTokenKey}" [label="GetSessionToken`,
    );
    expect(dot.stdout).toContain(`"${attack.roleKey}" -> "${attack.chainedRoleKey}"`);
    expect(dot.stdout + mermaid.stdout).not.toContain(TOKEN_CANARY);

    const bad = await run(['--from', 'AWSLogs', '--graph', 'png']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toBe('triage-admin: --graph "png": give dot or mermaid [USAGE]\n');
  });

  it('--key narrows the tree, the findings, the picture and the plan to the chain holding the key', async () => {
    const all = JSON.parse((await run(['--from', 'AWSLogs', '--json'])).stdout) as TrailJson;
    const out = await run(['--from', 'AWSLogs', '--key', attack.chainedRoleKey, '--json']);
    const json = JSON.parse(out.stdout) as TrailJson;
    expect(json.graph.keys.map((k) => k.accessKeyId).sort()).toEqual([...chainKeys].sort());
    expect(json.graph.roots).toEqual([attack.longTermKey]);
    expect(all.graph.keys.length).toBeGreaterThan(json.graph.keys.length);
    expect(json.plans.map((p) => p.root)).toEqual([attack.longTermKey]);
    for (const f of json.findings) expect(f.keys.some((k) => chainKeys.includes(k))).toBe(true);
    expect(all.findings.length).toBeGreaterThan(json.findings.length);

    // A routine key's own tree: no finding of the chain, nothing high, exit 0.
    const routine = all.graph.keys.find(
      (k) => k.accessKeyId.startsWith('AKIA') && !chainKeys.includes(k.accessKeyId),
    );
    expect(routine).toBeDefined();
    const quiet = await run(['--from', 'AWSLogs', '--key', routine?.accessKeyId as string]);
    expect(quiet.stderr).toBe('');
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toContain(`lineage of ${routine?.accessKeyId}:`);
    for (const key of chainKeys) expect(quiet.stdout).not.toContain(key);

    const dot = await run(['--from', 'AWSLogs', '--key', attack.roleKey, '--graph', 'dot']);
    expect(dot.stdout).toContain(`"${attack.roleKey}" -> "${attack.chainedRoleKey}"`);
    expect(dot.stdout.match(/ -> /g)).toHaveLength(3);

    const absent = await run(['--from', 'AWSLogs', '--key', 'ASIAEXAMPLEZZZZZZZZZ']);
    expect(absent.code).toBe(66);
    expect(absent.stderr).toMatch(
      /^triage-admin: --key ASIAEXAMPLEZZZZZZZZZ does not appear in the \d+ event\(s\) read/,
    );
  });

  it('--since and --until keep only the events in between', async () => {
    const before = await run(['--from', 'AWSLogs', '--until', attack.times.getSessionToken, '--json']);
    const early = JSON.parse(before.stdout) as TrailJson;
    expect(early.events).toBeGreaterThan(0);
    expect(early.events).toBeLessThan(total);
    expect(early.graph.keys.map((k) => k.accessKeyId)).not.toContain(attack.sessionTokenKey);
    expect(early.findings.map((f) => f.rule)).not.toContain('session-token-from-long-term-key');
    expect(early.summary.high).toBe(0);
    expect(before.code).toBe(0);

    const after = await run(['--from', 'AWSLogs', '--since', attack.times.chainedAssumeRole, '--json']);
    const late = JSON.parse(after.stdout) as TrailJson;
    expect(early.events + late.events).toBeLessThan(total);
    const since = attack.times.chainedAssumeRole.replace('Z', '.000Z');
    for (const k of late.graph.keys) expect(k.firstUse === undefined || k.firstUse >= since).toBe(true);
    // The chained session's parent is now a key whose minting is not in the input.
    expect(late.findings.map((f) => f.rule)).toEqual(expect.arrayContaining(['role-chaining', 'orphan-key']));
    expect(late.findings.map((f) => f.rule)).not.toContain('session-token-from-long-term-key');
  });

  it.each([
    [['--since', 'yesterday'], '--since "yesterday" is not an ISO 8601 time'],
    [['--until', '2026-11-02T08:00:00'], '--until "2026-11-02T08:00:00" is not an ISO 8601 time'],
    [['--since', '2026-11-03', '--until', '2026-11-02'], '--since must be before --until'],
    [['--key', 'not-a-key'], '--key is not an access key id'],
    [['--apply'], '--apply needs --key to choose the chain'],
    [['--yes'], '--yes only goes with --apply'],
    [['--json', '--graph', 'dot'], '--graph and --json are two outputs: give one'],
  ])('usage error %j: one line, exit 64', async (extra, message) => {
    const out = await run(['--from', 'AWSLogs', ...extra]);
    expect(out.code).toBe(64);
    expect(out.stderr).toContain(message);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/\[USAGE\]\n$/);
    expect(out.stdout).toBe('');
  });

  it('a --from path that does not exist: NOT_FOUND, one line, no stack', async () => {
    const out = await run(['--from', 'no-such-folder']);
    expect(out.code).toBe(66);
    expect(out.stderr).toBe(
      `triage-admin: No such CloudTrail file or folder: ${join(dir, 'no-such-folder')}; check the path. [NOT_FOUND]\n`,
    );
    expect(out.stdout).toBe('');
  });

  it('a folder without CloudTrail files is NOT_FOUND; one where nothing can be read is DATA_INVALID', async () => {
    await mkdir(join(dir, 'empty'));
    await writeFile(join(dir, 'empty', 'notes.txt'), 'not a trail');
    const empty = await run(['--from', 'empty']);
    expect(empty.code).toBe(66);
    expect(empty.stderr).toMatch(
      /^triage-admin: no CloudTrail files .* under .*empty; check --from \[NOT_FOUND\]\n$/,
    );

    await mkdir(join(dir, 'broken'));
    await writeFile(
      join(dir, 'broken', 'a.json'),
      `{"Records":[{"eventName":"x", "sessionToken": ${TOKEN_CANARY}}]}`,
    );
    const broken = await run(['--from', 'broken']);
    expect(broken.code).toBe(65);
    expect(broken.stderr).toMatch(
      /^triage-admin: no event could be read from the 1 file\(s\) under .*\[DATA_INVALID\]\n$/,
    );
    expect(broken.stderr).not.toContain('FAKEcanary');
  });

  it('unreadable records are counted and the first few shown, without their text', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(mixed);
    const records = [...trail.records()];
    await writeFile(join(mixed, 'good.json.gz'), gzipSync(JSON.stringify({ Records: records })));
    await writeFile(
      join(mixed, 'bad.json'),
      `{"Records":[{"eventTime":"soon","eventName":"x"},{"a": ${TOKEN_CANARY}},{"b": 1}]}`,
    );
    const out = await run(['--from', 'mixed']);
    expect(out.stdout).toMatch(/^trail: 2 file\(s\), \d+ event\(s\), .*; 3 diagnostic\(s\)\n/);
    expect(out.stdout).toMatch(/^ {2}diagnostic: .*bad\.json record 0: record has no valid eventTime/m);
    // The package drops the piece of the record V8 quotes in its message.
    expect(out.stdout).toMatch(/^ {2}diagnostic: .*bad\.json record 1: invalid JSON: Unexpected token 'F'$/m);
    expect(out.stdout + out.stderr).not.toContain('FAKEcanary');
  });
});

describe('--apply on a local trail (IAM is a recording fake)', () => {
  it('asks first; an answer other than "apply" changes nothing (ABORTED, 130)', async () => {
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    const questions: string[] = [];
    const out = await run(['--from', 'AWSLogs', '--key', attack.chainedRoleKey, '--apply'], {
      aws: recordingAws(calls),
      prompt: async (q) => {
        questions.push(q);
        return 'no';
      },
    });
    expect(questions).toHaveLength(1);
    expect(questions[0]).toBe(
      `type apply to deactivate ${attack.longTermKey} (user ${attack.userName}), then deny tokens issued before the cut-off (${NOW.toISOString()}, or the apply time if later) on user ${attack.userName}, role ops-admin, role data-reader: `,
    );
    expect(calls.map((c) => c.name)).toEqual(['GetCallerIdentityCommand']);
    expect(out.code).toBe(130);
    expect(out.stderr).toBe(
      'triage-admin: not applied: the answer was not "apply"; nothing was changed [ABORTED]\n',
    );
    // The plan was shown before the question, and no "applied" line after it.
    expect(out.stdout).toContain(`plan for the chain of ${attack.longTermKey}`);
    expect(out.stdout).not.toContain('applied to');
  });

  it('without a terminal and without --yes it refuses and changes nothing', async () => {
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    const out = await run(['--from', 'AWSLogs', '--key', attack.longTermKey, '--apply'], {
      aws: recordingAws(calls),
    });
    expect(out.code).toBe(64);
    expect(out.stderr).toBe(
      'triage-admin: --apply needs a terminal to confirm, or --yes; nothing was changed [USAGE]\n',
    );
    expect(calls.map((c) => c.name)).toEqual(['GetCallerIdentityCommand']);
  });

  it('answered "apply": deactivates the key first, then attaches the denies; prints the cut-off; exits 0', async () => {
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    const out = await run(['--from', 'AWSLogs', '--key', attack.sessionTokenKey, '--apply'], {
      aws: recordingAws(calls),
      prompt: async () => 'apply\n',
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const policy = `triage-trail-revoke-20261105T000000Z`;
    expect(calls.map((c) => [c.name, c.input.UserName ?? c.input.RoleName, c.input.PolicyName])).toEqual([
      ['GetCallerIdentityCommand', undefined, undefined],
      ['UpdateAccessKeyCommand', attack.userName, undefined],
      ['PutUserPolicyCommand', attack.userName, policy],
      ['PutRolePolicyCommand', 'ops-admin', policy],
      ['PutRolePolicyCommand', 'data-reader', policy],
    ]);
    expect(calls[1]?.input).toEqual({
      UserName: attack.userName,
      AccessKeyId: attack.longTermKey,
      Status: 'Inactive',
    });
    const document = JSON.parse(calls[2]?.input.PolicyDocument as string);
    expect(document.Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': NOW.toISOString() },
    });
    expect(out.stdout).toContain(
      `applied to the chain of ${attack.longTermKey}, cut-off ${NOW.toISOString()} (tokens of these users and roles issued before it are denied):\n` +
        `  deactivated ${attack.longTermKey} of user ${attack.userName}\n` +
        `  attached ${policy} to user ${attack.userName}\n` +
        `  attached ${policy} to role ops-admin\n` +
        `  attached ${policy} to role data-reader\n`,
    );
    expect(out.stdout).not.toContain('to apply it:');
  });

  it('refuses a plan that is not proven, before asking', async () => {
    // Only the chained session's events: its role is known but not when it was issued.
    const lonely = join(dir, 'lonely');
    await mkdir(lonely);
    const records = [...trail.records()].filter(
      (r) =>
        (r.userIdentity as { accessKeyId?: string } | undefined)?.accessKeyId === attack.chainedRoleKey &&
        r.eventName === 'GetObject',
    );
    const stripped = records.map((r) => {
      const identity = r.userIdentity as Record<string, unknown>;
      return {
        ...r,
        userIdentity: {
          ...identity,
          sessionContext: {
            sessionIssuer: (identity.sessionContext as Record<string, unknown>).sessionIssuer,
          },
        },
      };
    });
    await writeFile(join(lonely, 'a.json'), JSON.stringify({ Records: stripped }));
    const calls: { name: string; input: Record<string, unknown> }[] = [];
    let asked = false;
    const out = await run(['--from', 'lonely', '--key', attack.chainedRoleKey, '--apply'], {
      aws: recordingAws(calls),
      prompt: async () => {
        asked = true;
        return 'apply';
      },
    });
    expect(out.stdout).toContain('NOT PROVEN');
    expect(out.stdout).toContain(`uncovered: ${attack.chainedRoleKey}: its issue time is unknown`);
    expect(out.code).toBe(64);
    expect(out.stderr).toBe(
      `triage-admin: --apply refused: the plan for the chain of ${attack.chainedRoleKey} is not proven (${attack.chainedRoleKey}: its issue time is unknown); nothing was changed [USAGE]\n`,
    );
    expect(asked).toBe(false);
    expect(calls.map((c) => c.name)).toEqual(['GetCallerIdentityCommand']);
  });
});

describe("--client: the ledger's collector credentials and revocations", () => {
  const state: ClientState = {
    client: 'acme',
    region: 'eu-west-1',
    accountId: attack.account,
    bucket: attack.bucket,
    uploaderUserName: 'triage-uploader-acme',
    uploaderUserArn: `arn:aws:iam::${attack.account}:user/triage-uploader-acme`,
    roleArn: `arn:aws:iam::${attack.account}:role/triage-upload-acme`,
    roleMaxSessionSeconds: 43_200,
    mfaSerial: `arn:aws:iam::${attack.account}:mfa/triage-uploader-acme`,
    recipients: [],
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  };
  const issuedAt = new Date(Date.parse(attack.times.chainedAssumeRole));
  // As if triage had issued the data-reader session to a collector, confined to IR-1/web-1/.
  const collector: IssuedCredentials = {
    mode: 'assume-role',
    accessKeyId: attack.chainedRoleKey,
    secretAccessKey: 'FAKEcanarySECRETEXAMPLEnotusedanywhere0000',
    sessionToken: TOKEN_CANARY,
    expiration: new Date(issuedAt.getTime() + 3_600_000),
    issuedAt,
    requestedAt: issuedAt,
    durationSeconds: 3600,
    scope: { bucket: attack.bucket, prefix: 'IR-1/web-1/' },
    roleArn: attack.chainedRoleArn,
    sessionName: 'IR-1-web-1',
    assumedRoleArn: `arn:aws:sts::${attack.account}:assumed-role/data-reader/IR-1-web-1`,
    caseId: 'IR-1',
    host: 'web-1',
  };
  // A revocation of ops-admin's sessions issued before a cut-off after the backup session began.
  const revokedAt = new Date(Date.parse(attack.times.assumeRole) + 60_000);
  const revocation = (id: string, target: string, entries: string[]) => ({
    v: 1 as const,
    type: 'revoke' as const,
    id,
    at: revokedAt.toISOString(),
    cutoff: revokedAt.toISOString(),
    targetKind: 'role' as const,
    target,
    policyName: 'triage-revoke-20261102T173900Z',
    scope: { selector: { case: 'IR-1' }, entries, collateral: [] },
  });

  async function stateDir(entries: 'mine' | 'other'): Promise<string> {
    const path = join(await workDir(), 'state');
    const store = new StateStore(path);
    await store.save(state);
    await store.save({
      ...state,
      client: 'other',
      roleArn: `arn:aws:iam::${attack.account}:role/triage-upload-other`,
    });
    const client = entries === 'mine' ? 'acme' : 'other';
    await appendLedger(
      store.ledgerPath,
      ledgerEntryFor(collector, { client, issuer: 'admin', id: 'issue-1' }),
    );
    await appendLedger(store.ledgerPath, revocation('revoke-1', attack.roleArn, ['issue-1']));
    return path;
  }

  it('a collector credential that lists and reads, and a session used after its revocation', async () => {
    const out = await run([
      '--from',
      'AWSLogs',
      '--client',
      'acme',
      '--state-dir',
      await stateDir('mine'),
      '--json',
    ]);
    expect(out.code).toBe(65);
    const json = JSON.parse(out.stdout) as TrailJson;
    const misuse = json.findings.find((f) => f.rule === 'collector-credential-misuse');
    expect(misuse?.severity).toBe('high');
    expect(misuse?.keys).toEqual([attack.chainedRoleKey]);
    expect(misuse?.evidence).toEqual(
      expect.arrayContaining([...attack.eventIds.listObjects, ...attack.eventIds.getObject]),
    );
    const after = json.findings.find((f) => f.rule === 'use-after-revocation');
    expect(after?.keys).toEqual([attack.roleKey]);
    // The chained AssumeRole went through after the revocation: it did not hold.
    expect(after?.severity).toBe('high');
    expect(after?.evidence).toContain(attack.eventIds.chainedAssumeRole);

    const text = await run(['--from', 'AWSLogs', '--client', 'acme', '--state-dir', await stateDir('mine')]);
    expect(text.stdout).toMatch(
      /HIGH +collector-credential-misuse \[T1078\.004, T1619, T1530\]: .*ListObjectsV2×2, GetObject×5/,
    );
    expect(text.stdout).toMatch(/HIGH +use-after-revocation \[T1078\.004\]: .*\(revoke-1\)/);
  });

  it("another client's issuances and revocations are not checked", async () => {
    const out = await run([
      '--from',
      'AWSLogs',
      '--client',
      'acme',
      '--state-dir',
      await stateDir('other'),
      '--json',
    ]);
    const rules = (JSON.parse(out.stdout) as TrailJson).findings.map((f) => f.rule);
    expect(rules).not.toContain('collector-credential-misuse');
    expect(rules).not.toContain('use-after-revocation');
    expect(rules).toContain('role-chaining');
  });

  it('an unknown client is NOT_FOUND', async () => {
    const out = await run(['--from', 'AWSLogs', '--client', 'nobody', '--state-dir', await stateDir('mine')]);
    expect(out.code).toBe(66);
    expect(out.stderr).toMatch(
      /^triage-admin: unknown client nobody: run triage-admin setup --client nobody first \[NOT_FOUND\]\n$/,
    );
  });
});
