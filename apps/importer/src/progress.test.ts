import { describe, expect, it } from 'vitest';
import { ImportProgress } from './progress.js';

async function* chunks(n: number, size: number) {
  for (let i = 0; i < n; i++) yield new Uint8Array(size);
}

function run(options: { stepMs: number; quiet?: boolean; total?: number }) {
  let t = Date.parse('2026-12-04T00:00:00Z');
  const lines: string[] = [];
  const progress = new ImportProgress(
    {
      stderr: { write: (s: string) => lines.push(s) },
      now: () => {
        const d = new Date(t);
        t += options.stepMs;
        return d;
      },
    },
    options.quiet ?? false,
  );
  return { lines, progress };
}

async function drain(source: AsyncIterable<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of source) bytes += chunk.byteLength;
  return bytes;
}

describe('ImportProgress', () => {
  it('shows rate and ETA at most once a second on a long import, and passes every byte', async () => {
    const { lines, progress } = run({ stepMs: 400 });
    const total = 10 * 1_000_000;
    expect(await drain(progress.counted('web-1.triage', chunks(10, 1_000_000), total))).toBe(total);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[0]).toMatch(
      /^importing web-1\.triage: \d+\.\d MB of 10\.0 MB at \d+\.\d MB\/s, ETA \d+ s\n$/,
    );
    expect(lines.at(-1)).toMatch(/10\.0 MB of 10\.0 MB .*decrypted; committing\n$/);
  });

  it('says nothing on a short import, or with quiet', async () => {
    const short = run({ stepMs: 10 });
    await drain(short.progress.counted('a.triage', chunks(5, 1000), 5000));
    expect(short.lines).toEqual([]);
    const quiet = run({ stepMs: 2000, quiet: true });
    await drain(quiet.progress.counted('b.triage', chunks(5, 1000)));
    expect(quiet.lines).toEqual([]);
  });
});
