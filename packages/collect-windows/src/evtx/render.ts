/**
 * Rendering a parsed BinXml record: substituting template values (MS-EVEN6
 * 3.1.4.7, optional substitutions 3.1.4.7.2, BinXml values), then producing
 * the JSON object and, on request, the XML text.
 */
import {
  BINXML_LIMITS,
  BinXmlError,
  type BxContent,
  type BxTop,
  type BxValueRef,
  type ChunkContext,
  parseFragment,
} from './binxml.js';
import {
  decodeValue,
  type EvtxJsonObject,
  type EvtxJsonValue,
  ValueDecodeError,
  ValueType,
  valueText,
} from './values.js';

/** Most nodes one record may expand to (templates referencing BinXml values can multiply). */
export const MAX_RENDER_NODES = 100_000;
/**
 * Most characters of text and values one record may expand to: 16 times
 * what a whole 64 KiB chunk of UTF-16 holds, so a template that references
 * one long value many times cannot turn a small record into megabytes.
 */
export const MAX_RENDER_CHARS = 16 * 32_768;
/**
 * Most characters of XML text one record may produce: 16 times the
 * character budget, so markup and escaping never reach it for a real event
 * (under 10,000 characters), but element and attribute names, which the
 * character budget does not count, cannot multiply a small record into a
 * string longer than the engine allows (a name of 8,000 characters used by
 * 90,000 nodes would be 1.4 billion).
 */
export const MAX_XML_CHARS = 16 * MAX_RENDER_CHARS;

/** Text-like content after substitution. */
type Part =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'value'; readonly value: EvtxJsonValue }
  | { readonly kind: 'charref'; readonly code: number }
  | { readonly kind: 'entity'; readonly name: string }
  | { readonly kind: 'cdata'; readonly text: string };

/** A rendered element. */
export interface RElement {
  readonly name: string;
  readonly attributes: readonly { readonly name: string; readonly parts: readonly Part[] }[];
  readonly children: readonly RNode[];
}

/** A rendered node. */
export type RNode =
  | Part
  | { readonly kind: 'element'; readonly element: RElement }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string };

/** What a render noticed that does not stop it (a value that did not decode, a missing value). */
export interface RenderIssue {
  readonly reason: string;
}

interface Scope {
  readonly values: readonly BxValueRef[];
  readonly depth: number;
}

/** Resolves parsed BinXml into rendered nodes, counting nodes against {@link MAX_RENDER_NODES}. */
export class Resolver {
  /** Nodes produced so far (elements, text, values, references). */
  nodes = 0;
  private chars = 0;
  /** Nested BinXml values already parsed, by offset: a template may reference one many times. */
  private readonly fragments = new Map<number, readonly BxTop[]>();
  readonly issues: RenderIssue[] = [];
  private readonly ctx: ChunkContext;

  constructor(ctx: ChunkContext) {
    this.ctx = ctx;
  }

  private count(at: number, chars = 0): void {
    this.nodes += 1;
    this.chars += chars;
    this.ctx.nodesLeft -= 1;
    if (this.ctx.nodesLeft < 0) {
      throw new BinXmlError(
        `records of this chunk expand to more than ${BINXML_LIMITS.maxNodesPerChunk} nodes`,
        at,
      );
    }
    if (this.nodes > MAX_RENDER_NODES) {
      throw new BinXmlError(`record expands to more than ${MAX_RENDER_NODES} nodes`, at);
    }
    if (this.chars > MAX_RENDER_CHARS) {
      throw new BinXmlError(`record expands to more than ${MAX_RENDER_CHARS} characters`, at);
    }
  }

  /** The top-level nodes of a fragment, with template instances expanded. */
  top(nodes: readonly BxTop[], depth: number): RNode[] {
    const out: RNode[] = [];
    for (const node of nodes) {
      if (node.kind === 'template') {
        const scope = { values: node.instance.values, depth };
        this.content(node.instance.template.nodes, scope, out);
      } else if (node.kind === 'element') {
        this.content([node], { values: [], depth }, out);
      } else {
        this.count(0);
        out.push(node);
      }
    }
    return out;
  }

  /** Is one of these an optional substitution whose value is NULL (or absent), so it removes its parent? */
  private anyNull(parts: readonly BxContent[], scope: Scope): boolean {
    for (const part of parts) {
      if (part.kind !== 'sub' || !part.optional) continue;
      const value = scope.values[part.index];
      if (value === undefined || value.type === ValueType.Null) return true;
    }
    return false;
  }

  private content(content: readonly BxContent[], scope: Scope, out: RNode[]): void {
    for (const part of content) {
      switch (part.kind) {
        case 'element': {
          const { element } = part;
          // MS-EVEN6 3.1.4.7.2: an optional substitution with a NULL value removes the element enclosing it.
          if (this.anyNull(element.children, scope)) break;
          this.count(0);
          const attributes: { name: string; parts: Part[] }[] = [];
          for (const attribute of element.attributes) {
            if (this.anyNull(attribute.value, scope)) continue;
            const parts: RNode[] = [];
            this.content(attribute.value, scope, parts);
            attributes.push({ name: attribute.name, parts: parts.filter(isPart) });
          }
          const children: RNode[] = [];
          this.content(element.children, scope, children);
          out.push({ kind: 'element', element: { name: element.name, attributes, children } });
          break;
        }
        case 'sub':
          this.substitute(part.index, scope, out);
          break;
        case 'text':
        case 'cdata':
          this.count(0, part.text.length);
          out.push(part);
          break;
        case 'charref':
        case 'entity':
          this.count(0, 1);
          out.push(part);
          break;
        case 'pi':
          this.count(0, part.target.length + part.data.length);
          out.push(part);
          break;
      }
    }
  }

  private substitute(index: number, scope: Scope, out: RNode[]): void {
    const ref = scope.values[index];
    if (ref === undefined) {
      this.issues.push({
        reason: `substitution ${index} has no value (the instance has ${scope.values.length})`,
      });
      return;
    }
    // A value's text is at most about twice its size in bytes (hex of binary data).
    this.count(ref.offset, ref.type === ValueType.BinXml ? 0 : 2 * ref.size + 2);
    if (ref.type === ValueType.BinXml) {
      // MS-EVEN6 "BinXml type": the value is a fragment or template instance of its own.
      let nodes = this.fragments.get(ref.offset);
      if (!nodes) {
        const depth = scope.depth + 1;
        nodes = parseFragment(this.ctx, ref.offset, ref.offset + ref.size, {
          inTemplate: false,
          depth,
        }).nodes;
        this.fragments.set(ref.offset, nodes);
      }
      out.push(...this.top(nodes, scope.depth + 1));
      return;
    }
    try {
      const value = decodeValue(ref.type, this.ctx.bytes, ref.offset, ref.size, this.ctx.view);
      // A NULL value in a normal substitution leaves its element or attribute empty.
      if (value !== null) out.push({ kind: 'value', value });
    } catch (error) {
      if (!(error instanceof ValueDecodeError)) throw error;
      this.issues.push({ reason: `substitution ${index}: ${error.message}; kept as hex` });
      out.push({
        kind: 'value',
        value: decodeValue(ValueType.Binary, this.ctx.bytes, ref.offset, ref.size, this.ctx.view),
      });
    }
  }
}

function isPart(node: RNode): node is Part {
  return node.kind !== 'element' && node.kind !== 'pi';
}

const ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function partText(part: Part): string {
  switch (part.kind) {
    case 'text':
    case 'cdata':
      return part.text;
    case 'value':
      return valueText(part.value);
    case 'charref':
      return String.fromCharCode(part.code);
    case 'entity':
      return ENTITIES[part.name] ?? `&${part.name};`;
  }
}

/** The JSON value of text content: a single typed value stays typed; anything else is joined as text. */
function partsJson(parts: readonly Part[]): EvtxJsonValue {
  if (parts.length === 0) return null;
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'value') return only.value;
  return parts.map(partText).join('');
}

function elementsOf(nodes: readonly RNode[]): RElement[] {
  const out: RElement[] = [];
  for (const node of nodes) if (node.kind === 'element') out.push(node.element);
  return out;
}

/**
 * Sets an own property even for names such as `__proto__`: names come from
 * the file, and a plain assignment of `__proto__` would change the object's
 * prototype and lose the value. Every other name is assigned: on a plain
 * object that makes the same own, enumerable, writable, configurable
 * property (`__proto__` is the only accessor on `Object.prototype`), and
 * costs a fraction of `Object.defineProperty` (which took an eighth of the
 * time of rendering a record).
 */
function setKey(target: EvtxJsonObject, key: string, value: EvtxJsonValue): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Adds `key: value`; a repeated key becomes an array of its values. */
function addKey(target: EvtxJsonObject, key: string, value: EvtxJsonValue, repeated: Set<string>): void {
  if (!Object.hasOwn(target, key)) {
    setKey(target, key, value);
    return;
  }
  const existing = target[key] ?? null;
  if (repeated.has(key) && Array.isArray(existing)) existing.push(value);
  else setKey(target, key, [existing, value]);
  repeated.add(key);
}

/**
 * The generic JSON form of an element: its content value when it has neither
 * attributes nor child elements; otherwise an object of attributes, child
 * elements (repeated names become arrays) and `#text` for non-blank text.
 * An attribute whose name is also a child element's is kept as `@name`.
 */
function elementJson(element: RElement, skipAttribute?: string): EvtxJsonValue {
  const children = elementsOf(element.children);
  const parts = element.children.filter(isPart);
  const attributes = element.attributes.filter((a) => a.name !== skipAttribute);
  if (attributes.length === 0 && children.length === 0) return partsJson(parts);
  const out: EvtxJsonObject = {};
  const repeated = new Set<string>();
  const childNames = new Set(children.map((c) => c.name));
  for (const a of attributes) setKey(out, childNames.has(a.name) ? `@${a.name}` : a.name, partsJson(a.parts));
  for (const child of children) addKey(out, child.name, elementJson(child), repeated);
  const text = partsJson(parts);
  if (text !== null && !(typeof text === 'string' && children.length > 0 && text.trim() === ''))
    out['#text'] = text;
  return out;
}

function attribute(element: RElement, name: string): EvtxJsonValue | undefined {
  const found = element.attributes.find((a) => a.name === name);
  return found ? partsJson(found.parts) : undefined;
}

/** Elements of System whose attributes are their whole content. */
const ATTRIBUTE_ELEMENTS = new Set(['Provider', 'Execution', 'Security', 'Correlation']);

function systemJson(system: RElement): EvtxJsonObject {
  const out: EvtxJsonObject = {};
  const repeated = new Set<string>();
  for (const child of elementsOf(system.children)) {
    if (ATTRIBUTE_ELEMENTS.has(child.name)) {
      const value = elementJson(child);
      addKey(out, child.name, value === null ? {} : value, repeated);
    } else if (child.name === 'TimeCreated' && child.attributes.some((a) => a.name === 'SystemTime')) {
      addKey(out, child.name, attribute(child, 'SystemTime') ?? null, repeated);
    } else if (child.name === 'EventID') {
      addKey(out, 'EventID', partsJson(child.children.filter(isPart)), repeated);
      const qualifiers = attribute(child, 'Qualifiers');
      if (qualifiers !== undefined) out.EventIDQualifiers = qualifiers;
    } else {
      addKey(out, child.name, elementJson(child), repeated);
    }
  }
  return out;
}

/** EventData: `<Data Name="x">` becomes key `x`; unnamed Data values go, in order, to the array `Data`. */
function eventDataJson(eventData: RElement): EvtxJsonObject {
  const out: EvtxJsonObject = {};
  const repeated = new Set<string>();
  const unnamed: EvtxJsonValue[] = [];
  for (const a of eventData.attributes) setKey(out, `@${a.name}`, partsJson(a.parts));
  for (const child of elementsOf(eventData.children)) {
    const name = child.name === 'Data' ? attribute(child, 'Name') : undefined;
    if (child.name === 'Data' && (name === undefined || name === null || name === '')) {
      // An array value stands for one Data element per item (libyal "Normal substitution").
      const value = elementJson(child, 'Name');
      if (Array.isArray(value)) unnamed.push(...value);
      else unnamed.push(value);
    } else if (child.name === 'Data') {
      addKey(out, valueText(name ?? ''), elementJson(child, 'Name'), repeated);
    } else {
      addKey(out, child.name, elementJson(child), repeated);
    }
  }
  if (unnamed.length > 0) {
    const existing = out.Data;
    out.Data =
      existing === undefined ? unnamed : [...(Array.isArray(existing) ? existing : [existing]), ...unnamed];
  }
  return out;
}

/**
 * The JSON object of a rendered record: for an `Event` root, one key per
 * child (`System`, `EventData`, `UserData`, `RenderingInfo`…) with System
 * and EventData shaped as documented in the README; any other root element
 * becomes `{ [name]: generic form }`.
 */
export function toJson(nodes: readonly RNode[]): EvtxJsonObject {
  const out: EvtxJsonObject = {};
  const repeated = new Set<string>();
  for (const root of elementsOf(nodes)) {
    if (root.name !== 'Event') {
      addKey(out, root.name, elementJson(root), repeated);
      continue;
    }
    for (const child of elementsOf(root.children)) {
      if (child.name === 'System') addKey(out, 'System', systemJson(child), repeated);
      else if (child.name === 'EventData') addKey(out, 'EventData', eventDataJson(child), repeated);
      else addKey(out, child.name, elementJson(child), repeated);
    }
  }
  return out;
}

/**
 * Control characters XML text cannot carry literally (XML 1.1 section 2.2
 * RestrictedChar, and NUL): written as character references, or where that
 * is impossible (CDATA, PI) handled as below.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F]/g;

/**
 * Escapes markup characters, and control characters that XML cannot carry
 * literally (XML 1.1 section 2.2 RestrictedChar) as character references,
 * so a stored value survives into the XML text unchanged.
 */
const escapeText = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(CONTROL, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
const escapeAttribute = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/**
 * An element, attribute, entity or PI target name fit for XML text: other
 * characters than XML name characters become `_` (names come from the file;
 * the JSON keeps them as they are).
 */
function xmlName(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}_.:\-\u00B7]/gu, '_');
  return /^[\p{L}_:]/u.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** True when text can sit in a CDATA section or a PI as it is. */
const rawSafe = (s: string, terminator: string) => !s.includes(terminator) && s.replace(CONTROL, '') === s;

function partXml(part: Part, inAttribute: boolean, out: XmlText): string {
  switch (part.kind) {
    case 'charref':
      return `&#${part.code};`;
    case 'entity':
      return `&${out.name(part.name)};`;
    case 'cdata':
      // Text that cannot sit in a CDATA section (a "]]>", a control character) is written escaped: same characters.
      if (inAttribute) return escapeAttribute(part.text);
      return rawSafe(part.text, ']]>') ? `<![CDATA[${part.text}]]>` : escapeText(part.text);
    default: {
      const text = partText(part);
      return inAttribute ? escapeAttribute(text) : escapeText(text);
    }
  }
}

function elementXml(element: RElement, out: XmlText): void {
  const name = out.name(element.name);
  let attributes = '';
  for (const a of element.attributes) {
    let value = '';
    for (const p of a.parts) value += partXml(p, true, out);
    attributes += ` ${out.name(a.name)}="${value}"`;
    out.fits(attributes.length);
  }
  const [only] = element.children;
  if (element.children.length === 1 && only?.kind === 'value' && Array.isArray(only.value)) {
    // An array substitution repeats its element once per item (libyal "Normal substitution").
    for (const item of only.value) out.add(`<${name}${attributes}>${escapeText(valueText(item))}</${name}>`);
    return;
  }
  if (element.children.length === 0) {
    out.add(`<${name}${attributes}/>`);
    return;
  }
  out.add(`<${name}${attributes}>`);
  nodesXml(element.children, out);
  out.add(`</${name}>`);
}

function nodesXml(nodes: readonly RNode[], out: XmlText): void {
  for (const node of nodes) {
    if (node.kind === 'element') elementXml(node.element, out);
    else if (node.kind === 'pi') {
      // PI data cannot be escaped: a "?>" or a control character in it becomes U+FFFD in the XML text.
      const data = rawSafe(node.data, '?>')
        ? node.data
        : node.data.replace(/\?>/g, '\uFFFD>').replace(CONTROL, '\uFFFD');
      out.add(`<?${out.name(node.target)} ${data}?>`);
    } else out.add(partXml(node, false, out));
  }
}

/**
 * The XML text of one record as it is written: its pieces, their length
 * against {@link MAX_XML_CHARS}, and the XML form of each name, made once
 * per record (names repeat: `Data`, `Name`…).
 */
class XmlText {
  readonly #parts: string[] = [];
  #length = 0;
  readonly #names = new Map<string, string>();

  name(raw: string): string {
    let name = this.#names.get(raw);
    if (name === undefined) {
      name = xmlName(raw);
      this.#names.set(raw, name);
    }
    return name;
  }

  /** Throws when `more` characters would take the text past {@link MAX_XML_CHARS}. */
  fits(more: number): void {
    if (this.#length + more > MAX_XML_CHARS) {
      throw new BinXmlError(`record's XML text is longer than ${MAX_XML_CHARS} characters`, 0);
    }
  }

  add(text: string): void {
    this.fits(text.length);
    this.#length += text.length;
    this.#parts.push(text);
  }

  toString(): string {
    return this.#parts.join('');
  }
}

/**
 * The XML text of a rendered record (compact: no added whitespace).
 *
 * @throws BinXmlError when it would be longer than {@link MAX_XML_CHARS} (the caller skips the record)
 */
export function toXml(nodes: readonly RNode[]): string {
  const out = new XmlText();
  nodesXml(nodes, out);
  return out.toString();
}
