/**
 * vitest `globalSetup` for projects that declare `services: true` (see
 * `vitest.shared.ts`): installs and starts moto and MinIO once per vitest run,
 * provides their endpoints to tests as `inject('triageServices')`, and stops
 * them by PID afterwards, keeping their logs only when something failed.
 */
import { formatCliError } from '@triage/errors';
import type { TestProject } from 'vitest/node';
import { type Services, serverLogTails, servicesOptionsFromEnv, startServices } from './services.js';

let services: Services | undefined;
let exitHook: (() => void) | undefined;
let setupProject: TestProject | undefined;

/** Starts the servers for a vitest project. */
export async function setup(project: TestProject): Promise<void> {
  const env = process.env;
  const log = (line: string) => process.stderr.write(`[testkit] ${line}\n`);
  try {
    services = await startServices(servicesOptionsFromEnv(env, 'vitest', log));
  } catch (error) {
    // Integration tests are never skipped: the run fails with a message that says how to fix it.
    log(formatCliError(error, { program: 'testkit' }));
    throw error;
  }
  const running = services;
  exitHook = () => running.killNow();
  process.once('exit', exitHook);
  project.provide('triageServices', running.info);
  setupProject = project;
}

/** Stops the servers; prints and keeps their logs if any test or file failed. */
export async function teardown(): Promise<void> {
  if (!services) return;
  const state = setupProject?.vitest.state;
  const failed =
    state === undefined ||
    state.getCountOfFailedTests() > 0 ||
    state.getFailedFilepaths().length > 0 ||
    state.getUnhandledErrors().length > 0;
  const tails = failed ? await serverLogTails(services.info) : '';
  const { logsKeptIn } = await services.stop({ keepLogs: failed });
  if (exitHook) process.off('exit', exitHook);
  services = undefined;
  if (logsKeptIn) {
    process.stderr.write(`[testkit] tests failed; server logs kept in ${logsKeptIn}\n${tails}\n`);
  }
}
