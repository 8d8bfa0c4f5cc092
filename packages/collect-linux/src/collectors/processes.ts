import { posix } from 'node:path';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { Collector } from '../context.js';
import {
  parseBootTime,
  parseCmdline,
  parseExeLink,
  parseProcStat,
  parseStatusUid,
  processStartTime,
} from '../procfs/process.js';
import { isGone, listPids, readCapped, readLinkSafe, readProcText } from '../procfs/read.js';

/** /proc/[pid]/cmdline beyond this is cut: 1 MiB. */
const MAX_CMDLINE_BYTES = 1024 * 1024;

/**
 * Running processes (`process`), from /proc on the live system only.
 *
 * Per process: `stat` (state, ppid, start ticks), `status` (real uid),
 * `comm`, `cmdline` (NUL-split; empty for kernel threads), and the `exe`
 * and `cwd` links. `start_time` is /proc/stat `btime` plus the start ticks
 * at `CLOCK_TICKS_PER_SECOND` (100, assumed: Node cannot ask sysconf).
 *
 * - A process that exits while being read is skipped silently.
 * - `exe`/`cwd` that cannot be read for permission are null, with one
 *   summary log line instead of an error per process; kernel threads have
 *   neither and get null too.
 * - `exe` loses its ` (deleted)` suffix, which sets `exe_deleted`. Every exe
 *   is referenced for `file_metadata` with `readVia: /proc/<pid>/exe`, so a
 *   deleted or replaced executable is hashed as it runs.
 *
 * Only thread-group leaders are listed (as /proc lists them).
 */
export const processesCollector: Collector = {
  name: 'processes',
  kinds: ['process'],
  liveOnly: true,
  async *collect(ctx): AsyncGenerator<ArtifactRecord> {
    const proc = await ctx.hostPath('/proc');
    let boot: number | null = null;
    try {
      boot = parseBootTime(await readProcText(posix.join(proc, 'stat')));
    } catch (error) {
      ctx.error('/proc/stat', error);
    }
    if (boot === null) ctx.log('no btime in /proc/stat; start_time is null');
    let denied = 0;
    for (const pid of await listPids(proc)) {
      const dir = posix.join(proc, String(pid));
      const source = `/proc/${pid}`;
      try {
        const stat = parseProcStat(await readProcText(posix.join(dir, 'stat')));
        if (stat === null) {
          ctx.error(
            `${source}/stat`,
            new TriageError('DATA_INVALID', `${source}/stat is not a stat line; skipped`),
          );
          continue;
        }
        const uid = parseStatusUid(await readProcText(posix.join(dir, 'status')));
        const comm = (await readProcText(posix.join(dir, 'comm'))).replace(/\n$/, '');
        const cmdline = parseCmdline(await readCapped(posix.join(dir, 'cmdline'), MAX_CMDLINE_BYTES));
        const exeLink = await readLinkSafe(posix.join(dir, 'exe'));
        const cwdLink = await readLinkSafe(posix.join(dir, 'cwd'));
        if (exeLink.denied || cwdLink.denied) denied++;
        const exe = exeLink.target === null ? null : parseExeLink(exeLink.target);
        if (exe !== null) ctx.reference(exe.path, `process:${pid}`, { readVia: `/proc/${pid}/exe` });
        yield ctx.record('process', source, {
          pid,
          ppid: stat.ppid,
          name: comm === '' ? stat.comm : comm,
          state: stat.state,
          uid,
          user: uid === null ? null : await ctx.userName(uid),
          exe: exe?.path ?? null,
          exe_deleted: exe?.deleted ?? false,
          cmdline,
          cwd: cwdLink.target,
          start_time: boot === null ? null : processStartTime(boot, stat.startTicks),
        });
      } catch (error) {
        if (isGone(error)) continue;
        ctx.error(source, error);
      }
    }
    if (denied > 0) ctx.log(`exe or cwd not readable (permission denied) for ${denied} processes; left null`);
  },
};
