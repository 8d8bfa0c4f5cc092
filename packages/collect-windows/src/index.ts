/**
 * `@triage/collect-windows`: parsers for Windows artifacts in TypeScript, no
 * native code, each documented with the specification it follows, reading
 * with random access and bounded memory, and tolerant of damage: a bad
 * cell, chunk or record becomes an error entry and parsing goes on; and the
 * collectors that turn a Windows volume into artifact schema records
 * (`collectWindows`). The collector framework (isolation, error entries,
 * `file_metadata` hashing) is `@triage/collect-core`'s; `CollectorError`
 * and `WindowsCollectProgress` (its `CollectProgress`) are re-exported from there.
 *
 * @packageDocumentation
 */

export type { CollectorError, CollectProgress as WindowsCollectProgress } from '@triage/collect-core';
export { collectWindows, type WindowsCollectOptions } from './collect/collect.js';
export type {
  LoadedHive,
  MachineHive,
  ReferenceOptions,
  UserProfile,
  VolumeFile,
  WindowsCollectContext,
  WindowsCollector,
} from './collect/context.js';
export { LIVE_EXPORTS, type LiveExport } from './collect/live.js';
export type { WindowsEnvironment } from './collect/paths.js';
export { WINDOWS_COLLECTORS } from './collect/registry.js';
export {
  type EvtxChecksum,
  type EvtxChunkHeader,
  type EvtxDiagnostic,
  type EvtxDiagnosticKind,
  type EvtxEvent,
  type EvtxFile,
  type EvtxFileHeader,
  type EvtxJsonObject,
  type EvtxJsonValue,
  type EvtxOpenOptions,
  type EvtxRecord,
  type EvtxRecordsOptions,
  type EvtxRecordWarning,
  type EvtxStats,
  openEvtx,
} from './evtx/evtx.js';
export {
  type LnkConsole,
  type LnkDiagnostic,
  type LnkExtraBlock,
  type LnkExtraData,
  type LnkFile,
  type LnkHeader,
  type LnkLinkInfo,
  type LnkNetworkLink,
  type LnkOptions,
  type LnkStringData,
  type LnkTargetIdList,
  type LnkTracker,
  type LnkVolume,
  parseLnk,
} from './lnk/lnk.js';
export type {
  FileEntryShellItem,
  NetworkLocationShellItem,
  OtherShellItem,
  RootFolderShellItem,
  ShellItem,
  VolumeShellItem,
} from './lnk/shell-items.js';
export {
  type PrefetchDiagnostic,
  type PrefetchFile,
  type PrefetchOptions,
  type PrefetchVolume,
  parsePrefetch,
} from './prefetch/prefetch.js';
export type { HiveBaseBlock } from './regf/base-block.js';
export type { HiveDiagnostic, HiveDiagnosticCode } from './regf/diagnostics.js';
export { type OpenHiveOptions, openHive, type RegistryHive, type RegistryKey } from './regf/hive.js';
export type { HiveLogReport, HiveRecovery } from './regf/log.js';
export type { KeySecurity } from './regf/security.js';
export {
  REGISTRY_VALUE_TYPES,
  type RegistryValue,
  type RegistryValueTypeName,
  registryValueType,
  type ValueStorage,
} from './regf/value.js';
export { type HiveVisitor, type WalkHiveOptions, type WalkHiveResult, walkHive } from './regf/walk.js';
export {
  parseAppCompatCache,
  readShimCache,
  type ShimCache,
  type ShimCacheDiagnostic,
  type ShimCacheEntry,
  type ShimCacheLayout,
  type ShimCacheOptions,
} from './shimcache/shimcache.js';
export { type ByteSource, bufferSource, fileSource } from './source.js';
export {
  type JobDiagnostic,
  type JobFile,
  type JobTrigger,
  type JobTriggerType,
  parseJobFile,
} from './tasks/job.js';
export {
  parseTaskXml,
  type TaskAction,
  type TaskPrincipal,
  type TaskTrigger,
  type TaskTriggerType,
  type TaskXml,
  type TaskXmlDiagnostic,
  type TaskXmlOptions,
} from './tasks/task-xml.js';
export {
  type PartialDecompression,
  xpressHuffmanDecompress,
  xpressHuffmanDecompressPartial,
} from './xpress/xpress-huffman.js';
