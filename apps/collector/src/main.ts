import { ARTIFACT_KINDS, type ArtifactKind } from '@triage/artifact-schema';
import { exitCodeFor, formatCliError, TriageError } from '@triage/errors';
import yargs, { type Argv } from 'yargs';
import type { Deps } from './deps.js';
import { findBundle, guided } from './guided.js';
import { mb } from './progress.js';
import { isUploadFailed, type RunResult, runCollect } from './run.js';
import { uploadFile } from './upload-file.js';
import { COLLECTOR_VERSION } from './version.js';

const PROGRAM = 'triage-collect';

function destinationOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', describe: 'the bundle from triage-admin (bundle.json)' })
    .option('case', { type: 'string', describe: 'case id (default: from the bundle)' })
    .option('host', { type: 'string', describe: 'host name in keys and manifest (default: this host)' })
    .option('bucket', { type: 'string', describe: 'without a bundle: the bucket (credentials from AWS_*)' })
    .option('prefix', { type: 'string', describe: 'without a bundle: key prefix (default CASE/HOST/)' })
    .option('region', { type: 'string', describe: 'without a bundle: the region' })
    .option('endpoint', { type: 'string', describe: 'without a bundle: S3-compatible endpoint URL' })
    .option('force-path-style', { type: 'boolean', describe: 'without a bundle: path-style addressing' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress on stderr' });
}

function printRun(result: RunResult, json: boolean, deps: Deps): void {
  if (json) {
    deps.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `case ${result.case}, host ${result.host} (${result.os}): ${result.records} records, ${result.collectorErrors.length} collector errors`,
    `manifest sha256 ${result.manifestSha256}`,
    result.file
      ? `local copy ${result.file} (${mb(result.bytes)}, sha256 ${result.sha256})`
      : 'local copy deleted',
  ];
  if (result.upload) {
    lines.push(
      `uploaded s3://${result.upload.bucket}/${result.upload.key}${result.upload.versionId ? ` version ${result.upload.versionId}` : ''} (${result.upload.verified ? 'verified' : 'NOT verified'})`,
    );
  }
  lines.push(`receipt ${result.receiptFile}`);
  for (const e of result.collectorErrors.slice(0, 10)) {
    lines.push(`  ${e.collector}: ${e.code} ${e.message}`);
  }
  if (result.collectorErrors.length > 10)
    lines.push(`  … and ${result.collectorErrors.length - 10} more in the manifest`);
  deps.stdout.write(`${lines.join('\n')}\n`);
}

function parseKinds(values: readonly string[] | undefined): ArtifactKind[] | undefined {
  if (!values || values.length === 0) return undefined;
  const kinds = values.flatMap((v) => v.split(',')).filter(Boolean);
  for (const kind of kinds) {
    if (!(ARTIFACT_KINDS as readonly string[]).includes(kind)) {
      throw new TriageError('USAGE', `--only ${kind} is not a kind; use ${ARTIFACT_KINDS.join(', ')}`);
    }
  }
  return kinds as ArtifactKind[];
}

/**
 * The `triage-collect` command line. Never throws and never exits: returns
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
    .version(COLLECTOR_VERSION)
    .strict()
    .exitProcess(false)
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces and causes on errors' })
    .fail((message, error) => {
      throw error ?? new TriageError('USAGE', `${message}; see ${PROGRAM} --help`);
    })
    .command(
      '$0',
      'guided: collect and upload with the bundle.json beside this program (or here), explained step by step',
      (y) =>
        y
          .option('config', {
            type: 'string',
            describe: 'the bundle (default: bundle.json beside this program, or here)',
          })
          .option('yes', { type: 'boolean', default: false, describe: 'do not ask "press Enter to start"' })
          .option('upload', {
            type: 'boolean',
            default: true,
            describe: 'upload (--no-upload: local file only)',
          })
          .option('out', {
            type: 'string',
            describe: "local collection file (default: in the bundle's folder)",
          }),
      async (args) => {
        debug = args.debug;
        await guided({ config: args.config, yes: args.yes, upload: args.upload, out: args.out }, deps);
      },
    )
    .command(
      'run',
      'collect this host (or --root, Linux or Windows), seal for the examiner, upload and keep a local copy',
      (y) =>
        destinationOptions(y)
          .option('root', {
            type: 'string',
            describe: 'collect a mounted image (a Linux root, or a Windows system volume) at this directory',
          })
          .option('os', {
            type: 'string',
            choices: ['linux', 'windows'] as const,
            describe:
              "the system to collect (default: this host's own); windows needs --root except on Windows",
          })
          .option('only', {
            type: 'string',
            array: true,
            describe: `only these kinds (${ARTIFACT_KINDS.join(', ')})`,
          })
          .option('out', {
            type: 'string',
            describe: 'local collection file (default HOST-TIME-RANDOM.triage here)',
          })
          .option('recipient', { type: 'string', array: true, describe: 'an examiner public key (triage1…)' })
          .option('password-file', {
            type: 'string',
            describe: 'seal with the password in this file (first line)',
          })
          .option('signing-key-file', { type: 'string', describe: 'sign the manifest with this key file' })
          .option('upload', {
            type: 'boolean',
            default: true,
            describe: 'upload (--no-upload: local file only)',
          })
          .option('delete-after-upload', {
            type: 'boolean',
            default: false,
            describe: 'remove the local copy once the upload is verified',
          })
          .option('expect-minutes', {
            type: 'number',
            default: 15,
            describe: 'refuse credentials expiring sooner',
          }),
      async (args) => {
        debug = args.debug;
        try {
          const result = await runCollect(
            {
              config: args.config,
              case: args.case,
              host: args.host,
              recipient: args.recipient,
              passwordFile: args.passwordFile,
              signingKeyFile: args.signingKeyFile,
              bucket: args.bucket,
              prefix: args.prefix,
              region: args.region,
              endpoint: args.endpoint,
              forcePathStyle: args.forcePathStyle,
              upload: args.upload,
              root: args.root,
              os: args.os as 'linux' | 'windows' | undefined,
              only: parseKinds(args.only),
              out: args.out,
              deleteAfterUpload: args.deleteAfterUpload,
              expectMinutes: args.expectMinutes,
              quiet: args.quiet,
            },
            deps,
          );
          printRun(result, args.json, deps);
        } catch (error) {
          if (!isUploadFailed(error)) throw error;
          printRun(error.result, args.json, deps);
          throw error.error;
        }
      },
    )
    .command(
      'upload <file>',
      'upload (or resume uploading) a collection a failed run kept',
      (y) => destinationOptions(y).positional('file', { type: 'string', demandOption: true }),
      async (args) => {
        debug = args.debug;
        const result = await uploadFile(
          {
            file: args.file,
            // Beside the single-file program (or here), as the guided mode's retry hint expects.
            config: args.config ?? (args.bucket === undefined ? await findBundle(deps) : undefined),
            case: args.case,
            host: args.host,
            bucket: args.bucket,
            prefix: args.prefix,
            region: args.region,
            endpoint: args.endpoint,
            forcePathStyle: args.forcePathStyle,
            upload: true,
            quiet: args.quiet,
          },
          deps,
        );
        deps.stdout.write(
          args.json
            ? `${JSON.stringify(result)}\n`
            : `uploaded s3://${result.bucket}/${result.key} (${mb(result.size)}${result.resumed ? ', resumed' : ''}, ${result.verified ? 'verified' : 'NOT verified'})\nreceipt ${result.receiptFile}\n`,
        );
      },
    )
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
