import { assertRecord } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { hostInfoCollector } from './host.js';

describe('host_info', () => {
  it('SYSTEM_regipy_win7x86 and SOFTWARE_synthetic_fixture: name, zone, product and build', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SYSTEM': { sample: 'registry/SYSTEM_regipy_win7x86.gz' },
      'Windows/System32/config/SOFTWARE': { sample: 'registry/SOFTWARE_synthetic_fixture' },
    });
    const { records, errors } = await runCollector(hostInfoCollector, root);
    expect(errors).toEqual([]);
    expect(records).toHaveLength(1);
    assertRecord(records[0]);
    expect(records[0]).toMatchObject({
      hostname: 'WKS-WIN732BITA',
      os_id: 'windows',
      os_name: 'Windows 10 Pro',
      os_version: '19045',
      kernel_release: null,
      machine_id: null,
      boot_time: null,
      timezone: 'Eastern Standard Time',
      live: false,
    });
  });

  it('the machine GUID, the build number when CurrentBuild is missing, and SOFTWARE alone', async () => {
    const software = hiveOf({
      'Microsoft\\Windows NT\\CurrentVersion': {
        ProductName: ['sz', 'Windows 7 Professional'],
        CurrentBuildNumber: ['sz', '7601'],
      },
      'Microsoft\\Cryptography': { MachineGuid: ['sz', '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'] },
    });
    const { records } = await runCollector(
      hostInfoCollector,
      await windowsRoot({ 'Windows/System32/config/SOFTWARE': software }),
    );
    expect(records).toEqual([
      expect.objectContaining({
        source: 'C:\\Windows\\System32\\config\\SOFTWARE',
        hostname: null,
        os_version: '7601',
        machine_id: '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
      }),
    ]);
  });

  it('nothing, with a log line, on a volume without either hive', async () => {
    const { records, log } = await runCollector(hostInfoCollector, await windowsRoot({ 'x.txt': 'x' }));
    expect(records).toEqual([]);
    expect(log).toContain('host_info: no SYSTEM or SOFTWARE hive: no host_info');
  });
});
