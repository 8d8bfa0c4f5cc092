/**
 * 300 mutated registry samples (and mutated transaction logs) through the
 * reader: nothing may throw except DATA_INVALID for an input that is no
 * longer a hive. The bench runs the same harness on 10,000 inputs.
 */
import { describe, expect, it } from 'vitest';
import { fuzzRegf } from '../testing/fuzz-regf.js';

describe('regf fuzzing', () => {
  it('300 mutated inputs: no exception but DATA_INVALID for non-hives; damage shows as diagnostics', async () => {
    const result = await fuzzRegf({ count: 300, seed: 0x7e61f });
    expect(result.failures).toEqual([]);
    expect(result.inputs).toBe(300);
    // The mutations reach every layer: some inputs stop being hives, most still yield keys and values,
    // and damage is reported rather than thrown.
    expect(result.notHives).toBeGreaterThan(0);
    expect(result.notHives).toBeLessThan(60);
    expect(result.keys).toBeGreaterThan(100_000);
    expect(result.values).toBeGreaterThan(100_000);
    expect(result.diagnostics).toBeGreaterThan(300);
  }, 300_000);

  it('is reproducible from its seed', async () => {
    const a = await fuzzRegf({ count: 12, seed: 42 });
    const b = await fuzzRegf({ count: 12, seed: 42 });
    expect({ ...a, slowest: undefined }).toEqual({ ...b, slowest: undefined });
  }, 120_000);
});
