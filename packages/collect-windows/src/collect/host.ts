/**
 * `host_info` of a Windows volume: the computer name and time zone from the
 * SYSTEM hive's current control set, the product, build and machine GUID
 * from SOFTWARE.
 */
import type { ArtifactRecord } from '@triage/artifact-schema';
import type { WindowsCollectContext, WindowsCollector } from './context.js';
import { textValue } from './values.js';

async function* collectHostInfo(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const system = await ctx.hive('SYSTEM');
  const software = await ctx.hive('SOFTWARE');
  if (system === null && software === null) {
    ctx.log('no SYSTEM or SOFTWARE hive: no host_info');
    return;
  }
  const controlSet = await ctx.controlSet();
  const inSystem = (path: string) =>
    system === null || controlSet === null
      ? Promise.resolve(undefined)
      : system.hive.key(`${controlSet}\\${path}`);
  const hostname =
    (await textValue(await inSystem('Control\\ComputerName\\ComputerName'), 'ComputerName')) ??
    (await textValue(await inSystem('Services\\Tcpip\\Parameters'), 'Hostname'));
  const timezone = await textValue(await inSystem('Control\\TimeZoneInformation'), 'TimeZoneKeyName');
  const current = await software?.hive.key('Microsoft\\Windows NT\\CurrentVersion');
  const productName = await textValue(current, 'ProductName');
  const build =
    (await textValue(current, 'CurrentBuild')) ?? (await textValue(current, 'CurrentBuildNumber'));
  const machineGuid = await textValue(await software?.hive.key('Microsoft\\Cryptography'), 'MachineGuid');
  yield ctx.record('host_info', (system ?? software)?.file.path ?? '', {
    hostname,
    os_id: 'windows',
    os_name: productName,
    os_version: build,
    kernel_release: null,
    machine_id: machineGuid,
    boot_time: null,
    timezone,
    live: ctx.live,
  });
}

/** `host_info` from SYSTEM and SOFTWARE. */
export const hostInfoCollector: WindowsCollector = {
  name: 'host_info',
  kinds: ['host_info'],
  collect: collectHostInfo,
};
