import { assertRecord, type LoginEvent } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import {
  buildChunk,
  buildFile,
  el,
  filetime,
  opt,
  sub,
  template,
  v,
  type XRecord,
} from '../testing/evtx-builder.js';
import { expectedToolOutput } from '../testing/sample-files.js';
import { runCollector, windowsRoot } from '../testing/windows-root.js';
import { ipAddressOf, logonsCollector } from './logons.js';

const LOGS = 'Windows/System32/winevt/Logs';
const RCM = `${LOGS}/Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx`;
const LSM = `${LOGS}/Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx`;
const READ = [4624, 4625, 4634, 4647, 4648, 4672];

async function logons(files: Parameters<typeof windowsRoot>[0]) {
  const run = await runCollector(logonsCollector, await windowsRoot(files));
  for (const record of run.records) assertRecord(record);
  return { ...run, events: run.records as LoginEvent[] };
}

describe('logons: Security', () => {
  it.each([
    'evtx/Security_omer_security.evtx.gz',
    'evtx/Security_omer_short_selected.evtx',
    'evtx/Security_e2m_4625_bruteforce.evtx',
    'evtx/Security_e2m_runascs_4648_4624.evtx',
    'evtx/Security_omer_new_user.evtx',
  ])('%s: one record per logon event python-evtx counted', async (sample) => {
    const { events, errors } = await logons({ [`${LOGS}/Security.evtx`]: { sample } });
    expect(errors).toEqual([]);
    const ids = (expectedToolOutput(sample)?.ids ?? {}) as Record<string, number>;
    const expected: Record<number, number> = {};
    for (const [key, count] of Object.entries(ids)) {
      const id = Number(key.split(':')[1]);
      if (READ.includes(id)) expected[id] = count;
    }
    const actual: Record<number, number> = {};
    for (const e of events) actual[e.event_id as number] = (actual[e.event_id as number] ?? 0) + 1;
    expect(actual).toEqual(expected);
  });

  it('reads a logon, a failure and explicit credentials with their fields (e2m OpenSSH brute force)', async () => {
    const { events } = await logons({
      [`${LOGS}/Security.evtx`]: { sample: 'evtx/Security_e2m_4625_bruteforce.evtx' },
    });
    const failed = events.find((e) => e.event_id === 4625);
    expect(failed).toMatchObject({
      event: 'failed_login',
      success: false,
      user: 'admmig@offsec.lan',
      domain: null,
      sid: 'S-1-0-0',
      logon_type: 8,
      status: '0xc000006d',
      sub_status: '0xc000006a',
      method: 'Negotiate',
      workstation: 'FS01',
      pid: 0x10ec,
      process_path: 'C:\\Program Files\\OpenSSH-Win64\\sshd.exe',
      subject_user: 'FS01$',
      subject_domain: 'OFFSEC',
      computer: 'fs01.offsec.lan',
      remote_address: null,
      source: 'C:\\Windows\\System32\\winevt\\Logs\\Security.evtx',
    });
    const logon = events.find((e) => e.event_id === 4624);
    expect(logon).toMatchObject({
      event: 'login',
      success: true,
      time: '2021-05-21T20:43:07.1537458Z',
      user: 'sshd_4332',
      domain: 'VIRTUAL USERS',
      logon_type: 5,
      logon_id: '0x47a203c',
      record_id: 1865215,
    });
    expect(events.find((e) => e.event_id === 4648)).toMatchObject({
      event: 'explicit_logon',
      success: null,
      target_server: 'localhost',
      user: 'sshd_4332',
      logon_id: '0x3e7',
    });
  });

  it('a remote failure names the address (omer short selected: RDP brute force)', async () => {
    const { events } = await logons({
      [`${LOGS}/Security.evtx`]: { sample: 'evtx/Security_omer_short_selected.evtx' },
    });
    expect(events).toEqual([
      expect.objectContaining({
        event: 'failed_login',
        user: 'Administrator',
        domain: 'TEMPORAL',
        logon_type: 10,
        remote_host: '23.94.153.202',
        remote_address: '23.94.153.202',
        time: '2016-06-29T15:24:36.6860000Z',
      }),
    ]);
  });

  it('reads archived logs beside the current one, any case of the name, and goes on past a damaged file', async () => {
    const { events, errors } = await logons({
      [`${LOGS}/security.EVTX`]: { sample: 'evtx/Security_omer_short_selected.evtx' },
      [`${LOGS}/Archive-Security-2024-02-05-06-17-40-113.evtx`]: {
        sample: 'evtx/Security_e2m_runascs_4648_4624.evtx',
      },
      [`${LOGS}/Archive-Security-2024-02-06-00-00-00-000.evtx`]: 'not an event log',
      [`${LOGS}/Archive-System-2024-02-05-06-17-40-113.evtx`]: {
        sample: 'evtx/Security_e2m_4625_bruteforce.evtx',
      },
    });
    expect(events.map((e) => [e.source.split('\\').at(-1), e.event_id])).toEqual([
      ['security.EVTX', 4625],
      ['Archive-Security-2024-02-05-06-17-40-113.evtx', 4648],
      ['Archive-Security-2024-02-05-06-17-40-113.evtx', 4624],
    ]);
    expect(errors).toEqual([
      expect.objectContaining({
        collector: 'logons',
        code: 'DATA_INVALID',
        path: 'C:\\Windows\\System32\\winevt\\Logs\\Archive-Security-2024-02-06-00-00-00-000.evtx',
      }),
    ]);
  });

  it('logs a missing Security log and yields nothing', async () => {
    const { events, log, errors } = await logons({ 'Windows/System32/config/x': 'x' });
    expect(events).toEqual([]);
    expect(errors).toEqual([]);
    expect(log).toContain('logons: no Security event log');
  });
});

describe('logons: Remote Desktop', () => {
  it('1149 authentications with user, domain and source address (omer RemoteConnectionManager)', async () => {
    const { events } = await logons({ [RCM]: { sample: 'evtx/RemoteConnectionManager_omer.evtx.gz' } });
    expect(events).toHaveLength(5);
    for (const e of events) {
      expect(e).toMatchObject({ event: 'login', event_id: 1149, success: true, computer: 'DESKTOP-1N4R894' });
    }
    expect(events.map((e) => [e.user, e.domain, e.remote_address])).toEqual([
      ['mpowers', 'MAGNETIC-DESKTO', '174.127.93.2'],
      ['mpowers', 'MAGNETIC-DESKTO', '174.127.93.2'],
      ['administrator', null, '31.14.75.59'],
      ['A', null, '103.11.244.223'],
      ['Administrator', 'DESKTOP-1N4R894', '31.14.75.59'],
    ]);
    expect(events[0]?.time).toBe('2018-08-07T18:37:12.9640911Z');
  });

  // No sample has LocalSessionManager events: these are built as Windows writes them (UserData/EventXML).
  const lsmTemplate = template(
    el(
      'Event',
      { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      el(
        'System',
        {},
        el('Provider', { Name: 'Microsoft-Windows-TerminalServices-LocalSessionManager' }),
        el('EventID', {}, sub(0, 0x06)),
        el('TimeCreated', { SystemTime: sub(1, 0x11) }),
        el('EventRecordID', {}, sub(2, 0x0a)),
        el('Channel', {}, 'Microsoft-Windows-TerminalServices-LocalSessionManager/Operational'),
        el('Computer', {}, 'WS-17'),
        el('Security', { UserID: opt(3, 0x13) }),
      ),
      el(
        'UserData',
        {},
        el(
          'EventXML',
          { xmlns: 'Event_NS' },
          el('User', {}, sub(4, 0x01)),
          el('SessionID', {}, sub(5, 0x08)),
          el('Address', {}, sub(6, 0x01)),
        ),
      ),
    ),
  );
  const lsm = (id: number, eventId: number, user: string, session: number, address: string): XRecord => ({
    id,
    body: (w) =>
      w
        .fragmentHeader()
        .templateInstance(lsmTemplate, [
          v.u16(eventId),
          v.filetime(filetime(`2024-02-05T06:0${id}:00Z`)),
          v.u64(100 + id),
          v.sid('S-1-5-18'),
          v.string(user),
          v.u32(session),
          v.string(address),
        ])
        .eof(),
  });

  it('LocalSessionManager 21, 23, 24, 25 as session events; 22 (shell start) is not read', async () => {
    const file = buildFile([
      buildChunk([
        lsm(1, 21, 'WS-17\\alice', 2, '198.51.100.23'),
        lsm(2, 22, 'WS-17\\alice', 2, '198.51.100.23'),
        lsm(3, 24, 'WS-17\\alice', 2, '198.51.100.23'),
        lsm(4, 25, 'WS-17\\alice', 2, '198.51.100.23'),
        lsm(5, 23, 'alice', 2, 'LOCAL'),
      ]),
    ]);
    const { events, errors } = await logons({ [LSM]: file });
    expect(errors).toEqual([]);
    expect(
      events.map((e) => [e.event_id, e.event, e.user, e.domain, e.session_id, e.remote_address, e.success]),
    ).toEqual([
      [21, 'session_open', 'alice', 'WS-17', 2, '198.51.100.23', true],
      [24, 'session_disconnect', 'alice', 'WS-17', 2, '198.51.100.23', null],
      [25, 'session_reconnect', 'alice', 'WS-17', 2, '198.51.100.23', true],
      [23, 'session_close', 'alice', null, 2, null, null],
    ]);
    expect(events[0]).toMatchObject({
      record_id: 101,
      computer: 'WS-17',
      time: '2024-02-05T06:01:00.0000000Z',
    });
  });

  it('takes only IP addresses as remote addresses', () => {
    expect(ipAddressOf('::1')).toBe('::1');
    expect(ipAddressOf('fe80::1%12')).toBe('fe80::1%12');
    expect(ipAddressOf('LOCAL')).toBeNull();
    expect(ipAddressOf('-')).toBeNull();
    expect(ipAddressOf(null)).toBeNull();
  });
});
