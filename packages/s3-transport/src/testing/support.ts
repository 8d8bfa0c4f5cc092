import { S3Client } from '@aws-sdk/client-s3';
import { isTriageError } from '@triage/errors';
import type { ServerInfo } from '@triage/testkit';
import { createTransport, type Transport } from '../transport.js';
import type { Credentials, TransportOptions } from '../types.js';

/**
 * For tests: the code a promise rejects with (a TriageError's code, else the
 * error's name), or `'resolved'`.
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isTriageError(error)) return error.code;
    return (error as { name?: string }).name ?? String(error);
  }
}

/**
 * For tests: an S3 client with a test server's root credentials, for setting
 * up and checking. It keeps the SDK's default retries: a keep-alive socket the
 * server has just closed (ECONNRESET on write) must not fail a test's setup.
 */
export function adminClient(server: Pick<ServerInfo, 'endpoint' | 'region' | 'credentials'>): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: server.credentials,
  });
}

/** For tests: a transport on a test server (or `overrides.endpoint`, e.g. a fault proxy), with quick retries. */
export function transportFor(
  server: Pick<ServerInfo, 'endpoint' | 'region' | 'credentials'>,
  bucket: string,
  overrides: Partial<Omit<TransportOptions, 'credentials'>> & { credentials?: Credentials } = {},
): Transport {
  const { credentials = server.credentials, ...rest } = overrides;
  return createTransport({
    bucket,
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 200 },
    ...rest,
    credentials: async () => credentials,
  });
}
