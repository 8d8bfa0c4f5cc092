/**
 * The whole-file fast path (`wholeRecords`, used by `readTrail` for files up
 * to a few MiB) must hand over exactly what the streaming splitter would,
 * or decline so the splitter reads the file.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTrail, type TrailDiagnostic, type TrailEvent, type TrailFile } from './reader.js';
import { RecordSplitter, wholeRecords } from './splitter.js';
import { syntheticTrail } from './synthetic.js';

/** What the splitter makes of `buf` in one chunk: each record parsed (or its bytes when invalid), and its problems. */
function split(buf: Buffer): { records: unknown[]; problems: string[] } {
  const records: unknown[] = [];
  const problems: string[] = [];
  const splitter = new RecordSplitter(
    {
      record(bytes, index) {
        const text = bytes.toString('utf8');
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          value = { invalid: text };
        }
        records[index] = value;
      },
      problem(reason, offset, index) {
        problems.push(`${reason} @${offset} #${index}`);
      },
    },
    1 << 24,
    false,
  );
  splitter.push(buf);
  splitter.end();
  return { records, problems };
}

/** wholeRecords agrees with the splitter, or declines; returns whether it took the file. */
function agrees(input: Buffer | string): boolean {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const whole = wholeRecords(buf);
  if (whole === undefined) return false;
  const { records, problems } = split(buf);
  expect(problems).toEqual([]);
  expect(whole).toEqual(records);
  return true;
}

const rec = (n: number, extra: Record<string, unknown> = {}) => ({
  eventTime: new Date(Date.UTC(2026, 10, 2, 8, 0, n)).toISOString(),
  eventName: `Event${n}`,
  eventID: `id-${n}`,
  userIdentity: { type: 'IAMUser', accessKeyId: `AKIAEXAMPLE${n}` },
  ...extra,
});
const J = (value: unknown) => JSON.stringify(value);

describe('wholeRecords', () => {
  it('takes a CloudTrail file, compact or pretty, with a BOM, with records of any content', () => {
    const records = [rec(0), rec(1, { s: 'é{["\\\u2028😀', n: [1, { a: [] }], k: '"Records":[' }), rec(2)];
    expect(agrees(J({ Records: records }))).toBe(true);
    expect(agrees(`${JSON.stringify({ Records: records }, null, 2)}\n`)).toBe(true);
    expect(agrees(` \r\n\t{ "Records" :\n [ ${records.map(J).join(' ,\n ')} ] \n}\t `)).toBe(true);
    expect(agrees(`\uFEFF${J({ Records: records })}`)).toBe(true);
    expect(agrees('{"Records":[]}')).toBe(true);
    // Arrays are records to the splitter too (normalizeRecord then refuses them).
    expect(agrees(`{"Records":[[1,2],${J(rec(0))},{}]}`)).toBe(true);
    const trail = [...syntheticTrail({ noise: 300 }).records()];
    expect(agrees(J({ Records: trail }))).toBe(true);
  });

  it('declines what the splitter reads differently or reports, and the splitter then reads it', () => {
    const a = J(rec(0));
    const b = J(rec(1));
    for (const doc of [
      `{"Records":[${a}],"Records":[${b}]}`,
      `{"Records":[${a}],"extra":1}`,
      `{"x":1,"Records":[${a}]}`,
      `{"Records":[${a},1,null,"x",true]}`,
      `{"Records":[${a},${b.slice(0, -1)}]}`,
      `{"Records":[${a}]}]}`,
      `{"Records":[${a}]} x`,
      `{"Records":[${a}]}{"Records":[]}`,
      `{"Records":5}`,
      `{"Rec\\u006frds":[${a}]}`,
      `[${a},${b}]`,
      `${a}\n${b}`,
      '',
      '   ',
      'hello',
      `\u00EF{"Records":[${a}]}`,
    ]) {
      expect(agrees(doc), doc.slice(0, 60)).toBe(false);
    }
    // A broken BOM (its first byte only).
    expect(agrees(Buffer.concat([Buffer.from([0xef]), Buffer.from(`{"Records":[${a}]}`)]))).toBe(false);
  });

  it('keeps invalid UTF-8 inside strings as the splitter does', () => {
    const buf = Buffer.concat([
      Buffer.from('{"Records":[{"eventName":"'),
      Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]),
      Buffer.from(`"},${J(rec(0))}]}`),
    ]);
    expect(agrees(buf)).toBe(true);
  });

  it('agrees with the splitter on 300 random documents', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const text = () =>
      Array.from({ length: Math.floor(random() * 8) }, () =>
        pick(['a', '"', '\\', '{', ']', 'é', '😀', ' ', ',']),
      ).join('');
    const value = (depth: number): unknown => {
      const r = random();
      if (depth > 2 || r < 0.3) return text();
      if (r < 0.4) return Math.floor(random() * 1000) - 500;
      if (r < 0.45) return pick([true, false, null]);
      if (r < 0.7) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(random() * 4) }, () => [text(), value(depth + 1)]),
      );
    };
    const space = () => pick(['', '', ' ', '\n', '\t', '\r\n ']);
    let taken = 0;
    for (let i = 0; i < 300; i++) {
      const elements = Array.from({ length: Math.floor(random() * 6) }, () => {
        const r = random();
        return r < 0.85 ? J({ ...rec(i), v: value(0) }) : r < 0.95 ? J(value(0)) : J([value(1)]);
      });
      let doc = `${space()}{${space()}"Records"${space()}:${space()}[${space()}${elements.join(`${space()},${space()}`)}${space()}]${space()}}${space()}`;
      const r = random();
      if (r < 0.05) doc = doc.slice(0, Math.floor(random() * doc.length));
      else if (r < 0.1) doc = doc.replace(/\]\s*\}\s*$/, '],"Records":[]}');
      else if (r < 0.15) doc = `\uFEFF${doc}`;
      if (agrees(doc)) taken++;
    }
    expect(taken).toBeGreaterThan(150);
  });
});

describe('readTrail: a file read whole reads as the same file streamed', () => {
  const read = async (files: TrailFile[], maxRecordBytes?: number) => {
    const events: TrailEvent[] = [];
    const diagnostics: TrailDiagnostic[] = [];
    const options = maxRecordBytes === undefined ? {} : { maxRecordBytes };
    for await (const event of readTrail(files, { ...options, onDiagnostic: (d) => diagnostics.push(d) })) {
      events.push(event);
    }
    return { events, diagnostics };
  };

  it('gives the same events and diagnostics, gzipped or not, well-formed or not', async () => {
    const trail = [...syntheticTrail({ noise: 200, seed: 5 }).records()];
    const good = J({ Records: trail });
    const largest = Math.max(...trail.map((r) => Buffer.byteLength(J(r))));
    const docs = [
      good,
      J({
        Records: [...trail.slice(0, 3), { eventName: 'NoTime' }, [1], { eventTime: 'x', eventName: 'A' }],
      }),
      `{"Records":[${J(trail[0])},7,${J(trail[1])}]}`,
      `{"Records":[${J(trail[0])}],"Records":[${J(trail[1])}]}`,
      good.slice(0, good.length >> 1),
      `${trail
        .slice(0, 5)
        .map((r) => J(r))
        .join('\n')}\n`,
    ];
    for (const doc of docs) {
      for (const bytes of [Buffer.from(doc), gzipSync(doc)]) {
        const files = (chunk: number): TrailFile[] => [
          {
            name: 'f.json',
            bytes: Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) =>
              bytes.subarray(i * chunk, (i + 1) * chunk),
            ),
          },
        ];
        // Whole: the file fits; streamed: a limit just under its size sends it through the splitter.
        // Whole: the default limit; streamed: a limit above every record but under the file's (decompressed) size.
        const whole = await read(files(bytes.length));
        const streamed = await read(files(4096), largest + 1);
        expect(Buffer.byteLength(doc)).toBeGreaterThan(largest + 1);
        expect(streamed.diagnostics).toEqual(whole.diagnostics);
        expect(streamed.events).toEqual(whole.events);
      }
    }
  });
});
