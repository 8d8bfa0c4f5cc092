/**
 * One measurement of bench/trail in its own process, so its peak RSS
 * (`process.resourceUsage().maxRSS`) is that measurement's alone:
 *
 * - `ours PATH`: `traceTrail(localTrailSource(PATH))`, end to end;
 * - `peer PATH`: the responder's script on one `.json` file: read it whole,
 *   `JSON.parse` it, count events per `userIdentity.accessKeyId`;
 * - `idle`: nothing but loading `@triage/trail` (the floor of the others).
 *
 * Prints one JSON line: `{ mode, events, keys, chained, seconds, maxRssBytes }`
 * (`chained`: a role-chaining finding, for `ours`).
 */
import { readFileSync } from 'node:fs';
import { localTrailSource, traceTrail } from '@triage/trail';

const [mode, path] = process.argv.slice(2);
const start = process.hrtime.bigint();
let events = 0;
let keys = 0;
let chained = false;
if (mode === 'ours' && path !== undefined) {
  const result = await traceTrail(localTrailSource(path));
  if (result.diagnosticCount > 0) throw new Error(`diagnostics: ${JSON.stringify(result.diagnostics[0])}`);
  events = result.graph.events;
  keys = result.graph.keys.length;
  chained = result.findings.some((f) => f.rule === 'role-chaining');
} else if (mode === 'peer' && path !== undefined) {
  const counts = new Map<string, number>();
  const file = JSON.parse(readFileSync(path, 'utf8')) as {
    Records: { userIdentity?: { accessKeyId?: string } }[];
  };
  for (const record of file.Records) {
    const key = record.userIdentity?.accessKeyId;
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
    events++;
  }
  keys = counts.size;
} else if (mode !== 'idle') {
  throw new Error('usage: child.ts ours|peer PATH, or child.ts idle');
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ mode, events, keys, chained, seconds, maxRssBytes })}\n`);
