/**
 * Services and drivers: every key under the current control set's
 * `Services` that has an `ImagePath` or a `Type` (what the Service Control
 * Manager would load), and every service install the System log recorded
 * (event 7045, with its archives).
 */
import type { ArtifactRecord, ServiceStartType } from '@triage/artifact-schema';
import type { WindowsCollectContext, WindowsCollector } from './context.js';
import { channelFiles, eventRecords } from './eventlogs.js';
import { referencedProgram, startupFields } from './startup.js';
import { eventObject, eventText, keyTime, numberValue, textValue } from './values.js';

const START_TYPES: readonly ServiceStartType[] = ['boot', 'system', 'auto', 'demand', 'disabled'];

/** The `Start` value (0–4) as a start type, `auto_delayed` for 2 with `DelayedAutostart` 1; null otherwise. */
export function startTypeOf(start: number | null, delayed: number | null): ServiceStartType | null {
  if (start === null) return null;
  if (start === 2 && delayed === 1) return 'auto_delayed';
  return START_TYPES[start] ?? null;
}

/** The service type bits (`Type`) as a name: the SERVICE_* constant in snake case, `0x…` for others. */
export function serviceTypeOf(type: number | null): string | null {
  if (type === null) return null;
  const interactive = (type & 0x100) !== 0 ? '_interactive' : '';
  const base = type & ~0x100;
  const names: Readonly<Record<number, string>> = {
    1: 'kernel_driver',
    2: 'file_system_driver',
    4: 'adapter',
    8: 'recognizer_driver',
    16: 'own_process',
    32: 'share_process',
    80: 'user_own_process',
    96: 'user_share_process',
    208: 'user_own_process',
    224: 'user_share_process',
  };
  const name = names[base];
  return name === undefined ? `0x${type.toString(16)}` : `${name}${interactive}`;
}

async function* collectServices(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const system = await ctx.hive('SYSTEM');
  const controlSet = await ctx.controlSet();
  if (system === null || controlSet === null) {
    ctx.log(system === null ? 'no SYSTEM hive' : 'the SYSTEM hive has no Select\\Current control set');
    return;
  }
  const services = await system.hive.key(`${controlSet}\\Services`);
  if (!services) {
    ctx.log(`no ${controlSet}\\Services key`);
    return;
  }
  for (const key of await services.subkeys()) {
    const imagePath = await textValue(key, 'ImagePath');
    const type = await numberValue(key, 'Type');
    if (imagePath === null && type === null) continue;
    const registryKey = `HKLM\\SYSTEM\\${key.path}`;
    const start = await numberValue(key, 'Start');
    const serviceDll =
      (await textValue(await key.subkey('Parameters'), 'ServiceDll')) ?? (await textValue(key, 'ServiceDll'));
    const id = `${registryKey}`;
    if (serviceDll !== null) await referencedProgram(ctx, `"${serviceDll}"`, id);
    yield ctx.record(
      'startup_item',
      system.file.path,
      startupFields({
        mechanism: 'service',
        name: key.name,
        path: system.file.path,
        user: await textValue(key, 'ObjectName'),
        command: imagePath,
        executable: await referencedProgram(ctx, imagePath, id),
        enabled: start === null ? null : start !== 4,
        file_mtime: system.mtime,
        registry_key: registryKey,
        registry_value: imagePath === null ? null : 'ImagePath',
        key_last_written: keyTime(key),
        start_type: startTypeOf(start, await numberValue(key, 'DelayedAutostart')),
        service_type: serviceTypeOf(type),
        service_dll: serviceDll,
      }),
    );
  }
}

/** 7045's StartType text as a start type. */
function eventStartType(text: string | null): ServiceStartType | null {
  switch (text?.toLowerCase()) {
    case 'boot start':
      return 'boot';
    case 'system start':
      return 'system';
    case 'auto start':
      return 'auto';
    case 'demand start':
      return 'demand';
    case 'disabled':
      return 'disabled';
    default:
      return null;
  }
}

async function* collectServiceInstalls(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const files = await channelFiles(ctx, 'System');
  if (files.length === 0) ctx.log('no System event log');
  for (const file of files) {
    try {
      for await (const record of eventRecords(ctx, file, [7045])) {
        const data = eventObject(record.event, 'EventData');
        const name = eventText(data, 'ServiceName');
        const command = eventText(data, 'ImagePath');
        const time = eventText(eventObject(record.event, 'System'), 'TimeCreated') ?? record.writtenTime;
        yield ctx.record(
          'startup_item',
          file.path,
          startupFields({
            mechanism: 'service_install',
            name: name ?? '(unnamed)',
            path: file.path,
            user: eventText(data, 'AccountName'),
            command,
            executable: await referencedProgram(ctx, command, `7045:${name ?? ''}@${time}`),
            file_mtime: new Date(file.stats.mtimeMs).toISOString(),
            start_type: eventStartType(eventText(data, 'StartType')),
            service_type: eventText(data, 'ServiceType'),
            event_time: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(time) ? time : null,
          }),
        );
      }
    } catch (error) {
      ctx.error(file.path, error);
    }
  }
}

/** Services and drivers of the current control set. */
export const servicesCollector: WindowsCollector = {
  name: 'services',
  kinds: ['startup_item'],
  collect: collectServices,
};
/** Service installs recorded by the System log (7045). */
export const serviceInstallsCollector: WindowsCollector = {
  name: 'service_installs',
  kinds: ['startup_item'],
  collect: collectServiceInstalls,
};
