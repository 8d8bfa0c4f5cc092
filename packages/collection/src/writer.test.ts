import { createHash } from 'node:crypto';
import { type ArtifactRecord, encodeRecord } from '@triage/artifact-schema';
import { generateSigningKeyPair, verify } from '@triage/encryption';
import { describe, expect, it } from 'vitest';
import { MANIFEST_SIGNATURE_CONTEXT, MAX_ERRORS, MAX_LOG_LINES } from './format.js';
import { readContainer } from './reader.js';
import {
  bytesOf,
  clock,
  codeOf,
  errorOf,
  HEADER,
  linesOf,
  recordsOf,
  sampleRecord,
  sampleRecords,
  text,
  utf8,
} from './testing/fixtures.js';
import { writeContainer } from './writer.js';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(pieces));
}

describe('writeContainer', () => {
  it('writes the header, one encodeRecord line per record, then the manifest', async () => {
    const records = sampleRecords(9);
    const { stream, manifest } = writeContainer(recordsOf(records), {
      header: { ...HEADER, collection_id: 'c-1' },
      now: clock(),
      finish: () => ({
        errors: [{ collector: 'wtmp', code: 'IO_ERROR', message: 'unreadable' }],
        log: ['started'],
      }),
    });
    const bytes = await bytesOf(stream);
    const lines = linesOf(bytes);
    expect(lines).toHaveLength(1 + 9 + 1);
    expect(lines[0]).toBe(
      '{"format":"triage-collection","format_version":1,"section":"header","schema_version":2,"collection_id":"c-1","case":"2026-0042","host":"ws-17","collector":{"name":"triage-collect","version":"0.1.0"},"started_at":"2026-11-23T16:00:00.000Z"}',
    );
    const artifact = concat(records.map(encodeRecord));
    // The record lines are exactly encodeRecord's bytes, back to back.
    expect(text(bytes)).toBe(`${lines[0]}\n${text(artifact)}${lines[10]}\n`);
    const written = JSON.parse(lines[10] as string);
    expect(written).toEqual({
      format: 'triage-collection',
      format_version: 1,
      section: 'manifest',
      schema_version: 2,
      collection_id: 'c-1',
      case: '2026-0042',
      host: 'ws-17',
      collector: { name: 'triage-collect', version: '0.1.0' },
      started_at: '2026-11-23T16:00:00.000Z',
      ended_at: '2026-11-23T16:00:01.000Z',
      record_count: 9,
      artifact_bytes: artifact.length,
      artifact_sha256: sha256(artifact),
      counts: { group: 2, process: 2, shell_history_entry: 2, user_account: 3 },
      errors: [{ collector: 'wtmp', code: 'IO_ERROR', message: 'unreadable' }],
      errors_omitted: 0,
      log: ['started'],
      log_omitted: 0,
    });
    // Counts are written in code-unit order of the kind names.
    expect(Object.keys(written.counts)).toEqual(['group', 'process', 'shell_history_entry', 'user_account']);
    const result = await manifest;
    expect(result.manifest).toEqual(written);
    expect(result.manifestSha256).toBe(sha256(lines[10] as string));
    expect(result.signature).toBeNull();
  });

  it('writes a valid empty collection: no records, the SHA-256 of nothing', async () => {
    const { stream, manifest } = writeContainer(recordsOf([]), { header: HEADER, now: clock() });
    const lines = linesOf(await bytesOf(stream));
    expect(lines).toHaveLength(2);
    const written = (await manifest).manifest;
    expect(written.record_count).toBe(0);
    expect(written.artifact_bytes).toBe(0);
    expect(written.artifact_sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(written.counts).toEqual({});
    expect(written.errors).toEqual([]);
    expect(written.log).toEqual([]);
  });

  it('signs the exact manifest line with the collection context', async () => {
    const keys = generateSigningKeyPair();
    const { stream, manifest } = writeContainer(recordsOf(sampleRecords(3)), {
      header: HEADER,
      signingKey: keys.signingKey,
    });
    const lines = linesOf(await bytesOf(stream));
    expect(lines).toHaveLength(1 + 3 + 2);
    const signatureLine = JSON.parse(lines[5] as string);
    expect(Object.keys(signatureLine)).toEqual(['signature']);
    expect(Object.keys(signatureLine.signature)).toEqual(['algorithm', 'verify_key', 'value']);
    expect(signatureLine.signature.algorithm).toBe('ed25519');
    expect(signatureLine.signature.verify_key).toBe(keys.verifyKey);
    const manifestLine = utf8(lines[4] as string);
    expect(
      verify(manifestLine, signatureLine.signature.value, keys.verifyKey, MANIFEST_SIGNATURE_CONTEXT),
    ).toBe(true);
    // Not valid under another context, nor over the line with its newline.
    expect(verify(manifestLine, signatureLine.signature.value, keys.verifyKey, 'manifest')).toBe(false);
    expect(
      verify(
        utf8(`${lines[4]}\n`),
        signatureLine.signature.value,
        keys.verifyKey,
        MANIFEST_SIGNATURE_CONTEXT,
      ),
    ).toBe(false);
    expect((await manifest).signature).toEqual(signatureLine.signature);
  });

  it('never writes the signing key, in any letter case', async () => {
    const keys = generateSigningKeyPair();
    const { stream } = writeContainer(recordsOf(sampleRecords(5)), {
      header: HEADER,
      signingKey: keys.signingKey,
      finish: () => ({ log: ['signing the manifest'] }),
    });
    const output = text(await bytesOf(stream)).toLowerCase();
    expect(output).not.toContain(keys.signingKey.toLowerCase());
    expect(output).not.toContain(keys.signingKey.toLowerCase().slice('triage-signing-key-1'.length, 40));
    expect(output).toContain(keys.verifyKey);
  });

  it('defaults started_at and ended_at to now() and collection_id to a random UUID', async () => {
    const first = writeContainer(recordsOf([]), { header: HEADER, now: clock('2030-01-01T00:00:00.000Z') });
    const second = writeContainer(recordsOf([]), { header: HEADER });
    await Promise.all([bytesOf(first.stream), bytesOf(second.stream)]);
    const a = (await first.manifest).manifest;
    const b = (await second.manifest).manifest;
    expect(a.started_at).toBe('2030-01-01T00:00:00.000Z');
    expect(a.ended_at).toBe('2030-01-01T00:00:01.000Z');
    expect(a.collection_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.collection_id).not.toBe(a.collection_id);
    expect(Date.parse(b.ended_at)).toBeGreaterThanOrEqual(Date.parse(b.started_at));
  });

  it('caps the log at 2000 lines and 1 MiB, keeping the first lines and counting the rest', async () => {
    const many = Array.from({ length: MAX_LOG_LINES + 500 }, (_, i) => `line ${i}`);
    const a = writeContainer(recordsOf([]), { header: HEADER, finish: () => ({ log: many }) });
    await bytesOf(a.stream);
    const byCount = (await a.manifest).manifest;
    expect(byCount.log).toEqual(many.slice(0, MAX_LOG_LINES));
    expect(byCount.log_omitted).toBe(500);

    const big = 'x'.repeat(400 * 1024);
    const b = writeContainer(recordsOf([]), {
      header: HEADER,
      finish: () => ({ log: [big, big, big, 'short'] }),
    });
    await bytesOf(b.stream);
    const byBytes = (await b.manifest).manifest;
    // Two 400 KiB lines fit in 1 MiB, the third does not: it and everything after are left out.
    expect(byBytes.log.map((line) => line.length)).toEqual([big.length, big.length]);
    expect(byBytes.log_omitted).toBe(2);
  });

  it('caps errors at 1000 entries and 1 MiB, and keeps only the four known fields', async () => {
    const errors = Array.from({ length: MAX_ERRORS + 3 }, (_, i) => ({
      collector: 'files',
      code: 'PERMISSION_DENIED',
      message: `cannot read ${i}`,
      path: `/etc/${i}`,
      extra: 'dropped',
    }));
    const a = writeContainer(recordsOf([]), { header: HEADER, finish: () => ({ errors }) });
    await bytesOf(a.stream);
    const written = (await a.manifest).manifest;
    expect(written.errors).toHaveLength(MAX_ERRORS);
    expect(written.errors_omitted).toBe(3);
    expect(written.errors[0]).toEqual({
      collector: 'files',
      code: 'PERMISSION_DENIED',
      message: 'cannot read 0',
      path: '/etc/0',
    });

    const huge = { collector: 'files', code: 'X', message: 'm'.repeat(700 * 1024) };
    const b = writeContainer(recordsOf([]), { header: HEADER, finish: () => ({ errors: [huge, huge] }) });
    await bytesOf(b.stream);
    expect((await b.manifest).manifest.errors_omitted).toBe(1);
  });

  it('calls finish() once, after the last record was read', async () => {
    const events: string[] = [];
    async function* source() {
      for (const record of sampleRecords(3)) {
        events.push('record');
        yield record;
      }
      events.push('end');
    }
    const { stream } = writeContainer(source(), {
      header: HEADER,
      finish: async () => {
        events.push('finish');
        return {};
      },
    });
    await bytesOf(stream);
    expect(events).toEqual(['record', 'record', 'record', 'end', 'finish']);
  });

  it('accepts a ReadableStream of records', async () => {
    const records = sampleRecords(4);
    const source = new ReadableStream<ArtifactRecord>({
      start(controller) {
        for (const record of records) controller.enqueue(record);
        controller.close();
      },
    });
    const { stream } = writeContainer(source, { header: HEADER });
    expect((await readContainer(await bytesOf(stream))).records).toEqual(records);
  });

  it('pulls records only as fast as the output is read', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 10_000; i++) {
        pulled++;
        yield sampleRecord(i);
      }
    }
    const { stream } = writeContainer(source(), { header: HEADER, chunkBytes: 1 });
    const reader = stream.getReader();
    await reader.read(); // header
    await reader.read(); // record 1
    await reader.read(); // record 2
    expect(pulled).toBeLessThanOrEqual(3);
    await reader.cancel();
  });

  it('refuses a schema-invalid record, naming its line, and rejects the manifest', async () => {
    const bad = { ...sampleRecord(0), uid: 'zero' } as unknown as ArtifactRecord;
    const { stream, manifest } = writeContainer(recordsOf([sampleRecord(1), bad]), { header: HEADER });
    const error = await errorOf(bytesOf(stream));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toContain('container line 3');
    expect(error.message).toContain('/uid');
    expect(error.context).toMatchObject({ line: 3, kind: 'user_account', path: '/uid' });
    expect(await codeOf(manifest)).toBe('DATA_INVALID');
  });

  it('writes a schema-invalid record when validate is false, but never a non-record', async () => {
    const odd = { ...sampleRecord(1), extra: 1 } as unknown as ArtifactRecord;
    const { stream } = writeContainer(recordsOf([odd]), { header: HEADER, validate: false });
    expect(linesOf(await bytesOf(stream))[1]).toContain('"extra":1');
    for (const notRecord of [{ source: 'x' }, 'text', { ...sampleRecord(1), format: 'triage-collection' }]) {
      const written = writeContainer(recordsOf([notRecord as unknown as ArtifactRecord]), {
        header: HEADER,
        validate: false,
      });
      expect(await codeOf(bytesOf(written.stream))).toBe('DATA_INVALID');
    }
  });

  it('checks its arguments before collecting anything', () => {
    const bad = (header: unknown) => () => writeContainer(recordsOf([]), { header: header as typeof HEADER });
    expect(bad({ ...HEADER, case: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(bad({ ...HEADER, host: 'a\nb' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(bad({ ...HEADER, host: 'h'.repeat(257) })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(bad({ ...HEADER, collector: { name: 'x' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(bad({ ...HEADER, started_at: '2026-11-23 16:00' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(bad({ ...HEADER, collection_id: '../x' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      writeContainer(recordsOf([]), { header: HEADER, signingKey: 'TRIAGE-SIGNING-KEY-1NOPE' }),
    ).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }));
    expect(() => writeContainer({} as never, { header: HEADER })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('refuses a malformed trailer from finish()', async () => {
    const { stream, manifest } = writeContainer(recordsOf([]), {
      header: HEADER,
      finish: () => ({ errors: [{ collector: 'x', code: '', message: 'm' }] }),
    });
    expect(await codeOf(bytesOf(stream))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(manifest)).toBe('INVALID_ARGUMENT');
  });

  it('stops with ABORTED on its signal and closes the record source', async () => {
    const controller = new AbortController();
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) {
          if (i === 5) controller.abort();
          yield sampleRecord(i);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      } finally {
        closed = true;
      }
    }
    const { stream, manifest } = writeContainer(source(), {
      header: HEADER,
      chunkBytes: 1,
      signal: controller.signal,
    });
    expect(await codeOf(bytesOf(stream))).toBe('ABORTED');
    expect(await codeOf(manifest)).toBe('ABORTED');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(true);
  });

  it('rejects the manifest when the stream is cancelled, and closes the source', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield sampleRecord(i);
      } finally {
        closed = true;
      }
    }
    const { stream, manifest } = writeContainer(source(), { header: HEADER });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel(new Error('stop'));
    expect(await codeOf(manifest)).toBe('ABORTED');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(true);
  });

  it('passes a failure of the record source to the stream and the manifest', async () => {
    async function* source(): AsyncGenerator<ArtifactRecord> {
      yield sampleRecord(0);
      throw new Error('collector crashed');
    }
    const { stream, manifest } = writeContainer(source(), { header: HEADER });
    expect(await codeOf(bytesOf(stream))).toBe('INTERNAL');
    expect(await codeOf(manifest)).toBe('INTERNAL');
  });
});
