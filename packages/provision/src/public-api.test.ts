/**
 * The public API, recorded in `api/public-api.txt` (update on purpose with
 * `npx vitest run -u` in this package), and the README, whose imports must
 * all be exported and whose API table must name every export.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readmeImports, renderPublicApi } from '@triage/testkit';
import { expect, it } from 'vitest';
import * as entry from './index.js';

it('matches the recorded public API', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const api = renderPublicApi(fileURLToPath(new URL('./index.ts', import.meta.url)), root.replace(/\/$/, ''));
  expect(api).toContain('function planSetup');
  expect(api).toContain('function auditClient');
  await expect(api).toMatchFileSnapshot('../api/public-api.txt');
});

it('README examples import only exported names, and its API table lists every value export', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const imported = readmeImports(readme, '@triage/provision');
  expect(imported.length).toBeGreaterThan(3);
  expect(imported.filter((name) => !(name in entry))).toEqual([]);
  const table = readme.slice(readme.indexOf('## API'));
  expect(Object.keys(entry).filter((name) => !table.includes(`\`${name}`))).toEqual([]);
});
