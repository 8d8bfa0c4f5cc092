/**
 * Ed25519 detached signatures (tweetnacl) for manifests and upload receipts.
 *
 * What is signed is never the raw message but
 * `"triage-signature/v1" 0x00 context 0x00 message`, so a signature made for
 * one purpose (`manifest`) can never be passed off as one for another
 * (`receipt`). For large data, sign its SHA-256 digest.
 */
import { TriageError } from '@triage/errors';
import nacl from 'tweetnacl';
import { decodeKey, encodeKey } from './keys.js';

const DOMAIN = new TextEncoder().encode('triage-signature/v1');
const CONTEXT = /^[a-z0-9][a-z0-9.-]{0,63}$/;

function signedBytes(message: Uint8Array, context: string): Uint8Array {
  if (!CONTEXT.test(context)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'A signature context is 1-64 characters of a-z, 0-9, "." and "-" (for example "manifest").',
      { context: { purpose: context } },
    );
  }
  const ctx = new TextEncoder().encode(context);
  const out = new Uint8Array(DOMAIN.length + 1 + ctx.length + 1 + message.length);
  out.set(DOMAIN, 0);
  out.set(ctx, DOMAIN.length + 1);
  out.set(message, DOMAIN.length + 1 + ctx.length + 1);
  return out;
}

/**
 * Signs `message` for `context` with a signing key.
 *
 * @param message - the bytes to sign (a manifest, a receipt, a digest)
 * @param signingKey - `TRIAGE-SIGNING-KEY-1…`
 * @param context - what the signature is for: 1-64 of `a-z0-9.-`, e.g. `manifest`
 * @returns the signature text, `triagesig1…`
 * @throws KEY_INVALID when the signing key is malformed
 * @throws INVALID_ARGUMENT when the context is malformed
 */
export function sign(message: Uint8Array, signingKey: string, context: string): string {
  const pair = nacl.sign.keyPair.fromSeed(decodeKey('signingKey', signingKey));
  return encodeKey('signature', nacl.sign.detached(signedBytes(message, context), pair.secretKey));
}

/**
 * Whether `signature` is a valid signature of `message` for `context` by the
 * holder of `verifyKey`. A malformed signature or key text is `false`, never
 * an exception, so a forged file cannot crash a verifier.
 *
 * @param message - the bytes that were signed
 * @param signature - `triagesig1…`
 * @param verifyKey - `triagesign1…`
 * @param context - the context it must have been signed for
 */
export function verify(message: Uint8Array, signature: string, verifyKey: string, context: string): boolean {
  let sig: Uint8Array;
  let key: Uint8Array;
  try {
    sig = decodeKey('signature', signature);
    key = decodeKey('verifyKey', verifyKey);
  } catch {
    return false;
  }
  return nacl.sign.detached.verify(signedBytes(message, context), sig, key);
}

/**
 * Like {@link verify}, but throws when the signature does not verify.
 *
 * @throws SIGNATURE_INVALID when it does not verify
 */
export function assertSignature(
  message: Uint8Array,
  signature: string,
  verifyKey: string,
  context: string,
): void {
  if (!verify(message, signature, verifyKey, context)) {
    throw new TriageError(
      'SIGNATURE_INVALID',
      `The ${context} signature does not verify with the given verify key: the ${context} or its signature was altered, or it was signed by another key.`,
      { context: { purpose: context } },
    );
  }
}
