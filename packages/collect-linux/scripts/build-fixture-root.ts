/**
 * Materialises the synthetic root for manual inspection:
 * `npm run fixture-root -w @triage/collect-linux -- /tmp/linux-root`.
 * Tests build their own copy in a temporary directory.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildFixtureRoot } from '../src/testing/fixture-root/index.ts';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: build-fixture-root DIR (an empty or new directory)\n');
  process.exit(64);
}
const dir = resolve(target);
await mkdir(dir, { recursive: true });
if ((await readdir(dir)).length > 0) {
  process.stderr.write(`build-fixture-root: ${dir} is not empty\n`);
  process.exit(73);
}
await buildFixtureRoot(dir);
process.stdout.write(`built ${dir}\n`);
