import { existsSync } from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  type CaseStore,
  exportTimeline,
  HIT_RULES,
  type Hit,
  type HitRule,
  type HostSummary,
  hits,
  openCaseStore,
  report,
} from '@triage/case-store';
import { fingerprint, generateExaminerKeyPair, writeIdentityFile } from '@triage/encryption';
import { exitCodeFor, formatCliError, isErrorCode, TriageError } from '@triage/errors';
import yargs from 'yargs';
import type { Deps } from './deps.js';
import { type ImportFileResult, importFile } from './import-file.js';
import { pullCollections } from './pull-s3.js';
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

function openExisting(dbFlag: string, deps: Deps): CaseStore {
  const db = resolve(deps.cwd, dbFlag);
  if (!existsSync(db)) {
    throw new TriageError('NOT_FOUND', `Case database ${db} does not exist; import a collection first.`, {
      context: { path: db },
    });
  }
  return openCaseStore(db, { now: deps.now });
}

const HIT_MESSAGE_MAX = 160;

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

function printHits(found: readonly Hit[], json: boolean, deps: Deps): void {
  if (json) {
    deps.stdout.write(`${JSON.stringify({ hits: found })}\n`);
    return;
  }
  if (found.length === 0) {
    deps.stdout.write('no hits\n');
    return;
  }
  // One line a hit: a long message (a process's whole command line) is cut here; the artifact
  // id leads to the full record, and --json keeps the message whole.
  const lines = found.map(
    (h) =>
      `${h.severity.toUpperCase().padEnd(6)} ${h.rule.padEnd(22)} ${h.case}/${h.host}  ${clip(h.message, HIT_MESSAGE_MAX)}  [${h.kind} #${h.artifactId}]`,
  );
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
    .option('quiet', {
      type: 'boolean',
      default: false,
      describe: 'no progress lines (rate, ETA) on stderr during long imports',
    })
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
            quiet: args.quiet,
          },
          deps,
        );
        printImport(result, args.json, deps);
      },
    )
    .command(
      'pull',
      'import every collection under an S3 prefix that is not imported yet (credentials from AWS_*)',
      (y) =>
        y
          .option('bucket', { type: 'string', demandOption: true })
          .option('prefix', {
            type: 'string',
            demandOption: true,
            describe: 'e.g. IR-42/ (a case) or IR-42/web01/',
          })
          .option('region', { type: 'string', describe: 'default AWS_REGION, else us-east-1' })
          .option('endpoint', { type: 'string', describe: 'S3-compatible endpoint URL' })
          .option('force-path-style', { type: 'boolean', default: false })
          .option('identity', { type: 'string', demandOption: true, describe: 'the examiner key file' })
          .option('verify-key', { type: 'string', array: true, describe: 'trusted collector verify key' })
          .option('examiner', { type: 'string', describe: 'who imports (default: $USER)' }),
      async (args) => {
        debug = args.debug;
        const result = await pullCollections(
          {
            bucket: args.bucket,
            prefix: args.prefix,
            region: args.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? 'us-east-1',
            endpoint: args.endpoint,
            forcePathStyle: args.forcePathStyle,
            identity: args.identity,
            db: args.db,
            verifyKey: args.verifyKey,
            examiner: args.examiner,
            quiet: args.quiet,
          },
          deps,
        );
        if (args.json) deps.stdout.write(`${JSON.stringify(result)}\n`);
        else {
          const lines = [
            ...result.imported.map(
              (i) => `imported ${i.key}: ${i.records} records, manifest sha256 ${i.manifestSha256 ?? '-'}`,
            ),
            ...result.skipped.map((k) => `skipped ${k}: already imported`),
            ...result.failed.map((f) => `FAILED ${f.key}: ${f.message} [${f.code}]`),
            `${result.imported.length} imported, ${result.skipped.length} skipped, ${result.failed.length} failed`,
          ];
          deps.stdout.write(`${lines.join('\n')}\n`);
        }
        const first = result.failed[0];
        if (first) {
          throw new TriageError(
            isErrorCode(first.code) ? first.code : 'DATA_INVALID',
            `${result.failed.length} collection(s) failed to import and nothing of them was written; first: ${first.key}`,
          );
        }
      },
    )
    .command(
      'keygen',
      'make the examiner key pair: the secret key into a new 0600 file, the public key (triage1…) printed for triage-admin setup --examiner-key',
      (y) =>
        y.option('out', {
          type: 'string',
          default: 'examiner.key',
          describe: 'the identity file to create (never overwritten)',
        }),
      async (args) => {
        debug = args.debug;
        const path = resolve(deps.cwd, args.out);
        const pair = generateExaminerKeyPair();
        await writeIdentityFile(path, pair.identity, { now: deps.now });
        const result = {
          identityFile: path,
          recipient: pair.recipient,
          fingerprint: fingerprint(pair.recipient),
        };
        if (args.json) deps.stdout.write(`${JSON.stringify(result)}\n`);
        else
          deps.stdout.write(
            `examiner secret key written to ${path} (0600: keep it offline, it decrypts every collection)\n` +
              `public key ${pair.recipient}\n  fingerprint ${result.fingerprint}; give the public key to triage-admin setup --examiner-key\n`,
          );
      },
    )
    .command(
      'report',
      'per host: records per kind and their time span',
      (y) => y,
      (args) => {
        debug = args.debug;
        const store = openExisting(args.db, deps);
        try {
          printReport(report(store), args.json, deps);
        } finally {
          store.close();
        }
      },
    )
    .command(
      'hits',
      'built-in triage rules: uid-0 accounts, new login addresses, programs in temp folders, deleted executables, recent keys, odd listeners, ld.so.preload',
      (y) =>
        y.option('rule', {
          type: 'string',
          array: true,
          choices: [...HIT_RULES],
          describe: 'only these rules (default all)',
        }),
      (args) => {
        debug = args.debug;
        const store = openExisting(args.db, deps);
        try {
          const rules = args.rule as HitRule[] | undefined;
          printHits(
            hits(store, { now: deps.now, ...(rules && rules.length > 0 ? { rules } : {}) }),
            args.json,
            deps,
          );
        } finally {
          store.close();
        }
      },
    )
    .command(
      'export',
      'a timeline of every timestamped artifact, JSONL in Timesketch fields or CSV',
      (y) =>
        y
          .option('format', { choices: ['jsonl', 'csv'] as const, default: 'jsonl' as const })
          .option('out', { type: 'string', describe: 'write here (mode 0600) instead of stdout' }),
      async (args) => {
        debug = args.debug;
        const store = openExisting(args.db, deps);
        const out = args.out ? resolve(deps.cwd, args.out) : undefined;
        const file = out
          ? await openFile(out, 'wx', 0o600).catch((cause: unknown) => {
              store.close();
              throw new TriageError(
                'ALREADY_EXISTS',
                `${out} exists or cannot be created; choose another --out`,
                {
                  cause,
                  context: { path: out },
                },
              );
            })
          : undefined;
        try {
          const result = await exportTimeline(store, args.format, async (chunk) => {
            if (file) await file.write(chunk);
            else deps.stdout.write(chunk);
          });
          deps.stderr.write(
            `exported ${result.rows} rows${result.skipped ? ` (${result.skipped} records without a time left out)` : ''}\n`,
          );
        } finally {
          await file?.close();
          store.close();
        }
      },
    )
    .demandCommand(1, `give a command: file, pull, report, hits or export; see ${PROGRAM} --help`)
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
