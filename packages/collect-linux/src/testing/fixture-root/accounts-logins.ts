/** wtmp, btmp, utmp, lastlog and auth.log of the fixture root. */
import { gzipSync } from 'node:zlib';
import { encodeLastlog } from '../../parsers/lastlog.js';
import { encodeUtmp, type UtmpInput, UtmpType } from '../../parsers/utmp.js';
import { link, put } from './write.js';

/** Seconds since the epoch of an ISO time. */
function at(time: string): number {
  return Date.parse(time) / 1000;
}

const IPV4_ALICE = Uint8Array.of(203, 0, 113, 10);
// 2001:db8::5
const IPV6_INTRUDER = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5);
const IPV4_SCANNER = Uint8Array.of(198, 51, 100, 23);
const KERNEL_OLD = '5.15.0-88-generic';
const KERNEL = '5.15.0-91-generic';
/** RUN_LVL keeps the run level in ut_pid: new level + 256 × previous level. */
const RUNLEVEL_5_FROM_N = '5'.charCodeAt(0) + 256 * 'N'.charCodeAt(0);

const WTMP_1: UtmpInput[] = [
  {
    type: UtmpType.BOOT_TIME,
    line: '~',
    id: '~~',
    user: 'reboot',
    host: KERNEL_OLD,
    seconds: at('2026-10-05T06:00:00Z'),
  },
  {
    type: UtmpType.USER_PROCESS,
    pid: 1201,
    line: 'pts/0',
    id: 'ts/0',
    user: 'alice',
    host: '203.0.113.10',
    seconds: at('2026-10-05T07:30:00Z'),
    address: IPV4_ALICE,
  },
  { type: UtmpType.DEAD_PROCESS, pid: 1201, line: 'pts/0', id: 'ts/0', seconds: at('2026-10-05T08:02:10Z') },
];

const WTMP: UtmpInput[] = [
  {
    type: UtmpType.RUN_LVL,
    line: '~',
    id: '~~',
    user: 'shutdown',
    host: KERNEL_OLD,
    seconds: at('2026-11-20T07:58:41Z'),
  },
  {
    type: UtmpType.BOOT_TIME,
    line: '~',
    id: '~~',
    user: 'reboot',
    host: KERNEL,
    seconds: at('2026-11-20T08:00:03Z'),
  },
  {
    type: UtmpType.RUN_LVL,
    pid: RUNLEVEL_5_FROM_N,
    line: '~',
    id: '~~',
    user: 'runlevel',
    host: KERNEL,
    seconds: at('2026-11-20T08:00:09Z'),
  },
  {
    type: UtmpType.USER_PROCESS,
    pid: 2001,
    line: 'pts/0',
    id: 'ts/0',
    user: 'alice',
    host: '203.0.113.10',
    seconds: at('2026-11-20T09:15:02Z'),
    microseconds: 250_000,
    address: IPV4_ALICE,
  },
  { type: UtmpType.DEAD_PROCESS, pid: 2001, line: 'pts/0', id: 'ts/0', seconds: at('2026-11-20T09:45:30Z') },
  {
    type: UtmpType.USER_PROCESS,
    pid: 7042,
    line: 'pts/1',
    id: 'ts/1',
    user: 'sysupdate',
    host: '2001:db8::5',
    seconds: at('2026-11-22T02:13:05Z'),
    address: IPV6_INTRUDER,
  },
];

// sshd writes failed attempts to btmp as LOGIN_PROCESS on tty "ssh:notty".
const failed = (user: string, pid: number, time: string): UtmpInput => ({
  type: UtmpType.LOGIN_PROCESS,
  pid,
  line: 'ssh:notty',
  user,
  host: '198.51.100.23',
  seconds: at(time),
  address: IPV4_SCANNER,
});

const BTMP: UtmpInput[] = [
  failed('admin', 7001, '2026-11-22T01:55:12Z'),
  failed('root', 7003, '2026-11-22T01:55:20Z'),
  failed('root', 7003, '2026-11-22T01:55:25Z'),
  failed('root', 7003, '2026-11-22T01:55:31Z'),
];

/** The sessions open at the time of the image: the intruder's. */
const UTMP: UtmpInput[] = [
  {
    type: UtmpType.BOOT_TIME,
    line: '~',
    id: '~~',
    user: 'reboot',
    host: KERNEL,
    seconds: at('2026-11-20T08:00:03Z'),
  },
  {
    type: UtmpType.LOGIN_PROCESS,
    pid: 880,
    line: 'tty1',
    id: 'tty1',
    user: 'LOGIN',
    seconds: at('2026-11-20T08:00:10Z'),
  },
  WTMP[5] as UtmpInput,
  WTMP[4] as UtmpInput,
];

const AUTH_LOG_2 = `Dec 21 10:00:01 web01 sshd[3001]: Accepted publickey for alice from 203.0.113.10 port 50100 ssh2: ED25519 SHA256:GOEstsTxKFNRWBOCuyRJSQ3FD0efr8ONZZDO2cYUxOk
Dec 21 10:00:01 web01 sshd[3001]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)
Dec 21 10:20:44 web01 sshd[3001]: pam_unix(sshd:session): session closed for user alice
`;

// Spans New Year in Berlin local time; rotated on the morning of 1 January.
const AUTH_LOG_1 = `Dec 31 23:58:01 web01 sshd[4101]: Accepted publickey for alice from 203.0.113.10 port 50122 ssh2: ED25519 SHA256:GOEstsTxKFNRWBOCuyRJSQ3FD0efr8ONZZDO2cYUxOk
Dec 31 23:58:01 web01 sshd[4101]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)
Jan  1 00:00:02 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update
Jan  1 00:00:02 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)
Jan  1 00:00:09 web01 sudo: pam_unix(sudo:session): session closed for user root
Jan  1 00:03:44 web01 sshd[4101]: pam_unix(sshd:session): session closed for user alice
`;

// The intrusion; rsyslog switched to RFC 3339 time stamps for the last lines.
const AUTH_LOG = `Nov 22 02:55:10 web01 sshd[7001]: Invalid user admin from 198.51.100.23 port 40022
Nov 22 02:55:12 web01 sshd[7001]: Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2
Nov 22 02:55:20 web01 sshd[7003]: Failed password for root from 198.51.100.23 port 40030 ssh2
Nov 22 02:55:31 web01 sshd[7003]: message repeated 2 times: [ Failed password for root from 198.51.100.23 port 40030 ssh2]
Nov 22 03:13:05 web01 sshd[7042]: Accepted password for sysupdate from 2001:db8::5 port 51515 ssh2
Nov 22 03:13:05 web01 sshd[7042]: pam_unix(sshd:session): session opened for user sysupdate(uid=0) by (uid=0)
Nov 22 03:13:05 web01 systemd-logind[612]: New session 12 of user sysupdate.
Nov 22 03:14:10 web01 su: (to alice) sysupdate on pts/1
Nov 22 03:14:10 web01 su: pam_unix(su:session): session opened for user alice(uid=1000) by sysupdate(uid=0)
2026-11-22T03:20:00.123456+01:00 web01 sudo:    alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash
2026-11-22T03:25:00.000000+01:00 web01 CRON[7100]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)
`;

/**
 * Writes /var/log/{wtmp,wtmp.1,btmp,lastlog,auth.log,auth.log.1,auth.log.2.gz},
 * /run/utmp and the /var/run → /run symlink.
 */
export async function buildLogins(root: string): Promise<void> {
  await put(root, '/var/log/wtmp.1', encodeUtmp(WTMP_1), {
    mode: 0o664,
    mtime: new Date('2026-11-01T00:00:01Z'),
  });
  await put(root, '/var/log/wtmp', encodeUtmp(WTMP), {
    mode: 0o664,
    mtime: new Date('2026-11-22T02:13:05Z'),
  });
  await put(root, '/var/log/btmp', encodeUtmp(BTMP), {
    mode: 0o660,
    mtime: new Date('2026-11-22T01:55:31Z'),
  });
  await put(root, '/run/utmp', encodeUtmp(UTMP), { mode: 0o664, mtime: new Date('2026-11-22T02:13:05Z') });
  await link(root, '/var/run', '/run');
  await put(
    root,
    '/var/log/lastlog',
    encodeLastlog([
      { uid: 0, seconds: at('2026-11-22T02:13:05Z'), line: 'pts/1', host: '2001:db8::5' },
      { uid: 1000, seconds: at('2026-11-20T09:15:02Z'), line: 'pts/0', host: '203.0.113.10' },
      // An account deleted from passwd still has its last login here.
      { uid: 1002, seconds: at('2026-09-01T10:00:00Z'), line: 'pts/0', host: '192.0.2.77' },
    ]),
    { mode: 0o664, mtime: new Date('2026-11-22T02:13:05Z') },
  );
  await put(root, '/var/log/auth.log.2.gz', gzipSync(AUTH_LOG_2), {
    mode: 0o640,
    mtime: new Date('2025-12-28T06:25:00Z'),
  });
  await put(root, '/var/log/auth.log.1', AUTH_LOG_1, {
    mode: 0o640,
    mtime: new Date('2026-01-01T06:25:00Z'),
  });
  await put(root, '/var/log/auth.log', AUTH_LOG, { mode: 0o640, mtime: new Date('2026-11-22T02:30:00Z') });
}
