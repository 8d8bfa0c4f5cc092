import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactKind, type ArtifactRecord, assertRecord, type HostInfo } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { link, put } from '../testing/fixture-root/write.js';
import { zoneFromPath } from './host.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-host-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(kinds: ArtifactKind[], live = false) {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: kinds,
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record);
    records.push(record);
  }
  return { records, errors, logs };
}

async function hostInfo(): Promise<HostInfo> {
  const { records, errors } = await collect(['host_info']);
  expect(errors).toEqual([]);
  expect(records).toHaveLength(1);
  return records[0] as HostInfo;
}

describe('host_info', () => {
  it('describes the fixture root', async () => {
    await buildFixtureRoot(root);
    expect(await hostInfo()).toEqual({
      kind: 'host_info',
      source: '/etc/hostname',
      collected_at: FIXTURE_NOW.toISOString(),
      hostname: 'web01',
      os_id: 'ubuntu',
      os_name: 'Ubuntu 22.04.5 LTS',
      os_version: '22.04',
      kernel_release: null,
      machine_id: '5f1d2c3b4a5968778695a4b3c2d1e0f9',
      boot_time: null,
      timezone: 'Europe/Berlin',
      live: false,
    });
  });

  it('takes the zone from the /etc/localtime link when /etc/timezone is absent', async () => {
    await link(root, '/etc/localtime', '../usr/share/zoneinfo/posix/America/New_York');
    expect((await hostInfo()).timezone).toBe('America/New_York');
  });

  it('leaves the zone null when /etc/localtime is a copied file, saying so', async () => {
    await put(root, '/etc/localtime', 'TZif2...');
    const { records, logs } = await collect(['host_info']);
    expect((records[0] as HostInfo).timezone).toBeNull();
    expect(logs.some((l) => l.startsWith('host: time zone not named'))).toBe(true);
  });

  it('falls back to /usr/lib/os-release, /etc/HOSTNAME and the dbus machine id', async () => {
    await put(root, '/usr/lib/os-release', 'ID=fedora\nNAME="Fedora Linux"\nVERSION_ID=41\n');
    await put(root, '/etc/HOSTNAME', '# comment\nsuse1\n');
    await put(root, '/etc/machine-id', 'uninitialized\n');
    await put(root, '/var/lib/dbus/machine-id', 'abcdef0123456789abcdef0123456789\n');
    expect(await hostInfo()).toMatchObject({
      hostname: 'suse1',
      os_id: 'fedora',
      os_name: 'Fedora Linux',
      os_version: '41',
      machine_id: 'abcdef0123456789abcdef0123456789',
    });
  });

  it('yields nulls for an empty root, logging what was missing', async () => {
    const { records, errors, logs } = await collect(['host_info']);
    expect(errors).toEqual([]);
    expect(records[0]).toMatchObject({
      hostname: null,
      os_id: null,
      machine_id: null,
      timezone: null,
      live: false,
    });
    expect(logs).toContain('host: no os-release in /etc or /usr/lib');
  });

  it('names zones from zoneinfo paths', () => {
    expect(zoneFromPath('/usr/share/zoneinfo/Europe/Berlin')).toBe('Europe/Berlin');
    expect(zoneFromPath('../usr/share/zoneinfo/right/UTC')).toBe('UTC');
    expect(zoneFromPath('/etc/alternatives/localtime')).toBeNull();
    expect(zoneFromPath('/usr/share/zoneinfo/../../../etc/passwd')).toBeNull();
  });
});

describe('host_info on this machine (live)', () => {
  it('yields one valid record with kernel and boot time', async () => {
    const { records, errors } = await collect(['host_info'], true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
    expect(records).toHaveLength(1);
    const info = records[0] as HostInfo;
    expect(info.live).toBe(true);
    expect(info.hostname).not.toBeNull();
    expect(info.kernel_release).toMatch(/^\d+\.\d+/);
    expect(info.boot_time).not.toBeNull();
  });
});
