import { TriageError } from '@triage/errors';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  type ArtifactKind,
  type ArtifactRecord,
  RECORD_SCHEMAS,
  SCHEMA_ID,
  SCHEMA_VERSION,
} from './records.js';

/** A JSON value as the published schema document holds it. */
export type JsonSchemaDocument = { readonly [key: string]: unknown };

/** One reason a value is not a valid record. */
export interface ValidationIssue {
  /** JSON Pointer into the record, `''` for the record itself (e.g. `/uid`). */
  readonly path: string;
  /** What is wrong, e.g. `must be integer`. */
  readonly message: string;
}

/** The result of {@link validateRecord}. */
export type ValidationResult =
  | { readonly ok: true; readonly record: ArtifactRecord }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

function plain<T>(value: T): T {
  // TypeBox marks schemas with symbol keys; JSON drops them, leaving the pure JSON Schema.
  return JSON.parse(JSON.stringify(value)) as T;
}

let documentCache: JsonSchemaDocument | undefined;

/**
 * The JSON Schema (draft 2020-12 compatible subset, written as draft-07) of
 * one artifact record, exactly as published in `docs/schema/`: `oneOf` the
 * kinds, each under `$defs/<kind>`, with `additionalProperties: false`.
 *
 * @returns a fresh copy the caller may change
 */
export function artifactJsonSchema(): JsonSchemaDocument {
  documentCache ??= {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: `triage artifact record, schema version ${SCHEMA_VERSION}`,
    description:
      'One line of a triage collection artifact stream (docs/formats/collection.md). The kind field selects the definition.',
    type: 'object',
    required: ['kind'],
    oneOf: RECORD_SCHEMAS.map((s) => ({ $ref: `#/$defs/${s.properties.kind.const}` })),
    $defs: Object.fromEntries(RECORD_SCHEMAS.map((s) => [s.properties.kind.const, plain(s)])),
  };
  return plain(documentCache);
}

/** Per kind: `check` stops at the first error (the verdict, fast); `explain` collects them all. */
interface KindValidator {
  readonly check: ValidateFunction;
  readonly explain: () => ValidateFunction;
}

let validators: Map<string, KindValidator> | undefined;

function validatorFor(kind: string): KindValidator | undefined {
  if (!validators) {
    const fast = new Ajv({ allErrors: false, strict: true });
    let thorough: Ajv | undefined;
    validators = new Map(
      RECORD_SCHEMAS.map((s) => {
        let explain: ValidateFunction | undefined;
        return [
          s.properties.kind.const,
          {
            check: fast.compile(plain(s)),
            // Only invalid records need every issue; compiled on the first one.
            explain: () => {
              thorough ??= new Ajv({ allErrors: true, strict: true });
              explain ??= thorough.compile(plain(s));
              return explain;
            },
          },
        ];
      }),
    );
  }
  return validators.get(kind);
}

function issueOf(error: ErrorObject): ValidationIssue {
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty?: string }).additionalProperty;
    return { path: `${error.instancePath}/${extra ?? ''}`, message: 'is not a field of this kind' };
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty?: string }).missingProperty;
    return { path: `${error.instancePath}/${missing ?? ''}`, message: 'is required' };
  }
  return { path: error.instancePath, message: error.message ?? error.keyword };
}

/**
 * Checks a value against the record schema of its `kind`.
 *
 * @param value - a parsed JSON value
 * @returns the record, or every issue found (path and message), never throws
 */
export function validateRecord(value: unknown): ValidationResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issues: [{ path: '', message: 'must be an object' }] };
  }
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string') return { ok: false, issues: [{ path: '/kind', message: 'is required' }] };
  const validator = validatorFor(kind);
  if (!validator)
    return { ok: false, issues: [{ path: '/kind', message: `unknown kind ${JSON.stringify(kind)}` }] };
  if (validator.check(value)) return { ok: true, record: value as ArtifactRecord };
  // The same schema with allErrors, for every issue; the verdict stays the fast validator's.
  const validate = validator.explain();
  validate(value);
  // Unions (nullable fields) report one error per branch; keep the first per path.
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of validate.errors ?? []) {
    const issue = issueOf(error);
    if (seen.has(issue.path)) continue;
    seen.add(issue.path);
    issues.push(issue);
  }
  if (issues.length === 0) issues.push({ path: '', message: 'is invalid' });
  return { ok: false, issues };
}

/**
 * Like {@link validateRecord} but throws.
 *
 * @param value - a parsed JSON value
 * @param where - added to the error context, e.g. `{ line: 12 }`
 * @returns the value, typed
 * @throws TriageError `DATA_INVALID` naming the first wrong field; context has `kind`, `path` and `where`
 */
export function assertRecord(value: unknown, where: { readonly line?: number } = {}): ArtifactRecord {
  const result = validateRecord(value);
  if (result.ok) return result.record;
  const first = result.issues[0] ?? { path: '', message: 'is invalid' };
  const kind = (value as { kind?: unknown } | null)?.kind;
  const at = where.line === undefined ? '' : `line ${where.line}: `;
  throw new TriageError(
    'DATA_INVALID',
    `${at}${typeof kind === 'string' ? `${kind} record ` : 'record '}field ${first.path || '(root)'} ${first.message}; the collection does not match artifact schema v${SCHEMA_VERSION}`,
    {
      context: {
        ...(typeof kind === 'string' ? { kind } : {}),
        path: first.path,
        issues: result.issues.length,
        ...(where.line === undefined ? {} : { line: where.line }),
      },
    },
  );
}

/** True when `kind` is one of the schema's kinds. */
export function isArtifactKind(kind: string): kind is ArtifactKind {
  return validatorFor(kind) !== undefined;
}
