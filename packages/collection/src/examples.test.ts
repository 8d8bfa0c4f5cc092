/**
 * The README's example is examples/seal-and-open.ts: it runs as a real
 * program (through tsx, against this package's source) and the README quotes
 * it verbatim, so the documentation cannot rot.
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
  [
    'seal-and-open.ts',
    [
      /manifest hash [0-9a-f]{64}/,
      /case 2026-0042, host ws-17: 2 records/,
      /1 collector error\(s\); signed by SHA256:/,
      /tampered copy refused: ENVELOPE_TAMPERED/,
    ],
  ],
])('examples/%s', (file, expected) => {
  it('runs and prints what it promises', async () => {
    const { stdout } = await run(tsx, ['--conditions=triage-source', `examples/${file}`], { cwd: root });
    for (const pattern of expected) expect(stdout).toMatch(pattern);
  });

  it('is quoted verbatim in the README', () => {
    expect(readme).toContain(readFileSync(new URL(`../examples/${file}`, import.meta.url), 'utf8').trim());
  });
});
