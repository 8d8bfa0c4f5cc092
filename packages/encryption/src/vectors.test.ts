/**
 * Test vectors from test-fixtures/encryption/vectors.json (see its README):
 * every positive vector re-encrypts byte for byte and decrypts for each of its
 * recipients; every negative vector fails with its specific code. Each is
 * also fed in small, uneven pieces to exercise incremental parsing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './fixed-random.js';
import { decryptBytes, encryptBytes } from './io.js';
import type { Identity, Recipient } from './stream.js';

interface VectorFile {
  identities: Record<
    string,
    {
      identity?: string;
      recipient?: string;
      password?: string;
      scrypt?: { logN: number; r: number; p: number };
    }
  >;
  positive: {
    name: string;
    chunkSize: number;
    recipients: string[];
    plaintext: { seed: string; length: number; sha256: string };
    randomSeed: string;
    decryptWith: string[];
    envelope: { length: number; sha256: string; hex?: string };
  }[];
  negative: {
    name: string;
    identities: string[];
    expected: string;
    envelope: { length: number; hex?: string };
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test-fixtures/encryption/vectors.json', import.meta.url), 'utf8'),
) as VectorFile;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function identity(name: string): Identity {
  const entry = vectors.identities[name];
  if (entry?.password !== undefined) return { password: entry.password };
  return entry?.identity as string;
}

function recipient(name: string): Recipient {
  const entry = vectors.identities[name];
  if (entry?.password !== undefined)
    return { password: entry.password, ...(entry.scrypt ? { scrypt: entry.scrypt } : {}) };
  return entry?.recipient as string;
}

/** The bytes as a stream of pieces of 1, 2, 3, … 17, 1, 2, … bytes. */
function pieces(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  let size = 1;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
      size = (size % 17) + 1;
    },
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('decryption should have failed'),
    (error: unknown) => error,
  );
}

describe('positive vectors', () => {
  it('covers the sizes the issue lists', () => {
    expect(vectors.positive.map((v) => v.name)).toEqual(
      expect.arrayContaining([
        'empty',
        'one-byte',
        'exactly-one-chunk',
        'chunk-minus-one',
        'chunk-plus-one',
        'several-mib',
        'three-recipients',
      ]),
    );
  });

  it.each(vectors.positive.map((v) => [v.name, v] as const))('%s', async (_name, vector) => {
    const plaintext = seededRandom(vector.plaintext.seed)(vector.plaintext.length);
    expect(sha256(plaintext)).toBe(vector.plaintext.sha256);
    const envelope = await encryptBytes(plaintext, {
      recipients: vector.recipients.map(recipient),
      chunkSize: vector.chunkSize,
      randomBytes: seededRandom(vector.randomSeed),
    });
    expect(envelope.length).toBe(vector.envelope.length);
    expect(sha256(envelope)).toBe(vector.envelope.sha256);
    if (vector.envelope.hex) expect(Buffer.from(envelope).toString('hex')).toBe(vector.envelope.hex);
    for (const name of vector.decryptWith) {
      const opened = await decryptBytes(envelope, { identities: [identity(name)] });
      expect(sha256(opened), `decrypt with ${name}`).toBe(vector.plaintext.sha256);
    }
    if (envelope.length < 100_000) {
      const opened = await decryptBytes(pieces(envelope), {
        identities: [identity(vector.decryptWith[0] as string)],
      });
      expect(sha256(opened)).toBe(vector.plaintext.sha256);
    }
  });
});

describe('negative vectors', () => {
  it.each(vectors.negative.map((v) => [v.name, v.expected, v] as const))(
    '%s → %s',
    async (_name, expected, vector) => {
      const bytes = Uint8Array.from(Buffer.from(vector.envelope.hex as string, 'hex'));
      const identities = vector.identities.map(identity);
      for (const input of [bytes, pieces(bytes)]) {
        const error = await failure(decryptBytes(input, { identities }));
        expect(isTriageError(error), String(error)).toBe(true);
        expect((error as { code: string }).code).toBe(expected);
      }
    },
  );
});
