/**
 * IAM policy documents: parsing and validation into a normalised form, with
 * errors that name the JSON path of the first problem
 * (IAM User Guide, "IAM JSON policy element reference").
 */
import { TriageError } from '@triage/errors';
import { parseOperator } from './conditions.js';

/** `Principal`/`NotPrincipal`: `*`, or principals by type (`AWS`, `Service`, `Federated`, `CanonicalUser`). */
export type Principals = '*' | Readonly<Record<string, readonly string[]>>;

/** A condition block: operator → condition key → values (always a list). */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

/** One statement, normalised: single values become lists, keys are validated. */
export interface Statement {
  readonly sid?: string;
  readonly effect: 'Allow' | 'Deny';
  /** Exactly one of action / notAction is set. */
  readonly action?: readonly string[];
  readonly notAction?: readonly string[];
  /** Resource / NotResource; absent in trust policies. */
  readonly resource?: readonly string[];
  readonly notResource?: readonly string[];
  readonly principal?: Principals;
  readonly notPrincipal?: Principals;
  readonly condition?: ConditionBlock;
  /** Where it came from, for explanations: `policyId#index`. */
  readonly origin: string;
}

/** A parsed policy document. */
export interface Policy {
  /** A name for explanations (the caller's, or `policy`). */
  readonly id: string;
  readonly version: '2012-10-17' | '2008-10-17';
  readonly statements: readonly Statement[];
}

const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Principal',
  'NotPrincipal',
  'Condition',
]);

function invalid(path: string, message: string): TriageError {
  return new TriageError('POLICY_INVALID', `${path}: ${message}`, { context: { path } });
}

/** `path` is `base.key`, built only for an error message (this runs for every element of every statement). */
function stringList(value: unknown, base: string, key?: string): string[] {
  if (typeof value === 'string' && value.length > 0) return [value];
  const path = (): string => (key === undefined ? base : `${base}.${key}`);
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw invalid(path(), 'must not be an empty list');
  const out: string[] = new Array(list.length);
  for (let index = 0; index < list.length; index++) {
    const item: unknown = list[index];
    if (typeof item !== 'string' || item.length === 0) {
      throw invalid(Array.isArray(value) ? `${path()}[${index}]` : path(), 'must be a non-empty string');
    }
    out[index] = item;
  }
  return out;
}

function principals(value: unknown, path: string): Principals {
  if (value === '*') return '*';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'must be "*" or an object such as {"AWS": "arn:aws:iam::123456789012:root"}');
  }
  const out: Record<string, readonly string[]> = {};
  for (const [type, ids] of Object.entries(value)) {
    if (!['AWS', 'Service', 'Federated', 'CanonicalUser'].includes(type)) {
      throw invalid(`${path}.${type}`, 'unknown principal type (AWS, Service, Federated, CanonicalUser)');
    }
    out[type] = stringList(ids, `${path}.${type}`);
  }
  return out;
}

function conditions(value: unknown, path: string): ConditionBlock {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(path, 'must be an object');
  // Plain loops: parsing is on the hot path of evaluation from raw JSON.
  const out: Record<string, Record<string, readonly string[]>> = {};
  const operators = value as Record<string, unknown>;
  for (const operator in operators) {
    const keys = operators[operator];
    if (!parseOperator(operator)) {
      throw invalid(
        `${path}.${operator}`,
        'is not a condition operator (check the spelling, e.g. BoolIfExists)',
      );
    }
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw invalid(`${path}.${operator}`, 'must map condition keys to values');
    }
    const entries: Record<string, readonly string[]> = {};
    for (const key in keys as Record<string, unknown>) {
      const raw = (keys as Record<string, unknown>)[key];
      if (typeof raw === 'string') {
        entries[key] = [raw];
        continue;
      }
      const list = Array.isArray(raw) ? raw : [raw];
      const values: string[] = new Array(list.length);
      for (let index = 0; index < list.length; index++) {
        const item: unknown = list[index];
        if (typeof item === 'string') values[index] = item;
        else if (typeof item === 'number' || typeof item === 'boolean') values[index] = String(item);
        else
          throw invalid(
            `${path}.${operator}.${key}${Array.isArray(raw) ? `[${index}]` : ''}`,
            'must be a string, number or boolean',
          );
      }
      entries[key] = values;
    }
    out[operator] = entries;
  }
  return out;
}

const EXCLUSIVE_PAIRS = [
  ['Action', 'NotAction'],
  ['Resource', 'NotResource'],
  ['Principal', 'NotPrincipal'],
] as const;

function statement(value: unknown, path: string, origin: string): Statement {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(path, 'must be an object');
  const s = value as Record<string, unknown>;
  for (const key in s) {
    if (!STATEMENT_KEYS.has(key)) throw invalid(`${path}.${key}`, 'is not a statement element');
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
    throw invalid(`${path}.Effect`, 'must be "Allow" or "Deny"');
  for (const [a, b] of EXCLUSIVE_PAIRS) {
    if (s[a] !== undefined && s[b] !== undefined)
      throw invalid(`${path}.${b}`, `cannot appear together with ${a}`);
  }
  if (s.Action === undefined && s.NotAction === undefined) throw invalid(path, 'needs Action or NotAction');
  if (s.Sid !== undefined && typeof s.Sid !== 'string') throw invalid(`${path}.Sid`, 'must be a string');
  // Built by assignment (not conditional spreads): parsing is on the hot path of evaluation from raw JSON.
  const out: { -readonly [K in keyof Statement]: Statement[K] } = { effect: s.Effect, origin };
  if (typeof s.Sid === 'string') out.sid = s.Sid;
  if (s.Action !== undefined) out.action = stringList(s.Action, path, 'Action');
  if (s.NotAction !== undefined) out.notAction = stringList(s.NotAction, path, 'NotAction');
  if (s.Resource !== undefined) out.resource = stringList(s.Resource, path, 'Resource');
  if (s.NotResource !== undefined) out.notResource = stringList(s.NotResource, path, 'NotResource');
  if (s.Principal !== undefined) out.principal = principals(s.Principal, `${path}.Principal`);
  if (s.NotPrincipal !== undefined) out.notPrincipal = principals(s.NotPrincipal, `${path}.NotPrincipal`);
  if (s.Condition !== undefined) out.condition = conditions(s.Condition, `${path}.Condition`);
  return out;
}

/**
 * Parses and validates a policy document (JSON text or the parsed object).
 *
 * @param document - the policy
 * @param id - a name used in explanations; default `policy`
 * @throws POLICY_INVALID naming the JSON path of the first problem (e.g. `$.Statement[1].Effect`)
 */
export function parsePolicy(document: string | unknown, id = 'policy'): Policy {
  let value: unknown = document;
  if (typeof document === 'string') {
    try {
      value = JSON.parse(document);
    } catch (cause) {
      throw new TriageError('POLICY_INVALID', `$: not valid JSON (${(cause as Error).message})`, {
        cause,
        context: { path: '$' },
      });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid('$', 'must be an object');
  const doc = value as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!['Version', 'Id', 'Statement'].includes(key)) throw invalid(`$.${key}`, 'is not a policy element');
  }
  const version = doc.Version ?? '2008-10-17';
  if (version !== '2012-10-17' && version !== '2008-10-17') {
    throw invalid('$.Version', 'must be "2012-10-17" (or the old "2008-10-17")');
  }
  if (doc.Statement === undefined) throw invalid('$.Statement', 'is required');
  const list = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  if (list.length === 0) throw invalid('$.Statement', 'must not be empty');
  const statements = list.map((item, index) =>
    statement(item, Array.isArray(doc.Statement) ? `$.Statement[${index}]` : '$.Statement', `${id}#${index}`),
  );
  return { id, version, statements };
}
