/**
 * RFC 4648 base32 and RFC 4226 HOTP / RFC 6238 TOTP with HMAC-SHA1, built on
 * node:crypto: enough to enable an IAM virtual MFA device from the seed IAM
 * returns. Seeds and codes are secrets: no error message or context here
 * ever includes them.
 */
import { createHmac } from 'node:crypto';
import { TriageError } from '@triage/errors';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const VALUES: ReadonlyMap<string, number> = new Map([...ALPHABET].map((c, i) => [c, i]));
/** Characters in a final group that encode whole bytes: 2 → 1 byte, 4 → 2, 5 → 3, 7 → 4, 8 → 5. */
const BYTES_FOR_TAIL: Readonly<Record<number, number>> = { 0: 0, 2: 1, 4: 2, 5: 3, 7: 4 };

function badBase32(why: string): TriageError {
  return new TriageError('INVALID_ARGUMENT', `The base32 text is malformed (${why}): copy the seed again.`, {
    context: { why },
  });
}

/**
 * Encodes bytes as RFC 4648 base32 (upper case, `=`-padded to a multiple of 8
 * unless `padding` is false).
 *
 * @param bytes - the data
 * @param options - `padding`: default true
 * @returns the base32 text
 */
export function base32Encode(bytes: Uint8Array, options: { readonly padding?: boolean } = {}): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  if (options.padding ?? true) while (out.length % 8 !== 0) out += '=';
  return out;
}

/**
 * Decodes RFC 4648 base32. Case and spaces are ignored and padding is
 * optional (IAM's seeds have none; apps show them in groups of four), but
 * anything else is refused: characters outside `A–Z2–7`, padding that is
 * misplaced or does not complete a group of 8, a final group that encodes
 * no whole byte, and non-zero unused bits (non-canonical text, RFC 4648
 * section 3.5). The input is never echoed in the error: it may be a seed.
 *
 * @param text - base32 text
 * @returns the decoded bytes
 * @throws INVALID_ARGUMENT when the text is not canonical base32
 */
export function base32Decode(text: string): Uint8Array {
  const compact = text.replace(/ /g, '').toUpperCase();
  const padAt = compact.indexOf('=');
  const data = padAt < 0 ? compact : compact.slice(0, padAt);
  if (padAt >= 0) {
    const padding = compact.slice(padAt);
    if (!/^=+$/.test(padding)) throw badBase32('data after padding');
    if (compact.length % 8 !== 0) throw badBase32('padding does not complete a group of 8');
    if (padding.length >= 8) throw badBase32('a group of padding only');
  }
  const tail = data.length % 8;
  const tailBytes = BYTES_FOR_TAIL[tail];
  if (tailBytes === undefined) throw badBase32(`a final group of ${tail} characters encodes no whole byte`);
  const out = new Uint8Array(Math.floor(data.length / 8) * 5 + tailBytes);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (const char of data) {
    const value = VALUES.get(char);
    if (value === undefined) throw badBase32('a character outside A-Z and 2-7');
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index++] = (buffer >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) throw badBase32('non-zero unused bits at the end');
  return out;
}

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 6 || digits > 8) {
    throw new TriageError('INVALID_ARGUMENT', `A one-time code has 6 to 8 digits, not ${digits}.`, {
      context: { digits },
    });
  }
}

/**
 * RFC 4226 HOTP with HMAC-SHA1: the code for `counter`.
 *
 * @param key - the shared secret (at least one byte)
 * @param counter - the moving factor, 0 to 2^64 - 1
 * @param digits - 6 (default) to 8
 * @returns the code, zero-padded to `digits`
 * @throws INVALID_ARGUMENT for an empty key, a counter out of range or digits outside 6–8
 */
export function hotp(key: Uint8Array, counter: number | bigint, digits = 6): string {
  checkDigits(digits);
  if (key.length === 0) throw new TriageError('INVALID_ARGUMENT', 'The one-time password secret is empty.');
  const value = typeof counter === 'bigint' ? counter : Number.isSafeInteger(counter) ? BigInt(counter) : -1n;
  if (value < 0n || value >= 1n << 64n) {
    throw new TriageError('INVALID_ARGUMENT', 'The HOTP counter must be an integer from 0 to 2^64 - 1.');
  }
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(value);
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/** Options for {@link totp}. */
export interface TotpOptions {
  /** The moment to compute the code for. */
  readonly time: Date;
  /** Time step in seconds; default 30 (what IAM uses). */
  readonly step?: number;
  /** Code length, 6 (default, what IAM uses) to 8. */
  readonly digits?: number;
}

/**
 * RFC 6238 TOTP with HMAC-SHA1 (T0 = 0): the code valid at `options.time`.
 *
 * @param key - the shared secret, e.g. `base32Decode(seed)`
 * @param options - time, step (default 30 s), digits (default 6)
 * @returns the code
 * @throws INVALID_ARGUMENT for an empty key, a time before 1970 or an invalid date, a step that is not a positive integer, or digits outside 6–8
 */
export function totp(key: Uint8Array, options: TotpOptions): string {
  const step = options.step ?? 30;
  if (!Number.isInteger(step) || step <= 0) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `The TOTP step must be a positive number of seconds, not ${step}.`,
      {
        context: { step },
      },
    );
  }
  const ms = options.time.getTime();
  if (!Number.isFinite(ms) || ms < 0) {
    throw new TriageError('INVALID_ARGUMENT', 'The TOTP time must be a valid date after 1970-01-01.');
  }
  return hotp(key, Math.floor(Math.floor(ms / 1000) / step), options.digits ?? 6);
}

/**
 * The `otpauth://` URI an authenticator app reads from a QR code:
 * `otpauth://totp/<issuer>:<account>?secret=<seed>&issuer=<issuer>` (SHA1,
 * 6 digits and 30 s are the implicit defaults). It holds the seed: show it
 * once, never log or store it.
 *
 * @param input - account (e.g. the IAM user name), issuer (e.g. `triage`) and the base32 seed
 * @returns the URI
 * @throws INVALID_ARGUMENT when the seed is not base32, or the account or issuer is empty or contains `:`
 */
export function otpauthUri(input: {
  readonly account: string;
  readonly issuer: string;
  readonly secretBase32: string;
}): string {
  for (const [name, value] of [
    ['account', input.account],
    ['issuer', input.issuer],
  ] as const) {
    if (value === '' || value.includes(':')) {
      throw new TriageError('INVALID_ARGUMENT', `The otpauth ${name} must be non-empty and without ":".`, {
        context: { [name]: value },
      });
    }
  }
  const secret = input.secretBase32.replace(/[ =]/g, '').toUpperCase();
  if (base32Decode(secret).length === 0) {
    throw new TriageError('INVALID_ARGUMENT', 'The otpauth secret is empty: pass the seed IAM returned.');
  }
  const issuer = encodeURIComponent(input.issuer);
  return `otpauth://totp/${issuer}:${encodeURIComponent(input.account)}?secret=${secret}&issuer=${issuer}`;
}
