/** The Windows collectors, in run order. */
import { accountsCollector } from './accounts.js';
import { appInitCollector, ifeoCollector, runKeysCollector, winlogonCollector } from './autoruns.js';
import type { WindowsCollector } from './context.js';
import { amcacheCollector, prefetchCollector, shimCacheCollector } from './execution.js';
import { hostInfoCollector } from './host.js';
import { logonsCollector } from './logons.js';
import { serviceInstallsCollector, servicesCollector } from './services.js';
import { startupFoldersCollector } from './startup-folders.js';
import { scheduledTasksCollector } from './tasks.js';

/**
 * Every Windows collector in run order. `file_metadata` is not a collector:
 * it is produced at the end for the programs the others referenced.
 */
export const WINDOWS_COLLECTORS: readonly WindowsCollector[] = [
  hostInfoCollector,
  accountsCollector,
  logonsCollector,
  runKeysCollector,
  winlogonCollector,
  ifeoCollector,
  appInitCollector,
  servicesCollector,
  serviceInstallsCollector,
  scheduledTasksCollector,
  startupFoldersCollector,
  prefetchCollector,
  amcacheCollector,
  shimCacheCollector,
];
