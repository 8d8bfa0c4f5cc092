/**
 * The streaming envelope: `encrypt()` and `decrypt()` are
 * `TransformStream<Uint8Array, Uint8Array>`s that hold at most one chunk
 * (plus one input piece) in memory, whatever the size of the data.
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes as nodeRandomBytes,
} from 'node:crypto';
import { TriageError } from '@triage/errors';
import nacl from 'tweetnacl';
import { ByteQueue } from './byte-queue.js';
import {
  chunkNonce,
  DEFAULT_CHUNK_LOG2,
  encodeHeader,
  type Header,
  MAX_CHUNK_LOG2,
  MAX_HEADER_LENGTH,
  MIN_CHUNK_LOG2,
  macMatches,
  NEED_MORE,
  parseHeader,
  payloadKey,
  STANZA_SCRYPT,
  STANZA_X25519,
  type Stanza,
  TAG_LENGTH,
} from './format.js';
import { decodeKey } from './keys.js';
import {
  DEFAULT_SCRYPT,
  type RandomBytes,
  type ScryptParams,
  scryptParamsWithinBounds,
  unwrapScrypt,
  unwrapX25519,
  wrapScrypt,
  wrapX25519,
} from './stanzas.js';

/** Someone who may decrypt: an examiner public key (`triage1…`) or a password. */
export type Recipient = string | PasswordRecipient;

/** A password recipient. */
export interface PasswordRecipient {
  /** The password; NFC-normalised before use. Never logged. */
  readonly password: string;
  /** scrypt cost; default {@link DEFAULT_SCRYPT} (N = 2^18, r = 8, p = 1). */
  readonly scrypt?: ScryptParams;
}

/** Something that can decrypt: an examiner secret key (`TRIAGE-SECRET-KEY-1…`) or a password. */
export type Identity = string | { readonly password: string };

/** Options for {@link encrypt}. */
export interface EncryptOptions {
  /**
   * Who may decrypt: one or more examiner public keys, or exactly one password
   * (a password cannot be combined with other recipients).
   */
  readonly recipients: readonly Recipient[];
  /** Plaintext bytes per chunk, a power of two from 64 B to 16 MiB; default 65,536. */
  readonly chunkSize?: number;
  /** Source of randomness; default node:crypto `randomBytes`. Only test vectors replace it. */
  readonly randomBytes?: RandomBytes;
}

/** Options for {@link decrypt}. */
export interface DecryptOptions {
  /** Keys and passwords to try, in order. */
  readonly identities: readonly Identity[];
}

interface PreparedRecipients {
  readonly keys: Uint8Array[];
  readonly password?: PasswordRecipient;
}

function invalid(message: string): TriageError {
  return new TriageError('INVALID_ARGUMENT', message);
}

function prepareRecipients(recipients: readonly Recipient[]): PreparedRecipients {
  if (recipients.length === 0)
    throw invalid('encrypt() needs at least one recipient (a triage1… key or a password).');
  if (recipients.length > 16) throw invalid('encrypt() accepts at most 16 recipients.');
  const keys: Uint8Array[] = [];
  let password: PasswordRecipient | undefined;
  for (const recipient of recipients) {
    if (typeof recipient === 'string') {
      keys.push(decodeKey('recipient', recipient));
    } else {
      if (typeof recipient.password !== 'string' || recipient.password.length === 0) {
        throw invalid('A password recipient needs a non-empty password.');
      }
      if (recipient.scrypt && !scryptParamsWithinBounds(recipient.scrypt)) {
        throw invalid('scrypt cost out of bounds: logN 10..22, r 1..32, p 1..16, at most 256 MiB.');
      }
      password = recipient;
    }
  }
  if (password && recipients.length > 1) {
    throw invalid(
      'A password must be the only recipient: anyone can encrypt to a public key, so mixing them would let a file look password-protected when it is not.',
    );
  }
  return password ? { keys, password } : { keys };
}

function chunkLog2Of(chunkSize: number | undefined): number {
  if (chunkSize === undefined) return DEFAULT_CHUNK_LOG2;
  const log2 = Math.log2(chunkSize);
  if (!Number.isInteger(log2) || log2 < MIN_CHUNK_LOG2 || log2 > MAX_CHUNK_LOG2) {
    throw invalid(
      `chunkSize must be a power of two from ${2 ** MIN_CHUNK_LOG2} to ${2 ** MAX_CHUNK_LOG2} bytes.`,
    );
  }
  return log2;
}

/** Seals plaintext chunk by chunk; holds back one full chunk until it knows whether more follows. */
class Sealer {
  private index = 0;
  private readonly nonce = Buffer.alloc(12);
  private buffer: Buffer;
  private filled = 0;
  private held: Uint8Array | undefined;

  constructor(
    private readonly key: KeyObject,
    private readonly chunkSize: number,
    private readonly emit: (bytes: Uint8Array) => void,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkSize);
  }

  push(input: Uint8Array): void {
    const size = this.chunkSize;
    let offset = 0;
    while (offset < input.length) {
      if (this.held) {
        this.seal(this.held, false); // more data arrived, so the held chunk was not the last
        this.held = undefined;
      }
      if (this.filled === 0 && input.length - offset >= size) {
        this.held = input.subarray(offset, offset + size); // whole chunk straight from the input, no copy
        offset += size;
        continue;
      }
      const count = Math.min(size - this.filled, input.length - offset);
      this.buffer.set(input.subarray(offset, offset + count), this.filled);
      this.filled += count;
      offset += count;
      if (this.filled === size) {
        this.held = this.buffer;
        this.buffer = Buffer.allocUnsafe(size);
        this.filled = 0;
      }
    }
  }

  finish(): void {
    // The held chunk (if any) is the last; otherwise the partial buffer, empty only for empty input.
    this.seal(this.held ?? this.buffer.subarray(0, this.filled), true);
    this.held = undefined;
  }

  private seal(plaintext: Uint8Array, last: boolean): void {
    const cipher = createCipheriv('aes-256-gcm', this.key, chunkNonce(this.index++, last, this.nonce));
    const sealed = cipher.update(plaintext);
    cipher.final();
    if (sealed.length > 0) this.emit(sealed);
    this.emit(cipher.getAuthTag());
  }
}

/**
 * A `TransformStream` that encrypts plaintext into an envelope
 * (docs/formats/envelope.md): a fresh 256-bit file key, wrapped for each
 * recipient; a header MAC; and AES-256-GCM chunks whose nonces count and mark
 * the final chunk, so truncation, reordering, duplication and splicing are
 * all detected on decryption. Memory: one chunk plus one input piece.
 *
 * Input pieces are read in place: do not modify a piece after writing it.
 *
 * @example
 * ```ts
 * await file.readable.pipeThrough(encrypt({ recipients: ['triage1…'] })).pipeTo(sink);
 * ```
 * @throws INVALID_ARGUMENT (synchronously) for no recipients, a password mixed with keys,
 *   an empty password, an out-of-bounds scrypt cost or a bad chunk size
 * @throws KEY_INVALID (synchronously) for a malformed recipient key
 */
export function encrypt(options: EncryptOptions): TransformStream<Uint8Array, Uint8Array> {
  const prepared = prepareRecipients(options.recipients);
  const chunkLog2 = chunkLog2Of(options.chunkSize);
  const random = options.randomBytes ?? nodeRandomBytes;
  let sealer: Sealer | undefined;
  return new TransformStream<Uint8Array, Uint8Array>({
    async start(controller) {
      const fileKey = random(32);
      const stanzas: Stanza[] = [];
      if (prepared.password) {
        stanzas.push(
          await wrapScrypt(
            fileKey,
            prepared.password.password,
            prepared.password.scrypt ?? DEFAULT_SCRYPT,
            random,
          ),
        );
      } else {
        const ephemeral = nacl.box.keyPair.fromSecretKey(random(32));
        for (const key of prepared.keys) stanzas.push(wrapX25519(fileKey, key, ephemeral, random));
      }
      const header = encodeHeader(chunkLog2, stanzas, fileKey);
      controller.enqueue(header);
      const mac = header.subarray(header.length - 32);
      sealer = new Sealer(createSecretKey(payloadKey(fileKey, mac)), 2 ** chunkLog2, (bytes) =>
        controller.enqueue(bytes),
      );
    },
    transform(chunk) {
      (sealer as Sealer).push(chunk);
    },
    flush() {
      (sealer as Sealer).finish();
    },
  });
}

function tampered(message: string, context: Record<string, number> = {}): TriageError {
  return new TriageError('ENVELOPE_TAMPERED', message, { context });
}

function truncated(message: string, context: Record<string, number> = {}): TriageError {
  return new TriageError('ENVELOPE_TRUNCATED', message, { context });
}

async function openFileKey(header: Header, identities: readonly Identity[]): Promise<Uint8Array> {
  const passwordStanza = header.stanzas.find((s) => s.type === STANZA_SCRYPT);
  const passwords = identities.filter((i): i is { password: string } => typeof i !== 'string');
  const keys = identities
    .filter((i): i is string => typeof i === 'string')
    .map((i) => decodeKey('identity', i));
  if (passwordStanza) {
    for (const { password } of passwords) {
      const fileKey = await unwrapScrypt(passwordStanza, password);
      if (fileKey) return fileKey;
    }
    if (passwords.length > 0) {
      throw new TriageError(
        'ENVELOPE_WRONG_PASSWORD',
        'Wrong password for this envelope (or its password stanza was altered).',
      );
    }
    throw new TriageError(
      'ENVELOPE_NO_MATCHING_IDENTITY',
      'This envelope is protected by a password, and no password was given.',
    );
  }
  for (const stanza of header.stanzas) {
    if (stanza.type !== STANZA_X25519) continue;
    for (const key of keys) {
      const fileKey = unwrapX25519(stanza, key);
      if (fileKey) return fileKey;
    }
  }
  throw new TriageError(
    'ENVELOPE_NO_MATCHING_IDENTITY',
    `None of the ${keys.length} examiner key(s) given can open this envelope: it was encrypted to other keys${passwords.length > 0 ? ' (and it has no password stanza)' : ''}.`,
    { context: { stanzas: header.stanzas.length, identities: identities.length } },
  );
}

/** Opens chunks with one chunk of look-ahead, to know which one is final. */
class Opener {
  private index = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly sealedSize: number;

  constructor(
    private readonly key: KeyObject,
    chunkLog2: number,
    private readonly emit: (bytes: Uint8Array) => void,
  ) {
    this.sealedSize = 2 ** chunkLog2 + TAG_LENGTH;
  }

  /** Opens every chunk that is certainly not the final one. */
  drain(queue: ByteQueue): void {
    while (queue.length > this.sealedSize) {
      // Ciphertext and tag are read separately: when they arrive as separate pieces (as
      // encrypt() emits them), both are views and nothing is copied.
      const ciphertext = queue.take(this.sealedSize - TAG_LENGTH);
      const plaintext = this.open(ciphertext, queue.take(TAG_LENGTH), false);
      if (!plaintext) {
        throw tampered(
          `Chunk ${this.index} failed authentication: the envelope was modified, reordered or spliced.`,
          {
            chunk: this.index,
          },
        );
      }
      this.index++;
      this.emit(plaintext);
    }
  }

  /** At end of input: what is left is the final chunk. */
  finish(queue: ByteQueue): void {
    const rest = queue.length;
    const chunk = this.index;
    if (rest < TAG_LENGTH) {
      throw truncated(
        chunk === 0 && rest === 0
          ? 'The envelope has a header but no data: it was cut off after the header.'
          : `The envelope ends inside chunk ${chunk}: it was cut off.`,
        { chunk },
      );
    }
    const ciphertext = queue.take(rest - TAG_LENGTH);
    const tag = queue.take(TAG_LENGTH);
    const plaintext = this.open(ciphertext, tag, true);
    if (plaintext) {
      if (plaintext.length === 0 && chunk > 0) {
        throw tampered(
          'The final chunk is empty, which no valid writer produces: the envelope was altered.',
          { chunk },
        );
      }
      this.emit(plaintext);
      return;
    }
    // A full chunk that opens as non-final means the real final chunk(s) are missing.
    if (rest === this.sealedSize && this.open(ciphertext, tag, false)) {
      throw truncated(`The envelope ends after chunk ${chunk}, before its final chunk: it was cut off.`, {
        chunk,
      });
    }
    throw tampered(
      `The final chunk (${chunk}) failed authentication: the envelope was modified or cut off mid-chunk.`,
      { chunk },
    );
  }

  private open(ciphertext: Uint8Array, tag: Uint8Array, last: boolean): Buffer | undefined {
    const decipher = createDecipheriv('aes-256-gcm', this.key, chunkNonce(this.index, last, this.nonce));
    decipher.setAuthTag(tag);
    const plaintext = decipher.update(ciphertext);
    try {
      decipher.final();
    } catch {
      return undefined;
    }
    return plaintext;
  }
}

/**
 * A `TransformStream` that decrypts an envelope. It emits a chunk's plaintext
 * only after that chunk authenticates; the stream errors (and nothing more is
 * emitted) at the first failure. A consumer that must not keep partial output
 * on failure writes to a temporary file and renames at the end, as
 * `decryptFile` does. Memory: one chunk plus one input piece.
 *
 * @throws (as the stream's error) ENVELOPE_BAD_HEADER, ENVELOPE_UNSUPPORTED_VERSION,
 *   ENVELOPE_NO_MATCHING_IDENTITY, ENVELOPE_WRONG_PASSWORD, ENVELOPE_TAMPERED, ENVELOPE_TRUNCATED
 * @throws INVALID_ARGUMENT (synchronously) for no identities
 * @throws KEY_INVALID for a malformed identity key
 */
export function decrypt(options: DecryptOptions): TransformStream<Uint8Array, Uint8Array> {
  if (options.identities.length === 0)
    throw invalid('decrypt() needs at least one identity (a secret key or a password).');
  for (const identity of options.identities)
    if (typeof identity === 'string') decodeKey('identity', identity);
  const queue = new ByteQueue();
  let opener: Opener | undefined;

  const readHeader = async (emit: (bytes: Uint8Array) => void, ended: boolean): Promise<void> => {
    const header = parseHeader(queue.peek(Math.min(queue.length, MAX_HEADER_LENGTH)));
    if (header === NEED_MORE) {
      if (ended) throw truncated('The envelope ends inside its header: it was cut off.');
      return;
    }
    const fileKey = await openFileKey(header, options.identities);
    if (!macMatches(fileKey, header)) {
      throw tampered('The envelope header failed authentication: it was modified.');
    }
    queue.take(header.length);
    opener = new Opener(createSecretKey(payloadKey(fileKey, header.mac)), header.chunkLog2, emit);
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      queue.push(chunk);
      const emit = (bytes: Uint8Array) => controller.enqueue(bytes);
      if (!opener) await readHeader(emit, false);
      opener?.drain(queue);
    },
    async flush(controller) {
      const emit = (bytes: Uint8Array) => controller.enqueue(bytes);
      if (!opener) {
        if (queue.length === 0) throw truncated('The input is empty: no envelope to decrypt.');
        await readHeader(emit, true);
      }
      (opener as Opener).drain(queue);
      (opener as Opener).finish(queue);
    },
  });
}
