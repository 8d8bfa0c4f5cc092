import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type HostSummary, openCaseStore, report } from '@triage/case-store';
import { exitCodeFor, formatCliError, TriageError } from '@triage/errors';
import yargs from 'yargs';
import type { Deps } from './deps.js';
import { type ImportFileResult, importFile } from './import-file.js';
import { IMPORTER_VERSION } from './version.js';

const PROGRAM = 'triage-import';
const DEFAULT_DB = 'case.sqlite';

function printImport(result: ImportFileResult, json: boolean, deps: Deps): void {
  if (json) {
    deps.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  if (result.outcome === 'skipped') {
    deps.stdout.write(`skipped: already imported (collection ${result.collectionId ?? '?'})\n`);
    return;
  }
  const kinds = Object.entries(result.counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  deps.stdout.write(
    `imported ${result.records} records (collection ${result.collectionId ?? '?'}) into ${result.db}\n` +
      `manifest sha256 ${result.manifestSha256 ?? '-'}\n${kinds ? `  ${kinds}\n` : ''}`,
  );
}

function printReport(hosts: readonly HostSummary[], json: boolean, deps: Deps): void {
  if (json) {
    deps.stdout.write(`${JSON.stringify({ hosts })}\n`);
    return;
  }
  if (hosts.length === 0) {
    deps.stdout.write('no collections imported yet\n');
    return;
  }
  const lines: string[] = [];
  for (const host of hosts) {
    lines.push(`case ${host.case}, host ${host.host}: ${host.collections} collection(s)`);
    for (const k of host.kinds) {
      const span = k.firstTime === null ? '' : `  ${k.firstTime} .. ${k.lastTime}`;
      lines.push(`  ${k.kind.padEnd(20)} ${String(k.count).padStart(7)}${span}`);
    }
  }
  deps.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * The `triage-import` command line. Never throws and never exits: returns
 * the exit code (0, or the error code's exit code; see docs/errors.md).
 *
 * @param argv - arguments after the program name
 * @param deps - output streams, environment, clock
 */
export async function main(argv: readonly string[], deps: Deps): Promise<number> {
  let debug = argv.includes('--debug');
  let exitCode = 0;
  const cli = yargs([...argv])
    .scriptName(PROGRAM)
    .version(IMPORTER_VERSION)
    .strict()
    .exitProcess(false)
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and causes on errors' })
    .option('db', { type: 'string', default: DEFAULT_DB, describe: 'the case database (SQLite)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
    .fail((message, error) => {
      throw error ?? new TriageError('USAGE', `${message}; see ${PROGRAM} --help`);
    })
    .command(
      'file <path>',
      'verify, decrypt and import one collection file, all or nothing',
      (y) =>
        y
          .positional('path', { type: 'string', demandOption: true, describe: 'the .triage file' })
          .option('identity', {
            type: 'string',
            demandOption: true,
            describe: 'the examiner key file (TRIAGE-SECRET-KEY-1…)',
          })
          .option('verify-key', {
            type: 'string',
            array: true,
            describe: 'trusted collector verify key (triagesign1…); requires a signature by one',
          })
          .option('examiner', { type: 'string', describe: 'who imports (default: $USER)' }),
      async (args) => {
        debug = args.debug;
        const result = await importFile(
          {
            file: args.path,
            identity: args.identity,
            db: args.db,
            verifyKey: args.verifyKey,
            examiner: args.examiner,
          },
          deps,
        );
        printImport(result, args.json, deps);
      },
    )
    .command(
      'report',
      'per host: records per kind and their time span',
      (y) => y,
      (args) => {
        debug = args.debug;
        const db = resolve(deps.cwd, args.db);
        if (!existsSync(db)) {
          throw new TriageError(
            'NOT_FOUND',
            `Case database ${db} does not exist; import a collection first.`,
            {
              context: { path: db },
            },
          );
        }
        const store = openCaseStore(db, { now: deps.now });
        try {
          printReport(report(store), args.json, deps);
        } finally {
          store.close();
        }
      },
    )
    .demandCommand(1, `give a command: file or report; see ${PROGRAM} --help`)
    .help();
  try {
    await cli.parseAsync([...argv], {}, (_error, _args, output) => {
      if (output) deps.stdout.write(`${output}\n`);
    });
  } catch (error) {
    deps.stderr.write(`${formatCliError(error, { program: PROGRAM, debug })}\n`);
    exitCode = exitCodeFor(error);
  }
  return exitCode;
}
