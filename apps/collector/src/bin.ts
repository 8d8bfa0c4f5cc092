#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * `triage-collect`. The V8 flag keeps the young generation small, which holds
 * peak memory of a multi-gigabyte streamed upload under 128 MiB
 * (bench/transport).
 */
import { hostname } from 'node:os';
import { main } from './main.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
process.once('SIGTERM', () => controller.abort(new Error('terminated')));

process.exit(
  await main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: () => new Date(),
    hostname,
    signal: controller.signal,
  }),
);
