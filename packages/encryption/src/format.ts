/**
 * The envelope header, version 1: constants, encoding, parsing and the key
 * schedule. The byte layout is specified in docs/formats/envelope.md; this
 * file follows it field by field.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { TriageError } from '@triage/errors';

/** `\x89TRIENV\n`: a non-ASCII first byte and a newline catch text-mode mangling, as in PNG. */
export const MAGIC = Uint8Array.from([0x89, 0x54, 0x52, 0x49, 0x45, 0x4e, 0x56, 0x0a]);
/** The one format version this code reads and writes. */
export const VERSION = 1;
/** Smallest and largest chunk sizes, as powers of two: 64 B (test vectors) to 16 MiB. */
export const MIN_CHUNK_LOG2 = 6;
export const MAX_CHUNK_LOG2 = 24;
/** Default chunk size: 64 KiB. */
export const DEFAULT_CHUNK_LOG2 = 16;
/** Most stanzas one header may hold. */
export const MAX_STANZAS = 16;
/** AES-256-GCM tag length. */
export const TAG_LENGTH = 16;
/** Header MAC length (HMAC-SHA-256). */
export const MAC_LENGTH = 32;
/** Fixed header prefix: magic, version, chunk_log2, flags, stanza_count. */
export const PREFIX_LENGTH = 12;

/** Stanza type bytes. */
export const STANZA_X25519 = 0x01;
export const STANZA_SCRYPT = 0x02;
/** Exact body lengths of the known stanza types. */
export const X25519_BODY_LENGTH = 32 + 24 + 48;
export const SCRYPT_BODY_LENGTH = 16 + 3 + 24 + 48;

const LABEL_HEADER = 'triage-envelope/v1/header';
const LABEL_PAYLOAD = 'triage-envelope/v1/payload';

/** One recipient stanza: its type byte and body. */
export interface Stanza {
  readonly type: number;
  readonly body: Uint8Array;
}

/** A parsed header. */
export interface Header {
  readonly chunkLog2: number;
  readonly stanzas: readonly Stanza[];
  /** Every header byte before the MAC: what the MAC covers. */
  readonly authenticated: Uint8Array;
  readonly mac: Uint8Array;
  /** Total header length including the MAC. */
  readonly length: number;
}

function bad(message: string): TriageError {
  return new TriageError('ENVELOPE_BAD_HEADER', message);
}

/** HKDF-SHA-256 with the envelope's labels. */
function hkdf(ikm: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** `HKDF(file_key, salt = "", info = "triage-envelope/v1/header")`. */
export function headerMacKey(fileKey: Uint8Array): Buffer {
  return hkdf(fileKey, new Uint8Array(0), LABEL_HEADER);
}

/** `HKDF(file_key, salt = header_mac, info = "triage-envelope/v1/payload")`: binds the payload to this exact header. */
export function payloadKey(fileKey: Uint8Array, mac: Uint8Array): Buffer {
  return hkdf(fileKey, mac, LABEL_PAYLOAD);
}

/** HMAC-SHA-256 of the authenticated header bytes under the header MAC key. */
export function computeMac(fileKey: Uint8Array, authenticated: Uint8Array): Buffer {
  return createHmac('sha256', headerMacKey(fileKey)).update(authenticated).digest();
}

/** Constant-time check of a header's MAC. */
export function macMatches(fileKey: Uint8Array, header: Header): boolean {
  return timingSafeEqual(computeMac(fileKey, header.authenticated), header.mac);
}

/**
 * Encodes a header: the authenticated part, then its MAC under `fileKey`.
 */
export function encodeHeader(chunkLog2: number, stanzas: readonly Stanza[], fileKey: Uint8Array): Uint8Array {
  const size = PREFIX_LENGTH + stanzas.reduce((n, s) => n + 3 + s.body.length, 0);
  const out = Buffer.alloc(size + MAC_LENGTH);
  out.set(MAGIC, 0);
  out[8] = VERSION;
  out[9] = chunkLog2;
  out[10] = 0; // flags, reserved
  out[11] = stanzas.length;
  let offset = PREFIX_LENGTH;
  for (const stanza of stanzas) {
    out[offset] = stanza.type;
    out.writeUInt16BE(stanza.body.length, offset + 1);
    out.set(stanza.body, offset + 3);
    offset += 3 + stanza.body.length;
  }
  out.set(computeMac(fileKey, out.subarray(0, size)), size);
  return out;
}

/** What {@link parseHeader} returns when more bytes are needed. */
export const NEED_MORE = Symbol('need-more');

function expectedBodyLength(type: number): number {
  if (type === STANZA_X25519) return X25519_BODY_LENGTH;
  if (type === STANZA_SCRYPT) return SCRYPT_BODY_LENGTH;
  throw bad(
    `Unknown recipient stanza type 0x${type.toString(16).padStart(2, '0')}; the file is damaged or not a v1 envelope.`,
  );
}

/**
 * Parses a header from the start of `bytes`. Returns {@link NEED_MORE} when
 * `bytes` ends inside the header; the caller decides whether that is a
 * truncation (end of input) or a reason to wait.
 *
 * @throws ENVELOPE_BAD_HEADER for a wrong magic, out-of-range chunk size or stanza count,
 *   an unknown stanza type, a stanza of the wrong length, or a password stanza beside others
 * @throws ENVELOPE_UNSUPPORTED_VERSION for another version or non-zero flags
 */
export function parseHeader(bytes: Uint8Array): Header | typeof NEED_MORE {
  const magicSeen = Math.min(bytes.length, MAGIC.length);
  for (let i = 0; i < magicSeen; i++) {
    if (bytes[i] !== MAGIC[i])
      throw bad('Not a triage envelope (wrong magic bytes); check that this is the right file.');
  }
  if (bytes.length < PREFIX_LENGTH) return NEED_MORE;
  const version = bytes[8] as number;
  if (version !== VERSION) {
    throw new TriageError(
      'ENVELOPE_UNSUPPORTED_VERSION',
      `Envelope format version ${version} is not supported (this triage reads version ${VERSION}); upgrade triage.`,
      { context: { version } },
    );
  }
  const chunkLog2 = bytes[9] as number;
  if (chunkLog2 < MIN_CHUNK_LOG2 || chunkLog2 > MAX_CHUNK_LOG2) {
    throw bad(
      `Chunk size 2^${chunkLog2} is outside 2^${MIN_CHUNK_LOG2}..2^${MAX_CHUNK_LOG2}; the header is damaged.`,
    );
  }
  const flags = bytes[10] as number;
  if (flags !== 0) {
    throw new TriageError(
      'ENVELOPE_UNSUPPORTED_VERSION',
      `Envelope uses feature flags 0x${flags.toString(16)} that this triage does not know; upgrade triage.`,
      { context: { flags } },
    );
  }
  const count = bytes[11] as number;
  if (count < 1 || count > MAX_STANZAS) {
    throw bad(`Envelope declares ${count} recipient stanzas; 1..${MAX_STANZAS} are allowed.`);
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stanzas: Stanza[] = [];
  let offset = PREFIX_LENGTH;
  for (let i = 0; i < count; i++) {
    if (bytes.length < offset + 3) return NEED_MORE;
    const type = bytes[offset] as number;
    const length = view.readUInt16BE(offset + 1);
    const expected = expectedBodyLength(type);
    if (length !== expected) {
      throw bad(`Recipient stanza ${i} has length ${length}, expected ${expected}; the header is damaged.`);
    }
    if (bytes.length < offset + 3 + length) return NEED_MORE;
    stanzas.push({ type, body: bytes.slice(offset + 3, offset + 3 + length) });
    offset += 3 + length;
  }
  if (stanzas.some((s) => s.type === STANZA_SCRYPT) && stanzas.length > 1) {
    throw bad('A password stanza must be the only recipient stanza; the header is damaged or forged.');
  }
  if (bytes.length < offset + MAC_LENGTH) return NEED_MORE;
  return {
    chunkLog2,
    stanzas,
    authenticated: bytes.slice(0, offset),
    mac: bytes.slice(offset, offset + MAC_LENGTH),
    length: offset + MAC_LENGTH,
  };
}

/** Largest possible header: prefix, 16 stanzas of the longest known body, MAC. */
export const MAX_HEADER_LENGTH = PREFIX_LENGTH + MAX_STANZAS * (3 + X25519_BODY_LENGTH) + MAC_LENGTH;

/**
 * The 12-byte AES-GCM nonce of chunk `index`: an 11-byte big-endian counter
 * and a final-chunk flag byte (0x01 on the final chunk, else 0x00).
 */
export function chunkNonce(index: number, last: boolean, out: Buffer = Buffer.alloc(12)): Buffer {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('chunk index out of range');
  out.fill(0, 0, 3);
  out.writeUIntBE(Math.floor(index / 2 ** 48), 3, 2);
  out.writeUIntBE(index % 2 ** 48, 5, 6);
  out[11] = last ? 1 : 0;
  return out;
}
