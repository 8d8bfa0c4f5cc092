/**
 * Shared pieces of the Windows startup item collectors: the record's
 * fields with every Windows field present (null unless set), and the
 * program of a command resolved and referenced for `file_metadata`.
 */
import type { StartupItem } from '@triage/artifact-schema';
import type { WindowsCollectContext } from './context.js';
import type { WindowsEnvironment } from './paths.js';

/** The fields of a `startup_item` below the envelope. */
export type StartupFields = Omit<StartupItem, 'kind' | 'source' | 'collected_at'>;

/**
 * A Windows startup item's fields: what `fields` gives, every other field
 * null (the v1 fields `line`, `schedule`, `enabled` included).
 */
export function startupFields(
  fields: Pick<StartupFields, 'mechanism' | 'name' | 'path'> & Partial<StartupFields>,
): StartupFields {
  // Written in the schema's field order, so records read the same as Linux ones.
  return {
    mechanism: fields.mechanism,
    name: fields.name,
    path: fields.path,
    user: fields.user ?? null,
    command: fields.command ?? null,
    executable: fields.executable ?? null,
    schedule: fields.schedule ?? null,
    enabled: fields.enabled ?? null,
    line: fields.line ?? null,
    file_mtime: fields.file_mtime ?? null,
    registry_key: fields.registry_key ?? null,
    registry_value: fields.registry_value ?? null,
    key_last_written: fields.key_last_written ?? null,
    start_type: fields.start_type ?? null,
    service_type: fields.service_type ?? null,
    service_dll: fields.service_dll ?? null,
    hidden: fields.hidden ?? null,
    event_time: fields.event_time ?? null,
  };
}

/**
 * The program a command runs, as an absolute Windows path, referenced for a
 * `file_metadata` record as `startup_item:<identifier>`.
 *
 * @returns the path, or null when it cannot be told
 */
export async function referencedProgram(
  ctx: WindowsCollectContext,
  command: string | null,
  identifier: string,
  env?: WindowsEnvironment,
): Promise<string | null> {
  if (command === null) return null;
  const program = await ctx.programPath(command, env);
  if (program !== null) ctx.reference(program, `startup_item:${identifier}`);
  return program;
}

/**
 * Whether Explorer's StartupApproved list (Windows 8 and later) lets an item
 * run: a binary value named as the item whose first byte is even (0x02,
 * 0x06) is enabled, odd (0x03, 0x07) disabled; null when the list does not
 * name it.
 */
export function approvedState(data: Uint8Array | undefined): boolean | null {
  if (data === undefined || data.length === 0) return null;
  return ((data[0] as number) & 1) === 0;
}
