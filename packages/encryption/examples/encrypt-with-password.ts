// Seal bytes under a password (scrypt), for when the examiner has no key pair yet.
import { decryptBytes, encryptBytes, isTriageError } from '@triage/encryption';

const plaintext = new TextEncoder().encode('collected at 2026-11-23T16:00:00Z\n');
const envelope = await encryptBytes(plaintext, { recipients: [{ password: 'four random words example' }] });

const opened = await decryptBytes(envelope, { identities: [{ password: 'four random words example' }] });
console.log(new TextDecoder().decode(opened));

try {
  await decryptBytes(envelope, { identities: [{ password: 'a guess' }] });
} catch (error) {
  if (isTriageError(error, 'ENVELOPE_WRONG_PASSWORD')) console.log('wrong password refused');
}
