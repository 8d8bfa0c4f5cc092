/**
 * The single-file `triage-collect`: scripts/build-sea.mjs bundles this with
 * esbuild into `dist-sea/triage-collect.cjs` (runs with any Node 20, no
 * node_modules) and makes that the main script of a Node single executable
 * application, `dist-sea/triage-collect`.
 *
 * It keeps the bin's `--max-semi-space-size=2` (peak memory of a long
 * streamed upload). A Node 20 SEA takes no node flags on its command line
 * (sea-config `execArgv` is Node 22+), and `v8.setFlagsFromString` after start
 * does not resize the young generation (measured: new space still grows to
 * 32 MiB), so the program runs itself once more with the flag in
 * NODE_OPTIONS, which a SEA honours, and passes the child's exit status on.
 * The terminal sends Ctrl-C to both processes; the parent ignores it and
 * forwards SIGTERM and SIGHUP.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { isSea } from 'node:sea';

const SEMI_SPACE = '--max-semi-space-size=2';
/** Set in the child, so that a Node that ignores NODE_OPTIONS cannot loop. */
const CHILD = 'TRIAGE_COLLECT_CHILD';

// The SDK's "releases after January 2027 need Node 22" warning speaks to developers; this program carries its Node.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const sea = isSea();
const path = sea ? process.execPath : (process.argv[1] ?? process.execPath);
const args = process.argv.slice(2);
const nodeOptions = process.env.NODE_OPTIONS ?? '';

if (process.env[CHILD] === '1' || nodeOptions.includes('--max-semi-space-size')) {
  const command = sea ? path : `${process.execPath} ${path}`;
  // Loaded here only: the parent that re-runs itself needs none of it (esbuild inlines it lazily).
  Promise.all([import('./main.js'), import('./terminal.js')])
    .then(([{ main }, { processDeps }]) => main(args, processDeps({ path, command })))
    .then(
      (code) => process.exit(code),
      (error: unknown) => {
        process.stderr.write(`triage-collect: cannot start: ${String(error)} [INTERNAL]\n`);
        process.exit(70);
      },
    );
} else {
  const child = spawn(process.execPath, sea ? args : [...process.execArgv, path, ...args], {
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${nodeOptions} ${SEMI_SPACE}`.trim(), [CHILD]: '1' },
  });
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`triage-collect: cannot start: ${error.message} [INTERNAL]\n`);
    process.exit(70);
  });
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 1)));
}
