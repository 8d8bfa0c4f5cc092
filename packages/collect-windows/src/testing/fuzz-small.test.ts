/**
 * CI run of the fuzz harness: 300 mutated inputs per parser, fixed seeds.
 * Every input must parse or be rejected with DATA_INVALID; the counts show
 * the mutations reach both outcomes (the bench runs 10,000 per parser).
 */

import { TriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { fuzzLnk, fuzzParser, fuzzPrefetch, fuzzTaskXml, fuzzXpress, mutate } from './fuzz-small.js';
import { prng } from './seeded-random.js';

const COUNT = 300;

describe('fuzz-small (300 inputs per parser)', () => {
  it('parseLnk: every mutated shortcut parses or is DATA_INVALID', async () => {
    const report = await fuzzLnk({ count: COUNT, seed: 1 });
    expect(report.inputs).toBe(COUNT);
    expect(report.parsed + report.rejected).toBe(COUNT);
    expect(report.parsed).toBeGreaterThan(COUNT / 2);
    expect(report.rejected).toBeGreaterThan(0);
    expect(report.diagnostics).toBeGreaterThan(0);
  });

  it('parsePrefetch: every mutated Prefetch file parses or is DATA_INVALID', async () => {
    const report = await fuzzPrefetch({ count: COUNT, seed: 2 });
    expect(report.parsed + report.rejected).toBe(COUNT);
    expect(report.parsed).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
    expect(report.diagnostics).toBeGreaterThan(0);
  });

  it('parseTaskXml: every mutated task parses or is DATA_INVALID', async () => {
    const report = await fuzzTaskXml({ count: COUNT, seed: 3 });
    expect(report.parsed + report.rejected).toBe(COUNT);
    expect(report.parsed).toBeGreaterThan(COUNT / 2);
    expect(report.diagnostics).toBeGreaterThan(0);
  });

  it('xpressHuffmanDecompress: every mutated stream decodes to the size asked for or is DATA_INVALID', async () => {
    const report = await fuzzXpress({ count: COUNT, seed: 4 });
    expect(report.parsed + report.rejected).toBe(COUNT);
    expect(report.parsed).toBeGreaterThan(0);
    expect(report.rejected).toBeGreaterThan(0);
  });

  it('mutations are reproducible from the seed', () => {
    const input = Uint8Array.from({ length: 64 }, (_, i) => i);
    const a = mutate(input, prng(77));
    const b = mutate(input, prng(77));
    expect(a.describe).toBe(b.describe);
    expect([...a.bytes]).toEqual([...b.bytes]);
  });

  it('counts DATA_INVALID as rejected and names the seed and input of any other failure', async () => {
    const corpus = [{ name: 'sample', bytes: Uint8Array.from({ length: 32 }, (_, i) => i) }];
    const rejecting = await fuzzParser('rejecting', { count: 10, seed: 6 }, corpus, () => {
      throw new TriageError('DATA_INVALID', 'not this format');
    });
    expect(rejecting).toMatchObject({ inputs: 10, parsed: 0, rejected: 10 });
    const crashing = fuzzParser('crashing', { count: 10, seed: 6 }, corpus, (bytes) => {
      if (bytes.length > 0) throw new TypeError('boom');
      return {};
    });
    await expect(crashing).rejects.toThrow(
      /^crashing: input \d+ \(seed 6; sample, .*\) threw TypeError: boom$/,
    );
    const leaking = fuzzParser('leaking', { count: 1, seed: 6 }, corpus, () => ({ value: 1n }));
    await expect(leaking).rejects.toThrow(/BigInt/);
  });
});
