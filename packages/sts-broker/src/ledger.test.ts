import { chmod, mkdir, mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTriageError, type TriageError } from '@triage/errors';
import { beforeEach, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from './issue.js';
import {
  appendLedger,
  type IssueLedgerEntry,
  type LedgerEntry,
  ledgerEntryFor,
  parseLedgerEntry,
  type RevokeLedgerEntry,
  readLedger,
} from './ledger.js';
import { BUCKET, issueEntry, ROLE_ARN, rejected, thrown, USER_ARN } from './testing/fakes.js';

// Canary values: if either ever reaches the ledger file, the grep below finds it.
const CANARY_SECRET = 'CANARYSECRETwJalrXUtnFEMI/K7MDENG+bPxRfiCYzz';
const CANARY_TOKEN = `CANARYTOKEN${'FwoGZXIvYXdzEJr//////////wEaDOn0'.repeat(12)}`;

function issued(mode: 'session-token' | 'assume-role'): IssuedCredentials {
  const common = {
    accessKeyId: 'ASIAEXAMPLECANARY001',
    secretAccessKey: CANARY_SECRET,
    sessionToken: CANARY_TOKEN,
    expiration: new Date('2026-11-23T19:00:02.000Z'),
    issuedAt: new Date('2026-11-23T18:00:02.000Z'),
    requestedAt: new Date('2026-11-23T18:00:00.000Z'),
    durationSeconds: 3600,
  };
  if (mode === 'session-token') {
    return { mode, ...common, scope: { bucket: BUCKET, prefix: 'uploads/' } };
  }
  return {
    mode,
    ...common,
    scope: { bucket: BUCKET, prefix: 'IR-1/web-1/' },
    roleArn: ROLE_ARN,
    sessionName: 'IR-1-web-1',
    assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/triage-uploader/IR-1-web-1',
    sourceIdentity: 'alice',
    caseId: 'IR-1',
    host: 'web-1',
  };
}

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sts-broker-ledger-'));
  path = join(dir, 'ledger.jsonl');
});

describe('ledgerEntryFor', () => {
  it('records an assume-role issuance without the secret key or token', () => {
    const entry = ledgerEntryFor(issued('assume-role'), { client: 'acme', issuer: 'alice', id: 'e1' });
    expect(entry).toEqual({
      v: 1,
      type: 'issue',
      id: 'e1',
      mode: 'assume-role',
      accessKeyId: 'ASIAEXAMPLECANARY001',
      scope: { bucket: BUCKET, prefix: 'IR-1/web-1/' },
      case: 'IR-1',
      host: 'web-1',
      client: 'acme',
      issuer: 'alice',
      issuedAt: '2026-11-23T18:00:02.000Z',
      expiresAt: '2026-11-23T19:00:02.000Z',
      requestedAt: '2026-11-23T18:00:00.000Z',
      roleArn: ROLE_ARN,
      sessionName: 'IR-1-web-1',
      assumedRoleArn: 'arn:aws:sts::111122223333:assumed-role/triage-uploader/IR-1-web-1',
      sourceIdentity: 'alice',
    });
  });

  it('records a session-token issuance with the case, host and user given', () => {
    const entry = ledgerEntryFor(issued('session-token'), {
      client: 'acme',
      issuer: 'alice',
      case: 'IR-1',
      host: 'db-1',
      userArn: USER_ARN,
    });
    expect(entry).toMatchObject({ mode: 'session-token', case: 'IR-1', host: 'db-1', userArn: USER_ARN });
    expect(entry.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(entry).not.toHaveProperty('roleArn');
  });

  it("records a session token scoped to the whole bucket (prefix '')", async () => {
    const wholeBucket = { ...issued('session-token'), scope: { bucket: BUCKET, prefix: '' } };
    const entry = ledgerEntryFor(wholeBucket, {
      client: 'acme',
      issuer: 'alice',
      case: 'IR-1',
      host: 'db-1',
    });
    await appendLedger(path, entry);
    expect(await readLedger(path)).toEqual([entry]);
  });

  it('requires the case and host for session-token credentials', () => {
    const error = thrown(() => ledgerEntryFor(issued('session-token'), { client: 'acme', issuer: 'alice' }));
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses a case or host that differs from the assume-role session', () => {
    const error = thrown(() =>
      ledgerEntryFor(issued('assume-role'), { client: 'acme', issuer: 'alice', host: 'web-2' }),
    );
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses a meta field that holds the secret key', () => {
    const credentials = { ...issued('assume-role'), secretAccessKey: 'alicesecretkey0123456789' };
    const error = thrown(() =>
      ledgerEntryFor(credentials, { client: 'acme', issuer: 'alicesecretkey0123456789' }),
    ) as TriageError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).not.toContain('alicesecretkey');
  });

  it('refuses malformed meta, naming the field', () => {
    const error = thrown(() =>
      ledgerEntryFor(issued('assume-role'), { client: 'acme corp', issuer: 'alice' }),
    ) as TriageError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.context.field).toBe('client');
  });
});

describe('appendLedger and readLedger', () => {
  it('canary: the ledger file never holds the planted secret or token, and is 0600', async () => {
    await appendLedger(path, ledgerEntryFor(issued('assume-role'), { client: 'acme', issuer: 'alice' }));
    await appendLedger(
      path,
      ledgerEntryFor(issued('session-token'), {
        client: 'acme',
        issuer: 'alice',
        case: 'IR-1',
        host: 'db-1',
      }),
    );
    const bytes = await readFile(path);
    expect(bytes.length).toBeGreaterThan(200);
    for (const canary of [CANARY_SECRET, CANARY_TOKEN, 'CANARYSECRET', 'CANARYTOKEN']) {
      expect(bytes.includes(Buffer.from(canary))).toBe(false);
    }
    // The access key id is not secret and is there: the grep looks at the right file.
    expect(bytes.includes(Buffer.from('ASIAEXAMPLECANARY001'))).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(bytes.toString('utf8').split('\n')).toHaveLength(3);
  });

  it('refuses an entry carrying a secret field, and leaves the file unchanged', async () => {
    const entry = ledgerEntryFor(issued('assume-role'), { client: 'acme', issuer: 'alice' });
    await appendLedger(path, entry);
    const before = await readFile(path);
    const leaky = { ...entry, id: 'leaky', sessionToken: CANARY_TOKEN } as unknown as LedgerEntry;
    const error = (await rejected(appendLedger(path, leaky))) as TriageError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.context.field).toBe('sessionToken');
    expect(error.message).not.toContain('CANARY');
    expect(await readFile(path)).toEqual(before);
  });

  it('creates the file 0600 even with a permissive umask', async () => {
    const previous = process.umask(0);
    try {
      await appendLedger(path, issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' }));
    } finally {
      process.umask(previous);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('reads back what was appended, issue and revoke entries alike', async () => {
    const a = issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' });
    const b = issueEntry({ issuedAt: '2026-11-23T18:05:00.000Z', mode: 'session-token', host: 'db-1' });
    const r: RevokeLedgerEntry = {
      v: 1,
      type: 'revoke',
      id: 'r1',
      at: '2026-11-23T18:10:00.000Z',
      cutoff: '2026-11-23T18:00:01.000Z',
      targetKind: 'role',
      target: ROLE_ARN,
      policyName: 'triage-revoke-20261123T180001Z',
      scope: { selector: { case: 'IR-1', host: 'web-1' }, entries: [a.id], collateral: [] },
      deactivatedKeys: { userName: 'triage-uploader', accessKeyIds: ['AKIAEXAMPLE000000001'] },
    };
    for (const entry of [a, b, r]) await appendLedger(path, entry);
    expect(await readLedger(path)).toEqual([a, b, r]);
  });

  it('returns no entries for an empty ledger', async () => {
    await writeFile(path, '', { mode: 0o600 });
    expect(await readLedger(path)).toEqual([]);
  });

  it('keeps every line whole under 200 concurrent appends (one O_APPEND write per line)', async () => {
    const entries = Array.from({ length: 200 }, (_, i) =>
      issueEntry({ issuedAt: new Date(Date.UTC(2026, 10, 23, 18, 0, i)).toISOString(), host: `host-${i}` }),
    );
    await Promise.all(entries.map((entry) => appendLedger(path, entry)));
    const read = await readLedger(path);
    expect(read).toHaveLength(200);
    expect(new Set(read.map((e) => e.id))).toEqual(new Set(entries.map((e) => e.id)));
  });

  it('says NOT_FOUND for a missing ledger', async () => {
    expect(isTriageError(await rejected(readLedger(join(dir, 'none.jsonl'))), 'NOT_FOUND')).toBe(true);
  });

  it('refuses a ledger others may read or write, for appending and reading', async () => {
    await appendLedger(path, issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' }));
    await chmod(path, 0o644);
    for (const attempt of [
      () => appendLedger(path, issueEntry({ issuedAt: '2026-11-23T18:01:00.000Z' })),
      () => readLedger(path),
    ]) {
      const error = (await rejected(attempt())) as TriageError;
      expect(error.code).toBe('IO_ERROR');
      expect(error.message).toContain('chmod 600');
      expect(error.context.mode).toBe('0644');
    }
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(2);
  });

  it('refuses a symbolic link and a folder', async () => {
    const real = join(dir, 'real.jsonl');
    await writeFile(real, '', { mode: 0o600 });
    const link = join(dir, 'link.jsonl');
    await symlink(real, link);
    const entry = issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' });
    for (const attempt of [() => appendLedger(link, entry), () => readLedger(link)]) {
      const error = (await rejected(attempt())) as TriageError;
      expect(error.code).toBe('IO_ERROR');
      expect(error.message).toContain('symbolic link');
    }
    expect(await readFile(real, 'utf8')).toBe('');
    const folder = join(dir, 'folder');
    await mkdir(folder, { mode: 0o700 });
    expect(isTriageError(await rejected(readLedger(folder)), 'IO_ERROR')).toBe(true);
  });

  it('says IO_ERROR when the folder does not exist', async () => {
    const error = await rejected(
      appendLedger(join(dir, 'missing', 'l.jsonl'), issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' })),
    );
    expect(isTriageError(error, 'IO_ERROR')).toBe(true);
  });

  describe('names the first bad line', () => {
    const good = () => JSON.stringify(issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' }));
    it.each([
      ['not JSON', () => `${good()}\n{"v":1,\n`, 2, undefined, 'is not JSON'],
      [
        'an unknown field',
        () => `${good()}\n${good()}\n${JSON.stringify({ ...JSON.parse(good()), secret: 'x' })}\n`,
        3,
        'secret',
        'is not a ledger field',
      ],
      [
        'a bad time',
        () => `${JSON.stringify({ ...JSON.parse(good()), issuedAt: '23/11/2026' })}\n`,
        1,
        'issuedAt',
        'ISO 8601',
      ],
      [
        'expiry before issue',
        () => `${JSON.stringify({ ...JSON.parse(good()), expiresAt: '2026-11-23T17:00:00.000Z' })}\n`,
        1,
        'expiresAt',
        'after issuedAt',
      ],
      ['a newer version', () => `${JSON.stringify({ ...JSON.parse(good()), v: 2 })}\n`, 1, 'v', 'upgrade'],
      [
        'an unknown type',
        () => `${JSON.stringify({ ...JSON.parse(good()), type: 'note' })}\n`,
        1,
        'type',
        'issue',
      ],
      [
        'an assume-role entry whose prefix is not case/host/',
        () => `${JSON.stringify({ ...JSON.parse(good()), scope: { bucket: BUCKET, prefix: 'IR-1/' } })}\n`,
        1,
        'scope.prefix',
        'case/host/',
      ],
      [
        'a session-token entry with a role',
        () =>
          `${JSON.stringify({ ...issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z', mode: 'session-token' }), roleArn: ROLE_ARN })}\n`,
        1,
        'roleArn',
        'only for assume-role',
      ],
      ['an empty line', () => `${good()}\n\n`, 2, undefined, 'is empty'],
      ['a torn last line', () => `${good()}\n{"v":1,"type":"iss`, 2, undefined, 'no newline'],
      [
        'a repeated id',
        () => {
          const line = good();
          return `${line}\n${line}\n`;
        },
        2,
        'id',
        'repeats the id of line 1',
      ],
      ['an array', () => '[]\n', 1, 'line', 'JSON object'],
    ])('%s', async (_label, content, line, field, words) => {
      await writeFile(path, content(), { mode: 0o600 });
      const error = (await rejected(readLedger(path))) as TriageError;
      expect(error.code).toBe('DATA_INVALID');
      expect(error.context.line).toBe(line);
      expect(error.context.field).toBe(field);
      expect(error.message).toContain(`line ${line}`);
      expect(error.message).toContain(words);
    });
  });

  it('never echoes a bad value in its message', async () => {
    const entry = { ...issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' }), client: 'LEAKED VALUE' };
    await writeFile(path, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    const error = (await rejected(readLedger(path))) as TriageError;
    expect(error.context.field).toBe('client');
    expect(JSON.stringify(error.toJSON())).not.toContain('LEAKED');
  });
});

describe('parseLedgerEntry', () => {
  it('puts keys in the canonical order', () => {
    const entry = issueEntry({ issuedAt: '2026-11-23T18:00:00.000Z' });
    const shuffled = Object.fromEntries(Object.entries(entry).reverse());
    expect(JSON.stringify(parseLedgerEntry(shuffled))).toBe(JSON.stringify(entry));
  });

  it('refuses an assume-role entry without a role', () => {
    const { roleArn: _omit, ...entry } = issueEntry({
      issuedAt: '2026-11-23T18:00:00.000Z',
    }) as IssueLedgerEntry;
    const error = thrown(() => parseLedgerEntry(entry)) as TriageError;
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.context.field).toBe('roleArn');
  });
});
