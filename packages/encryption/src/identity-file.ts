/**
 * The examiner's identity file: the secret key as text, written 0600, and
 * optionally wrapped under a passphrase as a password envelope (so the same
 * code and format protect it).
 *
 * Plain form:
 * ```
 * # triage examiner identity
 * # created: 2026-11-23T16:00:00.000Z
 * # recipient: triage1…
 * # fingerprint: SHA256:…
 * TRIAGE-SECRET-KEY-1…
 * ```
 */
import { open, readFile } from 'node:fs/promises';
import { isTriageError, TriageError } from '@triage/errors';
import { MAGIC } from './format.js';
import { decryptBytes, encryptBytes } from './io.js';
import { fingerprint, recipientOf } from './keys.js';
import type { ScryptParams } from './stanzas.js';

/** Options for {@link writeIdentityFile}. */
export interface WriteIdentityOptions {
  /** Wrap the file under this passphrase (scrypt); default: plain text, protected by file mode only. */
  readonly passphrase?: string;
  /** scrypt cost for the passphrase; default N = 2^18, r = 8, p = 1. */
  readonly scrypt?: ScryptParams;
  /** Clock for the `created` line; default `() => new Date()`. */
  readonly now?: () => Date;
}

/** Options for {@link readIdentityFile}. */
export interface ReadIdentityOptions {
  /** The passphrase, when the file is wrapped. */
  readonly passphrase?: string;
}

/** The text of an identity file for `identity`. */
export function formatIdentity(identity: string, created: Date): string {
  const recipient = recipientOf(identity);
  return [
    '# triage examiner identity: keep this file secret; it decrypts every collection sealed to the key below.',
    `# created: ${created.toISOString()}`,
    `# recipient: ${recipient}`,
    `# fingerprint: ${fingerprint(recipient)}`,
    identity,
    '',
  ].join('\n');
}

/**
 * Parses identity file text: `#` lines and blank lines are ignored; exactly
 * one secret key line must remain.
 *
 * @throws KEY_INVALID when there is not exactly one valid secret key
 */
export function parseIdentityText(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length !== 1) {
    throw new TriageError(
      'KEY_INVALID',
      `An identity file holds exactly one secret key line; found ${lines.length}.`,
    );
  }
  const identity = lines[0] as string;
  recipientOf(identity); // validates
  return identity;
}

/**
 * Writes an identity file with mode 0600. It never overwrites: an existing
 * file is an error.
 *
 * @throws ALREADY_EXISTS when `path` exists
 * @throws KEY_INVALID when `identity` is not a secret key
 * @throws IO_ERROR when the file cannot be written
 */
export async function writeIdentityFile(
  path: string,
  identity: string,
  options: WriteIdentityOptions = {},
): Promise<void> {
  const text = formatIdentity(identity, (options.now ?? (() => new Date()))());
  const bytes =
    options.passphrase === undefined
      ? new TextEncoder().encode(text)
      : await encryptBytes(new TextEncoder().encode(text), {
          recipients: [
            { password: options.passphrase, ...(options.scrypt ? { scrypt: options.scrypt } : {}) },
          ],
        });
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new TriageError(
        'ALREADY_EXISTS',
        `${path} already exists; an identity file is never overwritten.`,
        {
          context: { path },
        },
      );
    }
    throw new TriageError('IO_ERROR', `Could not create ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Reads an identity file, plain or passphrase-wrapped.
 *
 * @returns the secret key text, `TRIAGE-SECRET-KEY-1…`
 * @throws NOT_FOUND when the file does not exist
 * @throws PASSPHRASE_REQUIRED when it is wrapped and no passphrase was given
 * @throws ENVELOPE_WRONG_PASSWORD when the passphrase is wrong
 * @throws KEY_INVALID when the content is not an identity
 */
export async function readIdentityFile(path: string, options: ReadIdentityOptions = {}): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TriageError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      `Could not read identity file ${path}: ${code ?? 'error'}.`,
      { cause: error, context: { path } },
    );
  }
  const wrapped = bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
  if (!wrapped) return parseIdentityText(new TextDecoder().decode(bytes));
  if (options.passphrase === undefined) {
    throw new TriageError(
      'PASSPHRASE_REQUIRED',
      `${path} is protected by a passphrase; give it to unlock the identity.`,
      {
        context: { path },
      },
    );
  }
  try {
    const text = await decryptBytes(bytes, { identities: [{ password: options.passphrase }] });
    return parseIdentityText(new TextDecoder().decode(text));
  } catch (error) {
    if (isTriageError(error, 'ENVELOPE_WRONG_PASSWORD')) {
      throw new TriageError('ENVELOPE_WRONG_PASSWORD', `Wrong passphrase for ${path}.`, {
        context: { path },
      });
    }
    throw error;
  }
}
