import { createHash } from 'node:crypto';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { fingerprint, generateSigningKeyPair, sign } from '@triage/encryption';
import { describe, expect, it } from 'vitest';
import { MANIFEST_SIGNATURE_CONTEXT } from './format.js';
import { openContainer, readContainer, verifyContainer } from './reader.js';
import {
  bytesOf,
  clock,
  codeOf,
  errorOf,
  HEADER,
  joinLines,
  linesOf,
  piecesOf,
  recordsOf,
  sampleRecord,
  sampleRecords,
  utf8,
} from './testing/fixtures.js';
import { writeContainer } from './writer.js';

const signer = generateSigningKeyPair();
const other = generateSigningKeyPair();
const RECORDS = sampleRecords(12);

async function container(
  records: readonly ArtifactRecord[] = RECORDS,
  signingKey: string | null = signer.signingKey,
): Promise<Uint8Array> {
  const { stream } = writeContainer(recordsOf(records), {
    header: { ...HEADER, collection_id: 'test-1' },
    now: clock(),
    ...(signingKey === null ? {} : { signingKey }),
    finish: () => ({ log: ['collected'], errors: [{ collector: 'wtmp', code: 'IO_ERROR', message: 'x' }] }),
  });
  return bytesOf(stream);
}

const signed = await container();
const unsigned = await container(RECORDS, null);
const signedLines = linesOf(signed); // header, 12 records, manifest, signature
const unsignedLines = linesOf(unsigned); // header, 12 records, manifest
const MANIFEST = 13;

/** Recomputes an unsigned container's manifest after its record lines were edited, as an honest writer would. */
function rewriteManifest(lines: string[]): string[] {
  const records = lines.slice(1, -1);
  const artifact = utf8(records.map((line) => `${line}\n`).join(''));
  const counts: Record<string, number> = {};
  for (const line of records) {
    const kind = String(JSON.parse(line).kind);
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  const manifest = JSON.parse(lines.at(-1) as string);
  Object.assign(manifest, {
    record_count: records.length,
    artifact_bytes: artifact.length,
    artifact_sha256: createHash('sha256').update(artifact).digest('hex'),
    counts,
  });
  return [...lines.slice(0, -1), JSON.stringify(manifest)];
}

function editManifest(
  lines: readonly string[],
  index: number,
  edit: (manifest: Record<string, unknown>) => void,
) {
  const copy = [...lines];
  const manifest = JSON.parse(copy[index] as string);
  edit(manifest);
  copy[index] = JSON.stringify(manifest);
  return copy;
}

describe('reading a container', () => {
  it('round-trips records, header and manifest', async () => {
    const result = await readContainer(unsigned);
    expect(result.records).toEqual(RECORDS);
    expect(result.header).toEqual(JSON.parse(unsignedLines[0] as string));
    expect(result.manifest).toEqual(JSON.parse(unsignedLines[MANIFEST] as string));
    expect(result.manifestSha256).toBe(
      createHash('sha256')
        .update(unsignedLines[MANIFEST] as string)
        .digest('hex'),
    );
    expect(result.signature).toBeNull();
  });

  it('gives the same result whatever the piece boundaries', async () => {
    const whole = await readContainer(signed);
    for (const size of [1, 7, 100, 4096]) {
      expect(await readContainer(piecesOf(signed, size))).toEqual(whole);
    }
  });

  it('reads an empty collection (no records) as valid', async () => {
    const result = await readContainer(await container([]), { verifyKeys: [signer.verifyKey] });
    expect(result.records).toEqual([]);
    expect(result.manifest.record_count).toBe(0);
  });

  it('verifies a signature with a trusted key', async () => {
    const result = await readContainer(signed, { verifyKeys: [other.verifyKey, signer.verifyKey] });
    expect(result.signature).toEqual({
      verifyKey: signer.verifyKey,
      fingerprint: fingerprint(signer.verifyKey),
      trusted: true,
    });
  });

  it('checks a signature against its own key when no key is trusted, and says so', async () => {
    const result = await readContainer(signed);
    expect(result.signature).toEqual({
      verifyKey: signer.verifyKey,
      fingerprint: fingerprint(signer.verifyKey),
      trusted: false,
    });
  });

  it('requires a signature when verify keys are given, unless told otherwise', async () => {
    expect(await codeOf(readContainer(unsigned, { verifyKeys: [signer.verifyKey] }))).toBe(
      'SIGNATURE_INVALID',
    );
    expect(await codeOf(readContainer(unsigned, { requireSignature: true }))).toBe('SIGNATURE_INVALID');
    const lenient = await readContainer(unsigned, {
      verifyKeys: [signer.verifyKey],
      requireSignature: false,
    });
    expect(lenient.signature).toBeNull();
  });

  it('refuses a signature by a key that is not trusted', async () => {
    const error = await errorOf(readContainer(signed, { verifyKeys: [other.verifyKey] }));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toContain(fingerprint(signer.verifyKey));
    // Even when not required, a signature present must be by a trusted key.
    expect(
      await codeOf(readContainer(signed, { verifyKeys: [other.verifyKey], requireSignature: false })),
    ).toBe('SIGNATURE_INVALID');
  });

  it('refuses a changed manifest in a signed collection: SIGNATURE_INVALID', async () => {
    const edits: ((m: Record<string, unknown>) => void)[] = [
      (m) => {
        m.record_count = 11;
      },
      (m) => {
        m.host = 'ws-18';
      },
      (m) => {
        m.errors = [];
      },
      (m) => {
        m.log = ['nothing to see'];
      },
    ];
    for (const edit of edits) {
      const tampered = joinLines(editManifest(signedLines, MANIFEST, edit));
      expect(await codeOf(readContainer(tampered))).toBe('SIGNATURE_INVALID');
      expect(await codeOf(readContainer(tampered, { verifyKeys: [signer.verifyKey] }))).toBe(
        'SIGNATURE_INVALID',
      );
    }
  });

  it('refuses an altered signature line', async () => {
    const sig = JSON.parse(signedLines[MANIFEST + 1] as string).signature;
    const swappedKey = JSON.stringify({ signature: { ...sig, verify_key: other.verifyKey } });
    const forged = JSON.stringify({
      signature: {
        ...sig,
        value: sign(utf8('something else'), signer.signingKey, MANIFEST_SIGNATURE_CONTEXT),
      },
    });
    const garbled = JSON.stringify({ signature: { ...sig, value: 'triagesig1notasignature' } });
    for (const line of [swappedKey, forged, garbled]) {
      const tampered = joinLines([...signedLines.slice(0, -1), line]);
      expect(await codeOf(readContainer(tampered))).toBe('SIGNATURE_INVALID');
    }
    const badShape = JSON.stringify({ signature: { ...sig, extra: 1 } });
    expect(await codeOf(readContainer(joinLines([...signedLines.slice(0, -1), badShape])))).toBe(
      'DATA_INVALID',
    );
    const otherAlgorithm = JSON.stringify({ signature: { ...sig, algorithm: 'rsa' } });
    expect(await codeOf(readContainer(joinLines([...signedLines.slice(0, -1), otherAlgorithm])))).toBe(
      'DATA_INVALID',
    );
  });

  it('accepts a collection re-signed by another key only when that key is not constrained, and says so', async () => {
    const manifestLine = signedLines[MANIFEST] as string;
    const resigned = JSON.stringify({
      signature: {
        algorithm: 'ed25519',
        verify_key: other.verifyKey,
        value: sign(utf8(manifestLine), other.signingKey, MANIFEST_SIGNATURE_CONTEXT),
      },
    });
    const container = joinLines([...signedLines.slice(0, -1), resigned]);
    expect((await readContainer(container)).signature?.trusted).toBe(false);
    expect(await codeOf(readContainer(container, { verifyKeys: [signer.verifyKey] }))).toBe(
      'SIGNATURE_INVALID',
    );
    // A signature for another context does not verify.
    const wrongContext = JSON.stringify({
      signature: {
        algorithm: 'ed25519',
        verify_key: signer.verifyKey,
        value: sign(utf8(manifestLine), signer.signingKey, 'manifest'),
      },
    });
    expect(await codeOf(readContainer(joinLines([...signedLines.slice(0, -1), wrongContext])))).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('detects a flipped record byte through the hash (signed or not)', async () => {
    for (const lines of [signedLines, unsignedLines]) {
      const tampered = [...lines];
      tampered[2] = (tampered[2] as string).replace('"name":"group', '"name":"grouq');
      expect(tampered[2]).not.toBe(lines[2]);
      const error = await errorOf(readContainer(joinLines(tampered)));
      expect(error.code).toBe('INTEGRITY_MISMATCH');
      expect(error.message).toContain('SHA-256');
    }
  });

  it('detects records removed, duplicated or reordered', async () => {
    const removed = [...unsignedLines.slice(0, 2), ...unsignedLines.slice(3)];
    expect(await codeOf(readContainer(joinLines(removed)))).toBe('INTEGRITY_MISMATCH');
    const duplicated = [...unsignedLines.slice(0, 3), unsignedLines[2] as string, ...unsignedLines.slice(3)];
    expect(await codeOf(readContainer(joinLines(duplicated)))).toBe('INTEGRITY_MISMATCH');
    const swapped = [...unsignedLines];
    [swapped[1], swapped[2]] = [swapped[2] as string, swapped[1] as string];
    expect(await codeOf(readContainer(joinLines(swapped)))).toBe('INTEGRITY_MISMATCH');
  });

  it('checks the manifest against the header and the records, each with INTEGRITY_MISMATCH', async () => {
    const cases: [string, (m: Record<string, unknown>) => void][] = [
      ['case', (m) => (m.case = 'other')],
      ['collector', (m) => (m.collector = { name: 'triage-collect', version: '9.9.9' })],
      ['started_at', (m) => (m.started_at = '2026-11-23T15:00:00.000Z')],
      ['collection_id', (m) => (m.collection_id = 'test-2')],
      ['record_count', (m) => (m.record_count = 13)],
      ['artifact_bytes', (m) => (m.artifact_bytes = (m.artifact_bytes as number) + 1)],
      ['counts', (m) => (m.counts = { ...(m.counts as object), group: 4, process: 2 })],
      ['artifact_sha256', (m) => (m.artifact_sha256 = '0'.repeat(64))],
    ];
    for (const [what, edit] of cases) {
      const error = await errorOf(readContainer(joinLines(editManifest(unsignedLines, MANIFEST, edit))));
      expect(error.code, what).toBe('INTEGRITY_MISMATCH');
    }
    // Header changed instead of manifest.
    const header = editManifest(unsignedLines, 0, (h) => (h.host = 'ws-99'));
    const error = await errorOf(readContainer(joinLines(header)));
    expect(error.code).toBe('INTEGRITY_MISMATCH');
    expect(error.context.member).toBe('host');
  });

  it('detects truncation at every byte: never valid without its manifest', async () => {
    const manifestEnd = utf8(signedLines.slice(0, MANIFEST + 1).join('\n')).length + 1;
    for (let length = 0; length < signed.length; length++) {
      const cut = signed.subarray(0, length);
      const code = await codeOf(readContainer(cut, { verifyKeys: [signer.verifyKey] }));
      // Cut just after the manifest, the container is complete but unsigned.
      expect(code, `cut at ${length}`).toBe(length === manifestEnd ? 'SIGNATURE_INVALID' : 'DATA_INVALID');
    }
    // Unsigned: every cut before the end is refused.
    for (let length = 0; length < unsigned.length; length++) {
      expect(await codeOf(readContainer(unsigned.subarray(0, length))), `cut at ${length}`).toBe(
        'DATA_INVALID',
      );
    }
  });

  it('names the problem of a container cut before its manifest', async () => {
    const cut = joinLines(unsignedLines.slice(0, 5));
    const error = await errorOf(readContainer(cut));
    expect(error).toMatchObject({ code: 'DATA_INVALID', context: { line: 5 } });
    expect(error.message).toContain('without its manifest');
  });

  it('refuses a record after the manifest or after the signature', async () => {
    const afterManifest = [...unsignedLines, unsignedLines[1] as string];
    const error = await errorOf(readContainer(joinLines(afterManifest)));
    expect(error).toMatchObject({ code: 'DATA_INVALID', context: { line: 15 } });
    expect(error.message).toContain('record after the manifest');
    const afterSignature = [...signedLines, signedLines[1] as string];
    expect(await codeOf(readContainer(joinLines(afterSignature)))).toBe('DATA_INVALID');
  });

  it('refuses a second header, a second manifest, and a signature before the manifest', async () => {
    const twoHeaders = [unsignedLines[0] as string, ...unsignedLines];
    const error = await errorOf(readContainer(joinLines(twoHeaders)));
    expect(error).toMatchObject({ code: 'DATA_INVALID', context: { line: 2 } });
    expect(error.message).toContain('second header');
    const twoManifests = [...unsignedLines, unsignedLines[MANIFEST] as string];
    expect(await codeOf(readContainer(joinLines(twoManifests)))).toBe('DATA_INVALID');
    const early = [...signedLines.slice(0, 2), signedLines[MANIFEST + 1] as string, ...signedLines.slice(2)];
    expect(await codeOf(readContainer(joinLines(early)))).toBe('DATA_INVALID');
  });

  it('refuses trailing data of any kind', async () => {
    for (const tail of ['x', '\n', ' ', '{}\n', 'garbage\n', '\u0000']) {
      for (const base of [signed, unsigned]) {
        const tampered = new Uint8Array(Buffer.concat([base, utf8(tail)]));
        expect(await codeOf(readContainer(tampered)), JSON.stringify(tail)).toBe('DATA_INVALID');
      }
    }
    // A complete container missing only its final newline is also refused.
    expect(await codeOf(readContainer(signed.subarray(0, signed.length - 1)))).toBe('DATA_INVALID');
  });

  it('refuses a schema-invalid record with DATA_INVALID naming its line, unless validation is off', async () => {
    const lines = [...unsignedLines];
    lines[3] = (lines[3] as string).replace('"pid":2,', '"pid":-2,');
    expect(lines[3]).not.toBe(unsignedLines[3]);
    const honest = joinLines(rewriteManifest(lines));
    const error = await errorOf(readContainer(honest));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toContain('line 4');
    expect(error.context).toMatchObject({ line: 4, kind: 'process', path: '/pid' });
    expect((await readContainer(honest, { validate: false })).records).toHaveLength(12);
  });

  it('refuses lines that are not JSON objects, naming the line', async () => {
    const cases: [string, number][] = [
      ['', 3],
      ['[1,2]', 3],
      ['{"kind":', 3],
      ['"text"', 3],
      ['{"source":"x"}', 3],
      ['{"format":"triage-collection","section":"other"}', 3],
    ];
    for (const [line, number] of cases) {
      const lines = [...unsignedLines.slice(0, 2), line, ...unsignedLines.slice(2)];
      const error = await errorOf(readContainer(joinLines(lines)));
      expect(error, line).toMatchObject({ code: 'DATA_INVALID', context: { line: number } });
    }
    const badUtf8 = new Uint8Array(Buffer.concat([utf8(`${unsignedLines[0]}\n`), Buffer.from([0xff, 0x0a])]));
    expect(await errorOf(readContainer(badUtf8))).toMatchObject({
      code: 'DATA_INVALID',
      context: { line: 2 },
    });
  });

  it('refuses what is not a triage collection at line 1', async () => {
    const cases = [
      new Uint8Array(0),
      utf8('\n'),
      new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), unsigned])), // a UTF-8 BOM
      joinLines(unsignedLines.slice(1)), // starts with a record
      joinLines([JSON.stringify({ format: 'something-else' })]),
      new Uint8Array(Buffer.from('\x89TRIENV\n\x01\x10\x00\x01', 'latin1')), // an envelope, not opened
    ];
    for (const bytes of cases) {
      const error = await errorOf(readContainer(bytes));
      expect(error.code).toBe('DATA_INVALID');
      expect(error.context.line).toBe(1);
    }
  });

  it('refuses a header that breaks its rules', async () => {
    const edits: [string, (h: Record<string, unknown>) => void][] = [
      ['unknown member', (h) => (h.extra = 1)],
      ['missing member', (h) => delete h.host],
      ['section', (h) => (h.section = 'manifest')],
      ['case', (h) => (h.case = '')],
      ['host', (h) => (h.host = 'a\tb')],
      ['collection_id', (h) => (h.collection_id = '-x')],
      ['started_at', (h) => (h.started_at = '2026-11-23')],
      ['collector', (h) => (h.collector = { name: 'x', version: '1', extra: 1 })],
      ['schema_version', (h) => (h.schema_version = 0)],
    ];
    for (const [what, edit] of edits) {
      const error = await errorOf(readContainer(joinLines(editManifest(unsignedLines, 0, edit))));
      expect(error.code, what).toBe('DATA_INVALID');
    }
  });

  it('refuses newer format and schema versions with a message to upgrade', async () => {
    for (const edit of [
      (h: Record<string, unknown>) => (h.format_version = 2),
      (h: Record<string, unknown>) => (h.schema_version = 3),
    ]) {
      const error = await errorOf(readContainer(joinLines(editManifest(unsignedLines, 0, edit))));
      expect(error.code).toBe('DATA_INVALID');
      expect(error.message).toContain('upgrade triage');
    }
  });

  it('refuses a manifest that breaks its rules', async () => {
    const edits: [string, (m: Record<string, unknown>) => void][] = [
      ['unknown member', (m) => (m.extra = 1)],
      ['missing member', (m) => delete m.log_omitted],
      ['record_count', (m) => (m.record_count = -1)],
      ['artifact_bytes', (m) => (m.artifact_bytes = 1.5)],
      ['artifact_sha256', (m) => (m.artifact_sha256 = 'ABC')],
      ['counts kind', (m) => (m.counts = { nonsense: 1 })],
      ['counts zero', (m) => (m.counts = { group: 0 })],
      ['errors', (m) => (m.errors = [{ collector: 'x', code: 'y' }])],
      ['log', (m) => (m.log = [1])],
      ['ended_at', (m) => (m.ended_at = 'later')],
    ];
    for (const [what, edit] of edits) {
      const error = await errorOf(readContainer(joinLines(editManifest(unsignedLines, MANIFEST, edit))));
      expect(error, what).toMatchObject({ code: 'DATA_INVALID', context: { line: 14 } });
    }
  });

  it('bounds line length', async () => {
    const error = await errorOf(readContainer(signed, { maxLineBytes: 200 }));
    expect(error).toMatchObject({ code: 'DATA_INVALID', context: { line: 1 } });
  });

  it('never contains the signing key', () => {
    const textual = new TextDecoder().decode(signed).toLowerCase();
    expect(textual).not.toContain(signer.signingKey.toLowerCase());
  });
});

describe('openContainer: streaming, all or nothing', () => {
  it('hands out every record, then throws before the loop can end normally', async () => {
    const tampered = [...unsignedLines];
    tampered[12] = (tampered[12] as string).replace('"user":"root"', '"user":"toor"');
    const opened = await openContainer(joinLines(tampered));
    const seen: ArtifactRecord[] = [];
    let loopEnded = false;
    const outcome = await codeOf(
      (async () => {
        for await (const record of opened.records()) seen.push(record);
        loopEnded = true;
      })(),
    );
    expect(outcome).toBe('INTEGRITY_MISMATCH');
    expect(seen).toHaveLength(12);
    expect(loopEnded).toBe(false);
    expect(await codeOf(opened.finish())).toBe('INTEGRITY_MISMATCH');
  });

  it('gives the header at once and the verified manifest after the records', async () => {
    const opened = await openContainer(piecesOf(signed, 64), { verifyKeys: [signer.verifyKey] });
    expect(opened.header.host).toBe('ws-17');
    let count = 0;
    for await (const _ of opened.records()) count++;
    expect(count).toBe(12);
    const verified = await opened.finish();
    expect(verified.manifest.record_count).toBe(12);
    expect(opened.finish()).toBe(opened.finish());
  });

  it('verifies without keeping records', async () => {
    const verified = await verifyContainer(signed, { verifyKeys: [signer.verifyKey] });
    expect(verified.header.case).toBe('2026-0042');
    expect(verified.manifest.counts).toEqual({
      group: 3,
      process: 3,
      shell_history_entry: 3,
      user_account: 3,
    });
    expect(await codeOf(verifyContainer(joinLines(unsignedLines.slice(0, 5))))).toBe('DATA_INVALID');
  });

  it('releases the source when the loop is left early; finish() then rejects with ABORTED', async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(signed.subarray(0, 2000));
      },
      cancel() {
        cancelled = true;
      },
    });
    const opened = await openContainer(source);
    for await (const _ of opened.records()) break;
    expect(cancelled).toBe(true);
    expect(await codeOf(opened.finish())).toBe('ABORTED');
  });

  it('allows records() once, and not after finish()', async () => {
    const a = await openContainer(signed);
    a.records();
    expect(() => a.records()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const b = await openContainer(signed);
    await b.finish();
    expect(() => b.records()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('stops with ABORTED on its signal', async () => {
    const controller = new AbortController();
    const opened = await openContainer(piecesOf(signed, 50), { signal: controller.signal });
    const records = opened.records();
    await records.next();
    controller.abort();
    expect(await codeOf(records.next())).toBe('ABORTED');
    const already = AbortSignal.abort();
    expect(await codeOf(openContainer(signed, { signal: already }))).toBe('ABORTED');
  });

  it('translates a failing source into IO_ERROR and passes TriageErrors through', async () => {
    async function* failing() {
      yield signed.subarray(0, 500);
      throw new Error('disk on fire');
    }
    const opened = await openContainer(failing());
    expect(await codeOf(opened.finish())).toBe('IO_ERROR');
  });

  it('checks its arguments', async () => {
    expect(await codeOf(openContainer(signed, { verifyKeys: ['triage1notakey'] }))).toBe('KEY_INVALID');
    expect(await codeOf(openContainer(signed, { verifyKeys: ['triagesign1broken'] }))).toBe('KEY_INVALID');
    expect(await codeOf(openContainer(signed, { maxLineBytes: 0 }))).toBe('INVALID_ARGUMENT');
  });

  it('reads a record of every shape the writer produces', async () => {
    const many = Array.from({ length: 200 }, (_, i) => sampleRecord(i));
    expect((await readContainer(await container(many))).records).toEqual(many);
  });
});

describe('schema versions', () => {
  const windowsRun: ArtifactRecord = {
    kind: 'execution_evidence',
    source: 'C:\\Windows\\Prefetch\\CMD.EXE-087B4001.pf',
    collected_at: '2026-11-23T16:00:01.000Z',
    artifact: 'prefetch',
    path: null,
    name: 'CMD.EXE',
    sha1: null,
    size: null,
    executed: true,
    run_count: 2,
    last_run: '2013-03-10T10:11:49.2812500Z',
    run_times: ['2013-03-10T10:11:49.2812500Z'],
    first_seen: null,
    last_modified: null,
    position: null,
    volume_serial: '24CB074B',
    publisher: null,
    product: null,
    version: null,
    registry_key: null,
  };

  async function write(records: readonly ArtifactRecord[], schemaVersion?: 1 | 2): Promise<Uint8Array> {
    const { stream } = writeContainer(recordsOf(records), {
      header: { ...HEADER, collection_id: `v-${schemaVersion ?? 'default'}` },
      now: clock(),
      ...(schemaVersion === undefined ? {} : { schemaVersion }),
    });
    return bytesOf(stream);
  }

  it('writes version 2 by default and version 1 on request; reads both', async () => {
    const v2 = await readContainer(await write([...RECORDS, windowsRun]));
    expect(v2.header.schema_version).toBe(2);
    expect(v2.manifest.counts.execution_evidence).toBe(1);
    const v1 = await readContainer(await write(RECORDS, 1));
    expect(v1.header.schema_version).toBe(1);
    expect(v1.records).toEqual(RECORDS);
  });

  it('the writer refuses a version 2 record in a version 1 collection, and an unknown version', async () => {
    const { stream } = writeContainer(recordsOf([windowsRun]), { header: HEADER, schemaVersion: 1 });
    const error = await errorOf(bytesOf(stream));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toContain('artifact schema v1');
    expect(() => writeContainer(recordsOf([]), { header: HEADER, schemaVersion: 3 as never })).toThrow(
      /schemaVersion/,
    );
  });

  it('checks each collection against its own version: a version 1 collection may not hold version 2 fields', async () => {
    // Written unvalidated as version 1, as an old or hostile writer could.
    const { stream } = writeContainer(recordsOf([windowsRun]), {
      header: HEADER,
      schemaVersion: 1,
      validate: false,
    });
    const bytes = await bytesOf(stream);
    const error = await errorOf(readContainer(bytes));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toContain('line 2');
    expect(error.message).toContain('schema v1');
    // Without record checks it reads (the manifest's kinds are not checked either).
    expect((await readContainer(bytes, { validate: false })).records).toHaveLength(1);
  });
});
