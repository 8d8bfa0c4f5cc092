import { TriageError } from '@triage/errors';
import { expect, it } from 'vitest';
import { createBaseContext } from './context.js';
import type { CollectorError } from './errors.js';

it('stamps records, prefixes log lines and turns failures into error entries for its collector', () => {
  const errors: CollectorError[] = [];
  const log: string[] = [];
  const signal = new AbortController().signal;
  const ctx = createBaseContext({
    collector: 'accounts',
    live: true,
    now: () => new Date('2026-11-23T12:00:00Z'),
    signal,
    onError: (e) => errors.push(e),
    onLog: (l) => log.push(l),
  });
  expect(ctx.live).toBe(true);
  expect(ctx.signal).toBe(signal);
  expect(ctx.now()).toBe('2026-11-23T12:00:00.000Z');
  expect(ctx.record('group', '/etc/group', { gid: 0, name: 'root', members: [] })).toEqual({
    kind: 'group',
    source: '/etc/group',
    collected_at: '2026-11-23T12:00:00.000Z',
    gid: 0,
    name: 'root',
    members: [],
  });
  ctx.log('read 3 users');
  ctx.error('/etc/shadow', Object.assign(new Error('EACCES'), { code: 'EACCES' }));
  ctx.error(undefined, new TriageError('DATA_INVALID', 'bad line'));
  expect(log).toEqual(['accounts: read 3 users']);
  expect(errors).toEqual([
    {
      collector: 'accounts',
      path: '/etc/shadow',
      code: 'PERMISSION_DENIED',
      message: 'permission denied: /etc/shadow',
    },
    { collector: 'accounts', code: 'DATA_INVALID', message: 'bad line' },
  ]);
});
