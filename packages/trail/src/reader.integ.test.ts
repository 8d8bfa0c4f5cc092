/**
 * `s3TrailSource` conformance suite: the same tests, unchanged, against every
 * real S3 server the test kit runs (like unstorage's testDriver). CloudTrail
 * files, gzip and plain, a malformed one and keys that are not trail files,
 * are uploaded through `@triage/s3-transport` and read back with `readTrail`.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isTriageError } from '@triage/errors';
import { createTransport, type Transport } from '@triage/s3-transport';
import type { ServerInfo, ServerName } from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  readTrail,
  s3TrailSource,
  type TrailDiagnostic,
  type TrailEvent,
  type TrailFile,
  type TrailSource,
} from './reader.js';

const ACCOUNT = '111122223333';
const PREFIX = `AWSLogs/${ACCOUNT}/CloudTrail/eu-west-1/2024/11/30/`;
const T0 = Date.UTC(2024, 10, 30, 8, 0, 0);

function rec(n: number): Record<string, unknown> {
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/reader/s${n}`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLE123456789',
    },
    eventTime: new Date(T0 + n * 60_000).toISOString(),
    eventSource: 's3.amazonaws.com',
    eventName: n % 2 === 0 ? 'GetObject' : 'ListObjects',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.7',
    requestParameters: { bucketName: 'acme', key: `k${n}`, ...(n % 2 === 1 ? { 'list-type': '2' } : {}) },
    eventID: `event-${n}`,
  };
}

const records = (...ns: number[]) => JSON.stringify({ Records: ns.map(rec) });

/** What is uploaded, by key under PREFIX (and one key beside it). */
const OBJECTS: readonly [string, Buffer][] = [
  [`${PREFIX}${ACCOUNT}_CloudTrail_eu-west-1_20241130T0800Z_a.json.gz`, gzipSync(records(0, 1))],
  [`${PREFIX}${ACCOUNT}_CloudTrail_eu-west-1_20241130T0805Z_b.json`, Buffer.from(records(2))],
  // Malformed: the gzip magic, then junk.
  [
    `${PREFIX}${ACCOUNT}_CloudTrail_eu-west-1_20241130T0810Z_c.json.gz`,
    Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.from('definitely not deflate')]),
  ],
  [`${PREFIX}${ACCOUNT}_CloudTrail_eu-west-1_20241130T0815Z_d.json.gz`, gzipSync(records(3, 4, 5))],
  [`${PREFIX}digest.txt`, Buffer.from('not a trail file')],
  [`${PREFIX}nested/e.ndjson`, Buffer.from(`${JSON.stringify(rec(6))}\n{"broken":\n`)],
  [`AWSLogs/${ACCOUNT}/Other/f.json`, Buffer.from(records(9))],
];
const key = (suffix: string) => OBJECTS.find(([k]) => k.endsWith(suffix))?.[0] as string;

function clientFor(server: ServerInfo): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: server.credentials,
    forcePathStyle: true,
  });
}

function transportFor(server: ServerInfo, bucket: string): Transport {
  return createTransport({
    bucket,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: async () => server.credentials,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
  });
}

async function read(source: TrailSource): Promise<{ events: TrailEvent[]; diagnostics: TrailDiagnostic[] }> {
  const events: TrailEvent[] = [];
  const diagnostics: TrailDiagnostic[] = [];
  for await (const event of readTrail(source, { onDiagnostic: (d) => diagnostics.push(d) }))
    events.push(event);
  return { events, diagnostics };
}

function describeTrailOnS3(name: ServerName): void {
  describe(name, () => {
    const server = inject('triageServices')[name];
    const bucket = `trail-${randomUUID().slice(0, 8)}`;
    const s3 = (k: string) => `s3://${bucket}/${k}`;
    let admin: S3Client;
    let transport: Transport;

    beforeAll(async () => {
      admin = clientFor(server);
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      transport = transportFor(server, bucket);
      for (const [k, body] of OBJECTS) await transport.upload(k, body).done();
    });

    afterAll(() => {
      admin.destroy();
    });

    it('reads every trail file under the prefix, in key order, and reports the malformed one by its s3:// name', async () => {
      const { events, diagnostics } = await read(s3TrailSource(transport, PREFIX));
      expect(events.map((e) => [e.file, e.index, e.eventId, e.eventName, e.eventTime])).toEqual([
        [s3(key('_a.json.gz')), 0, 'event-0', 'GetObject', T0],
        [s3(key('_a.json.gz')), 1, 'event-1', 'ListObjectsV2', T0 + 60_000],
        [s3(key('_b.json')), 0, 'event-2', 'GetObject', T0 + 120_000],
        [s3(key('_d.json.gz')), 0, 'event-3', 'ListObjectsV2', T0 + 180_000],
        [s3(key('_d.json.gz')), 1, 'event-4', 'GetObject', T0 + 240_000],
        [s3(key('_d.json.gz')), 2, 'event-5', 'ListObjectsV2', T0 + 300_000],
        [s3(key('e.ndjson')), 0, 'event-6', 'GetObject', T0 + 360_000],
      ]);
      expect(events[0]?.identity.accessKeyId).toBe('ASIAEXAMPLE123456789');
      expect(events[0]?.requestParameters).toEqual({ bucketName: 'acme', key: 'k0' });

      const bad = s3(key('_c.json.gz'));
      const byFile = (file: string) => diagnostics.filter((d) => d.file === file);
      expect(byFile(bad).length).toBeGreaterThanOrEqual(1);
      expect(byFile(bad).some((d) => d.reason.startsWith('could not read: '))).toBe(true);
      expect(byFile(s3(key('e.ndjson'))).map((d) => [d.record, d.reason.replace(/:.*/, '')])).toEqual([
        [1, 'invalid JSON'],
      ]);
      // Nothing else: digest.txt is not read, and the key outside the prefix is not listed.
      expect(diagnostics.filter((d) => d.file !== bad && d.file !== s3(key('e.ndjson')))).toEqual([]);
    });

    it('reads a prefix that holds nothing as no events and no diagnostics', async () => {
      expect(await read(s3TrailSource(transport, 'AWSLogs/nothing-here/'))).toEqual({
        events: [],
        diagnostics: [],
      });
    });

    it('reports an object that is gone by the time it is read, and reads the next', async () => {
      const prefix = 'gone/';
      await transport.upload(`${prefix}1.json`, Buffer.from(records(1))).done();
      await transport.upload(`${prefix}2.json`, Buffer.from(records(2))).done();
      async function* deleteFirstAfterListing(): AsyncGenerator<TrailFile> {
        for await (const file of s3TrailSource(transport, prefix)) {
          if (file.name.endsWith('/1.json')) {
            await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}1.json` }));
          }
          yield file;
        }
      }
      const { events, diagnostics } = await read(deleteFirstAfterListing());
      expect(events.map((e) => e.file)).toEqual([s3(`${prefix}2.json`)]);
      expect(diagnostics.map((d) => d.file)).toEqual(diagnostics.map(() => s3(`${prefix}1.json`)));
      expect(diagnostics.filter((d) => d.reason.startsWith('could not read: '))).toHaveLength(1);
    });

    it('lets a listing error through as a TriageError: NOT_FOUND for a missing bucket', async () => {
      const missing = transportFor(server, `trail-missing-${randomUUID().slice(0, 8)}`);
      let caught: unknown;
      try {
        await read(s3TrailSource(missing, PREFIX));
      } catch (error) {
        caught = error;
      }
      expect(isTriageError(caught), String(caught)).toBe(true);
      expect(isTriageError(caught, 'NOT_FOUND'), String(caught)).toBe(true);
    });
  });
}

describeTrailOnS3('minio');
describeTrailOnS3('moto');
