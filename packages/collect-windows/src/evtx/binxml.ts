/**
 * Binary XML (BinXml) token parser for EVTX chunks: turns a token stream into
 * a small tree, with template definitions parsed once per chunk.
 *
 * Specifications: MS-EVEN6 section 2.2.12 "BinXml" (the grammar) and
 * 3.1.4.7 (templates, optional substitutions, the BinXml value type); libyal
 * "Windows XML Event Log (EVTX) format", section "Binary XML" (the EVTX
 * variant: names stored once per chunk and referenced by offset, template
 * definitions stored in the chunk and referenced by offset).
 *
 * Every offset here is relative to the start of the chunk, as in the format.
 * Reads are bounds-checked against an explicit end; element nesting, nested
 * BinXml values and the size of a template's value table are limited, so
 * hostile input costs at most linear work in its size and never recurses
 * without bound.
 */
import { decodeUtf16 } from './values.js';

/** Thrown on malformed BinXml; the caller turns it into a diagnostic for the record. */
export class BinXmlError extends Error {
  override readonly name = 'BinXmlError';
  /** Chunk-relative offset of the problem. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at chunk offset 0x${offset.toString(16)}`);
    this.offset = offset;
  }
}

/** Token codes (MS-EVEN6 2.2.12; libyal "Token types"). The 0x40 bit means "more data follows". */
export const Token = {
  EndOfStream: 0x00,
  OpenStartElement: 0x01,
  CloseStartElement: 0x02,
  CloseEmptyElement: 0x03,
  EndElement: 0x04,
  Value: 0x05,
  Attribute: 0x06,
  CData: 0x07,
  CharRef: 0x08,
  EntityRef: 0x09,
  PITarget: 0x0a,
  PIData: 0x0b,
  TemplateInstance: 0x0c,
  NormalSubstitution: 0x0d,
  OptionalSubstitution: 0x0e,
  FragmentHeader: 0x0f,
  /** The "has more data" / "has attributes" flag bit. */
  More: 0x40,
} as const;

/** Limits that keep hostile input cheap. */
export const BINXML_LIMITS = {
  /** Deepest element nesting accepted (real events nest 4 or 5 deep). */
  maxElementDepth: 64,
  /** Deepest nesting of BinXml values (type 0x21) inside BinXml values. */
  maxValueNesting: 8,
  /** Most values a template instance may carry (real ones carry under 100). */
  maxTemplateValues: 4096,
  /** Most template definition bytes parsed per chunk: 16 chunks' worth (real chunks parse under 100 KiB). */
  maxTemplateBytesPerChunk: 16 * 65536,
  /** Most nodes rendered per chunk, over all its records (real chunks render under 100,000). */
  maxNodesPerChunk: 4_000_000,
} as const;

/** Content of an element or attribute value, before substitution. */
export type BxContent =
  | { readonly kind: 'element'; readonly element: BxElement }
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'sub'; readonly index: number; readonly type: number; readonly optional: boolean }
  | { readonly kind: 'charref'; readonly code: number }
  | { readonly kind: 'entity'; readonly name: string }
  | { readonly kind: 'cdata'; readonly text: string }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string };

/** An attribute: its name and the value tokens (text, substitutions, references). */
export interface BxAttribute {
  readonly name: string;
  readonly value: readonly BxContent[];
}

/** An element with its attributes and content. */
export interface BxElement {
  readonly name: string;
  readonly attributes: readonly BxAttribute[];
  readonly children: readonly BxContent[];
}

/** One substitution value of a template instance: where its bytes are in the chunk. */
export interface BxValueRef {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** A template definition (libyal "Template definition"), parsed once per chunk. */
export interface BxTemplate {
  /** Chunk-relative offset of the definition header. */
  readonly offset: number;
  readonly guid: Uint8Array;
  /** The top-level nodes of the definition (normally one `Event` element). */
  readonly nodes: readonly BxContent[];
  /**
   * Where the definition takes System/EventID from, resolved once when the
   * template is parsed: the index of the substitution that fills it, its
   * literal text, or `null` when the template has no such element.
   */
  readonly eventId: { readonly sub: number } | { readonly literal: string } | null;
}

/** A template instance: the definition and this record's values. */
export interface BxTemplateInstance {
  readonly template: BxTemplate;
  readonly values: readonly BxValueRef[];
}

/** The top level of a BinXml fragment: elements, template instances, PIs. */
export type BxTop =
  | { readonly kind: 'element'; readonly element: BxElement }
  | { readonly kind: 'template'; readonly instance: BxTemplateInstance }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string };

/**
 * Per-chunk parsing state: the chunk bytes, and the caches that make a chunk
 * cost one parse per template and one decode per name.
 */
export class ChunkContext {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Templates by definition offset; a failure is cached too, so a bad template costs one parse. */
  readonly templates = new Map<number, BxTemplate | BinXmlError>();
  private readonly names = new Map<number, { name: string; length: number }>();
  /** Number of template definitions parsed (for stats and tests). */
  templatesParsed = 0;
  /** Template definition bytes parsed so far, against `BINXML_LIMITS.maxTemplateBytesPerChunk`. */
  templateBytes = 0;
  /** Nodes the chunk's records may still render, from `BINXML_LIMITS.maxNodesPerChunk`. */
  nodesLeft: number = BINXML_LIMITS.maxNodesPerChunk;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u8(at: number, end: number): number {
    this.need(at, 1, end);
    return this.view.getUint8(at);
  }

  u16(at: number, end: number): number {
    this.need(at, 2, end);
    return this.view.getUint16(at, true);
  }

  u32(at: number, end: number): number {
    this.need(at, 4, end);
    return this.view.getUint32(at, true);
  }

  need(at: number, length: number, end: number): void {
    if (at < 0 || length < 0 || at + length > end || at + length > this.bytes.length) {
      throw new BinXmlError(`${length} bytes needed past the end of the data`, at);
    }
  }

  /**
   * The name structure at `at` (libyal "Name"): 4 bytes (next name offset),
   * 2 bytes hash, 2 bytes character count, UTF-16LE characters, a NUL.
   * Names are shared by the whole chunk, so they are read against the chunk end.
   */
  name(at: number): { name: string; length: number } {
    const cached = this.names.get(at);
    if (cached) return cached;
    const end = this.bytes.length;
    const count = this.u16(at + 6, end);
    const length = 8 + count * 2 + 2;
    this.need(at, length, end);
    const name = decodeUtf16(this.bytes.subarray(at + 8, at + 8 + count * 2));
    const entry = { name, length };
    this.names.set(at, entry);
    return entry;
  }
}

/** Which variant of the open-start-element header a stream uses. */
type DependencyIds = 'present' | 'absent' | 'detect';

interface Cursor {
  pos: number;
  readonly end: number;
}

/**
 * Reads a name reference (a 4-byte chunk offset). When the offset points just
 * past itself the name is stored inline and the cursor skips it; otherwise
 * it was stored earlier in the chunk (libyal "Element start", note on names).
 */
function readNameRef(ctx: ChunkContext, cur: Cursor): string {
  const offset = ctx.u32(cur.pos, cur.end);
  cur.pos += 4;
  if (offset === cur.pos) {
    const { name, length } = ctx.name(offset);
    ctx.need(cur.pos, length, cur.end);
    cur.pos += length;
    return name;
  }
  if (offset < 0x200 || offset >= ctx.bytes.length)
    throw new BinXmlError(`name offset 0x${offset.toString(16)} outside the chunk data`, cur.pos - 4);
  return ctx.name(offset).name;
}

/** A length-prefixed UTF-16 string (libyal "Unicode text string"): 2-byte count, characters, no NUL. */
function readPrefixedString(ctx: ChunkContext, cur: Cursor): string {
  const count = ctx.u16(cur.pos, cur.end);
  ctx.need(cur.pos + 2, count * 2, cur.end);
  const text = decodeUtf16(ctx.bytes.subarray(cur.pos + 2, cur.pos + 2 + count * 2));
  cur.pos += 2 + count * 2;
  return text;
}

/**
 * Whether an open-start-element at `at` (just after the token byte) carries
 * the 2-byte dependency identifier. MS-EVEN6 2.2.12 has it only inside
 * template definitions; libyal and python-evtx always read it. Outside
 * templates the first element of a stream decides, and the stream keeps
 * that layout: an inline name's offset points just past itself, which
 * holds for exactly one layout; else a name stored earlier in the chunk
 * must lie between the chunk header and `at`, which the misread layout
 * (two bytes of size and two of offset) almost never does. When neither
 * test decides, the MS-EVEN6 layout (none) wins.
 */
function hasDependencyId(ctx: ChunkContext, at: number, end: number, state: ParseState): boolean {
  if (state.deps !== 'detect') return state.deps === 'present';
  const offsetAt = (p: number) => (p + 4 <= end ? ctx.view.getUint32(p, true) : -1);
  const plain = offsetAt(at + 4);
  const withId = offsetAt(at + 6);
  const earlier = (offset: number) => offset >= 0x200 && offset < at;
  let present = false;
  if (plain === at + 8) present = false;
  else if (withId === at + 10) present = true;
  else if (earlier(withId) && !earlier(plain)) present = true;
  state.deps = present ? 'present' : 'absent';
  return present;
}

interface ParseState {
  readonly ctx: ChunkContext;
  /** Decided on the first element of a stream outside templates, then kept. */
  deps: DependencyIds;
  /** True inside a template definition: substitutions allowed, template instances not. */
  readonly inTemplate: boolean;
}

/** Parses value-like tokens (text, substitutions, references) until another kind of token. */
function readValueTokens(state: ParseState, cur: Cursor, out: BxContent[]): void {
  const { ctx } = state;
  for (;;) {
    if (cur.pos >= cur.end) return;
    const token = ctx.u8(cur.pos, cur.end);
    const base = token & ~Token.More;
    if (base === Token.Value) {
      cur.pos += 1;
      const type = ctx.u8(cur.pos, cur.end);
      if (type !== 0x01)
        throw new BinXmlError(
          `value text of type 0x${type.toString(16)} (only strings are defined)`,
          cur.pos,
        );
      cur.pos += 1;
      out.push({ kind: 'text', text: readPrefixedString(ctx, cur) });
    } else if (token === Token.NormalSubstitution || token === Token.OptionalSubstitution) {
      if (!state.inTemplate) throw new BinXmlError('substitution outside a template definition', cur.pos);
      const index = ctx.u16(cur.pos + 1, cur.end);
      const type = ctx.u8(cur.pos + 3, cur.end);
      cur.pos += 4;
      out.push({ kind: 'sub', index, type, optional: token === Token.OptionalSubstitution });
    } else if (base === Token.CharRef) {
      const code = ctx.u16(cur.pos + 1, cur.end);
      cur.pos += 3;
      out.push({ kind: 'charref', code });
    } else if (base === Token.EntityRef) {
      cur.pos += 1;
      out.push({ kind: 'entity', name: readNameRef(ctx, cur) });
    } else {
      return;
    }
  }
}

/** A PI target token (at `cur.pos`) and the PI data token that must follow it. */
function readPI(state: ParseState, cur: Cursor): { target: string; data: string } {
  const { ctx } = state;
  cur.pos += 1;
  const target = readNameRef(ctx, cur);
  if (ctx.u8(cur.pos, cur.end) !== Token.PIData) throw new BinXmlError('PI target without PI data', cur.pos);
  cur.pos += 1;
  return { target, data: readPrefixedString(ctx, cur) };
}

/** An element whose open-start-element token is at `cur.pos`. */
function readElement(state: ParseState, cur: Cursor, depth: number): BxElement {
  const { ctx } = state;
  if (depth > BINXML_LIMITS.maxElementDepth) {
    throw new BinXmlError(`elements nested deeper than ${BINXML_LIMITS.maxElementDepth}`, cur.pos);
  }
  const token = ctx.u8(cur.pos, cur.end);
  cur.pos += 1;
  if (hasDependencyId(ctx, cur.pos, cur.end, state)) cur.pos += 2;
  ctx.u32(cur.pos, cur.end); // data size: not needed, the tokens delimit the element
  cur.pos += 4;
  const name = readNameRef(ctx, cur);
  const attributes: BxAttribute[] = [];
  if (token & Token.More) {
    ctx.u32(cur.pos, cur.end); // attribute list size
    cur.pos += 4;
    while (cur.pos < cur.end && (ctx.u8(cur.pos, cur.end) & ~Token.More) === Token.Attribute) {
      cur.pos += 1;
      const attributeName = readNameRef(ctx, cur);
      const value: BxContent[] = [];
      readValueTokens(state, cur, value);
      attributes.push({ name: attributeName, value });
    }
  }
  const close = ctx.u8(cur.pos, cur.end);
  cur.pos += 1;
  if (close === Token.CloseEmptyElement) return { name, attributes, children: [] };
  if (close !== Token.CloseStartElement) {
    throw new BinXmlError(
      `token 0x${close.toString(16)} where <${name}> should close its start tag`,
      cur.pos - 1,
    );
  }
  const children: BxContent[] = [];
  for (;;) {
    const next = ctx.u8(cur.pos, cur.end);
    const base = next & ~Token.More;
    if (next === Token.EndElement) {
      cur.pos += 1;
      return { name, attributes, children };
    }
    if (base === Token.OpenStartElement) {
      children.push({ kind: 'element', element: readElement(state, cur, depth + 1) });
    } else if (base === Token.CData) {
      cur.pos += 1;
      children.push({ kind: 'cdata', text: readPrefixedString(ctx, cur) });
    } else if (next === Token.PITarget) {
      children.push({ kind: 'pi', ...readPI(state, cur) });
    } else {
      const before = cur.pos;
      readValueTokens(state, cur, children);
      if (cur.pos === before)
        throw new BinXmlError(`unexpected token 0x${next.toString(16)} inside <${name}>`, cur.pos);
    }
  }
}

/**
 * Parses a BinXml fragment (MS-EVEN6 2.2.12 `Document`: optional fragment
 * headers, elements, template instances, PIs, up to the end-of-stream token
 * or `end`).
 *
 * @param depth - nesting of BinXml values (0 for a record's own BinXml)
 * @returns the top-level nodes and the offset after the last token read
 */
export function parseFragment(
  ctx: ChunkContext,
  start: number,
  end: number,
  options: { readonly inTemplate: boolean; readonly depth: number },
): { nodes: BxTop[]; end: number } {
  if (options.depth > BINXML_LIMITS.maxValueNesting) {
    throw new BinXmlError(`BinXml values nested deeper than ${BINXML_LIMITS.maxValueNesting}`, start);
  }
  const state: ParseState = {
    ctx,
    deps: options.inTemplate ? 'present' : 'detect',
    inTemplate: options.inTemplate,
  };
  const cur: Cursor = { pos: start, end };
  const nodes: BxTop[] = [];
  while (cur.pos < cur.end) {
    const token = ctx.u8(cur.pos, cur.end);
    const base = token & ~Token.More;
    if (token === Token.EndOfStream) {
      cur.pos += 1;
      return { nodes, end: cur.pos };
    }
    if (token === Token.FragmentHeader) {
      ctx.need(cur.pos, 4, cur.end); // token, major version, minor version, flags
      cur.pos += 4;
    } else if (base === Token.OpenStartElement) {
      nodes.push({ kind: 'element', element: readElement(state, cur, 1) });
    } else if (token === Token.TemplateInstance) {
      if (options.inTemplate)
        throw new BinXmlError('template instance inside a template definition', cur.pos);
      nodes.push({ kind: 'template', instance: readTemplateInstance(ctx, cur) });
    } else if (token === Token.PITarget) {
      nodes.push({ kind: 'pi', ...readPI(state, cur) });
    } else {
      throw new BinXmlError(`unexpected token 0x${token.toString(16)} at the top of a fragment`, cur.pos);
    }
  }
  // Ran to `end` without an end-of-stream token: accepted (a BinXml value's size delimits it).
  return { nodes, end: cur.pos };
}

/** Size of the template definition header: next offset (4), GUID (16), data size (4). */
const TEMPLATE_HEADER = 24;

/**
 * The template definition at `offset` (libyal "Template definition"), from
 * the chunk's cache or parsed now and cached. A failure is cached as well.
 */
export function templateAt(ctx: ChunkContext, offset: number): BxTemplate {
  const cached = ctx.templates.get(offset);
  if (cached instanceof BinXmlError) throw cached;
  if (cached) return cached;
  try {
    const template = parseTemplate(ctx, offset);
    ctx.templates.set(offset, template);
    return template;
  } catch (error) {
    const failure =
      error instanceof BinXmlError ? error : new BinXmlError(`template: ${(error as Error).message}`, offset);
    ctx.templates.set(offset, failure);
    throw failure;
  }
}

function parseTemplate(ctx: ChunkContext, offset: number): BxTemplate {
  const chunkEnd = ctx.bytes.length;
  if (offset < 0x200 || offset + TEMPLATE_HEADER > chunkEnd) {
    throw new BinXmlError(
      `template definition offset 0x${offset.toString(16)} outside the chunk data`,
      offset,
    );
  }
  ctx.templatesParsed += 1;
  const guid = ctx.bytes.slice(offset + 4, offset + 20);
  const size = ctx.u32(offset + 20, chunkEnd);
  const start = offset + TEMPLATE_HEADER;
  if (start + size > chunkEnd)
    throw new BinXmlError(`template data of ${size} bytes runs past the chunk`, offset);
  ctx.templateBytes += size;
  if (ctx.templateBytes > BINXML_LIMITS.maxTemplateBytesPerChunk) {
    throw new BinXmlError(
      `templates of this chunk exceed ${BINXML_LIMITS.maxTemplateBytesPerChunk} bytes`,
      offset,
    );
  }
  const { nodes } = parseFragment(ctx, start, start + size, { inTemplate: true, depth: 0 });
  const content: BxContent[] = [];
  for (const node of nodes) {
    if (node.kind === 'element') content.push({ kind: 'element', element: node.element });
    else if (node.kind === 'pi') content.push(node);
  }
  return { offset, guid, nodes: content, eventId: findEventId(content) };
}

/** Event/System/EventID in a template: the substitution index that fills it, or its literal text. */
function findEventId(nodes: readonly BxContent[]): BxTemplate['eventId'] {
  const child = (content: readonly BxContent[], name: string) => {
    for (const c of content) if (c.kind === 'element' && c.element.name === name) return c.element;
    return undefined;
  };
  const eventId = child(child(child(nodes, 'Event')?.children ?? [], 'System')?.children ?? [], 'EventID');
  if (!eventId) return null;
  const parts = eventId.children;
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'sub') return { sub: only.index };
  if (parts.every((p) => p.kind === 'text'))
    return { literal: parts.map((p) => (p.kind === 'text' ? p.text : '')).join('') };
  return null;
}

/**
 * A template instance (MS-EVEN6 2.2.12 `TemplateInstance`; libyal "Template
 * instance"): token, 1 unknown byte, template id (4), definition offset (4);
 * the definition itself when it is stored inline (its offset is the current
 * position); then the value count, the value descriptors (size 2, type 1,
 * 1 unused) and the values.
 */
function readTemplateInstance(ctx: ChunkContext, cur: Cursor): BxTemplateInstance {
  ctx.need(cur.pos, 10, cur.end);
  const definition = ctx.u32(cur.pos + 6, cur.end);
  cur.pos += 10;
  if (definition === cur.pos) {
    const size = ctx.u32(cur.pos + 20, cur.end);
    ctx.need(cur.pos, TEMPLATE_HEADER + size, cur.end);
    cur.pos += TEMPLATE_HEADER + size;
  }
  const template = templateAt(ctx, definition);
  const count = ctx.u32(cur.pos, cur.end);
  cur.pos += 4;
  if (count > BINXML_LIMITS.maxTemplateValues || count * 4 > cur.end - cur.pos) {
    throw new BinXmlError(`template instance claims ${count} values`, cur.pos - 4);
  }
  const descriptors: { size: number; type: number }[] = [];
  for (let i = 0; i < count; i++) {
    descriptors.push({ size: ctx.u16(cur.pos, cur.end), type: ctx.u8(cur.pos + 2, cur.end) });
    cur.pos += 4;
  }
  const values: BxValueRef[] = [];
  for (const { size, type } of descriptors) {
    ctx.need(cur.pos, size, cur.end);
    values.push({ type, offset: cur.pos, size });
    cur.pos += size;
  }
  return { template, values };
}
