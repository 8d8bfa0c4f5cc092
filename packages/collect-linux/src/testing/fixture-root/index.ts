/**
 * Builds test-fixtures/linux-root: a small synthetic Linux root file system
 * (see test-fixtures/linux-root/README.md). Each area lives in its own file.
 * Deterministic: fixed contents, modes and mtimes.
 */
import { buildAccounts } from './accounts.js';
import { buildPersistence } from './persistence.js';

export { FIXTURE_MTIME } from './write.js';

/** The `now` golden tests collect with. */
export const FIXTURE_NOW = new Date('2026-11-23T12:00:00.000Z');

/**
 * Writes the whole fixture root under `dir` (which must exist and be empty).
 *
 * @param dir - target directory on this machine
 */
export async function buildFixtureRoot(dir: string): Promise<void> {
  await buildAccounts(dir);
  await buildPersistence(dir);
}
