import { describe, expect, it } from 'vitest';
import { FIXTURE_KEYS } from '../testing/fixture-root/accounts-user-files.js';
import { parseAuthorizedKeyLine, parseKnownHostLine, sshFingerprint } from './ssh-keys.js';

const { alice, admin, attacker, bastionHost, dbHost } = FIXTURE_KEYS;

describe('fingerprints', () => {
  it.each(Object.entries(FIXTURE_KEYS))('%s matches ssh-keygen -l', (_, { key, fingerprint }) => {
    const blob = Buffer.from(key.split(' ')[1] as string, 'base64');
    expect(sshFingerprint(blob)).toBe(fingerprint);
  });
});

describe('authorized_keys', () => {
  it('reads a key without options', () => {
    expect(parseAuthorizedKeyLine(`${alice.key} alice@laptop`)).toEqual({
      keyType: 'ssh-ed25519',
      blob: alice.key.split(' ')[1],
      fingerprint: alice.fingerprint,
      comment: 'alice@laptop',
      options: null,
    });
    expect(parseAuthorizedKeyLine(`  ${admin.key}`)).toMatchObject({ comment: null, options: null });
  });

  it('keeps a comment with spaces whole', () => {
    expect(parseAuthorizedKeyLine(`${alice.key}   Alice  (laptop) `)).toMatchObject({
      comment: 'Alice  (laptop)',
    });
  });

  it('reads options with quoted commas, spaces and escaped quotes', () => {
    const options = 'from="198.51.100.0/24,2001:db8::/32",command="/bin/sh -c \\"a; exec $SHELL\\"",no-pty';
    expect(parseAuthorizedKeyLine(`${options} ${attacker.key} x@kali`)).toMatchObject({
      options,
      keyType: 'ssh-ed25519',
      fingerprint: attacker.fingerprint,
      comment: 'x@kali',
    });
    expect(parseAuthorizedKeyLine(`restrict,pty\t${admin.key}`)).toMatchObject({ options: 'restrict,pty' });
  });

  it('skips blanks and comments', () => {
    expect(parseAuthorizedKeyLine('')).toBeNull();
    expect(parseAuthorizedKeyLine('   ')).toBeNull();
    expect(parseAuthorizedKeyLine(`# ${alice.key}`)).toBeNull();
  });

  it.each([
    ['command="unterminated ssh-ed25519 AAAA', 'unterminated quote in options'],
    ['no-pty', 'options but no key'],
    ['no-pty notakey AAAA', 'no key type where one was expected'],
    ['ssh-ed25519', 'no key data after the key type'],
    ['ssh-ed25519 not*base64', 'key data is not base64'],
    ['ssh-ed25519 AAAA', 'key data is too short'],
    [`ssh-rsa ${alice.key.split(' ')[1]}`, 'key data does not match the key type'],
    ['2048 65537 1234567 old-ssh1-key', 'no key type where one was expected'],
  ])('reports %j as a problem', (line, problem) => {
    expect(parseAuthorizedKeyLine(line)).toEqual({ problem });
  });
});

describe('known_hosts', () => {
  it('reads plain, hashed and bracketed host patterns', () => {
    expect(parseKnownHostLine(`[bastion.example.com]:2222,198.51.100.7 ${bastionHost.key}`)).toEqual({
      marker: null,
      hosts: '[bastion.example.com]:2222,198.51.100.7',
      hashed: false,
      keyType: 'ssh-rsa',
      blob: bastionHost.key.split(' ')[1],
      fingerprint: bastionHost.fingerprint,
      comment: null,
    });
    expect(
      parseKnownHostLine(`|1|MX/KDy1uTiedEp2Vu706aWuBKdM=|+CMs+4SUleRqMsutGCdlhitohfA= ${dbHost.key}`),
    ).toMatchObject({ hashed: true, fingerprint: dbHost.fingerprint });
  });

  it('reads markers', () => {
    expect(parseKnownHostLine(`@cert-authority *.example.com ${alice.key} CA`)).toMatchObject({
      marker: '@cert-authority',
      hosts: '*.example.com',
      comment: 'CA',
    });
    expect(parseKnownHostLine(`@revoked * ${admin.key}`)).toMatchObject({ marker: '@revoked', hosts: '*' });
  });

  it('reports malformed lines', () => {
    expect(parseKnownHostLine(`@trusted host ${alice.key}`)).toEqual({ problem: 'unknown marker' });
    expect(parseKnownHostLine('@revoked')).toEqual({ problem: 'no host patterns' });
    expect(parseKnownHostLine('host.example.com')).toEqual({ problem: 'no key type where one was expected' });
    expect(parseKnownHostLine('host 2048 35 12345')).toEqual({
      problem: 'no key type where one was expected',
    });
    expect(parseKnownHostLine('# comment')).toBeNull();
  });
});
