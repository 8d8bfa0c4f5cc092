import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checksumMatches,
  compositeChecksum,
  MAX_OBJECT_SIZE,
  MiB,
  partOffset,
  partSizeFor,
  planParts,
} from './parts.js';
import { decodePlan, encodePlan } from './upload.js';

describe('planParts', () => {
  it('uses 8 MiB by default and grows in whole MiB so 10,000 parts cover a known size', () => {
    expect(planParts(undefined, 1000)).toEqual({ base: 8 * MiB, growing: false });
    expect(planParts(undefined, 100 * 1024 * MiB)).toEqual({ base: 11 * MiB, growing: false }); // 100 GiB
    expect(planParts(5 * MiB, MAX_OBJECT_SIZE).base * 10_000).toBeGreaterThanOrEqual(MAX_OBJECT_SIZE);
    expect(planParts(undefined, undefined)).toEqual({ base: 8 * MiB, growing: true });
  });

  it('rejects part sizes and object sizes outside S3 limits', () => {
    for (const [part, size] of [
      [5 * MiB - 1, 1],
      [6 * 1024 * MiB, 1],
      [5 * MiB, MAX_OBJECT_SIZE + 1],
      [5 * MiB, -1],
    ] as const) {
      expect(() => planParts(part, size)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('doubles an unknown-size plan every 1,000 parts so 10,000 parts pass 5 TiB', () => {
    const plan = planParts(undefined, undefined);
    expect(partSizeFor(plan, 1000)).toBe(8 * MiB);
    expect(partSizeFor(plan, 1001)).toBe(16 * MiB);
    expect(partOffset(plan, 10_001)).toBeGreaterThan(MAX_OBJECT_SIZE);
  });

  it('partOffset is the sum of the sizes before it, for fixed and growing plans', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 9_999 }), (growing, n) => {
        const plan = { base: 5 * MiB, growing };
        expect(partOffset(plan, n + 1)).toBe(partOffset(plan, n) + partSizeFor(plan, n));
      }),
      { numRuns: 300 },
    );
    expect(partOffset({ base: 5 * MiB, growing: true }, 1)).toBe(0);
  });

  it('encodes the plan in metadata and reads it back', () => {
    expect(decodePlan(encodePlan({ base: 8 * MiB, growing: true }))).toEqual({
      base: 8 * MiB,
      growing: true,
    });
    expect(decodePlan(encodePlan({ base: 5 * MiB, growing: false }))).toEqual({
      base: 5 * MiB,
      growing: false,
    });
    expect(decodePlan('nonsense')).toBeUndefined();
    expect(decodePlan(undefined)).toBeUndefined();
  });
});

describe('checksums', () => {
  const digest = (text: string) => createHash('sha256').update(text).digest();

  it('computes S3 composite checksums as base64(sha256(digests))-N', () => {
    const parts = [digest('a'), digest('b')];
    const expected = `${createHash('sha256').update(Buffer.concat(parts)).digest('base64')}-2`;
    expect(compositeChecksum(parts)).toBe(expected);
  });

  it('matches a reported checksum with or without the -N suffix, never another digest', () => {
    const ours = compositeChecksum([digest('a'), digest('b')]);
    expect(checksumMatches(ours, ours)).toBe(true);
    expect(checksumMatches(ours.split('-')[0] as string, ours)).toBe(true);
    expect(checksumMatches(`${ours.split('-')[0]}-3`, ours)).toBe(false);
    expect(checksumMatches(compositeChecksum([digest('a')]), ours)).toBe(false);
  });
});
