import { readlink } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { posix } from 'node:path';
import type { CollectContext, Collector } from '../context.js';
import { parseOsRelease } from '../parsers/accounts.js';

/** Reads a small file's first non-comment line, trimmed; null when missing, empty or unreadable (reported). */
async function firstLine(ctx: CollectContext, path: string): Promise<string | null> {
  try {
    const text = await ctx.readText(path, 64 * 1024);
    if (text === null) return null;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (line !== '' && !line.startsWith('#')) return line;
    }
    return null;
  } catch (error) {
    ctx.error(path, error);
    return null;
  }
}

/** The zone name from a path to a zoneinfo file, e.g. `../usr/share/zoneinfo/Europe/Berlin`. */
export function zoneFromPath(target: string): string | null {
  const at = target.lastIndexOf('zoneinfo/');
  if (at < 0) return null;
  const zone = target.slice(at + 'zoneinfo/'.length).replace(/^(?:posix|right)\//, '');
  return /^[A-Za-z0-9_+-]+(?:\/[A-Za-z0-9_+-]+)*$/.test(zone) ? zone : null;
}

/**
 * The host's IANA time zone: /etc/timezone (Debian), else the target of the
 * /etc/localtime symlink after `zoneinfo/`. Null when neither says (for
 * example /etc/localtime is a copied file). The logins collector reads
 * syslog's local time stamps with it.
 *
 * @param ctx - the collection context
 */
export async function readTimezone(ctx: CollectContext): Promise<string | null> {
  const file = await firstLine(ctx, '/etc/timezone');
  if (file !== null) return file;
  try {
    const etc = await ctx.hostPath('/etc');
    const target = await readlink(posix.join(etc, 'localtime'));
    return zoneFromPath(target);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // Not a symlink, or no /etc/localtime: the zone is not named anywhere.
    if (code !== 'EINVAL' && code !== 'ENOENT' && code !== 'ENOTDIR') ctx.error('/etc/localtime', error);
    return null;
  }
}

async function osRelease(ctx: CollectContext): Promise<Map<string, string>> {
  for (const path of ['/etc/os-release', '/usr/lib/os-release']) {
    try {
      const text = await ctx.readText(path, 64 * 1024);
      if (text !== null) return parseOsRelease(text);
    } catch (error) {
      ctx.error(path, error);
    }
  }
  ctx.log('no os-release in /etc or /usr/lib');
  return new Map();
}

async function machineId(ctx: CollectContext): Promise<string | null> {
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    const id = await firstLine(ctx, path);
    // "uninitialized" is systemd's placeholder before first boot completes.
    if (id !== null && id !== 'uninitialized') return id;
  }
  return null;
}

async function bootTime(ctx: CollectContext): Promise<string | null> {
  try {
    const text = await ctx.readText('/proc/stat');
    const m = /^btime (\d+)$/m.exec(text ?? '');
    return m ? new Date(Number(m[1]) * 1000).toISOString() : null;
  } catch (error) {
    ctx.error('/proc/stat', error);
    return null;
  }
}

/**
 * `host_info`: one record naming the host. Reads /etc/hostname (then
 * /etc/HOSTNAME; live, the kernel's host name as a last resort),
 * /etc/os-release (then /usr/lib/os-release), /etc/machine-id (then
 * /var/lib/dbus/machine-id), the time zone (see {@link readTimezone}) and,
 * live only, the kernel release (/proc/sys/kernel/osrelease) and boot time
 * (/proc/stat `btime`). The record's source is /etc/hostname.
 */
export const hostInfoCollector: Collector = {
  name: 'host',
  kinds: ['host_info'],
  liveOnly: false,
  async *collect(ctx) {
    let hostname = (await firstLine(ctx, '/etc/hostname')) ?? (await firstLine(ctx, '/etc/HOSTNAME'));
    if (hostname === null && ctx.live) {
      hostname = osHostname() || null;
      ctx.log('no /etc/hostname; took the running kernel host name');
    }
    const release = await osRelease(ctx);
    const timezone = await readTimezone(ctx);
    if (timezone === null) ctx.log('time zone not named by /etc/timezone or an /etc/localtime symlink');
    yield ctx.record('host_info', '/etc/hostname', {
      hostname,
      os_id: release.get('ID') || null,
      os_name: release.get('PRETTY_NAME') || release.get('NAME') || null,
      os_version: release.get('VERSION_ID') || null,
      kernel_release: ctx.live ? await firstLine(ctx, '/proc/sys/kernel/osrelease') : null,
      machine_id: await machineId(ctx),
      boot_time: ctx.live ? await bootTime(ctx) : null,
      timezone,
      live: ctx.live,
    });
  },
};
