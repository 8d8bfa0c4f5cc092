/**
 * `npm run bench -- iam-policy`: evaluations per second over the IAM corpus,
 * ours beside @cloud-copilot/iam-simulate. The measuring code is child.ts
 * (method and caveats there); this file builds @triage/iam-policy, compiles
 * child.ts to plain JavaScript and runs it with `node`, so both sides run
 * as published JavaScript with no TypeScript loader in the process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import type { BenchOptions, BenchResult } from '../run.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

function exec(command: string, args: string[], onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine?.(line);
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

export async function run({ quick, log }: BenchOptions): Promise<BenchResult> {
  await exec('npx', ['turbo', 'run', 'build', '--filter=@triage/iam-policy', '--output-logs=errors-only']);
  const outfile = here('./.build/child.mjs');
  await esbuild.build({
    entryPoints: [here('./child.ts')],
    outfile,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  const lines: string[] = [];
  await exec('node', [outfile, ...(quick ? ['--quick'] : [])], (line) => lines.push(line));
  const last = lines.pop();
  for (const line of lines) log(line);
  if (!last) throw new Error('the bench child printed no result');
  return JSON.parse(last) as BenchResult;
}
