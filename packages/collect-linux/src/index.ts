/**
 * `@triage/collect-linux`: Linux artifact collectors, live or against a
 * mounted image root, yielding `@triage/artifact-schema` records.
 *
 * @packageDocumentation
 */
export { type CollectProgress, collectLinux, type LinuxCollectOptions } from './collect.js';
export { LINUX_COLLECTORS } from './collectors/index.js';
export {
  type CollectContext,
  type Collector,
  type CollectorError,
  resolveInRoot,
} from './context.js';
