/**
 * `@triage/collect-linux`: Linux artifact collectors, live or against a
 * mounted image root, yielding `@triage/artifact-schema` records. The
 * collector framework (isolation, error entries, `file_metadata` hashing)
 * is `@triage/collect-core`'s; `CollectorError` and `CollectProgress` are
 * re-exported from there.
 *
 * @packageDocumentation
 */
export type { CollectorError, CollectProgress } from '@triage/collect-core';
export { collectLinux, type LinuxCollectOptions } from './collect.js';
export { LINUX_COLLECTORS } from './collectors/index.js';
export { type CollectContext, type Collector, resolveInRoot } from './context.js';
