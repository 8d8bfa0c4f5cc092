import { randomBytes } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import type { ArtifactRecord } from '@triage/artifact-schema';
import {
  decryptBytes,
  encryptBytes,
  generateExaminerKeyPair,
  generateSigningKeyPair,
  type Recipient,
} from '@triage/encryption';
import { describe, expect, it } from 'vitest';
import { openCollection, readCollection, readContainer, verifyCollection } from './reader.js';
import {
  bytesOf,
  clock,
  codeOf,
  HEADER,
  joinLines,
  linesOf,
  piecesOf,
  recordsOf,
  sampleRecords,
  text,
} from './testing/fixtures.js';
import { sealCollection, writeContainer } from './writer.js';

const examiner = generateExaminerKeyPair();
const colleague = generateExaminerKeyPair();
const stranger = generateExaminerKeyPair();
const signer = generateSigningKeyPair();
const PASSWORD = 'correct horse battery staple';
const FAST_PASSWORD: Recipient = { password: PASSWORD, scrypt: { logN: 10, r: 8, p: 1 } };
const RECORDS = sampleRecords(40);

async function seal(
  options: {
    recipients?: readonly Recipient[];
    signingKey?: string;
    records?: readonly ArtifactRecord[];
  } = {},
) {
  const { stream, manifest } = sealCollection(recordsOf(options.records ?? RECORDS), {
    header: HEADER,
    recipients: options.recipients ?? [examiner.recipient],
    now: clock(),
    finish: () => ({ log: ['collection finished'] }),
    ...(options.signingKey === undefined ? {} : { signingKey: options.signingKey }),
  });
  return { sealed: await bytesOf(stream), written: await manifest };
}

/** What an attacker holding only the examiner's public key can do: re-seal any plaintext. */
async function reseal(container: Uint8Array): Promise<Uint8Array> {
  return encryptBytes(new Uint8Array(brotliCompressSync(container)), { recipients: [examiner.recipient] });
}

/** The plaintext container inside a sealed collection, opened with the plain primitives. */
async function plaintextOf(sealed: Uint8Array): Promise<Uint8Array> {
  const compressed = await decryptBytes(sealed, { identities: [examiner.identity] });
  return new Uint8Array(brotliDecompressSync(compressed));
}

const signedSeal = await seal({ signingKey: signer.signingKey });
const unsignedSeal = await seal();

describe('sealCollection / openCollection', () => {
  it('round-trips to an X25519 recipient, signed, with the manifest the writer reported', async () => {
    const result = await readCollection(signedSeal.sealed, {
      identities: [examiner.identity],
      verifyKeys: [signer.verifyKey],
    });
    expect(result.records).toEqual(RECORDS);
    expect(result.header.host).toBe('ws-17');
    expect(result.manifest).toEqual(signedSeal.written.manifest);
    expect(result.manifestSha256).toBe(signedSeal.written.manifestSha256);
    expect(result.signature?.trusted).toBe(true);
    expect(result.manifest.counts).toEqual({
      group: 10,
      process: 10,
      shell_history_entry: 10,
      user_account: 10,
    });
    expect(result.manifest.log).toEqual(['collection finished']);
  });

  it('round-trips unsigned', async () => {
    const result = await readCollection(unsignedSeal.sealed, { identities: [examiner.identity] });
    expect(result.records).toEqual(RECORDS);
    expect(result.signature).toBeNull();
    expect(result.manifestSha256).toBe(unsignedSeal.written.manifestSha256);
  });

  it('round-trips to several recipients, each able to open it', async () => {
    const { sealed } = await seal({ recipients: [examiner.recipient, colleague.recipient] });
    for (const identity of [examiner.identity, colleague.identity]) {
      expect((await readCollection(sealed, { identities: [identity] })).records).toEqual(RECORDS);
    }
  });

  it('round-trips with a password (small scrypt cost for the test)', async () => {
    const { sealed } = await seal({ recipients: [FAST_PASSWORD], signingKey: signer.signingKey });
    const result = await readCollection(sealed, {
      identities: [{ password: PASSWORD }],
      verifyKeys: [signer.verifyKey],
    });
    expect(result.records).toEqual(RECORDS);
    expect(await codeOf(readCollection(sealed, { identities: [{ password: 'guess' }] }))).toBe(
      'ENVELOPE_WRONG_PASSWORD',
    );
  });

  it('round-trips an empty collection', async () => {
    const { sealed } = await seal({ records: [], signingKey: signer.signingKey });
    const result = await readCollection(sealed, {
      identities: [examiner.identity],
      verifyKeys: [signer.verifyKey],
    });
    expect(result.records).toEqual([]);
    expect(result.manifest.record_count).toBe(0);
  });

  it('layers exactly: envelope of brotli of the plaintext container', async () => {
    const inner = await plaintextOf(signedSeal.sealed);
    expect(Buffer.from(signedSeal.sealed.subarray(0, 8)).toString('latin1')).toBe('\x89TRIENV\n');
    const plain = writeContainer(recordsOf(RECORDS), {
      header: { ...HEADER, collection_id: signedSeal.written.manifest.collection_id },
      now: clock(),
      signingKey: signer.signingKey,
      finish: () => ({ log: ['collection finished'] }),
    });
    // Ed25519 is deterministic, so the same inputs give the same container, byte for byte.
    expect(text(inner)).toBe(text(await bytesOf(plain.stream)));
    const lines = linesOf(inner);
    expect(JSON.parse(lines[0] as string).section).toBe('header');
    expect(JSON.parse(lines[41] as string).section).toBe('manifest');
    expect(Object.keys(JSON.parse(lines[42] as string))).toEqual(['signature']);
    expect(await readContainer(inner, { verifyKeys: [signer.verifyKey] })).toMatchObject({
      records: RECORDS,
    });
  });

  it('reads the sealed bytes from any source shape', async () => {
    const fromStream = await verifyCollection(piecesOf(signedSeal.sealed, 333), {
      identities: [examiner.identity],
    });
    async function* iterable() {
      for (let i = 0; i < signedSeal.sealed.length; i += 1000) yield signedSeal.sealed.slice(i, i + 1000);
    }
    const fromIterable = await verifyCollection(iterable(), { identities: [examiner.identity] });
    expect(fromStream.manifestSha256).toBe(signedSeal.written.manifestSha256);
    expect(fromIterable.manifestSha256).toBe(signedSeal.written.manifestSha256);
  });

  it('refuses the wrong key before reading anything', async () => {
    expect(await codeOf(openCollection(signedSeal.sealed, { identities: [stranger.identity] }))).toBe(
      'ENVELOPE_NO_MATCHING_IDENTITY',
    );
    expect(await codeOf(openCollection(signedSeal.sealed, { identities: [] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(openCollection(signedSeal.sealed, { identities: ['TRIAGE-SECRET-KEY-1BAD'] }))).toBe(
      'KEY_INVALID',
    );
  });

  it('refuses the wrong verify key', async () => {
    const other = generateSigningKeyPair();
    expect(
      await codeOf(
        readCollection(signedSeal.sealed, { identities: [examiner.identity], verifyKeys: [other.verifyKey] }),
      ),
    ).toBe('SIGNATURE_INVALID');
  });

  it('detects the ciphertext cut at any length', async () => {
    const { sealed } = signedSeal;
    const lengths = [
      ...Array.from({ length: 200 }, (_, i) => i),
      ...Array.from({ length: 60 }, (_, i) => sealed.length - 1 - i * 7),
    ];
    for (const length of lengths) {
      const code = await codeOf(
        readCollection(sealed.subarray(0, length), { identities: [examiner.identity] }),
      );
      expect(
        ['ENVELOPE_TRUNCATED', 'ENVELOPE_TAMPERED', 'ENVELOPE_BAD_HEADER'],
        `cut at ${length}`,
      ).toContain(code);
    }
  });

  it('detects any flipped ciphertext byte', async () => {
    const { sealed } = signedSeal;
    for (let i = 0; i < sealed.length; i += 13) {
      const tampered = sealed.slice();
      tampered[i] = (tampered[i] as number) ^ 0x01;
      const code = await codeOf(readCollection(tampered, { identities: [examiner.identity] }));
      expect(code, `byte ${i}`).toMatch(/^ENVELOPE_/);
    }
  });

  it('surfaces envelope tampering through the records loop, before it can end', async () => {
    // A big collection spans several envelope chunks: damage the last one.
    const many = sampleRecords(3000).map((record, i) =>
      record.kind === 'shell_history_entry'
        ? { ...record, command: `echo ${randomBytes(100).toString('hex')} ${i}` }
        : record,
    );
    const { sealed } = await seal({ records: many });
    expect(sealed.length).toBeGreaterThan(64 * 1024 + 1000);
    const tampered = sealed.slice();
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] as number) ^ 0x80;
    const opened = await openCollection(piecesOf(tampered, 4096), { identities: [examiner.identity] });
    let count = 0;
    let ended = false;
    const outcome = await codeOf(
      (async () => {
        for await (const _ of opened.records()) count++;
        ended = true;
      })(),
    );
    expect(outcome).toBe('ENVELOPE_TAMPERED');
    expect(ended).toBe(false);
    expect(count).toBeLessThan(3000);
    expect(await codeOf(opened.finish())).toBe('ENVELOPE_TAMPERED');
  });

  describe('a re-sealed plaintext (an attacker with the examiner public key)', () => {
    const identities = [examiner.identity];

    it('is read when untouched, as a control', async () => {
      const plain = await plaintextOf(signedSeal.sealed);
      const result = await readCollection(await reseal(plain), {
        identities,
        verifyKeys: [signer.verifyKey],
      });
      expect(result.records).toHaveLength(40);
    });

    it('flipped record byte: INTEGRITY_MISMATCH', async () => {
      const lines = linesOf(await plaintextOf(signedSeal.sealed));
      lines[5] = (lines[5] as string).replace('"uid":1004', '"uid":1005');
      expect(await codeOf(readCollection(await reseal(joinLines(lines)), { identities }))).toBe(
        'INTEGRITY_MISMATCH',
      );
    });

    it('changed manifest: SIGNATURE_INVALID', async () => {
      const lines = linesOf(await plaintextOf(signedSeal.sealed));
      lines[41] = (lines[41] as string).replace('"log":["collection finished"]', '"log":[]');
      const code = await codeOf(
        readCollection(await reseal(joinLines(lines)), { identities, verifyKeys: [signer.verifyKey] }),
      );
      expect(code).toBe('SIGNATURE_INVALID');
    });

    it('signature removed: SIGNATURE_INVALID when a signature is required', async () => {
      const lines = linesOf(await plaintextOf(signedSeal.sealed)).slice(0, -1);
      const stripped = await reseal(joinLines(lines));
      expect(await codeOf(readCollection(stripped, { identities, verifyKeys: [signer.verifyKey] }))).toBe(
        'SIGNATURE_INVALID',
      );
    });

    it('plaintext cut before the manifest: DATA_INVALID', async () => {
      const lines = linesOf(await plaintextOf(unsignedSeal.sealed)).slice(0, 30);
      expect(await codeOf(readCollection(await reseal(joinLines(lines)), { identities }))).toBe(
        'DATA_INVALID',
      );
      const plain = await plaintextOf(unsignedSeal.sealed);
      const midLine = plain.subarray(0, plain.length - 100);
      expect(await codeOf(readCollection(await reseal(midLine), { identities }))).toBe('DATA_INVALID');
    });

    it('record after the manifest: DATA_INVALID', async () => {
      const lines = linesOf(await plaintextOf(unsignedSeal.sealed));
      lines.push(lines[1] as string);
      expect(await codeOf(readCollection(await reseal(joinLines(lines)), { identities }))).toBe(
        'DATA_INVALID',
      );
    });

    it('brotli cut off, brotli with trailing bytes, or no brotli at all: DATA_INVALID', async () => {
      const compressed = brotliCompressSync(await plaintextOf(unsignedSeal.sealed));
      const variants = [
        compressed.subarray(0, compressed.length - 3),
        Buffer.concat([compressed, Buffer.from('trailing')]),
        await plaintextOf(unsignedSeal.sealed),
      ];
      for (const variant of variants) {
        const sealed = await encryptBytes(new Uint8Array(variant), { recipients: [examiner.recipient] });
        expect(await codeOf(readCollection(sealed, { identities }))).toBe('DATA_INVALID');
      }
    });
  });

  it('keeps every secret out of the sealed bytes and out of the plaintext', async () => {
    const { sealed } = await seal({ recipients: [FAST_PASSWORD], signingKey: signer.signingKey });
    const compressed = await decryptBytes(sealed, { identities: [{ password: PASSWORD }] });
    const plain = text(new Uint8Array(brotliDecompressSync(compressed))).toLowerCase();
    for (const haystack of [plain, Buffer.from(sealed).toString('latin1').toLowerCase()]) {
      expect(haystack).not.toContain(PASSWORD.toLowerCase());
      expect(haystack).not.toContain(signer.signingKey.toLowerCase());
      expect(haystack).not.toContain(examiner.identity.toLowerCase());
    }
    expect(plain).toContain(signer.verifyKey); // the public half is meant to be there
  });

  it('checks recipients before collecting anything', () => {
    expect(() => sealCollection(recordsOf([]), { header: HEADER, recipients: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => sealCollection(recordsOf([]), { header: HEADER, recipients: ['triage1bad'] })).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    );
  });

  it('cancels writing and reading with ABORTED', async () => {
    const writing = new AbortController();
    async function* endless() {
      for (let i = 0; ; i++) {
        if (i === 100) writing.abort();
        yield RECORDS[i % RECORDS.length] as ArtifactRecord;
      }
    }
    const { stream, manifest } = sealCollection(endless(), {
      header: HEADER,
      recipients: [examiner.recipient],
      signal: writing.signal,
      chunkBytes: 512,
    });
    expect(await codeOf(bytesOf(stream))).toBe('ABORTED');
    expect(await codeOf(manifest)).toBe('ABORTED');

    const reading = new AbortController();
    const opened = await openCollection(piecesOf(signedSeal.sealed, 256), {
      identities: [examiner.identity],
      signal: reading.signal,
    });
    const records = opened.records();
    await records.next();
    reading.abort();
    expect(await codeOf(opened.finish())).toBe('ABORTED');
  });

  it('seals and opens a large collection streaming, in bounded memory', async () => {
    const COUNT = 200_000;
    async function* many() {
      for (let i = 0; i < COUNT; i++) yield RECORDS[i % RECORDS.length] as ArtifactRecord;
    }
    const { stream, manifest } = sealCollection(many(), {
      header: HEADER,
      recipients: [examiner.recipient],
      signingKey: signer.signingKey,
      validate: false,
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const opened = await openCollection(stream, {
      identities: [examiner.identity],
      verifyKeys: [signer.verifyKey],
      validate: false,
    });
    let count = 0;
    for await (const _ of opened.records()) {
      if (++count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    }
    const verified = await opened.finish();
    expect(count).toBe(COUNT);
    expect(verified.manifest.record_count).toBe(COUNT);
    expect(verified.manifestSha256).toBe((await manifest).manifestSha256);
    // About 50 MB of records passed through; memory grew by far less than the data.
    expect(verified.manifest.artifact_bytes).toBeGreaterThan(40_000_000);
    expect(peak - before).toBeLessThan(verified.manifest.artifact_bytes / 2);
  }, 120_000);
});
