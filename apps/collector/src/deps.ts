import type { WindowsLiveExport } from './windows-live.js';

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
  /**
   * The single-file program when running as one (the SEA executable, or the
   * bundled `.cjs`): the guided mode and `upload` look for `bundle.json`
   * beside it first. Absent for the npm `triage-collect`.
   */
  readonly self?: {
    /** Its absolute path. */
    readonly path: string;
    /** How to call it again, for the hints the guided mode prints (e.g. the path, or `node PATH`). */
    readonly command: string;
  };
  /** The effective user id (guided mode warns when it is not root); absent where unknown. */
  readonly uid?: number;
  /** Asks for a line on the terminal; absent when stdin is not a terminal. */
  readonly prompt?: (question: string) => Promise<string>;
  /** The platform this runs on (`process.platform`); it picks the default `--os`. Absent: `linux`. */
  readonly platform?: string;
  /**
   * Live Windows collection: exports the files the running system keeps
   * locked (hives, event logs) into a private folder (src/windows-live.ts).
   * Present only on Windows.
   */
  readonly exportWindowsLive?: (signal: AbortSignal | undefined) => Promise<WindowsLiveExport>;
}
