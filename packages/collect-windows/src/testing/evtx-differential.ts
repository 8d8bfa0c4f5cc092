/**
 * Differential comparison of our EVTX records with Debian's reference
 * parsers: libyal evtxexport 20181227 and python-evtx 0.6.1, each driven
 * through src/testing/evtx_oracle.py, which prints one JSON line per record.
 *
 * For each record both read (matched by record id, in order for repeats)
 * the comparison covers: record id, written time, System/EventID (and its
 * qualifiers), Provider/@Name, Computer, Channel, EventRecordID,
 * TimeCreated, and every EventData field value (plus UserData leaves). A difference either falls under one of the
 * documented {@link RULES} (a rendering choice where we follow Windows or
 * the specification and the reference does not) or is reported as
 * unexplained, which fails the test.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { EvtxJsonObject, EvtxJsonValue, EvtxRecord } from '../evtx/evtx.js';

/** What the oracle prints for one record. */
export interface OracleRecord {
  readonly chunk?: number;
  readonly id?: number;
  readonly written?: string;
  readonly eventId?: string;
  readonly qualifiers?: string | null;
  readonly provider?: string | null;
  readonly computer?: string;
  readonly channel?: string;
  readonly timeCreated?: string | null;
  readonly recordIdInEvent?: string;
  readonly eventData?: readonly (readonly [tag: string, name: string | null, text: string])[];
  readonly userData?: readonly (readonly [path: string, text: string])[];
  readonly error?: string;
}

export type Tool = 'evtxexport' | 'python-evtx';

/**
 * Where we and a reference render a value differently on purpose, with the
 * reason we are right. A difference is put under a rule only when the
 * rule's test says the two texts mean the same value.
 */
export const RULES = {
  'hex-padding':
    'HexInt32/HexInt64 values: both references pad 64-bit hex to 16 digits (0x000000000058d874); we write 0x58d874 as Windows does. The Event schema type HexInt64Type is 0[xX][0-9A-Fa-f]{1,16} (no padding); the numbers are equal.',
  'guid-case':
    'GUIDs: python-evtx writes lower case; we write upper case with braces as Windows and evtxexport do (MS-DTYP 2.3.4.3 string form, case-insensitive).',
  'time-precision':
    'FILETIME values: python-evtx converts through a float of seconds (about 1.9 us resolution) and prints microseconds ("2017-07-12 17:16:05.499258"); we keep all 7 digits of the 100 ns FILETIME (libyal "Characteristics": FILETIME). Equal within 5 microseconds; exactly equal to evtxexport.',
  'binary-base64':
    'Binary values (type 0x0E): python-evtx writes base64; we write upper-case hex, as Event Viewer and evtxexport do (libyal "Event data": Binary is base16 encoded). Same bytes.',
  'optional-null':
    'An optional substitution (token 0x0E) whose value is NULL: python-evtx keeps the element or attribute, empty; we drop it as MS-EVEN6 3.1.4.7.2 requires ("the enclosing element or attribute MUST be omitted"), as evtxexport does.',
  'array-items':
    'String arrays (type 0x81): python-evtx writes the items as <string>…</string> markup inside one element, built by a byte-regex scan (Nodes.py WstringArrayTypeNode.string) that can start mid-character and drops or repeats items; we split the UTF-16 at each NUL (libyal "Value types", 0x81) and give one item per element, exactly as evtxexport does. Checked by running python-evtx\'s scan on the bytes our items encode: it yields python-evtx\'s text.',
  'restricted-chars':
    'Control characters in a string (e.g. U+0003 in a 4739 MinPasswordAge): python-evtx deletes the XML 1.1 RestrictedChar set from its output; we keep the value as stored (JSON "\\u0003", XML &#x3;), as evtxexport does.',
  'bool-case':
    'Boolean values: python-evtx writes True/False (Python repr); we write true/false, the xs:boolean form of Windows event XML.',
} as const;

export type Rule = keyof typeof RULES;

/** One field compared, with its outcome. */
export interface FieldResult {
  readonly recordId: number;
  readonly field: string;
  readonly ours: string;
  readonly theirs: string;
  /** `undefined` when equal as text; a rule when different but explained; `'unexplained'` otherwise. */
  readonly verdict: Rule | 'unexplained' | undefined;
}

const ORACLE = fileURLToPath(new URL('./evtx_oracle.py', import.meta.url));

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve(stdout);
    });
  });
}

function lines(output: string): OracleRecord[] {
  return output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OracleRecord);
}

/** python-evtx's records, one at a time through its library. */
export async function pythonEvtxRecords(
  tools: { bin: string; processEnv: NodeJS.ProcessEnv },
  path: string,
): Promise<OracleRecord[]> {
  return lines(await run('python3', [ORACLE, 'python-evtx', path], tools.processEnv));
}

/**
 * evtxexport's records (text output for number and written time, XML output
 * for the event): `items` are the allocated records, `recovered` those it
 * found by scanning after damage and in chunk slack.
 */
export async function evtxexportRecords(
  tools: { bin: string; processEnv: NodeJS.ProcessEnv },
  path: string,
  scratch: string,
  mode: 'items' | 'recovered' = 'items',
): Promise<OracleRecord[]> {
  const text = await run(`${tools.bin}/evtxexport`, ['-m', mode, path], tools.processEnv);
  const xml = await run(`${tools.bin}/evtxexport`, ['-m', mode, '-f', 'xml', path], tools.processEnv);
  await writeFile(`${scratch}.txt`, text);
  await writeFile(`${scratch}.xml`, xml);
  return lines(
    await run('python3', [ORACLE, 'evtxexport', `${scratch}.txt`, `${scratch}.xml`], tools.processEnv),
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A time text as 100 ns ticks since 1970 (BigInt): our ISO form, evtxexport's
 * ISO form with 9 digits or its `Jul 12, 2017 17:16:28.214161600 UTC`, and
 * python-evtx's `2017-07-12 17:16:28.214161` / isoformat.
 */
export function timeTicks(text: string): bigint | null {
  let m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?Z?$/.exec(text.trim());
  let parts: string[] | undefined;
  if (m) parts = m.slice(1) as string[];
  m = /^(\w{3}) (\d\d), (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d+) UTC$/.exec(text.trim());
  if (m) {
    const [, mon, day, year, hh, mm, ss, frac] = m as unknown as string[];
    parts = [
      year ?? '',
      String(MONTHS.indexOf(mon ?? '') + 1).padStart(2, '0'),
      day ?? '',
      hh ?? '',
      mm ?? '',
      ss ?? '',
      frac ?? '',
    ];
  }
  if (!parts) return null;
  const [year, month, day, hh, mm, ss, frac = ''] = parts;
  const ms = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hh), Number(mm), Number(ss));
  const fraction = BigInt((frac ?? '').padEnd(7, '0').slice(0, 7) || '0');
  return BigInt(ms) * 10_000n + fraction;
}

/** Our value as the text a reference would print for it. */
export function ourText(value: EvtxJsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(ourText).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

const HEX = /^0x[0-9a-f]+$/i;
// XML 1.1 RestrictedChar, as python-evtx's Views.py strips it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these control characters are what the rule is about
const RESTRICTED = /[\x01-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F]/;
const RESTRICTED_ALL = new RegExp(RESTRICTED.source, 'g');
const GUID = /^\{[0-9a-f-]{36}\}$/i;

/** Decides whether two texts of one field differ, and under which rule. */
export function verdict(oursRaw: string, theirs: string, tool: Tool): FieldResult['verdict'] {
  // The oracle reads both references' output with an XML parser, which turns CR LF into LF (XML 1.0 section 2.11).
  const ours = oursRaw.replace(/\r\n?/g, '\n');
  if (ours === theirs) return undefined;
  if (HEX.test(ours) && HEX.test(theirs) && BigInt(ours) === BigInt(theirs)) return 'hex-padding';
  if (GUID.test(ours) && GUID.test(theirs) && ours.toLowerCase() === theirs.toLowerCase()) return 'guid-case';
  const a = timeTicks(ours);
  const b = timeTicks(theirs);
  if (a !== null && b !== null) {
    if (a === b) return undefined; // same instant, other notation
    const diff = a > b ? a - b : b - a;
    // A float64 of ~1.3e10 seconds resolves ~1.9 us; python-evtx then truncates to whole microseconds.
    if (tool === 'python-evtx' && diff <= 50n) return 'time-precision';
    return 'unexplained';
  }
  if (
    tool === 'python-evtx' &&
    /^[0-9A-F]*$/.test(ours) &&
    theirs !== '' &&
    Buffer.from(theirs, 'base64').toString('hex').toUpperCase() === ours
  ) {
    return 'binary-base64';
  }
  if (tool === 'python-evtx' && (theirs === 'True' || theirs === 'False') && ours === theirs.toLowerCase())
    return 'bool-case';
  if (tool === 'python-evtx' && RESTRICTED.test(ours) && ours.replace(RESTRICTED_ALL, '') === theirs)
    return 'restricted-chars';
  return 'unexplained';
}

/**
 * python-evtx 0.6.1's rendering of a string array (Nodes.py,
 * WstringArrayTypeNode.string), ported byte for byte, quirks included: a
 * forward search for `(?:[^\x00].)+` (where `.` skips 0x0A), a slice from
 * the start by the match length plus 2, then one empty item per NUL pair.
 */
export function pythonEvtxStringArray(bytes: Buffer): string {
  let rest = bytes.toString('latin1');
  const out: string[] = [];
  while (rest.length > 0) {
    const before = rest.length;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: python-evtx's own pattern, byte for byte
    const match = /(?:[^\x00][^\n])+/.exec(rest);
    if (match) {
      out.push('<string>', Buffer.from(match[0], 'latin1').toString('utf16le'), '</string>\n');
      rest = rest.slice(match[0].length + 2);
      if (rest.length === 0) break;
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: python-evtx's own pattern, byte for byte
    const zeros = /^\x00*/.exec(rest)?.[0] ?? '';
    for (let i = 0; i < Math.floor(zeros.length / 2); i++) out.push('<string></string>\n');
    rest = rest.slice(zeros.length);
    if (rest.length === before) break; // python-evtx would loop forever here
  }
  return out.join('');
}

function asObject(value: EvtxJsonValue | undefined): EvtxJsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
}

/** Our UserData as [path, text] leaves, in the oracle's notation (attributes as `/@name`, no xmlns). */
function userDataLeaves(value: EvtxJsonValue | undefined, path: string, out: [string, string][]): void {
  if (value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) userDataLeaves(item, path, out);
    return;
  }
  const object = asObject(value);
  if (!object) {
    out.push([path, ourText(value)]);
    return;
  }
  for (const [key, child] of Object.entries(object)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    if (key === '#text') out.push([path, ourText(child)]);
    else if (typeof child !== 'object' || child === null) out.push([`${path}/${key}`, ourText(child)]);
    else userDataLeaves(child, `${path}/${key}`, out);
  }
}

/**
 * Compares one record field by field. EventData entries are matched by
 * name (named Data), by order (unnamed Data) or by element (Binary…).
 */
export function compareRecord(ours: EvtxRecord, theirs: OracleRecord, tool: Tool): FieldResult[] {
  const results: FieldResult[] = [];
  const field = (name: string, a: string, b: string) =>
    results.push({ recordId: ours.recordId, field: name, ours: a, theirs: b, verdict: verdict(a, b, tool) });
  const system = asObject(ours.event.System);
  field('recordId', String(ours.recordId), String(theirs.id));
  field('writtenTime', ours.writtenTime, theirs.written ?? '');
  field('eventId', ourText(system?.EventID), theirs.eventId ?? '');
  const qualifiers = ourText(system?.EventIDQualifiers);
  if (qualifiers !== '' || (theirs.qualifiers ?? '') !== '')
    field('eventIdQualifiers', qualifiers, theirs.qualifiers ?? '');
  field('provider', ours.provider ?? '', theirs.provider ?? '');
  field('computer', ours.computer ?? '', theirs.computer ?? '');
  field('channel', ours.channel ?? '', theirs.channel ?? '');
  if (theirs.recordIdInEvent !== undefined)
    field('EventRecordID', ourText(system?.EventRecordID), theirs.recordIdInEvent);
  if (theirs.timeCreated) field('timeCreated', ourText(system?.TimeCreated), theirs.timeCreated);

  const eventData = asObject(ours.event.EventData) ?? {};
  const unnamed = Array.isArray(eventData.Data) ? [...eventData.Data] : [];
  for (const [tag, name, text] of theirs.eventData ?? []) {
    const label = `EventData/${name ?? tag}`;
    if (tag === 'Data' && name) {
      if (!(name in eventData) && text === '') {
        results.push({
          recordId: ours.recordId,
          field: label,
          ours: '(absent)',
          theirs: '',
          verdict: 'optional-null',
        });
        continue;
      }
      field(label, ourText(eventData[name]), text);
    } else if (tag === 'Data') {
      if (tool === 'python-evtx' && text.includes('<string>')) {
        // python-evtx's markup for a string array, which is the rest of the unnamed Data in our rendering.
        const mine = unnamed.splice(0).map(ourText);
        const bytes = Buffer.from(mine.map((item) => `${item}\0`).join(''), 'utf16le');
        const same = pythonEvtxStringArray(bytes).replace(/\r\n?/g, '\n') === text;
        results.push({
          recordId: ours.recordId,
          field: label,
          ours: mine.join('|'),
          theirs: text,
          verdict: same ? 'array-items' : 'unexplained',
        });
        continue;
      }
      if (unnamed.length === 0 && text === '') {
        results.push({
          recordId: ours.recordId,
          field: label,
          ours: '(absent)',
          theirs: '',
          verdict: 'optional-null',
        });
        continue;
      }
      field(label, ourText(unnamed.shift()), text);
    } else {
      field(label, ourText(eventData[tag]), text);
    }
  }
  for (const rest of unnamed) field('EventData/Data', ourText(rest), '(absent)');

  const mine: [string, string][] = [];
  userDataLeaves(ours.event.UserData, '', mine);
  const ourLeaves = mine.filter(([, t]) => t !== '').map(([p, t]) => [p.replace(/\/@?/g, '/'), t] as const);
  const theirLeaves = (theirs.userData ?? [])
    .filter(([, t]) => t !== '')
    .map(([p, t]) => [p.replace(/\/@?/g, '/'), t] as const);
  for (const [path, text] of theirLeaves) {
    const i = ourLeaves.findIndex(([p]) => p === path);
    const [, found] = i >= 0 ? (ourLeaves.splice(i, 1)[0] ?? ['', '(absent)']) : ['', '(absent)'];
    field(`UserData${path}`, found, text);
  }
  for (const [path, text] of ourLeaves) field(`UserData${path}`, text, '(absent)');
  return results;
}

/** Pairs our records with a reference's by record id (repeats in file order). */
export function pairRecords(
  ours: readonly EvtxRecord[],
  theirs: readonly OracleRecord[],
): { pairs: [EvtxRecord, OracleRecord][]; onlyOurs: EvtxRecord[]; onlyTheirs: OracleRecord[] } {
  const byId = new Map<number, OracleRecord[]>();
  for (const t of theirs) {
    if (t.id === undefined || t.error) continue;
    const list = byId.get(t.id) ?? [];
    list.push(t);
    byId.set(t.id, list);
  }
  const pairs: [EvtxRecord, OracleRecord][] = [];
  const onlyOurs: EvtxRecord[] = [];
  for (const r of ours) {
    const match = byId.get(r.recordId)?.shift();
    if (match) pairs.push([r, match]);
    else onlyOurs.push(r);
  }
  const onlyTheirs = [...byId.values()].flat();
  return { pairs, onlyOurs, onlyTheirs };
}
