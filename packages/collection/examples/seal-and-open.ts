// Collector: seal records for the examiner. Examiner: open, verify, import all or nothing.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { openCollection, readCollection, sealCollection } from '@triage/collection';
import { generateExaminerKeyPair, generateSigningKeyPair } from '@triage/encryption';
import { isTriageError } from '@triage/errors';

const dir = await mkdtemp(join(tmpdir(), 'triage-collection-'));
const file = join(dir, 'ws-17.tri');
const examiner = generateExaminerKeyPair(); // the examiner keeps the identity
const signing = generateSigningKeyPair(); // the collector bundle carries the signing key

// Collector, on the suspect host: records stream in, the sealed file streams out.
async function* collect(): AsyncGenerator<ArtifactRecord> {
  const collected_at = new Date().toISOString();
  yield { kind: 'group', source: '/etc/group', collected_at, name: 'sudo', gid: 27, members: ['alice'] };
  yield { kind: 'group', source: '/etc/group', collected_at, name: 'docker', gid: 998, members: [] };
}
const { stream, manifest } = sealCollection(collect(), {
  header: { case: '2026-0042', host: 'ws-17', collector: { name: 'triage-collect', version: '0.1.0' } },
  recipients: [examiner.recipient],
  signingKey: signing.signingKey,
  finish: () => ({
    errors: [
      { collector: 'login_events', code: 'PERMISSION_DENIED', message: 'cannot read', path: '/var/log/btmp' },
    ],
    log: ['collected 2 groups'],
  }),
});
await stream.pipeTo(Writable.toWeb(createWriteStream(file)));
console.log(`manifest hash ${(await manifest).manifestSha256}`);

// Examiner: records stream out; if anything was altered, the loop throws instead of ending.
const collection = await openCollection(Readable.toWeb(createReadStream(file)), {
  identities: [examiner.identity],
  verifyKeys: [signing.verifyKey],
});
const imported: ArtifactRecord[] = []; // stands for one database transaction
for await (const record of collection.records()) imported.push(record);
const { manifest: verified, signature } = await collection.finish();
console.log(`case ${collection.header.case}, host ${collection.header.host}: ${imported.length} records`);
console.log(`${verified.errors.length} collector error(s); signed by ${signature?.fingerprint}`);

// One flipped bit anywhere, and nothing is imported.
const tampered = await readFile(file);
const at = tampered.length - 40;
tampered[at] = (tampered[at] ?? 0) ^ 0x01;
try {
  await readCollection(tampered, { identities: [examiner.identity], verifyKeys: [signing.verifyKey] });
} catch (error) {
  if (isTriageError(error)) console.log(`tampered copy refused: ${error.code}`);
}
