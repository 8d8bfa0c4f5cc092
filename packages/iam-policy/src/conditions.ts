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

interface Address {
  /** IPv4 as a number (exact up to 2^32); IPv6 as a bigint. */
  readonly value: number | bigint;
  readonly bits: 32 | 128;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(m[i]);
    if (part > 255) return undefined;
    value = value * 256 + part;
  }
  return value;
}

function parseAddress(text: string): Address | undefined {
  const v4 = ipv4(text);
  if (v4 !== undefined) return { value: v4, bits: 32 };
  if (!text.includes(':')) return undefined;
  let address = text;
  const embedded = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(address);
  if (embedded) {
    const tail = ipv4(embedded[1] as string);
    if (tail === undefined) return undefined;
    address = `${address.slice(0, -(embedded[1] as string).length)}${Math.floor(tail / 65536).toString(16)}:${(tail % 65536).toString(16)}`;
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

interface Network {
  readonly address: Address;
  readonly prefix: number;
}

/** Parsed CIDRs from policies (few, repeated across evaluations); bounded against hostile input. */
const networks = new Map<string, Network | null>();

function parseNetwork(cidr: string): Network | null {
  const cached = networks.get(cidr);
  if (cached !== undefined) return cached;
  const slash = cidr.indexOf('/');
  const address = parseAddress(slash < 0 ? cidr : cidr.slice(0, slash));
  let network: Network | null = null;
  if (address) {
    const prefix = slash < 0 ? address.bits : Number(cidr.slice(slash + 1));
    if (
      Number.isInteger(prefix) &&
      prefix >= 0 &&
      prefix <= address.bits &&
      (slash < 0 || cidr.length > slash + 1)
    )
      network = { address, prefix };
  }
  if (networks.size > 4096) networks.clear();
  networks.set(cidr, network);
  return network;
}

/** Whether `ip` is inside `cidr` (IPv4 or IPv6; a bare address is a /32 or /128). */
export function cidrContains(cidr: string, ip: string): boolean {
  const net = parseNetwork(cidr);
  if (!net) return false;
  const address = parseAddress(ip);
  if (!address || net.address.bits !== address.bits) return false;
  const shift = net.address.bits - net.prefix;
  if (net.address.bits === 32) {
    const size = 2 ** shift;
    return Math.floor((net.address.value as number) / size) === Math.floor((address.value as number) / size);
  }
  const s = BigInt(shift);
  return (net.address.value as bigint) >> s === (address.value as bigint) >> s;
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
  if (substitutes && version === '2012-10-17' && policyValues.some((v) => v.includes('${'))) {
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

  if (op.set === 'ForAllValues') {
    for (const requestValue of requestValues) if (!valueOk(op, wanted, requestValue)) return false;
    return true; // also for a missing or empty key
  }
  if (op.set === 'ForAnyValue') {
    // false for a missing or empty key, IfExists or not: AWS denies with
    // ForAnyValue:StringEqualsIfExists when the request lacks the key (re:Post QU9HFmDzP0QGuU-fd7rS6B7w).
    for (const requestValue of requestValues) if (valueOk(op, wanted, requestValue)) return true;
    return false;
  }
  if (raw === undefined) return op.ifExists || op.negated;
  if (op.negated) {
    for (const requestValue of requestValues) if (!valueOk(op, wanted, requestValue)) return false;
    return true;
  }
  for (const requestValue of requestValues) if (valueOk(op, wanted, requestValue)) return true;
  return false;
}

/** One request value against the policy's values: ORed, or NOR for a negated operator. */
function valueOk(op: Operator, wanted: readonly string[], requestValue: string): boolean {
  let any = false;
  for (const v of wanted) {
    if (valueMatches(op, v, requestValue)) {
      any = true;
      break;
    }
  }
  return op.negated ? !any : any;
}

/** Whether a whole condition block holds: every operator, every key. */
export function conditionBlockHolds(
  block: ConditionBlock,
  context: RequestContext,
  version: string,
): boolean {
  // for…in rather than Object.entries: no arrays per evaluation
  for (const name in block) {
    const op = parseOperator(name);
    if (!op) return false; // rejected at parse; defensive
    const keys = block[name] as Readonly<Record<string, readonly string[]>>;
    for (const key in keys) {
      if (!conditionHolds(op, key, keys[key] as readonly string[], context, version)) return false;
    }
  }
  return true;
}
