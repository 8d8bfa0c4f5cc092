/**
 * Fuzzing the reader, and the lineage and findings behind it, with
 * thousands of deterministic malformed inputs: random bytes; valid CloudTrail
 * files with bytes flipped, cut off or inserted; records with a wrong type in
 * any field; gzipped or not, the gzip itself damaged too. Nothing may throw;
 * every diagnostic names its file and a reason; every event has a time and a
 * name.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFindings } from './findings.js';
import { buildLineage } from './lineage.js';
import {
  type ReadTrailOptions,
  readTrail,
  type TrailDiagnostic,
  type TrailEvent,
  type TrailFile,
} from './reader.js';
import { type CloudTrailRecord, prng, syntheticTrail } from './synthetic.js';

const random = prng(0xc10d7a11);
const int = (n: number) => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
const chance = (p: number) => random() < p;

const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Values of the wrong type (or the right type, wrong content), as JSON text. */
const WRONG = [
  '5',
  '-1',
  '0',
  '1e308',
  '-1e308',
  '1e400',
  '8.64e15',
  '8.640000000000001e15',
  '123456789012345678901234567890',
  '0.000001',
  '{}',
  '[]',
  '"x"',
  '""',
  'null',
  'true',
  'false',
  '[1,"a",{},null]',
  '{"toString":1,"valueOf":1}',
  '{"__proto__":{"polluted":true}}',
  nest(64),
  nest(3000),
  `{"a":${nest(500)}}`,
  '"\\u0000\\ud800"',
  '"2024-11-30T08:43:17Z"',
  '"Nov 29, 2018 11:03:12 AM"',
  '"Feb 31, 2023 99:99:99 PM"',
  '"ASIAEXAMPLE123456789"',
  '"AKIAEXAMPLE123456789"',
  '"arn:aws:iam::111122223333:role/x"',
  '{"credentials":5}',
  '{"credentials":{"accessKeyId":{},"expiration":[],"sessionToken":5}}',
  '{"credentials":{"accessKeyId":"ASIAEXAMPLEFUZZ00001","expiration":"Nov 29, 2018 11:03:12 AM"}}',
  '{"assumedRoleUser":"x","federatedUser":[]}',
  '{"attributes":{"creationDate":{},"mfaAuthenticated":[]},"sessionIssuer":5}',
];

/** Names that reach the lineage's and findings' special cases. */
const NAMES = [
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'GetSessionToken',
  'GetFederationToken',
  'GetCallerIdentity',
  'ConsoleLogin',
  'GetObject',
  'PutObject',
  'UploadPart',
  'CompleteMultipartUpload',
  'ListObjects',
  'ListObjectsV2',
  'ListObjectVersions',
  'CreateAccessKey',
  'DeleteAccessKey',
  'UpdateAccessKey',
  'PutUserPolicy',
  'PutRolePolicy',
];

/** Where each of {@link NAMES} comes from (IAM otherwise). */
const SOURCE_OF: Readonly<Record<string, string>> = {
  AssumeRole: 'sts',
  AssumeRoleWithSAML: 'sts',
  AssumeRoleWithWebIdentity: 'sts',
  GetSessionToken: 'sts',
  GetFederationToken: 'sts',
  GetCallerIdentity: 'sts',
  ConsoleLogin: 'signin',
  GetObject: 's3',
  PutObject: 's3',
  UploadPart: 's3',
  CompleteMultipartUpload: 's3',
  ListObjects: 's3',
  ListObjectsV2: 's3',
  ListObjectVersions: 's3',
};

/** Paths set to a wrong value, on top of those the record has. */
const PATHS = [
  'eventTime',
  '@timestamp',
  'eventName',
  'eventSource',
  'eventID',
  'awsRegion',
  'sourceIPAddress',
  'userAgent',
  'errorCode',
  'errorMessage',
  'recipientAccountId',
  'sessionCredentialFromConsole',
  'userIdentity',
  'userIdentity.type',
  'userIdentity.arn',
  'userIdentity.accessKeyId',
  'userIdentity.principalId',
  'userIdentity.accountId',
  'userIdentity.userName',
  'userIdentity.invokedBy',
  'userIdentity.sessionContext',
  'userIdentity.sessionContext.ec2RoleDelivery',
  'userIdentity.sessionContext.attributes',
  'userIdentity.sessionContext.attributes.creationDate',
  'userIdentity.sessionContext.attributes.mfaAuthenticated',
  'userIdentity.sessionContext.sessionIssuer',
  'userIdentity.sessionContext.sessionIssuer.arn',
  'userIdentity.sessionContext.sessionIssuer.type',
  'requestParameters',
  'requestParameters.roleArn',
  'requestParameters.roleSessionName',
  'requestParameters.name',
  'requestParameters.bucketName',
  'requestParameters.key',
  'requestParameters.prefix',
  'requestParameters.list-type',
  'requestParameters.userName',
  'requestParameters.accessKeyId',
  'requestParameters.durationSeconds',
  'responseElements',
  'responseElements.credentials',
  'responseElements.credentials.accessKeyId',
  'responseElements.credentials.expiration',
  'responseElements.assumedRoleUser',
  'responseElements.assumedRoleUser.arn',
  'responseElements.federatedUser',
  'responseElements.ConsoleLogin',
  'responseElements.accessKey',
  'additionalEventData',
  'additionalEventData.bytesTransferredOut',
  'additionalEventData.bytesTransferredIn',
  'additionalEventData.MFAUsed',
];

const BASE: readonly CloudTrailRecord[] = [...syntheticTrail({ noise: 80, seed: 7 }).records()];

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let at = target;
  for (const part of parts.slice(0, -1)) {
    const next = at[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[part] = {};
    at = at[part] as Record<string, unknown>;
  }
  at[parts.at(-1) as string] = value;
}

/** A record with some fields (a real record's, or any of PATHS) set to wrong values, as JSON text. */
function wrongRecord(): string {
  const record = structuredClone(pick(BASE)) as Record<string, unknown>;
  if (chance(0.5)) record.eventName = pick(NAMES);
  if (chance(0.3))
    record.eventSource = pick(['sts.amazonaws.com', 's3.amazonaws.com', 'iam.amazonaws.com', '']);
  const wrong: string[] = [];
  const count = 1 + int(6);
  for (let i = 0; i < count; i++) {
    // The time and name are wrong less often, so most records still reach the lineage.
    let path = pick(PATHS);
    if ((path === 'eventTime' || path === 'eventName') && chance(0.7)) path = 'requestParameters';
    setPath(record, path, `\u0001${wrong.length}\u0001`);
    wrong.push(pick(WRONG));
  }
  return JSON.stringify(record).replace(
    /"\\u0001(\d+)\\u0001"/g,
    (_m, n: string) => wrong[Number(n)] as string,
  );
}

function validRecords(n: number, wrongShare: number): string[] {
  return Array.from({ length: n }, () => (chance(wrongShare) ? wrongRecord() : JSON.stringify(pick(BASE))));
}

/** A file of records in one of the shapes the reader takes. */
function trailText(records: readonly string[]): { text: string; ext: string } {
  switch (int(4)) {
    case 0:
      return { text: `{"Records":[${records.join(',')}]}`, ext: '.json' };
    case 1:
      return { text: `[${records.join(',\n')}]`, ext: '.json' };
    case 2:
      return { text: `${records.join('\n')}\n`, ext: pick(['.jsonl', '.ndjson']) };
    default:
      return { text: `{"x":[1,{"y":"}"}],"Records":[${records.join(', ')}],"z":{}}`, ext: '.json' };
  }
}

function randomBytes(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = int(256);
  return out;
}

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  '\\',
  ',',
  ':',
  '\n',
  '\r\n',
  '\u0000',
  'null',
  '1e999',
  '"Records":',
  '\ufeff',
];

function flip(bytes: Buffer, times: number): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i < times && out.length > 0; i++) {
    const at = int(out.length);
    out[at] = chance(0.5) ? (out[at] as number) ^ (1 << int(8)) : int(256);
  }
  return out;
}

function insert(bytes: Buffer, times: number): Buffer {
  let out = bytes;
  for (let i = 0; i < times; i++) {
    const at = int(out.length + 1);
    const piece = chance(0.5) ? Buffer.from(pick(TOKENS)) : randomBytes(1 + int(8));
    out = Buffer.concat([out.subarray(0, at), piece, out.subarray(at)]);
  }
  return out;
}

const truncate = (bytes: Buffer) => bytes.subarray(0, int(bytes.length + 1));

interface Input {
  readonly kind: string;
  readonly name: string;
  readonly bytes: Buffer;
}

const KINDS = ['random bytes', 'flipped', 'truncated', 'inserted', 'wrong types', 'damaged gzip'] as const;

function makeInput(n: number): Input {
  const kind = KINDS[n % KINDS.length] as (typeof KINDS)[number];
  const { text, ext } = trailText(validRecords(int(8), kind === 'wrong types' ? 1 : 0.3));
  const valid = Buffer.from(text);
  let bytes: Buffer;
  switch (kind) {
    case 'random bytes': {
      const prefix = pick(['', '', '{', '[', '{"Records":[', '\u001f\u008b', '\ufeff', '{"Records":[{']);
      bytes = Buffer.concat([
        Buffer.from(prefix, prefix.startsWith('\u001f') ? 'latin1' : 'utf8'),
        randomBytes(int(400)),
      ]);
      break;
    }
    case 'flipped':
      bytes = flip(valid, 1 + int(5));
      break;
    case 'truncated':
      bytes = truncate(valid);
      break;
    case 'inserted':
      bytes = insert(valid, 1 + int(5));
      break;
    case 'wrong types':
      bytes = valid;
      break;
    case 'damaged gzip': {
      const gz = gzipSync(valid);
      bytes = pick([() => flip(gz, 1 + int(3)), () => truncate(gz), () => insert(gz, 1 + int(2))])();
      break;
    }
  }
  const gzipped = kind !== 'damaged gzip' && chance(0.5);
  if (gzipped) bytes = gzipSync(bytes);
  const gz = gzipped || kind === 'damaged gzip' ? '.gz' : '';
  return {
    kind,
    name: `fuzz/${n}-${kind.replace(/ /g, '-')}${pick([ext, '.json', ''])}${gz || pick(['', '.gz'])}`,
    bytes,
  };
}

/** The input's bytes in random chunks (1-byte chunks only for small inputs, to keep the run short). */
function chunks(bytes: Buffer): Buffer[] {
  const most = pick([bytes.length, 1 + int(64), 1 + int(4096), bytes.length < 400 ? 1 : 7]);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = Math.max(1, Math.min(most, 1 + int(most * 2)));
    out.push(bytes.subarray(at, at + size));
    at += size;
  }
  return out;
}

describe('fuzzing readTrail, buildLineage and detectFindings', () => {
  it('never throws on 2,400 malformed inputs, and says what and where', async () => {
    const INPUTS = 2400;
    const GROUP = 8;
    const diagnosticsSeen = new Map<string, number>();
    let events = 0;
    let lineageKeys = 0;
    let findings = 0;
    for (let first = 0; first < INPUTS; first += GROUP) {
      const inputs = Array.from({ length: GROUP }, (_, i) => makeInput(first + i));
      const names = new Set(inputs.map((input) => input.name));
      const files: TrailFile[] = inputs.map((input) => ({ name: input.name, bytes: chunks(input.bytes) }));
      const options: ReadTrailOptions = pick([{}, { maxRecordBytes: 256 }, { maxRecordBytes: 4096 }]);
      const where = `inputs ${first}..${first + GROUP - 1} (${JSON.stringify(options)})`;
      const diagnostics: TrailDiagnostic[] = [];
      const read: TrailEvent[] = [];
      try {
        for await (const event of readTrail(files, {
          ...options,
          onDiagnostic: (d) => diagnostics.push(d),
        })) {
          read.push(event);
        }
      } catch (error) {
        throw new Error(`readTrail threw on ${where}: ${(error as Error).stack}`);
      }
      for (const d of diagnostics) {
        expect(typeof d.file === 'string' && names.has(d.file), `${where}: ${JSON.stringify(d)}`).toBe(true);
        expect(typeof d.reason === 'string' && d.reason.length > 0, `${where}: ${JSON.stringify(d)}`).toBe(
          true,
        );
        const reason = d.reason.replace(/[:(].*/s, '').trim();
        diagnosticsSeen.set(reason, (diagnosticsSeen.get(reason) ?? 0) + 1);
      }
      for (const e of read) {
        expect(Number.isFinite(e.eventTime), `${where}: ${e.file}#${e.index} eventTime ${e.eventTime}`).toBe(
          true,
        );
        expect(
          typeof e.eventName === 'string' && e.eventName.length > 0,
          `${where}: ${e.file}#${e.index}`,
        ).toBe(true);
        expect(names.has(e.file), where).toBe(true);
      }
      events += read.length;
      try {
        const graph = await buildLineage(read);
        lineageKeys += graph.keys.length;
        findings += detectFindings(graph).length;
      } catch (error) {
        throw new Error(`the lineage or findings threw on ${where}: ${(error as Error).stack}`);
      }
    }
    // Not vacuous: events got through, the lineage saw keys, and every kind of problem was met.
    expect(events).toBeGreaterThan(1000);
    expect(lineageKeys).toBeGreaterThan(100);
    expect(findings).toBeGreaterThan(0);
    for (const reason of [
      'could not read',
      'invalid JSON',
      'record has no valid eventTime or @timestamp',
      'record has no eventName',
      'record is not a JSON object',
      'not a CloudTrail file',
      'file ends inside a record',
      'empty file',
    ]) {
      expect(
        diagnosticsSeen.get(reason),
        `${reason} in ${JSON.stringify([...diagnosticsSeen])}`,
      ).toBeGreaterThan(0);
    }
  });

  it('takes every wrong value in every field, for every kind of event the lineage looks at', async () => {
    const minting = BASE.find((r) => r.eventName === 'AssumeRole' && r.responseElements) as CloudTrailRecord;
    expect(minting).toBeDefined();
    const files: TrailFile[] = PATHS.map((path, p) => {
      const records = WRONG.flatMap((value) =>
        NAMES.map((name) => {
          const record = structuredClone(minting) as Record<string, unknown>;
          record.eventName = name;
          record.eventSource = `${SOURCE_OF[name] ?? 'iam'}.amazonaws.com`;
          setPath(record, path, '\u0001');
          return JSON.stringify(record).replace('"\\u0001"', value);
        }),
      );
      const text = Buffer.from(`{"Records":[${records.join(',')}]}`);
      return { name: `every/${path}.json${p % 2 ? '.gz' : ''}`, bytes: [p % 2 ? gzipSync(text) : text] };
    });
    const diagnostics: TrailDiagnostic[] = [];
    const events: TrailEvent[] = [];
    for await (const event of readTrail(files, { onDiagnostic: (d) => diagnostics.push(d) }))
      events.push(event);
    // Only a wrong time or name (or a record that is no longer an object) loses the record.
    expect(diagnostics.every((d) => d.file.length > 0 && d.reason.startsWith('record has no'))).toBe(true);
    expect(events.length + diagnostics.length).toBe(PATHS.length * WRONG.length * NAMES.length);
    expect(events.length).toBeGreaterThan((PATHS.length - 4) * WRONG.length * NAMES.length);
    for (const e of events) expect(Number.isFinite(e.eventTime) && e.eventName.length > 0).toBe(true);
    const graph = await buildLineage(events);
    expect(graph.keys.length).toBeGreaterThan(0);
    expect(() => detectFindings(graph)).not.toThrow();
  });

  it('reads each malformed input the same, events and diagnostics, whatever its chunks', async () => {
    const readAll = async (file: TrailFile) => {
      const diagnostics: TrailDiagnostic[] = [];
      const events: TrailEvent[] = [];
      // 1,000 bytes: files of more than a record or two are streamed through the splitter.
      for await (const e of readTrail([file], {
        maxRecordBytes: 1000,
        onDiagnostic: (d) => diagnostics.push(d),
      })) {
        events.push(e);
      }
      return { events, diagnostics };
    };
    let compared = 0;
    for (let n = 0; n < 600; n++) {
      const input = makeInput(200_000 + n);
      // A damaged gzip stream may give more or less of its data before failing, depending on its chunks.
      if (input.kind === 'damaged gzip') continue;
      const whole = await readAll({ name: input.name, bytes: [input.bytes] });
      const cut: Buffer[] = [];
      for (let at = 0; at < input.bytes.length; ) {
        const size = 1 + int(48);
        cut.push(input.bytes.subarray(at, at + size));
        at += size;
      }
      expect(await readAll({ name: input.name, bytes: cut }), `input ${200_000 + n} (${input.kind})`).toEqual(
        whole,
      );
      compared++;
    }
    expect(compared).toBe(500);
  });

  it('builds one lineage over every event the fuzzed files yield', async () => {
    const files: TrailFile[] = Array.from({ length: 300 }, (_, n) => {
      const input = makeInput(100_000 + n);
      return { name: input.name, bytes: [input.bytes] };
    });
    const graph = await buildLineage(readTrail(files));
    expect(graph.keys.length).toBeGreaterThan(0);
    expect(() => detectFindings(graph)).not.toThrow();
  });
});
