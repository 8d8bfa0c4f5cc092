/**
 * What an authentication log message says: sshd logins and failures, PAM
 * sessions, sudo, su and login(1). The same function reads syslog text lines
 * and journal entries. Pure functions.
 */
import type { LoginEventType } from '@triage/artifact-schema';
import { decodeUtf8 } from './chunks.js';

/** The login-related facts of one message. */
export interface AuthEvent {
  readonly event: LoginEventType;
  /** For sudo and su, the user who ran it (the target is in the message). */
  readonly user: string | null;
  /** e.g. `pts/0`, without `/dev/`. */
  readonly terminal: string | null;
  /** The address or host name as logged. */
  readonly remoteHost: string | null;
  /** The remote port, when logged. */
  readonly port: number | null;
  readonly success: boolean | null;
  /** sshd's authentication method, e.g. `password`, `publickey`. */
  readonly method: string | null;
}

const SSHD_PROGRAM = /^sshd(?:-session|-auth)?$/;
const REPEATED = /^message repeated \d+ times: \[ ?(.*)\]$/;
const ACCEPTED = /^Accepted (\S+) for (.*) from (\S+) port (\d+)(?: ssh2)?(?:: .*)?$/;
const FAILED = /^Failed (\S+) for (invalid user )?(.*) from (\S+) port (\d+)(?: ssh2)?(?:: .*)?$/;
const INVALID_USER = /^Invalid user (.*) from (\S+)(?: port (\d+))?$/;
const PAM_SESSION =
  /^pam_unix\([^:)]+:session\): session (opened|closed) for user (.+?)(?:\(uid=\d+\))?(?: by .*)?$/;
const SU_TO = /^(FAILED SU )?\(to (\S+)\) (\S+) on (\S+)$/;
const SU_OLD = /^(Successful|FAILED) su for (\S+) by (\S+)$/;
const LOGIN_FAILED = /^FAILED LOGIN \(\d+\) on '([^']*)'(?: from '([^']*)')? FOR '([^']*)', .*$/;
const ROOT_LOGIN = /^ROOT LOGIN {1,2}on '([^']*)'(?: from '([^']*)')?$/;

function orNull(text: string | undefined): string | null {
  return text === undefined || text === '' ? null : text;
}

function port(text: string | undefined): number | null {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/** `/dev/pts/0` → `pts/0`; `unknown`, `none`, `ssh`, `???` → null. */
export function normaliseTerminal(tty: string | undefined): string | null {
  if (tty === undefined) return null;
  const t = tty.startsWith('/dev/') ? tty.slice(5) : tty;
  return t === '' || t === 'unknown' || t === 'none' || t === '???' || t === 'ssh' ? null : t;
}

function base(event: LoginEventType): AuthEvent {
  return { event, user: null, terminal: null, remoteHost: null, port: null, success: null, method: null };
}

function sudo(message: string): AuthEvent | null {
  // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"
  // "alice : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash"
  const m = /^\s*(\S+) : (.*)$/.exec(message);
  if (!m) return null;
  const fields = (m[2] as string).split(' ; ');
  const values = new Map<string, string>();
  let problem = false;
  for (const [index, field] of fields.entries()) {
    if (field.startsWith('COMMAND=')) {
      values.set('COMMAND', fields.slice(index).join(' ; ').slice('COMMAND='.length));
      break;
    }
    const eq = field.indexOf('=');
    if (eq > 0 && /^[A-Z]+$/.test(field.slice(0, eq))) values.set(field.slice(0, eq), field.slice(eq + 1));
    else if (index === 0) problem = true;
  }
  if (!values.has('COMMAND') && !values.has('TTY')) return null;
  return {
    ...base('sudo'),
    user: m[1] as string,
    terminal: normaliseTerminal(values.get('TTY')),
    success: !problem,
  };
}

/**
 * Classifies one log message.
 *
 * - sshd `Accepted <method> for <user> from <addr> port <n>` → `login`;
 * - sshd `Failed <method> for [invalid user ]<user> from …` → `failed_login`;
 * - sshd `Invalid user <user> from <addr>` → `failed_login` with no method
 *   (sshd usually logs a `Failed …` line for the same attempt as well);
 * - `pam_unix(<service>:session): session opened|closed for user <user>` →
 *   `session_open` / `session_close`, from any program;
 * - sudo `<user> : [<problem> ; ]TTY=… ; … COMMAND=…` → `sudo`, success false
 *   when sudo logged a problem (wrong password, not in sudoers);
 * - su `(to <target>) <user> on <tty>`, `FAILED SU (to …) …`, and the older
 *   `Successful|FAILED su for <target> by <user>` → `su`;
 * - login `FAILED LOGIN (n) on '<tty>' [from '<host>'] FOR '<user>'` →
 *   `failed_login`, `ROOT LOGIN on '<tty>'` → `login`;
 * - rsyslog's `message repeated N times: [ … ]` is read as the message inside.
 *
 * User names are kept exactly as logged, even when an attacker typed
 * something else (a password) into the user name prompt.
 *
 * @param program - the syslog tag or journal identifier, e.g. `sshd`
 * @param message - the text after `program[pid]: `
 * @returns the event, or null for any other message
 */
export function parseAuthMessage(program: string, message: string): AuthEvent | null {
  const repeated = REPEATED.exec(message);
  if (repeated) return parseAuthMessage(program, repeated[1] as string);
  if (SSHD_PROGRAM.test(program)) {
    const accepted = ACCEPTED.exec(message);
    if (accepted) {
      return {
        ...base('login'),
        user: orNull(accepted[2]),
        remoteHost: accepted[3] as string,
        port: port(accepted[4]),
        success: true,
        method: accepted[1] as string,
      };
    }
    const failed = FAILED.exec(message);
    if (failed) {
      return {
        ...base('failed_login'),
        user: orNull(failed[3]),
        remoteHost: failed[4] as string,
        port: port(failed[5]),
        success: false,
        method: failed[1] as string,
      };
    }
    const invalid = INVALID_USER.exec(message);
    if (invalid) {
      return {
        ...base('failed_login'),
        user: orNull(invalid[1]),
        remoteHost: invalid[2] as string,
        port: port(invalid[3]),
        success: false,
      };
    }
  }
  const session = PAM_SESSION.exec(message);
  if (session) {
    return { ...base(session[1] === 'opened' ? 'session_open' : 'session_close'), user: orNull(session[2]) };
  }
  if (program === 'sudo') return sudo(message);
  if (program === 'su') {
    const to = SU_TO.exec(message);
    if (to)
      return { ...base('su'), user: orNull(to[3]), terminal: normaliseTerminal(to[4]), success: !to[1] };
    const old = SU_OLD.exec(message);
    if (old) return { ...base('su'), user: orNull(old[3]), success: old[1] === 'Successful' };
    return null;
  }
  if (program === 'login') {
    const failed = LOGIN_FAILED.exec(message);
    if (failed) {
      return {
        ...base('failed_login'),
        user: orNull(failed[3]),
        terminal: normaliseTerminal(failed[1]),
        remoteHost: orNull(failed[2]),
        success: false,
      };
    }
    const root = ROOT_LOGIN.exec(message);
    if (root) {
      return {
        ...base('login'),
        user: 'root',
        terminal: normaliseTerminal(root[1]),
        remoteHost: orNull(root[2]),
        success: true,
      };
    }
  }
  return null;
}

/** The fields of a journal entry that {@link parseAuthMessage} and a record need. */
export interface JournalMessage {
  /** `__REALTIME_TIMESTAMP`, in ms since the epoch. */
  readonly epochMs: number | null;
  readonly host: string | null;
  /** `SYSLOG_IDENTIFIER`, else `_COMM`. */
  readonly program: string;
  readonly pid: number | null;
  readonly message: string;
}

function field(entry: Record<string, unknown>, name: string): string | null {
  const value = entry[name];
  if (typeof value === 'string') return value;
  // journalctl -o json writes non-UTF-8 values as arrays of byte values.
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
    return decodeUtf8(Uint8Array.from(value as number[]));
  }
  return null;
}

/**
 * Reads one entry of `journalctl -o json` output.
 *
 * @param entry - one parsed JSON line
 * @returns the message and its metadata, or null when it has no message or program
 */
export function parseJournalEntry(entry: unknown): JournalMessage | null {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return null;
  const e = entry as Record<string, unknown>;
  const message = field(e, 'MESSAGE');
  const program = field(e, 'SYSLOG_IDENTIFIER') ?? field(e, '_COMM');
  if (message === null || program === null) return null;
  const micros = Number(field(e, '__REALTIME_TIMESTAMP'));
  const pid = Number(field(e, '_PID') ?? field(e, 'SYSLOG_PID'));
  return {
    epochMs: Number.isFinite(micros) && micros > 0 ? Math.floor(micros / 1000) : null,
    host: field(e, '_HOSTNAME'),
    program,
    pid: Number.isSafeInteger(pid) && pid > 0 ? pid : null,
    message,
  };
}
