/**
 * Host identity, accounts, logins, SSH, shell history and packages of the
 * fixture root: a small Ubuntu 22.04 web server ("web01", Europe/Berlin)
 * where an intruder brute-forced SSH on 2026-11-22, logged in as a planted
 * uid-0 account `sysupdate`, ran a `curl | sh`, installed netcat and left a
 * key with a forced command in root's authorized_keys.
 */
import { buildIdentity } from './accounts-identity.js';
import { buildLogins } from './accounts-logins.js';
import { buildPackages } from './accounts-packages.js';
import { buildUserFiles } from './accounts-user-files.js';

export { FIXTURE_SHADOW_HASHES } from './accounts-identity.js';

/**
 * Writes this area of the fixture root.
 *
 * @param root - the fixture root directory on this machine
 */
export async function buildAccounts(root: string): Promise<void> {
  await buildIdentity(root);
  await buildLogins(root);
  await buildUserFiles(root);
  await buildPackages(root);
}
