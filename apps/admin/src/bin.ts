#!/usr/bin/env node
/** `triage-admin`. */
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { realAws } from './aws.js';
import { main } from './main.js';

async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

process.exit(
  await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    aws: realAws,
    // A path, not an import: in a checkout, the collector's `npm run build:sea` output (from src/ or dist/).
    collectorExe: fileURLToPath(new URL('../../collector/dist-sea/triage-collect', import.meta.url)),
    ...(process.stdin.isTTY ? { prompt } : {}),
  }),
);
