/** The dpkg database of the fixture root. */
import { put } from './write.js';

const STATUS = `Package: openssh-server
Status: install ok installed
Priority: optional
Section: net
Installed-Size: 1518
Maintainer: Ubuntu Developers <ubuntu-devel-discuss@lists.ubuntu.com>
Architecture: amd64
Multi-Arch: foreign
Source: openssh
Version: 1:8.9p1-3ubuntu0.10
Depends: libc6 (>= 2.34), openssh-client (= 1:8.9p1-3ubuntu0.10)
Conffiles:
 /etc/default/ssh 500e3cf069fe9a7b9936108eb9d9c035
 /etc/ssh/moduli 6fc7bb2b9ef3b1c8e6ebd3f0a4ef3d12
Description: secure shell (SSH) server, for secure access from remote machines
 This is the portable version of OpenSSH, a free implementation of
 the Secure Shell protocols as specified by the IETF secsh working
 group.

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.35-0ubuntu3.8
Description: GNU C Library: Shared libraries

Package: nginx
Status: install ok installed
Architecture: amd64
Version: 1.18.0-6ubuntu14.4
Description: small, powerful, scalable web/proxy server

Package: netcat-traditional
Status: install ok installed
Architecture: amd64
Version: 1.10-47
Description: TCP/IP swiss army knife

Package: telnetd
Status: deinstall ok config-files
Architecture: amd64
Version: 0.17-44build1
Description: basic telnet server

Package: ftp
Status: purge ok not-installed
Architecture: amd64
`;

/** Writes /var/lib/dpkg/status and the .list files that date installs. */
export async function buildPackages(root: string): Promise<void> {
  await put(root, '/var/lib/dpkg/status', STATUS);
  await put(root, '/var/lib/dpkg/info/openssh-server.list', '/etc/ssh\n/usr/sbin/sshd\n', {
    mtime: new Date('2026-08-10T06:12:44Z'),
  });
  // Multi-Arch: same packages name their list file with the architecture.
  await put(root, '/var/lib/dpkg/info/libc6:amd64.list', '/lib/x86_64-linux-gnu/libc.so.6\n', {
    mtime: new Date('2026-07-02T06:40:10Z'),
  });
  await put(root, '/var/lib/dpkg/info/nginx.list', '/usr/sbin/nginx\n', {
    mtime: new Date('2025-05-19T11:03:27Z'),
  });
  await put(root, '/var/lib/dpkg/info/netcat-traditional.list', '/bin/nc.traditional\n', {
    mtime: new Date('2026-11-22T02:16:40Z'),
  });
}
