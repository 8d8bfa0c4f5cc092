import type { Deps } from './deps.js';
import type { Scrubber } from './scrub.js';

const MB = 1_000_000;

/** Formats bytes as MB with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`;
}

/**
 * Progress lines on stderr: collector steps as they start, upload rate and
 * (when the total is known) ETA at most every `intervalMs`. Everything passes
 * through the scrubber. Silent with `quiet`.
 */
export class Reporter {
  #last = 0;

  constructor(
    private readonly deps: Deps,
    private readonly scrubber: Scrubber,
    private readonly quiet: boolean,
    private readonly intervalMs = 1000,
  ) {}

  /** One line, always shown unless quiet. */
  line(text: string): void {
    if (!this.quiet) this.deps.stderr.write(`${this.scrubber.text(text)}\n`);
  }

  /** A warning, shown even when quiet. */
  warn(text: string): void {
    this.deps.stderr.write(`triage-collect: warning: ${this.scrubber.text(text)}\n`);
  }

  /** Transfer progress, throttled. */
  transfer(what: string, loaded: number, bytesPerSecond: number, total?: number, final = false): void {
    const now = Date.now();
    if (!final && now - this.#last < this.intervalMs) return;
    this.#last = now;
    const rate = `${(bytesPerSecond / MB).toFixed(1)} MB/s`;
    let eta = '';
    if (total !== undefined && bytesPerSecond > 0 && total > loaded) {
      eta = `, ETA ${Math.ceil((total - loaded) / bytesPerSecond)} s`;
    }
    const of = total === undefined ? '' : ` of ${mb(total)}`;
    this.line(`${what}: ${mb(loaded)}${of} at ${rate}${eta}`);
  }
}
