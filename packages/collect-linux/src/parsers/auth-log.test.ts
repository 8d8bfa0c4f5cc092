import { describe, expect, it } from 'vitest';
import { normaliseTerminal, parseAuthMessage, parseJournalEntry } from './auth-log.js';

const none = { user: null, terminal: null, remoteHost: null, port: null, success: null, method: null };

describe('parseAuthMessage: sshd', () => {
  it('reads accepted logins with method, address and port', () => {
    expect(
      parseAuthMessage(
        'sshd',
        'Accepted publickey for alice from 203.0.113.10 port 50122 ssh2: ED25519 SHA256:GOEstsTxKFNRWBOCuyRJSQ3FD0efr8ONZZDO2cYUxOk',
      ),
    ).toEqual({
      ...none,
      event: 'login',
      user: 'alice',
      remoteHost: '203.0.113.10',
      port: 50122,
      success: true,
      method: 'publickey',
    });
    expect(
      parseAuthMessage('sshd-session', 'Accepted password for root from 2001:db8::5 port 22 ssh2'),
    ).toMatchObject({
      event: 'login',
      user: 'root',
      remoteHost: '2001:db8::5',
      method: 'password',
    });
  });

  it('reads failed passwords, for valid and invalid users', () => {
    expect(parseAuthMessage('sshd', 'Failed password for root from 198.51.100.23 port 40030 ssh2')).toEqual({
      ...none,
      event: 'failed_login',
      user: 'root',
      remoteHost: '198.51.100.23',
      port: 40030,
      success: false,
      method: 'password',
    });
    expect(
      parseAuthMessage('sshd', 'Failed password for invalid user admin from 198.51.100.23 port 40022 ssh2'),
    ).toMatchObject({ event: 'failed_login', user: 'admin', success: false, method: 'password' });
    expect(
      parseAuthMessage('sshd', 'Failed publickey for git from 198.51.100.23 port 1 ssh2: RSA SHA256:abc'),
    ).toMatchObject({ user: 'git', method: 'publickey' });
  });

  it('keeps a user name with spaces or a typed password as logged', () => {
    expect(
      parseAuthMessage(
        'sshd',
        'Failed password for invalid user hunter2 from me from 198.51.100.23 port 1 ssh2',
      ),
    ).toMatchObject({ user: 'hunter2 from me', remoteHost: '198.51.100.23' });
    expect(parseAuthMessage('sshd', 'Invalid user  from 198.51.100.23 port 22')).toMatchObject({
      user: null,
    });
  });

  it('reads invalid user lines, with and without port', () => {
    expect(parseAuthMessage('sshd', 'Invalid user oracle from 198.51.100.23 port 40022')).toEqual({
      ...none,
      event: 'failed_login',
      user: 'oracle',
      remoteHost: '198.51.100.23',
      port: 40022,
      success: false,
    });
    expect(parseAuthMessage('sshd', 'Invalid user oracle from 198.51.100.23')).toMatchObject({ port: null });
  });

  it('unwraps rsyslog repeated-message lines', () => {
    expect(
      parseAuthMessage(
        'sshd',
        'message repeated 2 times: [ Failed password for root from 198.51.100.23 port 40030 ssh2]',
      ),
    ).toMatchObject({ event: 'failed_login', user: 'root' });
  });

  it('ignores sshd lines it does not model, and these messages from other programs', () => {
    expect(parseAuthMessage('sshd', 'Connection closed by 198.51.100.23 port 40030 [preauth]')).toBeNull();
    expect(parseAuthMessage('sshd', 'Server listening on 0.0.0.0 port 22.')).toBeNull();
    expect(parseAuthMessage('nginx', 'Accepted password for root from 198.51.100.23 port 1 ssh2')).toBeNull();
  });
});

describe('parseAuthMessage: PAM, sudo, su, login', () => {
  it('reads PAM session lines of any service, old and new formats', () => {
    expect(
      parseAuthMessage('sshd', 'pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)'),
    ).toEqual({ ...none, event: 'session_open', user: 'alice' });
    expect(parseAuthMessage('CRON', 'pam_unix(cron:session): session closed for user root')).toEqual({
      ...none,
      event: 'session_close',
      user: 'root',
    });
    expect(
      parseAuthMessage('su', 'pam_unix(su-l:session): session opened for user root by alice(uid=1000)'),
    ).toEqual({
      ...none,
      event: 'session_open',
      user: 'root',
    });
  });

  it('reads sudo commands and sudo failures', () => {
    expect(
      parseAuthMessage(
        'sudo',
        '   alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update',
      ),
    ).toEqual({ ...none, event: 'sudo', user: 'alice', terminal: 'pts/0', success: true });
    expect(
      parseAuthMessage(
        'sudo',
        'alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash',
      ),
    ).toMatchObject({ event: 'sudo', user: 'alice', terminal: 'pts/1', success: false });
    expect(
      parseAuthMessage(
        'sudo',
        'mallory : user NOT in sudoers ; TTY=unknown ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c a ; b',
      ),
    ).toMatchObject({ user: 'mallory', terminal: null, success: false });
    expect(
      parseAuthMessage('sudo', 'pam_unix(sudo:auth): authentication failure; logname=alice uid=1000'),
    ).toBeNull();
    expect(parseAuthMessage('sudo', 'alice : unable to resolve host web01')).toBeNull();
  });

  it('reads su in util-linux and shadow forms', () => {
    expect(parseAuthMessage('su', '(to root) alice on pts/0')).toEqual({
      ...none,
      event: 'su',
      user: 'alice',
      terminal: 'pts/0',
      success: true,
    });
    expect(parseAuthMessage('su', 'FAILED SU (to root) alice on pts/0')).toMatchObject({ success: false });
    expect(parseAuthMessage('su', 'Successful su for root by alice')).toMatchObject({
      user: 'alice',
      success: true,
    });
    expect(parseAuthMessage('su', 'FAILED su for root by alice')).toMatchObject({
      user: 'alice',
      success: false,
    });
    expect(parseAuthMessage('su', 'something else')).toBeNull();
  });

  it('reads login(1) failures and root logins', () => {
    expect(
      parseAuthMessage('login', "FAILED LOGIN (1) on '/dev/tty1' FOR 'UNKNOWN', Authentication failure"),
    ).toEqual({ ...none, event: 'failed_login', user: 'UNKNOWN', terminal: 'tty1', success: false });
    expect(parseAuthMessage('login', "ROOT LOGIN  on '/dev/tty1'")).toMatchObject({
      event: 'login',
      user: 'root',
      terminal: 'tty1',
    });
  });

  it('normalises terminals', () => {
    expect(normaliseTerminal('/dev/pts/3')).toBe('pts/3');
    expect(normaliseTerminal('unknown')).toBeNull();
    expect(normaliseTerminal(undefined)).toBeNull();
  });
});

describe('parseJournalEntry', () => {
  it('reads the fields of journalctl -o json', () => {
    expect(
      parseJournalEntry({
        __REALTIME_TIMESTAMP: '1795313585123456',
        _HOSTNAME: 'web01',
        SYSLOG_IDENTIFIER: 'sshd',
        _COMM: 'sshd',
        _PID: '7042',
        MESSAGE: 'Accepted password for sysupdate from 2001:db8::5 port 51515 ssh2',
      }),
    ).toEqual({
      epochMs: 1795313585123,
      host: 'web01',
      program: 'sshd',
      pid: 7042,
      message: 'Accepted password for sysupdate from 2001:db8::5 port 51515 ssh2',
    });
  });

  it('decodes byte-array messages and falls back to _COMM', () => {
    expect(
      parseJournalEntry({ _COMM: 'su', MESSAGE: [40, 116, 111, 32, 114, 111, 111, 116, 41] }),
    ).toMatchObject({
      program: 'su',
      message: '(to root)',
      epochMs: null,
      pid: null,
    });
  });

  it('returns null without a message or program, or for non-objects', () => {
    expect(parseJournalEntry({ MESSAGE: 'x' })).toBeNull();
    expect(parseJournalEntry({ _COMM: 'x', MESSAGE: null })).toBeNull();
    expect(parseJournalEntry([1])).toBeNull();
    expect(parseJournalEntry('x')).toBeNull();
  });
});
