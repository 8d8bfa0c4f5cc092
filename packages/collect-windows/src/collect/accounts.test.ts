import type { UserAccount } from '@triage/artifact-schema';
import { assertRecord } from '@triage/artifact-schema';
import { describe, expect, it } from 'vitest';
import { expectedToolOutput, toMicroseconds } from '../testing/sample-files.js';
import { hiveOf, runCollector, windowsRoot } from '../testing/windows-root.js';
import { accountFlags, accountsCollector, machineSid, parseSamF, parseSamV } from './accounts.js';

interface ExpectedSamUser {
  readonly rid: number;
  readonly name: string;
  readonly uac: string;
  readonly logons: number;
  readonly last_logon: string | null;
  readonly pwd_set: string | null;
  readonly last_bad: string | null;
}

const micro = (iso: string | null | undefined) => (iso ? toMicroseconds(iso) : null);
const expectedMicro = (text: string | null) => (text === null ? null : toMicroseconds(`${text}Z`));

describe('accounts: SAM users', () => {
  it.each(['SAM_plaso_win7', 'SAM_ez_xp_dupename'])(
    '%s: every user with the RID, flags, counts and times python-registry read',
    async (file) => {
      const root = await windowsRoot({ 'Windows/System32/config/SAM': { sample: `registry/${file}` } });
      const { records, errors } = await runCollector(accountsCollector, root);
      expect(errors).toEqual([]);
      const expected = (expectedToolOutput(`registry/${file}`)?.sam ?? []) as ExpectedSamUser[];
      expect(expected.length).toBeGreaterThan(2);
      const users = records as UserAccount[];
      for (const user of users) assertRecord(user);
      expect(
        users.map((u) => ({
          rid: u.rid,
          name: u.username,
          uac: `0x${(u.account_control ?? 0).toString(16)}`,
          logons: u.logon_count,
          last_logon: micro(u.last_logon),
          pwd_set: micro(u.password_last_set),
          last_bad: micro(u.last_failed_logon),
        })),
      ).toEqual(
        expected.map((e) => ({
          rid: e.rid,
          name: e.name,
          uac: e.uac,
          logons: e.logons,
          last_logon: expectedMicro(e.last_logon),
          pwd_set: expectedMicro(e.pwd_set),
          last_bad: expectedMicro(e.last_bad),
        })),
      );
      for (const user of users) {
        expect(user.source).toBe('C:\\Windows\\System32\\config\\SAM');
        expect(user.sid).toBe(`${user.sid?.split('-').slice(0, 7).join('-')}-${user.rid}`);
        expect(user.disabled).toBe(((user.account_control ?? 0) & 1) === 1);
        expect(user.uid).toBeNull();
      }
    },
  );

  it('SAM_plaso_win7: the MANIFEST facts, as records', async () => {
    const root = await windowsRoot({ 'Windows/System32/config/SAM': { sample: 'registry/SAM_plaso_win7' } });
    const users = (await runCollector(accountsCollector, root)).records as UserAccount[];
    expect(users.map((u) => [u.rid, u.username, u.disabled, u.account_flags])).toEqual([
      [500, 'Administrator', true, ['disabled', 'normal', 'password_never_expires']],
      [501, 'Guest', true, ['disabled', 'password_not_required', 'normal', 'password_never_expires']],
      [1001, 'gold_administrator', false, ['password_not_required', 'normal', 'password_never_expires']],
    ]);
    const admin = users[0] as UserAccount;
    expect(admin).toMatchObject({
      sid: 'S-1-5-21-4070822719-3404542230-2541167049-500',
      password_status: 'disabled',
      last_logon: '2014-03-18T10:20:47.3414256Z',
      password_last_set: '2014-03-18T10:20:51.0757954Z',
      last_change: '2014-03-18',
      logon_count: 3,
      comment: 'Built-in account for administering the computer/domain',
      gecos: '',
      home: null,
    });
    expect(users[2]).toMatchObject({
      password_status: 'unknown',
      logon_count: 4,
      last_logon: expect.stringMatching(/^2016-10-11T19:52:35\./),
    });
  });

  it('decodes F, V and the machine SID, and refuses what is too short', () => {
    expect(parseSamF(new Uint8Array(0x43))).toBeNull();
    const f = new Uint8Array(0x50);
    const view = new DataView(f.buffer);
    view.setBigUint64(0x08, 0n, true);
    view.setBigUint64(0x20, 0x7fffffffffffffffn, true);
    view.setUint32(0x30, 1001, true);
    view.setUint16(0x38, 0x0411, true);
    view.setUint16(0x40, 7, true);
    view.setUint16(0x42, 9, true);
    expect(parseSamF(f)).toEqual({
      lastLogon: null,
      passwordLastSet: null,
      accountExpires: null,
      lastFailedLogon: null,
      rid: 1001,
      accountControl: 0x411,
      failedLogonCount: 7,
      logonCount: 9,
    });
    expect(accountFlags(0x411)).toEqual(['disabled', 'normal', 'locked_out']);
    // A V value whose name runs past its end: null, never a read out of bounds.
    const v = new Uint8Array(0xcc + 4);
    new DataView(v.buffer).setUint32(0x0c, 0, true);
    new DataView(v.buffer).setUint32(0x10, 100, true);
    expect(parseSamV(v)).toEqual({ name: null, fullName: '', comment: '' });
    expect(machineSid(new Uint8Array(10))).toBeNull();
    expect(machineSid(new Uint8Array(24))).toBeNull();
  });
});

describe('accounts: ProfileList', () => {
  const software = hiveOf({
    'Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\S-1-5-21-4070822719-3404542230-2541167049-1001': {
      ProfileImagePath: ['expand_sz', '%SystemDrive%\\Users\\gold_administrator'],
    },
    'Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\S-1-5-18': {
      ProfileImagePath: ['expand_sz', '%systemroot%\\system32\\config\\systemprofile'],
    },
    'Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\S-1-5-21-111-222-333-1105': {
      ProfileImagePath: ['sz', 'C:\\Users\\jdoe.CORP'],
    },
    'Microsoft\\Windows NT\\CurrentVersion\\ProfileList\\not-a-sid': { ProfileImagePath: ['sz', 'C:\\x'] },
  });

  it('gives SAM accounts their profile folder, and other profiles records of their own', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SAM': { sample: 'registry/SAM_plaso_win7' },
      'Windows/System32/config/SOFTWARE': software,
    });
    const { records, errors } = await runCollector(accountsCollector, root);
    expect(errors).toEqual([]);
    const users = records as UserAccount[];
    for (const user of users) assertRecord(user);
    expect(users.map((u) => [u.username, u.rid, u.home, u.source.endsWith('SAM')])).toEqual([
      ['Administrator', 500, null, true],
      ['Guest', 501, null, true],
      ['gold_administrator', 1001, 'C:\\Users\\gold_administrator', true],
      ['SYSTEM', null, 'C:\\Windows\\system32\\config\\systemprofile', false],
      ['jdoe.CORP', 1105, 'C:\\Users\\jdoe.CORP', false],
    ]);
    expect(users[4]).toMatchObject({
      sid: 'S-1-5-21-111-222-333-1105',
      password_status: 'unknown',
      logon_count: null,
    });
  });

  it('without a SAM, still lists the profiles, and logs the missing hive', async () => {
    const root = await windowsRoot({ 'Windows/System32/config/SOFTWARE': software });
    const { records, log } = await runCollector(accountsCollector, root);
    expect(records).toHaveLength(3);
    expect(log).toContain('accounts: no readable SAM hive: local accounts not collected');
  });

  it('a SAM that is not a hive is an error entry, and the profiles still come', async () => {
    const root = await windowsRoot({
      'Windows/System32/config/SAM': 'not a hive at all',
      'Windows/System32/config/SOFTWARE': software,
    });
    const { records, errors } = await runCollector(accountsCollector, root);
    expect(errors.map((e) => [e.collector, e.code, e.path])).toEqual([
      ['accounts', 'DATA_INVALID', 'C:\\Windows\\System32\\config\\SAM'],
    ]);
    expect((records as UserAccount[]).map((u) => u.username)).toEqual([
      'gold_administrator',
      'SYSTEM',
      'jdoe.CORP',
    ]);
  });
});
