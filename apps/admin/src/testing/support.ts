import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import type { ServerInfo } from '@triage/testkit';
import type { AwsFactory, ClientTarget, Deps } from '../deps.js';
import { main } from '../main.js';

/** Output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Real SDK clients against a test server. Without explicit credentials (the
 * admin's "standard chain") they use the server's root credentials, or none
 * at all when `admin` is null (to test missing credentials).
 */
export function serverAws(
  server: ServerInfo,
  admin: ServerInfo['credentials'] | null = server.credentials,
): AwsFactory {
  const common = (target: ClientTarget) => {
    const credentials =
      target.credentials ??
      admin ??
      (async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), {
          name: 'CredentialsProviderError',
        });
      });
    return { region: target.region, ...(target.endpoint ? { endpoint: target.endpoint } : {}), credentials };
  };
  return {
    s3: (t) => new S3Client({ ...common(t), forcePathStyle: true }),
    iam: (t) => new IAMClient(common(t)),
    sts: (t) => new STSClient(common(t)),
  };
}

/** Runs `main` with captured output. */
export async function cli(
  argv: readonly string[],
  options: { cwd: string; aws: AwsFactory; prompt?: (q: string) => Promise<string>; now?: () => Date },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env: {},
    cwd: options.cwd,
    now: options.now ?? (() => new Date()),
    aws: options.aws,
    ...(options.prompt ? { prompt: options.prompt } : {}),
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr };
}

/** A fresh working directory. */
export function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'triage-admin-'));
}
