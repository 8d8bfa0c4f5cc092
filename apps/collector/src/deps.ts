/** What the CLI needs from the outside world; tests pass their own. */
export interface Deps {
  /** Where results go (`--json` output, summary). */
  readonly stdout: { write(text: string): unknown };
  /** Where progress, warnings and errors go. */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
  /** The environment (proxy variables, AWS_* for flag mode). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The working directory (default output folder). */
  readonly cwd: string;
  /** The clock. */
  readonly now: () => Date;
  /** This host's name. */
  readonly hostname: () => string;
  /** Stops a run (SIGINT). */
  readonly signal?: AbortSignal;
}
