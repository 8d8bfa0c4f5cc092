import { describe, expect, it } from 'vitest';
import { formatIpv6 as formatIpv6Bytes } from '../parsers/ip.js';
import { decodeAddress, parseProcNetLine, socketInode, socketState } from './net.js';

const formatIpv6 = (bytes: readonly number[]) => formatIpv6Bytes(Uint8Array.from(bytes));

/** Lines as the kernel prints them (captured, then trimmed to what matters). */
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   999        0 31337 1 0000000000000000 100 0 0 10 0
   1: 0F02000A:0016 0202000A:C35A 01 00000000:00000000 02:0009A2C3 00000000     0        0 40411 4 0000000000000000 20 4 29 10 -1
   2: 0F02000A:D2F0 4D7100CB:01BB 06 00000000:00000000 03:00000F3C 00000000     0        0 0 3 0000000000000000
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18823 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:B4F2 01 00000000:00000000 00:00000000 00000000  1000        0 55012 1 0000000000000000 20 4 30 10 -1
   2: 0000000000000000FFFF00000F02000A:0050 0000000000000000FFFF00004D7100CB:E1C4 01 00000000:00000000 00:00000000 00000000    33        0 55013 1 0000000000000000 20 4 30 10 -1
`;

const UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  221: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 16231 2 0000000000000000 0
  300: 0F02000A:A1B2 08080808:0035 01 00000000:00000000 00:00000000 00000000  1000        0 16300 2 0000000000000000 0
`;

const parse = (text: string, protocol: 'tcp' | 'udp') =>
  text.split('\n').flatMap((l) => {
    const s = parseProcNetLine(l, protocol);
    return s === null ? [] : [s];
  });

describe('parseProcNetLine', () => {
  it('reads IPv4 TCP sockets and skips the header', () => {
    expect(parse(TCP, 'tcp')).toEqual([
      {
        localAddress: '127.0.0.1',
        localPort: 3306,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 'LISTEN',
        uid: 999,
        inode: 31337,
      },
      {
        localAddress: '10.0.2.15',
        localPort: 22,
        remoteAddress: '10.0.2.2',
        remotePort: 50010,
        state: 'ESTABLISHED',
        uid: 0,
        inode: 40411,
      },
      {
        localAddress: '10.0.2.15',
        localPort: 54000,
        remoteAddress: '203.0.113.77',
        remotePort: 443,
        state: 'TIME_WAIT',
        uid: 0,
        inode: 0,
      },
    ]);
  });

  it('reads IPv6 sockets, including v4-mapped addresses', () => {
    expect(
      parse(TCP6, 'tcp').map((s) => [s.localAddress, s.localPort, s.remoteAddress, s.remotePort, s.state]),
    ).toEqual([
      ['::', 22, '::', 0, 'LISTEN'],
      ['::1', 8080, '::1', 46322, 'ESTABLISHED'],
      ['::ffff:10.0.2.15', 80, '::ffff:203.0.113.77', 57796, 'ESTABLISHED'],
    ]);
  });

  it('names UDP states UNCONN and ESTABLISHED', () => {
    expect(parse(UDP, 'udp').map((s) => [s.localAddress, s.localPort, s.state, s.uid])).toEqual([
      ['127.0.0.53', 53, 'UNCONN', 101],
      ['10.0.2.15', 41394, 'ESTABLISHED', 1000],
    ]);
  });

  it('rejects malformed lines', () => {
    expect(parseProcNetLine('   0: 0100007F 00000000:0000 0A 0 0 0 0 0 0', 'tcp')).toBeNull();
    expect(parseProcNetLine('   0: 0100007F:0016 00000000:0000 ZZ 0 0 0 0 0 0', 'tcp')).toBeNull();
    expect(parseProcNetLine('', 'tcp')).toBeNull();
  });
});

describe('addresses and states', () => {
  it('decodes IPv6 words in host byte order into RFC 5952 text', () => {
    // 2001:db8::1 is stored as four little-endian 32-bit words.
    expect(decodeAddress('B80D0120000000000000000001000000:01BB')).toEqual({
      address: '2001:db8::1',
      port: 443,
    });
    // fe80::5054:ff:fe12:3456, a link-local address from a MAC.
    expect(decodeAddress('000080FE00000000FF005450563412FE:0222')).toEqual({
      address: 'fe80::5054:ff:fe12:3456',
      port: 546,
    });
    expect(decodeAddress('00000000000000000000000000000000:0000')).toEqual({ address: '::', port: 0 });
    expect(decodeAddress('nothex:0000')).toBeNull();
  });

  it('compresses the longest zero run, the first of equal ones, never a single group', () => {
    const b = (...groups: number[]) => groups.flatMap((g) => [g >> 8, g & 0xff]);
    expect(formatIpv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 0))).toBe('2001:db8:0:0:1::');
    expect(formatIpv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1))).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 1))).toBe('::1');
    expect(formatIpv6(b(0xfe80, 0, 0, 0, 0, 0, 0, 0))).toBe('fe80::');
    expect(formatIpv6(b(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201))).toBe('::ffff:192.0.2.1');
  });

  it('maps TCP state codes', () => {
    expect(
      ['01', '02', '03', '04', '05', '06', '07', '08', '09', '0A', '0B', '0C'].map((h) =>
        socketState(h, 'tcp'),
      ),
    ).toEqual([
      'ESTABLISHED',
      'SYN_SENT',
      'SYN_RECV',
      'FIN_WAIT1',
      'FIN_WAIT2',
      'TIME_WAIT',
      'CLOSE',
      'CLOSE_WAIT',
      'LAST_ACK',
      'LISTEN',
      'CLOSING',
      'NEW_SYN_RECV',
    ]);
    expect(socketState('0a', 'tcp')).toBe('LISTEN');
    expect(socketState('07', 'udp')).toBe('UNCONN');
    expect(socketState('01', 'udp')).toBe('ESTABLISHED');
    expect(socketState('0d', 'tcp')).toBe('UNKNOWN_0D');
  });

  it('reads socket inodes from fd links', () => {
    expect(socketInode('socket:[12345]')).toBe(12345);
    expect(socketInode('pipe:[12345]')).toBeNull();
    expect(socketInode('/dev/null')).toBeNull();
  });
});
