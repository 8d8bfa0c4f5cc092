import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateExaminerKeyPair } from '@triage/encryption';
import type { Deps } from '../deps.js';
import { main } from '../main.js';

/** Output of one CLI run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `main` with captured output in `cwd`. */
export async function cli(
  argv: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
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
