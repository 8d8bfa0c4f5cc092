import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readWorkspaceReports, summarize, type VitestJsonReport } from './summary.js';

const report = (passed: number, failed = 0, pending = 0, todo = 0): VitestJsonReport => ({
  numTotalTests: passed + failed + pending + todo,
  numPassedTests: passed,
  numFailedTests: failed,
  numPendingTests: pending,
  numTodoTests: todo,
});

describe('summarize', () => {
  it('adds up green workspaces', () => {
    const result = summarize([
      { name: 'packages/a', report: report(3) },
      { name: 'packages/b', report: report(4) },
    ]);
    expect(result).toMatchObject({ passed: 7, failed: 0, skipped: 0, problems: [] });
  });

  it('flags failures, skipped and todo tests, empty workspaces and an empty run', () => {
    const result = summarize([
      { name: 'packages/a', report: report(1, 2) },
      { name: 'packages/b', report: report(1, 0, 1, 1) },
      { name: 'packages/c', report: report(0) },
    ]);
    expect(result).toMatchObject({ passed: 2, failed: 2, skipped: 2 });
    expect(result.problems).toEqual([
      'packages/a: 2 failed',
      'packages/b: 2 skipped or todo; no test may be skipped',
      'packages/c ran no test',
    ]);
    expect(summarize([]).problems).toEqual(['no test report found: run the tests first']);
  });
});

describe('readWorkspaceReports', () => {
  it('reads reports of workspaces with a vitest config and names those without a report', async () => {
    const root = await mkdtemp(join(tmpdir(), 'summary-'));
    for (const ws of ['packages/a', 'packages/b', 'apps/c', 'packages/no-tests']) {
      await mkdir(join(root, ws, '.vitest'), { recursive: true });
      if (ws !== 'packages/no-tests') await writeFile(join(root, ws, 'vitest.config.ts'), '');
    }
    await writeFile(join(root, 'packages/a/.vitest/results.json'), JSON.stringify(report(2)));
    await writeFile(join(root, 'apps/c/.vitest/results.json'), JSON.stringify(report(1)));
    const { reports, missing } = await readWorkspaceReports(root);
    expect(reports.map((r) => r.name)).toEqual(['packages/a', 'apps/c']);
    expect(missing).toEqual(['packages/b']);
  });
});
