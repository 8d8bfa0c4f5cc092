import { realpathSync } from 'node:fs';
import {
  type ArtifactRecord,
  assertRecord,
  type FileMetadata,
  type KernelModule,
  type NetworkConnection,
  type Process,
} from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';

const LINUX = process.platform === 'linux';

describe.runIf(LINUX)('live collection of processes, sockets and modules', () => {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const log: string[] = [];

  beforeAll(async () => {
    for await (const record of collectLinux({
      only: ['process', 'network_connection', 'kernel_module'],
      onError: (e) => errors.push(e),
      onLog: (l) => log.push(l),
    })) {
      records.push(record);
    }
  }, 60_000);

  it('yields only valid records of the kinds asked for', () => {
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(() => assertRecord(record)).not.toThrow();
      expect(['process', 'network_connection', 'kernel_module']).toContain(record.kind);
    }
    expect(errors).toEqual([]);
  });

  it('includes this process with its executable, command line and start time', () => {
    const self = records.find((r): r is Process => r.kind === 'process' && r.pid === process.pid);
    expect(self).toBeDefined();
    expect(self).toMatchObject({
      source: `/proc/${process.pid}`,
      ppid: process.ppid,
      exe: realpathSync(process.execPath),
      exe_deleted: false,
      cwd: realpathSync(process.cwd()),
      uid: process.getuid?.(),
    });
    expect(self?.cmdline[0]).toBeTruthy();
    const started = Date.parse(self?.start_time ?? '');
    expect(started).toBeLessThanOrEqual(Date.now() + 1000);
    expect(started).toBeGreaterThan(Date.now() - process.uptime() * 1000 - 5000);
  });

  it('lists kernel threads with an empty command line and no executable', () => {
    const kthreadd = records.find((r): r is Process => r.kind === 'process' && r.pid === 2);
    if (kthreadd === undefined) return; // in a PID namespace (container) pid 2 is no kernel thread
    if (kthreadd.name !== 'kthreadd') return;
    expect(kthreadd).toMatchObject({ cmdline: [], exe: null, ppid: 0 });
  });

  it('logs instead of failing when the kernel has no /proc/modules', () => {
    const modules = records.filter((r): r is KernelModule => r.kind === 'kernel_module');
    if (modules.length === 0)
      expect(log).toContain('modules: no /proc/modules: the kernel has no loadable module support');
    else for (const m of modules) expect(m.source).toBe('/proc/modules');
  });

  it('yields sockets from /proc/net', () => {
    const sockets = records.filter((r): r is NetworkConnection => r.kind === 'network_connection');
    for (const s of sockets) expect(s.source).toMatch(/^\/proc\/net\/(tcp|udp)6?$/);
  });
});

describe.runIf(LINUX)('live file metadata for running executables', () => {
  it('hashes the executable of this process through /proc/PID/exe', async () => {
    const files: FileMetadata[] = [];
    for await (const record of collectLinux({ only: ['process', 'file_metadata'] })) {
      if (record.kind === 'file_metadata') files.push(record);
    }
    const node = files.find((f) => f.referenced_by.includes(`process:${process.pid}`));
    expect(node).toMatchObject({ path: realpathSync(process.execPath), exists: true, error: null });
    expect(node?.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const f of files) expect(() => assertRecord(f)).not.toThrow();
  }, 120_000);
});
