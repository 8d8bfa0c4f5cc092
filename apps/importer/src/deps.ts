/** What the CLI needs from the outside world; tests pass their own. */
export interface Deps {
  /** Where results go (`--json` output, summary). */
  readonly stdout: { write(text: string): unknown };
  /** Where warnings and errors go. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** The environment (`USER` for the default examiner name). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory (relative paths, default database). */
  readonly cwd: string;
  /** The clock. */
  readonly now: () => Date;
  /** Stops an import (SIGINT). */
  readonly signal?: AbortSignal;
}
