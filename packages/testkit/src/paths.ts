import { join } from 'node:path';

/** Environment variables the test kit reads (only in its CLI and vitest entry points). */
export interface TestkitEnv {
  readonly TRIAGE_CACHE_DIR?: string | undefined;
  readonly XDG_CACHE_HOME?: string | undefined;
}

/**
 * Where installed servers, their logs and their process records live:
 * `$TRIAGE_CACHE_DIR`, else `$XDG_CACHE_HOME/triage`, else `~/.cache/triage`.
 * Installs are keyed by version inside it, so the folder is safe to keep
 * between runs and to delete at any time.
 *
 * @param env - the environment to read
 * @param home - the user's home folder
 * @returns an absolute folder path
 */
export function defaultCacheDir(env: TestkitEnv, home: string): string {
  if (env.TRIAGE_CACHE_DIR) return env.TRIAGE_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'triage');
  return join(home, '.cache', 'triage');
}

/**
 * A minimal environment for a child process a test starts: PATH and HOME from
 * this process (the test kit may read the environment; packages may not),
 * plus `extra`. Nothing else leaks in.
 */
export function childEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
}
