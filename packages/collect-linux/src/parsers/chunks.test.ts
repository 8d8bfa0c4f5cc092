import { describe, expect, it } from 'vitest';
import { decodeUtf8, fixedSizeRecords, splitByteLines } from './chunks.js';

const bytes = (text: string) => new TextEncoder().encode(text);

async function lines(chunks: string[], max?: number) {
  const out: Array<{ text: string; truncated: boolean }> = [];
  for await (const line of splitByteLines(chunks.map(bytes), max)) {
    out.push({ text: decodeUtf8(line.bytes), truncated: line.truncated });
  }
  return out;
}

describe('splitByteLines', () => {
  it('splits across chunk boundaries, keeping a last line without newline', async () => {
    expect((await lines(['ab', 'c\nde', 'f\n\ngh'])).map((l) => l.text)).toEqual(['abc', 'def', '', 'gh']);
  });

  it('drops a CR before the newline', async () => {
    expect((await lines(['a\r\nb\r', '\n'])).map((l) => l.text)).toEqual(['a', 'b']);
  });

  it('yields nothing for no bytes and one empty line for a lone newline', async () => {
    expect(await lines([])).toEqual([]);
    expect(await lines(['\n'])).toEqual([{ text: '', truncated: false }]);
  });

  it('cuts lines longer than the limit and says so', async () => {
    expect(await lines(['abcdef', 'gh\nij\n'], 4)).toEqual([
      { text: 'abcd', truncated: true },
      { text: 'ij', truncated: false },
    ]);
  });

  it('keeps a multi-byte character split between chunks whole', async () => {
    const euro = bytes('€\n');
    const out: string[] = [];
    for await (const line of splitByteLines([euro.subarray(0, 1), euro.subarray(1)]))
      out.push(decodeUtf8(line.bytes));
    expect(out).toEqual(['€']);
  });
});

describe('fixedSizeRecords', () => {
  it('cuts records across chunks and yields a short tail last', async () => {
    const chunks = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6, 7), Uint8Array.of(8)];
    const out: Array<{ offset: number; bytes: number[] }> = [];
    for await (const r of fixedSizeRecords(chunks, 3)) out.push({ offset: r.offset, bytes: [...r.bytes] });
    expect(out).toEqual([
      { offset: 0, bytes: [1, 2, 3] },
      { offset: 3, bytes: [4, 5, 6] },
      { offset: 6, bytes: [7, 8] },
    ]);
  });

  it('yields nothing for an empty stream', async () => {
    const out = [];
    for await (const r of fixedSizeRecords([], 384)) out.push(r);
    expect(out).toEqual([]);
  });
});
