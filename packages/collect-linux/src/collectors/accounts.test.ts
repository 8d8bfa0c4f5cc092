import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ARTIFACT_KINDS,
  type ArtifactKind,
  type ArtifactRecord,
  assertRecord,
  type UserAccount,
} from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';
import { type CollectContext, createContext } from '../context.js';
import { FIXTURE_SHADOW_HASHES } from '../testing/fixture-root/accounts.js';
import { buildFixtureRoot, FIXTURE_NOW } from '../testing/fixture-root/index.js';
import { put } from '../testing/fixture-root/write.js';
import { accountsCollector } from './accounts.js';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'triage-accounts-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(kinds: readonly ArtifactKind[], live = false) {
  const records: ArtifactRecord[] = [];
  const errors: CollectorError[] = [];
  const logs: string[] = [];
  for await (const record of collectLinux({
    ...(live ? {} : { root, live: false }),
    only: kinds,
    now: () => FIXTURE_NOW,
    onError: (e) => errors.push(e),
    onLog: (l) => logs.push(l),
  })) {
    assertRecord(record);
    records.push(record);
  }
  return { records, errors, logs };
}

const users = (records: ArtifactRecord[]) =>
  records.filter((r): r is UserAccount => r.kind === 'user_account');

describe('user_account and group over the fixture root', () => {
  it('classifies every password without the hash', async () => {
    await buildFixtureRoot(root);
    const { records, errors } = await collect(['user_account', 'group']);
    expect(errors).toEqual([]);
    expect(Object.fromEntries(users(records).map((u) => [u.username, [u.uid, u.password_status]]))).toEqual({
      root: [0, 'disabled'],
      daemon: [1, 'disabled'],
      'www-data': [33, 'disabled'],
      sshd: [105, 'disabled'],
      alice: [1000, 'set'],
      bob: [1001, 'locked'],
      sysupdate: [0, 'empty'],
    });
    expect(users(records).find((u) => u.username === 'bob')).toMatchObject({
      last_change: '2025-11-24',
      inactive_days: 30,
      expires: '2027-01-31',
    });
    expect(records.filter((r) => r.kind === 'group')).toHaveLength(6);
  });

  it('never lets a shadow hash into a record, error or log line of any collector', async () => {
    await buildFixtureRoot(root);
    // A malformed shadow line holding a hash too.
    await put(
      root,
      '/etc/shadow',
      `${FIXTURE_SHADOW_HASHES[0]}\nx:${FIXTURE_SHADOW_HASHES[1]}:1:2:3:4:5:6:7:8:9\n`,
    );
    const { records, errors, logs } = await collect(ARTIFACT_KINDS);
    expect(records.length).toBeGreaterThan(0);
    expect(errors.length).toBeGreaterThan(0);
    const everything = JSON.stringify({ records, errors, logs });
    for (const hash of FIXTURE_SHADOW_HASHES) {
      expect(everything).not.toContain(hash);
      expect(everything).not.toContain(hash.split('$')[3]);
    }
    expect(everything).not.toContain('FAKEHASH');
  });
});

describe('user_account edge cases', () => {
  it('reports malformed lines by number only and goes on', async () => {
    const secret = FIXTURE_SHADOW_HASHES[0];
    await put(
      root,
      '/etc/passwd',
      'root:x:0:0:root:/root:/bin/bash\nbroken line\nalice:x:1000:1000::/home/alice:/bin/sh\n',
    );
    await put(root, '/etc/shadow', `root:${secret}:20000:0:99999:7:::\nalice:${secret}\n`);
    await put(root, '/etc/group', 'root:x:0:\nwheel:x:notanumber:\n');
    const { records, errors } = await collect(['user_account', 'group']);
    expect(users(records).map((u) => [u.username, u.password_status])).toEqual([
      ['root', 'set'],
      ['alice', 'set'],
    ]);
    expect(errors).toEqual([
      {
        collector: 'accounts',
        code: 'DATA_INVALID',
        path: '/etc/passwd',
        message: '/etc/passwd line 2: expected 7 fields, found 1; skipped',
      },
      {
        collector: 'accounts',
        code: 'DATA_INVALID',
        path: '/etc/group',
        message: '/etc/group line 2: gid is not an integer; skipped',
      },
    ]);
  });

  it('is unknown without a shadow entry or without shadow, and honours a hash in passwd', async () => {
    await put(root, '/etc/passwd', 'a:x:1:1::/:/bin/sh\nb::2:2::/:/bin/sh\nc:*:3:3::/:/bin/sh\n+::::::\n');
    const { records, logs } = await collect(['user_account']);
    expect(users(records).map((u) => u.password_status)).toEqual(['unknown', 'empty', 'disabled']);
    expect(logs).toContain('accounts: no /etc/shadow; password status unknown');
    expect(logs).toContain('accounts: /etc/passwd: 1 NIS compatibility entries not expanded');
  });

  it('reports an unreadable shadow once and makes every status unknown', async () => {
    await buildFixtureRoot(root);
    const errors: CollectorError[] = [];
    const base = createContext({
      root,
      live: false,
      now: () => FIXTURE_NOW,
      collector: 'accounts',
      onError: (e) => errors.push(e),
      onLog: () => {},
      onReference: () => {},
      shared: {},
    });
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const ctx: CollectContext = {
      ...base,
      lines(path) {
        if (path !== '/etc/shadow') return base.lines(path);
        return {
          [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(denied) }),
        };
      },
    };
    const records: ArtifactRecord[] = [];
    for await (const record of accountsCollector.collect(ctx)) records.push(record);
    expect(new Set(users(records).map((u) => u.password_status))).toEqual(new Set(['unknown']));
    expect(users(records).every((u) => u.last_change === null)).toBe(true);
    expect(errors).toEqual([
      {
        collector: 'accounts',
        code: 'PERMISSION_DENIED',
        path: '/etc/shadow',
        message: 'permission denied: /etc/shadow',
      },
    ]);
  });
});

describe('user_account and group on this machine (live)', () => {
  it('yields valid records and no errors other than permission denied', async () => {
    const { records, errors } = await collect(['user_account', 'group'], true);
    expect(errors.filter((e) => e.code !== 'PERMISSION_DENIED')).toEqual([]);
    expect(users(records).some((u) => u.uid === 0)).toBe(true);
  });
});
