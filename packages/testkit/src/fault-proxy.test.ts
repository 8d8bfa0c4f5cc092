import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

// A real upstream HTTP server that counts what reaches it.
let hits = 0;
const upstream = createServer((req, res) => {
  hits++;
  req.resume();
  req.on('end', () => res.end('x'.repeat(1000)));
});
let proxy: FaultProxy;

beforeAll(async () => {
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  proxy = await startFaultProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy.stop();
  upstream.close();
});

const get = (path = '/b/k?x-id=GetObject') =>
  fetch(`${proxy.endpoint}${path}`, { signal: AbortSignal.timeout(2_000) });

describe('fault proxy', () => {
  it('forwards unchanged when no rule matches', async () => {
    proxy.setRules([{ action: 'UploadPart', fault: { kind: 'reset-before' } }]);
    const before = hits;
    const response = await get();
    expect(await response.text()).toHaveLength(1000);
    expect(hits).toBe(before + 1);
  });

  it('resets before forwarding: the server never sees the request', async () => {
    proxy.setRules([{ action: 'GetObject', fault: { kind: 'reset-before' } }]);
    const before = hits;
    await expect(get()).rejects.toThrow();
    expect(hits).toBe(before);
    expect(await (await get()).text()).toHaveLength(1000); // times: 1 by default
  });

  it('resets after forwarding: the server acted, the reply is lost', async () => {
    proxy.setRules([{ action: 'GetObject', fault: { kind: 'reset-after' } }]);
    const before = hits;
    await expect(get()).rejects.toThrow();
    expect(hits).toBe(before + 1);
  });

  it('answers with S3 errors, skipping and counting as told', async () => {
    proxy.setRules([
      { action: 'GetObject', skip: 1, times: 2, fault: { kind: 'status', status: 503, code: 'SlowDown' } },
    ]);
    expect((await get()).status).toBe(200);
    const slow = await get();
    expect(slow.status).toBe(503);
    expect(await slow.text()).toContain('<Code>SlowDown</Code>');
    expect((await get()).status).toBe(503);
    expect((await get()).status).toBe(200);
    expect(proxy.injected.status).toBeGreaterThanOrEqual(2);
  });

  it('stalls and truncates', async () => {
    proxy.setRules([{ action: 'GetObject', fault: { kind: 'stall', ms: 5_000 } }]);
    await expect(
      fetch(`${proxy.endpoint}/b/k?x-id=GetObject`, { signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    proxy.setRules([{ action: 'GetObject', fault: { kind: 'truncate', bytes: 100 } }]);
    await expect(get().then((response) => response.text())).rejects.toThrow();
  });

  it('delays and then forwards', async () => {
    proxy.setRules([{ action: 'GetObject', fault: { kind: 'delay', ms: 200 } }]);
    const before = hits;
    const started = Date.now();
    expect(await (await get()).text()).toHaveLength(1000);
    expect(hits).toBe(before + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('matches part numbers', async () => {
    proxy.setRules([
      { action: 'PUT', partNumber: 2, fault: { kind: 'status', status: 500, code: 'InternalError' } },
    ]);
    const put = (n: number) =>
      fetch(`${proxy.endpoint}/b/k?partNumber=${n}&uploadId=u`, { method: 'PUT', body: 'x' });
    expect((await put(1)).status).toBe(200);
    expect((await put(2)).status).toBe(500);
  });
});
