/**
 * The CloudTrail reader: files in memory and in a temporary folder, gzip or
 * not, every shape; normalisation quirks; times; malformed files as
 * diagnostics; cancelling.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTriageError, TriageError } from '@triage/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  localTrailSource,
  normalizeRecord,
  parseTrailTime,
  type ReadTrailOptions,
  readTrail,
  type TrailDiagnostic,
  type TrailEvent,
  type TrailFile,
  type TrailSource,
} from './reader.js';
import { prng } from './synthetic.js';

const ACCOUNT = '111122223333';
const T0 = Date.UTC(2024, 10, 30, 8, 43, 17);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A CloudTrail record: event `n`, one second after T0 per step. */
function rec(n: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE123456789',
      arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'AKIAEXAMPLE123456789',
      userName: 'alice',
    },
    eventTime: iso(T0 + n * 1000),
    eventSource: 's3.amazonaws.com',
    eventName: `Event${n}`,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.17.12',
    requestParameters: { bucketName: 'acme', key: `k${n}` },
    responseElements: null,
    eventID: `id-${n}`,
    recipientAccountId: ACCOUNT,
    ...extra,
  };
}

const recordsFile = (...records: unknown[]) => JSON.stringify({ Records: records });
const ndjson = (...records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** An in-memory file, its bytes cut into chunks of `chunk` bytes (default: one chunk). */
function memFile(name: string, content: string | Buffer, chunk?: number): TrailFile {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const size = chunk ?? Math.max(1, bytes.length);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(Buffer.from(bytes.subarray(at, at + size)));
  return { name, bytes: chunks };
}

async function read(
  source: TrailSource,
  options: Omit<ReadTrailOptions, 'onDiagnostic'> = {},
): Promise<{ events: TrailEvent[]; diagnostics: TrailDiagnostic[] }> {
  const events: TrailEvent[] = [];
  const diagnostics: TrailDiagnostic[] = [];
  for await (const event of readTrail(source, { ...options, onDiagnostic: (d) => diagnostics.push(d) })) {
    events.push(event);
  }
  return { events, diagnostics };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** A big Records file: `count` records with some incompressible noise each, so its gzip is large. */
function bigRecords(count: number, seed = 1): { json: string; gz: Buffer } {
  const next = prng(seed);
  const random = () => Math.floor(next() * 4294967296);
  const noise = () => {
    let s = '';
    for (let i = 0; i < 10; i++) s += random().toString(16).padStart(8, '0');
    return s;
  };
  const json = recordsFile(...Array.from({ length: count }, (_, i) => rec(i, { noise: noise() })));
  return { json, gz: gzipSync(json) };
}

/**
 * Files up to `maxRecordBytes` (and 4 MiB) are read whole; bigger ones are streamed through the
 * splitter. Every in-memory test runs both ways: files of two or more records exceed 1,000 bytes.
 */
const MODES: readonly [string, Omit<ReadTrailOptions, 'onDiagnostic'>][] = [
  ['read whole', {}],
  ['streamed', { maxRecordBytes: 1000 }],
];

describe.each(MODES)('readTrail: files in memory, %s', (_label, mode) => {
  const readIn = (source: TrailSource, options: Omit<ReadTrailOptions, 'onDiagnostic'> = {}) =>
    read(source, { ...mode, ...options });

  it('reads a Records file into normalised events', async () => {
    const { events, diagnostics } = await readIn([memFile('a.json', recordsFile(rec(0), rec(1)))]);
    expect(diagnostics).toEqual([]);
    expect(events).toEqual([
      {
        eventId: 'id-0',
        eventTime: T0,
        eventName: 'Event0',
        eventSource: 's3.amazonaws.com',
        service: 's3',
        awsRegion: 'eu-west-1',
        sourceIp: '192.0.2.10',
        userAgent: 'aws-cli/2.17.12',
        errorCode: undefined,
        errorMessage: undefined,
        identity: {
          type: 'IAMUser',
          arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
          accessKeyId: 'AKIAEXAMPLE123456789',
          principalId: 'AIDAEXAMPLE123456789',
          accountId: ACCOUNT,
          userName: 'alice',
          sessionIssuerArn: undefined,
          sessionIssuerType: undefined,
          creationDate: undefined,
          mfaAuthenticated: false,
          invokedBy: undefined,
          ec2RoleDelivery: undefined,
        },
        requestParameters: { bucketName: 'acme', key: 'k0' },
        responseElements: undefined,
        additionalEventData: undefined,
        sessionCredentialFromConsole: false,
        recipientAccountId: ACCOUNT,
        file: 'a.json',
        index: 0,
      },
      expect.objectContaining({ eventId: 'id-1', eventTime: T0 + 1000, eventName: 'Event1', index: 1 }),
    ]);
  });

  it('reads gzip (detected from its bytes, whatever the name), plain arrays and NDJSON with @timestamp', async () => {
    const timestamped = (n: number) => {
      const { eventTime, ...rest } = rec(n);
      return { ...rest, '@timestamp': eventTime };
    };
    const files = [
      memFile('1.json.gz', gzipSync(recordsFile(rec(1), rec(2)))),
      memFile('2.json', gzipSync(JSON.stringify([rec(3)]))),
      memFile('3.json', JSON.stringify([rec(4), rec(5)])),
      memFile('4.jsonl', ndjson(timestamped(6), timestamped(7))),
      memFile('5.ndjson.gz', gzipSync(ndjson(timestamped(8)))),
      memFile('6.NDJSON', `\uFEFF${ndjson(timestamped(9)).replace(/\n/g, '\r\n')}`),
    ];
    const { events, diagnostics } = await readIn(files);
    expect(diagnostics).toEqual([]);
    expect(events.map((e) => [e.file, e.index, e.eventName, e.eventTime])).toEqual([
      ['1.json.gz', 0, 'Event1', T0 + 1000],
      ['1.json.gz', 1, 'Event2', T0 + 2000],
      ['2.json', 0, 'Event3', T0 + 3000],
      ['3.json', 0, 'Event4', T0 + 4000],
      ['3.json', 1, 'Event5', T0 + 5000],
      ['4.jsonl', 0, 'Event6', T0 + 6000],
      ['4.jsonl', 1, 'Event7', T0 + 7000],
      ['5.ndjson.gz', 0, 'Event8', T0 + 8000],
      ['6.NDJSON', 0, 'Event9', T0 + 9000],
    ]);
  });

  it('gives the same events whatever the chunk sizes, gzip magic cut across chunks included', async () => {
    const json = recordsFile(rec(0), rec(1, { s: 'é{["\\' }), rec(2));
    const expected = (await readIn([memFile('f.json', json)])).events;
    expect(expected).toHaveLength(3);
    for (const chunk of [1, 2, 3, 17]) {
      for (const content of [json, gzipSync(json)]) {
        const { events, diagnostics } = await readIn([memFile('f.json', content, chunk)]);
        expect(diagnostics, `chunks of ${chunk}`).toEqual([]);
        expect(events, `chunks of ${chunk}`).toEqual(expected);
      }
    }
  });

  it('reads bytes from an async iterable, skipping empty chunks', async () => {
    const gz = gzipSync(recordsFile(rec(0), rec(1)));
    async function* bytes() {
      yield new Uint8Array(0);
      yield new Uint8Array(gz.subarray(0, 1));
      yield new Uint8Array(0);
      yield new Uint8Array(gz.subarray(1));
    }
    const { events, diagnostics } = await readIn([{ name: 'x.json.gz', bytes: bytes() }]);
    expect(diagnostics).toEqual([]);
    expect(events.map((e) => e.eventName)).toEqual(['Event0', 'Event1']);
  });

  it('turns malformed records into diagnostics with their index, and reads the rest', async () => {
    const { eventName: _dropped, ...nameless } = rec(3);
    const text = `{"Records":[${JSON.stringify(rec(0))},{"bad":,},[1],"str",${JSON.stringify(
      rec(4, { eventTime: 'not a time' }),
    )},${JSON.stringify(nameless)},${JSON.stringify(rec(6))}]}`;
    const { events, diagnostics } = await readIn([memFile('m.json', text)]);
    expect(events.map((e) => [e.eventName, e.index])).toEqual([
      ['Event0', 0],
      ['Event6', 6],
    ]);
    expect(diagnostics.map((d) => [d.file, d.record, d.reason.replace(/:.*/, '')])).toEqual([
      ['m.json', 1, 'invalid JSON'],
      ['m.json', 2, 'record is not a JSON object'],
      ['m.json', 3, 'array element is not a JSON object, skipped'],
      ['m.json', 4, 'record has no valid eventTime or @timestamp'],
      ['m.json', 5, 'record has no eventName'],
    ]);
  });

  it('reports a file that is empty, not JSON, or truncated, with its name, and goes on', async () => {
    const files = [
      memFile('empty.json', ''),
      memFile('text.json', 'hello world'),
      memFile('cut.json.gz', gzipSync(recordsFile(rec(0), rec(1)).slice(0, -30))),
      memFile('ok.json', recordsFile(rec(9))),
    ];
    const { events, diagnostics } = await readIn(files);
    expect(events.map((e) => e.eventName)).toEqual(['Event0', 'Event9']);
    expect(diagnostics.map((d) => [d.file, d.reason])).toEqual([
      ['empty.json', 'empty file'],
      ['text.json', 'not a CloudTrail file: expected {"Records":[…]}, a JSON array or NDJSON'],
      ['cut.json.gz', 'file ends inside a record (truncated)'],
    ]);
    expect(diagnostics[2]?.record).toBe(1);
  });

  it('skips a record over maxRecordBytes with a diagnostic', async () => {
    const { events, diagnostics } = await readIn(
      [memFile('big.json', recordsFile(rec(0), rec(1, { blob: 'x'.repeat(5000) }), rec(2)))],
      { maxRecordBytes: 2000 },
    );
    expect(events.map((e) => e.eventName)).toEqual(['Event0', 'Event2']);
    expect(diagnostics).toEqual([
      expect.objectContaining({
        file: 'big.json',
        record: 1,
        reason: 'record larger than 2000 bytes, skipped',
      }),
    ]);
  });

  it('reports a bad gzip (the magic, then junk) for that file and reads the next one', async () => {
    const junk = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('this is not deflate data at all')]);
    const { events, diagnostics } = await readIn([
      memFile('bad.json.gz', junk),
      memFile('good.json.gz', gzipSync(recordsFile(rec(1)))),
    ]);
    expect(events.map((e) => [e.file, e.eventName])).toEqual([['good.json.gz', 'Event1']]);
    expect(diagnostics.length).toBeGreaterThanOrEqual(1);
    expect(diagnostics.every((d) => d.file === 'bad.json.gz')).toBe(true);
    expect(diagnostics.some((d) => d.reason.startsWith('could not read: '))).toBe(true);
  });

  it('reports a large gzip that fails its check midway, and reads the next file', async () => {
    const { gz } = bigRecords(6000);
    expect(gz.length).toBeGreaterThan(256 * 1024);
    const corrupt = Buffer.from(gz);
    // The last 8 bytes are the CRC-32 and the size: the data inflates, then fails the check.
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] as number) ^ 0xff;
    const broken = Buffer.from(gz);
    for (let i = gz.length >> 1; i < (gz.length >> 1) + 64; i++) broken[i] = 0;
    const { events, diagnostics } = await readIn([
      memFile('crc.json.gz', corrupt),
      memFile('broken.json.gz', broken),
      memFile('next.json', recordsFile(rec(7))),
    ]);
    expect(events.at(-1)).toMatchObject({ file: 'next.json', eventName: 'Event7' });
    expect(diagnostics.filter((d) => d.reason.startsWith('could not read: ')).map((d) => d.file)).toEqual([
      'crc.json.gz',
      'broken.json.gz',
    ]);
  });

  it('reports a file whose bytes fail (a refused download) and reads the next one', async () => {
    const failing: TrailFile = {
      name: 's3://b/refused.json',
      bytes: {
        async *[Symbol.asyncIterator]() {
          yield Buffer.from('{"Records":[');
          throw new TriageError('PERMISSION_DENIED', 'Access denied.');
        },
      },
    };
    const { events, diagnostics } = await readIn([failing, memFile('next.json', recordsFile(rec(1)))]);
    expect(events.map((e) => e.file)).toEqual(['next.json']);
    expect(diagnostics.map((d) => [d.file, d.reason])).toContainEqual([
      's3://b/refused.json',
      'could not read: Access denied.',
    ]);
  });

  it('reports a file whose very first read fails once, as that failure, not also as empty', async () => {
    const failing: TrailFile = {
      name: 's3://b/gone.json.gz',
      bytes: {
        [Symbol.asyncIterator]: () => ({
          next: async () => {
            throw new TriageError('NOT_FOUND', 'No such key.');
          },
        }),
      },
    };
    const { diagnostics } = await readIn([failing]);
    expect(diagnostics.map((d) => [d.file, d.reason])).toEqual([
      ['s3://b/gone.json.gz', 'could not read: No such key.'],
    ]);
  });

  it('lets errors of the source itself through', async () => {
    async function* source(): AsyncGenerator<TrailFile> {
      yield memFile('a.json', recordsFile(rec(0)));
      throw new TriageError('PERMISSION_DENIED', 'Listing denied.');
    }
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of readTrail(source())) seen.push(event.eventName);
      })(),
    );
    expect(isTriageError(error, 'PERMISSION_DENIED')).toBe(true);
    expect(seen).toEqual(['Event0']);
  });

  it('keeps events at or after `since` and before `until`', async () => {
    const file = memFile('t.json', recordsFile(...[0, 1, 2, 3, 4].map((n) => rec(n))));
    const names = async (options: ReadTrailOptions) =>
      (await readIn([file], options)).events.map((e) => e.eventName);
    expect(await names({ since: new Date(T0 + 1000), until: new Date(T0 + 3000) })).toEqual([
      'Event1',
      'Event2',
    ]);
    expect(await names({ since: new Date(T0 + 3500) })).toEqual(['Event4']);
    expect(await names({ until: new Date(T0) })).toEqual([]);
    expect(await names({ until: new Date(T0 + 1) })).toEqual(['Event0']);
  });

  it('falls back to FILE#INDEX for a record without eventID', async () => {
    const { eventID: _id, ...anonymous } = rec(0);
    const { events } = await readIn([
      memFile('dir/x.json', recordsFile(rec(1), anonymous, { ...anonymous, eventID: '' })),
    ]);
    expect(events.map((e) => e.eventId)).toEqual(['id-1', 'dir/x.json#1', 'dir/x.json#2']);
  });
});

describe.each(MODES)('readTrail: cancelling, %s', (_label, mode) => {
  it('throws ABORTED, and yields nothing, when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const seen: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of readTrail([memFile('a.json', recordsFile(rec(0), rec(1)))], {
          ...mode,
          signal: controller.signal,
        })) {
          seen.push(event.eventName);
        }
      })(),
    );
    expect(isTriageError(error, 'ABORTED')).toBe(true);
    expect(seen).toEqual([]);
  });

  it('stops between records: nothing more is yielded after the abort', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const files = [
      memFile('a.json', recordsFile(rec(0), rec(1), rec(2))),
      memFile('b.json', recordsFile(rec(3))),
    ];
    const error = await rejection(
      (async () => {
        for await (const event of readTrail(files, { ...mode, signal: controller.signal })) {
          seen.push(event.eventName);
          controller.abort();
        }
      })(),
    );
    expect(isTriageError(error, 'ABORTED')).toBe(true);
    expect(seen).toEqual(['Event0']);
  });

  it('stops in the middle of a large gzip file, and after a consumer stops early', async () => {
    const { gz } = bigRecords(6000, 2);
    const controller = new AbortController();
    let seen = 0;
    const error = await rejection(
      (async () => {
        for await (const _ of readTrail([memFile('big.json.gz', gz)], {
          ...mode,
          signal: controller.signal,
        })) {
          if (++seen === 10) controller.abort();
        }
      })(),
    );
    expect(isTriageError(error, 'ABORTED')).toBe(true);
    expect(seen).toBe(10);

    let first: string | undefined;
    for await (const event of readTrail([memFile('big.json.gz', gz)], mode)) {
      first = event.eventName;
      break;
    }
    expect(first).toBe('Event0');
  });
});

describe('readTrail: stopping early', () => {
  it('closes the file’s bytes when reading stops early', async () => {
    const { gz } = bigRecords(3000);
    let closed = 0;
    const file: TrailFile = {
      name: 'big.json.gz',
      bytes: {
        [Symbol.asyncIterator]() {
          const chunks = memFile('x', gz, 64 * 1024).bytes as Buffer[];
          let i = 0;
          return {
            next: async () =>
              i < chunks.length
                ? { done: false, value: chunks[i++] as Buffer }
                : { done: true, value: undefined },
            return: async () => {
              closed++;
              return { done: true, value: undefined };
            },
          };
        },
      },
    };
    // Streamed (a file bigger than what is read whole): stopping after the first event closes it.
    for await (const _event of readTrail([file], { maxRecordBytes: 1000 })) break;
    expect(closed).toBe(1);
  });
});

describe('normalizeRecord', () => {
  const norm = (raw: unknown) => normalizeRecord(raw, 'f.json', 7);
  const event = (raw: unknown): TrailEvent => {
    const result = norm(raw);
    if (typeof result === 'string') throw new Error(`not an event: ${result}`);
    return result;
  };

  it('reports ListObjects with list-type 2 as ListObjectsV2', () => {
    const list = (params: unknown) =>
      event(rec(0, { eventName: 'ListObjects', requestParameters: params })).eventName;
    expect(list({ bucketName: 'b', 'list-type': '2' })).toBe('ListObjectsV2');
    expect(list({ bucketName: 'b', 'list-type': 2 })).toBe('ListObjectsV2');
    expect(list({ bucketName: 'b' })).toBe('ListObjects');
    expect(list({ bucketName: 'b', 'list-type': '1' })).toBe('ListObjects');
    expect(list(null)).toBe('ListObjects');
    expect(event(rec(0, { eventName: 'GetObject', requestParameters: { 'list-type': '2' } })).eventName).toBe(
      'GetObject',
    );
  });

  it('makes a missing or empty accessKeyId undefined', () => {
    const withKey = (key: unknown) =>
      event(rec(0, { userIdentity: { type: 'IAMUser', accessKeyId: key } })).identity.accessKeyId;
    expect(withKey('')).toBeUndefined();
    expect(withKey(undefined)).toBeUndefined();
    expect(withKey(42)).toBeUndefined();
    expect(withKey('ASIAEXAMPLE123456789')).toBe('ASIAEXAMPLE123456789');
  });

  it('keeps only objects for requestParameters, responseElements and additionalEventData', () => {
    const e = event(rec(0, { requestParameters: null, responseElements: [], additionalEventData: 'x' }));
    expect(e.requestParameters).toBeUndefined();
    expect(e.responseElements).toBeUndefined();
    expect(e.additionalEventData).toBeUndefined();
    const f = event(
      rec(0, { requestParameters: 'x', responseElements: { ok: true }, additionalEventData: {} }),
    );
    expect(f.requestParameters).toBeUndefined();
    expect(f.responseElements).toEqual({ ok: true });
    expect(f.additionalEventData).toEqual({});
  });

  it('flattens a role session identity', () => {
    const e = event(
      rec(0, {
        userIdentity: {
          type: 'AssumedRole',
          principalId: 'AROAEXAMPLE123456789:s',
          arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/s`,
          accountId: ACCOUNT,
          accessKeyId: 'ASIAEXAMPLE123456789',
          invokedBy: 'lambda.amazonaws.com',
          sessionContext: {
            sessionIssuer: { type: 'Role', arn: `arn:aws:iam::${ACCOUNT}:role/ops`, userName: 'ops' },
            attributes: { creationDate: '2024-11-30T08:00:00Z', mfaAuthenticated: 'true' },
            ec2RoleDelivery: '2.0',
          },
        },
        sessionCredentialFromConsole: 'true',
        errorCode: 'AccessDenied',
        errorMessage: 'no',
      }),
    );
    expect(e.identity).toEqual({
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/s`,
      accessKeyId: 'ASIAEXAMPLE123456789',
      principalId: 'AROAEXAMPLE123456789:s',
      accountId: ACCOUNT,
      userName: 'ops',
      sessionIssuerArn: `arn:aws:iam::${ACCOUNT}:role/ops`,
      sessionIssuerType: 'Role',
      creationDate: Date.UTC(2024, 10, 30, 8),
      mfaAuthenticated: true,
      invokedBy: 'lambda.amazonaws.com',
      ec2RoleDelivery: '2.0',
    });
    expect(e.sessionCredentialFromConsole).toBe(true);
    expect([e.errorCode, e.errorMessage]).toEqual(['AccessDenied', 'no']);
  });

  it('reads @timestamp when eventTime is absent, and strips .amazonaws.com from the service', () => {
    const { eventTime, ...rest } = rec(0, { eventSource: 'sts.amazonaws.com' });
    const e = event({ ...rest, '@timestamp': eventTime });
    expect(e.eventTime).toBe(T0);
    expect(e.service).toBe('sts');
    expect(event(rec(0, { eventSource: undefined })).service).toBe('');
  });

  it('uses the file and index for a missing eventID', () => {
    expect(event(rec(0, { eventID: undefined })).eventId).toBe('f.json#7');
    expect(event(rec(0, { eventID: 5 })).eventId).toBe('f.json#7');
  });

  it('gives a reason for what is not a usable record', () => {
    expect(norm(null)).toBe('record is not a JSON object');
    expect(norm([rec(0)])).toBe('record is not a JSON object');
    expect(norm('x')).toBe('record is not a JSON object');
    expect(norm(rec(0, { eventTime: {} }))).toBe('record has no valid eventTime or @timestamp');
    expect(norm(rec(0, { eventTime: 'yesterday' }))).toBe('record has no valid eventTime or @timestamp');
    expect(norm(rec(0, { eventName: '' }))).toBe('record has no eventName');
    expect(norm(rec(0, { eventName: ['GetObject'] }))).toBe('record has no eventName');
  });

  it('survives fields of any type, objects that cannot become strings included', () => {
    // JSON can hold an object with a `toString` key that is not a function: String() of it throws.
    const hostile = JSON.parse('{"toString":1,"valueOf":1}') as unknown;
    const e = event(
      rec(0, {
        eventName: 'ListObjects',
        userIdentity: {
          type: 5,
          arn: hostile,
          accessKeyId: [],
          sessionContext: { attributes: { mfaAuthenticated: hostile, creationDate: hostile } },
        },
        requestParameters: { 'list-type': hostile },
        sessionCredentialFromConsole: hostile,
      }),
    );
    expect(e.eventName).toBe('ListObjects');
    expect(e.identity).toMatchObject({ type: undefined, arn: undefined, mfaAuthenticated: false });
    expect(e.sessionCredentialFromConsole).toBe(false);
    expect(event(rec(0, { userIdentity: 5 })).identity.accessKeyId).toBeUndefined();
  });
});

describe('parseTrailTime', () => {
  it.each([
    ['Nov 29, 2018 11:03:12 AM', Date.UTC(2018, 10, 29, 11, 3, 12)],
    ['Jul 10, 2023, 12:09:47 PM', Date.UTC(2023, 6, 10, 12, 9, 47)],
    ['Jul 10, 2023, 1:09:47 PM', Date.UTC(2023, 6, 10, 13, 9, 47)],
    ['Jan 1, 2024 12:00:00 AM', Date.UTC(2024, 0, 1, 0, 0, 0)],
    ['Dec 31, 2024 11:59:59 PM', Date.UTC(2024, 11, 31, 23, 59, 59)],
    ['feb 3, 2020 7:05:09 pm', Date.UTC(2020, 1, 3, 19, 5, 9)],
    ['  Sep 9, 2021 9:00:00 AM ', Date.UTC(2021, 8, 9, 9, 0, 0)],
    ['2024-11-30T08:43:17Z', Date.UTC(2024, 10, 30, 8, 43, 17)],
    ['2024-11-30T08:43:17.123Z', Date.UTC(2024, 10, 30, 8, 43, 17, 123)],
    ['2024-11-30T10:43:17+02:00', Date.UTC(2024, 10, 30, 8, 43, 17)],
    ['2024-11-30', Date.UTC(2024, 10, 30)],
    // No zone: UTC, as CloudTrail's times are, never this machine's zone.
    ['2024-11-30T08:43:17', Date.UTC(2024, 10, 30, 8, 43, 17)],
    ['2024-11-30 08:43:17.5', Date.UTC(2024, 10, 30, 8, 43, 17, 500)],
  ])('%s', (text, ms) => {
    expect(parseTrailTime(text)).toBe(ms);
  });

  it.each([
    '',
    ' ',
    'yesterday',
    '2024',
    '30/11/2024',
    '11/30/2024 08:43:17',
    '2024-13-45T00:00:00Z',
    'Foo 10, 2023 1:00:00 PM',
    'Jul 10, 2023 13:00:00 PM',
    'Jul 10, 2023 0:00:00 AM',
    'Jul 10 2023 1:00:00 PM',
    'Jul 10, 2023 1:00:00',
  ])('%j is not a time', (text) => {
    expect(parseTrailTime(text)).toBeUndefined();
  });

  it('reads ISO times as Date.parse does, for 5,000 random ones in and out of range', () => {
    let seed = 12_345;
    const digit = () => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return String((seed >>> 16) % 10);
    };
    const digits = (n: number) => Array.from({ length: n }, digit).join('');
    // Mostly plausible values, sometimes any digits: months 13+, days 32+, hour 24, second 60…
    const part = (low: number, high: number, width: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 16) % 4 === 0
        ? digits(width)
        : String(low + ((seed >>> 8) % (high - low + 1))).padStart(width, '0');
    };
    for (let i = 0; i < 5000; i++) {
      const ms = i % 2 === 0 ? `.${digits(3)}` : '';
      const text = `${part(1970, 2100, 4)}-${part(1, 12, 2)}-${part(1, 31, 2)}T${part(0, 23, 2)}:${part(0, 59, 2)}:${part(0, 59, 2)}${ms}Z`;
      const expected = Date.parse(text);
      expect(parseTrailTime(text), text).toBe(Number.isNaN(expected) ? undefined : expected);
    }
    for (const text of [
      '0099-01-01T00:00:00Z',
      '2024-02-30T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:00:60Z',
    ]) {
      const expected = Date.parse(text);
      expect(parseTrailTime(text), text).toBe(Number.isNaN(expected) ? undefined : expected);
    }
  });

  it('takes numbers a Date can hold as ms, and nothing else', () => {
    expect(parseTrailTime(8.64e15)).toBe(8.64e15);
    expect(parseTrailTime(-8.64e15)).toBe(-8.64e15);
    expect(parseTrailTime(8.64e15 + 1)).toBeUndefined();
    expect(parseTrailTime(1e308)).toBeUndefined();
    expect(parseTrailTime(-1e308)).toBeUndefined();
  });

  it('takes finite numbers as ms and nothing else', () => {
    expect(parseTrailTime(0)).toBe(0);
    expect(parseTrailTime(1_732_956_197_000)).toBe(1_732_956_197_000);
    expect(parseTrailTime(-1)).toBe(-1);
    for (const value of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      null,
      undefined,
      {},
      [],
      true,
    ]) {
      expect(parseTrailTime(value)).toBeUndefined();
    }
  });
});

describe('localTrailSource', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'triage-trail-'));
    const put = async (path: string, content: string | Buffer) => {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), content);
    };
    await put('b.json', recordsFile(rec(20)));
    await put('a.json.gz', gzipSync(recordsFile(rec(10), rec(11))));
    await put('c.jsonl', ndjson({ ...rec(30, { eventTime: undefined }), '@timestamp': iso(T0 + 30_000) }));
    await put('d.ndjson', ndjson(rec(40), rec(41)));
    await put('2024/11/30/x.json.gz', gzipSync(recordsFile(rec(1))));
    await put('2024/11/29/y.json', recordsFile(rec(0)));
    await put('2024/12/01/z.gz', gzipSync(recordsFile(rec(2))));
    await put('2024/12/01/digest.txt', 'not a trail');
    // CloudTrail's digest files hold hashes, not events.
    await put(
      'CloudTrail-Digest/eu-west-1/2024/11/30/111122223333_CloudTrail-Digest_eu-west-1_t_20241130T0843Z.json.gz',
      gzipSync(JSON.stringify({ awsAccountId: ACCOUNT, digestStartTime: iso(T0) })),
    );
    // Byte order, as S3 lists keys: capitals before small letters.
    await put('Z.json', recordsFile(rec(3)));
    await put('notes.md', '# not a trail');
    await put('e.json.bak', recordsFile(rec(99)));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every trail file under a folder, recursively, in name order, and nothing else', async () => {
    const { events, diagnostics } = await read(localTrailSource(dir));
    expect(diagnostics).toEqual([]);
    const rel = (file: string) => file.slice(dir.length + 1);
    expect(events.map((e) => [rel(e.file), e.eventName])).toEqual([
      [join('2024/11/29/y.json'), 'Event0'],
      [join('2024/11/30/x.json.gz'), 'Event1'],
      [join('2024/12/01/z.gz'), 'Event2'],
      ['Z.json', 'Event3'],
      ['a.json.gz', 'Event10'],
      ['a.json.gz', 'Event11'],
      ['b.json', 'Event20'],
      ['c.jsonl', 'Event30'],
      ['d.ndjson', 'Event40'],
      ['d.ndjson', 'Event41'],
    ]);
    expect(events.find((e) => e.eventName === 'Event30')?.eventTime).toBe(T0 + 30_000);
  });

  it('reads one file given by its path, whatever its name', async () => {
    const { events } = await read(localTrailSource(join(dir, 'e.json.bak')));
    expect(events.map((e) => e.eventName)).toEqual(['Event99']);
  });

  it('throws NOT_FOUND for a missing path, when iterated', async () => {
    const error = await rejection(read(localTrailSource(join(dir, 'no-such-folder'))));
    expect(isTriageError(error, 'NOT_FOUND')).toBe(true);
    expect((error as TriageError).message).toContain('no-such-folder');
  });

  it('reports a bad gzip in the folder and reads the files after it', async () => {
    const sub = await mkdtemp(join(dir, 'bad-'));
    await writeFile(
      join(sub, '1.json.gz'),
      Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(40, 7)]),
    );
    await writeFile(join(sub, '2.json.gz'), gzipSync(recordsFile(rec(5))));
    const { events, diagnostics } = await read(localTrailSource(sub));
    expect(events.map((e) => e.eventName)).toEqual(['Event5']);
    expect(diagnostics.map((d) => d.file)).toContain(join(sub, '1.json.gz'));
    expect(diagnostics.every((d) => d.file === join(sub, '1.json.gz'))).toBe(true);
  });
});
