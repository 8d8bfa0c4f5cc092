/**
 * Independent Windows-artifact parsers from Debian, for differential tests:
 * the libyal tools (`regfexport`, `evtxexport`, `lnkinfo`), python-evtx and
 * RegRipper. They are not installed on the machine: their pinned `.deb`s
 * (and the libraries they need that the machine lacks) are fetched with
 * `apt-get download` and unpacked with `dpkg-deb -x` into the cache folder,
 * so no root and no change to the system is needed. The tools then run with
 * {@link DebianTools.env} (library, Python and Perl paths into that folder).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TriageError } from '@triage/errors';
import type { InstallOptions } from './install.js';
import { withFileLock } from './lock.js';
import { childEnv, defaultCacheDir } from './paths.js';

/** One Debian package at an exact version (Debian 12 "bookworm", amd64). */
export interface DebianPackage {
  readonly name: string;
  readonly version: string;
}

/**
 * The parsers the Windows differential tests compare against, with every
 * library they need beyond a stock Debian 12 (checked with `apt-cache depends
 * --recurse` on the test machine). python3-evtx's own test dependencies
 * (pytest…) are not needed to run it and are left out.
 */
export const DEBIAN_PARSERS: readonly DebianPackage[] = [
  { name: 'libbfio1', version: '20170123-6' },
  { name: 'libfuse2', version: '2.9.9-6+b1' },
  { name: 'libregf1', version: '20201007-2+b2' },
  { name: 'libregf-utils', version: '20201007-2+b2' },
  { name: 'libevtx1', version: '20181227-2+b2' },
  { name: 'libevtx-utils', version: '20181227-2+b2' },
  { name: 'liblnk1', version: '20181227-1.1+b4' },
  { name: 'liblnk-utils', version: '20181227-1.1+b4' },
  { name: 'python3-evtx', version: '0.6.1-2' },
  { name: 'libparse-win32registry-perl', version: '1.1-2' },
  { name: 'regripper', version: '3.0~git20221205.d588019+dfsg-1' },
];

/** Where the unpacked tools are and how to run them. */
export interface DebianTools {
  /** The unpacked file system root (`ROOT/usr/bin/regfexport`…). */
  readonly root: string;
  /** `ROOT/usr/bin`. */
  readonly bin: string;
  /** Variables a tool needs: `LD_LIBRARY_PATH`, `PYTHONPATH`, `PERL5LIB`, `PATH` with `bin` first. */
  readonly env: Readonly<Record<string, string>>;
}

const MARKER = '.triage-installed';
const ARCH_LIB = 'x86_64-linux-gnu';

function run(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve(stdout);
    });
  });
}

function toolsAt(root: string, base: NodeJS.ProcessEnv): DebianTools {
  const bin = join(root, 'usr', 'bin');
  return {
    root,
    bin,
    env: {
      PATH: `${bin}:${base.PATH ?? '/usr/bin:/bin'}`,
      LD_LIBRARY_PATH: [join(root, 'usr', 'lib', ARCH_LIB), join(root, 'lib', ARCH_LIB)].join(':'),
      PYTHONPATH: join(root, 'usr', 'lib', 'python3', 'dist-packages'),
      PERL5LIB: [
        join(root, 'usr', 'share', 'perl5'),
        join(root, 'usr', 'lib', ARCH_LIB, 'perl5', '5.36'),
      ].join(':'),
    },
  };
}

/**
 * Makes sure the pinned Debian packages are unpacked under the cache folder,
 * fetching them on first use (a few seconds; about 2 MB). Concurrent callers
 * wait for one install; the folder name carries a hash of the package list,
 * so a change of pins installs afresh beside the old one.
 *
 * @param packages - default {@link DEBIAN_PARSERS}
 * @returns the folder and the environment to run the tools with
 * @throws TESTKIT_INSTALL_FAILED when apt-get cannot fetch a package (not Debian 12, no apt lists, no network)
 */
export async function ensureDebianTools(
  options: InstallOptions,
  packages: readonly DebianPackage[] = DEBIAN_PARSERS,
): Promise<DebianTools> {
  const hash = createHash('sha256')
    .update(packages.map((p) => `${p.name}=${p.version}`).join('\n'))
    .digest('hex')
    .slice(0, 12);
  const root = join(options.cacheDir, `debian-parsers-${hash}`);
  const env = options.env ?? {};
  const done = async () => (await stat(join(root, MARKER)).catch(() => undefined)) !== undefined;
  if (await done()) return toolsAt(root, env);
  return withFileLock(
    join(options.cacheDir, 'locks', 'debian-parsers.lock'),
    async () => {
      if (await done()) return toolsAt(root, env);
      options.log?.(
        `fetching ${packages.length} Debian packages (parsers for differential tests) into ${root} (once)`,
      );
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true });
      const debs = await mkdtemp(join(options.cacheDir, 'debs-'));
      // The system's package lists first; without them (a fresh container), lists of our own in the
      // cache, fetched by an apt-get update that needs no root and leaves the system's apt untouched.
      const aptDir = join(options.cacheDir, 'apt');
      const ownLists = [
        '-o',
        `Dir::State::Lists=${join(aptDir, 'lists')}`,
        '-o',
        `Dir::Cache=${join(aptDir, 'cache')}`,
        '-o',
        'Debug::NoLocking=1',
      ];
      let aptOptions: string[] = [];
      const download = (p: DebianPackage) =>
        run('apt-get', [...aptOptions, 'download', `${p.name}=${p.version}`], debs, env);
      try {
        for (const p of packages) {
          try {
            await download(p);
          } catch (first) {
            try {
              if (aptOptions.length === 0) {
                options.log?.(
                  'the system has no usable package lists; fetching our own into the cache (apt-get update)',
                );
                await mkdir(join(aptDir, 'lists', 'partial'), { recursive: true });
                await mkdir(join(aptDir, 'cache', 'archives', 'partial'), { recursive: true });
                aptOptions = ownLists;
                await run('apt-get', [...aptOptions, 'update'], debs, env);
              }
              await download(p);
            } catch (error) {
              throw new TriageError(
                'TESTKIT_INSTALL_FAILED',
                `Could not fetch the Debian package ${p.name}=${p.version} with apt-get download: the differential tests need Debian 12 (bookworm) with network access to its mirrors.`,
                {
                  cause: new AggregateError([first, error]),
                  context: { package: p.name, version: p.version },
                },
              );
            }
          }
        }
        for (const file of (await readdir(debs)).filter((f) => f.endsWith('.deb')).sort()) {
          await run('dpkg-deb', ['-x', join(debs, file), root], debs, env);
        }
      } finally {
        await rm(debs, { recursive: true, force: true });
      }
      await writeFile(join(root, MARKER), `${JSON.stringify({ packages })}\n`);
      return toolsAt(root, env);
    },
    { onWait: (pid) => options.log?.(`waiting for process ${pid} to finish fetching the Debian parsers`) },
  );
}

/**
 * {@link ensureDebianTools} for a test: the cache folder the test kit uses
 * (`TRIAGE_CACHE_DIR`…), progress on stderr, and the tools' environment on
 * top of {@link childEnv}. Differential tests call it in `beforeAll`.
 *
 * @returns the tools and a complete environment to run them with
 * @throws TESTKIT_INSTALL_FAILED as {@link ensureDebianTools}
 */
export async function debianParsers(): Promise<DebianTools & { readonly processEnv: NodeJS.ProcessEnv }> {
  const base = childEnv();
  const tools = await ensureDebianTools({
    cacheDir: defaultCacheDir(process.env, homedir()),
    env: base,
    log: (line) => process.stderr.write(`[testkit] ${line}\n`),
  });
  return { ...tools, processEnv: { ...base, ...tools.env } };
}
