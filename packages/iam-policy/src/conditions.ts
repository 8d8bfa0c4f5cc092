/**
 * Condition operators (IAM User Guide, "IAM JSON policy elements: Condition
 * operators" and "Multivalued context keys"):
 * - operators in a block are ANDed, keys under an operator are ANDed, the
 *   values of one key are ORed; negated operators (…Not…, NotIpAddress) hold
 *   when no value matches (NOR);
 * - a key missing from the request makes a condition false, except negated
 *   operators (true), `…IfExists` (true) and `Null` (which tests presence);
 * - `ForAllValues:` holds when every request value matches (and when the key
 *   is missing or empty); `ForAnyValue:` when at least one does (never for a
 *   missing or empty key, even with `IfExists`).
 */
import { contextValue, matchSubstituted, type RequestContext, substitute } from './match.js';
import type { ConditionBlock } from './policy.js';

type Family =
  | 'String'
  | 'StringIgnoreCase'
  | 'StringLike'
  | 'Numeric'
  | 'Date'
  | 'Bool'
  | 'Binary'
  | 'Ip'
  | 'Arn'
  | 'Null';

/** A parsed operator name. */
export interface Operator {
  readonly family: Family;
  /** `<`, `<=`, `>`, `>=` or `=` for Numeric and Date. */
  readonly compare: '=' | '<' | '<=' | '>' | '>=';
  readonly negated: boolean;
  readonly ifExists: boolean;
  readonly set?: 'ForAllValues' | 'ForAnyValue';
}

const BASE: Readonly<Record<string, Omit<Operator, 'ifExists' | 'set'>>> = {
  StringEquals: { family: 'String', compare: '=', negated: false },
  StringNotEquals: { family: 'String', compare: '=', negated: true },
  StringEqualsIgnoreCase: { family: 'StringIgnoreCase', compare: '=', negated: false },
  StringNotEqualsIgnoreCase: { family: 'StringIgnoreCase', compare: '=', negated: true },
  StringLike: { family: 'StringLike', compare: '=', negated: false },
  StringNotLike: { family: 'StringLike', compare: '=', negated: true },
  NumericEquals: { family: 'Numeric', compare: '=', negated: false },
  NumericNotEquals: { family: 'Numeric', compare: '=', negated: true },
  NumericLessThan: { family: 'Numeric', compare: '<', negated: false },
  NumericLessThanEquals: { family: 'Numeric', compare: '<=', negated: false },
  NumericGreaterThan: { family: 'Numeric', compare: '>', negated: false },
  NumericGreaterThanEquals: { family: 'Numeric', compare: '>=', negated: false },
  DateEquals: { family: 'Date', compare: '=', negated: false },
  DateNotEquals: { family: 'Date', compare: '=', negated: true },
  DateLessThan: { family: 'Date', compare: '<', negated: false },
  DateLessThanEquals: { family: 'Date', compare: '<=', negated: false },
  DateGreaterThan: { family: 'Date', compare: '>', negated: false },
  DateGreaterThanEquals: { family: 'Date', compare: '>=', negated: false },
  Bool: { family: 'Bool', compare: '=', negated: false },
  BinaryEquals: { family: 'Binary', compare: '=', negated: false },
  IpAddress: { family: 'Ip', compare: '=', negated: false },
  NotIpAddress: { family: 'Ip', compare: '=', negated: true },
  ArnEquals: { family: 'Arn', compare: '=', negated: false },
  ArnLike: { family: 'Arn', compare: '=', negated: false },
  ArnNotEquals: { family: 'Arn', compare: '=', negated: true },
  ArnNotLike: { family: 'Arn', compare: '=', negated: true },
  Null: { family: 'Null', compare: '=', negated: false },
};

/** The operator names IAM defines, without prefixes or suffix. */
export const OPERATOR_NAMES: readonly string[] = Object.keys(BASE);

const parsedOperators = new Map<string, Operator | undefined>();

/** Parses `ForAnyValue:StringLikeIfExists` and the like; undefined for an unknown operator. */
export function parseOperator(name: string): Operator | undefined {
  if (parsedOperators.has(name)) return parsedOperators.get(name);
  const operator = parseOperatorUncached(name);
  // operator names in policies are few; bound the cache anyway against hostile input
  if (parsedOperators.size < 4096) parsedOperators.set(name, operator);
  return operator;
}

function parseOperatorUncached(name: string): Operator | undefined {
  let rest = name;
  let set: Operator['set'];
  for (const prefix of ['ForAllValues', 'ForAnyValue'] as const) {
    if (rest.startsWith(`${prefix}:`)) {
      set = prefix;
      rest = rest.slice(prefix.length + 1);
    }
  }
  let ifExists = false;
  if (rest.endsWith('IfExists') && rest !== 'IfExists') {
    ifExists = true;
    rest = rest.slice(0, -'IfExists'.length);
  }
  const base = BASE[rest];
  if (!base || (base.family === 'Null' && (ifExists || set))) return undefined;
  return { ...base, ifExists, ...(set ? { set } : {}) };
}

function parseDate(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000; // epoch seconds
  return Date.parse(text);
}

function ipToBigInt(text: string): { value: bigint; bits: number } | undefined {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const parts = text.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n), bits: 32 };
  }
  if (!text.includes(':')) return undefined;
  let address = text;
  const v4 = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (v4) {
    const tail = ipToBigInt(v4[1] as string);
    if (!tail) return undefined;
    address = `${address.slice(0, -(v4[1] as string).length)}${((tail.value >> 16n) & 0xffffn).toString(16)}:${(tail.value & 0xffffn).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...Array<string>(missing).fill('0'), ...tail];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return { value, bits: 128 };
}

/** Whether `ip` is inside `cidr` (IPv4 or IPv6; a bare address is a /32 or /128). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [network = '', prefixText] = cidr.split('/');
  const net = ipToBigInt(network);
  const address = ipToBigInt(ip);
  if (!net || !address || net.bits !== address.bits) return false;
  const prefix = prefixText === undefined ? net.bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > net.bits) return false;
  const shift = BigInt(net.bits - prefix);
  return net.value >> shift === address.value >> shift;
}

function arnMatches(pattern: string, arn: string): boolean {
  const p = pattern.split(':');
  const a = arn.split(':');
  if (p.length < 6 || a.length < 6) return false;
  const head = (parts: string[]) => [...parts.slice(0, 5), parts.slice(5).join(':')];
  const [hp, ha] = [head(p), head(a)];
  return hp.every((segment, index) => matchSubstituted(segment, ha[index] as string));
}

function valueMatches(op: Operator, policyValue: string, requestValue: string): boolean {
  switch (op.family) {
    case 'String':
      return policyValue === requestValue;
    case 'StringIgnoreCase':
      return policyValue.toLowerCase() === requestValue.toLowerCase();
    case 'StringLike':
      return matchSubstituted(policyValue, requestValue);
    case 'Numeric':
    case 'Date': {
      const parse = op.family === 'Numeric' ? Number : parseDate;
      const [want, got] = [parse(policyValue), parse(requestValue)];
      if (Number.isNaN(want) || Number.isNaN(got)) return false;
      if (op.compare === '<') return got < want;
      if (op.compare === '<=') return got <= want;
      if (op.compare === '>') return got > want;
      if (op.compare === '>=') return got >= want;
      return got === want;
    }
    case 'Bool':
      return policyValue.toLowerCase() === requestValue.toLowerCase();
    case 'Binary':
      return Buffer.from(policyValue, 'base64').equals(Buffer.from(requestValue, 'base64'));
    case 'Ip':
      return cidrContains(policyValue, requestValue);
    case 'Arn':
      return arnMatches(policyValue, requestValue);
    default:
      return false;
  }
}

/** Whether one condition (operator, key, policy values) holds for the request. */
export function conditionHolds(
  op: Operator,
  key: string,
  policyValues: readonly string[],
  context: RequestContext,
  version: string,
): boolean {
  const raw = contextValue(context, key);
  if (op.family === 'Null') {
    return policyValues.some((v) => (v.toLowerCase() === 'true' ? raw === undefined : raw !== undefined));
  }
  const requestValues: readonly string[] = raw === undefined ? [] : typeof raw === 'string' ? [raw] : raw;
  // Variables only in string and ARN conditions; an unresolved variable matches nothing.
  const substitutes =
    op.family === 'String' ||
    op.family === 'StringIgnoreCase' ||
    op.family === 'StringLike' ||
    op.family === 'Arn';
  let wanted = policyValues;
  if (substitutes) {
    const resolvedValues: string[] = [];
    for (const v of policyValues) {
      const resolved = substitute(v, context, version);
      if (resolved === undefined) continue;
      resolvedValues.push(
        op.family === 'String' || op.family === 'StringIgnoreCase'
          ? resolved.replaceAll('\uE000', '')
          : resolved,
      );
    }
    wanted = resolvedValues;
  }
  const matchesAny = (requestValue: string) => wanted.some((v) => valueMatches(op, v, requestValue));
  const ok = (requestValue: string) => (op.negated ? !matchesAny(requestValue) : matchesAny(requestValue));

  if (op.set === 'ForAllValues') {
    if (requestValues.length === 0) return true;
    return requestValues.every(ok);
  }
  if (op.set === 'ForAnyValue') {
    // false for a missing or empty key, IfExists or not: AWS denies with
    // ForAnyValue:StringEqualsIfExists when the request lacks the key (re:Post QU9HFmDzP0QGuU-fd7rS6B7w).
    if (requestValues.length === 0) return false;
    return requestValues.some(ok);
  }
  if (raw === undefined) return op.ifExists || op.negated;
  return op.negated ? requestValues.every(ok) : requestValues.some(ok);
}

/** Whether a whole condition block holds: every operator, every key. */
export function conditionBlockHolds(
  block: ConditionBlock,
  context: RequestContext,
  version: string,
): boolean {
  for (const [name, keys] of Object.entries(block)) {
    const op = parseOperator(name);
    if (!op) return false; // rejected at parse; defensive
    for (const [key, values] of Object.entries(keys)) {
      if (!conditionHolds(op, key, values, context, version)) return false;
    }
  }
  return true;
}
