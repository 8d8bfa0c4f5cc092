/**
 * An incremental splitter for CloudTrail files: it finds the records of a
 * `{"Records":[…]}` file, a plain JSON array, or one-record-per-line
 * (NDJSON) text in a byte stream without parsing the whole file. It tracks
 * only string/escape state and bracket depth, buffers one record at a time
 * (bounded by `maxRecordBytes`) and hands each record's bytes to a callback.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const NEWLINE = 0x0a;
const COMMA = 0x2c;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

type Mode =
  /** Before the first byte that is not whitespace. */
  | 'start'
  /** Inside a top-level array: elements at depth 1. */
  | 'array'
  /** Inside a top-level object that may hold `Records`, or be a record itself. */
  | 'object'
  /** Inside the `Records` array: elements at depth 2. */
  | 'records'
  /** After the `Records` array, until the top-level object closes. */
  | 'after'
  /** One record per line. */
  | 'lines'
  /** Nothing more is expected. */
  | 'done'
  /** The file is not one of the shapes above; the rest is ignored. */
  | 'failed';

/** What the splitter reports: a record's bytes, or a problem at a byte offset. */
export interface SplitterSink {
  record(bytes: Buffer, index: number): void;
  problem(reason: string, offset: number, index?: number): void;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** Splits one file; call {@link RecordSplitter.push} per chunk and {@link RecordSplitter.end} once. */
export class RecordSplitter {
  private mode: Mode = 'start';
  private depth = 0;
  private elementDepth = -1;
  private inString = false;
  private escape = false;
  /** Offset in the file of the current chunk's first byte. */
  private base = 0;
  /** The current element's pieces from earlier chunks, or undefined outside an element. */
  private pieces: Buffer[] | undefined;
  private pieceBytes = 0;
  private oversized = false;
  private elementStart = -1;
  private elementOffset = 0;
  private index = 0;
  /** Start of a string at depth 1 of the top-level object (a key candidate), in the current chunk. */
  private keyStart = -1;
  private lastKey: string | undefined;
  private strayReported = false;
  /** How many bytes of a UTF-8 BOM the file has begun with so far (it may be cut across chunks); 3 once checked. */
  private bomBytes = 0;

  constructor(
    private readonly sink: SplitterSink,
    private readonly maxRecordBytes: number,
    private readonly preferLines: boolean,
  ) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    while (this.bomBytes < 3 && buf.length > 0) {
      if (buf[0] !== UTF8_BOM[this.bomBytes]) {
        if (this.bomBytes > 0) {
          this.sink.problem('not a CloudTrail file: starts with a broken UTF-8 BOM', this.base);
          this.mode = 'failed';
        }
        this.bomBytes = 3;
        break;
      }
      this.bomBytes++;
      buf = buf.subarray(1);
      this.base++;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.mode === 'start') {
        while (i < n && isSpace(buf[i] as number)) i++;
        if (i >= n) break;
        const c = buf[i] as number;
        if (c === LBRACKET) {
          this.mode = 'array';
          this.depth = 1;
          this.elementDepth = 1;
          i++;
        } else if (c === LBRACE) {
          if (this.preferLines) {
            this.mode = 'lines';
          } else {
            this.mode = 'object';
            this.elementDepth = 0;
          }
        } else {
          this.sink.problem(
            'not a CloudTrail file: expected {"Records":[…]}, a JSON array or NDJSON',
            this.base + i,
          );
          this.mode = 'failed';
        }
        continue;
      }
      if (this.mode === 'lines') {
        i = this.scanLines(buf, i);
        continue;
      }
      if (this.mode === 'failed') break;
      i = this.scanStructure(buf, i);
    }
    this.carry(buf, n);
    this.base += n;
  }

  end(): void {
    if (this.mode === 'lines') {
      if (this.pieces !== undefined) this.emitLine(Buffer.alloc(0), 0, 0);
      this.mode = 'done';
      return;
    }
    if (this.mode === 'start' || this.mode === 'done' || this.mode === 'failed') {
      if (this.mode === 'start') this.sink.problem('empty file', this.base);
      return;
    }
    if (this.pieces !== undefined) {
      this.sink.problem('file ends inside a record (truncated)', this.elementOffset, this.index);
      this.pieces = undefined;
    } else {
      this.sink.problem(
        this.inString
          ? 'file ends inside a string (truncated)'
          : 'file ends before its closing bracket (truncated)',
        this.base,
      );
    }
    this.mode = 'done';
  }

  /** Keeps the unfinished element's (or key's) bytes of this chunk for the next one. */
  private carry(buf: Buffer, n: number): void {
    if (this.pieces !== undefined) {
      this.addPiece(buf.subarray(this.elementStart, n));
      this.elementStart = 0;
    } else {
      this.elementStart = -1;
    }
    if (this.keyStart >= 0 && this.inString) {
      const part =
        (this.keyPartial ?? '') +
        buf.toString('latin1', this.keyPartial === undefined ? this.keyStart + 1 : 0, n);
      this.keyPartial = part.length <= 64 ? part : undefined;
      this.keyStart = this.keyPartial === undefined ? -1 : 0;
    } else {
      this.keyStart = -1;
      this.keyPartial = undefined;
    }
  }

  /** The part of a key string from earlier chunks. */
  private keyPartial: string | undefined;

  private addPiece(piece: Buffer): void {
    if (this.oversized || piece.length === 0) return;
    this.pieceBytes += piece.length;
    if (this.pieceBytes > this.maxRecordBytes) {
      this.oversized = true;
      (this.pieces as Buffer[]).length = 0;
      return;
    }
    (this.pieces as Buffer[]).push(piece);
  }

  private beginElement(i: number): void {
    this.pieces = [];
    this.pieceBytes = 0;
    this.oversized = false;
    this.elementStart = i;
    this.elementOffset = this.base + i;
    this.strayReported = false;
  }

  private finishElement(buf: Buffer, endExclusive: number): void {
    const tail = buf.subarray(this.elementStart, endExclusive);
    const pieces = this.pieces as Buffer[];
    const index = this.index++;
    const size = this.pieceBytes + tail.length;
    if (this.oversized || size > this.maxRecordBytes) {
      this.sink.problem(
        `record larger than ${this.maxRecordBytes} bytes, skipped`,
        this.elementOffset,
        index,
      );
    } else {
      this.sink.record(pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]), index);
    }
    this.pieces = undefined;
    this.pieceBytes = 0;
    this.elementStart = -1;
  }

  private scanStructure(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    while (i < n) {
      if (this.inString) {
        if (this.escape) {
          this.escape = false;
          i++;
          if (i >= n) break;
        }
        const q = buf.indexOf(QUOTE, i);
        if (q < 0) {
          let k = 0;
          for (let j = n - 1; j >= i && buf[j] === BACKSLASH; j--) k++;
          this.escape = (k & 1) === 1;
          return n;
        }
        let k = 0;
        for (let j = q - 1; j >= i && buf[j] === BACKSLASH; j--) k++;
        if ((k & 1) === 1) {
          i = q + 1;
          continue;
        }
        this.inString = false;
        if (this.keyStart >= 0) {
          const key =
            this.keyPartial === undefined
              ? buf.toString('latin1', this.keyStart + 1, q)
              : this.keyPartial + buf.toString('latin1', 0, q);
          this.lastKey = key.length <= 64 ? key : undefined;
          this.keyStart = -1;
          this.keyPartial = undefined;
        }
        i = q + 1;
        continue;
      }
      const c = buf[i] as number;
      if (this.mode === 'done') {
        if (!isSpace(c)) {
          this.sink.problem('data after the end of the JSON document, ignored', this.base + i);
          this.mode = 'failed';
          return n;
        }
        i++;
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        if (this.mode === 'object' && this.depth === 1) this.keyStart = i;
        else if (this.depth === this.elementDepth && this.pieces === undefined) this.stray(i);
        i++;
        continue;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (this.mode === 'object' && this.depth === 1 && c === LBRACKET && this.lastKey === 'Records') {
          // A CloudTrail file: forget the buffered top-level object, read the array's elements.
          this.pieces = undefined;
          this.elementStart = -1;
          this.mode = 'records';
          this.elementDepth = 2;
          this.depth = 2;
          i++;
          continue;
        }
        if (this.depth === this.elementDepth && this.pieces === undefined) this.beginElement(i);
        this.depth++;
        i++;
        continue;
      }
      if (c === RBRACE || c === RBRACKET) {
        this.depth--;
        i++;
        if (this.depth < 0) {
          this.sink.problem('unbalanced closing bracket', this.base + i - 1);
          this.mode = 'failed';
          this.pieces = undefined;
          return n;
        }
        if (this.depth === this.elementDepth && this.pieces !== undefined) {
          this.finishElement(buf, i);
          if (this.mode === 'object') {
            // The top-level object was a record itself: the rest is one record per line.
            this.mode = 'lines';
            return i;
          }
        } else if (this.mode === 'records' && this.depth === 1) {
          this.mode = 'after';
          this.elementDepth = -1;
        } else if (this.depth === 0 && (this.mode === 'array' || this.mode === 'after')) {
          this.mode = 'done';
          this.elementDepth = -1;
        }
        continue;
      }
      if (!isSpace(c) && c !== COMMA && c !== 0x3a) {
        if (this.depth === this.elementDepth && this.pieces === undefined) this.stray(i);
      } else if (c === COMMA && this.depth === this.elementDepth) {
        // The next element is a new one: if it is not an object either, it is reported too.
        this.strayReported = false;
      }
      i++;
    }
    return n;
  }

  private stray(i: number): void {
    if (this.strayReported) return;
    this.strayReported = true;
    this.index++;
    this.sink.problem('array element is not a JSON object, skipped', this.base + i, this.index - 1);
  }

  private scanLines(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    while (i < n) {
      const nl = buf.indexOf(NEWLINE, i);
      if (nl < 0) {
        // carry() keeps buf[elementStart, n) as a piece.
        if (this.pieces === undefined) this.beginElement(i);
        return n;
      }
      this.emitLine(buf, i, nl);
      i = nl + 1;
    }
    return n;
  }

  /** A line is buf[from, to) preceded by any pieces from earlier chunks. */
  private emitLine(buf: Buffer, from: number, to: number): void {
    const pieces = this.pieces;
    const offset = pieces === undefined ? this.base + from : this.elementOffset;
    let line = buf.subarray(from, to);
    if (pieces !== undefined) {
      if (this.oversized || this.pieceBytes + line.length > this.maxRecordBytes) {
        this.pieces = undefined;
        this.sink.problem(`record larger than ${this.maxRecordBytes} bytes, skipped`, offset, this.index++);
        return;
      }
      if (pieces.length > 0) line = Buffer.concat([...pieces, line]);
      this.pieces = undefined;
      this.pieceBytes = 0;
    }
    let a = 0;
    let b = line.length;
    while (a < b && isSpace(line[a] as number)) a++;
    while (b > a && isSpace(line[b - 1] as number)) b--;
    if (a === b) return;
    if (line.length > this.maxRecordBytes) {
      this.sink.problem(`record larger than ${this.maxRecordBytes} bytes, skipped`, offset, this.index++);
      return;
    }
    this.sink.record(line.subarray(a, b), this.index++);
  }
}

/** `"Records"` as bytes. */
const RECORDS_KEY = Buffer.from('"Records"', 'latin1');

function skipSpace(buf: Buffer, from: number, to: number): number {
  let i = from;
  while (i < to && isSpace(buf[i] as number)) i++;
  return i;
}

/**
 * A whole file's records in one `JSON.parse`, for a file held in memory
 * that is exactly `{"Records":[…]}` (whitespace allowed, a UTF-8 BOM
 * skipped) whose elements are all objects or arrays: then they are what a
 * {@link RecordSplitter} would hand over one by one, in order, with no
 * problem reported. For anything else (invalid JSON, other keys, other
 * shapes, an element the splitter would report) it returns `undefined` and
 * the caller splits the file. The caller makes sure no record can be larger
 * than its `maxRecordBytes` (the whole file is not).
 *
 * Only the array is parsed: `[…]` is valid JSON exactly when the `[` after
 * `"Records":` closes at the file's last `]`, so a second `Records` key or
 * any other key cannot slip through.
 *
 * @param buf - the whole (decompressed) file
 * @returns the parsed records, or `undefined` when the file must be split
 */
export function wholeRecords(buf: Buffer): unknown[] | undefined {
  let end = buf.length;
  let i = end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  i = skipSpace(buf, i, end);
  if (buf[i] !== LBRACE) return undefined;
  i = skipSpace(buf, i + 1, end);
  if (
    end - i < RECORDS_KEY.length ||
    buf.compare(RECORDS_KEY, 0, RECORDS_KEY.length, i, i + RECORDS_KEY.length) !== 0
  )
    return undefined;
  i = skipSpace(buf, i + RECORDS_KEY.length, end);
  if (buf[i] !== 0x3a) return undefined;
  const open = skipSpace(buf, i + 1, end);
  if (buf[open] !== LBRACKET) return undefined;
  while (end > open && isSpace(buf[end - 1] as number)) end--;
  if (buf[end - 1] !== RBRACE) return undefined;
  end--;
  while (end > open && isSpace(buf[end - 1] as number)) end--;
  if (end - 1 <= open || buf[end - 1] !== RBRACKET) return undefined;
  let records: unknown;
  try {
    records = JSON.parse(buf.toString('utf8', open, end));
  } catch {
    return undefined;
  }
  if (!Array.isArray(records)) return undefined;
  for (const record of records) if (typeof record !== 'object' || record === null) return undefined;
  return records;
}
