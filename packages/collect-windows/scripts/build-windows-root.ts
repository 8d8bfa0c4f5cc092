/**
 * Builds a folder laid out like a Windows system volume from the shared
 * samples (`../shared/windows-samples/`, read in place, never copied into the
 * repository), for `triage-collect run --root DIR --os windows` and for
 * looking at what the collectors read:
 * `npm run windows-root -w @triage/collect-windows -- /tmp/windows-root`.
 * Tests build their own copy in a temporary folder (`buildWindowsVolume` of
 * `@triage/testkit`). See src/collect/README.md for what goes where.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildWindowsVolume } from '@triage/testkit';

const target = process.argv[2];
if (!target) {
  process.stderr.write('usage: build-windows-root DIR (an empty or new directory)\n');
  process.exit(64);
}
const dir = resolve(target);
await mkdir(dir, { recursive: true });
if ((await readdir(dir)).length > 0) {
  process.stderr.write(`build-windows-root: ${dir} is not empty\n`);
  process.exit(73);
}
const volume = await buildWindowsVolume(dir);
for (const { file, path } of volume.placed) process.stdout.write(`${path}  <- ${file}\n`);
for (const path of volume.standIns) process.stdout.write(`${path}  <- stand-in\n`);
for (const { file, reason } of volume.skipped) process.stdout.write(`skipped ${file}: ${reason}\n`);
process.stdout.write(`built ${dir}\n`);
