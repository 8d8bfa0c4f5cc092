/**
 * Part sizes and the S3 checksum arithmetic: pure functions, no I/O.
 */
import { createHash } from 'node:crypto';
import { TriageError } from '@triage/errors';

export const MiB = 1024 * 1024;
/** S3's limits. */
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;
export const DEFAULT_PART_SIZE = 8 * MiB;
/** For unknown sizes the part size doubles after every this many parts. */
export const GROWTH_INTERVAL = 1000;

/** How part sizes are chosen for one upload. */
export interface PartPlan {
  /** Size of part 1 (and of every part, when `growing` is false). */
  readonly base: number;
  /** Unknown total size: the part size doubles every {@link GROWTH_INTERVAL} parts. */
  readonly growing: boolean;
}

/**
 * The part plan for an upload.
 *
 * @param requested - the caller's part size, or undefined for the default 8 MiB
 * @param size - the total size, when known
 * @throws INVALID_ARGUMENT for a part size under 5 MiB or over 5 GiB, or an object over 5 TiB
 */
export function planParts(requested: number | undefined, size: number | undefined): PartPlan {
  const base = requested ?? DEFAULT_PART_SIZE;
  if (!Number.isSafeInteger(base) || base < MIN_PART_SIZE || base > MAX_PART_SIZE) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'partSize must be a whole number of bytes from 5 MiB to 5 GiB.',
      {
        context: { partSize: base },
      },
    );
  }
  if (size === undefined) return { base, growing: true };
  if (!Number.isSafeInteger(size) || size < 0 || size > MAX_OBJECT_SIZE) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      'size must be a whole number of bytes up to 5 TiB (S3’s object limit).',
      {
        context: { size },
      },
    );
  }
  // Grow in whole MiB until 10,000 parts cover the object.
  const needed = Math.ceil(size / MAX_PARTS / MiB) * MiB;
  return { base: Math.max(base, needed), growing: false };
}

/** The size of part `partNumber` (1-based) under `plan`. */
export function partSizeFor(plan: PartPlan, partNumber: number): number {
  if (!plan.growing) return plan.base;
  const doublings = Math.floor((partNumber - 1) / GROWTH_INTERVAL);
  return Math.min(MAX_PART_SIZE, plan.base * 2 ** doublings);
}

/** Byte offset where part `partNumber` starts. */
export function partOffset(plan: PartPlan, partNumber: number): number {
  if (!plan.growing) return (partNumber - 1) * plan.base;
  let offset = 0;
  for (let n = 1; n < partNumber; n += GROWTH_INTERVAL) {
    const count = Math.min(GROWTH_INTERVAL, partNumber - n);
    offset += count * partSizeFor(plan, n);
  }
  return offset;
}

/** SHA-256 digest of bytes. */
export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/**
 * S3's composite checksum of a multipart object: base64 SHA-256 of the
 * concatenated part digests, then `-` and the part count.
 */
export function compositeChecksum(partDigests: readonly Uint8Array[]): string {
  const outer = createHash('sha256');
  for (const digest of partDigests) outer.update(digest);
  return `${outer.digest('base64')}-${partDigests.length}`;
}

/**
 * Whether a checksum S3 reported matches ours. S3 reports a composite as
 * `base64-N`; some servers omit `-N`, which is accepted when the digest part
 * matches.
 */
export function checksumMatches(reported: string, expected: string): boolean {
  if (reported === expected) return true;
  const [digest] = expected.split('-');
  return !reported.includes('-') && reported === digest;
}
