/**
 * Builds small EVTX files for tests: a valid file header, chunks with
 * correct CRC-32s, template definitions (inline on first use in a chunk,
 * referenced by offset afterwards), template instances with values of every
 * type, and records written without a template. Layout per libyal "Windows
 * XML Event Log (EVTX) format" and MS-EVEN6 2.2.12; names are written inline
 * on first use in a chunk and referenced by offset afterwards, as Windows does.
 */
import { crc32 } from 'node:zlib';

/** A BinXml node to write. */
export type XNode =
  | {
      readonly t: 'el';
      readonly name: string;
      readonly attrs: readonly XAttr[];
      readonly children: readonly XNode[];
    }
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'sub'; readonly index: number; readonly type: number; readonly optional: boolean }
  | { readonly t: 'charref'; readonly code: number }
  | { readonly t: 'entity'; readonly name: string }
  | { readonly t: 'cdata'; readonly text: string }
  | { readonly t: 'pi'; readonly target: string; readonly data: string };

/** An attribute to write: name and value nodes (text, substitutions, references). */
export type XAttr = readonly [name: string, value: readonly XNode[]];

/** `<name a="…">children</name>`; attribute values given as a string are literal text. */
export function el(
  name: string,
  attrs: Record<string, string | XNode | readonly XNode[]> = {},
  ...children: (XNode | string)[]
): XNode {
  return {
    t: 'el',
    name,
    attrs: Object.entries(attrs).map(
      ([k, v]): XAttr => [k, typeof v === 'string' ? [text(v)] : Array.isArray(v) ? v : [v as XNode]],
    ),
    children: children.map((c) => (typeof c === 'string' ? text(c) : c)),
  };
}
export const text = (value: string): XNode => ({ t: 'text', text: value });
export const sub = (index: number, type: number): XNode => ({ t: 'sub', index, type, optional: false });
export const opt = (index: number, type: number): XNode => ({ t: 'sub', index, type, optional: true });
export const charRef = (code: number): XNode => ({ t: 'charref', code });
export const entityRef = (name: string): XNode => ({ t: 'entity', name });
export const cdata = (value: string): XNode => ({ t: 'cdata', text: value });
export const pi = (target: string, data: string): XNode => ({ t: 'pi', target, data });

/** A substitution value: its type and bytes, or for BinXml (0x21) a writer called with the value's chunk offset. */
export type XValue =
  | { readonly type: number; readonly bytes: Uint8Array }
  | { readonly type: 0x21; readonly build: (w: BinXmlWriter) => void };

const le = (width: number, value: number | bigint): Uint8Array => {
  const b = new Uint8Array(width);
  const view = new DataView(b.buffer);
  if (width === 1) view.setUint8(0, Number(value) & 0xff);
  else if (width === 2) view.setUint16(0, Number(value) & 0xffff, true);
  else if (width === 4) view.setUint32(0, Number(BigInt.asUintN(32, BigInt(value))), true);
  else view.setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
  return b;
};
const utf16 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf16le'));
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** GUID text `{…}` or bare to its 16 bytes (first three fields little-endian). */
export function guidBytes(guid: string): Uint8Array {
  const hex = guid.replace(/[{}-]/g, '');
  const b = Buffer.from(hex, 'hex');
  return concat(
    Uint8Array.from(b.subarray(0, 4)).reverse(),
    Uint8Array.from(b.subarray(4, 6)).reverse(),
    Uint8Array.from(b.subarray(6, 8)).reverse(),
    b.subarray(8, 16),
  );
}

/** SID text `S-1-5-21-…` to its bytes (MS-DTYP 2.4.2.2). */
export function sidBytes(sid: string): Uint8Array {
  const [, revision, authority, ...subs] = sid.split('-');
  const head = new Uint8Array(8);
  head[0] = Number(revision);
  head[1] = subs.length;
  let a = BigInt(authority ?? 0);
  for (let i = 7; i >= 2; i--) {
    head[i] = Number(a & 0xffn);
    a >>= 8n;
  }
  return concat(head, ...subs.map((s) => le(4, Number(s))));
}

/** Value constructors, one per BinXml value type. */
export const v = {
  null: (): XValue => ({ type: 0x00, bytes: new Uint8Array(0) }),
  string: (s: string, nul = false): XValue => ({ type: 0x01, bytes: utf16(nul ? `${s}\0` : s) }),
  ansi: (bytes: readonly number[]): XValue => ({ type: 0x02, bytes: Uint8Array.from(bytes) }),
  i8: (n: number): XValue => ({ type: 0x03, bytes: le(1, n) }),
  u8: (n: number): XValue => ({ type: 0x04, bytes: le(1, n) }),
  i16: (n: number): XValue => ({ type: 0x05, bytes: le(2, n) }),
  u16: (n: number): XValue => ({ type: 0x06, bytes: le(2, n) }),
  i32: (n: number): XValue => ({ type: 0x07, bytes: le(4, n) }),
  u32: (n: number): XValue => ({ type: 0x08, bytes: le(4, n) }),
  i64: (n: bigint): XValue => ({ type: 0x09, bytes: le(8, n) }),
  u64: (n: bigint | number): XValue => ({ type: 0x0a, bytes: le(8, BigInt(n)) }),
  real32: (n: number): XValue => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, n, true);
    return { type: 0x0b, bytes: b };
  },
  real64: (n: number): XValue => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, n, true);
    return { type: 0x0c, bytes: b };
  },
  bool: (b: boolean): XValue => ({ type: 0x0d, bytes: le(4, b ? 1 : 0) }),
  binary: (bytes: readonly number[]): XValue => ({ type: 0x0e, bytes: Uint8Array.from(bytes) }),
  guid: (g: string): XValue => ({ type: 0x0f, bytes: guidBytes(g) }),
  sizeT: (n: bigint, width: 4 | 8): XValue => ({ type: 0x10, bytes: le(width, n) }),
  filetime: (ticks: bigint): XValue => ({ type: 0x11, bytes: le(8, ticks) }),
  systemtime: (
    y: number,
    mo: number,
    dow: number,
    d: number,
    h: number,
    mi: number,
    s: number,
    ms: number,
  ): XValue => ({
    type: 0x12,
    bytes: concat(...[y, mo, dow, d, h, mi, s, ms].map((n) => le(2, n))),
  }),
  sid: (s: string): XValue => ({ type: 0x13, bytes: sidBytes(s) }),
  hex32: (n: number): XValue => ({ type: 0x14, bytes: le(4, n) }),
  hex64: (n: bigint): XValue => ({ type: 0x15, bytes: le(8, n) }),
  binxml: (build: (w: BinXmlWriter) => void): XValue => ({ type: 0x21, build }),
  /** Any type with raw bytes (arrays 0x81…, unknown types, wrong sizes). */
  raw: (type: number, bytes: readonly number[] | Uint8Array): XValue => ({
    type,
    bytes: Uint8Array.from(bytes),
  }),
  stringArray: (items: readonly string[]): XValue => ({
    type: 0x81,
    bytes: utf16(items.map((s) => `${s}\0`).join('')),
  }),
};

/** A template: its root and GUID. Written inline on first use in a chunk, referenced afterwards. */
export interface XTemplate {
  readonly root: XNode;
  readonly guid: string;
  readonly id: number;
}

let templateCounter = 0;
/** Defines a template (MS-EVEN6 3.1.4.7): a root element with substitutions. */
export function template(root: XNode, guid?: string): XTemplate {
  templateCounter += 1;
  const id = 0x1000 + templateCounter;
  return { root, id, guid: guid ?? `{${id.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000}` };
}

/** Per-chunk tables shared by the writers of its records: where names and templates already are. */
export interface ChunkTables {
  readonly names: Map<string, number>;
  readonly templates: Map<XTemplate, number>;
}

/** Writes BinXml at a known chunk offset (names and inline definitions depend on it). */
export class BinXmlWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;
  /** Chunk offset of the first byte written. */
  readonly base: number;
  readonly tables: ChunkTables;
  /** Write names inline every time (as in a fragment with no shared name table) instead of referencing earlier ones. */
  readonly options: { readonly dependencyIdOutsideTemplates?: boolean; readonly alwaysInlineNames?: boolean };

  constructor(base: number, tables: ChunkTables, options: BinXmlWriter['options'] = {}) {
    this.base = base;
    this.tables = tables;
    this.options = options;
  }

  /** Chunk offset of the next byte. */
  get pos(): number {
    return this.base + this.length;
  }

  bytes(...parts: (Uint8Array | readonly number[])[]): this {
    for (const p of parts) {
      const b = p instanceof Uint8Array ? p : Uint8Array.from(p);
      this.parts.push(b);
      this.length += b.length;
    }
    return this;
  }

  u8 = (n: number) => this.bytes(le(1, n));
  u16 = (n: number) => this.bytes(le(2, n));
  u32 = (n: number) => this.bytes(le(4, n));

  toBytes(): Uint8Array {
    return concat(...this.parts);
  }

  /** A name reference: inline (offset = just past the reference) the first time in the chunk, then by offset. */
  name(name: string): this {
    const known = this.tables.names.get(name);
    if (known !== undefined && !this.options.alwaysInlineNames) return this.u32(known);
    const at = this.pos + 4;
    this.tables.names.set(name, at);
    const units = utf16(name);
    return this.u32(at)
      .u32(0)
      .u16(0)
      .u16(units.length / 2)
      .bytes(units)
      .u16(0);
  }

  fragmentHeader(): this {
    return this.bytes([0x0f, 0x01, 0x01, 0x00]);
  }

  eof(): this {
    return this.u8(0x00);
  }

  private prefixed(s: string): this {
    const units = utf16(s);
    return this.u16(units.length / 2).bytes(units);
  }

  /** Value-like nodes (text, substitutions, references), as in attribute values and content. */
  private valueNode(node: XNode, more: boolean): this {
    const flag = more ? 0x40 : 0;
    switch (node.t) {
      case 'text':
        return this.u8(0x05 | flag)
          .u8(0x01)
          .prefixed(node.text);
      case 'sub':
        return this.u8(node.optional ? 0x0e : 0x0d)
          .u16(node.index)
          .u8(node.type);
      case 'charref':
        return this.u8(0x08 | flag).u16(node.code);
      case 'entity':
        return this.u8(0x09 | flag).name(node.name);
      case 'cdata':
        return this.u8(0x07 | flag).prefixed(node.text);
      case 'pi':
        return this.u8(0x0a).name(node.target).u8(0x0b).prefixed(node.data);
      case 'el':
        throw new Error('element where a value was expected');
    }
  }

  /** An element (MS-EVEN6 2.2.12 `Element`), with the dependency id inside templates. */
  element(node: XNode, inTemplate: boolean): this {
    if (node.t !== 'el') return this.valueNode(node, false);
    const hasAttrs = node.attrs.length > 0;
    this.u8(hasAttrs ? 0x41 : 0x01);
    if (inTemplate || this.options.dependencyIdOutsideTemplates) this.u16(0xffff);
    const sizeAt = this.length;
    this.u32(0); // data size, patched below
    this.name(node.name);
    let attrSizeAt = -1;
    if (hasAttrs) {
      attrSizeAt = this.length;
      this.u32(0);
    }
    const attrStart = this.length;
    node.attrs.forEach(([name, value], i) => {
      this.u8(i < node.attrs.length - 1 ? 0x46 : 0x06).name(name);
      value.forEach((part, j) => {
        this.valueNode(part, j < value.length - 1);
      });
    });
    if (hasAttrs) this.patch(attrSizeAt, this.length - attrStart);
    if (node.children.length === 0) {
      this.u8(0x03);
    } else {
      this.u8(0x02);
      node.children.forEach((child, j) => {
        if (child.t === 'el') this.element(child, inTemplate);
        else this.valueNode(child, j < node.children.length - 1 && node.children[j + 1]?.t !== 'el');
      });
      this.u8(0x04);
    }
    this.patch(sizeAt, this.length - sizeAt - 4);
    return this;
  }

  private patch(at: number, value: number): void {
    // Find the part holding byte `at` (parts are appended; patch fields are always their own 4-byte part).
    let offset = 0;
    for (const part of this.parts) {
      if (offset === at && part.length === 4) {
        new DataView(part.buffer, part.byteOffset, 4).setUint32(0, value, true);
        return;
      }
      offset += part.length;
    }
    throw new Error(`no 4-byte field at ${at}`);
  }

  /**
   * A template instance (MS-EVEN6 `TemplateInstance`; libyal "Template
   * instance"): the definition inline the first time in this chunk, by
   * offset afterwards; then the value descriptors and values.
   */
  templateInstance(t: XTemplate, values: readonly XValue[]): this {
    this.u8(0x0c).u8(0x01).u32(t.id);
    const known = this.tables.templates.get(t);
    if (known !== undefined) {
      this.u32(known);
    } else {
      const at = this.pos + 4;
      this.tables.templates.set(t, at);
      this.u32(at);
      const body = new BinXmlWriter(at + 24, this.tables, this.options);
      body.fragmentHeader().element(t.root, true).eof();
      const data = body.toBytes();
      this.u32(0).bytes(guidBytes(t.guid)).u32(data.length).bytes(data);
    }
    this.u32(values.length);
    // Values of BinXml type are written at known offsets: lay out the descriptors once sizes are known.
    const descriptorsAt = this.pos;
    let cursor = descriptorsAt + values.length * 4;
    const encoded = values.map((value) => {
      if ('bytes' in value) {
        cursor += value.bytes.length;
        return value.bytes;
      }
      const w = new BinXmlWriter(cursor, this.tables, this.options);
      value.build(w);
      const bytes = w.toBytes();
      cursor += bytes.length;
      return bytes;
    });
    values.forEach((value, i) => {
      this.u16(encoded[i]?.length ?? 0)
        .u8(value.type)
        .u8(0);
    });
    for (const bytes of encoded) this.bytes(bytes);
    return this;
  }
}

/** A record to put into a chunk. */
export interface XRecord {
  readonly id: number | bigint;
  /** FILETIME ticks; default 2021-05-21T20:43:07Z. */
  readonly written?: bigint;
  /** Writes the record's BinXml. */
  readonly body: (w: BinXmlWriter) => void;
}

/** FILETIME ticks of a `Date`. */
export function filetime(date: Date | string): bigint {
  return BigInt(new Date(date).getTime()) * 10_000n + 116444736000000000n;
}

/** Options for {@link buildChunk}. */
export interface ChunkOptions {
  readonly options?: BinXmlWriter['options'];
  /** Free-space offset override (default: the end of the last record). */
  readonly freeSpaceOffset?: number;
  /** Bytes written after the last record (left outside the free-space offset unless overridden). */
  readonly slack?: Uint8Array;
}

/** A 64 KiB chunk (libyal "Chunk header" + records), CRCs computed. */
export function buildChunk(records: readonly XRecord[], options: ChunkOptions = {}): Uint8Array {
  const chunk = new Uint8Array(65536);
  const view = new DataView(chunk.buffer);
  const tables: ChunkTables = { names: new Map(), templates: new Map() };
  let at = 512;
  let lastAt = 512;
  for (const record of records) {
    const w = new BinXmlWriter(at + 24, tables, options.options);
    record.body(w);
    const xml = w.toBytes();
    const size = 24 + xml.length + 4;
    if (at + size > chunk.length) throw new Error('records do not fit in one chunk');
    view.setUint32(at, 0x2a2a, true);
    view.setUint32(at + 4, size, true);
    view.setBigUint64(at + 8, BigInt(record.id), true);
    view.setBigUint64(at + 16, record.written ?? filetime('2021-05-21T20:43:07Z'), true);
    chunk.set(xml, at + 24);
    view.setUint32(at + size - 4, size, true);
    lastAt = at;
    at += size;
  }
  if (options.slack) chunk.set(options.slack, at);
  const first = records[0];
  const last = records.at(-1);
  chunk.set(Buffer.from('ElfChnk\0', 'latin1'), 0);
  view.setBigUint64(8, BigInt(first?.id ?? 0), true);
  view.setBigUint64(16, BigInt(last?.id ?? 0), true);
  view.setBigUint64(24, BigInt(first?.id ?? 0), true);
  view.setBigUint64(32, BigInt(last?.id ?? 0), true);
  view.setUint32(40, 128, true);
  view.setUint32(44, lastAt, true);
  view.setUint32(48, options.freeSpaceOffset ?? at, true);
  sealChunk(chunk);
  return chunk;
}

/** Recomputes both CRC-32s of a chunk (after a test changed its bytes on purpose). */
export function sealChunk(chunk: Uint8Array): void {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const free = view.getUint32(48, true);
  view.setUint32(52, crc32(chunk.subarray(512, Math.min(free, chunk.length))), true);
  view.setUint32(124, crc32(chunk.subarray(128, 512), crc32(chunk.subarray(0, 120))), true);
}

/** A whole file: a 4096-byte header (CRC computed) and the chunks. */
export function buildFile(
  chunks: readonly Uint8Array[],
  options: { readonly flags?: number; readonly nextRecordId?: number } = {},
): Uint8Array {
  const header = new Uint8Array(4096);
  const view = new DataView(header.buffer);
  header.set(Buffer.from('ElfFile\0', 'latin1'), 0);
  view.setBigUint64(8, 0n, true);
  view.setBigUint64(16, BigInt(Math.max(0, chunks.length - 1)), true);
  view.setBigUint64(24, BigInt(options.nextRecordId ?? 1), true);
  view.setUint32(32, 128, true);
  view.setUint16(36, 1, true);
  view.setUint16(38, 3, true);
  view.setUint16(40, 4096, true);
  view.setUint16(42, chunks.length, true);
  view.setUint32(120, options.flags ?? 0, true);
  view.setUint32(124, crc32(header.subarray(0, 120)), true);
  return concat(header, ...chunks);
}

/**
 * A Windows-like event template: System with the usual substitutions and
 * an EventData with one named Data per name. Value order:
 * 0 Provider Guid, 1 EventID, 2 Version, 3 Level, 4 Task, 5 Opcode,
 * 6 Keywords, 7 TimeCreated, 8 EventRecordID, 9 ActivityID (optional),
 * 10 ProcessID, 11 ThreadID, 12 Computer, 13 UserID (optional),
 * 14… the EventData values.
 */
export function securityTemplate(
  dataNames: readonly string[],
  provider = 'Microsoft-Windows-Security-Auditing',
  channel = 'Security',
): XTemplate {
  return template(
    el(
      'Event',
      { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      el(
        'System',
        {},
        el('Provider', { Name: provider, Guid: sub(0, 0x0f) }),
        el('EventID', {}, sub(1, 0x06)),
        el('Version', {}, sub(2, 0x04)),
        el('Level', {}, sub(3, 0x04)),
        el('Task', {}, sub(4, 0x06)),
        el('Opcode', {}, sub(5, 0x04)),
        el('Keywords', {}, sub(6, 0x15)),
        el('TimeCreated', { SystemTime: sub(7, 0x11) }),
        el('EventRecordID', {}, sub(8, 0x0a)),
        el('Correlation', { ActivityID: opt(9, 0x0f) }),
        el('Execution', { ProcessID: sub(10, 0x08), ThreadID: sub(11, 0x08) }),
        el('Channel', {}, channel),
        el('Computer', {}, sub(12, 0x01)),
        el('Security', { UserID: opt(13, 0x13) }),
      ),
      el('EventData', {}, ...dataNames.map((name, i) => el('Data', { Name: name }, sub(14 + i, 0x01)))),
    ),
  );
}

/** Values for {@link securityTemplate}. */
export function securityValues(e: {
  readonly eventId: number;
  readonly recordId: number;
  readonly time?: bigint;
  readonly computer?: string;
  readonly userId?: string;
  readonly data: readonly XValue[];
}): XValue[] {
  return [
    v.guid('{54849625-5478-4994-A5BA-3E3B0328C30D}'),
    v.u16(e.eventId),
    v.u8(0),
    v.u8(0),
    v.u16(12544),
    v.u8(0),
    v.hex64(0x8020000000000000n),
    v.filetime(e.time ?? filetime('2021-05-21T20:43:07.0850391Z')),
    v.u64(e.recordId),
    v.null(),
    v.u32(708),
    v.u32(8464),
    v.string(e.computer ?? 'fs01.offsec.lan'),
    e.userId === undefined ? v.null() : v.sid(e.userId),
    ...e.data,
  ];
}
