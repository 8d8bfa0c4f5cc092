/**
 * Recipient stanzas: how the 32-byte file key is wrapped for each recipient.
 * X25519 uses tweetnacl's `box` (X25519 + XSalsa20-Poly1305) with one
 * ephemeral key pair per envelope; passwords use scrypt from node:crypto and
 * tweetnacl's `secretbox`.
 */
import { scrypt as scryptCallback } from 'node:crypto';
import { TriageError } from '@triage/errors';
import nacl from 'tweetnacl';
import {
  SCRYPT_BODY_LENGTH,
  STANZA_SCRYPT,
  STANZA_X25519,
  type Stanza,
  X25519_BODY_LENGTH,
} from './format.js';

/** Source of random bytes; default `node:crypto` `randomBytes`. Injected for test vectors. */
export type RandomBytes = (length: number) => Uint8Array;

/** scrypt cost parameters: N = 2^logN. */
export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

/** Default scrypt cost: N = 2^18, r = 8, p = 1 (256 MiB, about a second). */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ logN: 18, r: 8, p: 1 });

/** Upper bound on scrypt memory (128 · r · N bytes) accepted from any header: 256 MiB. */
export const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const SCRYPT_LABEL = Buffer.from('triage-envelope/v1/scrypt', 'utf8');

/**
 * Whether scrypt parameters are within the bounds a reader accepts: logN
 * 10..22, r 1..32, p 1..16, and at most {@link MAX_SCRYPT_MEMORY} of memory.
 * A hostile header cannot make us allocate more.
 */
export function scryptParamsWithinBounds({ logN, r, p }: ScryptParams): boolean {
  return (
    Number.isInteger(logN) &&
    Number.isInteger(r) &&
    Number.isInteger(p) &&
    logN >= 10 &&
    logN <= 22 &&
    r >= 1 &&
    r <= 32 &&
    p >= 1 &&
    p <= 16 &&
    128 * r * 2 ** logN <= MAX_SCRYPT_MEMORY
  );
}

function scrypt(password: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  const memory = 128 * params.r * N;
  return new Promise((resolve, reject) => {
    scryptCallback(
      Buffer.from(password.normalize('NFC'), 'utf8'),
      Buffer.concat([SCRYPT_LABEL, salt]),
      32,
      { N, r: params.r, p: params.p, maxmem: memory + 16 * 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

/** Wraps `fileKey` for an X25519 public key, with the envelope's ephemeral key pair. */
export function wrapX25519(
  fileKey: Uint8Array,
  recipient: Uint8Array,
  ephemeral: nacl.BoxKeyPair,
  randomBytes: RandomBytes,
): Stanza {
  const nonce = randomBytes(nacl.box.nonceLength);
  const boxed = nacl.box(fileKey, nonce, recipient, ephemeral.secretKey);
  const body = new Uint8Array(X25519_BODY_LENGTH);
  body.set(ephemeral.publicKey, 0);
  body.set(nonce, 32);
  body.set(boxed, 56);
  return { type: STANZA_X25519, body };
}

/** Opens an X25519 stanza with a 32-byte secret key; `undefined` when it is not for this key. */
export function unwrapX25519(stanza: Stanza, secretKey: Uint8Array): Uint8Array | undefined {
  const body = stanza.body;
  const opened = nacl.box.open(body.subarray(56), body.subarray(32, 56), body.subarray(0, 32), secretKey);
  return opened && opened.length === 32 ? opened : undefined;
}

/** Wraps `fileKey` under a password. */
export async function wrapScrypt(
  fileKey: Uint8Array,
  password: string,
  params: ScryptParams,
  randomBytes: RandomBytes,
): Promise<Stanza> {
  const salt = randomBytes(16);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const kek = await scrypt(password, salt, params);
  const body = new Uint8Array(SCRYPT_BODY_LENGTH);
  body.set(salt, 0);
  body[16] = params.logN;
  body[17] = params.r;
  body[18] = params.p;
  body.set(nonce, 19);
  body.set(nacl.secretbox(fileKey, nonce, kek), 43);
  return { type: STANZA_SCRYPT, body };
}

/** The scrypt parameters a stanza declares. */
export function scryptParamsOf(stanza: Stanza): ScryptParams {
  return { logN: stanza.body[16] as number, r: stanza.body[17] as number, p: stanza.body[18] as number };
}

/**
 * Opens a password stanza; `undefined` when the password is wrong.
 *
 * @throws ENVELOPE_BAD_HEADER when the declared scrypt cost is out of bounds
 */
export async function unwrapScrypt(stanza: Stanza, password: string): Promise<Uint8Array | undefined> {
  const params = scryptParamsOf(stanza);
  if (!scryptParamsWithinBounds(params)) {
    throw new TriageError(
      'ENVELOPE_BAD_HEADER',
      `Password stanza asks for scrypt cost 2^${params.logN}, r=${params.r}, p=${params.p}, beyond the accepted bounds; the header is damaged or hostile.`,
      { context: { ...params } },
    );
  }
  const body = stanza.body;
  const kek = await scrypt(password, body.subarray(0, 16), params);
  const opened = nacl.secretbox.open(body.subarray(43), body.subarray(19, 43), kek);
  return opened && opened.length === 32 ? opened : undefined;
}
