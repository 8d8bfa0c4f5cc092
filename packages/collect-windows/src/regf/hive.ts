/**
 * Windows registry hive (regf) reader: keys, values, lists and security,
 * read on demand with random access and bounded memory, tolerant of damage.
 *
 * Specifications followed (section names as in each document):
 * - Maxim Suhanov, "Windows registry file format specification"
 *   (github.com/msuhanov/regf): "Base block", "Hive bin", "Cell", "Index
 *   leaf", "Fast leaf", "Hash leaf", "Index root", "Key node", "Key values
 *   list", "Key value", "Key security", "Big data", "Dirty state of a hive".
 * - Joachim Metz, "Windows NT Registry File (REGF) format specification"
 *   (libyal/libregf documentation): 2 "File header", 3 "Hive bin", 4 "Hive
 *   bin cell values" (4.1 named key, 4.2 security key, 4.3 sub key list, 4.4
 *   value key, 4.5 values list, 4.6 value data and data block key, 4.7 class
 *   name), 5 "Hash algorithms", 6 "Corruption scenarios".
 */
import { TriageError } from '@triage/errors';
import type { ByteSource } from '../source.js';
import { BASE_BLOCK_SIZE, type HiveBaseBlock, isRegfSignature, parseBaseBlock } from './base-block.js';
import {
  decodeLatin1,
  decodeUtf16le,
  filetimeToDate,
  foldName,
  hasSignature,
  signatureText,
  u16,
  u32,
  u64,
} from './binary.js';
import { CellReader, type CellRef, NO_CELL } from './cells.js';
import { DiagnosticLog, type HiveDiagnostic } from './diagnostics.js';
import { type HiveRecovery, replayTransactionLogs } from './log.js';
import { PAGE_SIZE, PageCache, readSource } from './paged.js';
import { describeDescriptor, type KeySecurity } from './security.js';
import { RegistryValue, type ValueStorage } from './value.js';

/** Options for {@link openHive}. */
export interface OpenHiveOptions {
  /**
   * Transaction logs of the hive (`.LOG1` and `.LOG2`, or `.LOG`), in that
   * order. They are replayed only when the hive is dirty (see
   * {@link RegistryHive.dirty}); the replayed pages live in memory, over the
   * original file, which is never written. The caller keeps ownership of the
   * sources (and closes them). Default: none.
   */
  readonly logs?: readonly ByteSource[];
  /** Pages of 4 KiB the cache holds. Default 512 (2 MiB); at least `readAheadPages`. */
  readonly cachePages?: number;
  /** Pages read at once on a cache miss. Default 16 (64 KiB); 1 to 1024. */
  readonly readAheadPages?: number;
  /** Largest value data read; larger values keep empty data and get a LIMIT diagnostic. Default 32 MiB. */
  readonly maxValueBytes?: number;
  /** Most subkeys or values read for one key. Default 1,048,576. */
  readonly maxListEntries?: number;
  /** Most diagnostics kept (later ones are counted in {@link RegistryHive.diagnosticsDropped}). Default 10,000. */
  readonly maxDiagnostics?: number;
}

const DEFAULTS = {
  cachePages: 512,
  readAheadPages: 16,
  maxValueBytes: 32 * 1024 * 1024,
  maxListEntries: 1 << 20,
  maxDiagnostics: 10_000,
} as const;

/** Data larger than this is stored in big data segments in hives of version 1.4 and later (CM_KEY_VALUE_BIG). */
export const BIG_DATA_THRESHOLD = 16_344;

/** Key node flag: the name is stored in Latin-1 ("compressed", KEY_COMP_NAME). */
const KEY_COMP_NAME = 0x0020;
/** Key node flag: the root key of the hive (KEY_HIVE_ENTRY). */
const KEY_HIVE_ENTRY = 0x0004;
/** Key value flag: the name is stored in Latin-1 (VALUE_COMP_NAME). */
const VALUE_COMP_NAME = 0x0001;
/** Fixed part of a key node before its name. */
const NK_HEADER = 76;
/** Fixed part of a key value before its name. */
const VK_HEADER = 20;

interface Limits {
  readonly maxValueBytes: number;
  readonly maxListEntries: number;
}

/** The reader state a hive and its keys share (internal). */
interface HiveContext {
  readonly cells: CellReader;
  readonly log: DiagnosticLog;
  readonly limits: Limits;
  readonly minorVersion: number;
}

/** One subkey list element: the key node offset and, for lh lists, the name hash. */
interface SubkeyRef {
  readonly offset: number;
  readonly hash?: number;
}

/** The lh hash of a name (Suhanov, "Hash leaf" note; libyal section 5): H = 37·H + upcase(c), per UTF-16 code unit. */
function lhHash(folded: string): number {
  let hash = 0;
  for (let i = 0; i < folded.length; i++) hash = (Math.imul(hash, 37) + folded.charCodeAt(i)) >>> 0;
  return hash;
}

function checkNumber(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new TriageError('INVALID_ARGUMENT', `openHive: ${name} must be an integer from ${min} to ${max}.`, {
      context: { option: name, value: String(value) },
    });
  }
  return value;
}

/**
 * Opens a registry hive for reading. Reads the base block and the hive bin
 * headers now; keys and values are read when asked for.
 *
 * When the hive is dirty and `options.logs` are given, the transaction logs
 * are replayed first (new format `HvLE` entries checked with their Marvin32
 * hashes and applied in sequence order; old format `DIRT` vector): see
 * {@link RegistryHive.recovery}.
 *
 * Memory is bounded by `cachePages` × 4 KiB, plus 8 bytes per hive bin, plus
 * the pages replayed from logs, plus what the caller keeps of the keys and
 * values it asks for (each value's data at most `maxValueBytes`).
 *
 * @param source - the hive file; the caller keeps ownership (and closes it)
 * @param options - logs, cache size and limits; defaults in {@link OpenHiveOptions}
 * @returns the hive
 * @throws DATA_INVALID when the source does not start with the `regf` signature (not a hive at all)
 * @throws INVALID_ARGUMENT when an option is out of range
 * @throws IO_ERROR when the source (or a log) cannot be read
 */
export async function openHive(source: ByteSource, options: OpenHiveOptions = {}): Promise<RegistryHive> {
  const readAheadPages = checkNumber(
    'readAheadPages',
    options.readAheadPages,
    1,
    1024,
    DEFAULTS.readAheadPages,
  );
  const cachePages = checkNumber(
    'cachePages',
    options.cachePages,
    readAheadPages,
    1 << 20,
    DEFAULTS.cachePages,
  );
  const maxValueBytes = checkNumber(
    'maxValueBytes',
    options.maxValueBytes,
    0,
    2 ** 31,
    DEFAULTS.maxValueBytes,
  );
  const maxListEntries = checkNumber(
    'maxListEntries',
    options.maxListEntries,
    1,
    2 ** 31,
    DEFAULTS.maxListEntries,
  );
  const maxDiagnostics = checkNumber(
    'maxDiagnostics',
    options.maxDiagnostics,
    0,
    1 << 24,
    DEFAULTS.maxDiagnostics,
  );
  if (options.logs !== undefined && !Array.isArray(options.logs)) {
    throw new TriageError('INVALID_ARGUMENT', 'openHive: logs must be an array of byte sources.');
  }

  const head = await readSource(source, 0, BASE_BLOCK_SIZE);
  if (!isRegfSignature(head)) {
    throw new TriageError(
      'DATA_INVALID',
      `${source.name} is not a registry hive: it does not start with the "regf" signature.`,
      { context: { source: source.name, size: source.size } },
    );
  }
  const log = new DiagnosticLog(maxDiagnostics);
  const header = parseBaseBlock(head);
  if (head.length < 512) {
    log.add('BASE_BLOCK', 0, `the file is only ${head.length} bytes: the base block is truncated`);
  } else if (source.size < BASE_BLOCK_SIZE) {
    log.add('BASE_BLOCK', 0, `the file is only ${source.size} bytes: there are no hive bins`);
  }
  if (!header.checksumValid) {
    log.add('BASE_BLOCK', 508, `base block checksum ${header.checksum} does not match its content`);
  }
  if (header.majorVersion !== 1 || header.minorVersion < 2 || header.minorVersion > 6) {
    log.add(
      'BASE_BLOCK',
      20,
      `unexpected hive version ${header.majorVersion}.${header.minorVersion}; parsing as version 1.x`,
    );
  }
  if (header.fileType !== 0) {
    log.add('BASE_BLOCK', 28, `file type ${header.fileType} is not a primary file (0); parsing it as one`);
  }
  const dirty = header.primarySequence !== header.secondarySequence || !header.checksumValid;

  let effectiveSource: ByteSource = source;
  let rootCellOffset = header.rootCellOffset;
  let hiveBinsDataSize = header.hiveBinsDataSize;
  let minorVersion = header.minorVersion;
  let recovery: HiveRecovery | undefined;
  if (options.logs !== undefined && options.logs.length > 0) {
    const replay = await replayTransactionLogs(source, header, dirty, options.logs, log);
    recovery = replay.recovery;
    if (replay.overlay) effectiveSource = replay.overlay;
    rootCellOffset = replay.rootCellOffset;
    hiveBinsDataSize = replay.hiveBinsDataSize;
    minorVersion = replay.minorVersion;
  }

  const cache = new PageCache(effectiveSource, cachePages, readAheadPages);
  const cells = new CellReader(cache, log);
  await cells.scanBins(hiveBinsDataSize);
  const context: HiveContext = { cells, log, limits: { maxValueBytes, maxListEntries }, minorVersion };
  return new RegistryHive(source.name, header, dirty, recovery, rootCellOffset, context, cache);
}

/** An open registry hive. Keys and values are read on demand. */
export class RegistryHive {
  /** The source's name (a path). */
  readonly name: string;
  /** The base block as stored in the file (before any log replay). */
  readonly header: HiveBaseBlock;
  /**
   * Whether the hive was dirty: its primary and secondary sequence numbers
   * differ, or its base block checksum is wrong (Suhanov, "Dirty state of a
   * hive"). A dirty hive may miss changes that are only in its transaction
   * logs: open it with `logs` to replay them.
   */
  readonly dirty: boolean;
  /** What the transaction log replay did; undefined when no logs were given. */
  readonly recovery: HiveRecovery | undefined;
  /** The root cell offset used (the base block's, or a log's when the base block was recovered). */
  readonly rootCellOffset: number;
  readonly #context: HiveContext;
  readonly #cache: PageCache;
  #root: Promise<RegistryKey | undefined> | undefined;

  /** @internal */
  constructor(
    name: string,
    header: HiveBaseBlock,
    dirty: boolean,
    recovery: HiveRecovery | undefined,
    rootCellOffset: number,
    context: HiveContext,
    cache: PageCache,
  ) {
    this.name = name;
    this.header = header;
    this.dirty = dirty;
    this.recovery = recovery;
    this.rootCellOffset = rootCellOffset;
    this.#context = context;
    this.#cache = cache;
  }

  /** Damage found so far (reading is lazy: more appear as more of the hive is read). */
  get diagnostics(): readonly HiveDiagnostic[] {
    return this.#context.log.entries;
  }

  /** Diagnostics not kept because `maxDiagnostics` was reached. */
  get diagnosticsDropped(): number {
    return this.#context.log.dropped;
  }

  /** The hive bins data size in use (after log replay; clamped to what the file holds). */
  get hiveBinsDataSize(): number {
    return this.#context.cells.hiveBinsDataSize;
  }

  /** The valid hive bins found, as `[offset, size]` pairs relative to the start of the hive bins data. */
  hiveBins(): Array<readonly [number, number]> {
    return this.#context.cells.bins();
  }

  /** Cache use: source reads made and 4 KiB pages held (for benchmarks). */
  get cacheStats(): { readonly reads: number; readonly pagesHeld: number; readonly pageSize: number } {
    return { reads: this.#cache.reads, pagesHeld: this.#cache.pagesHeld, pageSize: PAGE_SIZE };
  }

  /** Records a diagnostic on this hive (used by {@link walkHive}). @internal */
  report(diagnostic: HiveDiagnostic): void {
    this.#context.log.add(diagnostic.code, diagnostic.offset, diagnostic.reason);
  }

  /**
   * The root key. When the base block's root cell offset does not lead to a
   * key node, the hive bins are searched for the key node flagged as the
   * hive's root (KEY_HIVE_ENTRY), with a diagnostic.
   *
   * @returns the root key, or undefined when no key node can serve as one
   * @throws IO_ERROR when the source cannot be read
   */
  root(): Promise<RegistryKey | undefined> {
    this.#root ??= this.#findRoot();
    return this.#root;
  }

  async #findRoot(): Promise<RegistryKey | undefined> {
    const root = await readKey(this.#context, this.rootCellOffset, '', 'root key');
    if (root) return root;
    for await (const cell of this.#context.cells.scanCells('nk', 1_000_000)) {
      const head = await this.#context.cells.data(cell, 4);
      if ((u16(head, 2) & KEY_HIVE_ENTRY) === 0) continue;
      const key = await readKey(this.#context, cell.offset, '', 'root key (found by scanning)');
      if (key) {
        this.#context.log.add(
          'KEY',
          BASE_BLOCK_SIZE + this.rootCellOffset,
          `root cell offset ${this.rootCellOffset} is unusable; using the key node at ${cell.offset} flagged as the hive root`,
        );
        return key;
      }
    }
    return undefined;
  }

  /**
   * The key at `path` below the root, matched case-insensitively, one
   * component per backslash: `Microsoft\\Windows\\CurrentVersion\\Run`.
   * Empty components are ignored, so `""` and `"\\"` are the root itself.
   *
   * @returns the key, or undefined when a component does not exist (or is unreadable)
   * @throws IO_ERROR when the source cannot be read
   */
  async key(path: string): Promise<RegistryKey | undefined> {
    let key = await this.root();
    for (const part of path.split('\\')) {
      if (part === '' || key === undefined) continue;
      key = await key.subkey(part);
    }
    return key;
  }
}

/** One registry key (nk record). Subkeys and values are read when asked for. */
export class RegistryKey {
  /** The key name (Latin-1 when stored compressed, else UTF-16LE). */
  readonly name: string;
  /** The path from the root key (the root is `""`), components joined by `\`. */
  readonly path: string;
  /** Last written time, truncated to the millisecond. */
  readonly lastWritten: Date;
  /** Last written time as the raw FILETIME (100-ns intervals since 1601-01-01 UTC). */
  readonly lastWrittenFiletime: bigint;
  /** Key node flags (KEY_HIVE_ENTRY 0x4, KEY_SYM_LINK 0x10, KEY_COMP_NAME 0x20…). */
  readonly flags: number;
  /** The class name, when the key has one. */
  readonly classname: string | undefined;
  /** The key node cell, relative to the start of the hive bins data. */
  readonly cellOffset: number;
  /** The parent key node offset the key node stores. */
  readonly parentOffset: number;
  /** Number of subkeys the key node declares (the lists are what is read). */
  readonly subkeyCount: number;
  /** Number of values the key node declares. */
  readonly valueCount: number;
  /** The key security (sk) cell offset, or undefined when the key has none. */
  readonly securityOffset: number | undefined;
  readonly #context: HiveContext;
  readonly #subkeyListOffset: number;
  readonly #valueListOffset: number;

  /** @internal */
  constructor(
    context: HiveContext,
    fields: {
      name: string;
      path: string;
      filetime: bigint;
      flags: number;
      classname: string | undefined;
      cellOffset: number;
      parentOffset: number;
      subkeyCount: number;
      valueCount: number;
      securityOffset: number | undefined;
      subkeyListOffset: number;
      valueListOffset: number;
    },
  ) {
    this.#context = context;
    this.name = fields.name;
    this.path = fields.path;
    this.lastWrittenFiletime = fields.filetime;
    this.lastWritten = filetimeToDate(fields.filetime);
    this.flags = fields.flags;
    this.classname = fields.classname;
    this.cellOffset = fields.cellOffset;
    this.parentOffset = fields.parentOffset;
    this.subkeyCount = fields.subkeyCount;
    this.valueCount = fields.valueCount;
    this.securityOffset = fields.securityOffset;
    this.#subkeyListOffset = fields.subkeyListOffset;
    this.#valueListOffset = fields.valueListOffset;
  }

  #childPath(name: string): string {
    return this.path === '' ? name : `${this.path}\\${name}`;
  }

  /**
   * The subkeys, in list order (lf, lh, li, or an ri of those). A damaged
   * list element or key node is skipped with a diagnostic; a list cell
   * reached twice (a loop) is read once.
   *
   * @throws IO_ERROR when the source cannot be read
   */
  async subkeys(): Promise<RegistryKey[]> {
    const refs = await this.#subkeyRefs();
    const keys: RegistryKey[] = [];
    for (const ref of refs) {
      const key = await this.#readSubkey(ref.offset);
      if (key) keys.push(key);
    }
    return keys;
  }

  /**
   * One subkey by name, case-insensitively. For lh lists only the elements
   * whose hash matches are read (all of them if none matches, in case a
   * hash is damaged).
   *
   * @throws IO_ERROR when the source cannot be read
   */
  async subkey(name: string): Promise<RegistryKey | undefined> {
    const folded = foldName(name);
    const refs = await this.#subkeyRefs();
    const hash = lhHash(folded);
    const likely = refs.filter((ref) => ref.hash === undefined || ref.hash === hash);
    for (const candidates of likely.length === refs.length ? [refs] : [likely, refs]) {
      for (const ref of candidates) {
        const key = await this.#readSubkey(ref.offset);
        if (key && foldName(key.name) === folded) return key;
      }
    }
    return undefined;
  }

  async #readSubkey(offset: number): Promise<RegistryKey | undefined> {
    const key = await readKey(this.#context, offset, undefined, `subkey of "${this.path}"`, (name) =>
      this.#childPath(name),
    );
    if (key && key.parentOffset !== this.cellOffset) {
      this.#context.log.add(
        'KEY',
        BASE_BLOCK_SIZE + offset,
        `key node "${key.path}" names parent ${key.parentOffset}, but it is listed under the key node at ${this.cellOffset}`,
      );
    }
    return key;
  }

  async #subkeyRefs(): Promise<SubkeyRef[]> {
    const { cells, log, limits } = this.#context;
    const list = this.#subkeyListOffset;
    if (list === NO_CELL || list === 0) {
      if (this.subkeyCount > 0) {
        log.add(
          'LIST',
          BASE_BLOCK_SIZE + this.cellOffset,
          `key "${this.path}" declares ${this.subkeyCount} subkeys but has no subkey list`,
        );
      }
      return [];
    }
    const refs: SubkeyRef[] = [];
    const seenLists = new Set<number>();
    const seenKeys = new Set<number>();
    const what = `subkey list of "${this.path}"`;
    let truncated = false;
    const visit = async (offset: number, depth: number): Promise<void> => {
      if (truncated) return;
      if (seenLists.has(offset)) {
        log.add(
          'LIST',
          BASE_BLOCK_SIZE + offset,
          `${what}: list cell ${offset} is referenced twice (a loop); read once`,
        );
        return;
      }
      seenLists.add(offset);
      const cell = await cells.cell(offset, what);
      if (!cell) return;
      const head = await cells.data(cell, 4);
      if (head.length < 4) {
        log.add('LIST', cell.fileOffset, `${what}: list cell ${offset} is too small for a list header`);
        return;
      }
      const count = u16(head, 2);
      const kind = hasSignature(head, 0, 'lf')
        ? 'lf'
        : hasSignature(head, 0, 'lh')
          ? 'lh'
          : hasSignature(head, 0, 'li')
            ? 'li'
            : hasSignature(head, 0, 'ri')
              ? 'ri'
              : undefined;
      if (kind === undefined) {
        log.add(
          'LIST',
          cell.fileOffset,
          `${what}: cell ${offset} has signature "${signatureText(head, 0)}", not lf, lh, li or ri; skipped`,
        );
        return;
      }
      if (kind === 'ri' && depth > 0) {
        log.add(
          'LIST',
          cell.fileOffset,
          `${what}: index root ${offset} inside an index root (not allowed); skipped`,
        );
        return;
      }
      const width = kind === 'lf' || kind === 'lh' ? 8 : 4;
      let usable = count;
      if (4 + count * width > cell.dataSize) {
        usable = Math.floor((cell.dataSize - 4) / width);
        log.add(
          'LIST',
          cell.fileOffset,
          `${what}: ${kind} list ${offset} declares ${count} elements but its cell holds ${usable}; reading ${usable}`,
        );
      }
      const body = await cells.data(cell, usable * width, 4);
      for (let i = 0; i < usable && (i + 1) * width <= body.length; i++) {
        const element = u32(body, i * width);
        if (kind === 'ri') {
          await visit(element, depth + 1);
          if (truncated) return;
          continue;
        }
        if (seenKeys.has(element)) {
          log.add(
            'LIST',
            cell.fileOffset,
            `${what}: key node ${element} is listed twice; the second entry is skipped`,
          );
          continue;
        }
        if (refs.length >= limits.maxListEntries) {
          log.add(
            'LIMIT',
            cell.fileOffset,
            `${what}: more than ${limits.maxListEntries} subkeys (maxListEntries); the rest are skipped`,
          );
          truncated = true;
          return;
        }
        seenKeys.add(element);
        refs.push(kind === 'lh' ? { offset: element, hash: u32(body, i * width + 4) } : { offset: element });
      }
    };
    await visit(list, 0);
    if (!truncated && refs.length !== this.subkeyCount) {
      log.add(
        'LIST',
        BASE_BLOCK_SIZE + this.cellOffset,
        `key "${this.path}" declares ${this.subkeyCount} subkeys but its lists hold ${refs.length}`,
      );
    }
    return refs;
  }

  async #valueOffsets(): Promise<number[]> {
    const { cells, log, limits } = this.#context;
    let count = this.valueCount;
    if (count === 0) return [];
    const list = this.#valueListOffset;
    const what = `values list of "${this.path}"`;
    if (list === NO_CELL) {
      log.add(
        'LIST',
        BASE_BLOCK_SIZE + this.cellOffset,
        `key "${this.path}" declares ${count} values but has no values list`,
      );
      return [];
    }
    if (count > limits.maxListEntries) {
      log.add(
        'LIMIT',
        BASE_BLOCK_SIZE + this.cellOffset,
        `key "${this.path}" declares ${count} values, more than maxListEntries (${limits.maxListEntries}); reading the first ${limits.maxListEntries}`,
      );
      count = limits.maxListEntries;
    }
    const cell = await cells.cell(list, what);
    if (!cell) return [];
    if (count * 4 > cell.dataSize) {
      const usable = Math.floor(cell.dataSize / 4);
      log.add(
        'LIST',
        cell.fileOffset,
        `${what}: ${count} values declared but the list cell holds ${usable}; reading ${usable}`,
      );
      count = usable;
    }
    const body = await cells.data(cell, count * 4);
    const offsets: number[] = [];
    const seen = new Set<number>();
    for (let i = 0; i + 4 <= body.length; i += 4) {
      const offset = u32(body, i);
      if (seen.has(offset)) {
        log.add(
          'LIST',
          cell.fileOffset,
          `${what}: key value ${offset} is listed twice; the second entry is skipped`,
        );
        continue;
      }
      seen.add(offset);
      offsets.push(offset);
    }
    return offsets;
  }

  /**
   * The values, in list order, each with its data. A damaged value is
   * skipped or cut short, with a diagnostic.
   *
   * @throws IO_ERROR when the source cannot be read
   */
  async values(): Promise<RegistryValue[]> {
    const values: RegistryValue[] = [];
    const shared = new Map<number, Uint8Array>();
    for (const offset of await this.#valueOffsets()) {
      const head = await readValueHead(this.#context, offset, this.path);
      if (head) values.push(await loadValue(this.#context, head, shared));
    }
    return values;
  }

  /**
   * One value by name, case-insensitively; `""` is the default value. Only
   * the matching value's data is read.
   *
   * @throws IO_ERROR when the source cannot be read
   */
  async value(name: string): Promise<RegistryValue | undefined> {
    const folded = foldName(name);
    for (const offset of await this.#valueOffsets()) {
      const head = await readValueHead(this.#context, offset, this.path);
      if (head && foldName(head.name) === folded) return loadValue(this.#context, head, new Map());
    }
    return undefined;
  }

  /**
   * The key security item: reference count, descriptor, owner and group.
   *
   * @returns the item, or undefined when the key has none or it is unreadable (with a diagnostic)
   * @throws IO_ERROR when the source cannot be read
   */
  async security(): Promise<KeySecurity | undefined> {
    if (this.securityOffset === undefined) return undefined;
    const { cells, log } = this.#context;
    const what = `security of "${this.path}"`;
    const cell = await cells.cell(this.securityOffset, what);
    if (!cell) return undefined;
    const head = await cells.data(cell, 20);
    if (head.length < 20 || !hasSignature(head, 0, 'sk')) {
      log.add(
        'SECURITY',
        cell.fileOffset,
        `${what}: cell ${cell.offset} is not a key security item (signature "${signatureText(head, 0)}")`,
      );
      return undefined;
    }
    let size = u32(head, 16);
    if (20 + size > cell.dataSize) {
      log.add(
        'SECURITY',
        cell.fileOffset,
        `${what}: descriptor of ${size} bytes does not fit its cell; reading ${cell.dataSize - 20}`,
      );
      size = cell.dataSize - 20;
    }
    const descriptor = Uint8Array.from(await cells.data(cell, size, 20));
    return {
      cellOffset: cell.offset,
      referenceCount: u32(head, 12),
      descriptor,
      ...describeDescriptor(descriptor),
    };
  }
}

/** Where a named cell (nk or vk) keeps its flags and name. */
interface NamedCellLayout {
  readonly signature: 'nk' | 'vk';
  /** For messages: `key node`, `key value`. */
  readonly kind: string;
  readonly category: 'KEY' | 'VALUE';
  readonly headerSize: number;
  readonly flagsAt: number;
  readonly nameLengthAt: number;
  /** The flag saying the name is ASCII (Latin-1), not UTF-16LE. */
  readonly compressedFlag: number;
}

/**
 * Reads the fixed header and the name of an nk or vk cell (Suhanov 2.3 and
 * 2.4: the name follows the header; a flag says whether it is ASCII or
 * UTF-16LE). A wrong signature or a header cut short is a diagnostic and
 * undefined; a name longer than its cell is cut to the cell, with a
 * diagnostic.
 */
async function readNamedCell(
  context: HiveContext,
  offset: number,
  what: string,
  layout: NamedCellLayout,
): Promise<{ cell: CellRef; head: Uint8Array; flags: number; name: string } | undefined> {
  const { cells, log } = context;
  const cell = await cells.cell(offset, what);
  if (!cell) return undefined;
  const head = Uint8Array.from(await cells.data(cell, layout.headerSize));
  if (!hasSignature(head, 0, layout.signature)) {
    log.add(
      layout.category,
      cell.fileOffset,
      `${what}: cell ${offset} has signature "${signatureText(head, 0)}", not ${layout.signature}; skipped`,
    );
    return undefined;
  }
  if (head.length < layout.headerSize) {
    log.add(
      layout.category,
      cell.fileOffset,
      `${what}: ${layout.kind} ${offset} is only ${cell.dataSize} bytes; skipped`,
    );
    return undefined;
  }
  const flags = u16(head, layout.flagsAt);
  let nameLength = u16(head, layout.nameLengthAt);
  if (layout.headerSize + nameLength > cell.dataSize) {
    log.add(
      layout.category,
      cell.fileOffset,
      `${what}: ${layout.kind} ${offset} declares a ${nameLength}-byte name but its cell holds ${cell.dataSize - layout.headerSize}; name cut short`,
    );
    nameLength = cell.dataSize - layout.headerSize;
  }
  const nameBytes = await cells.data(cell, nameLength, layout.headerSize);
  const name = (flags & layout.compressedFlag) !== 0 ? decodeLatin1(nameBytes) : decodeUtf16le(nameBytes);
  return { cell, head, flags, name };
}

/**
 * Reads a key node. `path` is the path to give the key, or undefined to
 * compute it from the name with `childPath`.
 */
async function readKey(
  context: HiveContext,
  offset: number,
  path: string | undefined,
  what: string,
  childPath?: (name: string) => string,
): Promise<RegistryKey | undefined> {
  const { cells, log } = context;
  const read = await readNamedCell(context, offset, what, {
    signature: 'nk',
    kind: 'key node',
    category: 'KEY',
    headerSize: NK_HEADER,
    flagsAt: 2,
    nameLengthAt: 72,
    compressedFlag: KEY_COMP_NAME,
  });
  if (!read) return undefined;
  const { head, flags, name } = read;
  const keyPath = path ?? childPath?.(name) ?? name;
  const classOffset = u32(head, 48);
  const classLength = u16(head, 74);
  let classname: string | undefined;
  if (classOffset !== NO_CELL && classOffset !== 0 && classLength > 0) {
    const classCell = await cells.cell(classOffset, `class name of "${keyPath}"`);
    if (classCell) {
      if (classLength > classCell.dataSize) {
        log.add(
          'KEY',
          classCell.fileOffset,
          `class name of "${keyPath}": ${classLength} bytes declared but its cell holds ${classCell.dataSize}; cut short`,
        );
      }
      classname = decodeUtf16le(await cells.data(classCell, classLength));
    }
  }
  const security = u32(head, 44);
  return new RegistryKey(context, {
    name,
    path: keyPath,
    filetime: u64(head, 4),
    flags,
    classname,
    cellOffset: offset,
    parentOffset: u32(head, 16),
    subkeyCount: u32(head, 20),
    valueCount: u32(head, 36),
    securityOffset: security === NO_CELL ? undefined : security,
    subkeyListOffset: u32(head, 28),
    valueListOffset: u32(head, 40),
  });
}

/** A key value's fixed fields and name, before its data is read. */
interface ValueHead {
  readonly name: string;
  readonly path: string;
  readonly cell: CellRef;
  readonly typeCode: number;
  readonly rawSize: number;
  readonly dataOffset: number;
  readonly flags: number;
}

async function readValueHead(
  context: HiveContext,
  offset: number,
  keyPath: string,
): Promise<ValueHead | undefined> {
  const what = `value of "${keyPath}"`;
  const read = await readNamedCell(context, offset, what, {
    signature: 'vk',
    kind: 'key value',
    category: 'VALUE',
    headerSize: VK_HEADER,
    flagsAt: 16,
    nameLengthAt: 2,
    compressedFlag: VALUE_COMP_NAME,
  });
  if (!read) return undefined;
  const { cell, head, flags, name } = read;
  return {
    name,
    path: keyPath,
    cell,
    typeCode: u32(head, 12),
    rawSize: u32(head, 4),
    dataOffset: u32(head, 8),
    flags,
  };
}

const EMPTY = new Uint8Array(0);

/** Reads a value's data (Suhanov, "Key value" > "Data size"; "Big data"; libyal 4.4, 4.6). */
async function loadValue(
  context: HiveContext,
  head: ValueHead,
  shared: Map<number, Uint8Array>,
): Promise<RegistryValue> {
  const { cells, log, limits } = context;
  const inline = head.rawSize >= 0x80000000;
  const size = head.rawSize & 0x7fffffff;
  const label = `value "${head.name}" of "${head.path}"`;
  const make = (data: Uint8Array, storage: ValueStorage, damaged: boolean): RegistryValue =>
    new RegistryValue({
      name: head.name,
      typeCode: head.typeCode,
      dataSize: size,
      data,
      storage,
      damaged,
      cellOffset: head.cell.offset,
      flags: head.flags,
    });

  if (inline) {
    const inlineBytes = new Uint8Array(4);
    inlineBytes[0] = head.dataOffset & 0xff;
    inlineBytes[1] = (head.dataOffset >>> 8) & 0xff;
    inlineBytes[2] = (head.dataOffset >>> 16) & 0xff;
    inlineBytes[3] = (head.dataOffset >>> 24) & 0xff;
    if (size > 4) {
      log.add(
        'VALUE',
        head.cell.fileOffset,
        `${label}: data stored in the key value declares ${size} bytes (at most 4 fit); reading 4`,
      );
      return make(inlineBytes, 'inline', true);
    }
    return make(inlineBytes.subarray(0, size), size === 0 ? 'empty' : 'inline', false);
  }
  if (size === 0) return make(EMPTY, 'empty', false);
  if (size > limits.maxValueBytes) {
    log.add(
      'LIMIT',
      head.cell.fileOffset,
      `${label}: ${size} bytes of data is more than maxValueBytes (${limits.maxValueBytes}); data not read`,
    );
    return make(EMPTY, 'cell', true);
  }
  const known = shared.get(head.dataOffset);
  if (known) return make(known, 'cell', known.length < size);

  const cell = await cells.cell(head.dataOffset, `data of ${label}`);
  if (!cell) return make(EMPTY, 'cell', true);
  if (context.minorVersion > 3 && size > BIG_DATA_THRESHOLD) {
    const sig = await cells.data(cell, 2);
    if (hasSignature(sig, 0, 'db')) return make(...(await readBigData(context, cell, size, label)));
  }
  let damaged = false;
  if (size > cell.dataSize) {
    // libyal section 6 "Value data size exceeds hive bin cell value size": the cell size is used.
    log.add(
      'VALUE',
      cell.fileOffset,
      `${label}: ${size} bytes declared but the data cell holds ${cell.dataSize}; data cut short`,
    );
    damaged = true;
  }
  const data = Uint8Array.from(await cells.data(cell, size));
  shared.set(head.dataOffset, data);
  return make(data, 'cell', damaged);
}

/** Concatenates the segments of a big data record (db), each at most 16,344 bytes. */
async function readBigData(
  context: HiveContext,
  db: CellRef,
  size: number,
  label: string,
): Promise<[Uint8Array, ValueStorage, boolean]> {
  const { cells, log } = context;
  const head = await cells.data(db, 8);
  if (head.length < 8) {
    log.add('VALUE', db.fileOffset, `${label}: big data record ${db.offset} is too small`);
    return [EMPTY, 'big-data', true];
  }
  const segments = u16(head, 2);
  const needed = Math.ceil(size / BIG_DATA_THRESHOLD);
  if (segments < needed) {
    log.add(
      'VALUE',
      db.fileOffset,
      `${label}: big data record has ${segments} segments, ${needed} are needed for ${size} bytes; data cut short`,
    );
  }
  const list = await cells.cell(u32(head, 4), `segment list of ${label}`);
  if (!list) return [EMPTY, 'big-data', true];
  let count = Math.min(segments, needed);
  if (count * 4 > list.dataSize) {
    log.add(
      'VALUE',
      list.fileOffset,
      `${label}: segment list holds ${Math.floor(list.dataSize / 4)} of ${count} segments; data cut short`,
    );
    count = Math.floor(list.dataSize / 4);
  }
  const offsets = await cells.data(list, count * 4);
  const data = new Uint8Array(size);
  let filled = 0;
  let damaged = segments < needed;
  for (let i = 0; i < count && filled < size; i++) {
    const segment = await cells.cell(u32(offsets, i * 4), `segment ${i} of ${label}`);
    if (!segment) {
      damaged = true;
      break;
    }
    const want = Math.min(BIG_DATA_THRESHOLD, size - filled);
    const bytes = await cells.data(segment, want);
    data.set(bytes, filled);
    filled += bytes.length;
    if (bytes.length < want) {
      log.add(
        'VALUE',
        segment.fileOffset,
        `${label}: segment ${i} holds ${bytes.length} of ${want} bytes; data cut short`,
      );
      damaged = true;
      break;
    }
  }
  return [filled === size ? data : data.slice(0, filled), 'big-data', damaged || filled < size];
}
