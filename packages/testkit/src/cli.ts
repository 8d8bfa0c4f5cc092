#!/usr/bin/env node
/**
 * `triage-testkit`: the test servers by hand.
 *
 *   triage-testkit services       start moto and MinIO, print endpoints, stop on Ctrl-C
 *   triage-testkit install        install both (moto venv, MinIO build) and exit
 *   triage-testkit check-stopped  fail if a vitest run left a server running (and stop it)
 *   triage-testkit summary        add up every workspace's vitest report; fail on skipped tests
 */
import { writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { exitCodeFor, formatCliError } from '@triage/errors';
import { ensureMinio, ensureMoto } from './install.js';
import { defaultCacheDir } from './paths.js';
import { reapServers, ServerRegistry } from './registry.js';
import { servicesOptionsFromEnv, startServices } from './services.js';
import { readWorkspaceReports, summarize } from './summary.js';

const env = process.env;
const cacheDir = defaultCacheDir(env, homedir());
const log = (line: string) => process.stderr.write(`[testkit] ${line}\n`);

async function services(): Promise<number> {
  const running = await startServices(servicesOptionsFromEnv(env, 'cli', log));
  process.once('exit', () => running.killNow());
  // Credentials go to a 0600 file, never to the terminal; it is removed when the servers stop.
  const envFile = join(running.runDir, 'services.env');
  const lines = ['# triage test servers; valid while `npm run services` runs'];
  for (const server of Object.values(running.info)) {
    const prefix = `TRIAGE_${server.name.toUpperCase()}`;
    lines.push(
      `export ${prefix}_ENDPOINT=${server.endpoint}`,
      `export ${prefix}_REGION=${server.region}`,
      `export ${prefix}_ACCESS_KEY_ID=${server.credentials.accessKeyId}`,
      `export ${prefix}_SECRET_ACCESS_KEY=${server.credentials.secretAccessKey}`,
    );
    process.stdout.write(
      `${server.name.padEnd(6)} ${server.endpoint}  region=${server.region}  log=${server.logFile}\n`,
    );
  }
  await writeFile(envFile, `${lines.join('\n')}\n`, { mode: 0o600 });
  process.stdout.write(`credentials: source ${envFile}\nPress Ctrl-C to stop.\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.stop();
  process.stdout.write('stopped\n');
  return 0;
}

async function install(): Promise<number> {
  const options = { cacheDir, env, log };
  const [moto, minio] = await Promise.all([
    ensureMoto({ ...options, ...(env.TRIAGE_PYTHON ? { python: env.TRIAGE_PYTHON } : {}) }),
    ensureMinio({ ...options, ...(env.TRIAGE_GO ? { go: env.TRIAGE_GO } : {}) }),
  ]);
  process.stdout.write(`moto:  ${moto}\nminio: ${minio}\n`);
  return 0;
}

async function checkStopped(): Promise<number> {
  const registry = new ServerRegistry(join(cacheDir, 'servers'));
  const { killed } = await reapServers(registry, (record) => record.owner === 'vitest');
  for (const record of killed) {
    process.stderr.write(
      `testkit: ${record.name} (pid ${record.pid}, started ${record.startedAt}) was still running after the tests; stopped it now.\n`,
    );
  }
  if (killed.length > 0) return 1;
  process.stdout.write('testkit: no test server left running\n');
  return 0;
}

async function summary(): Promise<number> {
  const { reports, missing } = await readWorkspaceReports(process.cwd());
  const result = summarize(reports);
  const problems = [
    ...missing.map((name) => `${name} has no test report (its tests did not run)`),
    ...result.problems,
  ];
  for (const { name, report } of result.workspaces) {
    process.stdout.write(
      `  ${name.padEnd(28)} ${report.numPassedTests} passed, ${report.numFailedTests} failed\n`,
    );
  }
  for (const problem of problems) process.stderr.write(`testkit: ${problem}\n`);
  // The plain closing line CI reads, whatever the runner.
  process.stdout.write(
    `tests: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped\n`,
  );
  return problems.length > 0 ? 1 : 0;
}

const commands: Record<string, () => Promise<number>> = {
  services,
  install,
  'check-stopped': checkStopped,
  summary,
};

const name = process.argv[2] ?? '';
const command = commands[name];
if (!command) {
  process.stderr.write(`usage: triage-testkit ${Object.keys(commands).join('|')}\n`);
  process.exitCode = 64;
} else {
  command().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${formatCliError(error, { program: 'triage-testkit', debug: process.argv.includes('--debug') })}\n`,
      );
      process.exitCode = exitCodeFor(error);
    },
  );
}
