/**
 * `@triage/case-store`: the examiner's case database on SQLite. Collections
 * with their chain of custody, hosts, artifacts (JSON plus typed columns and
 * one view per kind) and an import log; imports are all or nothing and
 * idempotent. Built-in triage rules (`hits`) and a timeline export
 * (`exportTimeline`) read it. See docs/case-database.md.
 *
 * @packageDocumentation
 */
export {
  exportTimeline,
  TIMELINE_CSV_HEADER,
  TIMELINE_KINDS,
  TIMELINE_RECORD_PREFIX,
  type TimelineFormat,
  type TimelineResult,
  type TimelineWriter,
} from './export.js';
export {
  DEFAULT_AUTHORIZED_KEY_DAYS,
  EXPECTED_LISTEN_PORTS,
  HIT_RULES,
  type Hit,
  type HitRule,
  type HitSeverity,
  type HitsOptions,
  hits,
  TEMP_DIRECTORIES,
  WINDOWS_TEMP_DIRECTORIES,
} from './hits.js';
export {
  type CollectionOpener,
  type Custody,
  executionTime,
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
