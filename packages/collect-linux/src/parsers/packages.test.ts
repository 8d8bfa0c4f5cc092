import { describe, expect, it } from 'vitest';
import { type DpkgProblem, parseDpkgStatus, parseRpmLine } from './packages.js';

async function all<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('dpkg status', () => {
  it('reads stanzas, skipping continuation lines and other fields', async () => {
    const lines = `Package: openssh-server
Status: install ok installed
Architecture: amd64
Version: 1:8.9p1-3ubuntu0.10
Description: secure shell
 Version: not a field
 .

package: telnetd
status: deinstall ok config-files
version: 0.17-44build1


Package: ftp
Status: purge ok not-installed`.split('\n');
    expect(await all(parseDpkgStatus(lines))).toEqual([
      {
        name: 'openssh-server',
        version: '1:8.9p1-3ubuntu0.10',
        architecture: 'amd64',
        status: 'install ok installed',
        line: 1,
      },
      {
        name: 'telnetd',
        version: '0.17-44build1',
        architecture: null,
        status: 'deinstall ok config-files',
        line: 9,
      },
      { name: 'ftp', version: null, architecture: null, status: 'purge ok not-installed', line: 14 },
    ]);
  });

  it('reports stanzas without a Package field by line', async () => {
    const problems: DpkgProblem[] = [];
    const out = await all(
      parseDpkgStatus(['Version: 1', '', 'Package: a', 'Version: 2'], (p) => problems.push(p)),
    );
    expect(out.map((p) => p.name)).toEqual(['a']);
    expect(problems).toEqual([{ line: 1, problem: 'stanza without a Package field' }]);
  });
});

describe('rpm', () => {
  it('reads queryformat lines', () => {
    expect(parseRpmLine('openssh-server\t(none)\t8.7p1\t38.el9\tx86_64\t1795313600')).toEqual({
      name: 'openssh-server',
      version: '8.7p1-38.el9',
      architecture: 'x86_64',
      installTime: 1795313600,
    });
    expect(parseRpmLine('bind\t32\t9.16.23\t18.el9\tx86_64\t1795313600')?.version).toBe('32:9.16.23-18.el9');
    expect(
      parseRpmLine('gpg-pubkey\t(none)\tfd431d51\t4ae0493b\t(none)\t1795313600')?.architecture,
    ).toBeNull();
  });

  it('rejects other lines', () => {
    expect(parseRpmLine('')).toBeNull();
    expect(parseRpmLine('a\tb')).toBeNull();
    expect(parseRpmLine('\t(none)\t1\t1\tx\t1')).toBeNull();
    expect(parseRpmLine('a\t(none)\t1\t1\tx\t(none)')?.installTime).toBeNull();
  });
});
