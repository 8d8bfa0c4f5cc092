/**
 * `@triage/encryption`: the streaming envelope (docs/formats/envelope.md),
 * examiner and signing keys, identity files and Ed25519 signatures.
 *
 * @packageDocumentation
 */
export { isTriageError, TriageError, type TriageErrorCode } from '@triage/errors';
export { DEFAULT_CHUNK_LOG2, MAGIC, MAX_CHUNK_LOG2, MIN_CHUNK_LOG2, VERSION } from './format.js';
export {
  formatIdentity,
  parseIdentityText,
  type ReadIdentityOptions,
  readIdentityFile,
  type WriteIdentityOptions,
  writeIdentityFile,
} from './identity-file.js';
export {
  type ByteSource,
  decryptBytes,
  decryptFile,
  encryptBytes,
  encryptFile,
  type FileOptions,
  toReadableStream,
} from './io.js';
export {
  type ExaminerKeyPair,
  fingerprint,
  generateExaminerKeyPair,
  generateSigningKeyPair,
  recipientOf,
  type SigningKeyPair,
  verifyKeyOf,
} from './keys.js';
export { assertSignature, sign, verify } from './signatures.js';
export {
  DEFAULT_SCRYPT,
  MAX_SCRYPT_MEMORY,
  type RandomBytes,
  type ScryptParams,
  scryptParamsWithinBounds,
} from './stanzas.js';
export {
  type DecryptOptions,
  decrypt,
  type EncryptOptions,
  encrypt,
  type Identity,
  type PasswordRecipient,
  type Recipient,
} from './stream.js';
