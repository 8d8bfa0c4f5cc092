import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair } from './keys.js';
import { assertSignature, sign, verify } from './signatures.js';

const pair = generateSigningKeyPair();
const other = generateSigningKeyPair();
const manifest = new TextEncoder().encode('{"case":"2026-0042","host":"ws-17"}');

describe('signatures', () => {
  it('verify for the right message, key and context', () => {
    const signature = sign(manifest, pair.signingKey, 'manifest');
    expect(signature).toMatch(/^triagesig1/);
    expect(verify(manifest, signature, pair.verifyKey, 'manifest')).toBe(true);
    expect(() => assertSignature(manifest, signature, pair.verifyKey, 'manifest')).not.toThrow();
  });

  it('fail for another message, key or context, and for any bit flip', () => {
    const signature = sign(manifest, pair.signingKey, 'manifest');
    expect(
      verify(new TextEncoder().encode('{"case":"2026-0043"}'), signature, pair.verifyKey, 'manifest'),
    ).toBe(false);
    expect(verify(manifest, signature, other.verifyKey, 'manifest')).toBe(false);
    expect(verify(manifest, signature, pair.verifyKey, 'receipt')).toBe(false);
    for (let i = 0; i < manifest.length; i++) {
      const changed = Uint8Array.from(manifest);
      changed[i] = (changed[i] as number) ^ 0x20;
      expect(verify(changed, signature, pair.verifyKey, 'manifest'), `byte ${i}`).toBe(false);
    }
  });

  it('treat malformed signature or key text as not verifying', () => {
    expect(verify(manifest, 'triagesig1garbage', pair.verifyKey, 'manifest')).toBe(false);
    expect(verify(manifest, sign(manifest, pair.signingKey, 'manifest'), 'nope', 'manifest')).toBe(false);
  });

  it('assertSignature throws SIGNATURE_INVALID; bad contexts are INVALID_ARGUMENT', () => {
    const signature = sign(manifest, pair.signingKey, 'receipt');
    let error: unknown;
    try {
      assertSignature(manifest, signature, pair.verifyKey, 'manifest');
    } catch (e) {
      error = e;
    }
    expect(isTriageError(error, 'SIGNATURE_INVALID')).toBe(true);
    expect(() => sign(manifest, pair.signingKey, 'Not Valid')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => sign(manifest, pair.signingKey, '')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('is deterministic (Ed25519)', () => {
    expect(sign(manifest, pair.signingKey, 'manifest')).toBe(sign(manifest, pair.signingKey, 'manifest'));
  });
});
