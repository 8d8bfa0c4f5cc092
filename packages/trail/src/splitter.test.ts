/**
 * The record splitter on every shape it accepts, split at every kind of
 * chunk boundary, and on the malformed files it must report rather than
 * misread. A seeded property test checks it against `JSON.parse`.
 */
import { describe, expect, it } from 'vitest';
import { RecordSplitter } from './splitter.js';
import { prng } from './synthetic.js';

interface Problem {
  readonly reason: string;
  readonly offset: number;
  readonly index: number | undefined;
}

interface Split {
  /** Each emitted record's bytes as text, in order. */
  readonly texts: string[];
  /** Each emitted record's index, in order. */
  readonly indexes: number[];
  readonly problems: Problem[];
}

type Chunking = number | readonly number[] | ((remaining: number) => number);

/** Cuts `bytes` into chunks: all of one size, the given sizes (the last repeated), or sizes from a function. */
function cut(bytes: Buffer, chunking: Chunking): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size =
      typeof chunking === 'number'
        ? chunking
        : typeof chunking === 'function'
          ? chunking(bytes.length - at)
          : (chunking[Math.min(k, chunking.length - 1)] as number);
    const end = Math.min(bytes.length, at + Math.max(1, size));
    // Copies, so a splitter keeping a view of an earlier chunk would show up.
    out.push(Buffer.from(bytes.subarray(at, end)));
    at = end;
    k++;
  }
  return out;
}

function split(
  input: string | Buffer,
  options: { chunking?: Chunking; maxRecordBytes?: number; lines?: boolean } = {},
): Split {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const texts: string[] = [];
  const indexes: number[] = [];
  const problems: Problem[] = [];
  const splitter = new RecordSplitter(
    {
      record(record, index) {
        texts.push(Buffer.from(record).toString('utf8'));
        indexes.push(index);
      },
      problem(reason, offset, index) {
        problems.push({ reason, offset, index });
      },
    },
    options.maxRecordBytes ?? 1 << 20,
    options.lines ?? false,
  );
  for (const chunk of cut(bytes, options.chunking ?? bytes.length)) splitter.push(chunk);
  splitter.end();
  return { texts, indexes, problems };
}

const values = (result: Split): unknown[] => result.texts.map((text) => JSON.parse(text));

/** The chunkings every hand-written case runs under: whole, 1 byte, 2, 3, 7 bytes. */
const CHUNKINGS: readonly [string, Chunking][] = [
  ['one chunk', Number.MAX_SAFE_INTEGER],
  ['1-byte chunks', 1],
  ['2-byte chunks', 2],
  ['3-byte chunks', 3],
  ['7-byte chunks', 7],
];

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('RecordSplitter: the shapes it reads', () => {
  const r1 = { eventName: 'GetObject', eventTime: '2024-01-01T00:00:00Z', n: [1, { a: [] }] };
  const r2 = { eventName: 'PutObject', s: 'x{y}[z]' };
  const r3 = { eventName: 'ListBuckets', deep: { a: { b: { c: [[[]]] } } } };

  const cases: readonly [string, string | Buffer, unknown[], boolean?][] = [
    ['a {"Records":[…]} file', JSON.stringify({ Records: [r1, r2, r3] }), [r1, r2, r3]],
    [
      'other keys before and after Records',
      `{"x":[1,2],"Records":[${JSON.stringify(r1)},${JSON.stringify(r2)}],"y":{}}`,
      [r1, r2],
    ],
    [
      'keys before Records whose values hold objects, arrays and a "Records" string',
      `{"a":{"Records":[{"no":1}]},"b":"Records","c":[{"no":2}],"Records":[${JSON.stringify(r3)}],"d":[{"no":3}]}`,
      [r3],
    ],
    ['a pretty-printed Records file', JSON.stringify({ Records: [r1, r2] }, null, 2), [r1, r2]],
    ['an empty Records array', '{"Records":[]}', []],
    ['a plain JSON array', JSON.stringify([r1, r2, r3]), [r1, r2, r3]],
    ['an empty array', ' [ ] ', []],
    [
      'NDJSON read structurally (the first line is a record)',
      `${JSON.stringify(r1)}\n${JSON.stringify(r2)}\n${JSON.stringify(r3)}\n`,
      [r1, r2, r3],
    ],
    ['NDJSON with the lines preference', `${JSON.stringify(r1)}\n\n${JSON.stringify(r2)}`, [r1, r2], true],
    [
      'one pretty-printed record object, then one record per line',
      `${JSON.stringify(r1, null, 2)}\n${JSON.stringify(r2)}\n  \n${JSON.stringify(r3)}`,
      [r1, r2, r3],
    ],
    ['a UTF-8 BOM', Buffer.concat([BOM, Buffer.from(JSON.stringify({ Records: [r1] }))]), [r1]],
    ['a BOM before NDJSON', Buffer.concat([BOM, Buffer.from(`${JSON.stringify(r1)}\n`)]), [r1], true],
    [
      'CRLF line ends in a Records file',
      JSON.stringify({ Records: [r1, r2] }, null, 2).replace(/\n/g, '\r\n'),
      [r1, r2],
    ],
    [
      'CRLF line ends in NDJSON',
      `${JSON.stringify(r1)}\r\n${JSON.stringify(r2)}\r\n\r\n${JSON.stringify(r3)}\r\n`,
      [r1, r2, r3],
      true,
    ],
    [
      'strings with braces, brackets, quotes and escapes',
      String.raw`{"Records":[{"s":"a\\\"{[","t":"}]\"","u":"\\\\","v":"\\","w":"\u007b\"\\"}]}`,
      [{ s: 'a\\"{[', t: '}]"', u: '\\\\', v: '\\', w: '{"\\' }],
    ],
    [
      'unicode: accents, CJK, emoji, escaped surrogates, U+2028',
      '{"Records":[{"k":"é€日本😀","e":"\\ud83d\\ude00","l":"\u2028"}]}',
      [{ k: 'é€日本😀', e: '😀', l: '\u2028' }],
    ],
  ];

  for (const [label, input, expected, lines] of cases) {
    for (const [how, chunking] of CHUNKINGS) {
      it(`${label} (${how})`, () => {
        const result = split(input, { chunking, lines: lines ?? false });
        expect(result.problems).toEqual([]);
        expect(values(result)).toEqual(expected);
        expect(result.indexes).toEqual(expected.map((_, i) => i));
      });
    }
  }

  it('emits each record exactly as its bytes stand in the file', () => {
    const text = '{"Records":[ {"a" : 1 ,"b":[ 2 ]} ,\n\t{"c":"}"} ]}';
    expect(split(text).texts).toEqual(['{"a" : 1 ,"b":[ 2 ]}', '{"c":"}"}']);
    expect(split(text, { chunking: 1 }).texts).toEqual(['{"a" : 1 ,"b":[ 2 ]}', '{"c":"}"}']);
  });

  it('trims the whitespace and CR around an NDJSON line', () => {
    expect(split('  {"a":1} \r\n\t{"b":2}\t\r\n', { lines: true }).texts).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('finds the end of a string whose escaped backslashes end right at a chunk boundary', () => {
    // The document is {"Records":[{"s":"\\\\"},{"t":"]"}]}: the string holds two backslashes.
    const text = String.raw`{"Records":[{"s":"\\\\"},{"t":"]"}]}`;
    const endOfBackslashes = text.indexOf(String.raw`\\\\`) + 4;
    for (const at of [endOfBackslashes - 3, endOfBackslashes - 2, endOfBackslashes - 1, endOfBackslashes]) {
      const result = split(text, { chunking: [at, 1, 1000] });
      expect(result.problems, `cut at ${at}`).toEqual([]);
      expect(values(result), `cut at ${at}`).toEqual([{ s: '\\\\' }, { t: ']' }]);
    }
  });

  it('finds the end of a string with an escaped quote at a chunk boundary', () => {
    const text = String.raw`[{"s":"a\\\"{[","n":1},{"m":2}]`;
    for (let at = 1; at < text.length; at++) {
      const result = split(text, { chunking: [at, text.length] });
      expect(result.problems, `cut at ${at}`).toEqual([]);
      expect(values(result), `cut at ${at}`).toEqual([{ s: 'a\\"{[', n: 1 }, { m: 2 }]);
    }
  });

  it('reads the Records key when it is cut across chunks', () => {
    const text = '{"xxxxxxxx":"Recor","Records":[{"a":1}]}';
    for (let at = 1; at < text.length; at++) {
      const result = split(text, { chunking: [at, 3] });
      expect(values(result), `cut at ${at}`).toEqual([{ a: 1 }]);
      expect(result.problems, `cut at ${at}`).toEqual([]);
    }
  });

  it('reports an empty file and a whitespace-only file, with no records', () => {
    for (const text of ['', ' \n\r\n\t ']) {
      for (const lines of [false, true]) {
        const result = split(text, { lines });
        expect(result.texts).toEqual([]);
        expect(result.problems).toEqual([{ reason: 'empty file', offset: text.length, index: undefined }]);
      }
    }
    // A BOM alone is an empty file too.
    expect(split(BOM, { chunking: 1 }).problems.map((p) => p.reason)).toEqual(['empty file']);
  });
});

describe('RecordSplitter: malformed files', () => {
  for (const [how, chunking] of CHUNKINGS) {
    describe(how, () => {
      it('a file truncated inside a record: the earlier records, then the truncation at that record', () => {
        const text = '{"Records":[{"a":1},{"b":{"c":';
        const result = split(text, { chunking });
        expect(values(result)).toEqual([{ a: 1 }]);
        expect(result.problems).toEqual([
          { reason: 'file ends inside a record (truncated)', offset: text.indexOf('{"b"'), index: 1 },
        ]);
      });

      it('a file truncated inside a string inside a record', () => {
        const result = split('[{"a":1},{"b":"x{[\\"', { chunking });
        expect(values(result)).toEqual([{ a: 1 }]);
        expect(result.problems.map((p) => [p.reason, p.index])).toEqual([
          ['file ends inside a record (truncated)', 1],
        ]);
      });

      it('a file truncated inside a string outside the records', () => {
        const text = '{"Records":[{"a":1}],"tail":"abc';
        const result = split(text, { chunking });
        expect(values(result)).toEqual([{ a: 1 }]);
        expect(result.problems).toEqual([
          { reason: 'file ends inside a string (truncated)', offset: text.length, index: undefined },
        ]);
      });

      it('a file truncated between two records, or before its last brace', () => {
        for (const text of ['[{"a":1},', '{"Records":[{"a":1}]', '{"Records":[{"a":1}']) {
          const result = split(text, { chunking });
          expect(values(result), text).toEqual([{ a: 1 }]);
          expect(result.problems, text).toEqual([
            {
              reason: 'file ends before its closing bracket (truncated)',
              offset: text.length,
              index: undefined,
            },
          ]);
        }
      });

      it('an unbalanced closing bracket: the records before it, then a problem, nothing after', () => {
        for (const text of ['[{"a":1}}, {"b":2}]', '{"Records":[{"a":1}]}}', '[{"a":1}]]']) {
          const result = split(text, { chunking });
          expect(values(result), text).toEqual([{ a: 1 }]);
          expect(result.problems.length, text).toBe(1);
          expect(result.problems[0]?.offset, text).toBeGreaterThan(text.indexOf('}'));
        }
      });

      it('a closing bracket first: not a CloudTrail file', () => {
        const result = split('  ]{"a":1}', { chunking });
        expect(result.texts).toEqual([]);
        expect(result.problems).toEqual([
          {
            reason: 'not a CloudTrail file: expected {"Records":[…]}, a JSON array or NDJSON',
            offset: 2,
            index: undefined,
          },
        ]);
      });

      it('array elements that are not objects are skipped, each with its own index', () => {
        const result = split('[1, {"a":1}, "x"]', { chunking });
        expect(values(result)).toEqual([{ a: 1 }]);
        expect(result.indexes).toEqual([1]);
        expect(result.problems.map((p) => [p.reason, p.index, p.offset])).toEqual([
          ['array element is not a JSON object, skipped', 0, 1],
          ['array element is not a JSON object, skipped', 2, 13],
        ]);
      });

      it('several scalars in a row are several skipped elements', () => {
        const result = split('{"Records":[1, 22, "a,b", null,true, {"a":1}, false]}', { chunking });
        expect(values(result)).toEqual([{ a: 1 }]);
        expect(result.indexes).toEqual([5]);
        expect(result.problems.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 6]);
      });

      it('data after the end of the document', () => {
        for (const text of ['[{"a":1}] x', '{"Records":[{"a":1}]} {"Records":[]}']) {
          const result = split(text, { chunking });
          expect(values(result), text).toEqual([{ a: 1 }]);
          expect(result.problems, text).toEqual([
            {
              reason: 'data after the end of the JSON document, ignored',
              offset: text.lastIndexOf(' ') + 1,
              index: undefined,
            },
          ]);
        }
      });

      it('a record over maxRecordBytes is skipped with a problem; the next records are still read', () => {
        const big = JSON.stringify({ big: 'x'.repeat(200) });
        const text = `{"Records":[{"a":1},${big},{"c":3}]}`;
        const result = split(text, { chunking, maxRecordBytes: 100 });
        expect(values(result)).toEqual([{ a: 1 }, { c: 3 }]);
        expect(result.indexes).toEqual([0, 2]);
        expect(result.problems).toEqual([
          { reason: 'record larger than 100 bytes, skipped', offset: text.indexOf(big), index: 1 },
        ]);
      });

      it('a record of exactly maxRecordBytes is read', () => {
        const record = JSON.stringify({ s: 'y'.repeat(50) });
        const result = split(`[${record}]`, { chunking, maxRecordBytes: record.length });
        expect(result.problems).toEqual([]);
        expect(result.texts).toEqual([record]);
      });

      it('an over-long NDJSON line is skipped with a problem; the next lines are still read', () => {
        const long = JSON.stringify({ big: 'z'.repeat(300) });
        const text = `{"a":1}\n${long}\n{"c":3}\n${long}`;
        for (const lines of [true, false]) {
          const result = split(text, { chunking, maxRecordBytes: 64, lines });
          expect(values(result)).toEqual([{ a: 1 }, { c: 3 }]);
          expect(result.indexes).toEqual([0, 2]);
          expect(result.problems).toEqual([
            { reason: 'record larger than 64 bytes, skipped', offset: text.indexOf(long), index: 1 },
            { reason: 'record larger than 64 bytes, skipped', offset: text.lastIndexOf(long), index: 3 },
          ]);
        }
      });

      it('counts offsets in the file, BOM included', () => {
        const text = '[{"a":1}] !';
        const result = split(Buffer.concat([BOM, Buffer.from(text)]), { chunking });
        expect(result.problems.map((p) => p.offset)).toEqual([3 + text.indexOf('!')]);
      });
    });
  }

  it('a file that is not JSON at all', () => {
    for (const text of ['hello', '42', '"Records"', '\u0000\u0001']) {
      const result = split(text);
      expect(result.texts).toEqual([]);
      expect(result.problems.map((p) => p.reason)).toEqual([
        'not a CloudTrail file: expected {"Records":[…]}, a JSON array or NDJSON',
      ]);
    }
  });

  it('a broken BOM is not taken for one', () => {
    const result = split(Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from('[{"a":1}]')]), {
      chunking: 1,
    });
    expect(result.texts).toEqual([]);
    expect(result.problems.length).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// Property test: random valid documents, random chunk boundaries.

class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
}

/** Characters that stress a splitter: JSON punctuation, escapes, controls, multi-byte UTF-8. */
const CHARS = [
  ...'abcXYZ019 ',
  ...'{}[]":,\\/',
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u001f',
  'é',
  '€',
  '日',
  '😀',
  '\u2028',
  '\ufeff',
  'Records',
];
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '/': '\\/',
};

function randomText(g: Gen): string {
  let s = '';
  const n = g.chance(0.1) ? 0 : 1 + g.int(12);
  for (let i = 0; i < n; i++) s += g.pick(CHARS);
  return s;
}

/** A JSON string literal for `s`, with a random mix of literal characters, short escapes and \u escapes. */
function encodeString(g: Gen, s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    const mustEscape = ch === '"' || ch === '\\' || code < 0x20;
    const form = g.int(4);
    if (form === 0 || (mustEscape && form === 1)) {
      // \u escapes, a surrogate pair for astral characters.
      for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    } else if (SHORT_ESCAPES[ch] !== undefined && (mustEscape || form === 1)) {
      out += SHORT_ESCAPES[ch];
    } else if (mustEscape) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else {
      out += ch;
    }
  }
  return `${out}"`;
}

function randomNumber(g: Gen): string {
  return g.pick([
    () => String(g.int(1000)),
    () => String(-g.int(1_000_000)),
    () => (g.random() * 1e6 - 5e5).toFixed(g.int(6)),
    () => `${g.int(10)}.${g.int(1000)}e${g.pick(['', '+', '-'])}${g.int(30)}`,
    () => `-${g.int(9) + 1}E${g.int(300)}`,
    () => '0',
    () => '-0',
    () => '12345678901234567890123',
  ])();
}

type Ws = (g: Gen) => string;
const ANY_WS: Ws = (g) => (g.chance(0.7) ? '' : g.pick([' ', '\t', '\n', '\r\n', '  \n\t', ' \r\n ']));
const LINE_WS: Ws = (g) => (g.chance(0.7) ? '' : g.pick([' ', '\t', '  ', ' \t ']));

/** A random JSON value's text, with random whitespace between tokens. */
function randomValue(g: Gen, ws: Ws, depth: number): string {
  const kind = g.int(depth >= 4 ? 4 : 7);
  switch (kind) {
    case 0:
      return g.pick(['null', 'true', 'false']);
    case 1:
      return randomNumber(g);
    case 2:
    case 3:
      return encodeString(g, randomText(g));
    case 4:
    case 5: {
      const n = g.int(4);
      const items = Array.from({ length: n }, () => ws(g) + randomValue(g, ws, depth + 1) + ws(g));
      return `[${n === 0 ? ws(g) : items.join(',')}]`;
    }
    default:
      return randomObject(g, ws, depth + 1, false);
  }
}

/** A random object's text; a top-level record never has a key `Records` (that would make it a Records file). */
function randomObject(g: Gen, ws: Ws, depth: number, topLevel: boolean): string {
  const n = g.int(depth === 0 ? 7 : 4);
  const fields: string[] = [];
  for (let i = 0; i < n; i++) {
    let key = randomText(g);
    if (topLevel && key === 'Records') key = 'NotRecords';
    fields.push(`${ws(g)}${encodeString(g, key)}${ws(g)}:${ws(g)}${randomValue(g, ws, depth)}${ws(g)}`);
  }
  return `{${n === 0 ? ws(g) : fields.join(',')}}`;
}

interface Doc {
  readonly shape: string;
  readonly bytes: Buffer;
  readonly lines: boolean;
  /** The records as `JSON.parse` reads the whole document. */
  readonly expected: unknown[];
}

function randomDoc(g: Gen): Doc {
  const count = g.int(6);
  const shape = g.pick(['records', 'array', 'ndjson', 'object-then-lines'] as const);
  let text: string;
  let expected: unknown[];
  let lines = false;
  if (shape === 'records' || shape === 'array') {
    const records = Array.from(
      { length: count },
      () => ANY_WS(g) + randomObject(g, ANY_WS, 0, true) + ANY_WS(g),
    );
    const array = `[${count === 0 ? ANY_WS(g) : records.join(',')}]`;
    if (shape === 'array') {
      text = ANY_WS(g) + array + ANY_WS(g);
      lines = g.chance(0.3);
      expected = JSON.parse(text) as unknown[];
    } else {
      const other = () => {
        let key = randomText(g);
        if (key === 'Records') key = 'Other';
        return `${ANY_WS(g)}${encodeString(g, key)}${ANY_WS(g)}:${ANY_WS(g)}${randomValue(g, ANY_WS, 1)}${ANY_WS(g)},`;
      };
      const before = Array.from({ length: g.int(3) }, other).join('');
      const after = Array.from({ length: g.int(3) }, other)
        .join('')
        .replace(/,$/, '');
      text = `${ANY_WS(g)}{${before}${ANY_WS(g)}"Records"${ANY_WS(g)}:${ANY_WS(g)}${array}${after ? `,${after}` : ''}}${ANY_WS(g)}`;
      expected = (JSON.parse(text) as { Records: unknown[] }).Records;
    }
  } else {
    const eol = () => g.pick(['\n', '\r\n']);
    const parts: string[] = [];
    const recordLines: string[] = [];
    for (let i = 0; i < Math.max(1, count); i++) {
      if (g.chance(0.2)) parts.push(LINE_WS(g) + eol());
      const record =
        i === 0 && shape === 'object-then-lines'
          ? randomObject(g, ANY_WS, 0, true)
          : randomObject(g, LINE_WS, 0, true);
      recordLines.push(record);
      parts.push(LINE_WS(g) + record + LINE_WS(g) + (i < count - 1 || g.chance(0.5) ? eol() : ''));
    }
    text = ANY_WS(g) + parts.join('');
    lines = shape === 'ndjson' && g.chance(0.5);
    expected = recordLines.map((line) => JSON.parse(line));
  }
  const body = Buffer.from(text, 'utf8');
  return { shape, bytes: g.chance(0.2) ? Buffer.concat([BOM, body]) : body, lines, expected };
}

describe('RecordSplitter: property test against JSON.parse', () => {
  it('reads every record of 400 random documents, whatever the chunk boundaries', () => {
    const g = new Gen(prng(20_240_611));
    const shapes = new Set<string>();
    let records = 0;
    for (let doc = 0; doc < 400; doc++) {
      const d = randomDoc(g);
      shapes.add(d.shape);
      records += d.expected.length;
      const chunkings: [string, Chunking][] = [
        ['whole', d.bytes.length],
        ['1-byte', 1],
        ['random small', () => 1 + g.int(8)],
        ['random large', (left) => 1 + g.int(Math.max(1, left))],
      ];
      for (const [how, chunking] of chunkings) {
        const result = split(d.bytes, { chunking, lines: d.lines });
        const where = `document ${doc} (${d.shape}, ${how}): ${JSON.stringify(d.bytes.toString('utf8'))}`;
        expect(result.problems, where).toEqual([]);
        expect(values(result), where).toEqual(d.expected);
        expect(result.indexes, where).toEqual(d.expected.map((_, i) => i));
      }
    }
    // The generator did produce every shape, and records in them.
    expect([...shapes].sort()).toEqual(['array', 'ndjson', 'object-then-lines', 'records']);
    expect(records).toBeGreaterThan(400);
  });
});
