/**
 * `@triage/case-store`: the examiner's case database on SQLite. Collections
 * with their chain of custody, hosts, artifacts (JSON plus typed columns and
 * one view per kind) and an import log; imports are all or nothing and
 * idempotent. See docs/case-database.md.
 *
 * @packageDocumentation
 */
export {
  type CollectionOpener,
  type Custody,
  type ImportableCollection,
  type ImportIdentity,
  type ImportOptions,
  type ImportResult,
  importCollection,
  type SealedSource,
} from './import.js';
export { type HostSummary, type KindSummary, report } from './report.js';
export { CASE_DB_VERSION } from './schema.js';
export { type CaseStore, type CaseStoreOptions, openCaseStore } from './store.js';
