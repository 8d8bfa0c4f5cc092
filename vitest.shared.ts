/**
 * Shared vitest settings: every package and app calls `triageProject()` from
 * its own `vitest.config.ts`, so `vitest run` works inside one package (as
 * turbo runs it) and the root `vitest.config.ts` runs them all as projects.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const SOURCE_CONDITIONS = ['triage-source', 'node', 'import', 'default'];
const GLOBAL_SETUP = fileURLToPath(new URL('./packages/testkit/src/vitest-setup.ts', import.meta.url));

/** Options for {@link triageProject}. */
export interface TriageProjectOptions {
  /**
   * Start the real local servers (moto and MinIO, from @triage/testkit) once
   * for this project and hand their endpoints to tests through `inject`.
   * Set it in packages that have `*.integ.test.ts` files.
   */
  readonly services?: boolean;
}

/**
 * The vitest project for the package whose `vitest.config.ts` calls it.
 *
 * @param configUrl - `import.meta.url` of the calling config file
 * @param options - whether the project needs the local servers
 */
export function triageProject(configUrl: string, options: TriageProjectOptions = {}): ViteUserConfig {
  const dir = new URL('.', configUrl);
  const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name: string };
  return defineConfig({
    // Workspace packages resolve to their TypeScript source, as in the root tsconfig.
    resolve: { conditions: SOURCE_CONDITIONS },
    ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
    environments: { __vitest__: { resolve: { conditions: SOURCE_CONDITIONS } } },
    test: {
      name: pkg.name,
      root: fileURLToPath(dir),
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      globalSetup: options.services ? [GLOBAL_SETUP] : [],
      // Integration tests talk to real servers over HTTP; give them room on a 2-core machine.
      testTimeout: 30_000,
      hookTimeout: 60_000,
      // The JSON report is a turbo output, so a cached run still counts its tests in `triage-testkit summary`.
      reporters: ['default', 'json'],
      outputFile: { json: '.vitest/results.json' },
      restoreMocks: true,
      unstubEnvs: true,
    },
  });
}
