/**
 * Windows XML Event Log (EVTX) reader: file header, chunks, event records,
 * each record's BinXml rendered to JSON (and XML on request).
 *
 * Specification: libyal "Windows XML Event Log (EVTX) format" (J. Metz),
 * sections "File header", "Chunk", "Chunk header", "Event record",
 * "Recovery" and "Corruption scenarios"; MS-EVEN6 2.2.12 and 3.1.4.7 for
 * BinXml (see binxml.ts and render.ts).
 *
 * Memory: one chunk (64 KiB) is read at a time, with the template cache and
 * name cache of that chunk; records are yielded as plain objects that do not
 * keep the chunk alive.
 */
import { crc32 } from 'node:zlib';
import { TriageError } from '@triage/errors';
import type { ByteSource } from '../source.js';
import { BinXmlError, type BxTop, ChunkContext, parseFragment } from './binxml.js';
import { Resolver, toJson, toXml } from './render.js';
import {
  decodeValue,
  type EvtxJsonObject,
  type EvtxJsonValue,
  formatFiletime,
  ValueDecodeError,
} from './values.js';

export type { EvtxJsonObject, EvtxJsonValue } from './values.js';

/** Size of the file header block before the first chunk (libyal "File header"). */
const EVTX_HEADER_BLOCK = 4096;
/** Size of a chunk (libyal "Chunk"). */
const EVTX_CHUNK_SIZE = 65536;
/** Size of a chunk header; event records start right after it. */
const CHUNK_HEADER = 512;
/** Fixed part of an event record before its BinXml: signature, size, id, written time. */
const RECORD_HEADER = 24;
const FILE_SIGNATURE = 'ElfFile\0';
const CHUNK_SIGNATURE = 'ElfChnk\0';
const RECORD_SIGNATURE = 0x00002a2a;

/** The result of checking one stored CRC-32 (RFC 1952, initial value 0). */
export interface EvtxChecksum {
  /** The value stored in the file. */
  readonly stored: number;
  /** The CRC-32 of the covered bytes, or `null` when they are not all present. */
  readonly computed: number | null;
  /**
   * `valid`; `mismatch`; `missing` (stored as 0 while the computed CRC is
   * not: no checksum was written); `unverifiable` (the
   * covered bytes are cut off, or the free-space offset that bounds them is out of range).
   */
  readonly status: 'valid' | 'mismatch' | 'missing' | 'unverifiable';
}

/** The file header (libyal "File header"; the first 128 of its 4096 bytes). */
export interface EvtxFileHeader {
  readonly firstChunkNumber: number;
  readonly lastChunkNumber: number;
  readonly nextRecordId: number;
  /** Normally 128. */
  readonly headerSize: number;
  readonly majorVersion: number;
  /** 1 on Windows Vista and later, 2 on Windows 10 2004 and later (libyal "Format versions"). */
  readonly minorVersion: number;
  /** Offset of the first chunk, normally 4096. */
  readonly headerBlockSize: number;
  /** Number of chunks the header claims. */
  readonly chunkCount: number;
  /** Raw file flags. */
  readonly flags: number;
  /** Flag 0x1: the log was not closed cleanly (header counts may be stale). */
  readonly dirty: boolean;
  /** Flag 0x2: the log is full. */
  readonly full: boolean;
  /** CRC-32 of the first 120 bytes, stored at offset 124. */
  readonly checksum: EvtxChecksum;
}

/** A chunk header (libyal "Chunk header"). */
export interface EvtxChunkHeader {
  /** Position of the chunk in the file, from 0. */
  readonly index: number;
  /** File offset of the chunk. */
  readonly offset: number;
  /** Bytes of the chunk present in the file: 65536, fewer when the file is truncated. */
  readonly size: number;
  readonly firstRecordNumber: number;
  readonly lastRecordNumber: number;
  readonly firstRecordId: number;
  readonly lastRecordId: number;
  /** Normally 128. */
  readonly headerSize: number;
  /** Chunk-relative offset of the last event record. */
  readonly lastRecordOffset: number;
  /** Chunk-relative offset of the free space after the records. */
  readonly freeSpaceOffset: number;
  /** The 4 bytes at offset 120 (flags, meaning unknown). */
  readonly flags: number;
  /** CRC-32 of bytes 0–120 and 128–512, stored at offset 124. */
  readonly headerChecksum: EvtxChecksum;
  /** CRC-32 of the event records data (512 to the free-space offset), stored at offset 52. */
  readonly recordsChecksum: EvtxChecksum;
}

/** What kind of damage a diagnostic reports. */
export type EvtxDiagnosticKind =
  /** The file header's CRC-32 is wrong or missing; its fields are reported as read. */
  | 'file-header-checksum'
  /** A file header field is out of range (block size, version); a default was used. */
  | 'file-header'
  /** The file holds fewer chunks than its header claims, or its last chunk is cut short. */
  | 'file-truncated'
  /** A 64 KiB block that is neither a chunk nor empty; skipped. */
  | 'chunk-signature'
  /** A chunk header's CRC-32 is wrong or missing; its records are still read and flagged. */
  | 'chunk-header-checksum'
  /** The records data CRC-32 is wrong, missing or unverifiable; the records are still read and flagged. */
  | 'chunk-records-checksum'
  /** Bytes where a record should start are not a record signature; the parser scans for the next one. */
  | 'record-signature'
  /** A record's size is impossible or differs from its copy at the end; the parser scans for the next record. */
  | 'record-size'
  /** A record id beyond 2^53 (a record id is a sequence number from 1): the record is skipped. */
  | 'record-id'
  /** The record's BinXml (or a template it uses) is malformed: the record is skipped. */
  | 'binxml'
  /** A value did not fit its type and is shown as hex, or a substitution had no value: the record is kept. */
  | 'value';

/** One problem found in the file; parsing went on past it. */
export interface EvtxDiagnostic {
  /** Chunk index, or `null` for the file header. */
  readonly chunk: number | null;
  /** File offset of the damaged structure. */
  readonly offset: number;
  /** The record concerned, when known. */
  readonly recordId?: number;
  readonly kind: EvtxDiagnosticKind;
  /** What is wrong, in words. */
  readonly reason: string;
}

/** Why a yielded record deserves less trust than a fully verified one. */
export type EvtxRecordWarning =
  /** Its chunk header CRC-32 did not verify (wrong, missing or unverifiable). */
  | 'chunk-header-checksum'
  /** Its chunk's records CRC-32 did not verify: some record in the chunk may be altered. */
  | 'chunk-records-checksum'
  /** Found by scanning after a damaged record, not by following record sizes. */
  | 'found-by-scan'
  /** A value did not decode (shown as hex) or a substitution had no value. */
  | 'value';

/**
 * The JSON rendering of an event. For the usual `<Event>` root:
 * `System` (`Provider: { Name, Guid }`, `EventID: 4624`, `EventIDQualifiers`
 * when present, `Version`, `Level`, `Task`, `Opcode`, `Keywords: '0x…'`,
 * `TimeCreated: ISO`, `EventRecordID`, `Correlation: {…}`,
 * `Execution: { ProcessID, ThreadID }`, `Channel`, `Computer`,
 * `Security: { UserID? }`), `EventData` (`<Data Name="x">` as key `x`,
 * unnamed Data as the array `Data`), `UserData` and any other child in the
 * generic form (see the README).
 */
export type EvtxEvent = EvtxJsonObject;

/** One event record. */
export interface EvtxRecord {
  /** Index of the chunk that holds it. */
  readonly chunk: number;
  /** File offset of the record. */
  readonly offset: number;
  /** Event record identifier from the record header. */
  readonly recordId: number;
  /** Written time from the record header (FILETIME, ISO 8601 with 100 ns). */
  readonly writtenTime: string;
  /** System/EventID, or `null` when absent. */
  readonly eventId: number | null;
  /** System/Provider/@Name, or `null`. */
  readonly provider: string | null;
  /** System/Channel, or `null`. */
  readonly channel: string | null;
  /** System/Computer, or `null`. */
  readonly computer: string | null;
  /** The event as JSON. */
  readonly event: EvtxEvent;
  /** The event as XML text, when asked for with `xml: true`. */
  readonly xml?: string;
  /** Empty for a record whose chunk verified and that rendered cleanly. */
  readonly warnings: readonly EvtxRecordWarning[];
}

/** Counters of work done, cumulative over the life of an {@link EvtxFile}. */
export interface EvtxStats {
  /** Chunks read. */
  chunks: number;
  /** Records whose header and size checked out. */
  records: number;
  /** Records whose template values were substituted and rendered (the expensive step). */
  recordsRendered: number;
  /** Nodes those renders produced (at most 100,000 per record, see the README's limits). */
  nodesRendered: number;
  /** Records skipped by the event-id filter without rendering. */
  recordsFiltered: number;
  /** Template definitions parsed (at most once per template per chunk). */
  templatesParsed: number;
  /** Diagnostics not kept because `maxDiagnostics` was reached (a later pass may count one again). */
  diagnosticsDropped: number;
}

/** Options for {@link openEvtx}. */
export interface EvtxOpenOptions {
  /** Most diagnostics kept in {@link EvtxFile.diagnostics} (more are counted, not kept); default 10,000. */
  readonly maxDiagnostics?: number;
}

/** Options for {@link EvtxFile.records}. */
export interface EvtxRecordsOptions {
  /**
   * Yield only records with one of these event ids. Decided before rendering:
   * for a record built from a template, the template's System/EventID
   * substitution index is found once per template (per chunk) and only that
   * one value is decoded; other records are not rendered. Default: all.
   */
  readonly eventIds?: Iterable<number>;
  /** Also render each record as XML text (`record.xml`); default `false`. */
  readonly xml?: boolean;
  /** Called with each diagnostic as it is found (they are also kept in {@link EvtxFile.diagnostics}). */
  readonly onDiagnostic?: (diagnostic: EvtxDiagnostic) => void;
}

/** An open EVTX file. The caller keeps ownership of the source and closes it. */
export interface EvtxFile {
  /** The source's name. */
  readonly name: string;
  readonly header: EvtxFileHeader;
  /** 64 KiB blocks present after the header block (the last may be partial). */
  readonly blockCount: number;
  /**
   * Diagnostics found so far: the header's at open, then those of each chunk
   * and record as they are read (each once, however many passes).
   */
  readonly diagnostics: readonly EvtxDiagnostic[];
  readonly stats: Readonly<EvtxStats>;
  /**
   * Each chunk header in file order, with both CRC-32s checked (each chunk is
   * read whole, one at a time). Empty blocks are skipped.
   *
   * @throws IO_ERROR when the source cannot be read
   */
  chunks(): AsyncGenerator<EvtxChunkHeader>;
  /**
   * Every event record in file order (chunk by chunk, then by offset; sort
   * by `recordId` for log order). Damage becomes diagnostics, never a throw.
   *
   * @throws INVALID_ARGUMENT when `eventIds` holds something other than integers in 0..2^32-1
   * @throws IO_ERROR when the source cannot be read
   */
  records(options?: EvtxRecordsOptions): AsyncGenerator<EvtxRecord>;
}

async function readAt(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  try {
    return await source.read(offset, length);
  } catch (error) {
    if (error instanceof TriageError) throw error;
    throw new TriageError(
      'IO_ERROR',
      `Could not read ${source.name} at offset ${offset}; check the file and retry.`,
      {
        cause: error,
        context: { path: source.name, offset },
      },
    );
  }
}

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(from, from + length));
}

/** A u64 as a number (exact up to 2^53; header counters never get near that in a real file). */
function u64(view: DataView, at: number): number {
  return Number(view.getBigUint64(at, true));
}

function checksum(stored: number, data: Uint8Array | null, more?: Uint8Array): EvtxChecksum {
  if (data === null) return { stored, computed: null, status: 'unverifiable' };
  const computed = more ? crc32(more, crc32(data)) : crc32(data);
  const status = computed === stored ? 'valid' : stored === 0 ? 'missing' : 'mismatch';
  return { stored, computed, status };
}

/**
 * Opens an EVTX file: reads and checks its header. Nothing else is read
 * until {@link EvtxFile.chunks} or {@link EvtxFile.records} is iterated.
 *
 * @param source - the file's bytes (see `fileSource`, `bufferSource`)
 * @param options - `maxDiagnostics` (default 10,000)
 * @returns the open file; its header's CRC problems are already in `diagnostics`
 * @throws DATA_INVALID when the source is not an EVTX file (no `ElfFile` signature, or shorter than its 128-byte header)
 * @throws INVALID_ARGUMENT when `maxDiagnostics` is not a non-negative integer
 * @throws IO_ERROR when the source cannot be read
 */
export async function openEvtx(source: ByteSource, options: EvtxOpenOptions = {}): Promise<EvtxFile> {
  const maxDiagnostics = options.maxDiagnostics ?? 10_000;
  if (!Number.isSafeInteger(maxDiagnostics) || maxDiagnostics < 0) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `maxDiagnostics must be a non-negative integer, not ${maxDiagnostics}.`,
    );
  }
  const head = (await readAt(source, 0, 128)).slice();
  if (head.length < 8 || ascii(head, 0, 8) !== FILE_SIGNATURE) {
    throw new TriageError('DATA_INVALID', `${source.name} is not an EVTX file (no ElfFile signature).`, {
      context: { path: source.name },
    });
  }
  if (head.length < 128) {
    throw new TriageError(
      'DATA_INVALID',
      `${source.name} is cut off inside its EVTX file header (${head.length} bytes).`,
      {
        context: { path: source.name, size: head.length },
      },
    );
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const flags = view.getUint32(120, true);
  const header: EvtxFileHeader = {
    firstChunkNumber: u64(view, 8),
    lastChunkNumber: u64(view, 16),
    nextRecordId: u64(view, 24),
    headerSize: view.getUint32(32, true),
    minorVersion: view.getUint16(36, true),
    majorVersion: view.getUint16(38, true),
    headerBlockSize: view.getUint16(40, true),
    chunkCount: view.getUint16(42, true),
    flags,
    dirty: (flags & 1) !== 0,
    full: (flags & 2) !== 0,
    checksum: checksum(view.getUint32(124, true), head.subarray(0, 120)),
  };
  return new EvtxReader(source, header, maxDiagnostics);
}

/** One iteration of {@link EvtxFile.records}: its filter, output options and listener. */
interface Pass {
  readonly wanted: ReadonlySet<number> | null;
  readonly xml: boolean;
  readonly onDiagnostic: ((diagnostic: EvtxDiagnostic) => void) | undefined;
}

/** A chunk read from the file, with its checks done. */
interface LoadedChunk {
  readonly header: EvtxChunkHeader;
  readonly bytes: Uint8Array;
  /** Where records end: the free-space offset when it is in range, else the end of the data read. */
  readonly recordsEnd: number;
  /** Whether `recordsEnd` is the chunk header's free-space offset (so records are expected up to it). */
  readonly freeSpaceTrusted: boolean;
  readonly warnings: readonly EvtxRecordWarning[];
}

class EvtxReader implements EvtxFile {
  readonly name: string;
  readonly header: EvtxFileHeader;
  readonly blockCount: number;
  readonly diagnostics: EvtxDiagnostic[] = [];
  readonly stats: EvtxStats = {
    chunks: 0,
    records: 0,
    recordsRendered: 0,
    nodesRendered: 0,
    recordsFiltered: 0,
    templatesParsed: 0,
    diagnosticsDropped: 0,
  };
  private readonly source: ByteSource;
  private readonly maxDiagnostics: number;
  /** Keys of the kept diagnostics (at most `maxDiagnostics`). */
  private readonly seen = new Set<string>();

  constructor(source: ByteSource, header: EvtxFileHeader, maxDiagnostics: number) {
    this.source = source;
    this.name = source.name;
    this.header = header;
    this.maxDiagnostics = maxDiagnostics;
    const data = Math.max(0, source.size - EVTX_HEADER_BLOCK);
    this.blockCount = Math.ceil(data / EVTX_CHUNK_SIZE);
    const { checksum: crc } = header;
    if (crc.status !== 'valid') {
      this.report({
        chunk: null,
        offset: 124,
        kind: 'file-header-checksum',
        reason: `file header CRC-32 ${crc.status}: stored 0x${hex8(crc.stored)}, computed 0x${hex8(crc.computed ?? 0)}`,
      });
    }
    if (header.headerBlockSize !== EVTX_HEADER_BLOCK) {
      this.report({
        chunk: null,
        offset: 40,
        kind: 'file-header',
        reason: `header block size ${header.headerBlockSize} instead of 4096; chunks are read from 4096`,
      });
    }
    if (header.majorVersion !== 3) {
      this.report({
        chunk: null,
        offset: 38,
        kind: 'file-header',
        reason: `format version ${header.majorVersion}.${header.minorVersion} (3.x expected)`,
      });
    }
    const whole = Math.floor(data / EVTX_CHUNK_SIZE);
    if (header.chunkCount > whole) {
      this.report({
        chunk: null,
        offset: 42,
        kind: 'file-truncated',
        reason: `the header claims ${header.chunkCount} chunks but the file holds ${whole} whole ones (${source.size} bytes)`,
      });
    }
  }

  /**
   * Records a diagnostic (once: a second pass over the same chunk finds the
   * same damage again) and tells the pass's listener, if any (on every pass).
   */
  private report(diagnostic: EvtxDiagnostic, pass?: Pass): void {
    const key = `${diagnostic.kind}@${diagnostic.offset}#${diagnostic.recordId ?? ''}:${diagnostic.reason}`;
    if (!this.seen.has(key)) {
      if (this.diagnostics.length < this.maxDiagnostics) {
        this.diagnostics.push(diagnostic);
        this.seen.add(key);
      } else {
        this.stats.diagnosticsDropped += 1;
      }
    }
    pass?.onDiagnostic?.(diagnostic);
  }

  /** Reads block `index`; `null` when it is empty (all zeros) or not a chunk (reported). */
  private async load(index: number, pass?: Pass): Promise<LoadedChunk | null> {
    const offset = EVTX_HEADER_BLOCK + index * EVTX_CHUNK_SIZE;
    const bytes = await readAt(this.source, offset, EVTX_CHUNK_SIZE);
    if (bytes.length < 8 || ascii(bytes, 0, 8) !== CHUNK_SIGNATURE) {
      if (!bytes.every((b) => b === 0)) {
        this.report(
          {
            chunk: index,
            offset,
            kind: 'chunk-signature',
            reason: 'no ElfChnk signature; block skipped',
          },
          pass,
        );
      }
      return null;
    }
    if (bytes.length < CHUNK_HEADER) {
      this.report(
        {
          chunk: index,
          offset,
          kind: 'file-truncated',
          reason: `the file ends ${bytes.length} bytes into this chunk, inside its header; chunk skipped`,
        },
        pass,
      );
      return null;
    }
    this.stats.chunks += 1;
    if (bytes.length < EVTX_CHUNK_SIZE) {
      this.report(
        {
          chunk: index,
          offset,
          kind: 'file-truncated',
          reason: `the file ends ${bytes.length} bytes into this chunk; records up to the end are read`,
        },
        pass,
      );
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const freeSpaceOffset = view.getUint32(48, true);
    const freeSpaceOk = freeSpaceOffset >= CHUNK_HEADER && freeSpaceOffset <= EVTX_CHUNK_SIZE;
    const recordsData =
      freeSpaceOk && freeSpaceOffset <= bytes.length ? bytes.subarray(CHUNK_HEADER, freeSpaceOffset) : null;
    const header: EvtxChunkHeader = {
      index,
      offset,
      size: bytes.length,
      firstRecordNumber: u64(view, 8),
      lastRecordNumber: u64(view, 16),
      firstRecordId: u64(view, 24),
      lastRecordId: u64(view, 32),
      headerSize: view.getUint32(40, true),
      lastRecordOffset: view.getUint32(44, true),
      freeSpaceOffset,
      flags: view.getUint32(120, true),
      headerChecksum: checksum(
        view.getUint32(124, true),
        bytes.subarray(0, 120),
        bytes.subarray(128, CHUNK_HEADER),
      ),
      recordsChecksum: checksum(view.getUint32(52, true), recordsData),
    };
    const warnings: EvtxRecordWarning[] = [];
    const { headerChecksum: h, recordsChecksum: r } = header;
    if (h.status !== 'valid') {
      warnings.push('chunk-header-checksum');
      this.report(
        {
          chunk: index,
          offset: offset + 124,
          kind: 'chunk-header-checksum',
          reason: `chunk header CRC-32 ${h.status}: stored 0x${hex8(h.stored)}, computed 0x${hex8(h.computed ?? 0)}; its records are read and flagged`,
        },
        pass,
      );
    }
    if (r.status !== 'valid') {
      warnings.push('chunk-records-checksum');
      this.report(
        {
          chunk: index,
          offset: offset + 52,
          kind: 'chunk-records-checksum',
          reason:
            r.status === 'unverifiable'
              ? `records CRC-32 unverifiable: free-space offset 0x${freeSpaceOffset.toString(16)} is ${freeSpaceOk ? 'past the end of the file' : 'out of range'}; records are read to the end of the chunk and flagged`
              : `records CRC-32 ${r.status}: stored 0x${hex8(r.stored)}, computed 0x${hex8(r.computed ?? 0)}; records are read and flagged`,
        },
        pass,
      );
    }
    const recordsEnd = freeSpaceOk ? Math.min(freeSpaceOffset, bytes.length) : bytes.length;
    return {
      header,
      bytes,
      recordsEnd,
      freeSpaceTrusted: freeSpaceOk && freeSpaceOffset <= bytes.length,
      warnings,
    };
  }

  async *chunks(): AsyncGenerator<EvtxChunkHeader> {
    for (let index = 0; index < this.blockCount; index++) {
      const chunk = await this.load(index);
      if (chunk) yield chunk.header;
    }
  }

  async *records(options: EvtxRecordsOptions = {}): AsyncGenerator<EvtxRecord> {
    const pass: Pass = {
      wanted: eventIdSet(options.eventIds),
      xml: options.xml === true,
      onDiagnostic: options.onDiagnostic,
    };
    for (let index = 0; index < this.blockCount; index++) {
      const chunk = await this.load(index, pass);
      if (chunk) yield* this.chunkRecords(chunk, pass);
    }
  }

  /**
   * The records of one chunk (libyal "Event record"), following record sizes
   * from offset 512 to the free-space offset. A record whose signature or
   * size does not check out is reported, and the rest of the chunk is
   * scanned for the next record whose size and copy of size agree (libyal
   * "Recovery", "Corruption scenarios: corrupt event record").
   */
  private *chunkRecords(chunk: LoadedChunk, pass: Pass): Generator<EvtxRecord> {
    const { bytes, header, recordsEnd } = chunk;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ctx = new ChunkContext(bytes);
    const fileOffset = (at: number) => header.offset + at;
    /** Is there a plausible record at `at`: signature, size in range, and the same size at its end? */
    const recordFits = (at: number): boolean => {
      if (at + RECORD_HEADER + 4 > bytes.length || view.getUint32(at, true) !== RECORD_SIGNATURE)
        return false;
      const size = view.getUint32(at + 4, true);
      return (
        size >= RECORD_HEADER + 4 && at + size <= bytes.length && view.getUint32(at + size - 4, true) === size
      );
    };
    const scan = (from: number): number => {
      for (let at = from; at + RECORD_HEADER + 4 <= recordsEnd; at++) if (recordFits(at)) return at;
      return -1;
    };
    let at = CHUNK_HEADER;
    let scanned = false;
    try {
      while (at + RECORD_HEADER <= recordsEnd) {
        if (!recordFits(at)) {
          if (bytes.subarray(at, recordsEnd).every((b) => b === 0)) {
            // Zeros up to a trusted free-space offset mean lost records; up to the end of the chunk, just unused space.
            if (!chunk.freeSpaceTrusted) break;
            this.report(
              {
                chunk: header.index,
                offset: fileOffset(at),
                kind: 'record-signature',
                reason: `zero bytes from chunk offset 0x${at.toString(16)} to the free-space offset 0x${recordsEnd.toString(16)} where records were expected`,
              },
              pass,
            );
            break;
          }
          const signature = view.getUint32(at, true) === RECORD_SIGNATURE;
          const size = at + 8 <= bytes.length ? view.getUint32(at + 4, true) : 0;
          this.report(
            {
              chunk: header.index,
              offset: fileOffset(at),
              kind: signature ? 'record-size' : 'record-signature',
              reason: signature
                ? `record size ${size} is impossible or differs from its copy at the end; scanning for the next record`
                : 'no record signature where a record should start; scanning for the next record',
            },
            pass,
          );
          const next = scan(at + 1);
          if (next < 0) break;
          at = next;
          scanned = true;
          continue;
        }
        const size = view.getUint32(at + 4, true);
        const rawId = view.getBigUint64(at + 8, true);
        this.stats.records += 1;
        if (rawId > BigInt(Number.MAX_SAFE_INTEGER)) {
          this.report(
            {
              chunk: header.index,
              offset: fileOffset(at),
              kind: 'record-id',
              reason: `record id ${rawId} is beyond 2^53; record skipped`,
            },
            pass,
          );
          at += size;
          continue;
        }
        const recordId = Number(rawId);
        const record = this.record(chunk, ctx, at, size, recordId, scanned, pass);
        if (record) yield record;
        at += size;
      }
    } finally {
      this.stats.templatesParsed += ctx.templatesParsed;
    }
  }

  /** One record's BinXml, filtered and rendered; `null` when filtered out or malformed (reported). */
  private record(
    chunk: LoadedChunk,
    ctx: ChunkContext,
    at: number,
    size: number,
    recordId: number,
    scanned: boolean,
    pass: Pass,
  ): EvtxRecord | null {
    const { wanted, xml } = pass;
    const { header } = chunk;
    const view = new DataView(chunk.bytes.buffer, chunk.bytes.byteOffset, chunk.bytes.byteLength);
    const offset = header.offset + at;
    try {
      const { nodes } = parseFragment(ctx, at + RECORD_HEADER, at + size - 4, {
        inTemplate: false,
        depth: 0,
      });
      if (wanted) {
        const early = eventIdBeforeRendering(ctx, nodes);
        if (early !== undefined && (early === null || !wanted.has(early))) {
          this.stats.recordsFiltered += 1;
          return null;
        }
      }
      const resolver = new Resolver(ctx);
      this.stats.recordsRendered += 1;
      let rendered: ReturnType<Resolver['top']>;
      try {
        rendered = resolver.top(nodes, 0);
      } finally {
        this.stats.nodesRendered += resolver.nodes;
      }
      const event = toJson(rendered);
      const system = asObject(event.System);
      const eventId = toEventId(system?.EventID);
      if (wanted && (eventId === null || !wanted.has(eventId))) {
        this.stats.recordsFiltered += 1;
        return null;
      }
      const warnings = [...chunk.warnings];
      if (scanned) warnings.push('found-by-scan');
      if (resolver.issues.length > 0) {
        warnings.push('value');
        for (const issue of resolver.issues) {
          this.report({ chunk: header.index, offset, recordId, kind: 'value', reason: issue.reason }, pass);
        }
      }
      return {
        chunk: header.index,
        offset,
        recordId,
        writtenTime: formatFiletime(view.getBigUint64(at + 16, true)),
        eventId,
        provider: asString(asObject(system?.Provider)?.Name),
        channel: asString(system?.Channel),
        computer: asString(system?.Computer),
        event,
        ...(xml ? { xml: toXml(rendered) } : {}),
        warnings,
      };
    } catch (error) {
      if (!(error instanceof BinXmlError)) throw error;
      this.report(
        {
          chunk: header.index,
          offset: header.offset + error.offset,
          recordId,
          kind: 'binxml',
          reason: `record skipped: ${error.message}`,
        },
        pass,
      );
      return null;
    }
  }
}

/**
 * The event id of a record decided without rendering it: from the first
 * template instance, the template's EventID substitution (found once per
 * template when it was parsed) or literal. `undefined` when it cannot be
 * decided that way (no template, or the template has no plain EventID):
 * the caller renders and looks.
 */
function eventIdBeforeRendering(ctx: ChunkContext, nodes: readonly BxTop[]): number | null | undefined {
  const first = nodes.find((n) => n.kind !== 'pi');
  if (first?.kind !== 'template') return undefined;
  const { template, values } = first.instance;
  const where = template.eventId;
  if (where === null) return undefined;
  if ('literal' in where) return toEventId(where.literal);
  const ref = values[where.sub];
  if (!ref) return null;
  try {
    return toEventId(decodeValue(ref.type, ctx.bytes, ref.offset, ref.size, ctx.view));
  } catch (error) {
    if (error instanceof ValueDecodeError) return undefined;
    throw error;
  }
}

function toEventId(value: EvtxJsonValue | undefined): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value);
  return null;
}

function asObject(value: EvtxJsonValue | undefined): EvtxJsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

function asString(value: EvtxJsonValue | undefined): string | null {
  return typeof value === 'string' ? value : null;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function eventIdSet(ids: Iterable<number> | undefined): ReadonlySet<number> | null {
  if (ids === undefined) return null;
  const set = new Set<number>();
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new TriageError(
        'INVALID_ARGUMENT',
        `eventIds must hold integers from 0 to 4294967295, not ${String(id)}.`,
      );
    }
    set.add(id);
  }
  return set;
}
