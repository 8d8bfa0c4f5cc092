/**
 * Key pairs and their text forms. Every key is Bech32 (BIP-173) text, so a
 * single mistyped character is caught by its checksum and the kind of key is
 * visible in its prefix:
 *
 * | key | prefix | bytes |
 * |---|---|---|
 * | examiner public key (recipient) | `triage1…` | X25519 public key, 32 |
 * | examiner secret key (identity) | `TRIAGE-SECRET-KEY-1…` | X25519 secret key, 32 |
 * | verify key (signatures) | `triagesign1…` | Ed25519 public key, 32 |
 * | signing key | `TRIAGE-SIGNING-KEY-1…` | Ed25519 seed, 32 |
 * | signature | `triagesig1…` | Ed25519 signature, 64 |
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';
import { bech32 } from '@scure/base';
import { TriageError } from '@triage/errors';
import nacl from 'tweetnacl';
import type { RandomBytes } from './stanzas.js';

/** Bech32 human-readable parts (lower case; secret keys are shown upper case). */
export const PREFIX = Object.freeze({
  recipient: 'triage',
  identity: 'triage-secret-key-',
  verifyKey: 'triagesign',
  signingKey: 'triage-signing-key-',
  signature: 'triagesig',
} as const);

type KeyKind = keyof typeof PREFIX;

const LENGTHS: Record<KeyKind, number> = {
  recipient: 32,
  identity: 32,
  verifyKey: 32,
  signingKey: 32,
  signature: 64,
};

const DESCRIPTIONS: Record<KeyKind, string> = {
  recipient: 'examiner public key (triage1…)',
  identity: 'examiner secret key (TRIAGE-SECRET-KEY-1…)',
  verifyKey: 'verify key (triagesign1…)',
  signingKey: 'signing key (TRIAGE-SIGNING-KEY-1…)',
  signature: 'signature (triagesig1…)',
};

// Bech32 strings here are longer than BIP-173's 90-character limit (as in age).
const LIMIT = 200;

/** Encodes key bytes in the text form of `kind`. */
export function encodeKey(kind: KeyKind, bytes: Uint8Array): string {
  const text = bech32.encode(PREFIX[kind], bech32.toWords(bytes), LIMIT);
  return kind === 'identity' || kind === 'signingKey' ? text.toUpperCase() : text;
}

/**
 * Decodes the text form of a `kind` key. Accepts either letter case (not a mix),
 * and surrounding white space.
 *
 * @throws KEY_INVALID when the text is not that kind of key or its checksum fails;
 *   the message never repeats the text (it may be a secret)
 */
export function decodeKey(kind: KeyKind, text: string): Uint8Array {
  const trimmed = text.trim();
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(trimmed as `${string}1${string}`, LIMIT);
  } catch {
    // The decoder's message may quote the text, which may be a secret key: keep it out.
    throw new TriageError(
      'KEY_INVALID',
      `Not a valid ${DESCRIPTIONS[kind]}: the text is malformed or a character is wrong (checksum failed).`,
    );
  }
  if (decoded.prefix !== PREFIX[kind]) {
    throw new TriageError(
      'KEY_INVALID',
      `Expected a ${DESCRIPTIONS[kind]}, got a key with prefix "${decoded.prefix}".`,
      { context: { expected: PREFIX[kind], got: decoded.prefix } },
    );
  }
  const bytes = bech32.fromWordsUnsafe(decoded.words);
  if (!bytes || bytes.length !== LENGTHS[kind]) {
    throw new TriageError('KEY_INVALID', `Not a valid ${DESCRIPTIONS[kind]}: wrong length.`);
  }
  return bytes;
}

/** An examiner key pair in text form. */
export interface ExaminerKeyPair {
  /** `TRIAGE-SECRET-KEY-1…`: decrypts. Keep it in a 0600 file (see `writeIdentityFile`). */
  readonly identity: string;
  /** `triage1…`: encrypt to it. Safe to share and put in a collector bundle. */
  readonly recipient: string;
}

/** A signing key pair in text form. */
export interface SigningKeyPair {
  /** `TRIAGE-SIGNING-KEY-1…`: signs. Secret. */
  readonly signingKey: string;
  /** `triagesign1…`: verifies. Safe to share. */
  readonly verifyKey: string;
}

/**
 * Generates an examiner X25519 key pair.
 *
 * @param randomBytes - source of 32 random bytes; default node:crypto
 */
export function generateExaminerKeyPair(randomBytes: RandomBytes = nodeRandomBytes): ExaminerKeyPair {
  const pair = nacl.box.keyPair.fromSecretKey(randomBytes(32));
  return {
    identity: encodeKey('identity', pair.secretKey),
    recipient: encodeKey('recipient', pair.publicKey),
  };
}

/**
 * The recipient (public key) that belongs to an identity.
 *
 * @throws KEY_INVALID when `identity` is not a valid secret key
 */
export function recipientOf(identity: string): string {
  const secret = decodeKey('identity', identity);
  return encodeKey('recipient', nacl.box.keyPair.fromSecretKey(secret).publicKey);
}

/**
 * Generates an Ed25519 signing key pair.
 *
 * @param randomBytes - source of a 32-byte seed; default node:crypto
 */
export function generateSigningKeyPair(randomBytes: RandomBytes = nodeRandomBytes): SigningKeyPair {
  const seed = randomBytes(32);
  const pair = nacl.sign.keyPair.fromSeed(seed);
  return { signingKey: encodeKey('signingKey', seed), verifyKey: encodeKey('verifyKey', pair.publicKey) };
}

/**
 * The verify key that belongs to a signing key.
 *
 * @throws KEY_INVALID when `signingKey` is not a valid signing key
 */
export function verifyKeyOf(signingKey: string): string {
  return encodeKey('verifyKey', nacl.sign.keyPair.fromSeed(decodeKey('signingKey', signingKey)).publicKey);
}

/**
 * A short, stable fingerprint of a public key for display and comparison by
 * people: `SHA256:` and the unpadded base64 of SHA-256 over the key's prefix,
 * a zero byte and its bytes (the OpenSSH style responders know).
 *
 * @param publicKey - a recipient (`triage1…`) or verify key (`triagesign1…`)
 * @throws KEY_INVALID when it is neither
 */
export function fingerprint(publicKey: string): string {
  const kind: KeyKind = publicKey.trim().toLowerCase().startsWith(`${PREFIX.verifyKey}1`)
    ? 'verifyKey'
    : 'recipient';
  const bytes = decodeKey(kind, publicKey);
  const digest = createHash('sha256')
    .update(PREFIX[kind])
    .update(new Uint8Array([0]))
    .update(bytes)
    .digest();
  return `SHA256:${digest.toString('base64').replace(/=+$/, '')}`;
}
