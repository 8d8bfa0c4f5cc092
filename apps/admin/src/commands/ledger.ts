import { access } from 'node:fs/promises';
import { type LedgerEntry, readLedger } from '@triage/sts-broker';
import type { StateStore } from '../state.js';

/** Flags of `triage-admin ledger`. */
export interface LedgerFlags {
  readonly client?: string | undefined;
  readonly case?: string | undefined;
}

/**
 * `triage-admin ledger`: every issuance and revocation, optionally for one
 * client or case. An absent ledger is an empty one.
 *
 * @throws TriageError `DATA_INVALID` for a damaged ledger line
 */
export async function listLedger(flags: LedgerFlags, store: StateStore): Promise<LedgerEntry[]> {
  const exists = await access(store.ledgerPath).then(
    () => true,
    () => false,
  );
  if (!exists) return [];
  const entries = await readLedger(store.ledgerPath);
  return entries.filter((e) => {
    // Revocations are kept whatever the filter: they say what happened to the listed issuances.
    if (e.type !== 'issue') return true;
    return (
      (flags.client === undefined || e.client === flags.client) &&
      (flags.case === undefined || e.case === flags.case)
    );
  });
}

/** One line per entry, for people. */
export function formatLedger(entries: readonly LedgerEntry[], now: Date): string {
  if (entries.length === 0) return 'the ledger is empty\n';
  const revocations = entries.filter((e) => e.type === 'revoke');
  const lines = entries.map((e) => {
    if (e.type === 'revoke') {
      return `${e.at}  REVOKE  ${e.targetKind} ${e.target}: tokens issued before ${e.cutoff} (${e.scope.entries.length} entries${e.scope.collateral.length ? `, ${e.scope.collateral.length} collateral` : ''})`;
    }
    const revoked = revocations.some(
      (r) => r.scope.entries.includes(e.id) || r.scope.collateral.includes(e.id),
    );
    const state = revoked ? 'revoked' : new Date(e.expiresAt) <= now ? 'expired' : 'LIVE';
    return `${e.issuedAt}  ISSUE   ${e.mode.padEnd(13)} ${e.accessKeyId}  ${e.client}/${e.case}/${e.host}  until ${e.expiresAt}  ${state}  by ${e.issuer}`;
  });
  return `${lines.join('\n')}\n`;
}
