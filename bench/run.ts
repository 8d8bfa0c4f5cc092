/**
 * `npm run bench -- NAME [--quick]`: runs bench/NAME/index.ts, which prints
 * what it measured and ends with one JSON line:
 * {"bench","metric","value","unit","peer","peerValue","ratio","target","met"}.
 */
import { readdirSync } from 'node:fs';

/** What a bench's `run` gets. */
export interface BenchOptions {
  /** Finish in under a minute. */
  readonly quick: boolean;
  /** Prints one line of what was measured. */
  readonly log: (line: string) => void;
}

/** What every bench module exports. */
export interface BenchModule {
  run(options: BenchOptions): Promise<BenchResult>;
}

/** The closing line of a bench. */
export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly peer: string;
  readonly peerValue: number;
  readonly ratio: number;
  readonly target: string;
  readonly met: boolean;
}

const args = process.argv.slice(2);
const name = args.find((arg) => !arg.startsWith('-'));
const available = readdirSync(new URL('.', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- NAME [--quick]   (NAME: ${available.join(', ')})\n`);
  process.exit(64);
}
const module = (await import(`./${name}/index.ts`)) as BenchModule;
const result = await module.run({
  quick: args.includes('--quick'),
  log: (line) => process.stdout.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
