/**
 * The public API, recorded in `api/public-api.txt`. A change to the surface
 * other teams import fails here until the snapshot is updated on purpose
 * (`npx vitest run -u` in this package) and the change is reviewed.
 */
import { fileURLToPath } from 'node:url';
import { renderPublicApi } from '@triage/testkit';
import { expect, it } from 'vitest';

it('matches the recorded public API', async () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const api = renderPublicApi(fileURLToPath(new URL('./index.ts', import.meta.url)), root.replace(/\/$/, ''));
  expect(api).toContain('function runCollectors');
  await expect(api).toMatchFileSnapshot('../api/public-api.txt');
});
