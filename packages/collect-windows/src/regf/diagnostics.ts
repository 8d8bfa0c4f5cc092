/**
 * Damage inside a hive is never thrown: each problem becomes one
 * {@link HiveDiagnostic} on the hive, and the damaged part is skipped.
 */

/** What kind of structure a diagnostic is about. */
export type HiveDiagnosticCode =
  /** The base block: checksum, version, truncated header, out-of-range fields. */
  | 'BASE_BLOCK'
  /** A hive bin header: signature, size, offset field, a gap or a truncated bin. */
  | 'HIVE_BIN'
  /** A cell: offset outside the hive bins, misaligned, not in a bin, bad size, crossing its bin, unallocated. */
  | 'CELL'
  /** A key node (nk): wrong signature, too short, name truncated, class name unreadable. */
  | 'KEY'
  /** A subkey list (lf, lh, li, ri) or values list: bad signature, truncated, nested, loop, duplicate. */
  | 'LIST'
  /** A key value (vk) or its data: wrong signature, size beyond its cell, bad inline size, big data (db). */
  | 'VALUE'
  /** A key security item (sk). */
  | 'SECURITY'
  /** A configured limit was reached (value size, list length, walk depth or key count). */
  | 'LIMIT'
  /** A transaction log: base block, log entry, hash, sequence, dirty vector. */
  | 'LOG';

/** One problem found while reading a hive; the part it names was skipped or cut short. */
export interface HiveDiagnostic {
  readonly code: HiveDiagnosticCode;
  /**
   * Where the problem is: an absolute byte offset in the hive file (a cell at
   * hive-bins offset `c` is at `4096 + c`), or in the transaction log named in
   * the reason for `LOG` diagnostics.
   */
  readonly offset: number;
  /** One line saying what is wrong and what was done about it. */
  readonly reason: string;
}

/** Collects diagnostics, once per code, offset and reason, up to a cap. */
export class DiagnosticLog {
  readonly entries: HiveDiagnostic[] = [];
  #seen = new Set<string>();
  #dropped = 0;

  /** @param max - the most diagnostics kept; later ones are only counted */
  constructor(readonly max: number) {}

  /** Diagnostics not kept because the cap was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  add(code: HiveDiagnosticCode, offset: number, reason: string): void {
    const key = `${code}\u0000${offset}\u0000${reason}`;
    if (this.#seen.has(key)) return;
    if (this.entries.length >= this.max) {
      this.#dropped++;
      return;
    }
    this.#seen.add(key);
    this.entries.push({ code, offset, reason });
  }
}
