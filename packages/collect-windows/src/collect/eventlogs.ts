/**
 * Event log files of a channel and their records: `Security.evtx`, and the
 * archives Windows writes beside it when a full log is archived
 * (`Archive-Security-2024-02-05-06-17-40-113.evtx`).
 */
import { type EvtxRecord, openEvtx } from '../evtx/evtx.js';
import type { VolumeFile, WindowsCollectContext } from './context.js';

/** Where Windows keeps its event logs, below the volume root. */
export const EVENT_LOG_FOLDER = 'Windows\\System32\\winevt\\Logs';

/**
 * The files of a channel: `<name>.evtx` first, then its archives by name.
 *
 * @param ctx - the collection context
 * @param name - the file name without `.evtx`, e.g. `Security` or
 *   `Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational`
 */
export async function channelFiles(ctx: WindowsCollectContext, name: string): Promise<VolumeFile[]> {
  const current = `${name}.evtx`.toLowerCase();
  const archive = `archive-${name}-`.toLowerCase();
  const found: VolumeFile[] = [];
  const archives: VolumeFile[] = [];
  for (const file of await ctx.list(EVENT_LOG_FOLDER)) {
    if (!file.stats.isFile()) continue;
    const lower = (file.components.at(-1) ?? '').toLowerCase();
    if (lower === current) found.push(file);
    else if (lower.startsWith(archive) && lower.endsWith('.evtx')) archives.push(file);
  }
  return [...found, ...archives];
}

/**
 * The records of one log file with the given event ids, rendered; the file
 * is closed when the loop ends. Damage the parser skipped and records from
 * chunks whose checksum failed are counted in the collector's log.
 */
export async function* eventRecords(
  ctx: WindowsCollectContext,
  file: VolumeFile,
  eventIds: readonly number[],
): AsyncGenerator<EvtxRecord> {
  const source = await ctx.openSource(file);
  let flagged = 0;
  let count = 0;
  try {
    const evtx = await openEvtx(source);
    for await (const record of evtx.records({ eventIds })) {
      if (ctx.signal?.aborted) return;
      if (record.warnings.length > 0) flagged++;
      count++;
      yield record;
    }
    const damage = evtx.diagnostics.length + evtx.stats.diagnosticsDropped;
    if (damage > 0)
      ctx.log(
        `${file.path}: ${damage} damaged structures skipped (first: ${evtx.diagnostics[0]?.reason ?? 'see the parser'})`,
      );
  } finally {
    await source.close();
    if (flagged > 0)
      ctx.log(`${file.path}: ${flagged} of ${count} events come from chunks whose checksum did not verify`);
  }
}
