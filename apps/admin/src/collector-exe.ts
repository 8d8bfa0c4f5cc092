import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { TriageError } from '@triage/errors';
import type { Deps } from './deps.js';

/**
 * The collector executable `issue` copies into the bundle folder: `--collector-exe`,
 * else `$TRIAGE_COLLECTOR_EXE` (either must exist), else `deps.collectorExe`
 * (the repository's `apps/collector/dist-sea/triage-collect`) when it has
 * been built. Found by path only: the admin never imports the collector.
 *
 * @returns an absolute path, or undefined for a folder without the program
 * @throws TriageError `NOT_FOUND` for a given path that is not a file, `USAGE` for a name the folder already uses
 */
export async function resolveCollectorExe(flag: string | undefined, deps: Deps): Promise<string | undefined> {
  const given = flag ?? (deps.env.TRIAGE_COLLECTOR_EXE || undefined);
  const isFile = (path: string) =>
    stat(path).then(
      (s) => s.isFile(),
      () => false,
    );
  if (given === undefined) {
    return deps.collectorExe && (await isFile(deps.collectorExe)) ? deps.collectorExe : undefined;
  }
  const path = resolve(deps.cwd, given);
  if (!(await isFile(path))) {
    throw new TriageError(
      'NOT_FOUND',
      `no collector executable at ${given}; build it with \`npm run build:sea -w @triage/collector\` or drop --collector-exe / TRIAGE_COLLECTOR_EXE`,
      { context: { path: given } },
    );
  }
  if (['bundle.json', 'README.txt'].includes(basename(path))) {
    throw new TriageError('USAGE', `the collector executable cannot be called ${basename(path)}`);
  }
  return path;
}
