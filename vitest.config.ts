import { defineConfig } from 'vitest/config';

/** Runs every package and app as a vitest project: `npx vitest` from the root. */
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'e2e/vitest.config.ts'],
  },
});
