/** Audit findings and their summary. */

/** How bad a finding is: `high` means the uploader or the bucket is exposed; `info` records a passed check. */
export type Severity = 'high' | 'medium' | 'low' | 'info';

/** One audit result: a passed check (`info`) or a problem, with what to do about it. */
export interface Finding {
  /** A stable id, e.g. `bucket-public`, `uploader-extra-permissions`, `probe-get-inside`. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what was found and, for a problem, what to do. Never a secret. */
  readonly message: string;
  /** Supporting detail: actions, statements, settings. */
  readonly evidence?: readonly string[];
}

/** Counts of findings by severity. */
export interface FindingSummary {
  readonly high: number;
  readonly medium: number;
  readonly low: number;
  readonly info: number;
}

/** Counts findings by severity. */
export function summarise(findings: readonly Finding[]): FindingSummary {
  const count = (severity: Severity) => findings.filter((f) => f.severity === severity).length;
  return { high: count('high'), medium: count('medium'), low: count('low'), info: count('info') };
}

/**
 * Builds a finding, leaving `evidence` out when there is none.
 *
 * @param id - the stable finding id
 * @param severity - how bad it is
 * @param message - one line: what was found and what to do; never a secret
 * @param evidence - supporting detail, if any
 */
export function finding(
  id: string,
  severity: Severity,
  message: string,
  evidence?: readonly string[],
): Finding {
  return evidence === undefined || evidence.length === 0
    ? { id, severity, message }
    : { id, severity, message, evidence };
}
