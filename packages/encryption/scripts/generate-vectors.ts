/**
 * Writes test-fixtures/encryption/vectors.json: positive and negative test
 * vectors for docs/formats/envelope.md, version 1.
 *
 *   npx tsx --conditions=triage-source packages/encryption/scripts/generate-vectors.ts
 *
 * Deterministic: plaintexts, keys and "randomness" come from seededRandom()
 * (SHA-256 counter mode over a seed string, documented in the fixtures
 * README), so anyone can regenerate every byte. Negative vectors are made by
 * editing positive ones as each entry's `description` says, or by assembling
 * headers and chunks directly with the spec's primitives.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import nacl from 'tweetnacl';
import { seededRandom } from '../src/fixed-random.js';
import {
  chunkNonce,
  encodeHeader,
  MAC_LENGTH,
  payloadKey,
  STANZA_SCRYPT,
  STANZA_X25519,
} from '../src/format.js';
import { encryptBytes } from '../src/io.js';
import { encodeKey } from '../src/keys.js';
import type { Recipient } from '../src/stream.js';

const OUT = new URL('../../../test-fixtures/encryption/vectors.json', import.meta.url);
const FULL_HEX_LIMIT = 4096;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function examiner(name: string) {
  const secret = seededRandom(`examiner:${name}`)(32);
  return {
    identity: encodeKey('identity', secret),
    recipient: encodeKey('recipient', nacl.box.keyPair.fromSecretKey(secret).publicKey),
  };
}

const examiners = { a: examiner('a'), b: examiner('b'), c: examiner('c'), outsider: examiner('outsider') };
type ExaminerName = keyof typeof examiners;
const PASSWORD = 'correct horse battery staple';
const SCRYPT = { logN: 10, r: 8, p: 1 };

interface PositiveSpec {
  readonly name: string;
  readonly description: string;
  readonly length: number;
  readonly chunkSize: number;
  readonly recipients: readonly (ExaminerName | 'password')[];
}

const positives: PositiveSpec[] = [
  {
    name: 'empty',
    description: '0-byte plaintext: one empty final chunk',
    length: 0,
    chunkSize: 64,
    recipients: ['a'],
  },
  { name: 'one-byte', description: '1-byte plaintext', length: 1, chunkSize: 64, recipients: ['a'] },
  {
    name: 'chunk-minus-one',
    description: 'one byte short of a chunk',
    length: 63,
    chunkSize: 64,
    recipients: ['a'],
  },
  {
    name: 'exactly-one-chunk',
    description: 'a full final chunk',
    length: 64,
    chunkSize: 64,
    recipients: ['a'],
  },
  {
    name: 'chunk-plus-one',
    description: 'a full chunk then a 1-byte final chunk',
    length: 65,
    chunkSize: 64,
    recipients: ['a'],
  },
  {
    name: 'two-chunks-exact',
    description: 'two full chunks, the second final',
    length: 128,
    chunkSize: 64,
    recipients: ['a'],
  },
  {
    name: 'three-recipients',
    description: 'three X25519 stanzas; each examiner can decrypt',
    length: 200,
    chunkSize: 64,
    recipients: ['a', 'b', 'c'],
  },
  {
    name: 'password',
    description: 'one password stanza (scrypt log_n 10, r 8, p 1)',
    length: 150,
    chunkSize: 64,
    recipients: ['password'],
  },
  {
    name: 'default-chunk-size',
    description: '64 KiB chunks, 2.5 chunks',
    length: 163_840,
    chunkSize: 65_536,
    recipients: ['a'],
  },
  {
    name: 'several-mib',
    description: '3 MiB + 7 bytes in 64 KiB chunks',
    length: 3 * 1024 * 1024 + 7,
    chunkSize: 65_536,
    recipients: ['a', 'b'],
  },
];

function recipientsOf(spec: PositiveSpec): Recipient[] {
  return spec.recipients.map((r) =>
    r === 'password' ? { password: PASSWORD, scrypt: SCRYPT } : examiners[r].recipient,
  );
}

function identitiesFor(spec: PositiveSpec): string[] {
  return spec.recipients.map((r) => (r === 'password' ? 'password' : r));
}

function envelopeRecord(bytes: Uint8Array) {
  return {
    length: bytes.length,
    sha256: sha256(bytes),
    ...(bytes.length <= FULL_HEX_LIMIT ? { hex: hex(bytes) } : {}),
  };
}

async function main(): Promise<void> {
  const built = new Map<string, { plaintext: Uint8Array; envelope: Uint8Array }>();
  const positive = [];
  for (const spec of positives) {
    const plaintext = seededRandom(`plaintext:${spec.name}`)(spec.length);
    const envelope = await encryptBytes(plaintext, {
      recipients: recipientsOf(spec),
      chunkSize: spec.chunkSize,
      randomBytes: seededRandom(`random:${spec.name}`),
    });
    built.set(spec.name, { plaintext, envelope });
    positive.push({
      name: spec.name,
      description: spec.description,
      chunkSize: spec.chunkSize,
      recipients: spec.recipients,
      plaintext: { seed: `plaintext:${spec.name}`, length: spec.length, sha256: sha256(plaintext) },
      randomSeed: `random:${spec.name}`,
      decryptWith: identitiesFor(spec),
      envelope: envelopeRecord(envelope),
    });
  }

  const base = built.get('two-chunks-exact')?.envelope as Uint8Array; // header 151, chunks of 80
  const pw = built.get('password')?.envelope as Uint8Array;
  const other = built.get('chunk-plus-one')?.envelope as Uint8Array;
  const H = 151;
  const S = 80;
  const edit = (bytes: Uint8Array, fn: (b: Uint8Array) => void) => {
    const copy = Uint8Array.from(bytes);
    fn(copy);
    return copy;
  };
  const flip = (bytes: Uint8Array, offset: number) =>
    edit(bytes, (b) => {
      b[offset] = (b[offset] as number) ^ 0x01;
    });
  const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

  // Hand-assembled envelopes, for states no valid writer produces.
  const fileKey = seededRandom('random:hand-made')(32);
  const sealChunk = (mac: Uint8Array, index: number, last: boolean, plaintext: Uint8Array) => {
    const cipher = createCipheriv('aes-256-gcm', payloadKey(fileKey, mac), chunkNonce(index, last));
    return concat(cipher.update(plaintext), cipher.final(), cipher.getAuthTag());
  };
  const ephemeral = nacl.box.keyPair.fromSecretKey(seededRandom('random:hand-made-eph')(32));
  const x25519Body = (recipient: string) => {
    const nonce = seededRandom(`random:hand-made-nonce:${recipient}`)(24);
    const pk = nacl.box.keyPair.fromSecretKey(seededRandom(`examiner:${recipient}`)(32)).publicKey;
    return concat(ephemeral.publicKey, nonce, nacl.box(fileKey, nonce, pk, ephemeral.secretKey));
  };
  const handHeader = (stanzas: { type: number; body: Uint8Array }[], chunkLog2 = 6) =>
    encodeHeader(chunkLog2, stanzas, fileKey);
  const emptyFinal = (() => {
    const header = handHeader([{ type: STANZA_X25519, body: x25519Body('a') }]);
    const mac = header.subarray(header.length - MAC_LENGTH);
    return concat(
      header,
      sealChunk(mac, 0, false, new Uint8Array(64)),
      sealChunk(mac, 1, true, new Uint8Array(0)),
    );
  })();
  const passwordBeside = handHeader([
    { type: STANZA_SCRYPT, body: pw.subarray(15, 15 + 91) },
    { type: STANZA_X25519, body: x25519Body('a') },
  ]);
  const scryptTooCostly = (() => {
    const body = Uint8Array.from(pw.subarray(15, 15 + 91));
    body[16] = 23; // log_n 23: 1 GiB with r = 8
    return handHeader([{ type: STANZA_SCRYPT, body }]);
  })();

  const negative = [
    {
      name: 'empty-input',
      description: 'zero bytes',
      bytes: new Uint8Array(0),
      expected: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'wrong-magic',
      description: 'two-chunks-exact with byte 1 changed from T to t',
      bytes: edit(base, (b) => {
        b[1] = 0x74;
      }),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'not-an-envelope',
      description: 'a text file',
      bytes: new TextEncoder().encode('hello, examiner\n'),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'version-2',
      description: 'two-chunks-exact with version byte 02',
      bytes: edit(base, (b) => {
        b[8] = 2;
      }),
      expected: 'ENVELOPE_UNSUPPORTED_VERSION',
    },
    {
      name: 'flags-set',
      description: 'two-chunks-exact with flags 01',
      bytes: edit(base, (b) => {
        b[10] = 1;
      }),
      expected: 'ENVELOPE_UNSUPPORTED_VERSION',
    },
    {
      name: 'chunk-log2-too-small',
      description: 'chunk_log2 05',
      bytes: edit(base, (b) => {
        b[9] = 5;
      }),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'chunk-log2-changed',
      description: 'chunk_log2 07 (in range): header MAC fails',
      bytes: edit(base, (b) => {
        b[9] = 7;
      }),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'no-stanzas',
      description: 'stanza_count 00',
      bytes: edit(base, (b) => {
        b[11] = 0;
      }),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'unknown-stanza-type',
      description: 'stanza type 07',
      bytes: edit(base, (b) => {
        b[12] = 7;
      }),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'stanza-length-wrong',
      description: 'X25519 stanza length 00 67',
      bytes: edit(base, (b) => {
        b[14] = 0x67;
      }),
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'password-beside-key',
      description: 'hand-made: a password stanza and an X25519 stanza',
      bytes: passwordBeside,
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'scrypt-cost-too-high',
      description: 'hand-made: password stanza with log_n 23',
      bytes: scryptTooCostly,
      identities: ['password'],
      expected: 'ENVELOPE_BAD_HEADER',
    },
    {
      name: 'stanza-body-flipped',
      description: 'one bit of the boxed file key flipped',
      bytes: flip(base, 100),
      expected: 'ENVELOPE_NO_MATCHING_IDENTITY',
    },
    {
      name: 'header-mac-flipped',
      description: 'one bit of header_mac flipped',
      bytes: flip(base, H - 1),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'header-truncated',
      description: 'cut inside the stanza',
      bytes: base.subarray(0, 60),
      expected: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'header-only',
      description: 'cut right after the header',
      bytes: base.subarray(0, H),
      expected: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'chunk-flipped',
      description: 'one bit of chunk 0 ciphertext flipped',
      bytes: flip(base, H + 10),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'final-tag-flipped',
      description: 'one bit of the final tag flipped',
      bytes: flip(base, base.length - 1),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'cut-at-chunk-boundary',
      description: 'two-chunks-exact without its final chunk',
      bytes: base.subarray(0, H + S),
      expected: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'cut-mid-chunk',
      description: 'two-chunks-exact cut 30 bytes into the final chunk',
      bytes: base.subarray(0, H + S + 30),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'cut-inside-tag-length',
      description: 'cut 10 bytes into the final chunk',
      bytes: base.subarray(0, H + S + 10),
      expected: 'ENVELOPE_TRUNCATED',
    },
    {
      name: 'chunks-swapped',
      description: 'chunks 0 and 1 exchanged',
      bytes: concat(base.subarray(0, H), base.subarray(H + S), base.subarray(H, H + S)),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'chunk-duplicated',
      description: 'chunk 0 twice, then the final chunk',
      bytes: concat(base.subarray(0, H + S), base.subarray(H, H + S), base.subarray(H + S)),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'data-appended',
      description: 'one zero byte appended',
      bytes: concat(base, new Uint8Array(1)),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'header-from-other-envelope',
      description: 'header of chunk-plus-one, payload of two-chunks-exact (same recipient)',
      bytes: concat(other.subarray(0, H), base.subarray(H)),
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'empty-final-chunk',
      description: 'hand-made: a full non-final chunk, then an empty final chunk',
      bytes: emptyFinal,
      expected: 'ENVELOPE_TAMPERED',
    },
    {
      name: 'wrong-key',
      description: 'two-chunks-exact opened by another examiner',
      bytes: base,
      identities: ['outsider'],
      expected: 'ENVELOPE_NO_MATCHING_IDENTITY',
    },
    {
      name: 'wrong-password',
      description: 'password vector with another password',
      bytes: pw,
      identities: ['wrong-password'],
      expected: 'ENVELOPE_WRONG_PASSWORD',
    },
    {
      name: 'no-password-given',
      description: 'password vector opened with a key only',
      bytes: pw,
      identities: ['a'],
      expected: 'ENVELOPE_NO_MATCHING_IDENTITY',
    },
  ].map(({ bytes, identities, ...rest }) => ({
    ...rest,
    identities: identities ?? ['a'],
    envelope: envelopeRecord(bytes),
  }));

  const document = {
    source:
      'Generated by packages/encryption/scripts/generate-vectors.ts from the seeds below (seededRandom, see README.md); format: docs/formats/envelope.md version 1.',
    identities: {
      ...Object.fromEntries(Object.entries(examiners).map(([name, keys]) => [name, keys])),
      password: { password: PASSWORD, scrypt: SCRYPT },
      'wrong-password': { password: 'Tr0ub4dor&3' },
    },
    positive,
    negative,
  };
  await writeFile(OUT, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(
    `wrote ${positive.length} positive and ${negative.length} negative vectors to ${OUT.pathname}\n`,
  );
}

await main();
