/** base32, HOTP and TOTP against the RFC vectors in test-fixtures/totp/vectors.json. */
import { readFileSync } from 'node:fs';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, otpauthUri, totp } from './totp.js';

interface Vectors {
  base32: {
    valid: { text: string; base32: string }[];
    lenient: { cases: { input: string; text: string }[] };
    invalid: { input: string; code: string; why: string }[];
  };
  hotp: { secretAscii: string; vectors: { counter: number; code: string }[] };
  totp: {
    secretAscii: string;
    secretBase32: string;
    step: number;
    vectors: { unixSeconds: number; utc: string; counterHex: string; code8: string; code6: string }[];
    invalid: { case: string; secretBase32: string; unixSeconds: number; digits: number; code: string }[];
  };
  otpauth: { cases: { account: string; issuer: string; secretBase32: string; uri: string }[] };
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/totp/vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'ascii'));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('base32 (RFC 4648 section 10)', () => {
  it.each(vectors.base32.valid)('"$text" <-> "$base32"', ({ text, base32 }) => {
    expect(base32Encode(ascii(text))).toBe(base32);
    expect(Buffer.from(base32Decode(base32)).toString('ascii')).toBe(text);
    expect(base32Encode(ascii(text), { padding: false })).toBe(base32.replace(/=+$/, ''));
  });

  it.each(vectors.base32.lenient.cases)('accepts "$input"', ({ input, text }) => {
    expect(Buffer.from(base32Decode(input)).toString('ascii')).toBe(text);
  });

  it.each(vectors.base32.invalid)('refuses "$input": $why', ({ input, code }) => {
    const error = thrown(() => base32Decode(input));
    expect(isTriageError(error, code as 'INVALID_ARGUMENT')).toBe(true);
    // The input may be a seed: it is never echoed.
    expect((error as Error).message).not.toContain(input);
    expect(JSON.stringify((error as { context: unknown }).context)).not.toContain(input);
  });

  it('round-trips every length and byte value', () => {
    for (let length = 0; length <= 40; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 37 + length * 11) & 0xff);
      expect(base32Decode(base32Encode(bytes))).toEqual(bytes);
      expect(base32Decode(base32Encode(bytes, { padding: false }).toLowerCase())).toEqual(bytes);
    }
  });
});

describe('HOTP (RFC 4226 Appendix D)', () => {
  const key = ascii(vectors.hotp.secretAscii);
  it.each(vectors.hotp.vectors)('counter $counter -> $code', ({ counter, code }) => {
    expect(hotp(key, counter)).toBe(code);
    expect(hotp(key, BigInt(counter))).toBe(code);
  });

  it('refuses counters outside 0..2^64-1 and digits outside 6..8', () => {
    for (const counter of [-1, 1.5, 2 ** 64, Number.NaN, 1n << 64n, -1n]) {
      expect(
        isTriageError(
          thrown(() => hotp(key, counter)),
          'INVALID_ARGUMENT',
        ),
        String(counter),
      ).toBe(true);
    }
    expect(hotp(key, (1n << 64n) - 1n)).toMatch(/^\d{6}$/);
    expect(
      isTriageError(
        thrown(() => hotp(new Uint8Array(), 0)),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
  });
});

describe('TOTP (RFC 6238 Appendix B, SHA1)', () => {
  const key = base32Decode(vectors.totp.secretBase32);

  it('the base32 secret is the RFC ASCII secret', () => {
    expect(key).toEqual(ascii(vectors.totp.secretAscii));
  });

  it.each(vectors.totp.vectors)(
    '$utc (T = $counterHex): $code8 / $code6',
    ({ unixSeconds, utc, counterHex, code8, code6 }) => {
      const time = new Date(unixSeconds * 1000);
      expect(time.toISOString().replace('.000Z', 'Z')).toBe(utc);
      expect(BigInt(`0x${counterHex}`)).toBe(BigInt(Math.floor(unixSeconds / vectors.totp.step)));
      expect(totp(key, { time, digits: 8 })).toBe(code8);
      expect(totp(key, { time })).toBe(code6);
      // Any moment of the same 30-second step gives the same code; the next step another.
      const stepStart = unixSeconds - (unixSeconds % 30);
      expect(totp(key, { time: new Date(stepStart * 1000) })).toBe(code6);
      expect(totp(key, { time: new Date((stepStart + 29) * 1000 + 999) })).toBe(code6);
      expect(totp(key, { time: new Date((stepStart + 30) * 1000) })).not.toBe(code6);
    },
  );

  it.each(vectors.totp.invalid)('refuses: $case', ({ secretBase32, unixSeconds, digits, code }) => {
    const error = thrown(() =>
      totp(base32Decode(secretBase32), { time: new Date(unixSeconds * 1000), digits }),
    );
    expect(isTriageError(error, code as 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses an invalid date and a step that is not a positive integer', () => {
    expect(
      isTriageError(
        thrown(() => totp(key, { time: new Date('nope') })),
        'INVALID_ARGUMENT',
      ),
    ).toBe(true);
    for (const step of [0, -30, 1.5]) {
      expect(
        isTriageError(
          thrown(() => totp(key, { time: new Date(), step })),
          'INVALID_ARGUMENT',
        ),
      ).toBe(true);
    }
    expect(totp(key, { time: new Date(59_000), step: 60 })).toBe(hotp(key, 0));
  });
});

describe('otpauthUri (Key Uri Format)', () => {
  it.each(vectors.otpauth.cases)('$uri', ({ account, issuer, secretBase32, uri }) => {
    expect(otpauthUri({ account, issuer, secretBase32 })).toBe(uri);
    expect(otpauthUri({ account, issuer, secretBase32: `${secretBase32.toLowerCase()}====` })).toBe(uri);
  });

  it('escapes the label and refuses empty parts, colons and a bad seed without echoing it', () => {
    expect(otpauthUri({ account: 'a b', issuer: 'tri age', secretBase32: 'MZXW6YTB' })).toBe(
      'otpauth://totp/tri%20age:a%20b?secret=MZXW6YTB&issuer=tri%20age',
    );
    for (const input of [
      { account: '', issuer: 'triage', secretBase32: 'MZXW6YTB' },
      { account: 'a:b', issuer: 'triage', secretBase32: 'MZXW6YTB' },
      { account: 'a', issuer: '', secretBase32: 'MZXW6YTB' },
      { account: 'a', issuer: 'triage', secretBase32: '' },
    ]) {
      expect(
        isTriageError(
          thrown(() => otpauthUri(input)),
          'INVALID_ARGUMENT',
        ),
        JSON.stringify(input),
      ).toBe(true);
    }
    const error = thrown(() => otpauthUri({ account: 'a', issuer: 'triage', secretBase32: 'SECRET1SEED' }));
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
    expect(JSON.stringify(error) + String(error)).not.toContain('SECRET1SEED');
  });
});
