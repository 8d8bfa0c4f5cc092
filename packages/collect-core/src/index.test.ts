/** Every name the README imports from the package is exported by its entry point. */
import { readFileSync } from 'node:fs';
import { readmeImports } from '@triage/testkit';
import { expect, it } from 'vitest';
import * as entry from './index.js';

it('README examples import only names the entry point exports', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const imported = readmeImports(readme, '@triage/collect-core');
  expect(imported.length).toBeGreaterThan(3);
  expect(imported.filter((name) => !(name in entry))).toEqual([]);
});
