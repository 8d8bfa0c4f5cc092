/** A per-host summary of what the case database holds. */
import type { CaseStore } from './store.js';

/** One kind on one host. */
export interface KindSummary {
  /** The record kind. */
  readonly kind: string;
  /** How many records. */
  readonly count: number;
  /** Earliest `time` column (event or start time) among them, or null. */
  readonly firstTime: string | null;
  /** Latest `time` column among them, or null. */
  readonly lastTime: string | null;
}

/** One host of one case. */
export interface HostSummary {
  /** The case. */
  readonly case: string;
  /** The host name. */
  readonly host: string;
  /** Collections imported for it. */
  readonly collections: number;
  /** Records per kind, by kind name. */
  readonly kinds: readonly KindSummary[];
}

/**
 * Per host: the number of collections, and per kind the record count and the
 * earliest and latest time.
 *
 * @param store - the case database
 * @returns hosts ordered by case then name; kinds by name
 */
export function report(store: CaseStore): HostSummary[] {
  const hosts = store.db
    .prepare(
      `SELECT case_id, host, count(*) AS collections FROM collections GROUP BY case_id, host ORDER BY case_id, host`,
    )
    .all() as { case_id: string; host: string; collections: number }[];
  const kinds = store.db.prepare(
    `SELECT a.kind AS kind, count(*) AS count, min(a.time) AS firstTime, max(a.time) AS lastTime
     FROM artifacts a JOIN collections c ON c.id = a.collection_ref
     WHERE c.case_id = ? AND c.host = ? GROUP BY a.kind ORDER BY a.kind`,
  );
  return hosts.map((row) => ({
    case: row.case_id,
    host: row.host,
    collections: row.collections,
    kinds: kinds.all(row.case_id, row.host) as KindSummary[],
  }));
}
