import { describe, expect, it } from 'vitest';
import { expandAuthorizedKeysPath, parseSshdConfig } from './sshd-config.js';

describe('parseSshdConfig', () => {
  it('reads directives up to the first Match block', () => {
    const text = `# comment
Include /etc/ssh/sshd_config.d/*.conf
AuthorizedKeysFile .ssh/authorized_keys "/etc/ssh/keys/%u"  # trailing comment
PermitRootLogin=yes
   UsePAM   yes
Match User backup
  AuthorizedKeysFile /srv/backup/keys
`;
    expect(parseSshdConfig(text)).toEqual([
      { keyword: 'include', args: ['/etc/ssh/sshd_config.d/*.conf'], line: 2 },
      { keyword: 'authorizedkeysfile', args: ['.ssh/authorized_keys', '/etc/ssh/keys/%u'], line: 3 },
      { keyword: 'permitrootlogin', args: ['yes'], line: 4 },
      { keyword: 'usepam', args: ['yes'], line: 5 },
    ]);
  });

  it('ignores lines that are not directives', () => {
    expect(parseSshdConfig('\n   \n= x\n')).toEqual([]);
  });
});

describe('expandAuthorizedKeysPath', () => {
  const alice = { name: 'alice', uid: 1000, home: '/home/alice/' };

  it('expands tokens and anchors relative paths at the home', () => {
    expect(expandAuthorizedKeysPath('.ssh/authorized_keys', alice)).toBe('/home/alice/.ssh/authorized_keys');
    expect(expandAuthorizedKeysPath('/etc/ssh/keys/%u.%U', alice)).toBe('/etc/ssh/keys/alice.1000');
    expect(expandAuthorizedKeysPath('%h/.ssh/k%%', alice)).toBe('/home/alice//.ssh/k%');
  });

  it('refuses unknown tokens', () => {
    expect(expandAuthorizedKeysPath('/keys/%x', alice)).toBeNull();
    expect(expandAuthorizedKeysPath('/keys/%', alice)).toBeNull();
  });
});
