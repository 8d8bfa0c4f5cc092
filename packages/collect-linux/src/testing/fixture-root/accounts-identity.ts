/** Host identity files, passwd, shadow and group of the fixture root. */
import { link, put } from './write.js';

/**
 * The fake password hashes in the fixture's /etc/shadow. Tests assert that
 * neither appears in any record, error or log line.
 */
export const FIXTURE_SHADOW_HASHES = [
  '$6$FAKESALTalice$FAKEHASHaliceEXAMPLEnotArealHashAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA0',
  '$6$FAKESALTbob$FAKEHASHbobEXAMPLEnotArealHashBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB1',
] as const;

const [ALICE_HASH, BOB_HASH] = FIXTURE_SHADOW_HASHES;

const OS_RELEASE = `PRETTY_NAME="Ubuntu 22.04.5 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.5 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
HOME_URL="https://www.ubuntu.com/"
UBUNTU_CODENAME=jammy
`;

const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
sshd:x:105:65534::/run/sshd:/usr/sbin/nologin
alice:x:1000:1000:Alice Example,,,:/home/alice:/bin/bash
bob:x:1001:1001:Bob Example,,,:/home/bob:/usr/bin/zsh
sysupdate:x:0:0:System Update:/var/lib/sysupdate:/bin/bash
`;

// root "!" (no hash: disabled), daemon "*", sshd "!*", alice a hash, bob a
// hash locked with "!", the planted sysupdate an empty field (no password).
const SHADOW = `root:!:20401:0:99999:7:::
daemon:*:20401:0:99999:7:::
www-data:*:20401:0:99999:7:::
sshd:!*:20401::::::
alice:${ALICE_HASH}:20411:0:99999:7:::
bob:!${BOB_HASH}:20416:0:99999:7:30:20849:
sysupdate::20779:0:99999:7:::
`;

const GROUP = `root:x:0:
adm:x:4:syslog,alice
sudo:x:27:alice,sysupdate
www-data:x:33:
alice:x:1000:
bob:x:1001:
`;

/**
 * Writes /etc/hostname, os-release (Ubuntu's /etc → /usr/lib symlink),
 * machine-id, timezone, passwd, shadow and group.
 */
export async function buildIdentity(root: string): Promise<void> {
  await put(root, '/etc/hostname', 'web01\n');
  await put(root, '/usr/lib/os-release', OS_RELEASE);
  await link(root, '/etc/os-release', '../usr/lib/os-release');
  await put(root, '/etc/machine-id', '5f1d2c3b4a5968778695a4b3c2d1e0f9\n', { mode: 0o444 });
  await put(root, '/etc/timezone', 'Europe/Berlin\n');
  await link(root, '/etc/localtime', '/usr/share/zoneinfo/Europe/Berlin');
  await put(root, '/etc/passwd', PASSWD);
  await put(root, '/etc/shadow', SHADOW, { mode: 0o640 });
  await put(root, '/etc/group', GROUP);
}
