import type { Collector } from '../context.js';
import { accountsCollector } from './accounts.js';
import { historyCollector } from './history.js';
import { hostInfoCollector } from './host.js';
import { loginsCollector } from './logins.js';
import { modulesCollector } from './modules.js';
import { networkCollector } from './network.js';
import { packagesCollector } from './packages.js';
import { processesCollector } from './processes.js';
import { sshCollector } from './ssh.js';
import { startupCollector } from './startup.js';

/**
 * Every Linux collector in run order. `file_metadata` is not a collector: it
 * is produced at the end for the executables the others referenced.
 */
export const LINUX_COLLECTORS: readonly Collector[] = [
  hostInfoCollector,
  accountsCollector,
  loginsCollector,
  startupCollector,
  processesCollector,
  networkCollector,
  sshCollector,
  historyCollector,
  packagesCollector,
  modulesCollector,
];
