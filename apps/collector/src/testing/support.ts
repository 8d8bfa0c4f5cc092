import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBundle } from '@triage/bundle';
import { generateExaminerKeyPair } from '@triage/encryption';
import type { Deps } from '../deps.js';
import { main } from '../main.js';

/** Output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main` with captured output in `cwd`; `extra` adds a prompt, a program path, a user id, or a platform and its live Windows export. */
export async function cli(
  argv: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
  extra: Pick<Deps, 'prompt' | 'self' | 'uid' | 'platform' | 'exportWindowsLive'> = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const deps: Deps = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t), isTTY: false },
    env,
    cwd,
    now: () => new Date(),
    hostname: () => 'test-host.example',
    ...extra,
  };
  const code = await main(argv, deps);
  return { code, stdout, stderr };
}

/** A fresh working directory. */
export function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'triage-collect-'));
}

/** A tiny offline root: passwd, group, hostname, os-release, one cron job. */
export async function tinyRoot(dir: string): Promise<string> {
  const root = join(dir, 'root');
  const put = async (path: string, text: string) => {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  };
  await put('etc/hostname', 'tiny\n');
  await put('etc/os-release', 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12"\nVERSION_ID="12"\n');
  await put('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  await put('etc/group', 'root:x:0:\nsudo:x:27:alice\n');
  await put('etc/crontab', '*/5 * * * * root /usr/local/bin/beacon\n');
  await put('usr/local/bin/beacon', '#!/bin/sh\necho hi\n');
  return root;
}

/** A new examiner key pair. */
export function examiner() {
  return generateExaminerKeyPair();
}

/**
 * Writes `DIR/bundle.json` (0600) with fake credentials for `s3.endpoint`
 * (default: a closed port on 127.0.0.1, so any upload fails to connect),
 * sealing to `recipient`; valid for an hour.
 */
export async function writeBundle(
  dir: string,
  options: { readonly recipient: string; readonly endpoint?: string; readonly host?: string },
): Promise<string> {
  const path = join(dir, 'bundle.json');
  const now = Date.now();
  const text = formatBundle({
    client: 'acme',
    case: 'IR-1',
    host: options.host ?? 'test-host',
    issuedAt: new Date(now - 60_000),
    expiresAt: new Date(now + 3_600_000),
    s3: {
      bucket: 'evidence-acme',
      prefix: 'IR-1/test-host/',
      region: 'us-east-1',
      endpoint: options.endpoint ?? 'http://127.0.0.1:9',
      forcePathStyle: true,
    },
    credentials: {
      accessKeyId: 'AKIAFAKEEXAMPLE00001',
      secretAccessKey: 'FAKEcanarySECRETfakeCANARYsecret0000000',
      expiration: new Date(now + 3_600_000),
    },
    recipients: [options.recipient],
  });
  await writeFile(path, text, { mode: 0o600 });
  return path;
}
