import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { TriageError } from '@triage/errors';
import type { Deps } from './deps.js';
import { exportWindowsLive } from './windows-live.js';

/** One line from the terminal; Ctrl-C (raw mode: no signal) rejects with `ABORTED`. */
async function prompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once('SIGINT', () => {
        process.stderr.write('\n');
        reject(new TriageError('ABORTED', 'stopped before starting; nothing was collected'));
      });
      rl.question(question).then(resolve, reject);
    });
  } finally {
    rl.close();
  }
}

/**
 * The real process as {@link Deps}, for `bin.ts` and the single-file entry:
 * SIGINT and SIGTERM abort the run, and the prompt exists only on a terminal.
 */
export function processDeps(self?: Deps['self']): Deps {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  process.once('SIGTERM', () => controller.abort(new Error('terminated')));
  const uid = process.getuid?.();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    hostname,
    signal: controller.signal,
    ...(self ? { self } : {}),
    ...(uid === undefined ? {} : { uid }),
    ...(process.stdin.isTTY ? { prompt } : {}),
    platform: process.platform,
    ...(process.platform === 'win32'
      ? { exportWindowsLive: (signal: AbortSignal | undefined) => exportWindowsLive(process.env, signal) }
      : {}),
  };
}
