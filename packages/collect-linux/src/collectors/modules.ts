import type { ArtifactRecord } from '@triage/artifact-schema';
import type { Collector } from '../context.js';
import { parseProcModulesLine } from '../procfs/modules.js';

/**
 * Loaded kernel modules (`kernel_module`) from /proc/modules, live only:
 * name, size, refcount, used-by list, state and taint flags. A kernel built
 * without loadable modules has no /proc/modules: that is logged, not an
 * error. Modules hidden from /proc/modules (a rootkit's first trick) are not
 * seen here.
 */
export const modulesCollector: Collector = {
  name: 'modules',
  kinds: ['kernel_module'],
  liveOnly: true,
  async *collect(ctx): AsyncGenerator<ArtifactRecord> {
    const source = '/proc/modules';
    if ((await ctx.stat(source)) === null) {
      ctx.log('no /proc/modules: the kernel has no loadable module support');
      return;
    }
    let invalid = 0;
    for await (const line of ctx.lines(source)) {
      if (line.trim() === '') continue;
      const module = parseProcModulesLine(line);
      if (module === null) {
        invalid++;
        continue;
      }
      yield ctx.record('kernel_module', source, {
        name: module.name,
        size: module.size,
        refcount: module.refcount,
        used_by: module.usedBy,
        state: module.state,
        taint: module.taint,
      });
    }
    if (invalid > 0) ctx.log(`${source}: ${invalid} lines not understood, skipped`);
  },
};
