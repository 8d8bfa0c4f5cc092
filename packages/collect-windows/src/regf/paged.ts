/**
 * Bounded-memory reading for the regf parser: an LRU cache of 4 KiB pages
 * over a {@link ByteSource}, and an in-memory overlay of pages written by
 * transaction-log replay (the original file is never written).
 */
import { isTriageError, TriageError } from '@triage/errors';
import type { ByteSource } from '../source.js';

/** Cache page size: the hive's own unit (hive bins are multiples of 4096 bytes). */
export const PAGE_SIZE = 4096;

/** Reads from a source, turning any failure that is not already a TriageError into IO_ERROR. */
export async function readSource(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  try {
    return await source.read(offset, length);
  } catch (error) {
    if (isTriageError(error)) throw error;
    throw new TriageError('IO_ERROR', `Could not read ${source.name} at offset ${offset}; check the file.`, {
      cause: error,
      context: { source: source.name, offset, length },
    });
  }
}

/**
 * A source plus pages replacing parts of it, all in memory. Pages past the
 * end of the source extend it (a log entry may grow the hive); bytes of the
 * source that no page covers are read from the source.
 */
export class OverlaySource implements ByteSource {
  readonly name: string;
  readonly #base: ByteSource;
  readonly #pages = new Map<number, Uint8Array>();
  #size: number;

  constructor(base: ByteSource) {
    this.#base = base;
    this.name = `${base.name} (with transaction logs)`;
    this.#size = base.size;
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the overlay (4 KiB per page written). */
  get overlayBytes(): number {
    return this.#pages.size * PAGE_SIZE;
  }

  /** Pages replaced so far. */
  get pageCount(): number {
    return this.#pages.size;
  }

  async #page(index: number): Promise<Uint8Array> {
    const page = this.#pages.get(index);
    if (page) return page;
    const fresh = new Uint8Array(PAGE_SIZE);
    fresh.set(await readSource(this.#base, index * PAGE_SIZE, PAGE_SIZE));
    return fresh;
  }

  /** Replaces the bytes at `offset` with `bytes` (in memory only). */
  async write(offset: number, bytes: Uint8Array): Promise<void> {
    let at = 0;
    while (at < bytes.length) {
      const fileOffset = offset + at;
      const index = Math.floor(fileOffset / PAGE_SIZE);
      const within = fileOffset - index * PAGE_SIZE;
      const count = Math.min(PAGE_SIZE - within, bytes.length - at);
      const page = await this.#page(index);
      page.set(bytes.subarray(at, at + count), within);
      this.#pages.set(index, page);
      at += count;
    }
    this.#size = Math.max(this.#size, offset + bytes.length);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset >= this.#size || length <= 0) return new Uint8Array(0);
    const end = Math.min(this.#size, offset + length);
    const out = new Uint8Array(end - offset);
    let at = offset;
    while (at < end) {
      const index = Math.floor(at / PAGE_SIZE);
      const pageEnd = Math.min(end, (index + 1) * PAGE_SIZE);
      const page = this.#pages.get(index);
      if (page) {
        out.set(page.subarray(at - index * PAGE_SIZE, pageEnd - index * PAGE_SIZE), at - offset);
        at = pageEnd;
      } else {
        // Read the run of pages the overlay does not cover in one call.
        let runEnd = pageEnd;
        while (runEnd < end && !this.#pages.has(Math.floor(runEnd / PAGE_SIZE))) {
          runEnd = Math.min(end, runEnd + PAGE_SIZE);
        }
        out.set(await readSource(this.#base, at, runEnd - at), at - offset);
        at = runEnd;
      }
    }
    return out;
  }

  close(): Promise<void> {
    return this.#base.close();
  }
}

/**
 * Random access through an LRU cache of {@link PAGE_SIZE} pages: at most
 * `capacity` pages are held, plus the pages of one read-ahead. A read that
 * fits in one page returns a view of that page (pages are never reused, so
 * the view stays valid); a longer read returns a fresh copy.
 */
export class PageCache {
  readonly #source: ByteSource;
  readonly #capacity: number;
  readonly #readAhead: number;
  readonly #pages = new Map<number, Uint8Array>();
  /** The most recently used page (the last entry of `#pages`), or none. */
  #lastIndex = -1;
  #lastPage: Uint8Array | undefined;
  /** Source reads made (for tests and benchmarks). */
  reads = 0;

  constructor(source: ByteSource, capacity: number, readAhead: number) {
    this.#source = source;
    this.#capacity = capacity;
    this.#readAhead = readAhead;
  }

  /** The size of the underlying source. */
  get size(): number {
    return this.#source.size;
  }

  /** Pages currently held. */
  get pagesHeld(): number {
    return this.#pages.size;
  }

  /**
   * The page when it is cached (made the most recently used), without waiting on anything. Reads come
   * in runs on one page (a cell's size, its header, its name), so the page used last is kept at hand:
   * moving it to the end of the Map again would change nothing but cost a delete and an insert.
   */
  #hit(index: number): Uint8Array | undefined {
    if (index === this.#lastIndex && this.#lastPage) return this.#lastPage;
    const cached = this.#pages.get(index);
    if (cached) {
      this.#pages.delete(index);
      this.#pages.set(index, cached);
      this.#lastIndex = index;
      this.#lastPage = cached;
    }
    return cached;
  }

  async #load(index: number, wanted: number): Promise<Uint8Array> {
    const cached = this.#hit(index);
    if (cached) return cached;
    // Read ahead over pages not already cached, up to the read-ahead and the end of the source.
    let count = 1;
    const limit = Math.min(Math.max(wanted, this.#readAhead), this.#capacity);
    while (
      count < limit &&
      (index + count) * PAGE_SIZE < this.#source.size &&
      !this.#pages.has(index + count)
    ) {
      count++;
    }
    this.reads++;
    const bytes = await readSource(this.#source, index * PAGE_SIZE, count * PAGE_SIZE);
    let first: Uint8Array | undefined;
    for (let i = 0; i < count; i++) {
      const page = new Uint8Array(PAGE_SIZE);
      page.set(bytes.subarray(i * PAGE_SIZE, Math.min(bytes.length, (i + 1) * PAGE_SIZE)));
      if (i === 0) first = page;
      this.#put(index + i, page);
    }
    return first ?? new Uint8Array(PAGE_SIZE);
  }

  #put(index: number, page: Uint8Array): void {
    this.#pages.delete(index);
    this.#pages.set(index, page);
    this.#lastIndex = index;
    this.#lastPage = page;
    while (this.#pages.size > this.#capacity) {
      const oldest = this.#pages.keys().next();
      if (oldest.done) break;
      this.#pages.delete(oldest.value);
    }
  }

  /**
   * Up to `length` bytes at `offset`: fewer only at the end of the source,
   * none past it.
   */
  async read(offset: number, length: number): Promise<Uint8Array> {
    const end = Math.min(this.#source.size, offset + Math.max(0, length));
    if (offset < 0 || offset >= end) return new Uint8Array(0);
    const first = Math.floor(offset / PAGE_SIZE);
    const last = Math.floor((end - 1) / PAGE_SIZE);
    if (last - first + 1 > this.#readAhead) {
      // A large read (big value data): straight from the source, so it does not flush the cache.
      this.reads++;
      const bytes = await readSource(this.#source, offset, end - offset);
      return Uint8Array.from(bytes);
    }
    // A cached page is used at once: awaiting #load for it would cost a turn of the microtask queue
    // per read, and the parser reads a few times per key and per value (a fifth of a walk's time).
    if (first === last) {
      const page = this.#hit(first) ?? (await this.#load(first, 1));
      return page.subarray(offset - first * PAGE_SIZE, end - first * PAGE_SIZE);
    }
    const out = new Uint8Array(end - offset);
    for (let index = first; index <= last; index++) {
      const page = this.#hit(index) ?? (await this.#load(index, last - index + 1));
      const from = Math.max(offset, index * PAGE_SIZE);
      const to = Math.min(end, (index + 1) * PAGE_SIZE);
      out.set(page.subarray(from - index * PAGE_SIZE, to - index * PAGE_SIZE), from - offset);
    }
    return out;
  }
}
