/**
 * CI run of the AppCompatCache fuzz harness (`src/testing/fuzz-shimcache.ts`):
 * 300 mutated values, fixed seed. Every input must parse into a well-formed
 * cache (damage as diagnostics) or, with fewer than 4 bytes, be rejected with
 * DATA_INVALID; the counts show the mutations reach every layout and the
 * damage paths.
 */
import { describe, expect, it } from 'vitest';
import { fuzzShimCache } from '../testing/fuzz-shimcache.js';

describe('AppCompatCache fuzzing', () => {
  it('300 mutated values: each parses or is DATA_INVALID; damage shows as diagnostics', async () => {
    const report = await fuzzShimCache({ count: 300, seed: 0x5411c });
    expect(report.inputs).toBe(300);
    expect(report.parsed + report.rejected).toBe(300);
    expect(report.parsed).toBeGreaterThan(250);
    expect(report.diagnostics).toBeGreaterThan(50);
    expect(report.entries).toBeGreaterThan(10_000);
    expect(report.viaHive).toBeGreaterThan(10);
    // Mutations keep most values in their layout and push some out of every known one.
    expect(Object.keys(report.layouts).sort()).toEqual(
      expect.arrayContaining([
        '2003',
        'unknown',
        'vista-7-x64',
        'vista-7-x86',
        'win10',
        'win10-creators',
        'win8.0',
        'win8.1',
        'xp',
      ]),
    );
  }, 120_000);

  it('is reproducible from its seed', async () => {
    const a = await fuzzShimCache({ count: 40, seed: 7 });
    const b = await fuzzShimCache({ count: 40, seed: 7 });
    expect({ ...a, slowestMs: 0, slowestInput: 0 }).toEqual({ ...b, slowestMs: 0, slowestInput: 0 });
  }, 60_000);
});
