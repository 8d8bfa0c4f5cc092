/**
 * docs/formats/envelope.md §9: the worked example in the spec is exactly what
 * the code produces from the listed inputs, and decrypts back.
 */
import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { counting, fixedRandom } from './fixed-random.js';
import { headerMacKey, payloadKey } from './format.js';
import { decryptBytes, encryptBytes } from './io.js';
import { encodeKey } from './keys.js';

const spec = readFileSync(new URL('../../../docs/formats/envelope.md', import.meta.url), 'utf8');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The example block: each line is a 22-column label, then hex bytes. */
function exampleFromSpec(): Uint8Array {
  const block = spec.split('<!-- example-envelope')[1]?.split('```')[1] ?? '';
  const lines = block.split('\n').filter((line) => line.trim() !== '');
  return Uint8Array.from(
    Buffer.from(lines.map((line) => line.slice(22).replaceAll(' ', '')).join(''), 'hex'),
  );
}

/** A value from the spec's tables: `| name | value |`. */
function tableValue(name: string): string {
  const cells = spec
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim().replaceAll('`', '')))
    .find((row) => row[0] === '' && row[1] === name);
  return cells?.[2] ?? '';
}

describe('spec worked example', () => {
  const examinerSecret = counting(0xa0, 32);
  const recipient = encodeKey('recipient', nacl.box.keyPair.fromSecretKey(examinerSecret).publicKey);
  const identity = encodeKey('identity', examinerSecret);
  const fileKey = counting(0x00, 32);
  const plaintext = new TextEncoder().encode(
    'Evidence for case 2026-0042, host ws-17: users, logins, persistence, processes.\n',
  );

  it('lists the key texts the code produces', () => {
    expect(tableValue('examiner secret key')).toContain(identity);
    expect(tableValue('examiner public key')).toContain(recipient);
  });

  it('produces exactly the example bytes from the listed inputs', async () => {
    const envelope = await encryptBytes(plaintext, {
      recipients: [recipient],
      chunkSize: 64,
      randomBytes: fixedRandom(fileKey, counting(0x20, 32), counting(0x40, 24)),
    });
    const example = exampleFromSpec();
    expect(example.length).toBe(263);
    expect(hex(envelope)).toBe(hex(example));
  });

  it('lists the derived keys the code uses', () => {
    const example = exampleFromSpec();
    const mac = example.subarray(151 - 32, 151);
    expect(tableValue('header_mac_key')).toBe(hex(headerMacKey(fileKey)));
    expect(tableValue('header_mac')).toBe(hex(mac));
    expect(tableValue('payload_key')).toBe(hex(payloadKey(fileKey, mac)));
  });

  it('decrypts to the listed plaintext', async () => {
    expect(await decryptBytes(exampleFromSpec(), { identities: [identity] })).toEqual(plaintext);
  });
});
