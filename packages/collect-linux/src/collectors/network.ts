import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { ArtifactRecord } from '@triage/artifact-schema';
import type { CollectContext, Collector } from '../context.js';
import { parseProcNetLine, socketInode } from '../procfs/net.js';
import { isDenied, isGone, listPids, readLinkSafe, readProcText } from '../procfs/read.js';

/** The /proc/net files read, with what they hold. */
const TABLES = [
  { file: 'tcp', protocol: 'tcp', family: 'ipv4' },
  { file: 'tcp6', protocol: 'tcp', family: 'ipv6' },
  { file: 'udp', protocol: 'udp', family: 'ipv4' },
  { file: 'udp6', protocol: 'udp', family: 'ipv6' },
] as const;

/**
 * Which process holds each socket: scans every `/proc/[pid]/fd/*` link once
 * for `socket:[inode]`. A socket shared by several processes (a forking
 * server) is given to the lowest pid.
 *
 * @param proc - the procfs mount on this machine
 * @returns inode → pid, and how many processes' descriptors could not be read
 */
export async function socketOwners(proc: string): Promise<{ owners: Map<number, number>; denied: number }> {
  const owners = new Map<number, number>();
  let denied = 0;
  for (const pid of await listPids(proc)) {
    const fdDir = posix.join(proc, String(pid), 'fd');
    let fds: string[];
    try {
      fds = await readdir(fdDir);
    } catch (error) {
      if (isDenied(error)) denied++;
      else if (!isGone(error)) throw error;
      continue;
    }
    let linksDenied = false;
    for (const fd of fds) {
      const link = await readLinkSafe(posix.join(fdDir, fd));
      if (link.denied) linksDenied = true;
      const inode = link.target === null ? null : socketInode(link.target);
      if (inode !== null && !owners.has(inode)) owners.set(inode, pid);
    }
    if (linksDenied) denied++;
  }
  return { owners, denied };
}

/**
 * TCP and UDP sockets (`network_connection`) from /proc/net/{tcp,tcp6,udp,udp6},
 * live only. Addresses are decoded from the kernel's little-endian hex
 * (IPv6 in RFC 5952 text, IPv4-mapped as `::ffff:a.b.c.d`); the owning
 * `pid` comes from one scan of the fd links (null when no process we can
 * see holds it, e.g. TIME_WAIT or permission denied), `process_name` from
 * its `comm`. These are the sockets of the collector's network namespace;
 * containers with their own namespace are not included.
 */
export const networkCollector: Collector = {
  name: 'network',
  kinds: ['network_connection'],
  liveOnly: true,
  async *collect(ctx): AsyncGenerator<ArtifactRecord> {
    const proc = await ctx.hostPath('/proc');
    const { owners, denied } = await socketOwners(proc);
    if (denied > 0)
      ctx.log(
        `file descriptors of ${denied} processes not readable (permission denied); their sockets have no pid`,
      );
    const names = new Map<number, string | null>();
    const nameOf = async (pid: number): Promise<string | null> => {
      if (!names.has(pid)) {
        const comm = await readProcText(posix.join(proc, String(pid), 'comm')).catch(() => null);
        names.set(pid, comm === null ? null : comm.replace(/\n$/, ''));
      }
      return names.get(pid) ?? null;
    };
    for (const table of TABLES) yield* tableRecords(ctx, table, owners, nameOf);
  },
};

async function* tableRecords(
  ctx: CollectContext,
  table: (typeof TABLES)[number],
  owners: ReadonlyMap<number, number>,
  nameOf: (pid: number) => Promise<string | null>,
): AsyncGenerator<ArtifactRecord> {
  const source = `/proc/net/${table.file}`;
  try {
    for await (const line of ctx.lines(source)) {
      const socket = parseProcNetLine(line, table.protocol);
      if (socket === null) continue;
      const pid = socket.inode === 0 ? null : (owners.get(socket.inode) ?? null);
      yield ctx.record('network_connection', source, {
        protocol: table.protocol,
        family: table.family,
        local_address: socket.localAddress,
        local_port: socket.localPort,
        remote_address: socket.remoteAddress,
        remote_port: socket.remotePort,
        state: socket.state,
        uid: socket.uid,
        inode: socket.inode,
        pid,
        process_name: pid === null ? null : await nameOf(pid),
      });
    }
  } catch (error) {
    ctx.error(source, error);
  }
}
