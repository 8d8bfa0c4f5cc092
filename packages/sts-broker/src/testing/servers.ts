/**
 * Test-only: SDK clients for the local test servers (moto, MinIO), built from
 * a server's info and the credentials a test chooses. Packages never build
 * clients in their code; tests do, as the apps will.
 */
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { ServerInfo } from '@triage/testkit';

/** Access key, secret and (for temporary credentials) session token. */
export interface KeyPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type Server = Pick<ServerInfo, 'endpoint' | 'region' | 'credentials'>;

export function stsFor(server: Server, credentials: KeyPair = server.credentials): STSClient {
  return new STSClient({ endpoint: server.endpoint, region: server.region, credentials });
}

export function iamFor(server: Server, credentials: KeyPair = server.credentials): IAMClient {
  return new IAMClient({ endpoint: server.endpoint, region: server.region, credentials });
}

export function s3For(server: Server, credentials: KeyPair = server.credentials): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials,
    // A refusal must be seen as it is, not retried.
    maxAttempts: 1,
  });
}

/** How an S3 request ended: `ok`, or the error name and HTTP status. */
export async function s3Outcome(
  promise: Promise<unknown>,
): Promise<'ok' | { name: string; status?: number }> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof S3ServiceException) {
      return {
        name: error.name,
        ...(error.$metadata.httpStatusCode === undefined ? {} : { status: error.$metadata.httpStatusCode }),
      };
    }
    throw error;
  }
}

/** IAM returns policy documents URL-encoded (RFC 3986); moto returns them as sent. */
export function policyFromIam(text: string | undefined): unknown {
  if (text === undefined) throw new Error('IAM returned no policy document');
  return JSON.parse(text.trimStart().startsWith('{') ? text : decodeURIComponent(text));
}
