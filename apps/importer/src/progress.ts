import type { Deps } from './deps.js';

const MB = 1_000_000;

const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;

/**
 * Progress of one import on stderr: bytes of the sealed collection read, the
 * rate, and the ETA when the size is known. The first line comes only after
 * `intervalMs`, so a short import prints nothing; then at most one line per
 * interval. Silent with `quiet`.
 */
export class ImportProgress {
  #started = 0;
  #last = 0;
  #loaded = 0;
  #shown = false;

  constructor(
    private readonly deps: Pick<Deps, 'stderr' | 'now'>,
    private readonly quiet: boolean,
    private readonly intervalMs = 1000,
  ) {}

  /** Counts the bytes of `source` as the import reads them. */
  async *counted(
    name: string,
    source: AsyncIterable<Uint8Array>,
    total?: number,
  ): AsyncGenerator<Uint8Array, void, undefined> {
    this.#started = this.deps.now().getTime();
    this.#last = this.#started;
    this.#loaded = 0;
    this.#shown = false;
    for await (const chunk of source) {
      this.#loaded += chunk.byteLength;
      this.#tick(name, total, false);
      yield chunk;
    }
    this.#tick(name, total, true);
  }

  #tick(name: string, total: number | undefined, final: boolean): void {
    if (this.quiet) return;
    const now = this.deps.now().getTime();
    // The closing line only when a progress line was shown: short imports stay silent.
    if (final ? !this.#shown : now - this.#last < this.intervalMs) return;
    this.#last = now;
    this.#shown = true;
    const seconds = Math.max((now - this.#started) / 1000, 0.001);
    const rate = this.#loaded / seconds;
    const of = total === undefined ? '' : ` of ${mb(total)}`;
    const eta =
      !final && total !== undefined && rate > 0 && total > this.#loaded
        ? `, ETA ${Math.ceil((total - this.#loaded) / rate)} s`
        : '';
    this.deps.stderr.write(
      `importing ${name}: ${mb(this.#loaded)}${of} at ${(rate / MB).toFixed(1)} MB/s${eta}${final ? ', decrypted; committing' : ''}\n`,
    );
  }
}
