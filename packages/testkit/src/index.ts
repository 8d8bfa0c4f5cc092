/**
 * `@triage/testkit` (private, devDependency only): installs, starts and stops
 * the real local servers that integration tests talk to; builds a Windows
 * volume from the shared samples for the Windows collectors' tests.
 *
 * In a test: `const { moto, minio } = inject('triageServices');` (the vitest
 * project must be created with `triageProject(import.meta.url, { services: true })`).
 *
 * @packageDocumentation
 */
import type {} from 'vitest';
import type { ServicesInfo } from './services.js';

export { makeTestCertificates, type TestCertificates } from './certificates.js';
export {
  DEBIAN_PARSERS,
  type DebianPackage,
  type DebianTools,
  debianParsers,
  ensureDebianTools,
} from './debian.js';
export {
  type Fault,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultRule,
  startFaultProxy,
} from './fault-proxy.js';
export {
  AWS_CLI_VERSION,
  ensureAwsCli,
  ensureMinio,
  ensureMoto,
  MINIO_VERSION,
  MOTO_VERSION,
} from './install.js';
export { type FileLockOptions, isAlive, withFileLock } from './lock.js';
export { childEnv, defaultCacheDir, type TestkitEnv } from './paths.js';
export {
  freePort,
  type ServerProcess,
  type ServerProcessOptions,
  startServerProcess,
  tailFile,
} from './process.js';
export { renderPublicApi } from './public-api.js';
export { seededRandom } from './random.js';
export { readmeImports } from './readme.js';
export {
  isOrphan,
  isRunning,
  type ReapResult,
  reapServers,
  type ServerOwner,
  type ServerRecord,
  ServerRegistry,
} from './registry.js';
export {
  CAPABILITIES,
  type OwnMinioOptions,
  type RunningServer,
  type ServerCapabilities,
  type ServerInfo,
  type ServerName,
  type StartServerOptions,
  startMinio,
  startMoto,
  startOwnMinio,
} from './servers.js';
export {
  type Services,
  type ServicesInfo,
  type StartServicesOptions,
  type StopServicesOptions,
  serverLogTails,
  startServices,
} from './services.js';

export {
  type BuildWindowsVolumeOptions,
  buildWindowsVolume,
  STAND_INS,
  WINDOWS_SAMPLES_DIR,
  type WindowsSampleEntry,
  type WindowsVolume,
  windowsSampleManifest,
} from './windows-volume.js';

declare module 'vitest' {
  /** Values the test kit's globalSetup provides to tests. */
  export interface ProvidedContext {
    /** Endpoints and root credentials of the running moto and MinIO servers. */
    triageServices: ServicesInfo;
  }
}
