import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { TriageError } from '@triage/errors';
import type { CollectContext, Collector } from '../context.js';
import { parseDpkgStatus, parseRpmLine, RPM_QUERY_FORMAT } from '../parsers/packages.js';

/** How long `rpm -qa` may run. */
const RPM_TIMEOUT_MS = 120_000;
/** Largest `rpm -qa` output accepted (tens of thousands of packages fit easily). */
const RPM_MAX_OUTPUT = 64 * 1024 * 1024;
/** Where rpm keeps its database (older, then newer releases). */
const RPM_DATABASES = ['/var/lib/rpm', '/usr/lib/sysimage/rpm'];
/** Where an rpm binary is looked for on this machine. */
const RPM_BINARIES = ['/usr/bin/rpm', '/bin/rpm'];

async function* dpkg(ctx: CollectContext): AsyncGenerator<ArtifactRecord> {
  const path = '/var/lib/dpkg/status';
  const stats = await ctx.stat(path);
  if (stats === null) return;
  if (!stats.isFile()) {
    ctx.log(`${path} is not a regular file; not read`);
    return;
  }
  let withoutVersion = 0;
  const problems: number[] = [];
  for await (const pkg of parseDpkgStatus(ctx.lines(path), (p) => problems.push(p.line))) {
    if (pkg.version === null) {
      withoutVersion++;
      continue;
    }
    // The .list file is rewritten on each install or upgrade: its mtime is the last one.
    let installTime: string | null = null;
    const lists = pkg.architecture
      ? [`${pkg.name}:${pkg.architecture}.list`, `${pkg.name}.list`]
      : [`${pkg.name}.list`];
    for (const list of lists) {
      const listStats = await ctx.stat(`/var/lib/dpkg/info/${list}`).catch(() => null);
      if (listStats) {
        installTime = listStats.mtime.toISOString();
        break;
      }
    }
    yield ctx.record('installed_package', path, {
      manager: 'dpkg',
      name: pkg.name,
      version: pkg.version,
      architecture: pkg.architecture,
      status: pkg.status,
      install_time: installTime,
    });
  }
  if (problems.length > 0) {
    ctx.error(
      path,
      new TriageError(
        'DATA_INVALID',
        `${path}: ${problems.length} stanzas without a Package field skipped (first at line ${problems[0]})`,
        { context: { path, line: problems[0] ?? 0 } },
      ),
    );
  }
  if (withoutVersion > 0)
    ctx.log(`${path}: ${withoutVersion} stanzas without a Version (not installed) skipped`);
}

async function rpmBinary(): Promise<string | null> {
  // The examiner's (or, live, the host's) rpm, never one inside an image.
  for (const candidate of RPM_BINARIES) {
    const found = await stat(candidate).catch(() => null);
    if (found?.isFile()) return candidate;
  }
  return null;
}

function runRpm(binary: string, args: readonly string[], signal: AbortSignal | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [...args],
      {
        encoding: 'utf8',
        timeout: RPM_TIMEOUT_MS,
        maxBuffer: RPM_MAX_OUTPUT,
        env: { LC_ALL: 'C' },
        ...(signal ? { signal } : {}),
      },
      (error, stdout) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const e = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (e.killed || e.signal) {
          reject(
            new TriageError('TIMEOUT', `rpm -qa did not finish in ${RPM_TIMEOUT_MS / 1000} s`, {
              cause: error,
            }),
          );
        } else if (typeof e.code === 'string') {
          reject(error);
        } else {
          reject(
            new TriageError('IO_ERROR', `rpm -qa exited with status ${String(e.code)}`, { cause: error }),
          );
        }
      },
    );
  });
}

async function* rpm(ctx: CollectContext): AsyncGenerator<ArtifactRecord> {
  const databases: string[] = [];
  for (const dir of RPM_DATABASES) if ((await ctx.list(dir)).length > 0) databases.push(dir);
  if (databases.length === 0) return;
  const binary = await rpmBinary();
  if (binary === null) {
    ctx.log(`rpm database present at ${databases.join(', ')} but not read: no rpm binary on this machine`);
    return;
  }
  const args = ctx.root === '/' ? [] : ['--root', ctx.root];
  const source = ctx.root === '/' ? 'rpm -qa' : 'rpm --root -qa';
  let output: string;
  try {
    output = await runRpm(binary, [...args, '-qa', '--queryformat', RPM_QUERY_FORMAT], ctx.signal);
  } catch (error) {
    ctx.error(source, error);
    return;
  }
  let bad = 0;
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const pkg = parseRpmLine(line);
    if (pkg === null) {
      bad++;
      continue;
    }
    yield ctx.record('installed_package', source, {
      manager: 'rpm',
      name: pkg.name,
      version: pkg.version,
      architecture: pkg.architecture,
      status: 'installed',
      install_time: pkg.installTime === null ? null : new Date(pkg.installTime * 1000).toISOString(),
    });
  }
  if (bad > 0)
    ctx.error(source, new TriageError('DATA_INVALID', `rpm -qa: ${bad} output lines not understood`));
}

/**
 * `installed_package`: dpkg packages from /var/lib/dpkg/status (every
 * stanza with a version, whatever its Status, so removed packages that left
 * configuration files show too; install time is the mtime of
 * /var/lib/dpkg/info/<name>[:arch].list, the last install or upgrade), and
 * rpm packages when an rpm database exists: `rpm -qa` live, `rpm --root
 * <root> -qa` offline, with the rpm binary of the machine running the
 * collection, under a time limit. Without an rpm binary the database is
 * noted in the log.
 */
export const packagesCollector: Collector = {
  name: 'packages',
  kinds: ['installed_package'],
  liveOnly: false,
  async *collect(ctx) {
    try {
      yield* dpkg(ctx);
    } catch (error) {
      ctx.error('/var/lib/dpkg/status', error);
    }
    try {
      yield* rpm(ctx);
    } catch (error) {
      ctx.error(undefined, error);
    }
  },
};
