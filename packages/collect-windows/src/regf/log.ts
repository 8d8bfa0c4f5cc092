/**
 * Transaction log replay for dirty hives: Suhanov, "Format of transaction
 * log files" ("Old format": base block, dirty vector, dirty pages; "New
 * format": base block, log entries and their notes 1-11), "Dirty state of a
 * hive" and "Multiple transaction log files"; libyal (Metz), section 2.1
 * "Dirty vector".
 *
 * Nothing is written to any file: replayed pages go to an in-memory
 * {@link OverlaySource} over the primary file. Log entries are located and
 * checked first (headers, sizes and Marvin32 hashes, streamed in 1 MiB
 * chunks), then applied in sequence order reading each dirty page once, so
 * memory is the overlay (4 KiB per distinct page replayed) plus one chunk.
 */
import type { ByteSource } from '../source.js';
import { BASE_BLOCK_SIZE, type HiveBaseBlock, isRegfSignature, parseBaseBlock } from './base-block.js';
import { hasSignature, u32, u64 } from './binary.js';
import type { DiagnosticLog } from './diagnostics.js';
import { Marvin32 } from './marvin32.js';
import { OverlaySource, readSource } from './paged.js';

/** What was found in one transaction log. */
export interface HiveLogReport {
  /** The log source's name. */
  readonly name: string;
  /** `new` (HvLE entries, Windows 8.1+), `old` (DIRT vector), or `unusable`. */
  readonly format: 'new' | 'old' | 'unusable';
  /** Sequence numbers in the log's base block (primary, secondary), when it has one. */
  readonly baseBlockSequences?: readonly [number, number];
  /** Valid log entries found (new format), before the first invalid one or the end. */
  readonly validEntries: number;
  /** Sequence numbers of those entries, in file order. */
  readonly entrySequences: readonly number[];
  /** Why the log, or the scan of its entries, stopped early (a bad hash, a bad size…). */
  readonly problem?: string;
}

/** What transaction log replay did to a hive. */
export interface HiveRecovery {
  /** True when the hive was dirty and logs were replayed (even if no entry applied). */
  readonly attempted: boolean;
  /** The log format used. */
  readonly format?: 'new' | 'old';
  /**
   * The sequence numbers applied, in order: each new-format log entry applied,
   * or the old-format log's sequence number.
   */
  readonly appliedSequences: readonly number[];
  /** Dirty pages written over the primary file (as the log counts them: HvLE page references or 512-byte pages). */
  readonly pagesApplied: number;
  /** Bytes of the hive those pages replaced. */
  readonly bytesApplied: number;
  /** The hive bins data size after replay (from the last applied entry). */
  readonly hiveBinsDataSize: number;
  /** True when the primary's base block failed its checksum and a log's base block was used instead. */
  readonly baseBlockFromLog: boolean;
  /** One report per log, in the order given. */
  readonly logs: readonly HiveLogReport[];
  /** Why replay did not happen or stopped where it did. */
  readonly note: string;
}

/** What {@link replayTransactionLogs} hands back to openHive. */
export interface ReplayResult {
  readonly recovery: HiveRecovery;
  readonly overlay: OverlaySource | undefined;
  readonly rootCellOffset: number;
  readonly hiveBinsDataSize: number;
  readonly minorVersion: number;
}

/** Log entry header size (signature … Hash-2). */
const ENTRY_HEADER = 40;
/** Bytes hashed or copied per read. */
const CHUNK = 1 << 20;
/** Most entries kept per log (each is at least 512 bytes of log). */
const MAX_ENTRIES = 1 << 20;

interface LogFile {
  /** Position in the logs given (and in the reports). */
  readonly index: number;
  readonly source: ByteSource;
  readonly header: HiveBaseBlock;
  readonly format: 'new' | 'old';
}

interface LogEntry {
  readonly log: LogFile;
  readonly offset: number;
  readonly size: number;
  readonly sequence: number;
  readonly hiveBinsDataSize: number;
  readonly pageCount: number;
}

/** Sequence numbers are 32-bit and wrap. */
function next(sequence: number): number {
  return (sequence + 1) >>> 0;
}

/** Marvin32 of a range of a log, read in chunks; undefined when the log is shorter than the range. */
async function hashRange(source: ByteSource, offset: number, length: number): Promise<bigint | undefined> {
  const marvin = new Marvin32();
  for (let at = 0; at < length; at += CHUNK) {
    const want = Math.min(CHUNK, length - at);
    const bytes = await readSource(source, offset + at, want);
    if (bytes.length < want) return undefined;
    marvin.update(bytes);
  }
  return marvin.digest();
}

/** Scans the HvLE entries of a new-format log, stopping at the end or at the first invalid entry. */
async function scanEntries(
  file: LogFile,
  log: DiagnosticLog,
): Promise<{ entries: LogEntry[]; problem?: string }> {
  const { source } = file;
  const entries: LogEntry[] = [];
  const stop = (offset: number, problem: string) => {
    log.add('LOG', offset, `${source.name}: ${problem}; entries from here on are ignored`);
    return { entries, problem };
  };
  let offset = 512;
  while (offset + ENTRY_HEADER <= source.size && entries.length < MAX_ENTRIES) {
    const head = await readSource(source, offset, ENTRY_HEADER);
    if (head.length < ENTRY_HEADER || !hasSignature(head, 0, 'HvLE')) break;
    const size = u32(head, 4);
    const sequence = u32(head, 12);
    const hiveBinsDataSize = u32(head, 16);
    const pageCount = u32(head, 20);
    if (size < ENTRY_HEADER || size % 512 !== 0 || offset + size > source.size) {
      return stop(offset, `log entry at ${offset} (sequence ${sequence}) has an invalid size ${size}`);
    }
    if (hiveBinsDataSize === 0 || hiveBinsDataSize % 4096 !== 0) {
      return stop(
        offset,
        `log entry at ${offset} (sequence ${sequence}) has an invalid hive bins data size ${hiveBinsDataSize}`,
      );
    }
    if (ENTRY_HEADER + pageCount * 8 > size) {
      return stop(
        offset,
        `log entry at ${offset} (sequence ${sequence}) declares ${pageCount} pages, more than it can hold`,
      );
    }
    if (u64(head, 32) !== (await hashRange(source, offset, 32))) {
      return stop(offset, `log entry at ${offset} (sequence ${sequence}) fails its Hash-2 check`);
    }
    if (u64(head, 24) !== (await hashRange(source, offset + ENTRY_HEADER, size - ENTRY_HEADER))) {
      return stop(offset, `log entry at ${offset} (sequence ${sequence}) fails its Hash-1 check`);
    }
    const refs = await readSource(source, offset + ENTRY_HEADER, pageCount * 8);
    let total = 0;
    let bad: string | undefined;
    for (let i = 0; i < pageCount; i++) {
      const pageOffset = u32(refs, i * 8);
      const pageSize = u32(refs, i * 8 + 4);
      total += pageSize;
      if (pageOffset + pageSize > hiveBinsDataSize) {
        bad = `page ${i} (${pageSize} bytes at ${pageOffset}) is outside its hive bins data size ${hiveBinsDataSize}`;
        break;
      }
    }
    if (bad === undefined && ENTRY_HEADER + pageCount * 8 + total > size) bad = 'its pages do not fit in it';
    if (bad !== undefined) return stop(offset, `log entry at ${offset} (sequence ${sequence}): ${bad}`);
    entries.push({ log: file, offset, size, sequence, hiveBinsDataSize, pageCount });
    offset += size;
  }
  return { entries };
}

/** Applies one new-format entry's dirty pages to the overlay. */
async function applyEntry(
  entry: LogEntry,
  overlay: OverlaySource,
): Promise<{ pages: number; bytes: number }> {
  const { source } = entry.log;
  const refs = await readSource(source, entry.offset + ENTRY_HEADER, entry.pageCount * 8);
  let at = entry.offset + ENTRY_HEADER + entry.pageCount * 8;
  let bytes = 0;
  for (let i = 0; i < entry.pageCount; i++) {
    const target = BASE_BLOCK_SIZE + u32(refs, i * 8);
    const pageSize = u32(refs, i * 8 + 4);
    for (let done = 0; done < pageSize; done += CHUNK) {
      const want = Math.min(CHUNK, pageSize - done);
      await overlay.write(target + done, await readSource(source, at + done, want));
    }
    at += pageSize;
    bytes += pageSize;
  }
  return { pages: entry.pageCount, bytes };
}

/** Reads a log's base block; undefined (with a report) when it is not a usable log. */
async function openLog(
  source: ByteSource,
  index: number,
  log: DiagnosticLog,
): Promise<{ file?: LogFile; report: HiveLogReport }> {
  const unusable = (problem: string, header?: HiveBaseBlock): { report: HiveLogReport } => {
    log.add('LOG', 0, `${source.name}: ${problem}; log not used`);
    return {
      report: {
        name: source.name,
        format: 'unusable',
        validEntries: 0,
        entrySequences: [],
        problem,
        ...(header
          ? { baseBlockSequences: [header.primarySequence, header.secondarySequence] as const }
          : {}),
      },
    };
  };
  const head = await readSource(source, 0, 512);
  if (head.length < 512 || !isRegfSignature(head)) return unusable('no regf base block at its start');
  const header = parseBaseBlock(head);
  if (!header.checksumValid) return unusable('its base block fails its checksum', header);
  const format =
    header.fileType === 6 ? 'new' : header.fileType === 1 || header.fileType === 2 ? 'old' : undefined;
  if (format === undefined)
    return unusable(`file type ${header.fileType} is not a transaction log (1, 2 or 6)`, header);
  return {
    file: { index, source, header, format },
    report: {
      name: source.name,
      format,
      validEntries: 0,
      entrySequences: [],
      baseBlockSequences: [header.primarySequence, header.secondarySequence],
    },
  };
}

/**
 * Replays the transaction logs of a dirty hive into an in-memory overlay.
 *
 * New format (Suhanov, "New format" notes 4-9 and "Multiple transaction log
 * files" > "New format"): every log's valid entries are gathered (each log
 * up to its first invalid entry: bad size, bad hive bins data size, or a
 * Hash-1/Hash-2 mismatch); starting from the primary's secondary sequence
 * number, the entry with the expected number is applied, from whichever log
 * holds it (.LOG1 first), then the next number, until a number is missing.
 *
 * Old format ("Old format" notes and "Multiple transaction log files" > "Old
 * format"): the log whose base block sequence numbers match and whose last
 * written timestamp equals the primary's is applied: the bitmap after `DIRT`
 * names the dirty 512-byte pages, stored in order after the vector. A dirty
 * page that starts a hive bin must carry a valid bin header (signature, size
 * a multiple of 4096, offset field equal to its position); recovery stops
 * before the first that does not.
 *
 * @param source - the primary file
 * @param header - its base block
 * @param dirty - whether the primary is dirty
 * @param logs - the log sources, .LOG1 before .LOG2
 * @param log - where problems are recorded
 * @throws IO_ERROR when a source cannot be read
 */
export async function replayTransactionLogs(
  source: ByteSource,
  header: HiveBaseBlock,
  dirty: boolean,
  logs: readonly ByteSource[],
  log: DiagnosticLog,
): Promise<ReplayResult> {
  const base = {
    rootCellOffset: header.rootCellOffset,
    hiveBinsDataSize: header.hiveBinsDataSize,
    minorVersion: header.minorVersion,
  };
  const opened: Array<{ file?: LogFile; report: HiveLogReport }> = [];
  for (const [index, logSource] of logs.entries()) opened.push(await openLog(logSource, index, log));
  const reports: HiveLogReport[] = opened.map((o) => o.report);
  const files = opened.flatMap((o) => (o.file ? [o.file] : []));
  const nothing = (note: string, attempted: boolean): ReplayResult => ({
    ...base,
    overlay: undefined,
    recovery: {
      attempted,
      appliedSequences: [],
      pagesApplied: 0,
      bytesApplied: 0,
      hiveBinsDataSize: header.hiveBinsDataSize,
      baseBlockFromLog: false,
      logs: reports,
      note,
    },
  });
  if (!dirty) {
    return nothing(
      'the hive is not dirty (sequence numbers match, checksum valid): logs not replayed',
      false,
    );
  }
  if (files.length === 0) return nothing('no usable transaction log', true);

  const newLogs = files.filter((f) => f.format === 'new');
  if (newLogs.length > 0) {
    return replayNew(source, header, newLogs, reports, log);
  }
  return replayOld(source, header, files, reports, log);
}

async function replayNew(
  source: ByteSource,
  header: HiveBaseBlock,
  newLogs: LogFile[],
  reports: HiveLogReport[],
  log: DiagnosticLog,
): Promise<ReplayResult> {
  // A primary base block with a bad checksum is replaced by the newest log base block (note 6).
  let effective = header;
  let baseBlockFromLog = false;
  if (!header.checksumValid) {
    const best = [...newLogs].sort((a, b) => b.header.secondarySequence - a.header.secondarySequence)[0];
    if (best) {
      effective = best.header;
      baseBlockFromLog = true;
      log.add('LOG', 0, `${best.source.name}: the hive's base block is damaged; using this log's base block`);
    }
  }
  const bySequence = new Map<number, LogEntry>();
  for (const file of newLogs) {
    const { entries, problem } = await scanEntries(file, log);
    const report = reports[file.index];
    if (report) {
      reports[file.index] = {
        ...report,
        validEntries: entries.length,
        entrySequences: entries.map((e) => e.sequence),
        ...(problem === undefined ? {} : { problem }),
      };
    }
    for (const entry of entries) if (!bySequence.has(entry.sequence)) bySequence.set(entry.sequence, entry);
  }

  const overlay = new OverlaySource(source);
  const applied: number[] = [];
  let pages = 0;
  let bytes = 0;
  let hiveBinsDataSize = effective.hiveBinsDataSize;
  let expected = effective.secondarySequence;
  for (let entry = bySequence.get(expected); entry; entry = bySequence.get(expected)) {
    const done = await applyEntry(entry, overlay);
    pages += done.pages;
    bytes += done.bytes;
    hiveBinsDataSize = entry.hiveBinsDataSize;
    applied.push(entry.sequence);
    expected = next(expected);
    if (applied.length >= MAX_ENTRIES * 2) break;
  }
  const note =
    applied.length === 0
      ? `no log entry has the hive's secondary sequence number ${effective.secondarySequence}: nothing applied`
      : `applied sequence numbers ${applied[0]} to ${applied[applied.length - 1]}; no valid entry has sequence number ${expected}`;
  if (applied.length === 0) log.add('LOG', 8, note);
  return {
    overlay: applied.length > 0 || baseBlockFromLog ? overlay : undefined,
    rootCellOffset: effective.rootCellOffset,
    hiveBinsDataSize,
    minorVersion: effective.minorVersion,
    recovery: {
      attempted: true,
      format: 'new',
      appliedSequences: applied,
      pagesApplied: pages,
      bytesApplied: bytes,
      hiveBinsDataSize,
      baseBlockFromLog,
      logs: reports,
      note,
    },
  };
}

async function replayOld(
  source: ByteSource,
  header: HiveBaseBlock,
  files: LogFile[],
  reports: HiveLogReport[],
  log: DiagnosticLog,
): Promise<ReplayResult> {
  // The timestamp to match: the base block's, or the first hive bin's when the base block is damaged (note 3).
  let stamp = header.lastWrittenFiletime;
  if (!header.checksumValid) {
    const bin = await readSource(source, BASE_BLOCK_SIZE, 32);
    if (hasSignature(bin, 0, 'hbin')) stamp = u64(bin, 20);
  }
  const candidates = files
    .filter(
      (f) =>
        f.format === 'old' &&
        f.header.primarySequence === f.header.secondarySequence &&
        f.header.lastWrittenFiletime === stamp,
    )
    .sort((a, b) => b.header.secondarySequence - a.header.secondarySequence);
  const chosen = candidates[0];
  const result = (
    note: string,
    overlay: OverlaySource | undefined,
    applied: number[],
    pages: number,
  ): ReplayResult => {
    const effective = chosen && overlay ? chosen.header : header;
    return {
      overlay,
      rootCellOffset: effective.rootCellOffset,
      hiveBinsDataSize: effective.hiveBinsDataSize,
      minorVersion: effective.minorVersion,
      recovery: {
        attempted: true,
        format: 'old',
        appliedSequences: applied,
        pagesApplied: pages,
        bytesApplied: pages * 512,
        hiveBinsDataSize: effective.hiveBinsDataSize,
        baseBlockFromLog: overlay !== undefined && !header.checksumValid,
        logs: reports,
        note,
      },
    };
  };
  if (!chosen) {
    const note =
      "no old-format log has matching sequence numbers and the hive's last written timestamp: nothing applied";
    log.add('LOG', 12, note);
    return result(note, undefined, [], 0);
  }
  const logSource = chosen.source;
  const sector = 512;
  let vectorAt = sector;
  let vector = await readSource(logSource, vectorAt, 4);
  if (!hasSignature(vector, 0, 'DIRT') && chosen.header.clusteringFactor > 1) {
    vectorAt = chosen.header.clusteringFactor * sector;
    vector = await readSource(logSource, vectorAt, 4);
  }
  if (!hasSignature(vector, 0, 'DIRT')) {
    const note = `${logSource.name}: no DIRT dirty vector after the base block; nothing applied`;
    log.add('LOG', vectorAt, note);
    return result(note, undefined, [], 0);
  }
  const size = chosen.header.hiveBinsDataSize;
  if (size === 0 || size % 4096 !== 0 || size > 4 * 1024 * 1024 * 1024) {
    const note = `${logSource.name}: hive bins data size ${size} in its base block is invalid; nothing applied`;
    log.add('LOG', 40, note);
    return result(note, undefined, [], 0);
  }
  const bits = size / 512;
  const bitmap = await readSource(logSource, vectorAt + 4, Math.ceil(bits / 8));
  const pagesStart = Math.ceil((vectorAt + 4 + Math.ceil(bits / 8)) / sector) * sector;
  const overlay = new OverlaySource(source);
  let pages = 0;
  let note = `applied the ${logSource.name} dirty pages`;
  for (let bit = 0; bit < bits; bit++) {
    if ((((bitmap[bit >> 3] ?? 0) >> (bit & 7)) & 1) === 0) continue;
    const page = await readSource(logSource, pagesStart + pages * 512, 512);
    if (page.length < 512) {
      note = `${logSource.name} ends before dirty page ${pages}; replay stopped there`;
      log.add('LOG', pagesStart + pages * 512, note);
      break;
    }
    const position = bit * 512;
    if (position % 4096 === 0 && hasSignature(page, 0, 'hbin')) {
      const binSize = u32(page, 8);
      if (u32(page, 4) !== position || binSize < 4096 || binSize % 4096 !== 0) {
        note = `${logSource.name}: dirty hive bin at hive-bins offset ${position} is invalid; replay stopped there`;
        log.add('LOG', pagesStart + pages * 512, note);
        break;
      }
    }
    await overlay.write(BASE_BLOCK_SIZE + position, page);
    pages++;
  }
  return result(note, overlay, [chosen.header.primarySequence], pages);
}
