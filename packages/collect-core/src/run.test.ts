import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactKind, ArtifactRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { type BaseCollectContext, type Collector, createBaseContext } from './context.js';
import type { CollectorError } from './errors.js';
import { absentFileFields } from './file-metadata.js';
import { type CollectProgress, checkRootDirectory, runCollectors, selectKinds } from './run.js';

interface TestCollector extends Collector {
  /** Skipped by the test's `skip`. */
  readonly skipMe?: boolean;
}

const NOW = new Date('2026-11-23T12:00:00Z');

const group = (ctx: BaseCollectContext, name: string): ArtifactRecord =>
  ctx.record('group', '/etc/group', { gid: 1, name, members: [] });
const module = (ctx: BaseCollectContext, name: string): ArtifactRecord =>
  ctx.record('kernel_module', '/proc/modules', {
    name,
    size: 1,
    refcount: null,
    used_by: [],
    state: null,
    taint: null,
  });
const file = (ctx: BaseCollectContext, path: string): ArtifactRecord =>
  ctx.record('file_metadata', path, absentFileFields(path, []));

const groups: TestCollector = {
  name: 'groups',
  kinds: ['group'],
  async *collect(ctx) {
    yield group(ctx, 'a');
    ctx.error('/etc/gshadow', Object.assign(new Error('EACCES'), { code: 'EACCES' }));
    yield group(ctx, 'b');
  },
};
const broken: TestCollector = {
  name: 'broken',
  kinds: ['group'],
  async *collect(ctx) {
    yield group(ctx, 'c');
    throw new Error('parser bug\nwith a stack');
  },
};
const mixed: TestCollector = {
  name: 'mixed',
  kinds: ['group', 'kernel_module'],
  async *collect(ctx) {
    yield module(ctx, 'm');
    yield group(ctx, 'd');
  },
};
const liveOnly: TestCollector = {
  name: 'live_only',
  kinds: ['kernel_module'],
  skipMe: true,
  async *collect() {
    yield* [];
    throw new Error('must not run');
  },
};

interface Run {
  readonly records: ArtifactRecord[];
  readonly errors: CollectorError[];
  readonly log: string[];
  readonly progress: CollectProgress[];
  readonly thrown: unknown;
}

async function run(
  collectors: readonly TestCollector[],
  options: {
    only?: readonly ArtifactKind[];
    signal?: AbortSignal;
    abortAfter?: number;
    finish?: () => Promise<void>;
    /** Gets `progress:<collector>` for each progress report, beside what `finish` adds. */
    events?: string[];
  } = {},
): Promise<Run> {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const log: string[] = [];
  const progress: CollectProgress[] = [];
  const controller = new AbortController();
  let thrown: unknown;
  try {
    for await (const record of runCollectors({
      collectors,
      fileMetadata: async function* (ctx) {
        yield file(ctx, '/usr/bin/x');
      },
      only: selectKinds(options.only),
      live: false,
      now: () => NOW,
      signal: options.signal ?? controller.signal,
      context: createBaseContext,
      skip: (collector) => (collector.skipMe ? 'skipped, needs the running system' : undefined),
      ...(options.finish ? { finish: options.finish } : {}),
      onError: (e) => errors.push(e),
      onLog: (l) => log.push(l.replace(/in \d+ ms/, 'in N ms')),
      onProgress: (p) => {
        progress.push(p);
        options.events?.push(`progress:${p.collector}`);
      },
    })) {
      records.push(record);
      if (records.length === options.abortAfter) controller.abort(new Error('stop'));
    }
  } catch (error) {
    thrown = error;
  }
  return { records, errors, log, progress, thrown };
}

describe('runCollectors', () => {
  it('runs each collector isolated: a throw becomes an error entry and the next one runs', async () => {
    const result = await run([groups, broken, mixed]);
    expect(result.thrown).toBeUndefined();
    expect(result.records.map((r) => `${r.kind}:${r.kind === 'file_metadata' ? r.path : r.source}`)).toEqual([
      'group:/etc/group',
      'group:/etc/group',
      'group:/etc/group',
      'kernel_module:/proc/modules',
      'group:/etc/group',
      'file_metadata:/usr/bin/x',
    ]);
    expect(result.errors).toEqual([
      {
        collector: 'groups',
        path: '/etc/gshadow',
        code: 'PERMISSION_DENIED',
        message: 'permission denied: /etc/gshadow',
      },
      { collector: 'broken', code: 'INTERNAL', message: 'parser bug' },
    ]);
    expect(result.log).toEqual([
      'groups: 2 records in N ms',
      'broken: 1 records in N ms',
      'mixed: 2 records in N ms',
      'file_metadata: 1 records in N ms',
    ]);
    expect(result.progress).toEqual([
      { collector: 'groups', records: 0, errors: 0 },
      { collector: 'broken', records: 2, errors: 1 },
      { collector: 'mixed', records: 3, errors: 2 },
      { collector: 'file_metadata', records: 5, errors: 2 },
      { collector: 'done', records: 6, errors: 2 },
    ]);
  });

  it('keeps to the kinds asked for, runs no collector without one, and file_metadata only when asked', async () => {
    const modules = await run([groups, mixed], { only: ['kernel_module'] });
    expect(modules.records.map((r) => r.kind)).toEqual(['kernel_module']);
    expect(modules.progress.map((p) => p.collector)).toEqual(['mixed', 'done']);
    const files = await run([groups, mixed], { only: ['file_metadata'] });
    expect(files.records.map((r) => r.kind)).toEqual(['file_metadata']);
    expect(files.progress.map((p) => p.collector)).toEqual(['file_metadata', 'done']);
  });

  it('logs why a collector is skipped, without a progress report for it', async () => {
    const result = await run([liveOnly, groups]);
    expect(result.errors.map((e) => e.collector)).toEqual(['groups']);
    expect(result.log[0]).toBe('live_only: skipped, needs the running system');
    expect(result.progress.map((p) => p.collector)).toEqual(['groups', 'file_metadata', 'done']);
  });

  it('runs finish after the last step and before the final progress report', async () => {
    const events: string[] = [];
    const finish = async () => {
      events.push('finish');
    };
    await run([groups], { finish, events });
    expect(events).toEqual(['progress:groups', 'progress:file_metadata', 'finish', 'progress:done']);
  });

  it('stops with ABORTED when the signal fires, also from inside a collector, without finishing', async () => {
    let finished = false;
    const finish = async () => {
      finished = true;
    };
    const stopped = await run([groups, mixed], { abortAfter: 1, finish });
    expect(stopped.thrown).toMatchObject({ code: 'ABORTED', message: 'collection was aborted' });
    expect(stopped.records).toHaveLength(1);
    expect(stopped.progress.map((p) => p.collector)).toEqual(['groups']);
    const aborting: TestCollector = {
      name: 'aborting',
      kinds: ['group'],
      async *collect() {
        yield* [];
        throw new TriageError('ABORTED', 'collection was aborted');
      },
    };
    const inside = await run([aborting, groups], { finish });
    expect(inside.thrown).toMatchObject({ code: 'ABORTED' });
    expect(inside.errors).toEqual([]);
    const already = new AbortController();
    already.abort();
    const before = await run([groups], { signal: already.signal, finish });
    expect(before.thrown).toMatchObject({ code: 'ABORTED' });
    expect(before.progress).toEqual([]);
    expect(finished).toBe(false);
  });
});

describe('selectKinds', () => {
  it('is undefined for all kinds, a set of the kinds asked for otherwise', () => {
    expect(selectKinds(undefined)).toBeUndefined();
    expect([...(selectKinds(['group', 'execution_evidence', 'group']) ?? [])]).toEqual([
      'group',
      'execution_evidence',
    ]);
  });

  it('refuses a kind the schema does not have', () => {
    expect(() => selectKinds(['group', 'registry_key' as ArtifactKind])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('checkRootDirectory', () => {
  it('accepts a directory and refuses a file or a missing path with NOT_FOUND and the hint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'triage-core-root-'));
    try {
      await writeFile(join(dir, 'file'), 'x');
      await expect(checkRootDirectory(dir, 'give the mount point')).resolves.toBeUndefined();
      for (const bad of [join(dir, 'file'), join(dir, 'missing')]) {
        await expect(checkRootDirectory(bad, 'give the mount point')).rejects.toMatchObject({
          code: 'NOT_FOUND',
          message: `the root ${bad} is not a directory; give the mount point`,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
