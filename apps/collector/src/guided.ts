import { access } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';
import { resolveConfig } from './config.js';
import type { Deps } from './deps.js';
import { mb } from './progress.js';
import { isUploadFailed, type RunResult, runCollect } from './run.js';
import { Scrubber } from './scrub.js';
import { COLLECTOR_VERSION } from './version.js';

/** The bundle's file name in a bundle folder (what `triage-admin issue` writes). */
export const BUNDLE_FILE = 'bundle.json';

/** Flags of the guided mode (`triage-collect` with no command). */
export interface GuidedFlags {
  /** The bundle; default {@link findBundle}. */
  readonly config?: string | undefined;
  /** Do not ask "press Enter to start" on a terminal. */
  readonly yes: boolean;
  readonly upload: boolean;
  /** The local copy; default HOST-TIME-RANDOM.triage in the bundle's folder. */
  readonly out?: string | undefined;
}

/** Pre-flight failures that mean "the destination cannot be reached now", not "this bundle is wrong". */
const UNREACHABLE: readonly TriageErrorCode[] = [
  'NETWORK_ERROR',
  'SERVICE_UNAVAILABLE',
  'TIMEOUT',
  'THROTTLED',
];

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Where the guided mode (and `upload` without `--config`) finds the bundle:
 * `bundle.json` beside the single-file program, else in the working directory.
 */
export async function findBundle(deps: Deps): Promise<string | undefined> {
  const dirs = deps.self ? [dirname(deps.self.path), deps.cwd] : [deps.cwd];
  for (const dir of dirs) {
    const path = join(dir, BUNDLE_FILE);
    if (await exists(path)) return path;
  }
  return undefined;
}

/** Shell-quotes a word when it needs it, for commands the operator copies. */
function word(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** How to call this program again from the working directory, for the hints. */
function selfCommand(deps: Deps): string {
  if (!deps.self) return 'triage-collect';
  if (deps.self.command !== deps.self.path) return deps.self.command;
  return dirname(deps.self.path) === deps.cwd ? `./${word(basename(deps.self.path))}` : word(deps.self.path);
}

/** The command that retries the upload of `file`, from the working directory. */
function retryCommand(deps: Deps, file: string, bundle: string): string {
  const shown = dirname(file) === deps.cwd ? basename(file) : file;
  // `upload` finds the bundle by itself only where the guided mode would.
  const found = deps.self ? dirname(deps.self.path) === dirname(bundle) : deps.cwd === dirname(bundle);
  return `${selfCommand(deps)} upload ${word(shown)}${found ? '' : ` --config ${word(bundle)}`}`;
}

/** Sizes an operator reads: KB below a megabyte. */
function size(bytes: number): string {
  return bytes < 1_000_000 ? `${Math.max(1, Math.round(bytes / 1000))} KB` : mb(bytes);
}

function when(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The guided run for an operator who was handed a bundle folder: says in
 * plain words what it will do, asks once to start (only on a terminal,
 * unless `--yes`), runs {@link runCollect} with the progress indented, and
 * ends with where the local copy is, whether the upload was verified, and
 * what to do next. When the destination cannot be reached at the start, it
 * collects anyway and keeps the local copy for `upload` later.
 *
 * @returns the run's result (exit 0)
 * @throws TriageError after printing what to do: `NOT_FOUND` (no bundle), the bundle's and the run's errors; the upload's error (and the network error when the destination was unreachable) after a complete local copy
 */
export async function guided(flags: GuidedFlags, deps: Deps): Promise<RunResult> {
  const say = (...lines: string[]) => deps.stdout.write(`${lines.join('\n')}\n`);
  const bundle = flags.config ? resolve(deps.cwd, flags.config) : await findBundle(deps);
  if (!bundle) {
    const where = deps.self ? `beside ${deps.self.path} or in ${deps.cwd}` : `in ${deps.cwd}`;
    throw new TriageError(
      'NOT_FOUND',
      `no ${BUNDLE_FILE} ${where}: run this program in the folder the admin gave you (or see triage-collect --help)`,
    );
  }
  const folder = dirname(bundle);
  const out = flags.out ? resolve(deps.cwd, flags.out) : undefined;

  // Read once to tell the operator what will happen; runCollect reads it again.
  const config = await resolveConfig({ config: bundle, upload: flags.upload }, deps, new Scrubber());
  const destination = config.destination;
  const target = destination?.plan
    ? `s3://${destination.bucket}/${destination.plan.key}`
    : destination
      ? `s3://${destination.bucket}/${destination.prefix}`
      : undefined;
  say(
    `triage-collect ${COLLECTOR_VERSION}: evidence collection`,
    '',
    `  Case:           ${config.case}${config.client ? ` (client ${config.client})` : ''}`,
    `  This computer:  ${config.host}`,
    `  Bundle:         ${bundle}${config.expiresAt ? `, valid until ${when(config.expiresAt)}` : ''}`,
    '',
    'What it will do:',
    destination
      ? destination.plan
        ? '  1. Check that the upload permission in the bundle is still valid.'
        : '  1. Check that it can reach the upload destination (it writes one tiny note there).'
      : '  1. Nothing is uploaded (--no-upload).',
    '  2. Collect: user accounts, logins, startup items, running programs, network',
    '     connections, SSH keys, shell history, installed packages, kernel modules.',
    '     It only reads: nothing on this computer is changed or deleted.',
    `  3. Encrypt the collection so that only the examiner can open it, and save it in`,
    `     ${out ? dirname(out) : folder}`,
    target
      ? `  4. Upload the encrypted file to ${target}, and check that it arrived intact.`
      : '  4. Hand the encrypted file to the examiner yourself (USB stick, file transfer).',
  );
  const short = (name: string) => name.split('.')[0]?.toLowerCase();
  if (short(deps.hostname()) !== short(config.host)) {
    say(
      '',
      `Note: this bundle is for ${config.host}, but this computer is called ${deps.hostname()}. If that is wrong, stop now (Ctrl-C) and ask the admin.`,
    );
  }
  if (deps.uid !== undefined && deps.uid !== 0) {
    say(
      '',
      'Note: you are not root (administrator), so some items cannot be read; they are listed in',
      `the collection and it goes on. For a complete collection, stop now (Ctrl-C) and run: sudo ${selfCommand(deps)}`,
    );
  }
  if (!flags.yes && deps.prompt) {
    say('');
    await deps.prompt('Press Enter to start, or Ctrl-C to stop: ');
  }
  say('', 'Working; this usually takes a few minutes. Progress:');

  // Progress (the run's own lines) indented under the narrative.
  const progress: Deps = {
    ...deps,
    cwd: folder,
    stderr: { write: (text: string) => deps.stderr.write(text.replace(/^(?=.)/gm, '    ')) },
  };
  const run = (upload: boolean) =>
    runCollect({ config: bundle, upload, ...(out ? { out } : {}), quiet: false }, progress);
  const afterAdmin =
    'If it keeps failing, call the admin and read them the line starting with "triage-collect:" below.';
  const byHand =
    'You can also hand the .triage file over on a USB stick: it is encrypted, only the examiner can open it.';

  let result: RunResult;
  let unreachable: TriageError | undefined;
  try {
    try {
      result = await run(flags.upload);
    } catch (error) {
      // Only the pre-flight raises these outside UploadFailed: collect now, upload later.
      if (!isTriageError(error) || !UNREACHABLE.some((code) => isTriageError(error, code))) throw error;
      unreachable = error;
      say('', 'The upload destination cannot be reached right now. Collecting anyway; the copy stays here.');
      result = await run(false);
    }
  } catch (error) {
    if (isUploadFailed(error)) {
      const file = error.result.file ?? '';
      say(
        '',
        'The collection is complete, but the upload FAILED.',
        `  Nothing is lost: the encrypted collection is kept at ${file}`,
        '  When the network works again, upload it with:',
        `      ${retryCommand(deps, file, bundle)}`,
        '  It continues where it stopped.',
        `  ${afterAdmin}`,
        `  ${byHand}`,
        '',
      );
      throw error.error;
    }
    say(
      '',
      'Stopped: nothing was uploaded.',
      '  Call the admin and read them the line starting with "triage-collect:" below.',
      '',
    );
    throw error;
  }

  const file = result.file ?? '';
  const lines = [
    '',
    unreachable ? 'The collection is complete, but it was NOT uploaded.' : 'Done.',
    `  Saved:     ${file} (${size(result.bytes)}, encrypted; a receipt is beside it)`,
  ];
  if (result.upload) {
    lines.push(
      result.upload.verified
        ? '  Uploaded:  yes, and verified: the examiner has exactly this file.'
        : '  Uploaded:  yes, but NOT verified: keep the local copy and tell the admin.',
      `             (s3://${result.upload.bucket}/${result.upload.key})`,
    );
  } else if (unreachable) {
    lines.push(
      '  Uploaded:  no: the destination could not be reached. When the network works again, run:',
      `      ${retryCommand(deps, file, bundle)}`,
      `  ${afterAdmin}`,
      `  ${byHand}`,
    );
  } else {
    lines.push(
      '  Uploaded:  no (--no-upload). Hand the .triage file to the examiner (USB stick, file',
      '             transfer): it is encrypted, only the examiner can open it.',
    );
  }
  lines.push(
    '  Tell the examiner this check value by phone or chat (not with the file):',
    `      manifest sha256 ${result.manifestSha256}`,
    `  ${result.records} items collected${result.collectorErrors.length > 0 ? `; ${result.collectorErrors.length} could not be read (listed in the collection for the examiner)` : ''}.`,
  );
  if (result.upload?.verified) {
    lines.push(`  You can now delete ${bundle}; keep the .triage file until the examiner confirms.`);
  }
  say(...lines, '');
  if (unreachable) {
    // The pre-flight's message says nothing was collected; here something was.
    const reason = unreachable.message
      .replace(/^pre-flight failed, nothing was collected: /, '')
      .replace(/; fix the bundle or network, or collect locally with --no-upload$/, '');
    throw new TriageError(
      unreachable.code,
      `not uploaded: ${reason}; the collection is kept at ${file}; retry with: ${retryCommand(deps, file, bundle)}`,
      { cause: unreachable, context: { file } },
    );
  }
  return result;
}
