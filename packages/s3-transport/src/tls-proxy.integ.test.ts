/**
 * TLS with a custom CA and proxies, in front of both real servers: the test
 * kit's proxy terminates TLS with a certificate from a throwaway CA, and a
 * second one acts as the HTTPS_PROXY (CONNECT) or HTTP_PROXY (absolute URLs).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  type FaultProxy,
  makeTestCertificates,
  type ServerName,
  startFaultProxy,
  type TestCertificates,
} from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminClient, transportFor } from './testing/support.js';

const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe.each(['moto', 'minio'] as const)('%s behind TLS and proxies', (name: ServerName) => {
  const server = inject('triageServices')[name];
  const bucket = `tls-${randomUUID().slice(0, 8)}`;
  let certs: TestCertificates;
  let tls: FaultProxy;
  let forward: FaultProxy;

  beforeAll(async () => {
    await adminClient(server).send(new CreateBucketCommand({ Bucket: bucket }));
    certs = await makeTestCertificates(await mkdtemp(join(tmpdir(), 'certs-')));
    tls = await startFaultProxy(server.endpoint, { tls: { cert: certs.cert, key: certs.key } });
    forward = await startFaultProxy(server.endpoint);
  });
  afterAll(async () => {
    await tls.stop();
    await forward.stop();
  });

  it('uploads and downloads over TLS when given the CA', async () => {
    const transport = transportFor(server, bucket, { endpoint: tls.endpoint, ca: certs.caCert });
    const data = randomBytes(70_000);
    const receipt = await transport.upload('tls/object', data).done();
    expect(receipt.sourceSha256).toBe(hex(data));
    const download = await transport.download('tls/object');
    const chunks: Uint8Array[] = [];
    for await (const chunk of download.stream as unknown as AsyncIterable<Uint8Array>) chunks.push(chunk);
    expect(hex(Buffer.concat(chunks))).toBe(hex(data));
  });

  it('refuses an untrusted certificate at once, without retrying', async () => {
    const transport = transportFor(server, bucket, {
      endpoint: tls.endpoint,
      retry: { attempts: 5, baseDelayMs: 10 },
    });
    const before = tls.connections();
    const error = await transport
      .upload('tls/untrusted', randomBytes(10))
      .done()
      .catch((e: unknown) => e as { code?: string; retryable?: boolean });
    expect(error).toMatchObject({ code: 'TLS_UNTRUSTED', retryable: false });
    expect(tls.connections() - before).toBe(1); // one attempt: not retried
  });

  it('reaches an https endpoint through an HTTPS_PROXY (CONNECT)', async () => {
    forward.proxied.length = 0;
    const transport = transportFor(server, bucket, {
      endpoint: tls.endpoint,
      ca: certs.caCert,
      proxy: forward.endpoint,
    });
    const data = randomBytes(1000);
    expect((await transport.upload('proxy/connect', data).done()).sourceSha256).toBe(hex(data));
    expect(forward.proxied).toContain(new URL(tls.endpoint).host);
  });

  it('reaches an http endpoint through an HTTP_PROXY, and goes direct for NO_PROXY hosts', async () => {
    forward.proxied.length = 0;
    const via = transportFor(server, bucket, { proxy: forward.endpoint });
    await via.upload('proxy/plain', randomBytes(10)).done();
    expect(forward.proxied).toContain(new URL(server.endpoint).host);
    forward.proxied.length = 0;
    const direct = transportFor(server, bucket, { proxy: forward.endpoint, noProxy: ['127.0.0.1'] });
    await direct.upload('proxy/direct', randomBytes(10)).done();
    expect(forward.proxied).toEqual([]);
  });
});
