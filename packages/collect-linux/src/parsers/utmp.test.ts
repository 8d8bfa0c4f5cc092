import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIpv4, formatIpv6 } from './ip.js';
import { encodeLastlog, LASTLOG_RECORD_SIZE, parseLastlog, parseLastlogRecord } from './lastlog.js';
import { encodeUtmp, parseUtmp, parseUtmpRecord, UTMP_RECORD_SIZE, UtmpType } from './utmp.js';

const v6 = (text: string) => {
  // Test helper: expand a full, uncompressed 8-group address to bytes.
  const out = new Uint8Array(16);
  text.split(':').forEach((group, i) => {
    const n = Number.parseInt(group, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
};

describe('utmp', () => {
  const login = {
    type: UtmpType.USER_PROCESS,
    pid: 2001,
    line: 'pts/0',
    id: 'ts/0',
    user: 'alice',
    host: '203.0.113.10',
    seconds: 1_795_000_000,
    microseconds: 250_000,
    session: 7,
    address: Uint8Array.of(203, 0, 113, 10),
  };

  it('is 384 bytes a record, fields at the glibc x86_64 offsets', () => {
    const bytes = encodeUtmp([login]);
    expect(bytes.length).toBe(UTMP_RECORD_SIZE);
    const view = new DataView(bytes.buffer);
    expect(view.getInt16(0, true)).toBe(7);
    expect(view.getInt32(4, true)).toBe(2001);
    expect(new TextDecoder().decode(bytes.subarray(8, 13))).toBe('pts/0');
    expect(new TextDecoder().decode(bytes.subarray(44, 49))).toBe('alice');
    expect(new TextDecoder().decode(bytes.subarray(76, 88))).toBe('203.0.113.10');
    expect(view.getInt32(336, true)).toBe(7);
    expect(view.getUint32(340, true)).toBe(1_795_000_000);
    expect(view.getInt32(344, true)).toBe(250_000);
    expect([...bytes.subarray(348, 352)]).toEqual([203, 0, 113, 10]);
  });

  it('decodes a login with an IPv4 address', () => {
    expect(parseUtmpRecord(encodeUtmp([login]))).toEqual({
      type: 7,
      pid: 2001,
      line: 'pts/0',
      id: 'ts/0',
      user: 'alice',
      host: '203.0.113.10',
      exitTermination: 0,
      exitStatus: 0,
      session: 7,
      seconds: 1_795_000_000,
      microseconds: 250_000,
      address: '203.0.113.10',
    });
  });

  it('decodes IPv6 addresses, compressed per RFC 5952', () => {
    const entry = (address: Uint8Array) => parseUtmpRecord(encodeUtmp([{ ...login, address }]))?.address;
    expect(entry(v6('2001:0db8:0000:0000:0000:0000:0000:0005'))).toBe('2001:db8::5');
    expect(entry(v6('fe80:0000:0000:0000:0211:22ff:fe33:4455'))).toBe('fe80::211:22ff:fe33:4455');
    expect(entry(v6('0000:0000:0000:0000:0000:ffff:c000:0201'))).toBe('::ffff:192.0.2.1');
    expect(entry(new Uint8Array(16))).toBeNull();
  });

  it('keeps fields that fill their whole width (no NUL)', () => {
    const user = 'u'.repeat(32);
    const parsed = parseUtmpRecord(
      encodeUtmp([{ ...login, user, line: 'l'.repeat(32), host: 'h'.repeat(256) }]),
    );
    expect(parsed?.user).toBe(user);
    expect(parsed?.line).toHaveLength(32);
    expect(parsed?.host).toHaveLength(256);
  });

  it('reads seconds unsigned, so times after 2038 stay meaningful', () => {
    expect(parseUtmpRecord(encodeUtmp([{ ...login, seconds: 2 ** 31 + 5 }]))?.seconds).toBe(2 ** 31 + 5);
  });

  it('keeps the whole records of a truncated file and counts the tail', () => {
    const two = encodeUtmp([login, { type: UtmpType.DEAD_PROCESS, line: 'pts/0', seconds: 1_795_000_100 }]);
    const cut = two.subarray(0, UTMP_RECORD_SIZE + 100);
    const result = parseUtmp(cut);
    expect(result.entries.map((e) => e.user)).toEqual(['alice']);
    expect(result.trailingBytes).toBe(100);
    expect(result.invalidOffsets).toEqual([]);
  });

  it('reports records that cannot be utmp (unknown type, bad µs) and keeps the rest', () => {
    const bytes = encodeUtmp([login, login, login]);
    new DataView(bytes.buffer).setInt16(UTMP_RECORD_SIZE, 0x4141, true);
    new DataView(bytes.buffer).setInt32(2 * UTMP_RECORD_SIZE + 344, 1_000_000, true);
    const result = parseUtmp(bytes, 1000);
    expect(result.entries).toHaveLength(1);
    expect(result.entries[0]?.offset).toBe(1000);
    expect(result.invalidOffsets).toEqual([1000 + UTMP_RECORD_SIZE, 1000 + 2 * UTMP_RECORD_SIZE]);
  });

  it('returns null for fewer than 384 bytes', () => {
    expect(parseUtmpRecord(new Uint8Array(383))).toBeNull();
    expect(parseUtmp(new Uint8Array(0))).toEqual({ entries: [], invalidOffsets: [], trailingBytes: 0 });
  });

  it('decodes invalid UTF-8 with replacement characters rather than failing', () => {
    const bytes = encodeUtmp([login]);
    bytes.set([0xff, 0xfe], 44);
    expect(parseUtmpRecord(bytes)?.user).toBe('\uFFFD\uFFFDice');
  });

  it('refuses to encode a field too long for its width', () => {
    expect(() => encodeUtmp([{ ...login, user: 'x'.repeat(33) }])).toThrow(RangeError);
  });
});

describe('ip', () => {
  it('formats IPv4 and IPv6 forms', () => {
    expect(formatIpv4(Uint8Array.of(10, 0, 0, 1))).toBe('10.0.0.1');
    expect(formatIpv6(v6('0000:0000:0000:0000:0000:0000:0000:0001'))).toBe('::1');
    expect(formatIpv6(v6('2001:0db8:0000:0001:0000:0000:0000:0001'))).toBe('2001:db8:0:1::1');
    // A single zero group is not compressed; of two equal runs the first is.
    expect(formatIpv6(v6('2001:0db8:0000:0001:0001:0001:0001:0001'))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(v6('2001:0000:0000:0001:0000:0000:0001:0001'))).toBe('2001::1:0:0:1:1');
    expect(formatIpv6(v6('2001:0db8:0000:0000:0001:0000:0000:0000'))).toBe('2001:db8:0:0:1::');
  });
});

describe('lastlog', () => {
  const entries = [
    { uid: 0, seconds: 1_795_000_000, line: 'pts/1', host: '2001:db8::5' },
    { uid: 3, seconds: 1_790_000_000, line: 'tty1', host: '' },
  ];

  it('is 292 bytes a uid, a record at uid × 292', () => {
    const bytes = encodeLastlog(entries);
    expect(bytes.length).toBe(4 * LASTLOG_RECORD_SIZE);
    expect(new DataView(bytes.buffer).getUint32(3 * LASTLOG_RECORD_SIZE, true)).toBe(1_790_000_000);
    expect(new TextDecoder().decode(bytes.subarray(3 * 292 + 4, 3 * 292 + 8))).toBe('tty1');
    expect(new TextDecoder().decode(bytes.subarray(36, 47))).toBe('2001:db8::5');
  });

  it('yields uids that logged in, skipping zero records', () => {
    expect(parseLastlog(encodeLastlog(entries))).toEqual({ entries, trailingBytes: 0 });
  });

  it('numbers records from firstUid for a slice', () => {
    const bytes = encodeLastlog(entries).subarray(3 * LASTLOG_RECORD_SIZE);
    expect(parseLastlog(bytes, 3).entries).toEqual([entries[1]]);
  });

  it('keeps whole records of a truncated file and counts the tail', () => {
    const bytes = encodeLastlog(entries);
    const result = parseLastlog(bytes.subarray(0, bytes.length - 10));
    expect(result.entries).toEqual([entries[0]]);
    expect(result.trailingBytes).toBe(LASTLOG_RECORD_SIZE - 10);
  });

  it('reads one record at an offset, null for never or short', () => {
    const bytes = encodeLastlog(entries);
    expect(parseLastlogRecord(bytes, 3, 3 * LASTLOG_RECORD_SIZE)).toEqual(entries[1]);
    expect(parseLastlogRecord(bytes, 1, LASTLOG_RECORD_SIZE)).toBeNull();
    expect(parseLastlogRecord(bytes, 3, 3 * LASTLOG_RECORD_SIZE + 1)).toBeNull();
  });
});

describe('utmp against util-linux', () => {
  // util-linux is part of every Linux base system this runs on; a missing utmpdump fails, never skips.
  const utmpdump = ['/usr/bin/utmpdump', '/bin/utmpdump'].find((p) => existsSync(p));

  it('parses what `utmpdump -r` writes, the bytes glibc tools produce', () => {
    expect(utmpdump, 'utmpdump (util-linux) is needed for this test').toBeDefined();
    const text = [
      '[2] [00000] [~~  ] [reboot  ] [~           ] [6.1.0-18-amd64      ] [0.0.0.0        ] [2026-11-20T08:00:03,000000+00:00]',
      '[7] [02001] [ts/0] [alice   ] [pts/0       ] [203.0.113.10        ] [203.0.113.10   ] [2026-11-20T09:15:02,250000+00:00]',
      '[7] [07042] [ts/1] [sysupdate] [pts/1       ] [2001:db8::5         ] [2001:db8::5    ] [2026-11-22T02:13:05,000000+00:00]',
      '[8] [02001] [ts/0] [        ] [pts/0       ] [                    ] [0.0.0.0        ] [2026-11-20T09:45:30,000000+00:00]',
      '',
    ].join('\n');
    const bytes = new Uint8Array(execFileSync(utmpdump as string, ['-r'], { input: text }));
    const result = parseUtmp(bytes);
    expect(result.trailingBytes).toBe(0);
    expect(
      result.entries.map((e) => [
        e.type,
        e.pid,
        e.id,
        e.user,
        e.line,
        e.host,
        e.address,
        e.seconds,
        e.microseconds,
      ]),
    ).toEqual([
      // utmpdump keeps the padding of a 4-character id field it reads back.
      [2, 0, '~~  ', 'reboot', '~', '6.1.0-18-amd64', null, Date.parse('2026-11-20T08:00:03Z') / 1000, 0],
      [
        7,
        2001,
        'ts/0',
        'alice',
        'pts/0',
        '203.0.113.10',
        '203.0.113.10',
        Date.parse('2026-11-20T09:15:02Z') / 1000,
        250000,
      ],
      [
        7,
        7042,
        'ts/1',
        'sysupdate',
        'pts/1',
        '2001:db8::5',
        '2001:db8::5',
        Date.parse('2026-11-22T02:13:05Z') / 1000,
        0,
      ],
      [8, 2001, 'ts/0', '', 'pts/0', '', null, Date.parse('2026-11-20T09:45:30Z') / 1000, 0],
    ]);
  });
});
