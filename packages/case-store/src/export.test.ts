import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { csvField } from './export.js';
import { type CaseStore, exportTimeline, TIMELINE_CSV_HEADER, type TimelineFormat } from './index.js';
import { type StandInCollection, storeWith as storeWithStandIns } from './testing/stand-in.js';

const at = '2026-11-23T16:00:00.000Z';

type Fake = StandInCollection;
const storeWith = (...collections: Fake[]): Promise<CaseStore> => storeWithStandIns({}, ...collections);

const base = { source: '/test', collected_at: at } as const;

/** One record of each timeline kind (inserted out of time order), plus untimed ones. */
function records(): ArtifactRecord[] {
  return [
    {
      ...base,
      kind: 'shell_history_entry',
      user: 'alice',
      shell: 'bash',
      path: '/home/alice/.bash_history',
      line: 1,
      command: 'echo "a, b"\nid',
      time: '2026-11-22T02:20:00.000Z',
    },
    {
      ...base,
      kind: 'login_event',
      event: 'login',
      time: '2026-11-22T02:13:05.500Z',
      user: 'sysupdate',
      terminal: 'pts/1',
      remote_host: null,
      remote_address: '2001:db8::5',
      pid: 4000,
      success: true,
      method: 'password',
      message: null,
    },
    {
      ...base,
      kind: 'process',
      pid: 4242,
      ppid: 1,
      name: 'nc',
      state: 'S',
      uid: 0,
      user: 'root',
      exe: '/usr/bin/nc.openbsd',
      exe_deleted: false,
      cmdline: ['nc', '-l', '4444'],
      cwd: '/',
      // No fraction: ordered as the instant 02:13:05.000, before the login at 02:13:05.500 (as text it would sort after).
      start_time: '2026-11-22T02:13:05Z',
    },
    {
      ...base,
      kind: 'startup_item',
      mechanism: 'systemd_unit',
      name: 'dbus-update.service',
      path: '/etc/systemd/system/dbus-update.service',
      user: null,
      command: '/var/tmp/.x/dbus-update --daemon',
      executable: '/var/tmp/.x/dbus-update',
      schedule: null,
      enabled: true,
      line: 8,
      file_mtime: '2026-11-22T02:15:47.000Z',
    },
    {
      ...base,
      kind: 'file_metadata',
      path: '/var/tmp/.x/dbus-update',
      exists: true,
      size: 104,
      mode: '100755',
      uid: 0,
      gid: 0,
      owner: 'root',
      mtime: '2026-11-22T02:15:47.000Z',
      atime: null,
      ctime: null,
      btime: null,
      sha256: 'a'.repeat(64),
      referenced_by: ['startup_item:/etc/systemd/system/dbus-update.service:8'],
      error: null,
    },
    {
      ...base,
      kind: 'ssh_authorized_key',
      user: 'root',
      path: '/root/.ssh/authorized_keys',
      line: 3,
      key_type: 'ssh-ed25519',
      fingerprint: 'SHA256:rr2t',
      comment: 'x@kali',
      options: 'from="198.51.100.0/24",command="/bin/sh"',
      file_mtime: '2026-11-22T02:16:02.000Z',
    },
    {
      ...base,
      kind: 'installed_package',
      manager: 'dpkg',
      name: 'netcat-openbsd',
      version: '1.218-4ubuntu1',
      architecture: 'amd64',
      status: 'install ok installed',
      install_time: '2026-11-22T02:14:30.000Z',
    },
    {
      ...base,
      kind: 'login_event',
      event: 'boot',
      time: '2026-11-20T08:00:03.000Z',
      user: null,
      terminal: null,
      remote_host: null,
      remote_address: null,
      pid: null,
      success: null,
      method: null,
      message: 'kernel 5.15.0-91-generic',
    },
    // Timeline kinds without a time: skipped and counted.
    {
      ...base,
      kind: 'shell_history_entry',
      user: 'root',
      shell: 'bash',
      path: '/root/.bash_history',
      line: 1,
      command: 'apt update',
      time: null,
    },
    {
      ...base,
      kind: 'process',
      pid: 2,
      ppid: 0,
      name: 'kthreadd',
      state: 'S',
      uid: 0,
      user: 'root',
      exe: null,
      exe_deleted: false,
      cmdline: [],
      cwd: null,
      start_time: null,
    },
    // Kinds without a time field: not on the timeline, not counted.
    { ...base, kind: 'group', name: 'sudo', gid: 27, members: ['alice'] },
  ];
}

async function collect(store: CaseStore, format: TimelineFormat) {
  const chunks: string[] = [];
  const result = await exportTimeline(store, format, async (chunk) => {
    await sleep(0);
    chunks.push(chunk);
  });
  return { result, text: chunks.join(''), chunks };
}

/** Parses RFC 4180 CSV (CRLF records, quoted fields) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      expect(c, `bare ${JSON.stringify(c)} outside quotes at ${i}`).not.toMatch(/["\r\n]/);
      field += c;
      i++;
    }
  }
  expect(field, 'the last record ends with CRLF').toBe('');
  expect(row).toEqual([]);
  return rows;
}

const expectedOrder = [
  ['2026-11-20T08:00:03.000Z', 'login_event', 'Boot'],
  ['2026-11-22T02:13:05Z', 'process', 'Process Start'],
  ['2026-11-22T02:13:05.500Z', 'login_event', 'Login'],
  ['2026-11-22T02:14:30.000Z', 'installed_package', 'Package Installed'],
  ['2026-11-22T02:15:47.000Z', 'startup_item', 'File Modified'],
  ['2026-11-22T02:15:47.000Z', 'file_metadata', 'File Modified'],
  ['2026-11-22T02:16:02.000Z', 'ssh_authorized_key', 'File Modified'],
  ['2026-11-22T02:20:00.000Z', 'shell_history_entry', 'Command Run'],
];

describe('exportTimeline', () => {
  it('jsonl: one valid JSON object per line in Timesketch fields, ordered by time', async () => {
    const store = await storeWith({ collection_id: 'c-1', records: records() });
    try {
      const { result, text } = await collect(store, 'jsonl');
      expect(result).toEqual({ rows: 8, skipped: 2, skippedByKind: { shell_history_entry: 1, process: 1 } });
      expect(text.endsWith('\n')).toBe(true);
      const lines = text.slice(0, -1).split('\n');
      expect(lines).toHaveLength(8);
      const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rows.map((r) => [r.datetime, r.kind, r.timestamp_desc])).toEqual(expectedOrder);
      const ids = store.db.prepare('SELECT id, kind, time FROM artifacts').all() as {
        id: number;
        kind: string;
        time: string | null;
      }[];
      for (const r of rows) {
        expect(ids).toContainEqual({ id: r.artifact_id, kind: r.kind, time: r.datetime });
        expect(r).toMatchObject({ host: 'ws-17', case_id: 'IR-1', collection_id: 'c-1' });
        expect(typeof r.message).toBe('string');
        expect(r).not.toHaveProperty('record_kind');
      }
      const history = rows.find((r) => r.kind === 'shell_history_entry');
      expect(history).toEqual({
        message: 'alice (bash): echo "a, b"\nid',
        datetime: '2026-11-22T02:20:00.000Z',
        timestamp_desc: 'Command Run',
        host: 'ws-17',
        kind: 'shell_history_entry',
        artifact_id: expect.any(Number),
        case_id: 'IR-1',
        collection_id: 'c-1',
        record_source: '/test',
        record_collected_at: at,
        record_user: 'alice',
        record_shell: 'bash',
        record_path: '/home/alice/.bash_history',
        record_line: 1,
        record_command: 'echo "a, b"\nid',
        record_time: '2026-11-22T02:20:00.000Z',
      });
      const login = rows.find((r) => r.timestamp_desc === 'Login');
      expect(login?.message).toBe('login sysupdate from 2001:db8::5 on pts/1 via password pid 4000');
      expect(rows.find((r) => r.kind === 'process')).toMatchObject({
        message: 'process 4242 nc (root): nc -l 4444',
        record_cmdline: ['nc', '-l', '4444'],
        record_exe_deleted: false,
      });
    } finally {
      store.close();
    }
  });

  it('csv: fixed header, RFC 4180 quoting of commas, quotes and newlines, CRLF, ordered by time', async () => {
    const store = await storeWith(
      { collection_id: 'c-1', records: records() },
      {
        collection_id: 'c-2',
        host: 'db,1',
        records: [
          {
            ...base,
            kind: 'shell_history_entry',
            user: 'bob',
            shell: 'bash',
            path: '/home/bob/.bash_history',
            line: 1,
            command: 'printf "%s\\r\\n" \'x\'\r\nwhoami',
            time: '2026-11-21T00:00:00.000Z',
          },
        ],
      },
    );
    try {
      const { result, text } = await collect(store, 'csv');
      expect(result).toMatchObject({ rows: 9, skipped: 2 });
      expect(text.startsWith(`${TIMELINE_CSV_HEADER}\r\n`)).toBe(true);
      const [header, ...rows] = parseCsv(text);
      expect(header).toEqual(['datetime', 'timestamp_desc', 'message', 'host', 'kind', 'artifact_id']);
      expect(rows).toHaveLength(9);
      expect(rows.every((r) => r.length === 6)).toBe(true);
      expect(rows.map((r) => [r[0], r[4], r[1]])).toEqual([
        expectedOrder[0],
        ['2026-11-21T00:00:00.000Z', 'shell_history_entry', 'Command Run'],
        ...expectedOrder.slice(1),
      ]);
      expect(rows[1]).toEqual([
        '2026-11-21T00:00:00.000Z',
        'Command Run',
        'bob (bash): printf "%s\\r\\n" \'x\'\r\nwhoami',
        'db,1',
        'shell_history_entry',
        expect.stringMatching(/^\d+$/),
      ]);
      expect(text).toContain('"bob (bash): printf ""%s\\r\\n"" \'x\'\r\nwhoami","db,1",shell_history_entry,');
      expect(rows.at(-1)?.[2]).toBe('alice (bash): echo "a, b"\nid');
      const key = rows.find((r) => r[4] === 'ssh_authorized_key');
      expect(key?.[2]).toBe(
        'authorized key ssh-ed25519 SHA256:rr2t x@kali for root in /root/.ssh/authorized_keys:3 ' +
          'options from="198.51.100.0/24",command="/bin/sh"',
      );
    } finally {
      store.close();
    }
  });

  it('places Windows service installs at their event time and execution evidence by its artifact', async () => {
    const evidence = (artifact: 'prefetch' | 'amcache' | 'shimcache', time: string) => ({
      ...base,
      kind: 'execution_evidence' as const,
      artifact,
      path: `C:\\Tools\\${artifact}.exe`,
      name: `${artifact}.exe`,
      sha1: artifact === 'amcache' ? '056f4b9d9ec9b5dc548e1b460da889e44089d76f' : null,
      size: null,
      executed: artifact === 'prefetch' ? true : null,
      run_count: artifact === 'prefetch' ? 3 : null,
      last_run: artifact === 'prefetch' ? time : null,
      run_times: artifact === 'prefetch' ? [time] : null,
      first_seen: artifact === 'amcache' ? time : null,
      last_modified: artifact === 'shimcache' ? time : null,
      position: artifact === 'shimcache' ? 0 : null,
      volume_serial: null,
      publisher: null,
      product: null,
      version: null,
      registry_key: null,
    });
    const store = await storeWith({
      collection_id: 'c-w',
      records: [
        evidence('prefetch', '2019-06-05T19:55:04.8777787Z'),
        evidence('amcache', '2017-08-03T11:34:09.4820000Z'),
        evidence('shimcache', '2011-01-12T12:08:00.0000000Z'),
        {
          ...base,
          kind: 'startup_item',
          mechanism: 'service_install',
          name: 'WCESERVICE',
          path: 'C:\\Windows\\System32\\winevt\\Logs\\System.evtx',
          user: 'LocalSystem',
          command: 'D:\\Service\\test.exe',
          executable: null,
          schedule: null,
          enabled: null,
          line: null,
          file_mtime: '2026-11-01T00:00:00.000Z',
          event_time: '2020-12-17T10:38:33.9511809Z',
        },
      ],
    });
    try {
      const { result, text } = await collect(store, 'jsonl');
      expect(result).toEqual({ rows: 4, skipped: 0, skippedByKind: {} });
      const rows = text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(rows.map((r) => [r.datetime, r.timestamp_desc, r.message])).toEqual([
        ['2011-01-12T12:08:00.0000000Z', 'File Modified (ShimCache)', 'shimcache: C:\\Tools\\shimcache.exe'],
        [
          '2017-08-03T11:34:09.4820000Z',
          'First Seen (Amcache)',
          'amcache: C:\\Tools\\amcache.exe (sha1 056f4b9d9ec9b5dc548e1b460da889e44089d76f)',
        ],
        [
          '2019-06-05T19:55:04.8777787Z',
          'Last Run (Prefetch)',
          'prefetch: C:\\Tools\\prefetch.exe (run 3 times)',
        ],
        [
          '2020-12-17T10:38:33.9511809Z',
          'Service Installed',
          'service_install WCESERVICE: D:\\Service\\test.exe [defined in C:\\Windows\\System32\\winevt\\Logs\\System.evtx]',
        ],
      ]);
    } finally {
      store.close();
    }
  });

  it('quotes only fields that need it', () => {
    expect(csvField('plain text')).toBe('plain text');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField('')).toBe('');
  });

  it('an empty case: csv is just the header, jsonl writes nothing', async () => {
    const store = await storeWith();
    try {
      expect(await collect(store, 'csv')).toEqual({
        result: { rows: 0, skipped: 0, skippedByKind: {} },
        text: `${TIMELINE_CSV_HEADER}\r\n`,
        chunks: [`${TIMELINE_CSV_HEADER}\r\n`],
      });
      expect(await collect(store, 'jsonl')).toEqual({
        result: { rows: 0, skipped: 0, skippedByKind: {} },
        text: '',
        chunks: [],
      });
    } finally {
      store.close();
    }
  });

  it('streams a large timeline in whole-row chunks, in order', async () => {
    const many: ArtifactRecord[] = Array.from({ length: 3000 }, (_, i) => ({
      ...base,
      kind: 'shell_history_entry',
      user: 'alice',
      shell: 'bash',
      path: '/home/alice/.bash_history',
      line: i + 1,
      command: `echo ${'x'.repeat(40)} ${i}`,
      time: new Date(Date.UTC(2026, 0, 1) + (3000 - i) * 1000).toISOString(),
    }));
    const store = await storeWith({ collection_id: 'c-many', records: many });
    try {
      const { result, text, chunks } = await collect(store, 'jsonl');
      expect(result.rows).toBe(3000);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.every((chunk) => chunk.endsWith('\n'))).toBe(true);
      const times = text
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { datetime: string }).datetime);
      expect(times).toEqual([...times].sort());
      expect(new Set(times).size).toBe(3000);
    } finally {
      store.close();
    }
  });

  it('stops with the writer error and leaves the connection usable', async () => {
    const store = await storeWith({ collection_id: 'c-1', records: records() });
    try {
      await expect(
        exportTimeline(store, 'jsonl', () => {
          throw new Error('disk full');
        }),
      ).rejects.toThrow('disk full');
      expect(store.db.prepare('SELECT count(*) FROM artifacts').pluck().get()).toBe(11);
      await expect(exportTimeline(store, 'xml' as TimelineFormat, () => undefined)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      store.close();
    }
  });
});
