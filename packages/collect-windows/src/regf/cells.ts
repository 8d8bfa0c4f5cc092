/**
 * Hive bins and cells, read on demand: Suhanov, "Format of primary files" >
 * "Hive bin" and "Cell"; libyal (Metz), section 3 "Hive bin" (3.1 header,
 * 3.2 cell) and section 6 "Corruption scenarios" ("Empty hive bins",
 * "Misaligned hive bins", "Truncated Registry file").
 *
 * At open, the hive bin headers are scanned once (32 bytes each, through the
 * page cache) into an index of bin starts and sizes: 8 bytes per bin. A cell
 * is then located by binary search, its size checked against its bin, and
 * only the bytes a record needs are read.
 */

import { BASE_BLOCK_SIZE } from './base-block.js';
import { hasSignature, i32, u32 } from './binary.js';
import type { DiagnosticLog } from './diagnostics.js';
import type { PageCache } from './paged.js';

/** The "no cell" offset used by every offset field. */
export const NO_CELL = 0xffffffff;

/** Hive bin header size. */
const BIN_HEADER = 32;

/** A cell located and checked. */
export interface CellRef {
  /** Offset relative to the start of the hive bins data. */
  readonly offset: number;
  /** Absolute offset in the file (`4096 + offset`). */
  readonly fileOffset: number;
  /** Size of the cell including its 4-byte size field (absolute value of the stored size). */
  readonly size: number;
  /** Bytes of cell data after the size field. */
  readonly dataSize: number;
  /** Stored size negative: allocated. */
  readonly allocated: boolean;
}

/** Locates cells and reads their data; records every problem as a diagnostic. */
export class CellReader {
  readonly #cache: PageCache;
  readonly #log: DiagnosticLog;
  #starts: number[] = [];
  #sizes: number[] = [];
  /** The hive bins data size used (the base block's, or what the file really holds). */
  hiveBinsDataSize = 0;

  constructor(cache: PageCache, log: DiagnosticLog) {
    this.#cache = cache;
    this.#log = log;
  }

  /** Hive bins found. */
  get binCount(): number {
    return this.#starts.length;
  }

  /** The bins found, as `[offset, size]` pairs relative to the start of the hive bins data. */
  bins(): Array<readonly [number, number]> {
    return this.#starts.map((start, i) => [start, this.#sizes[i] ?? 0] as const);
  }

  /** Raw bytes through the page cache (absolute file offsets). */
  read(fileOffset: number, length: number): Promise<Uint8Array> {
    return this.#cache.read(fileOffset, length);
  }

  /**
   * Scans the hive bin headers. A bad header is reported and skipped: the
   * scan moves on in 512-byte steps to the next `hbin` signature (libyal's
   * "Misaligned hive bins": a 512-byte gap between bins was seen on disk).
   *
   * @param declaredSize - the hive bins data size from the base block (or a log entry)
   */
  async scanBins(declaredSize: number): Promise<void> {
    const available = Math.max(0, this.#cache.size - BASE_BLOCK_SIZE);
    let size = declaredSize;
    if (size === 0 || size % 4096 !== 0) {
      this.#log.add(
        'BASE_BLOCK',
        40,
        `hive bins data size ${declaredSize} is not a positive multiple of 4096; scanning the ${available} bytes after the base block instead`,
      );
      size = available;
    } else if (size > available) {
      this.#log.add(
        'HIVE_BIN',
        BASE_BLOCK_SIZE + available,
        `the base block declares ${declaredSize} bytes of hive bins but the file holds ${available}: the hive is truncated, cells past the end are unreadable`,
      );
      size = available;
    }
    this.hiveBinsDataSize = size;
    let pos = 0;
    let gapStart = -1;
    while (pos + BIN_HEADER <= size) {
      const header = await this.#cache.read(BASE_BLOCK_SIZE + pos, BIN_HEADER);
      if (header.length < BIN_HEADER) break;
      const binSize = u32(header, 8);
      const valid = hasSignature(header, 0, 'hbin') && binSize >= 4096 && binSize % 4096 === 0;
      if (!valid) {
        if (gapStart < 0) {
          gapStart = pos;
          this.#log.add(
            'HIVE_BIN',
            BASE_BLOCK_SIZE + pos,
            hasSignature(header, 0, 'hbin')
              ? `hive bin at hive-bins offset ${pos} has an invalid size ${binSize}; looking for the next hive bin`
              : `no hive bin signature at hive-bins offset ${pos}; looking for the next hive bin`,
          );
        }
        pos += 512;
        continue;
      }
      if (gapStart >= 0) {
        this.#log.add(
          'HIVE_BIN',
          BASE_BLOCK_SIZE + gapStart,
          `skipped ${pos - gapStart} bytes without a valid hive bin (hive-bins offsets ${gapStart} to ${pos})`,
        );
        gapStart = -1;
      }
      const stored = u32(header, 4);
      if (stored !== pos) {
        this.#log.add(
          'HIVE_BIN',
          BASE_BLOCK_SIZE + pos,
          `hive bin at hive-bins offset ${pos} says it is at ${stored}; using its position in the file`,
        );
      }
      let usable = binSize;
      if (pos + binSize > size) {
        usable = size - pos;
        this.#log.add(
          'HIVE_BIN',
          BASE_BLOCK_SIZE + pos,
          `hive bin at hive-bins offset ${pos} (${binSize} bytes) runs past the end of the hive bins data; only ${usable} bytes are used`,
        );
      }
      this.#starts.push(pos);
      this.#sizes.push(usable);
      pos += usable;
    }
    if (gapStart >= 0) {
      this.#log.add(
        'HIVE_BIN',
        BASE_BLOCK_SIZE + gapStart,
        `no valid hive bin from hive-bins offset ${gapStart} to the end of the hive bins data (${size})`,
      );
    }
  }

  /** Index of the bin holding hive-bins offset `offset`, or -1. */
  #binOf(offset: number): number {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.#starts[mid] ?? 0;
      if (offset < start) hi = mid - 1;
      else if (offset >= start + (this.#sizes[mid] ?? 0)) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /**
   * Locates and checks the cell at `offset` (relative to the hive bins data).
   *
   * @param what - what the cell should hold, for the diagnostic ("key node of …")
   * @returns the cell, or undefined (with a diagnostic) when it cannot be used
   */
  async cell(offset: number, what: string): Promise<CellRef | undefined> {
    const fileOffset = BASE_BLOCK_SIZE + offset;
    if (offset === NO_CELL || offset >= this.hiveBinsDataSize) {
      this.#log.add('CELL', fileOffset, `${what}: cell offset ${offset} is outside the hive bins data`);
      return undefined;
    }
    if (offset % 8 !== 0) {
      this.#log.add('CELL', fileOffset, `${what}: cell offset ${offset} is not 8-byte aligned`);
      return undefined;
    }
    const bin = this.#binOf(offset);
    if (bin < 0) {
      this.#log.add('CELL', fileOffset, `${what}: cell offset ${offset} is not inside a valid hive bin`);
      return undefined;
    }
    const binStart = this.#starts[bin] ?? 0;
    const binEnd = binStart + (this.#sizes[bin] ?? 0);
    if (offset < binStart + BIN_HEADER) {
      this.#log.add('CELL', fileOffset, `${what}: cell offset ${offset} points into a hive bin header`);
      return undefined;
    }
    const head = await this.#cache.read(fileOffset, 4);
    if (head.length < 4) {
      this.#log.add('CELL', fileOffset, `${what}: cell at ${offset} is past the end of the file`);
      return undefined;
    }
    const stored = i32(head, 0);
    const size = Math.abs(stored);
    if (stored === 0 || size < 8 || offset + size > binEnd) {
      this.#log.add(
        'CELL',
        fileOffset,
        `${what}: cell at ${offset} has an invalid size ${stored} (its hive bin ends at ${binEnd})`,
      );
      return undefined;
    }
    const allocated = stored < 0;
    if (!allocated) {
      this.#log.add(
        'CELL',
        fileOffset,
        `${what}: cell at ${offset} is marked unallocated (free); its content is read but may be stale`,
      );
    }
    return { offset, fileOffset, size, dataSize: size - 4, allocated };
  }

  /** Up to `length` bytes of a cell's data (never past the cell). */
  data(cell: CellRef, length = cell.dataSize, skip = 0): Promise<Uint8Array> {
    const from = Math.min(cell.dataSize, Math.max(0, skip));
    const count = Math.max(0, Math.min(length, cell.dataSize - from));
    return this.#cache.read(cell.fileOffset + 4 + from, count);
  }

  /**
   * Every allocated cell whose data starts with `signature`, bin by bin (for
   * finding a root key when the base block points nowhere). Reads the whole
   * hive bins data once; stops after `limit` matches.
   */
  async *scanCells(signature: string, limit: number): AsyncGenerator<CellRef> {
    let found = 0;
    for (let bin = 0; bin < this.#starts.length; bin++) {
      const start = this.#starts[bin] ?? 0;
      const end = start + (this.#sizes[bin] ?? 0);
      let offset = start + BIN_HEADER;
      while (offset + 8 <= end) {
        const head = await this.#cache.read(BASE_BLOCK_SIZE + offset, 6);
        const stored = i32(head, 0);
        const size = Math.abs(stored);
        if (stored === 0 || size < 8 || size % 8 !== 0 || offset + size > end) break;
        if (stored < 0 && hasSignature(head, 4, signature)) {
          yield { offset, fileOffset: BASE_BLOCK_SIZE + offset, size, dataSize: size - 4, allocated: true };
          if (++found >= limit) return;
        }
        offset += size;
      }
    }
  }
}
