import { TriageError } from '@triage/errors';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  type ArtifactKind,
  type ArtifactRecord,
  isSchemaVersion,
  kindOf,
  recordSchemas,
  SCHEMA_VERSION,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  schemaId,
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

const documentCache = new Map<SchemaVersion, JsonSchemaDocument>();

function checkedVersion(version: unknown): SchemaVersion {
  if (!isSchemaVersion(version)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `artifact schema version ${String(version)} is not one of ${SCHEMA_VERSIONS.join(', ')}`,
    );
  }
  return version;
}

/**
 * The JSON Schema (draft 2020-12 compatible subset, written as draft-07) of
 * one artifact record of a schema version, exactly as published in
 * `docs/schema/artifact-vN.schema.json`: `oneOf` the kinds, each under
 * `$defs/<kind>`, with `additionalProperties: false`.
 *
 * @param version - the schema version; default {@link SCHEMA_VERSION}
 * @returns a fresh copy the caller may change
 * @throws TriageError `INVALID_ARGUMENT` for an unknown version
 */
export function artifactJsonSchema(version: SchemaVersion = SCHEMA_VERSION): JsonSchemaDocument {
  const v = checkedVersion(version);
  let document = documentCache.get(v);
  if (!document) {
    const schemas = recordSchemas(v);
    document = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: schemaId(v),
      title: `triage artifact record, schema version ${v}`,
      description:
        'One line of a triage collection artifact stream (docs/formats/collection.md). The kind field selects the definition.',
      type: 'object',
      required: ['kind'],
      oneOf: schemas.map((s) => ({ $ref: `#/$defs/${kindOf(s)}` })),
      $defs: Object.fromEntries(schemas.map((s) => [kindOf(s), plain(s)])),
    };
    documentCache.set(v, document);
  }
  return plain(document);
}

/** Per kind: `check` stops at the first error (the verdict, fast); `explain` collects them all. */
interface KindValidator {
  readonly check: ValidateFunction;
  readonly explain: () => ValidateFunction;
}

const validators = new Map<SchemaVersion, Map<string, KindValidator>>();

function validatorFor(kind: string, version: SchemaVersion): KindValidator | undefined {
  let byKind = validators.get(version);
  if (!byKind) {
    const fast = new Ajv({ allErrors: false, strict: true });
    let thorough: Ajv | undefined;
    byKind = new Map(
      recordSchemas(version).map((s) => {
        let explain: ValidateFunction | undefined;
        return [
          kindOf(s),
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
    validators.set(version, byKind);
  }
  return byKind.get(kind);
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

/** Options for {@link validateRecord} and {@link assertRecord}. */
export interface ValidateOptions {
  /** The schema version to check against (a collection's `schema_version`); default {@link SCHEMA_VERSION}. */
  readonly version?: SchemaVersion;
}

/**
 * Checks a value against the record schema of its `kind`.
 *
 * @param value - a parsed JSON value
 * @param options - the schema version
 * @returns the record, or every issue found (path and message); never throws for a bad value
 * @throws TriageError `INVALID_ARGUMENT` for an unknown schema version
 */
export function validateRecord(value: unknown, options: ValidateOptions = {}): ValidationResult {
  const version = checkedVersion(options.version ?? SCHEMA_VERSION);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, issues: [{ path: '', message: 'must be an object' }] };
  }
  const kind = (value as { kind?: unknown }).kind;
  if (typeof kind !== 'string') return { ok: false, issues: [{ path: '/kind', message: 'is required' }] };
  const validator = validatorFor(kind, version);
  if (!validator) {
    const message = `unknown kind ${JSON.stringify(kind)}${version === SCHEMA_VERSION ? '' : ` in schema version ${version}`}`;
    return { ok: false, issues: [{ path: '/kind', message }] };
  }
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
 * @param where - added to the error context, e.g. `{ line: 12 }`, and the schema version to check against
 * @returns the value, typed
 * @throws TriageError `DATA_INVALID` naming the first wrong field; context has `kind`, `path` and `where`
 */
export function assertRecord(
  value: unknown,
  where: { readonly line?: number; readonly version?: SchemaVersion } = {},
): ArtifactRecord {
  const version = checkedVersion(where.version ?? SCHEMA_VERSION);
  const result = validateRecord(value, { version });
  if (result.ok) return result.record;
  const first = result.issues[0] ?? { path: '', message: 'is invalid' };
  const kind = (value as { kind?: unknown } | null)?.kind;
  const at = where.line === undefined ? '' : `line ${where.line}: `;
  throw new TriageError(
    'DATA_INVALID',
    `${at}${typeof kind === 'string' ? `${kind} record ` : 'record '}field ${first.path || '(root)'} ${first.message}; the collection does not match artifact schema v${version}`,
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

/**
 * True when `kind` is one of a schema version's kinds.
 *
 * @param kind - a kind name
 * @param version - the schema version; default {@link SCHEMA_VERSION}
 */
export function isArtifactKind(kind: string, version: SchemaVersion = SCHEMA_VERSION): kind is ArtifactKind {
  return validatorFor(kind, checkedVersion(version)) !== undefined;
}
