/**
 * The demo's story (story.ts), asserted at each step, with the three tools
 * as real processes against moto: what the collector sealed is exactly
 * what the case database holds, a second pull imports nothing, and the
 * revoked credential is explicitly denied by the policies IAM holds.
 *
 * moto does not enforce IAM policies (see story.ts); enforcement of the
 * same session policy by a real server is in packages/sts-broker's
 * enforcement tests against MinIO.
 */
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type Narrator, runStory, type Step, type StoryResult } from './story.js';

const moto = inject('triageServices').moto;

describe('the whole story on local servers', () => {
  const steps: Step[] = [];
  const narrator: Narrator = { heading: () => {}, say: () => {}, ran: (s) => steps.push(s) };
  let story: StoryResult;

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'triage-e2e-'));
    story = await runStory({
      server: moto,
      dir,
      narrator,
      client: 'e2e',
      caseId: 'IR-E2E',
      host: 'e2e-host',
    });
  }, 240_000);

  it('every step exited 0 and printed nothing on stderr but progress', () => {
    expect(steps.length).toBeGreaterThanOrEqual(12);
    for (const s of steps) expect(s.code, `${s.tool} ${s.argv.join(' ')}`).toBe(0);
    for (const s of steps.filter((s) => s.tool !== 'triage-collect')) expect(s.stderr, s.argv[0]).toBe('');
  });

  it('the collector uploaded exactly its local copy, verified, under its case and host', async () => {
    const { collected } = story;
    expect(collected.upload?.verified).toBe(true);
    expect(collected.upload?.key.startsWith(`${story.issued.prefix}`)).toBe(true);
    expect(story.issued.prefix).toBe('IR-E2E/e2e-host/');
    expect(collected.records).toBeGreaterThan(0);
    expect((await stat(collected.file)).mode & 0o777).toBe(0o600);
    const receipt = JSON.parse(await readFile(collected.receiptFile, 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(receipt)).toContain(collected.manifestSha256);
  });

  it('the case database holds every artifact of the collection manifest, kind by kind', () => {
    const db = new Database(story.db, { readonly: true });
    try {
      const rows = db.prepare('SELECT kind, count(*) AS n FROM artifacts GROUP BY kind').all() as {
        kind: string;
        n: number;
      }[];
      const inDb = Object.fromEntries(rows.map((r) => [r.kind, r.n]));
      const sealed = Object.fromEntries(Object.entries(story.collected.counts).filter(([, n]) => n > 0));
      expect(inDb).toEqual(sealed);
      const collections = db.prepare('SELECT * FROM collections').all() as Record<string, unknown>[];
      expect(collections).toHaveLength(1);
      expect(JSON.stringify(collections[0])).toContain(story.collected.manifestSha256);
    } finally {
      db.close();
    }
    const [first, second] = story.pulls;
    expect(first?.imported.map((i) => i.records)).toEqual([story.collected.records]);
    expect(first?.failed).toEqual([]);
    expect(second?.imported).toEqual([]);
    expect(second?.skipped.length).toBe(1);
  });

  it('report and hits read the same database', () => {
    const host = story.report.hosts.find((h) => h.host === 'e2e-host');
    expect(host).toBeDefined();
    const total = host?.kinds.reduce((sum, k) => sum + k.count, 0);
    expect(total).toBe(story.collected.records);
    for (const hit of story.hits.hits) expect(hit.artifactId).toBeGreaterThan(0);
  });

  it('the revoked credential is explicitly denied by what IAM holds, and setup put the bucket policy back', () => {
    expect(story.revoked.entries).toEqual([story.issued.ledgerId]);
    expect(story.revoked.steps.map((s) => [s.action, s.outcome])).toEqual([['PutRolePolicy', 'done']]);
    expect(story.repaired.steps.filter((s) => s.status !== 'ok').map((s) => s.id)).toEqual(['bucket-policy']);
    expect(story.audit.hasHigh).toBe(false);
    const holds = story.audit.findings.filter((f) => f.id === 'revocation-holds');
    expect(holds).toHaveLength(1);
    expect(holds[0]?.message).toContain(story.issued.accessKeyId);
    expect(story.audit.findings.filter((f) => f.id === 'revocation-lost')).toEqual([]);
  });

  it('no secret reaches argv, stdout or any file but its own', async () => {
    const bundle = JSON.parse(await readFile(join(story.bundleDir, 'bundle.json'), 'utf8')) as {
      credentials: { secret_access_key: string; session_token: string };
    };
    const identity = (await readFile(story.identityFile, 'utf8')).match(
      /TRIAGE-SECRET-KEY-1\S+/,
    )?.[0] as string;
    const secrets = [bundle.credentials.secret_access_key, bundle.credentials.session_token, identity];
    for (const secret of secrets) expect(secret.length).toBeGreaterThan(20);
    for (const s of steps) {
      for (const secret of secrets) {
        expect(s.argv.join(' ')).not.toContain(secret);
        expect(s.stdout).not.toContain(secret);
        expect(s.stderr).not.toContain(secret);
      }
    }
    const ledger = await readFile(join(story.adminState, 'ledger.jsonl'), 'utf8');
    for (const secret of secrets) expect(ledger).not.toContain(secret);
    for (const file of [join(story.bundleDir, 'bundle.json'), story.identityFile, story.db]) {
      expect((await stat(file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it('the bucket holds the collection and the pre-flight note, nothing else', async () => {
    const s3 = new S3Client({
      endpoint: moto.endpoint,
      region: moto.region,
      credentials: moto.credentials,
      forcePathStyle: true,
    });
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: story.bucket }));
      const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
      expect(keys.filter((k) => k.endsWith('.triage'))).toEqual([story.collected.upload?.key]);
      for (const key of keys) expect(key.startsWith(story.issued.prefix)).toBe(true);
    } finally {
      s3.destroy();
    }
    expect((await readdir(story.bundleDir)).sort()).toContain('bundle.json');
  });
});
