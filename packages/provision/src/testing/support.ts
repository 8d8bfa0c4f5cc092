/**
 * Test helpers: SDK clients for the test servers, with a recorder of every
 * command they send (so a test can prove a run made no write, or no call at
 * all), and a fresh client name per test.
 */
import { randomBytes } from 'node:crypto';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { isTriageError } from '@triage/errors';
import type { ServerInfo } from '@triage/testkit';

/** Every command sent through the recorded clients, as `S3:PutBucketPolicy`, `IAM:GetUser`… */
export interface CallLog {
  readonly calls: string[];
  /** Commands that change state: everything but Get*, List*, Head*. */
  writes(): string[];
  clear(): void;
}

type Recordable = S3Client | IAMClient | STSClient;

function record<C extends Recordable>(client: C, service: string, log: string[]): C {
  // The three clients' stacks differ only in their input and output types, which this middleware ignores.
  const stack = client.middlewareStack as unknown as S3Client['middlewareStack'];
  stack.add(
    (next, context) => async (args) => {
      log.push(`${service}:${String(context.commandName).replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'triageTestCallRecorder' },
  );
  return client;
}

/** Admin clients (root credentials) for a test server, recording every command. */
export function recordedClients(
  server: Pick<ServerInfo, 'endpoint' | 'region' | 'credentials'>,
  region = server.region,
): { s3: S3Client; iam: IAMClient; sts: STSClient; log: CallLog } {
  const calls: string[] = [];
  const common = { endpoint: server.endpoint, region, credentials: server.credentials };
  return {
    s3: record(new S3Client({ ...common, forcePathStyle: true }), 'S3', calls),
    iam: record(new IAMClient(common), 'IAM', calls),
    sts: record(new STSClient(common), 'STS', calls),
    log: {
      calls,
      writes: () => calls.filter((c) => !/:(Get|List|Head)/.test(c)),
      clear: () => {
        calls.length = 0;
      },
    },
  };
}

/** A client name no other test uses (moto's IAM is shared by every test of the run). */
export function uniqueClient(label: string): string {
  return `${label}-${randomBytes(3).toString('hex')}`;
}

/** The code a promise rejects with (a TriageError's code, else the error's name), or `'resolved'`. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isTriageError(error)) return error.code;
    return (error as { name?: string }).name ?? String(error);
  }
}

/** The rejection of a promise, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
