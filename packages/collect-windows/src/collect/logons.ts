/**
 * `login_event` records from the Security log (and its archives) and the
 * Remote Desktop logs.
 *
 * | log                                   | event | `event`              |
 * | ------------------------------------- | ----- | -------------------- |
 * | Security                              | 4624  | `login` (success)    |
 * | Security                              | 4625  | `failed_login`       |
 * | Security                              | 4634  | `logout`             |
 * | Security                              | 4647  | `logout` (by user)   |
 * | Security                              | 4648  | `explicit_logon`     |
 * | Security                              | 4672  | `privileged_logon`   |
 * | TerminalServices-RemoteConnectionManager | 1149 | `login` (RDP authentication succeeded) |
 * | TerminalServices-LocalSessionManager  | 21, 23, 24, 25 | `session_open`, `session_close`, `session_disconnect`, `session_reconnect` |
 *
 * Field names follow the events' own (EventData `TargetUserName`,
 * `IpAddress`, …; UserData `EventXML` `Param1..3` for 1149, `User`,
 * `SessionID`, `Address` for the session manager). `-` and empty values
 * are null.
 */
import { isIP } from 'node:net';
import type { ArtifactRecord, LoginEvent } from '@triage/artifact-schema';
import type { EvtxJsonObject, EvtxRecord } from '../evtx/evtx.js';
import type { VolumeFile, WindowsCollectContext, WindowsCollector } from './context.js';
import { channelFiles, eventRecords } from './eventlogs.js';
import { eventNumber, eventObject, eventText } from './values.js';

type Fields = Omit<LoginEvent, 'kind' | 'source' | 'collected_at'>;

/** The Security events read, and what each records. */
const SECURITY_EVENTS: Readonly<Record<number, LoginEvent['event']>> = {
  4624: 'login',
  4625: 'failed_login',
  4634: 'logout',
  4647: 'logout',
  4648: 'explicit_logon',
  4672: 'privileged_logon',
};

const RDP_CONNECTION = 'Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational';
const RDP_SESSION = 'Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational';

const SESSION_EVENTS: Readonly<Record<number, LoginEvent['event']>> = {
  21: 'session_open',
  23: 'session_close',
  24: 'session_disconnect',
  25: 'session_reconnect',
};

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const SID = /^S-1-[0-9]+(-[0-9]+)*$/;

/** An address as written, when it is an IP address (a scope id after `%` allowed); else null. */
export function ipAddressOf(text: string | null): string | null {
  if (text === null) return null;
  const address = text.trim();
  return isIP(address.split('%')[0] ?? '') === 0 ? null : address;
}

/** The fields every event has: time, ids, computer; the rest null. */
function baseFields(record: EvtxRecord, event: LoginEvent['event']): Fields {
  const system = eventObject(record.event, 'System');
  const created = eventText(system, 'TimeCreated');
  return {
    event,
    time:
      created !== null && TIME.test(created)
        ? created
        : TIME.test(record.writtenTime)
          ? record.writtenTime
          : null,
    user: null,
    terminal: null,
    remote_host: null,
    remote_address: null,
    pid: null,
    success: null,
    method: null,
    message: null,
    event_id: record.eventId,
    record_id: eventNumber(system, 'EventRecordID'),
    computer: record.computer,
    logon_type: null,
    domain: null,
    sid: null,
    logon_id: null,
    session_id: null,
    workstation: null,
    subject_user: null,
    subject_domain: null,
    target_server: null,
    process_path: null,
    status: null,
    sub_status: null,
  };
}

const sidOf = (text: string | null) => (text !== null && SID.test(text) ? text : null);

/**
 * The `login_event` fields of a Security event (4624, 4625, 4634, 4647,
 * 4648, 4672), or null for another id.
 */
export function securityLoginFields(record: EvtxRecord): Fields | null {
  const event = record.eventId === null ? undefined : SECURITY_EVENTS[record.eventId];
  if (event === undefined) return null;
  const data = eventObject(record.event, 'EventData');
  const fields = baseFields(record, event);
  const address = eventText(data, 'IpAddress');
  const common: Partial<Fields> = {
    remote_host: address,
    remote_address: ipAddressOf(address),
    pid: eventNumber(data, 'ProcessId'),
    process_path: eventText(data, 'ProcessName'),
    subject_user: eventText(data, 'SubjectUserName'),
    subject_domain: eventText(data, 'SubjectDomainName'),
    workstation: eventText(data, 'WorkstationName'),
    logon_type: eventNumber(data, 'LogonType'),
    method: eventText(data, 'AuthenticationPackageName'),
  };
  const target = {
    user: eventText(data, 'TargetUserName'),
    domain: eventText(data, 'TargetDomainName'),
    sid: sidOf(eventText(data, 'TargetUserSid')),
  };
  switch (record.eventId) {
    case 4624:
      return { ...fields, ...common, ...target, success: true, logon_id: eventText(data, 'TargetLogonId') };
    case 4625:
      return {
        ...fields,
        ...common,
        ...target,
        success: false,
        status: eventText(data, 'Status'),
        sub_status: eventText(data, 'SubStatus'),
      };
    case 4634:
    case 4647:
      return { ...fields, ...common, ...target, logon_id: eventText(data, 'TargetLogonId') };
    case 4648:
      return {
        ...fields,
        ...common,
        ...target,
        logon_id: eventText(data, 'SubjectLogonId'),
        target_server: eventText(data, 'TargetServerName'),
      };
    default: {
      // 4672: the account given special privileges is the subject.
      const privileges = eventText(data, 'PrivilegeList')
        ?.split(/\s+/)
        .filter((p) => p !== '');
      return {
        ...fields,
        user: eventText(data, 'SubjectUserName'),
        domain: eventText(data, 'SubjectDomainName'),
        sid: sidOf(eventText(data, 'SubjectUserSid')),
        logon_id: eventText(data, 'SubjectLogonId'),
        success: true,
        message:
          privileges === undefined || privileges.length === 0 ? null : `privileges: ${privileges.join(', ')}`,
      };
    }
  }
}

/** `DOMAIN\user` split; a name without a backslash has no domain. */
function splitAccount(text: string | null): { user: string | null; domain: string | null } {
  if (text === null) return { user: null, domain: null };
  const cut = text.indexOf('\\');
  if (cut < 0) return { user: text, domain: null };
  const domain = text.slice(0, cut);
  const user = text.slice(cut + 1);
  return { user: user === '' ? null : user, domain: domain === '' ? null : domain };
}

/** The `login_event` fields of a Remote Desktop event (1149; 21, 23, 24, 25), or null for another id. */
export function remoteDesktopLoginFields(record: EvtxRecord): Fields | null {
  const xml: EvtxJsonObject | undefined = eventObject(record.event, 'UserData', 'EventXML');
  if (record.eventId === 1149) {
    const address = eventText(xml, 'Param3');
    return {
      ...baseFields(record, 'login'),
      user: eventText(xml, 'Param1'),
      domain: eventText(xml, 'Param2'),
      remote_host: address,
      remote_address: ipAddressOf(address),
      success: true,
    };
  }
  const event = record.eventId === null ? undefined : SESSION_EVENTS[record.eventId];
  if (event === undefined) return null;
  const address = eventText(xml, 'Address');
  const local = address?.toUpperCase() === 'LOCAL';
  return {
    ...baseFields(record, event),
    ...splitAccount(eventText(xml, 'User')),
    session_id: eventNumber(xml, 'SessionID'),
    remote_host: local ? null : address,
    remote_address: local ? null : ipAddressOf(address),
    success: event === 'session_open' || event === 'session_reconnect' ? true : null,
  };
}

async function* fromLogs(
  ctx: WindowsCollectContext,
  files: readonly VolumeFile[],
  eventIds: readonly number[],
  fieldsOf: (record: EvtxRecord) => Fields | null,
): AsyncGenerator<ArtifactRecord> {
  for (const file of files) {
    try {
      for await (const record of eventRecords(ctx, file, eventIds)) {
        const fields = fieldsOf(record);
        if (fields !== null) yield ctx.record('login_event', file.path, fields);
      }
    } catch (error) {
      ctx.error(file.path, error);
    }
  }
}

async function* collectLogons(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const security = await channelFiles(ctx, 'Security');
  if (security.length === 0) ctx.log('no Security event log');
  yield* fromLogs(ctx, security, Object.keys(SECURITY_EVENTS).map(Number), securityLoginFields);
  yield* fromLogs(ctx, await channelFiles(ctx, RDP_CONNECTION), [1149], remoteDesktopLoginFields);
  yield* fromLogs(
    ctx,
    await channelFiles(ctx, RDP_SESSION),
    Object.keys(SESSION_EVENTS).map(Number),
    remoteDesktopLoginFields,
  );
}

/** Logons, logoffs, failures, explicit-credential and privileged logons, and Remote Desktop sessions. */
export const logonsCollector: WindowsCollector = {
  name: 'logons',
  kinds: ['login_event'],
  collect: collectLogons,
};
