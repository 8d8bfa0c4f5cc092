/**
 * The EVTX fuzz harness (src/testing/fuzz-evtx.ts) on 300 mutated samples:
 * no throw but DATA_INVALID for a non-EVTX input, bounded work for each.
 * The benchmark runs the same harness on 10,000.
 */
import { describe, expect, it } from 'vitest';
import { fuzzEvtx, fuzzInput } from '../testing/fuzz-evtx.js';

describe('EVTX fuzzing', () => {
  it('parses 300 mutated samples without a throw and with bounded work', async () => {
    const report = await fuzzEvtx({ count: 300, seed: 20_240_601 });
    expect(report.failures).toEqual([]);
    expect(report.inputs).toBe(300);
    // The mutations reach the parser: most inputs are still EVTX and yield records, and damage is reported.
    expect(report.notEvtx).toBeLessThan(60);
    expect(report.records).toBeGreaterThan(10_000);
    expect(report.diagnostics).toBeGreaterThan(300);
    expect(report.maxReadRatio).toBeLessThanOrEqual(1.1);
  }, 120_000);

  it('makes the same input from the same seed', () => {
    const a = fuzzInput(7);
    const b = fuzzInput(7);
    expect(a.mutations).toEqual(b.mutations);
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    expect(Buffer.from(fuzzInput(8).bytes).equals(Buffer.from(a.bytes))).toBe(false);
  });
});
