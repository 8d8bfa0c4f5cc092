import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIdentityText, readIdentityFile, writeIdentityFile } from './identity-file.js';
import { fingerprint, generateExaminerKeyPair } from './keys.js';
import { codeOf } from './test-support.js';

const FAST = { logN: 10, r: 8, p: 1 };
const dir = () => mkdtemp(join(tmpdir(), 'identity-'));

describe('identity files', () => {
  it('writes a 0600 text file with the recipient and fingerprint, and reads it back', async () => {
    const pair = generateExaminerKeyPair();
    const path = join(await dir(), 'examiner.key');
    await writeIdentityFile(path, pair.identity, { now: () => new Date('2026-11-23T16:00:00Z') });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('# created: 2026-11-23T16:00:00.000Z');
    expect(text).toContain(`# recipient: ${pair.recipient}`);
    expect(text).toContain(`# fingerprint: ${fingerprint(pair.recipient)}`);
    expect(await readIdentityFile(path)).toBe(pair.identity);
  });

  it('never overwrites', async () => {
    const pair = generateExaminerKeyPair();
    const path = join(await dir(), 'examiner.key');
    await writeFile(path, 'precious');
    expect(await codeOf(writeIdentityFile(path, pair.identity))).toBe('ALREADY_EXISTS');
    expect(await readFile(path, 'utf8')).toBe('precious');
  });

  it('wraps under a passphrase: the key is not in the file, and it needs the passphrase', async () => {
    const pair = generateExaminerKeyPair();
    const path = join(await dir(), 'examiner.key');
    await writeIdentityFile(path, pair.identity, { passphrase: 'long passphrase', scrypt: FAST });
    const bytes = await readFile(path);
    expect(bytes.toString('latin1')).not.toContain('TRIAGE-SECRET-KEY');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await codeOf(readIdentityFile(path))).toBe('PASSPHRASE_REQUIRED');
    expect(await codeOf(readIdentityFile(path, { passphrase: 'wrong' }))).toBe('ENVELOPE_WRONG_PASSWORD');
    expect(await readIdentityFile(path, { passphrase: 'long passphrase' })).toBe(pair.identity);
  });

  it('reports a missing file and bad content', async () => {
    const d = await dir();
    expect(await codeOf(readIdentityFile(join(d, 'missing.key')))).toBe('NOT_FOUND');
    await writeFile(
      join(d, 'two.key'),
      `${generateExaminerKeyPair().identity}\n${generateExaminerKeyPair().identity}\n`,
    );
    expect(await codeOf(readIdentityFile(join(d, 'two.key')))).toBe('KEY_INVALID');
    expect(() => parseIdentityText('# only comments\n')).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });
});
