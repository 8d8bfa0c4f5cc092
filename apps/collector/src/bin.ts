#!/usr/bin/env -S node --max-semi-space-size=2
/**
 * `triage-collect`. The V8 flag keeps the young generation small, which holds
 * peak memory of a multi-gigabyte streamed upload under 128 MiB
 * (bench/transport). The single executable keeps it too (src/standalone.ts).
 */
import { main } from './main.js';
import { processDeps } from './terminal.js';

process.exit(await main(process.argv.slice(2), processDeps()));
