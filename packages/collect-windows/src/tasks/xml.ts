/**
 * A small, strict-but-recovering XML 1.0 reader for the well-formed subset
 * Task Scheduler writes: elements, attributes, character data, the five
 * predefined entities and character references, CDATA sections, comments and
 * processing instructions; plus the byte-level decoding (BOM, UTF-16 without
 * BOM, a declaration that says UTF-16 over UTF-8 bytes). It builds a small
 * tree. Anything malformed is reported as a diagnostic and the reader
 * recovers (unknown entities stay literal, a stray end tag is skipped, open
 * elements are closed at the end of input), so a damaged task file still
 * yields what it holds. It never expands a DTD: a DOCTYPE is skipped whole,
 * so entity-expansion attacks have nothing to work with. One pass, no
 * recursion: hostile nesting cannot exhaust the stack.
 */
import { decodeAnsi, decodeUtf16le, isKnownCodePage, type ParseDiagnostic } from '../lnk/binary.js';

/** An element of the tree. */
export interface XmlElement {
  /** The qualified name as written (`task:Exec`). */
  readonly name: string;
  /** The name without its prefix (`Exec`). */
  readonly localName: string;
  /** The namespace URI in scope for the element, or null. */
  readonly namespace: string | null;
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly (XmlElement | string)[];
  /** Character offset of `<` in the decoded text. */
  readonly offset: number;
}

interface MutableElement {
  name: string;
  localName: string;
  namespace: string | null;
  attributes: Map<string, string>;
  children: (MutableElement | string)[];
  offset: number;
  /** Namespace prefixes in scope here (shared with the parent unless this element declares one). */
  scope: Map<string, string>;
}

/** The decoded text and how the bytes were read. */
export interface DecodedXml {
  readonly text: string;
  /** The encoding used: `utf-8`, `utf-16le`, `utf-16be`, or a declared single-byte code page. */
  readonly encoding: string;
}

/** XML problems listed per document; past this one line says more follow (bounds the work on garbage). */
const MAX_XML_DIAGNOSTICS = 200;
const EMPTY_SCOPE: Map<string, string> = new Map();
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** XML name start characters (XML 1.0 production 4, with every non-ASCII letter range folded into ≥ U+00C0). */
function isNameStart(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x5f ||
    c === 0x3a ||
    (c >= 0xc0 && c !== 0xd7 && c !== 0xf7)
  );
}

/** XML name characters (production 4a, folded the same way). */
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0xb7;
}

/** End-of-line handling (XML 1.0 2.11): CR LF and lone CR become LF in character data. */
function eol(s: string): string {
  return s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s;
}

/** Line and column (1-based) of a character offset, for messages. */
function where(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * Decodes an XML file's bytes (XML 1.0 appendix F, autodetection): a BOM
 * wins; without one, `<\0` or `\0<` means UTF-16; otherwise the bytes are
 * UTF-8 unless the declaration names a single-byte code page. A declaration
 * that says UTF-16 over bytes that are not (Task Scheduler files copied or
 * re-saved as UTF-8 keep it) is read as UTF-8, with a diagnostic.
 */
export function decodeXmlBytes(bytes: Uint8Array, diagnostics: ParseDiagnostic[]): DecodedXml {
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0xff && b1 === 0xfe) return { text: utf16(bytes, 2, false, diagnostics), encoding: 'utf-16le' };
  if (b0 === 0xfe && b1 === 0xff) return { text: utf16(bytes, 2, true, diagnostics), encoding: 'utf-16be' };
  if (b0 === 0x3c && b1 === 0x00) return { text: utf16(bytes, 0, false, diagnostics), encoding: 'utf-16le' };
  if (b0 === 0x00 && b1 === 0x3c) return { text: utf16(bytes, 0, true, diagnostics), encoding: 'utf-16be' };
  const bom = b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const head = decodeAnsi(bytes.subarray(bom, Math.min(bytes.length, bom + 200)), 'windows-1252');
  const declared =
    /^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase() ?? null;
  if (declared !== null && bom === 0 && !/^utf-?8$/.test(declared)) {
    if (/^(utf-?16|ucs-?2|unicode)/.test(declared)) {
      diagnostics.push({
        structure: 'XML declaration',
        offset: 0,
        message: `the declaration says ${declared} but the bytes are not UTF-16 (no BOM, no zero bytes); read as UTF-8`,
      });
    } else if (isKnownCodePage(declared)) {
      return { text: decodeAnsi(bytes, declared), encoding: declared };
    } else {
      diagnostics.push({
        structure: 'XML declaration',
        offset: 0,
        message: `unknown encoding "${declared}"; read as UTF-8`,
      });
    }
  }
  const body = bytes.subarray(bom);
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body),
      encoding: 'utf-8',
    };
  } catch {
    diagnostics.push({
      structure: 'file',
      offset: null,
      message: 'the bytes are not valid UTF-8; invalid sequences replaced with U+FFFD',
    });
    return { text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(body), encoding: 'utf-8' };
  }
}

function utf16(bytes: Uint8Array, start: number, bigEndian: boolean, diagnostics: ParseDiagnostic[]): string {
  let source = bytes;
  if (bigEndian) {
    source = new Uint8Array(bytes.length);
    for (let i = 0; i + 1 < bytes.length; i += 2) {
      source[i] = bytes[i + 1] as number;
      source[i + 1] = bytes[i] as number;
    }
  }
  const s = decodeUtf16le(source, start, source.length, false);
  if (s.loneSurrogates > 0) {
    diagnostics.push({
      structure: 'file',
      offset: null,
      message: `${s.loneSurrogates} lone UTF-16 surrogate(s) replaced with U+FFFD`,
    });
  }
  if ((bytes.length - start) % 2 === 1) {
    diagnostics.push({
      structure: 'file',
      offset: bytes.length - 1,
      message: 'an odd trailing byte was ignored',
    });
  }
  return s.text;
}

/**
 * Parses XML text into a tree. Malformed input is reported and recovered
 * from; the result is null only when the text holds no element at all.
 */
export function parseXml(text: string, diagnostics: ParseDiagnostic[]): XmlElement | null {
  let reported = 0;
  const report = (offset: number, message: string) => {
    reported++;
    if (reported <= MAX_XML_DIAGNOSTICS) {
      diagnostics.push({ structure: 'XML', offset, message: `${message} (${where(text, offset)})` });
    } else if (reported === MAX_XML_DIAGNOSTICS + 1) {
      diagnostics.push({
        structure: 'XML',
        offset,
        message: 'more XML problems follow; they are not listed',
      });
    }
  };
  const n = text.length;
  let root: MutableElement | null = null;
  let rootClosed = false;
  const stack: MutableElement[] = [];
  let i = 0;
  let textStart = 0;
  let textBuffer = '';

  const appendText = (s: string, at: number) => {
    if (s.length === 0) return;
    const top = stack[stack.length - 1];
    if (top) {
      const last = top.children[top.children.length - 1];
      if (typeof last === 'string') top.children[top.children.length - 1] = last + s;
      else top.children.push(s);
    } else if (/\S/.test(s)) {
      report(
        at,
        rootClosed ? 'text after the root element is ignored' : 'text before the root element is ignored',
      );
    }
  };
  const flushText = () => {
    appendText(textBuffer, textStart);
    textBuffer = '';
  };

  /** Expands references in attribute values and text. */
  const expand = (raw: string, at: number): string => {
    if (!raw.includes('&')) return raw;
    return raw.replace(/&([^;&\s<]{0,32});?/g, (match, ref: string, pos: number) => {
      if (!match.endsWith(';')) {
        report(at + pos, `"&" not followed by a reference; kept as text`);
        return match;
      }
      // Own properties only: `&constructor;` must not reach Object.prototype.
      if (Object.hasOwn(PREDEFINED, ref)) return PREDEFINED[ref] as string;
      const numeric = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(ref);
      if (numeric) {
        const code = numeric[1] !== undefined ? Number.parseInt(numeric[1], 16) : Number(numeric[2]);
        const allowed =
          code === 0x9 ||
          code === 0xa ||
          code === 0xd ||
          (code >= 0x20 && code <= 0xd7ff) ||
          (code >= 0xe000 && code <= 0xfffd) ||
          (code >= 0x10000 && code <= 0x10ffff);
        if (allowed) return String.fromCodePoint(code);
        report(at + pos, `character reference ${match} is not an XML character; replaced with U+FFFD`);
        return '\uFFFD';
      }
      report(at + pos, `unknown entity ${match}; kept as text`);
      return match;
    });
  };

  const readName = (at: number): string => {
    if (at >= n || !isNameStart(text.charCodeAt(at))) return '';
    let j = at + 1;
    while (j < n && isNameChar(text.charCodeAt(j))) j++;
    return text.slice(at, j);
  };
  const skipSpace = (at: number): number => {
    let j = at;
    while (j < n && /[ \t\r\n]/.test(text.charAt(j))) j++;
    return j;
  };

  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt === -1) {
      textBuffer += expand(eol(text.slice(i)), i);
      i = n;
      break;
    }
    if (lt > i) {
      if (textBuffer === '') textStart = i;
      textBuffer += expand(eol(text.slice(i, lt)), i);
    }
    i = lt;
    if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) {
        report(i, 'unterminated comment; the rest of the input is ignored');
        i = n;
      } else i = end + 3;
      continue;
    }
    if (text.startsWith('<![CDATA[', i)) {
      const end = text.indexOf(']]>', i + 9);
      if (textBuffer === '') textStart = i;
      if (end === -1) {
        report(i, 'unterminated CDATA section; taken to the end of the input');
        textBuffer += eol(text.slice(i + 9));
        i = n;
      } else {
        textBuffer += eol(text.slice(i + 9, end));
        i = end + 3;
      }
      continue;
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) {
        report(i, 'unterminated processing instruction; the rest of the input is ignored');
        i = n;
      } else i = end + 2;
      continue;
    }
    if (text.startsWith('<!DOCTYPE', i)) {
      // Skipped whole, internal subset included: no entity is ever defined or expanded.
      let depth = 0;
      let j = i + 9;
      for (; j < n; j++) {
        const c = text.charAt(j);
        if (c === '[') depth++;
        else if (c === ']') depth--;
        else if (c === '>' && depth <= 0) break;
      }
      report(i, 'DOCTYPE ignored (task files have none; its entities are not expanded)');
      i = j + 1;
      continue;
    }
    if (text.startsWith('</', i)) {
      flushText();
      const name = readName(i + 2);
      const close = text.indexOf('>', i + 2);
      const next = close === -1 ? n : close + 1;
      if (name === '') {
        report(i, 'malformed end tag; skipped');
        i = next;
        continue;
      }
      const rest = text.slice(i + 2 + name.length, close === -1 ? n : close);
      if (close === -1 || /\S/.test(rest)) report(i, `malformed end tag </${name}>`);
      let k = stack.length - 1;
      while (k >= 0 && (stack[k] as MutableElement).name !== name) k--;
      if (k < 0) {
        report(i, `end tag </${name}> matches no open element; skipped`);
      } else {
        for (let m = stack.length - 1; m > k; m--) {
          report(
            i,
            `element <${(stack[m] as MutableElement).name}> is not closed before </${name}>; closed here`,
          );
        }
        stack.length = k;
        if (k === 0) rootClosed = true;
      }
      i = next;
      continue;
    }
    // A start tag, or a stray '<'.
    const name = readName(i + 1);
    if (name === '') {
      report(i, `"<" does not start a tag; kept as text`);
      if (textBuffer === '') textStart = i;
      textBuffer += '<';
      i += 1;
      continue;
    }
    flushText();
    const element: MutableElement = {
      name,
      localName: name.includes(':') ? name.slice(name.indexOf(':') + 1) : name,
      namespace: null,
      attributes: new Map(),
      children: [],
      offset: i,
      scope: stack[stack.length - 1]?.scope ?? EMPTY_SCOPE,
    };
    let j = i + 1 + name.length;
    let selfClosing = false;
    let closed = false;
    while (j < n) {
      j = skipSpace(j);
      if (text.startsWith('/>', j)) {
        selfClosing = true;
        closed = true;
        j += 2;
        break;
      }
      if (text.charAt(j) === '>') {
        closed = true;
        j += 1;
        break;
      }
      if (text.charAt(j) === '<') break; // the tag never closed; a new one starts
      const attribute = readName(j);
      if (attribute === '') {
        report(j, `unexpected "${text.charAt(j)}" in tag <${name}>; skipped`);
        j += 1;
        continue;
      }
      let k = skipSpace(j + attribute.length);
      if (text.charAt(k) !== '=') {
        report(j, `attribute ${attribute} of <${name}> has no value; ignored`);
        j = k;
        continue;
      }
      k = skipSpace(k + 1);
      const quote = text.charAt(k);
      if (quote !== '"' && quote !== "'") {
        report(k, `the value of attribute ${attribute} of <${name}> is not quoted; ignored`);
        while (k < n && !/[\s>]/.test(text.charAt(k))) k++;
        j = k;
        continue;
      }
      const end = text.indexOf(quote, k + 1);
      const lessThan = text.indexOf('<', k + 1);
      if (end === -1 || (lessThan !== -1 && lessThan < end)) {
        report(k, `the value of attribute ${attribute} of <${name}> is not terminated; ignored`);
        j = lessThan === -1 ? n : lessThan;
        break;
      }
      // Attribute-value normalization (XML 1.0 3.3.3): literal white space becomes a space, references stay.
      const value = expand(text.slice(k + 1, end).replace(/\r\n|[\t\n\r]/g, ' '), k + 1);
      if (element.attributes.has(attribute))
        report(j, `duplicate attribute ${attribute} on <${name}>; the first is kept`);
      else element.attributes.set(attribute, value);
      if (attribute === 'xmlns' || attribute.startsWith('xmlns:')) {
        // Copy the inherited scope once, on the first declaration: O(1) for elements that declare none.
        if (element.scope === (stack[stack.length - 1]?.scope ?? EMPTY_SCOPE))
          element.scope = new Map(element.scope);
        element.scope.set(attribute === 'xmlns' ? '' : attribute.slice(6), value);
      }
      j = end + 1;
    }
    if (!closed) report(i, `start tag <${name}> is not terminated`);
    const prefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : null;
    element.namespace = element.scope.get(prefix ?? '') ?? null;
    if (stack.length === 0) {
      if (root !== null) {
        report(i, `a second root element <${name}> is ignored`);
        // Parse it anyway so its end tag pairs up, but attach it nowhere.
      } else root = element;
    } else (stack[stack.length - 1] as MutableElement).children.push(element);
    if (!selfClosing) stack.push(element);
    else if (stack.length === 0 && root === element) rootClosed = true;
    i = j;
  }
  flushText();
  for (let m = stack.length - 1; m >= 0; m--) {
    report(
      n,
      `element <${(stack[m] as MutableElement).name}> is not closed at the end of the input; closed here`,
    );
  }
  return root;
}

/** The element children of an element. */
export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string');
}

/** The first child element with this local name, or undefined. */
export function child(element: XmlElement | null | undefined, localName: string): XmlElement | undefined {
  if (!element) return undefined;
  for (const c of element.children) if (typeof c !== 'string' && c.localName === localName) return c;
  return undefined;
}

/** All the text inside an element, descendants included, in document order (iterative: no recursion). */
export function textContent(element: XmlElement): string {
  let out = '';
  const todo: (XmlElement | string)[] = [element];
  while (todo.length > 0) {
    const node = todo.pop() as XmlElement | string;
    if (typeof node === 'string') out += node;
    else
      for (let k = node.children.length - 1; k >= 0; k--) todo.push(node.children[k] as XmlElement | string);
  }
  return out;
}
