import { assertRecord, type StartupItem } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { serviceInstallsCollector, servicesCollector, serviceTypeOf, startTypeOf } from './services.js';

function items(records: readonly unknown[]): StartupItem[] {
  for (const record of records) assertRecord(record);
  return records as StartupItem[];
}

describe('services', () => {
  it('SYSTEM_regipy_win7x86: the current control set only, every key with an ImagePath or Type', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SYSTEM': { sample: 'registry/SYSTEM_regipy_win7x86.gz' },
    });
    const { records, errors } = await runCollector(servicesCollector, root);
    expect(errors).toEqual([]);
    const services = items(records);
    // MANIFEST: 467 service keys, 401 with ImagePath; the rest without a Type either are not services.
    expect(services.filter((s) => s.registry_value === 'ImagePath')).toHaveLength(401);
    expect(services.length).toBeGreaterThan(401);
    expect(services.length).toBeLessThanOrEqual(467);
    expect(services.every((s) => s.registry_key?.startsWith('HKLM\\SYSTEM\\ControlSet001\\services\\'))).toBe(
      true,
    );
    expect(services.find((s) => s.name === 'Schedule')).toMatchObject({
      mechanism: 'service',
      command: '%systemroot%\\system32\\svchost.exe -k netsvcs',
      executable: 'C:\\Windows\\system32\\svchost.exe',
      service_dll: '%systemroot%\\system32\\schedsvc.dll',
      user: 'LocalSystem',
      start_type: 'auto',
      service_type: 'share_process',
      enabled: true,
      key_last_written: '2009-07-14T04:37:09.6167690Z',
      path: 'C:\\Windows\\System32\\config\\SYSTEM',
    });
    expect(services.find((s) => s.name === 'Tcpip')).toMatchObject({
      command: 'System32\\drivers\\tcpip.sys',
      executable: 'C:\\Windows\\System32\\drivers\\tcpip.sys',
      start_type: 'boot',
      service_type: 'kernel_driver',
      user: null,
    });
  });

  it('reads Start, DelayedAutostart and Type as names, and a disabled service as not enabled', async () => {
    const system = hiveOf({
      Select: { Current: ['dword', 2] },
      'ControlSet001\\Services\\Old': {
        ImagePath: ['sz', 'C:\\old.exe'],
        Start: ['dword', 2],
        Type: ['dword', 16],
      },
      'ControlSet002\\Services\\Evil': {
        ImagePath: ['expand_sz', '%ProgramData%\\e.exe'],
        Start: ['dword', 2],
        DelayedAutostart: ['dword', 1],
        Type: ['dword', 0x110],
      },
      'ControlSet002\\Services\\Off': {
        ImagePath: ['sz', 'C:\\off.exe'],
        Start: ['dword', 4],
        Type: ['dword', 0x60],
      },
      'ControlSet002\\Services\\Shared': { Type: ['dword', 0x20] },
      'ControlSet002\\Services\\Shared\\Parameters': { ServiceDll: ['expand_sz', '%SystemRoot%\\x.dll'] },
      'ControlSet002\\Services\\NotAService': { Description: ['sz', 'config only'] },
    });
    const root = await windowsRoot({ 'Windows/System32/config/SYSTEM': system, 'Windows/x.dll': 'MZ' });
    const { records, files } = await runCollector(servicesCollector, root);
    expect(
      items(records).map((s) => [
        s.name,
        s.start_type,
        s.service_type,
        s.enabled,
        s.executable,
        s.service_dll,
      ]),
    ).toEqual([
      ['Evil', 'auto_delayed', 'own_process_interactive', true, 'C:\\ProgramData\\e.exe', null],
      ['Off', 'disabled', 'user_share_process', false, 'C:\\off.exe', null],
      ['Shared', null, 'share_process', null, null, '%SystemRoot%\\x.dll'],
    ]);
    expect(files.map((f) => [(f as { path: string }).path, (f as { exists: boolean }).exists])).toEqual([
      ['C:\\ProgramData\\e.exe', false],
      ['C:\\off.exe', false],
      ['C:\\Windows\\x.dll', true],
    ]);
  });

  it('names start and service types', () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => startTypeOf(n, null))).toEqual([
      'boot',
      'system',
      'auto',
      'demand',
      'disabled',
      null,
    ]);
    expect(startTypeOf(null, 1)).toBeNull();
    expect(serviceTypeOf(1)).toBe('kernel_driver');
    expect(serviceTypeOf(0x50)).toBe('user_own_process');
    expect(serviceTypeOf(0x1234)).toBe('0x1234');
  });
});

describe('service_installs', () => {
  it('System 7045: name, image path, start type, account and the time of the install (e2m mimikatz)', async () => {
    const root = await windowsRoot({
      'Windows/System32/winevt/Logs/System.evtx': { sample: 'evtx/System_e2m_7045_mimikatz.evtx' },
    });
    const { records, errors, files } = await runCollector(serviceInstallsCollector, root);
    expect(errors).toEqual([]);
    const installs = items(records);
    expect(installs).toHaveLength(6);
    expect(installs[0]).toMatchObject({
      mechanism: 'service_install',
      name: 'WCESERVICE',
      command: 'D:\\Service\\test.exe',
      executable: 'D:\\Service\\test.exe',
      user: 'LocalSystem',
      start_type: 'demand',
      service_type: 'user mode service',
      event_time: '2020-12-17T10:38:33.9511809Z',
      path: 'C:\\Windows\\System32\\winevt\\Logs\\System.evtx',
      registry_key: null,
    });
    // D:\ is not the collected volume: no file_metadata for it.
    expect(files.some((f) => (f as { path: string }).path.startsWith('D:'))).toBe(false);
  });

  it('System_omer_7045 and its archive: every install in both', async () => {
    const root = await windowsRoot({
      'Windows/System32/winevt/Logs/System.evtx': { sample: 'evtx/System_omer_7045.evtx.gz' },
      'Windows/System32/winevt/Logs/Archive-System-2017-07-12-00-00-00-000.evtx': {
        sample: 'evtx/System_e2m_7045_mimikatz.evtx',
      },
    });
    const installs = items((await runCollector(serviceInstallsCollector, root)).records);
    // MANIFEST counts 31 in the 3 chunks its dirty header declares; all 15 chunks hold more (see src/evtx/README.md).
    const current = installs.filter((i) => i.path.endsWith('\\System.evtx'));
    expect(current.length).toBeGreaterThanOrEqual(31);
    expect(installs.length - current.length).toBe(6);
    expect(installs.every((i) => i.event_time !== null)).toBe(true);
  });
});
