/**
 * docs/formats/collection.md: the worked example is exactly what the code
 * writes from the listed inputs and reads back; the constants and codes the
 * spec names are the code's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { fingerprint, generateSigningKeyPair } from '@triage/encryption';
import { ERROR_CODES } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import {
  COLLECTION_FORMAT,
  MANIFEST_SIGNATURE_CONTEXT,
  MAX_ERRORS,
  MAX_ERRORS_BYTES,
  MAX_LOG_BYTES,
  MAX_LOG_LINES,
} from './format.js';
import { readContainer } from './reader.js';
import { bytesOf, linesOf, recordsOf, text, utf8 } from './testing/fixtures.js';
import { writeContainer } from './writer.js';

const spec = readFileSync(new URL('../../../docs/formats/collection.md', import.meta.url), 'utf8');

function exampleFromSpec(): string {
  return spec.split('<!-- example-container')[1]?.split('```')[1]?.replace(/^\n/, '') ?? '';
}

/** A value from the spec's tables (`| name | value |`), from the last row with that name. */
function tableValue(name: string): string {
  const cells = spec
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .findLast((row) => row[0] === '' && row[1]?.replaceAll('`', '') === name);
  return cells?.[2] ?? '';
}

const RECORDS = [
  {
    kind: 'group',
    source: '/etc/group',
    collected_at: '2026-11-23T16:00:01.000Z',
    name: 'sudo',
    gid: 27,
    members: ['alice'],
  },
  {
    kind: 'ssh_authorized_key',
    source: '/root/.ssh/authorized_keys',
    collected_at: '2026-11-23T16:00:02.000Z',
    user: 'root',
    path: '/root/.ssh/authorized_keys',
    line: 1,
    key_type: 'ssh-ed25519',
    fingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
    comment: 'backup@203.0.113.9',
    options: null,
    file_mtime: '2026-11-20T03:14:15.000Z',
  },
] satisfies ArtifactRecord[];

const keys = generateSigningKeyPair((length) => Uint8Array.from({ length }, (_, i) => i));

async function writeExample(): Promise<Uint8Array> {
  const { stream } = writeContainer(recordsOf(RECORDS), {
    header: {
      case: '2026-0042',
      host: 'ws-17',
      collector: { name: 'triage-collect', version: '0.1.0' },
      started_at: '2026-11-23T16:00:00.000Z',
      collection_id: '0b6c4d52-3f0e-4a8e-9d27-5c1e8f3a7b60',
    },
    now: () => new Date('2026-11-23T16:00:03.000Z'),
    signingKey: keys.signingKey,
    finish: () => ({
      errors: [
        {
          collector: 'login_events',
          code: 'PERMISSION_DENIED',
          message: 'cannot read /var/log/btmp',
          path: '/var/log/btmp',
        },
      ],
      log: ['collecting from / (live)', 'done: 2 records, 1 error'],
    }),
  });
  return bytesOf(stream);
}

describe('spec worked example', () => {
  it('lists the keys the code derives from the listed seed', () => {
    expect(tableValue('signing key')).toContain(keys.signingKey);
    expect(tableValue('verify key')).toContain(keys.verifyKey);
    expect(fingerprint(keys.verifyKey)).toMatch(/^SHA256:/);
  });

  it('is exactly what the writer produces from the listed inputs', async () => {
    const written = text(await writeExample());
    const example = exampleFromSpec();
    expect(example.split('\n').filter(Boolean)).toHaveLength(5);
    expect(written).toBe(example);
    expect(spec).toContain(`The container (${utf8(example).length.toLocaleString('en-US')} bytes`);
  });

  it('lists the derived hashes the code computes', () => {
    const lines = linesOf(utf8(exampleFromSpec()));
    const artifact = `${lines[1]}\n${lines[2]}\n`;
    expect(tableValue('artifact_sha256')).toBe(`\`${createHash('sha256').update(artifact).digest('hex')}\``);
    expect(tableValue('manifest hash')).toBe(
      `\`${createHash('sha256')
        .update(lines[3] as string)
        .digest('hex')}\``,
    );
  });

  it('reads back as verified and signed by the listed key', async () => {
    const result = await readContainer(utf8(exampleFromSpec()), { verifyKeys: [keys.verifyKey] });
    expect(result.records).toEqual(RECORDS);
    expect(result.signature?.trusted).toBe(true);
    expect(`\`${result.manifestSha256}\``).toBe(tableValue('manifest hash'));
  });
});

describe('spec constants', () => {
  it('names the code constants', () => {
    expect(spec).toContain(`"${COLLECTION_FORMAT}"`);
    expect(spec).toContain(MANIFEST_SIGNATURE_CONTEXT);
    expect(spec).toContain(`${MAX_ERRORS.toLocaleString('en-US')} entries`);
    expect(spec).toContain(`${MAX_LOG_LINES.toLocaleString('en-US')} lines`);
    expect(MAX_ERRORS_BYTES).toBe(1_048_576);
    expect(MAX_LOG_BYTES).toBe(1_048_576);
    expect(spec).toContain('1,048,576 bytes');
  });

  it('names only registered error codes', () => {
    const named = new Set([...spec.matchAll(/`([A-Z][A-Z_]+[A-Z])`/g)].map((match) => match[1] as string));
    const codes = [...named].filter((name) => name !== 'LF' && name !== 'CR' && !name.startsWith('BROTLI_'));
    expect(codes.length).toBeGreaterThan(5);
    for (const code of codes) expect(Object.keys(ERROR_CODES), code).toContain(code);
  });
});
