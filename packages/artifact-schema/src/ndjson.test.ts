import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { type ArtifactRecord, createNdjsonEncoder, decodeNdjson, encodeRecord, splitLines } from './index.js';

const T = '2026-11-23T12:00:00.000Z';
const group = (gid: number, name = `g${gid}`): ArtifactRecord => ({
  kind: 'group',
  source: '/etc/group',
  collected_at: T,
  name,
  gid,
  members: [],
});
const bytes = (text: string) => new TextEncoder().encode(text);

async function encodeAll(records: ArtifactRecord[], chunkBytes?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const stream = new ReadableStream<ArtifactRecord>({
    start(c) {
      for (const r of records) c.enqueue(r);
      c.close();
    },
  }).pipeThrough(createNdjsonEncoder(chunkBytes === undefined ? {} : { chunkBytes }));
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) out.push(chunk);
  return out;
}

async function decodeAll(source: Parameters<typeof decodeNdjson>[0], options = {}) {
  const out: { line: number; record: ArtifactRecord }[] = [];
  for await (const item of decodeNdjson(source, options)) out.push(item);
  return out;
}

async function decodeError(source: Uint8Array, options = {}): Promise<unknown> {
  try {
    await decodeAll(source, options);
  } catch (error) {
    return error;
  }
  throw new Error('expected decodeNdjson to throw');
}

async function* chopped(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.slice(i, i + size);
}

describe('NDJSON', () => {
  it('encodes one line per record, batching lines into chunks without splitting any', async () => {
    const records = Array.from({ length: 500 }, (_, i) => group(i));
    const chunks = await encodeAll(records, 1024);
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    expect(
      text
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l)),
    ).toEqual(records);
    expect(encodeRecord(records[0] as ArtifactRecord)).toEqual(bytes(`${JSON.stringify(records[0])}\n`));
  });

  it('round-trips through any chunking, including one byte at a time and multi-byte UTF-8', async () => {
    const records = [group(1, 'wheel'), group(2, 'ünïcødé 🦀'), group(3, 'line\nbreak')];
    const data = Buffer.concat(await encodeAll(records));
    for (const size of [1, 2, 3, 7, 64, data.length]) {
      const decoded = await decodeAll(chopped(data, size));
      expect(decoded.map((d) => d.record)).toEqual(records);
      expect(decoded.map((d) => d.line)).toEqual([1, 2, 3]);
    }
  });

  it('accepts a web ReadableStream and a final line without newline', async () => {
    const data = bytes(`${JSON.stringify(group(1))}\n${JSON.stringify(group(2))}`);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(data);
        c.close();
      },
    });
    expect((await decodeAll(stream)).length).toBe(2);
  });

  it.each([
    ['bad JSON', `${JSON.stringify(group(1))}\n{"kind":\n`, 2, 'line 2 is not valid UTF-8 JSON'],
    ['an empty line', `${JSON.stringify(group(1))}\n\n`, 2, 'line 2 is empty'],
    [
      'a schema violation',
      `${JSON.stringify({ ...group(1), gid: 'x' })}\n`,
      1,
      'line 1: group record field /gid',
    ],
  ])('rejects %s with DATA_INVALID and the line number', async (_name, text, line, message) => {
    const error = await decodeError(bytes(text));
    expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    expect((error as Error).message).toContain(message);
    expect((error as { context: { line: number } }).context.line).toBe(line);
  });

  it('rejects invalid UTF-8', async () => {
    const good = bytes(`{"kind":"group","source":"/etc/group","collected_at":"${T}","name":"`);
    const data = Buffer.concat([good, Buffer.from([0xff, 0xfe]), bytes('","gid":1,"members":[]}\n')]);
    expect(isTriageError(await decodeError(data), 'DATA_INVALID')).toBe(true);
  });

  it("checks against the schema version asked for (a collection's own)", async () => {
    const line = bytes(
      `${JSON.stringify({ ...group(1), kind: 'user_account', username: 'x', uid: null, gid: null, gecos: null, home: null, shell: null, password_status: 'unknown', last_change: null, min_days: null, max_days: null, warn_days: null, inactive_days: null, expires: null, name: undefined, members: undefined })}\n`,
    );
    expect(await decodeAll(line)).toHaveLength(1);
    const error = await decodeError(line, { schemaVersion: 1 });
    expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    expect((error as Error).message).toContain('artifact schema v1');
  });

  it('skips validation on request', async () => {
    const decoded = await decodeAll(bytes('{"kind":"anything"}\n'), { validate: false });
    expect(decoded[0]?.record).toEqual({ kind: 'anything' });
  });

  it('bounds memory: a line longer than maxLineBytes is an error, even when it never ends', async () => {
    const long = bytes(`${'x'.repeat(100)}`);
    const error = await decodeError(long, { maxLineBytes: 50 });
    expect(isTriageError(error, 'DATA_INVALID')).toBe(true);
    expect((error as Error).message).toContain('longer than 50 bytes');
    const lines: Uint8Array[] = [];
    for await (const line of splitLines(chopped(bytes('ab\ncd\n'), 1), 2)) lines.push(line);
    expect(lines.map((l) => new TextDecoder().decode(l))).toEqual(['ab', 'cd']);
  });

  it('stops with ABORTED', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await decodeError(bytes(`${JSON.stringify(group(1))}\n`), { signal: controller.signal });
    expect(isTriageError(error, 'ABORTED')).toBe(true);
  });
});
