import { describe, expect, it } from 'vitest';
import {
  parseGroupLine,
  parseOsRelease,
  parsePasswdLine,
  parseShadowLine,
  passwordStatus,
  shadowDate,
} from './accounts.js';

const HASH = '$6$FAKESALTunit$FAKEHASHunitEXAMPLEnotArealHashZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ';

describe('passwordStatus', () => {
  it.each([
    ['', 'empty'],
    [HASH, 'set'],
    [`!${HASH}`, 'locked'],
    [`!!${HASH}`, 'locked'],
    ['!', 'disabled'],
    ['!!', 'disabled'],
    ['*', 'disabled'],
    ['!*', 'disabled'],
    ['*LK*', 'disabled'],
  ] as const)('%j is %s', (field, status) => {
    expect(passwordStatus(field)).toBe(status);
  });
});

describe('passwd', () => {
  it('reads the seven fields', () => {
    expect(parsePasswdLine('alice:x:1000:1000:Alice Example,,,:/home/alice:/bin/bash')).toEqual({
      username: 'alice',
      shadowed: true,
      status: null,
      uid: 1000,
      gid: 1000,
      gecos: 'Alice Example,,,',
      home: '/home/alice',
      shell: '/bin/bash',
    });
  });

  it('classifies a password kept in passwd itself, without keeping it', () => {
    const entry = parsePasswdLine(`old:${HASH}:1001:1001::/home/old:/bin/sh`);
    expect(entry).toMatchObject({ shadowed: false, status: 'set' });
    expect(JSON.stringify(entry)).not.toContain('FAKEHASH');
    expect(parsePasswdLine('toor::0:0::/root:/bin/sh')).toMatchObject({
      shadowed: false,
      status: 'empty',
      uid: 0,
    });
  });

  it('skips blanks, comments and NIS entries', () => {
    for (const line of ['', '   ', '# comment', '+::::::', '-@badguys::::::', '+alice']) {
      expect(parsePasswdLine(line)).toBeNull();
    }
  });

  it('reports malformed lines without their content', () => {
    expect(parsePasswdLine('alice:x:1000:1000:/home/alice:/bin/bash')).toEqual({
      problem: 'expected 7 fields, found 6',
    });
    expect(parsePasswdLine('alice:x:10a0:1000::/home/alice:/bin/bash')).toEqual({
      problem: 'uid or gid is not an integer',
    });
    expect(parsePasswdLine(':x:1:1::/:/bin/sh')).toEqual({ problem: 'empty user name' });
    expect(parsePasswdLine('big:x:99999999999:1::/:/bin/sh')).toMatchObject({ problem: expect.any(String) });
  });
});

describe('shadow', () => {
  it('reads status and aging, never the hash', () => {
    const entry = parseShadowLine(`bob:!${HASH}:20416:0:99999:7:30:20849:`);
    expect(entry).toEqual({
      username: 'bob',
      status: 'locked',
      lastChange: '2025-11-24',
      minDays: 0,
      maxDays: 99999,
      warnDays: 7,
      inactiveDays: 30,
      expires: '2027-01-31',
    });
    expect(JSON.stringify(entry)).not.toContain('FAKE');
  });

  it('maps empty aging fields to null', () => {
    expect(parseShadowLine('sshd:!*:20401::::::')).toEqual({
      username: 'sshd',
      status: 'disabled',
      lastChange: '2025-11-09',
      minDays: null,
      maxDays: null,
      warnDays: null,
      inactiveDays: null,
      expires: null,
    });
    expect(parseShadowLine('short:*')).toMatchObject({ status: 'disabled', lastChange: null });
  });

  it('reports malformed lines without the hash', () => {
    const problem = parseShadowLine(`alice:${HASH}:1:2:3:4:5:6:7:8:9`);
    expect(problem).toEqual({ problem: 'expected 9 fields, found 11' });
    expect(parseShadowLine('alice')).toEqual({ problem: 'expected 9 fields, found 1' });
    expect(parseShadowLine(`:${HASH}:1::::::`)).toEqual({ problem: 'empty user name' });
  });

  it('converts shadow days to dates', () => {
    expect(shadowDate('0')).toBe('1970-01-01');
    expect(shadowDate('20779')).toBe('2026-11-22');
    expect(shadowDate('')).toBeNull();
    expect(shadowDate('-1')).toBeNull();
    expect(shadowDate('x')).toBeNull();
    expect(shadowDate('99999999')).toBeNull();
  });
});

describe('group', () => {
  it('reads members', () => {
    expect(parseGroupLine('sudo:x:27:alice, sysupdate,')).toEqual({
      name: 'sudo',
      gid: 27,
      members: ['alice', 'sysupdate'],
    });
    expect(parseGroupLine('root:x:0:')).toEqual({ name: 'root', gid: 0, members: [] });
  });

  it('reports malformed lines', () => {
    expect(parseGroupLine('sudo:x:27')).toEqual({ problem: 'expected 4 fields, found 3' });
    expect(parseGroupLine('sudo:x:g:')).toEqual({ problem: 'gid is not an integer' });
    expect(parseGroupLine('# x')).toBeNull();
  });
});

describe('os-release', () => {
  it('reads quoted and unquoted values with escapes', () => {
    const vars = parseOsRelease(
      'PRETTY_NAME="Ubuntu 22.04.5 LTS"\nID=ubuntu\n# comment\nVERSION_ID=\'22.04\'\nX="a \\"b\\" \\$c"\nbad line\n',
    );
    expect(Object.fromEntries(vars)).toEqual({
      PRETTY_NAME: 'Ubuntu 22.04.5 LTS',
      ID: 'ubuntu',
      VERSION_ID: '22.04',
      X: 'a "b" $c',
    });
  });
});
