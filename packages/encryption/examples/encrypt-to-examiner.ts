// Seal a file to the examiner's public key; only the examiner's identity file opens it.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decryptFile,
  encryptFile,
  fingerprint,
  generateExaminerKeyPair,
  readIdentityFile,
  writeIdentityFile,
} from '@triage/encryption';

const dir = await mkdtemp(join(tmpdir(), 'triage-example-'));

// Examiner, once: make a key pair; keep the identity file (0600), hand out the recipient.
const { identity, recipient } = generateExaminerKeyPair();
await writeIdentityFile(join(dir, 'examiner.key'), identity);
console.log(`examiner key ${recipient} (${fingerprint(recipient)})`);

// Collector, on the suspect host: it holds only the recipient, which cannot decrypt.
await writeFile(join(dir, 'collection.ndjson'), '{"kind":"user_account","name":"root"}\n');
await encryptFile(join(dir, 'collection.ndjson'), join(dir, 'collection.tri'), { recipients: [recipient] });

// Examiner: decrypt with the identity file. A tampered or cut file leaves no output.
const examinerIdentity = await readIdentityFile(join(dir, 'examiner.key'));
await decryptFile(join(dir, 'collection.tri'), join(dir, 'opened.ndjson'), {
  identities: [examinerIdentity],
});
console.log(await readFile(join(dir, 'opened.ndjson'), 'utf8'));
