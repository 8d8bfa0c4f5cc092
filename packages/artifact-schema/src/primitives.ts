/**
 * Building blocks shared by every schema version: times, nullable values,
 * counts, hashes and the record envelope (`kind`, `source`, `collected_at`).
 * Their JSON Schema output is part of every published version, so a change
 * here changes them all (the staleness test of each published file catches it).
 */
import { type TLiteral, type TSchema, Type } from '@sinclair/typebox';

/** ISO 8601 UTC timestamp with optional fraction, e.g. `2026-11-23T18:00:00.000Z`. */
export const TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z$';

/** An ISO 8601 time in UTC. */
export const Time = Type.String({ pattern: TIME_PATTERN, description: 'ISO 8601 time in UTC' });

/** `schema` or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A non-negative integer. */
export const Uint = (description?: string) =>
  Type.Integer({ minimum: 0, ...(description === undefined ? {} : { description }) });

/** A TCP or UDP port. */
export const Port = Type.Integer({ minimum: 0, maximum: 65535 });

/** A SHA-256 digest as lowercase hex. */
export const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, lowercase hex' });

const SOURCE_DESCRIPTION = 'The file, procfs path or command the record was read from';

/**
 * One record kind: `kind`, `source` and `collected_at`, then its own fields;
 * no other member is allowed.
 *
 * @param kind - the kind name
 * @param description - what one record is
 * @param props - the kind's own fields
 * @param sourceDescription - the description of `source` (version 1's when omitted)
 */
export function record<K extends string, P extends Record<string, TSchema>>(
  kind: K,
  description: string,
  props: P,
  sourceDescription: string = SOURCE_DESCRIPTION,
) {
  return Type.Object(
    {
      kind: Type.Literal(kind) as TLiteral<K>,
      source: Type.String({ minLength: 1, description: sourceDescription }),
      collected_at: Time,
      ...props,
    },
    { title: kind, description, additionalProperties: false },
  );
}
