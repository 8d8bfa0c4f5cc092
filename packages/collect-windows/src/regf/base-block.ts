/**
 * The base block (file header) of a hive or of a transaction log: Suhanov,
 * "Format of primary files" > "Base block"; libyal (Metz), section 2 "File
 * header". 4096 bytes in a primary file; a log keeps only its first sector
 * (512 bytes), which holds every field read here.
 */
import { baseBlockChecksum, decodeUtf16le, filetimeToDate, hasSignature, u32, u64 } from './binary.js';

/** Size of the base block in a primary file; hive-bins offsets are relative to its end. */
export const BASE_BLOCK_SIZE = 4096;

/** The fields of a base block, as stored. */
export interface HiveBaseBlock {
  /** Primary sequence number (offset 4): incremented when a write to the hive starts. */
  readonly primarySequence: number;
  /** Secondary sequence number (offset 8): incremented when that write has finished. */
  readonly secondarySequence: number;
  /** Last written timestamp (offset 12) as a Date, truncated to the millisecond. */
  readonly lastWritten: Date;
  /** The same timestamp as the raw FILETIME (100-ns intervals since 1601). */
  readonly lastWrittenFiletime: bigint;
  /** Major version (offset 20), 1. */
  readonly majorVersion: number;
  /** Minor version (offset 24): 3, 4, 5 (6 on some Windows 10 hives). Big data (db) needs more than 3. */
  readonly minorVersion: number;
  /** File type (offset 28): 0 primary file, 1 or 2 old transaction log, 6 new transaction log. */
  readonly fileType: number;
  /** File format (offset 32): 1 for "direct memory load". */
  readonly fileFormat: number;
  /** Root cell offset (offset 36), relative to the start of the hive bins data. */
  readonly rootCellOffset: number;
  /** Hive bins data size (offset 40) in bytes, a multiple of 4096. */
  readonly hiveBinsDataSize: number;
  /** Clustering factor (offset 44): sector size / 512. */
  readonly clusteringFactor: number;
  /** File name (offset 48, 64 bytes of UTF-16LE, up to the first NUL): a partial path, for debugging. */
  readonly fileName: string;
  /** Stored XOR-32 checksum of the first 508 bytes (offset 508). */
  readonly checksum: number;
  /** Whether the stored checksum matches the computed one. */
  readonly checksumValid: boolean;
  /** Flags (offset 144, Windows 10): bit 0 set while the KTM has pending transactions. */
  readonly flags: number;
}

/** Reads the base block fields from its first 512 bytes (missing bytes read as 0). */
export function parseBaseBlock(bytes: Uint8Array): HiveBaseBlock {
  const header = bytes.length >= 512 ? bytes : Uint8Array.from({ length: 512 }, (_, i) => bytes[i] ?? 0);
  const raw = u64(header, 12);
  let nameEnd = 48;
  while (nameEnd < 112 && (header[nameEnd] !== 0 || header[nameEnd + 1] !== 0)) nameEnd += 2;
  const stored = u32(header, 508);
  const computed = baseBlockChecksum(header);
  let rawXor = 0;
  for (let at = 0; at < 508; at += 4) rawXor ^= u32(header, at);
  return {
    primarySequence: u32(header, 4),
    secondarySequence: u32(header, 8),
    lastWritten: filetimeToDate(raw),
    lastWrittenFiletime: raw,
    majorVersion: u32(header, 20),
    minorVersion: u32(header, 24),
    fileType: u32(header, 28),
    fileFormat: u32(header, 32),
    rootCellOffset: u32(header, 36),
    hiveBinsDataSize: u32(header, 40),
    clusteringFactor: u32(header, 44),
    fileName: decodeUtf16le(header, 48, nameEnd),
    checksum: stored,
    checksumValid: stored === computed || stored === rawXor >>> 0,
    flags: u32(header, 144),
  };
}

/** Whether the bytes start with the `regf` signature. */
export function isRegfSignature(bytes: Uint8Array): boolean {
  return hasSignature(bytes, 0, 'regf');
}
