import { formatIpv6 } from '../parsers/ip.js';

/**
 * Pure parsers for /proc/net/{tcp,tcp6,udp,udp6} and socket fd links.
 */

/** A socket line of /proc/net/{tcp,udp}[6], decoded. */
export interface ProcNetSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** LISTEN, ESTABLISHED, …; UDP: UNCONN or ESTABLISHED. */
  readonly state: string;
  readonly uid: number;
  /** The socket inode; 0 for sockets no process holds (TIME_WAIT). */
  readonly inode: number;
}

/** TCP states, as include/net/tcp_states.h numbers them and `ss` names them. */
export const TCP_STATES: Readonly<Record<number, string>> = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
  12: 'NEW_SYN_RECV',
};

/**
 * The state name for the `st` column. UDP has no connection states: the
 * kernel reports 07 (TCP_CLOSE) for an unconnected socket, shown as
 * `UNCONN` like `ss` does, and 01 for a connected one.
 *
 * @param hex - the `st` column, e.g. `0A`
 * @param protocol - tcp or udp
 * @returns the name; `UNKNOWN_<hex>` for a number outside the table
 */
export function socketState(hex: string, protocol: 'tcp' | 'udp'): string {
  const n = Number.parseInt(hex, 16);
  if (protocol === 'udp' && n === 0x07) return 'UNCONN';
  return TCP_STATES[n] ?? `UNKNOWN_${hex.toUpperCase()}`;
}

/** The bytes of a hex string read as 32-bit words in little-endian (host) order, as the kernel prints them. */
function wordsToBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = hex.slice(w, w + 8);
    for (let b = 6; b >= 0; b -= 2) bytes.push(Number.parseInt(word.slice(b, b + 2), 16));
  }
  return bytes;
}

/**
 * Decodes an address column of /proc/net: 8 hex digits for IPv4 (one
 * little-endian 32-bit word), 32 for IPv6 (four of them), then `:` and the
 * port in big-endian hex.
 *
 * @param column - e.g. `0100007F:0016` or `00000000000000000000000001000000:0016`
 * @returns the address text and port, or null when malformed
 */
export function decodeAddress(column: string): { readonly address: string; readonly port: number } | null {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(column);
  if (!m) return null;
  const bytes = wordsToBytes(m[1] as string);
  const address = bytes.length === 4 ? bytes.join('.') : formatIpv6(Uint8Array.from(bytes));
  return { address, port: Number.parseInt(m[2] as string, 16) };
}

/**
 * Parses one socket line of /proc/net/{tcp,tcp6,udp,udp6}
 * (`sl local rem st tx:rx tr:when retrnsmt uid timeout inode …`).
 *
 * @param line - one line
 * @param protocol - which file it came from
 * @returns the socket, or null for the header and malformed lines
 */
export function parseProcNetLine(line: string, protocol: 'tcp' | 'udp'): ProcNetSocket | null {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] as string)) return null;
  const local = decodeAddress(f[1] as string);
  const remote = decodeAddress(f[2] as string);
  const uid = Number(f[7]);
  const inode = Number(f[9]);
  if (!local || !remote || !/^[0-9A-Fa-f]{2}$/.test(f[3] as string)) return null;
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(inode)) return null;
  return {
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    state: socketState(f[3] as string, protocol),
    uid,
    inode,
  };
}

/**
 * The inode of a `/proc/[pid]/fd/N` link target when it is a socket.
 *
 * @param target - e.g. `socket:[12345]`
 * @returns the inode, or null for other kinds of file
 */
export function socketInode(target: string): number | null {
  const m = /^socket:\[(\d+)\]$/.exec(target);
  return m ? Number(m[1]) : null;
}
