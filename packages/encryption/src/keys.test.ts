import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { counting, fixedRandom } from './fixed-random.js';
import {
  decodeKey,
  encodeKey,
  fingerprint,
  generateExaminerKeyPair,
  generateSigningKeyPair,
  recipientOf,
  verifyKeyOf,
} from './keys.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isTriageError(error) ? error.code : 'not a TriageError';
  }
  return undefined;
}

describe('examiner keys', () => {
  it('have the documented text forms and belong together', () => {
    const pair = generateExaminerKeyPair();
    expect(pair.recipient).toMatch(/^triage1[02-9ac-hj-np-z]{58}$/);
    expect(pair.identity).toMatch(/^TRIAGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    expect(recipientOf(pair.identity)).toBe(pair.recipient);
    expect(recipientOf(pair.identity.toLowerCase())).toBe(pair.recipient);
  });

  it('are derived from the random source', () => {
    const a = generateExaminerKeyPair(fixedRandom(counting(0xa0, 32)));
    expect(a.recipient).toBe('triage1vpd8yhf2ft07avdznct7m43pcxm4j0hgek7yftrvf2mw97q96g7qswyag2');
  });

  it('reject every single-character change by checksum', () => {
    const { recipient } = generateExaminerKeyPair();
    const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    for (let i = 'triage1'.length; i < recipient.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(recipient[i] as string) + 1) % 32] as string;
      const damaged = recipient.slice(0, i) + replacement + recipient.slice(i + 1);
      expect(
        codeOf(() => decodeKey('recipient', damaged)),
        `position ${i}`,
      ).toBe('KEY_INVALID');
    }
  });

  it('reject the wrong kind, mixed case, wrong length and garbage without echoing the text', () => {
    const pair = generateExaminerKeyPair();
    expect(codeOf(() => decodeKey('recipient', pair.identity))).toBe('KEY_INVALID');
    expect(codeOf(() => decodeKey('identity', pair.recipient))).toBe('KEY_INVALID');
    const mixed = `${pair.identity.slice(0, 25)}${pair.identity.slice(25).toLowerCase()}`;
    expect(codeOf(() => decodeKey('identity', mixed))).toBe('KEY_INVALID');
    expect(codeOf(() => decodeKey('recipient', encodeKey('recipient', new Uint8Array(31))))).toBe(
      'KEY_INVALID',
    );
    expect(codeOf(() => decodeKey('recipient', 'age1qqqq'))).toBe('KEY_INVALID');
    expect(codeOf(() => decodeKey('recipient', ''))).toBe('KEY_INVALID');
    try {
      decodeKey('identity', `${pair.identity}x`);
    } catch (error) {
      expect(String((error as Error).message)).not.toContain(pair.identity.slice(20));
    }
  });

  it('accepts surrounding white space', () => {
    const pair = generateExaminerKeyPair();
    expect(recipientOf(`  ${pair.identity}\n`)).toBe(pair.recipient);
  });
});

describe('signing keys and fingerprints', () => {
  it('pair a signing key with its verify key', () => {
    const pair = generateSigningKeyPair();
    expect(pair.verifyKey).toMatch(/^triagesign1/);
    expect(pair.signingKey).toMatch(/^TRIAGE-SIGNING-KEY-1/);
    expect(verifyKeyOf(pair.signingKey)).toBe(pair.verifyKey);
  });

  it('fingerprints are stable, differ per key and per kind', () => {
    const a = generateExaminerKeyPair(fixedRandom(counting(0, 32)));
    const b = generateExaminerKeyPair(fixedRandom(counting(1, 32)));
    expect(fingerprint(a.recipient)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(fingerprint(a.recipient)).toBe(fingerprint(` ${a.recipient} `));
    expect(fingerprint(a.recipient)).not.toBe(fingerprint(b.recipient));
    const sig = generateSigningKeyPair(fixedRandom(counting(0, 32)));
    expect(fingerprint(sig.verifyKey)).toMatch(/^SHA256:/);
    expect(codeOf(() => fingerprint(a.identity))).toBe('KEY_INVALID');
  });
});
