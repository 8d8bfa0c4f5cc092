/**
 * Unit tests on hand-built EVTX files (src/testing/evtx-builder.ts): every
 * header field, every BinXml token and value type, and every damage case.
 */
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import {
  BinXmlWriter,
  buildChunk,
  buildFile,
  cdata,
  charRef,
  el,
  entityRef,
  filetime,
  opt,
  pi,
  sealChunk,
  securityTemplate,
  securityValues,
  sub,
  template,
  v,
  type XRecord,
  type XTemplate,
  type XValue,
} from '../testing/evtx-builder.js';
import { type EvtxDiagnostic, type EvtxRecord, type EvtxRecordsOptions, openEvtx } from './evtx.js';
import { MAX_XML_CHARS } from './render.js';

async function readAll(file: Uint8Array, options: EvtxRecordsOptions = {}) {
  const evtx = await openEvtx(bufferSource(file, 'test.evtx'));
  const records: EvtxRecord[] = [];
  for await (const r of evtx.records(options)) records.push(r);
  return { evtx, records, diagnostics: evtx.diagnostics };
}

const kinds = (d: readonly EvtxDiagnostic[]) => d.map((x) => x.kind);

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A template with one element `<R>` holding one substitution of the given type, and a record for it. */
function valueRecord(t: XTemplate, id: number, value: XValue): XRecord {
  return { id, body: (w) => w.fragmentHeader().templateInstance(t, [value]).eof() };
}

const logon = securityTemplate(['TargetUserName', 'LogonType', 'IpAddress']);
function logonRecord(id: number, user = 'alice', eventId = 4624): XRecord {
  return {
    id,
    written: filetime('2021-05-21T20:43:08Z'),
    body: (w) =>
      w
        .fragmentHeader()
        .templateInstance(
          logon,
          securityValues({
            eventId,
            recordId: id,
            data: [v.string(user), v.string('10'), v.string('10.0.0.5')],
          }),
        )
        .eof(),
  };
}

describe('file and chunk headers', () => {
  it('reads every file header field and verifies its CRC-32', async () => {
    const file = buildFile([buildChunk([logonRecord(1)])], { flags: 3, nextRecordId: 2 });
    const evtx = await openEvtx(bufferSource(file));
    expect(evtx.header).toMatchObject({
      firstChunkNumber: 0,
      lastChunkNumber: 0,
      nextRecordId: 2,
      headerSize: 128,
      majorVersion: 3,
      minorVersion: 1,
      headerBlockSize: 4096,
      chunkCount: 1,
      flags: 3,
      dirty: true,
      full: true,
    });
    expect(evtx.header.checksum.status).toBe('valid');
    expect(evtx.blockCount).toBe(1);
    expect(evtx.diagnostics).toEqual([]);
  });

  it('reads every chunk header field and verifies both CRC-32s', async () => {
    const file = buildFile([buildChunk([logonRecord(7), logonRecord(8)]), buildChunk([logonRecord(9)])]);
    const evtx = await openEvtx(bufferSource(file));
    const chunks = await collect(evtx.chunks());
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toMatchObject({
      index: 0,
      offset: 4096,
      size: 65536,
      firstRecordNumber: 7,
      lastRecordNumber: 8,
      firstRecordId: 7,
      lastRecordId: 8,
      headerSize: 128,
    });
    expect(chunks[0]?.lastRecordOffset).toBeGreaterThan(512);
    expect(chunks[0]?.freeSpaceOffset).toBeGreaterThan(chunks[0]?.lastRecordOffset ?? 0);
    expect(chunks[0]?.headerChecksum.status).toBe('valid');
    expect(chunks[0]?.recordsChecksum.status).toBe('valid');
    expect(chunks[1]).toMatchObject({ index: 1, offset: 4096 + 65536, firstRecordId: 9 });
  });
});

describe('records and templates', () => {
  it('renders a templated record to the documented JSON shape and to XML', async () => {
    const { records, evtx } = await readAll(buildFile([buildChunk([logonRecord(41)])]), { xml: true });
    expect(records).toHaveLength(1);
    const [r] = records;
    expect(r).toMatchObject({
      chunk: 0,
      offset: 4096 + 512,
      recordId: 41,
      writtenTime: '2021-05-21T20:43:08.0000000Z',
      eventId: 4624,
      provider: 'Microsoft-Windows-Security-Auditing',
      channel: 'Security',
      computer: 'fs01.offsec.lan',
      warnings: [],
    });
    expect(r?.event).toEqual({
      System: {
        Provider: {
          Name: 'Microsoft-Windows-Security-Auditing',
          Guid: '{54849625-5478-4994-A5BA-3E3B0328C30D}',
        },
        EventID: 4624,
        Version: 0,
        Level: 0,
        Task: 12544,
        Opcode: 0,
        Keywords: '0x8020000000000000',
        TimeCreated: '2021-05-21T20:43:07.0850000Z',
        EventRecordID: 41,
        Correlation: {},
        Execution: { ProcessID: 708, ThreadID: 8464 },
        Channel: 'Security',
        Computer: 'fs01.offsec.lan',
        Security: {},
      },
      EventData: { TargetUserName: 'alice', LogonType: '10', IpAddress: '10.0.0.5' },
    });
    expect(r?.xml).toBe(
      '<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>' +
        '<Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-A5BA-3E3B0328C30D}"/>' +
        '<EventID>4624</EventID><Version>0</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode>' +
        '<Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime="2021-05-21T20:43:07.0850000Z"/>' +
        '<EventRecordID>41</EventRecordID><Correlation/><Execution ProcessID="708" ThreadID="8464"/>' +
        '<Channel>Security</Channel><Computer>fs01.offsec.lan</Computer><Security/></System>' +
        '<EventData><Data Name="TargetUserName">alice</Data><Data Name="LogonType">10</Data>' +
        '<Data Name="IpAddress">10.0.0.5</Data></EventData></Event>',
    );
    expect(evtx.stats).toMatchObject({ chunks: 1, records: 1, recordsRendered: 1, templatesParsed: 1 });
  });

  it('parses a template once per chunk and follows later instances to it by offset', async () => {
    const chunk = buildChunk([logonRecord(1, 'a'), logonRecord(2, 'b'), logonRecord(3, 'c')]);
    const { records, evtx } = await readAll(buildFile([chunk, buildChunk([logonRecord(4, 'd')])]));
    expect(records.map((r) => r.event.EventData)).toEqual([
      { TargetUserName: 'a', LogonType: '10', IpAddress: '10.0.0.5' },
      { TargetUserName: 'b', LogonType: '10', IpAddress: '10.0.0.5' },
      { TargetUserName: 'c', LogonType: '10', IpAddress: '10.0.0.5' },
      { TargetUserName: 'd', LogonType: '10', IpAddress: '10.0.0.5' },
    ]);
    // One parse in each chunk: the cache is per chunk, like the chunk's memory.
    expect(evtx.stats.templatesParsed).toBe(2);
  });

  it('keeps the user SID, activity id and EventID qualifiers when present', async () => {
    const t = template(
      el(
        'Event',
        {},
        el(
          'System',
          {},
          el('Provider', { Name: 'Service Control Manager', EventSourceName: 'Service Control Manager' }),
          el('EventID', { Qualifiers: opt(0, 0x06) }, sub(1, 0x06)),
          el('Correlation', { ActivityID: opt(2, 0x0f) }),
          el('Security', { UserID: opt(3, 0x13) }),
        ),
      ),
    );
    const record: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [
            v.u16(16384),
            v.u16(7045),
            v.guid('{E4D8D5C1-4F7E-0006-C2D5-D8E47E4FD601}'),
            v.sid('S-1-5-18'),
          ])
          .eof(),
    };
    const { records } = await readAll(buildFile([buildChunk([record])]), { xml: true });
    expect(records[0]?.event.System).toEqual({
      Provider: { Name: 'Service Control Manager', EventSourceName: 'Service Control Manager' },
      EventID: 7045,
      EventIDQualifiers: 16384,
      Correlation: { ActivityID: '{E4D8D5C1-4F7E-0006-C2D5-D8E47E4FD601}' },
      Security: { UserID: 'S-1-5-18' },
    });
    expect(records[0]?.eventId).toBe(7045);
    expect(records[0]?.xml).toContain('<EventID Qualifiers="16384">7045</EventID>');
  });

  it('renders a record written without a template, with or without dependency ids', async () => {
    const root = el(
      'Event',
      {},
      el('System', {}, el('Provider', { Name: 'Raw' }), el('EventID', {}, '42'), el('Computer', {}, 'HOST')),
      el('EventData', {}, el('Data', {}, 'first'), el('Data', {}, 'second')),
    );
    const plain: XRecord = { id: 1, body: (w) => w.fragmentHeader().element(root, false).eof() };
    const expected = {
      System: { Provider: { Name: 'Raw' }, EventID: '42', Computer: 'HOST' },
      EventData: { Data: ['first', 'second'] },
    };
    for (const options of [{}, { dependencyIdOutsideTemplates: true }]) {
      const { records, diagnostics } = await readAll(buildFile([buildChunk([plain], { options })]));
      expect(diagnostics).toEqual([]);
      expect(records[0]?.event).toEqual(expected);
      expect(records[0]?.eventId).toBe(42);
    }
  });
});

describe('BinXml tokens', () => {
  it('renders attributes, empty and filled elements, value text, CDATA, char and entity references, and PIs', async () => {
    const root = el(
      'Event',
      {},
      el(
        'UserData',
        {},
        el(
          'Doc',
          { xmlns: 'urn:x', Kind: [charRef(0x41), entityRef('amp'), sub(0, 0x01)] },
          el('Empty'),
          el('Note', {}, 'a', charRef(60), 'b', entityRef('gt'), 'c'),
          el('Code', {}, cdata('x < y && z')),
          el('Proc', {}, pi('target', 'data="1"'), 'after'),
        ),
      ),
    );
    const t = template(root);
    const record: XRecord = {
      id: 5,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [v.string('!')])
          .eof(),
    };
    const { records } = await readAll(buildFile([buildChunk([record])]), { xml: true });
    expect(records[0]?.event).toEqual({
      UserData: {
        Doc: { xmlns: 'urn:x', Kind: 'A&!', Empty: null, Note: 'a<b>c', Code: 'x < y && z', Proc: 'after' },
      },
    });
    expect(records[0]?.xml).toBe(
      '<Event><UserData><Doc xmlns="urn:x" Kind="&#65;&amp;!"><Empty/><Note>a&#60;b&gt;c</Note>' +
        '<Code><![CDATA[x < y && z]]></Code><Proc><?target data="1"?>after</Proc></Doc></UserData></Event>',
    );
  });

  it('drops the element or attribute around an optional NULL substitution but keeps a normal NULL (MS-EVEN6 3.1.4.7.2)', async () => {
    const t = template(
      el(
        'Event',
        {},
        el(
          'EventData',
          { Kept: sub(0, 0x01), Dropped: opt(0, 0x01) },
          el('Data', { Name: 'Gone' }, opt(0, 0x01)),
          el('Data', { Name: 'Empty' }, sub(0, 0x01)),
          el('Data', { Name: 'Present' }, opt(1, 0x01)),
        ),
      ),
    );
    const record: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [v.null(), v.string('yes')])
          .eof(),
    };
    const { records } = await readAll(buildFile([buildChunk([record])]), { xml: true });
    expect(records[0]?.event).toEqual({ EventData: { '@Kept': null, Empty: null, Present: 'yes' } });
    expect(records[0]?.xml).toBe(
      '<Event><EventData Kept=""><Data Name="Empty"/><Data Name="Present">yes</Data></EventData></Event>',
    );
  });

  it('keeps names such as __proto__ as plain keys, and writes hostile names and CDATA safely in XML', async () => {
    const root = el(
      'Event',
      {},
      el(
        'EventData',
        {},
        el('Data', { Name: '__proto__' }, 'kept'),
        el('Data', { Name: 'constructor' }, 'too'),
      ),
      el('UserData', {}, el('a"><x', { 'b c': 'v' }, cdata('end ]]> here'))),
    );
    const record: XRecord = { id: 1, body: (w) => w.fragmentHeader().element(root, false).eof() };
    const { records } = await readAll(buildFile([buildChunk([record])]), { xml: true });
    const eventData = records[0]?.event.EventData as Record<string, unknown>;
    expect(Object.getPrototypeOf(eventData)).toBe(Object.prototype);
    expect(Object.keys(eventData)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(records[0]?.event)).EventData).toEqual(
      JSON.parse('{"__proto__":"kept","constructor":"too"}'),
    );
    expect(records[0]?.xml).toContain('<UserData><a___x b_c="v">end ]]&gt; here</a___x></UserData>');
  });

  it('turns repeated child elements into arrays and keeps text next to attributes as #text', async () => {
    const root = el(
      'Event',
      {},
      el(
        'UserData',
        {},
        el('List', {}, el('Item', {}, '1'), el('Item', {}, '2'), el('Item', { Tag: 'x' }, '3')),
      ),
    );
    const record: XRecord = { id: 1, body: (w) => w.fragmentHeader().element(root, false).eof() };
    const { records } = await readAll(buildFile([buildChunk([record])]));
    expect(records[0]?.event).toEqual({
      UserData: { List: { Item: ['1', '2', { Tag: 'x', '#text': '3' }] } },
    });
  });
});

describe('value types', () => {
  const cases: [string, XValue, unknown, string][] = [
    ['null (normal substitution)', v.null(), null, '<R/>'],
    ['UTF-16 string, trailing NUL dropped', v.string('héllo', true), 'héllo', '<R>héllo</R>'],
    ['ANSI string (windows-1252)', v.ansi([0x80, 0x41, 0x00]), '€A', '<R>€A</R>'],
    ['int8', v.i8(-5), -5, '<R>-5</R>'],
    ['uint8', v.u8(250), 250, '<R>250</R>'],
    ['int16', v.i16(-300), -300, '<R>-300</R>'],
    ['uint16', v.u16(65000), 65000, '<R>65000</R>'],
    ['int32', v.i32(-7), -7, '<R>-7</R>'],
    ['uint32', v.u32(4000000000), 4000000000, '<R>4000000000</R>'],
    ['int64', v.i64(-(2n ** 40n)), -(2 ** 40), `<R>${-(2 ** 40)}</R>`],
    [
      'uint64 beyond 2^53 (kept exact as a string)',
      v.u64(2n ** 60n),
      '1152921504606846976',
      '<R>1152921504606846976</R>',
    ],
    ['real32', v.real32(1.5), 1.5, '<R>1.5</R>'],
    ['real64', v.real64(-2.25), -2.25, '<R>-2.25</R>'],
    ['bool', v.bool(true), true, '<R>true</R>'],
    ['binary', v.binary([0xde, 0xad, 0xbe, 0xef]), 'DEADBEEF', '<R>DEADBEEF</R>'],
    [
      'GUID',
      v.guid('{03f41308-fa7b-4fb3-98b8-c2ed0a40d1ef}'),
      '{03F41308-FA7B-4FB3-98B8-C2ED0A40D1EF}',
      '<R>{03F41308-FA7B-4FB3-98B8-C2ED0A40D1EF}</R>',
    ],
    ['size_t (32-bit)', v.sizeT(0x1234n, 4), '0x1234', '<R>0x1234</R>'],
    ['size_t (64-bit)', v.sizeT(0x7ff612340000n, 8), '0x7ff612340000', '<R>0x7ff612340000</R>'],
    [
      'FILETIME',
      v.filetime(132661033870850391n),
      '2021-05-21T20:43:07.0850391Z',
      '<R>2021-05-21T20:43:07.0850391Z</R>',
    ],
    [
      'SYSTEMTIME',
      v.systemtime(2006, 6, 3, 14, 21, 40, 16, 312),
      '2006-06-14T21:40:16.312Z',
      '<R>2006-06-14T21:40:16.312Z</R>',
    ],
    [
      'SID',
      v.sid('S-1-5-21-1470532092-3758209836-3742276719-1001'),
      'S-1-5-21-1470532092-3758209836-3742276719-1001',
      '<R>S-1-5-21-1470532092-3758209836-3742276719-1001</R>',
    ],
    ['hex int32', v.hex32(0x15), '0x15', '<R>0x15</R>'],
    ['hex int64', v.hex64(0x58d874n), '0x58d874', '<R>0x58d874</R>'],
    ['EvtHandle (no text form: hex)', v.raw(0x20, [1, 2]), '0102', '<R>0102</R>'],
    ['array of strings', v.stringArray(['a', 'b']), ['a', 'b'], '<R>a</R><R>b</R>'],
    ['array of uint16', v.raw(0x86, [1, 0, 2, 0]), [1, 2], '<R>1</R><R>2</R>'],
    [
      'array of hex int64',
      v.raw(0x95, [1, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0, 0, 0, 0, 0]),
      ['0x1', '0xff'],
      '<R>0x1</R><R>0xff</R>',
    ],
    [
      'array of GUIDs',
      v.raw(0x8f, new Uint8Array(16)),
      ['{00000000-0000-0000-0000-000000000000}'],
      '<R>{00000000-0000-0000-0000-000000000000}</R>',
    ],
    [
      'array of SIDs',
      v.raw(0x93, [...v_sid('S-1-5-18'), ...v_sid('S-1-5-32-544')]),
      ['S-1-5-18', 'S-1-5-32-544'],
      '<R>S-1-5-18</R><R>S-1-5-32-544</R>',
    ],
  ];

  it.each(cases)('%s', async (_name, value, json, xml) => {
    const t = template(el('Event', {}, el('UserData', {}, el('R', {}, sub(0, value.type)))));
    const { records, diagnostics } = await readAll(buildFile([buildChunk([valueRecord(t, 1, value)])]), {
      xml: true,
    });
    expect(diagnostics).toEqual([]);
    expect(records[0]?.event).toEqual({ UserData: { R: json } });
    expect(records[0]?.xml).toBe(`<Event><UserData>${xml}</UserData></Event>`);
  });

  it('renders a BinXml value (0x21) holding an element, and one holding its own template instance (MS-EVEN6 4.8)', async () => {
    const inner = template(el('MyEvent', {}, el('PropA', {}, sub(0, 0x01)), el('PropB', {}, sub(1, 0x04))));
    const outer = template(el('Event', {}, el('UserData', {}, sub(0, 0x21), sub(1, 0x21))));
    const record: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(outer, [
            v.binxml((x) =>
              x
                .fragmentHeader()
                .templateInstance(inner, [v.string('ce'), v.u8(0x67)])
                .eof(),
            ),
            v.binxml((x) => x.element(el('Plain', { A: '1' }), false).eof()),
          ])
          .eof(),
    };
    const { records, diagnostics } = await readAll(buildFile([buildChunk([record])]), { xml: true });
    expect(diagnostics).toEqual([]);
    expect(records[0]?.event).toEqual({
      UserData: { MyEvent: { PropA: 'ce', PropB: 103 }, Plain: { A: '1' } },
    });
    expect(records[0]?.xml).toBe(
      '<Event><UserData><MyEvent><PropA>ce</PropA><PropB>103</PropB></MyEvent><Plain A="1"/></UserData></Event>',
    );
  });

  it('shows a value whose size does not fit its type as hex, and says so', async () => {
    const t = template(el('Event', {}, el('UserData', {}, el('R', {}, sub(0, 0x08)))));
    const { records, diagnostics } = await readAll(
      buildFile([buildChunk([valueRecord(t, 9, v.raw(0x08, [1, 2, 3]))])]),
    );
    expect(records[0]?.event).toEqual({ UserData: { R: '010203' } });
    expect(records[0]?.warnings).toEqual(['value']);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'value',
        recordId: 9,
        reason: expect.stringContaining('needs 4 bytes, has 3'),
      }),
    ]);
  });

  it('reports a substitution index with no value and renders the rest', async () => {
    const t = template(
      el('Event', {}, el('UserData', {}, el('A', {}, sub(0, 0x01)), el('B', {}, sub(5, 0x01)))),
    );
    const { records, diagnostics } = await readAll(
      buildFile([buildChunk([valueRecord(t, 1, v.string('ok'))])]),
    );
    expect(records[0]?.event).toEqual({ UserData: { A: 'ok', B: null } });
    expect(kinds(diagnostics)).toEqual(['value']);
  });
});

function v_sid(s: string): number[] {
  const value = v.sid(s);
  return 'bytes' in value ? [...value.bytes] : [];
}

/** The byte offset of the n-th record (0-based) in a built chunk. */
function recordAt(chunk: Uint8Array, n: number): number {
  const view = new DataView(chunk.buffer, chunk.byteOffset);
  let at = 512;
  for (let i = 0; i < n; i++) at += view.getUint32(at + 4, true);
  return at;
}

describe('damage', () => {
  it('refuses a file that is not EVTX with DATA_INVALID', async () => {
    for (const bytes of [
      new Uint8Array(0),
      Buffer.from('MZ\x90\0not an event log'),
      Buffer.from('ElfFile\0short'),
    ]) {
      const error = await openEvtx(bufferSource(new Uint8Array(bytes))).catch((e: unknown) => e);
      expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    }
  });

  it('reads on past a file header with a bad CRC-32, and reports it', async () => {
    const file = buildFile([buildChunk([logonRecord(1)])]);
    file[16] = 5; // last chunk number, after the CRC was computed
    const { records, diagnostics, evtx } = await readAll(file);
    expect(evtx.header.checksum.status).toBe('mismatch');
    expect(kinds(diagnostics)).toEqual(['file-header-checksum']);
    expect(records).toHaveLength(1);
  });

  it('reads the records of a chunk whose header CRC-32 is wrong, flagged', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2)]);
    chunk[16] = 0x63; // last record number
    const { records, diagnostics } = await readAll(buildFile([chunk]));
    expect(kinds(diagnostics)).toEqual(['chunk-header-checksum']);
    expect(records.map((r) => r.recordId)).toEqual([1, 2]);
    expect(records.every((r) => r.warnings.includes('chunk-header-checksum'))).toBe(true);
  });

  it('reads the records of a chunk whose records CRC-32 is wrong, flagged, and shows the altered value', async () => {
    const chunk = buildChunk([logonRecord(1, 'alice'), logonRecord(2, 'bob')]);
    const at = Buffer.from(chunk).indexOf(Buffer.from('bob', 'utf16le'));
    chunk[at] = 'm'.charCodeAt(0); // an edit an attacker might make: the CRCs no longer match
    const { records, diagnostics } = await readAll(buildFile([chunk]));
    expect(kinds(diagnostics)).toEqual(['chunk-records-checksum']);
    expect(records.map((r) => r.event.EventData)).toMatchObject([
      { TargetUserName: 'alice' },
      { TargetUserName: 'mob' },
    ]);
    expect(records[1]?.warnings).toEqual(['chunk-records-checksum']);
  });

  it('calls zeroed CRC-32s missing, not wrong, and still flags the records', async () => {
    const chunk = buildChunk([logonRecord(1)]);
    chunk.fill(0, 52, 56);
    chunk.fill(0, 124, 128);
    const file = buildFile([chunk]);
    file.fill(0, 124, 128);
    const { records, diagnostics, evtx } = await readAll(file);
    const headers = await collect(evtx.chunks());
    expect(evtx.header.checksum.status).toBe('missing');
    expect(headers[0]?.headerChecksum.status).toBe('missing');
    expect(headers[0]?.recordsChecksum.status).toBe('missing');
    expect(kinds(diagnostics)).toEqual([
      'file-header-checksum',
      'chunk-header-checksum',
      'chunk-records-checksum',
    ]);
    expect(records[0]?.warnings).toEqual(['chunk-header-checksum', 'chunk-records-checksum']);
  });

  it('reads the records that fit in a truncated last chunk', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2), logonRecord(3)]);
    const cut = recordAt(chunk, 2) + 40; // inside the third record
    const file = buildFile([buildChunk([logonRecord(0)]), chunk]).subarray(0, 4096 + 65536 + cut);
    const { records, diagnostics, evtx } = await readAll(file);
    expect(records.map((r) => r.recordId)).toEqual([0, 1, 2]);
    expect(evtx.blockCount).toBe(2);
    expect(kinds(diagnostics)).toEqual([
      'file-truncated',
      'file-truncated',
      'chunk-records-checksum',
      'record-size',
    ]);
    expect(records[1]?.warnings).toEqual(['chunk-records-checksum']);
    expect(records[0]?.warnings).toEqual([]);
  });

  it('skips a chunk cut inside its header', async () => {
    const file = buildFile([buildChunk([logonRecord(1)]), buildChunk([logonRecord(2)])]).subarray(
      0,
      4096 + 65536 + 300,
    );
    const { records, diagnostics } = await readAll(file);
    expect(records.map((r) => r.recordId)).toEqual([1]);
    expect(diagnostics.map((d) => [d.kind, d.chunk])).toEqual([
      ['file-truncated', null],
      ['file-truncated', 1],
    ]);
  });

  it('reports a record whose size differs from its copy and finds the next record by scanning', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2), logonRecord(3)]);
    new DataView(chunk.buffer).setUint32(recordAt(chunk, 1) + 4, 0x123, true);
    sealChunk(chunk); // CRCs made right again: only the size is wrong
    const { records, diagnostics } = await readAll(buildFile([chunk]));
    expect(records.map((r) => [r.recordId, r.warnings])).toEqual([
      [1, []],
      [3, ['found-by-scan']],
    ]);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'record-size', chunk: 0, offset: 4096 + recordAt(chunk, 1) }),
    ]);
  });

  it('reports a damaged record signature and scans on', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2), logonRecord(3)]);
    chunk[recordAt(chunk, 0)] = 0x2b;
    sealChunk(chunk);
    const { records, diagnostics } = await readAll(buildFile([chunk]));
    expect(records.map((r) => r.recordId)).toEqual([2, 3]);
    expect(kinds(diagnostics)).toEqual(['record-signature']);
  });

  it('reports zero bytes where the chunk header says records are', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2)]);
    const second = recordAt(chunk, 1);
    chunk.fill(0, second, recordAt(chunk, 2));
    sealChunk(chunk);
    const { records, diagnostics } = await readAll(buildFile([chunk]));
    expect(records.map((r) => r.recordId)).toEqual([1]);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'record-signature', offset: 4096 + second }),
    ]);
  });

  it('skips a record with malformed BinXml and goes on with the next', async () => {
    const bad: XRecord = { id: 2, body: (w) => w.fragmentHeader().bytes([0x01, 0x99, 0x99]) };
    const { records, diagnostics } = await readAll(
      buildFile([buildChunk([logonRecord(1), bad, logonRecord(3)])]),
    );
    expect(records.map((r) => r.recordId)).toEqual([1, 3]);
    expect(diagnostics).toEqual([expect.objectContaining({ kind: 'binxml', recordId: 2 })]);
  });

  it('reports records whose template offset points at garbage, parsing that template once', async () => {
    const broken = (id: number): XRecord => ({
      id,
      body: (w) => w.fragmentHeader().u8(0x0c).u8(1).u32(1).u32(0x300).u32(0).eof(),
    });
    const { records, diagnostics, evtx } = await readAll(
      buildFile([buildChunk([broken(1), broken(2), logonRecord(3)])]),
    );
    expect(records.map((r) => r.recordId)).toEqual([3]);
    expect(diagnostics.map((d) => [d.kind, d.recordId])).toEqual([
      ['binxml', 1],
      ['binxml', 2],
    ]);
    expect(evtx.stats.templatesParsed).toBe(2); // the broken one once, the good one once
  });

  it('reports a 64 KiB block that is neither a chunk nor empty, and reads the chunks around it', async () => {
    const junk = new Uint8Array(65536).fill(0x41);
    const file = buildFile([
      buildChunk([logonRecord(1)]),
      junk,
      new Uint8Array(65536),
      buildChunk([logonRecord(2)]),
    ]);
    const { records, diagnostics } = await readAll(file);
    expect(records.map((r) => r.recordId)).toEqual([1, 2]);
    expect(diagnostics.map((d) => [d.kind, d.chunk])).toEqual([['chunk-signature', 1]]);
  });

  it('reads records to the end of the chunk when the free-space offset is out of range', async () => {
    const chunk = buildChunk([logonRecord(1), logonRecord(2)]);
    new DataView(chunk.buffer).setUint32(48, 0x7fffffff, true);
    sealChunk(chunk);
    const { records, diagnostics, evtx } = await readAll(buildFile([chunk]));
    expect(records.map((r) => r.recordId)).toEqual([1, 2]);
    expect(kinds(diagnostics)).toEqual(['chunk-records-checksum']);
    const [header] = await collect(evtx.chunks());
    expect(header?.recordsChecksum).toMatchObject({ status: 'unverifiable', computed: null });
  });

  it('skips a record whose id is beyond 2^53', async () => {
    const { records, diagnostics } = await readAll(
      buildFile([buildChunk([{ ...logonRecord(1), id: 2n ** 60n }, logonRecord(2)])]),
    );
    expect(records.map((r) => r.recordId)).toEqual([2]);
    expect(kinds(diagnostics)).toEqual(['record-id']);
  });

  it('stops elements nested deeper than the limit without recursing further', async () => {
    let node = el('Leaf');
    for (let i = 0; i < 100; i++) node = el('N', {}, node);
    const deep: XRecord = { id: 1, body: (w) => w.fragmentHeader().element(node, false).eof() };
    const { records, diagnostics } = await readAll(buildFile([buildChunk([deep, logonRecord(2)])]));
    expect(records.map((r) => r.recordId)).toEqual([2]);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'binxml', reason: expect.stringContaining('nested deeper than 64') }),
    ]);
  });

  it('stops BinXml values nested deeper than the limit', async () => {
    const t = template(el('Event', {}, el('UserData', {}, sub(0, 0x21))));
    const nest = (depth: number): XValue =>
      depth === 0
        ? v.binxml((w) => w.element(el('Bottom'), false).eof())
        : v.binxml((w) =>
            w
              .fragmentHeader()
              .templateInstance(t, [nest(depth - 1)])
              .eof(),
          );
    const ok: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [nest(3)])
          .eof(),
    };
    const tooDeep: XRecord = {
      id: 2,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [nest(12)])
          .eof(),
    };
    const { records, diagnostics } = await readAll(buildFile([buildChunk([ok, tooDeep])]));
    expect(records.map((r) => r.recordId)).toEqual([1]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'binxml',
        recordId: 2,
        reason: expect.stringContaining('nested deeper than 8'),
      }),
    ]);
  });

  it('stops a record whose template multiplies nested values past the node budget', async () => {
    // A template that uses its BinXml value 400 times, nested 3 deep: 400^3 nodes if unchecked.
    const wide = template(
      el('Event', {}, el('UserData', {}, ...Array.from({ length: 400 }, () => sub(0, 0x21)))),
    );
    const nest = (depth: number): XValue =>
      depth === 0
        ? v.binxml((w) => w.element(el('X'), false).eof())
        : v.binxml((w) =>
            w
              .fragmentHeader()
              .templateInstance(wide, [nest(depth - 1)])
              .eof(),
          );
    const bomb: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(wide, [nest(2)])
          .eof(),
    };
    const { records, diagnostics } = await readAll(buildFile([buildChunk([bomb, logonRecord(2)])]));
    expect(records.map((r) => r.recordId)).toEqual([2]);
    expect(diagnostics).toEqual([
      expect.objectContaining({ kind: 'binxml', reason: expect.stringContaining('more than 100000 nodes') }),
    ]);
  });

  it('stops a record whose template repeats one long value past the character budget', async () => {
    const t = template(
      el('Event', {}, el('UserData', {}, ...Array.from({ length: 100 }, () => el('V', {}, sub(0, 0x01))))),
    );
    const long: XRecord = {
      id: 1,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(t, [v.string('x'.repeat(10_000))])
          .eof(),
    };
    const { records, diagnostics } = await readAll(buildFile([buildChunk([long, logonRecord(2)])]));
    expect(records.map((r) => r.recordId)).toEqual([2]);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        kind: 'binxml',
        recordId: 1,
        reason: expect.stringContaining('more than 524288 characters'),
      }),
    ]);
  });

  it('skips a record whose XML text would pass its limit (a long name used by many nodes), keeping its JSON', async () => {
    // A name of 8,000 characters on 300 x 300 nodes: under the node budget, and names are not counted as
    // rendered characters, so the JSON (one key) is small; as XML text it would be 1.4 billion characters.
    const long = 'N'.repeat(8000);
    const wide = template(
      el('Event', {}, el('UserData', {}, ...Array.from({ length: 300 }, () => sub(0, 0x21)))),
    );
    const inner = v.binxml((w) => {
      w.fragmentHeader();
      for (let i = 0; i < 300; i++) w.element(el(long), false);
      w.eof();
    });
    const bomb: XRecord = { id: 1, body: (w) => w.fragmentHeader().templateInstance(wide, [inner]).eof() };
    const file = buildFile([buildChunk([bomb, logonRecord(2)])]);
    const json = await readAll(file);
    expect(json.records.map((r) => r.recordId)).toEqual([1, 2]);
    expect(json.diagnostics).toEqual([]);
    const xml = await readAll(file, { xml: true });
    expect(xml.records.map((r) => r.recordId)).toEqual([2]);
    expect(xml.diagnostics).toEqual([
      expect.objectContaining({
        kind: 'binxml',
        recordId: 1,
        reason: expect.stringContaining(`XML text is longer than ${MAX_XML_CHARS} characters`),
      }),
    ]);
  });

  it('stops rendering a chunk past its node budget, and renders the next chunk', async () => {
    // Each record expands to 200 x 200 nodes (a BinXml value referenced 200 times, holding 200 references):
    // under the per-record budget, but 110 of them exceed the chunk's 4,000,000.
    const inner = template(el('I', {}, ...Array.from({ length: 200 }, () => sub(0, 0x04))));
    const outer = template(
      el('Event', {}, el('UserData', {}, ...Array.from({ length: 200 }, () => sub(0, 0x21)))),
    );
    const heavy = (id: number): XRecord => ({
      id,
      body: (w) =>
        w
          .fragmentHeader()
          .templateInstance(outer, [
            v.binxml((x) =>
              x
                .fragmentHeader()
                .templateInstance(inner, [v.u8(1)])
                .eof(),
            ),
          ])
          .eof(),
    });
    const chunk = buildChunk(Array.from({ length: 110 }, (_, i) => heavy(i + 1)));
    const evtx = await openEvtx(bufferSource(buildFile([chunk, buildChunk([logonRecord(500)])])));
    const ids: number[] = [];
    for await (const r of evtx.records()) ids.push(r.recordId);
    expect(ids.length).toBeGreaterThan(90);
    expect(ids.length).toBeLessThan(101);
    expect(ids.at(-1)).toBe(500);
    expect(evtx.diagnostics.length).toBe(111 - ids.length);
    expect(
      evtx.diagnostics.every(
        (d) =>
          d.kind === 'binxml' && d.reason.includes('records of this chunk expand to more than 4000000 nodes'),
      ),
    ).toBe(true);
  });

  it('stops parsing templates of a chunk past its byte budget', async () => {
    // Template definitions nested in each other's CDATA, each ~58 KB: every record names a different one,
    // so each is parsed, and together they are far more bytes than the chunk holds.
    const levels = 20;
    const starts: number[] = [];
    const definition = (level: number, at: number): Uint8Array => {
      starts[level] = at;
      // At chunk offset `at`: header (next, GUID, size), then fragment header and <T> holding CDATA with the next level.
      const w = new BinXmlWriter(
        at + 24,
        { names: new Map(), templates: new Map() },
        { alwaysInlineNames: true },
      );
      w.fragmentHeader().u8(0x01).u16(0xffff).u32(0).name('T').u8(0x02).u8(0x07);
      const inner = level + 1 < levels ? definition(level + 1, w.pos + 2) : new Uint8Array(58_000);
      w.u16(inner.length / 2)
        .bytes(inner)
        .u8(0x04)
        .eof();
      if ((w.pos - at) % 2 === 1) w.u8(0); // keep every level an even number of bytes (UTF-16 CDATA)
      const body = w.toBytes();
      const head = new Uint8Array(24);
      new DataView(head.buffer).setUint32(20, body.length, true);
      const out = new Uint8Array(head.length + body.length);
      out.set(head, 0);
      out.set(body, head.length);
      return out;
    };
    const blob: XRecord = {
      id: 1,
      body: (w) => w.fragmentHeader().eof().bytes(definition(0, w.pos)), // arguments are evaluated after the calls before them
    };
    const user = (level: number): XRecord => ({
      id: level + 2,
      body: (w) =>
        w
          .fragmentHeader()
          .u8(0x0c)
          .u8(1)
          .u32(level)
          .u32(starts[level] ?? 0)
          .u32(0)
          .eof(),
    });
    const chunk = buildChunk([blob, ...Array.from({ length: levels }, (_, i) => user(i))]);
    const { records, diagnostics, evtx } = await readAll(buildFile([chunk]));
    expect(records.length).toBeGreaterThan(levels / 2);
    expect(records.length).toBeLessThan(levels + 1);
    expect(evtx.stats.templatesParsed).toBe(levels);
    expect(diagnostics.length).toBe(levels + 1 - records.length);
    expect(diagnostics.every((d) => d.reason.includes('templates of this chunk exceed 1048576 bytes'))).toBe(
      true,
    );
  });

  it('keeps each diagnostic once over several passes, up to maxDiagnostics', async () => {
    const chunk = buildChunk([logonRecord(1)]);
    chunk[16] = 9;
    const file = buildFile([chunk, chunk.slice()]);
    const evtx = await openEvtx(bufferSource(file), { maxDiagnostics: 1 });
    const heard: EvtxDiagnostic[] = [];
    for (let pass = 0; pass < 2; pass++)
      for await (const _ of evtx.records({ onDiagnostic: (d) => heard.push(d) }));
    expect(evtx.diagnostics).toHaveLength(1);
    expect(heard).toHaveLength(4);
    expect(evtx.stats.diagnosticsDropped).toBe(2);
  });
});

describe('passes', () => {
  it('gives each concurrent pass its own filter and diagnostic listener', async () => {
    const chunk = buildChunk([logonRecord(1, 'a', 4624), logonRecord(2, 'b', 4625)]);
    chunk[16] = 9; // a chunk header CRC mismatch both passes report
    const evtx = await openEvtx(bufferSource(buildFile([chunk])));
    const heardA: EvtxDiagnostic[] = [];
    const heardB: EvtxDiagnostic[] = [];
    const a = evtx.records({ eventIds: [4624], onDiagnostic: (d) => heardA.push(d) });
    const b = evtx.records({ eventIds: [4625], onDiagnostic: (d) => heardB.push(d) });
    const [ra, rb] = await Promise.all([a.next(), b.next()]);
    expect([ra.value?.recordId, rb.value?.recordId]).toEqual([1, 2]);
    expect([(await a.next()).done, (await b.next()).done]).toEqual([true, true]);
    expect(kinds(heardA)).toEqual(['chunk-header-checksum']);
    expect(kinds(heardB)).toEqual(['chunk-header-checksum']);
    expect(kinds(evtx.diagnostics)).toEqual(['chunk-header-checksum']);
  });
});

describe('arguments and I/O', () => {
  it('rejects bad options with INVALID_ARGUMENT', async () => {
    const evtx = await openEvtx(bufferSource(buildFile([buildChunk([logonRecord(1)])])));
    const error = await evtx
      .records({ eventIds: [4624.5] })
      .next()
      .catch((e: unknown) => e);
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    const bad = await openEvtx(bufferSource(buildFile([])), { maxDiagnostics: -1 }).catch((e: unknown) => e);
    expect(isTriageError(bad, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('turns a failing read into IO_ERROR', async () => {
    const file = buildFile([buildChunk([logonRecord(1)])]);
    const source = bufferSource(file);
    const evtx = await openEvtx({
      ...source,
      read: async (offset, length) => {
        if (offset >= 4096) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        return source.read(offset, length);
      },
    });
    const error = await evtx
      .records()
      .next()
      .catch((e: unknown) => e);
    expect(isTriageError(error, 'IO_ERROR')).toBe(true);
  });
});
