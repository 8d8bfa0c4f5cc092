import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertRecord, type KernelModule } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';

describe.runIf(process.platform === 'linux')('live kernel modules', () => {
  it('lists /proc/modules when the kernel has it, else logs why there are none', async () => {
    const modules: KernelModule[] = [];
    const log: string[] = [];
    for await (const record of collectLinux({ only: ['kernel_module'], onLog: (l) => log.push(l) })) {
      assertRecord(record);
      if (record.kind === 'kernel_module') modules.push(record);
    }
    if (existsSync('/proc/modules')) {
      const lines = new Set(
        (await import('node:fs'))
          .readFileSync('/proc/modules', 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' ')[0]),
      );
      expect(new Set(modules.map((m) => m.name))).toEqual(lines);
    } else {
      expect(modules).toEqual([]);
      expect(log).toContain('modules: no /proc/modules: the kernel has no loadable module support');
    }
  });

  it('is skipped offline', async () => {
    const log: string[] = [];
    for await (const _ of collectLinux({
      root: await mkdtemp(join(tmpdir(), 'triage-empty-root-')),
      live: false,
      only: ['kernel_module'],
      onLog: (l) => log.push(l),
    })) {
      expect.unreachable();
    }
    expect(log.some((l) => l.startsWith('modules: skipped'))).toBe(true);
  });
});
