import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { assertRecord, type NetworkConnection } from '@triage/artifact-schema';
import type { CollectorError } from '@triage/collect-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectLinux } from '../collect.js';

describe.runIf(process.platform === 'linux')('live sockets', () => {
  let server: Server;
  let port: number;
  const sockets: NetworkConnection[] = [];
  const errors: CollectorError[] = [];

  beforeAll(async () => {
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    for await (const record of collectLinux({
      only: ['network_connection'],
      onError: (e) => errors.push(e),
    })) {
      assertRecord(record);
      if (record.kind === 'network_connection') sockets.push(record);
    }
  }, 60_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('shows a socket this test listens on as LISTEN, owned by this process', () => {
    const mine = sockets.find((s) => s.protocol === 'tcp' && s.local_port === port && s.state === 'LISTEN');
    expect(mine).toMatchObject({
      source: '/proc/net/tcp',
      family: 'ipv4',
      local_address: '127.0.0.1',
      remote_address: '0.0.0.0',
      remote_port: 0,
      pid: process.pid,
      process_name: readFileSync(`/proc/${process.pid}/comm`, 'utf8').trim(),
      uid: process.getuid?.(),
    });
    expect(mine?.inode).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
