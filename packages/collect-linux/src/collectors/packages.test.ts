import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ArtifactRecord, assertRecord, type InstalledPackage } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { put } from '../testing/fixture-root/write.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-packages-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(live = false) {
  const records: InstalledPackage[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: ['installed_package'],
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record as ArtifactRecord);
    records.push(record as InstalledPackage);
  }
  return { records, errors, logs };
}

const hasRpm = existsSync('/usr/bin/rpm') || existsSync('/bin/rpm');

describe('installed_package over the fixture root', () => {
  it('dates installs by .list mtime, multi-arch names included', async () => {
    await buildFixtureRoot(root);
    const { records, errors, logs } = await collect();
    expect(errors).toEqual([]);
    expect(records.map((r) => [r.name, r.status, r.install_time])).toEqual([
      ['openssh-server', 'install ok installed', '2026-08-10T06:12:44.000Z'],
      ['libc6', 'install ok installed', '2026-07-02T06:40:10.000Z'],
      ['nginx', 'install ok installed', '2025-05-19T11:03:27.000Z'],
      ['netcat-traditional', 'install ok installed', '2026-11-22T02:16:40.000Z'],
      ['telnetd', 'deinstall ok config-files', null],
    ]);
    expect(logs).toContain(
      'packages: /var/lib/dpkg/status: 1 stanzas without a Version (not installed) skipped',
    );
  });
});

describe('installed_package edge cases', () => {
  it('reports stanzas without a Package field', async () => {
    await put(root, '/var/lib/dpkg/status', 'Version: 1\n\nPackage: a\nVersion: 2\n');
    const { records, errors } = await collect();
    expect(records.map((r) => r.name)).toEqual(['a']);
    expect(errors.map((e) => e.message)).toEqual([
      '/var/lib/dpkg/status: 1 stanzas without a Package field skipped (first at line 1)',
    ]);
  });

  it.skipIf(hasRpm)('notes an rpm database it cannot read without rpm', async () => {
    await put(root, '/var/lib/rpm/rpmdb.sqlite', 'SQLite format 3\0');
    const { records, logs } = await collect();
    expect(records).toEqual([]);
    expect(logs).toContain(
      'packages: rpm database present at /var/lib/rpm but not read: no rpm binary on this machine',
    );
  });

  it('yields nothing without a package database', async () => {
    const { records, errors } = await collect();
    expect(records).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('installed_package on this machine (live)', () => {
  it('yields valid records and no errors other than permission denied', async () => {
    const { records, errors } = await collect(true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
    if (existsSync('/var/lib/dpkg/status')) expect(records.some((r) => r.manager === 'dpkg')).toBe(true);
  });
});
