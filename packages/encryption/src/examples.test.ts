/**
 * The README's examples are the files in examples/: each runs as a real
 * program (through tsx, against this package's source) and the README quotes
 * each file verbatim, so the documentation cannot rot.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe.each([
  ['encrypt-to-examiner.ts', ['{"kind":"user_account","name":"root"}', 'examiner key triage1']],
  ['encrypt-with-password.ts', ['collected at 2026-11-23T16:00:00Z', 'wrong password refused']],
])('examples/%s', (file, expected) => {
  it('runs and prints what it promises', async () => {
    const { stdout } = await run(tsx, ['--conditions=triage-source', `examples/${file}`], { cwd: root });
    for (const line of expected) expect(stdout).toContain(line);
  });

  it('is quoted verbatim in the README', () => {
    expect(readme).toContain(readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8').trim());
  });
});
