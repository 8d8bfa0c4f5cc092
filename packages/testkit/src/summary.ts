import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The fields of vitest's JSON report that the summary reads. */
export interface VitestJsonReport {
  readonly numTotalTests: number;
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
}

/** Totals over every workspace's report. */
export interface TestSummary {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly workspaces: readonly { readonly name: string; readonly report: VitestJsonReport }[];
  /** Why the run does not count as green, or empty. */
  readonly problems: readonly string[];
}

/**
 * Adds up per-workspace vitest reports. A run is only green when every
 * workspace ran at least one test and none failed, was skipped or is a todo:
 * skipped tests would hide failures.
 *
 * @param workspaces - names (e.g. `packages/errors`) with their reports
 */
export function summarize(workspaces: readonly { name: string; report: VitestJsonReport }[]): TestSummary {
  const problems: string[] = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const { name, report } of workspaces) {
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + report.numTodoTests;
    if (report.numTotalTests === 0) problems.push(`${name} ran no test`);
    if (report.numFailedTests > 0) problems.push(`${name}: ${report.numFailedTests} failed`);
    if (report.numPendingTests + report.numTodoTests > 0) {
      problems.push(
        `${name}: ${report.numPendingTests + report.numTodoTests} skipped or todo; no test may be skipped`,
      );
    }
  }
  if (workspaces.length === 0) problems.push('no test report found: run the tests first');
  return { passed, failed, skipped, workspaces, problems };
}

/**
 * Reads `.vitest/results.json` of every workspace under `packages/` and
 * `apps/`, and of `e2e/`, below `root`. A workspace with a `vitest.config.ts` but no report
 * counts as a problem (its tests did not run).
 */
export async function readWorkspaceReports(
  root: string,
): Promise<{ reports: { name: string; report: VitestJsonReport }[]; missing: string[] }> {
  const reports: { name: string; report: VitestJsonReport }[] = [];
  const missing: string[] = [];
  for (const group of ['packages', 'apps', 'e2e']) {
    // `e2e` is one workspace itself, not a folder of them.
    const names = group === 'e2e' ? [''] : await readdir(join(root, group)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const dir = join(root, group, name);
      const hasTests = await readFile(join(dir, 'vitest.config.ts')).then(
        () => true,
        () => false,
      );
      if (!hasTests) continue;
      try {
        const report = JSON.parse(
          await readFile(join(dir, '.vitest', 'results.json'), 'utf8'),
        ) as VitestJsonReport;
        reports.push({ name: name ? `${group}/${name}` : group, report });
      } catch {
        missing.push(name ? `${group}/${name}` : group);
      }
    }
  }
  return { reports, missing };
}
