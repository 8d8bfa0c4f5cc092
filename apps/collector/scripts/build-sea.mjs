#!/usr/bin/env node
/**
 * Builds the single-file collector into `dist-sea/` (gitignored):
 *
 * - `triage-collect.cjs`: src/standalone.ts and everything it imports in one
 *   CommonJS file (esbuild). Portable: `node triage-collect.cjs` on any Node 20+,
 *   any platform, with no node_modules.
 * - `triage-collect` (`.exe` on Windows): a Node single executable application
 *   for THIS platform and architecture, made from this Node binary
 *   (`process.execPath`) with that bundle injected by postject. About 100 MB.
 * - `build.json`: the input hash, Node version, platform, and the SHA-256 of both.
 *
 * The executable is rebuilt only when the input hash changes: the bundle's
 * bytes, this Node binary, this script and postject's version. A SEA must be
 * built on the platform it runs on; see apps/collector/README.md.
 *
 * Usage: node scripts/build-sea.mjs [--bundle-only] [--force] [--json]
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const PKG_DIR = fileURLToPath(new URL('..', import.meta.url));
const OUT_DIR = join(PKG_DIR, 'dist-sea');
const BUNDLE = join(OUT_DIR, 'triage-collect.cjs');
const EXE = join(OUT_DIR, process.platform === 'win32' ? 'triage-collect.exe' : 'triage-collect');
const INFO = join(OUT_DIR, 'build.json');

/**
 * Optional imports replaced by a module that throws, as if not installed:
 * each is loaded in a try/catch, for a feature the collector does not need.
 * (Left external, a SEA would warn that its require() loads built-ins only.)
 */
const ABSENT = {
  'supports-color': 'debug (under proxy-agent) colours its output when present',
  kerberos:
    'a native addon, only for Negotiate (Kerberos) proxy authentication; absent, that one proxy scheme fails with a clear message',
};

const args = new Set(process.argv.slice(2));
const log = args.has('--json') ? () => {} : (text) => process.stderr.write(`build-sea: ${text}\n`);
const require = createRequire(join(PKG_DIR, 'package.json'));

async function sha256File(path) {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest('hex');
}

/** esbuild: one CJS file (a Node 20 SEA runs CommonJS only); workspace packages from their TypeScript source. */
async function bundle() {
  const { build } = require('esbuild');
  const { version } = JSON.parse(await readFile(join(PKG_DIR, 'package.json'), 'utf8'));
  const result = await build({
    entryPoints: [join(PKG_DIR, 'src/standalone.ts')],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    conditions: ['triage-source'],
    // ESM dependencies (yargs) read import.meta.url, which CommonJS output lacks: the bundle's own URL.
    banner: { js: 'var __tri_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    define: { TRIAGE_COLLECTOR_VERSION: JSON.stringify(version), 'import.meta.url': '__tri_import_meta_url' },
    minifySyntax: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    plugins: [
      {
        name: 'absent-optional-modules',
        setup(b) {
          const filter = new RegExp(`^(${Object.keys(ABSENT).join('|')})$`);
          b.onResolve({ filter }, ({ path }) => ({ path, namespace: 'absent' }));
          b.onLoad({ filter: /.*/, namespace: 'absent' }, ({ path }) => ({
            contents: `throw new Error(${JSON.stringify(`${path} is not in the single-file collector: ${ABSENT[path]}`)});`,
            loader: 'js',
          }));
        },
      },
    ],
  });
  if (result.warnings.length > 0) {
    throw new Error(`esbuild warnings:\n${result.warnings.map((w) => `  ${w.text}`).join('\n')}`);
  }
  // Nothing may be left for run time but Node's own modules: no node_modules, no native addon.
  const builtins = new Set(builtinModules);
  const inputs = Object.keys(result.metafile.inputs);
  const addons = inputs.filter((path) => path.endsWith('.node'));
  const external = Object.values(result.metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external && !i.path.startsWith('node:') && !builtins.has(i.path))
    .map((i) => i.path);
  if (addons.length > 0 || external.length > 0) {
    throw new Error(`the bundle needs files at run time: ${[...addons, ...external].join(', ')}`);
  }
  log(`bundled ${inputs.length} modules into ${BUNDLE} (${(await stat(BUNDLE)).size} bytes)`);
  return version;
}

/** Refuses a Node that cannot make a self-contained SEA (a distribution build linked to libnode, or no fuse). */
async function checkNode() {
  if (process.config.variables.node_shared) {
    throw new Error(
      `${process.execPath} is linked to a shared libnode; use an official Node build (nodejs.org) to make a SEA`,
    );
  }
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) throw new Error(`Node ${process.version} has no single executable applications`);
}

async function buildExe(version, hash) {
  const postject = require('postject');
  const config = join(OUT_DIR, 'sea-config.json');
  const blob = join(OUT_DIR, 'sea-prep.blob');
  const partial = `${EXE}.partial`;
  await writeFile(
    config,
    `${JSON.stringify({ main: BUNDLE, output: blob, disableExperimentalSEAWarning: true }, null, 2)}\n`,
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });
  await rm(partial, { force: true });
  await copyFile(process.execPath, partial);
  await chmod(partial, 0o755);
  if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', partial]);
  // LIEF (inside postject) warns once per note it cannot name; count instead of printing hundreds of lines.
  const warn = console.warn;
  let warnings = 0;
  console.warn = () => warnings++;
  try {
    await postject.inject(partial, 'NODE_SEA_BLOB', await readFile(blob), {
      sentinelFuse: FUSE,
      ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
    });
  } finally {
    console.warn = warn;
  }
  if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', partial]);
  // The executable must run alone: nothing from here in its environment.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const printed = execFileSync(partial, ['--version'], { cwd: OUT_DIR, env, encoding: 'utf8' }).trim();
  if (printed !== version) throw new Error(`the new executable printed ${printed}, not ${version}`);
  await rename(partial, EXE);
  await rm(blob, { force: true });
  const info = {
    hash,
    version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    exe: EXE,
    exeBytes: (await stat(EXE)).size,
    exeSha256: await sha256File(EXE),
    bundle: BUNDLE,
    bundleSha256: await sha256File(BUNDLE),
  };
  await writeFile(INFO, `${JSON.stringify(info, null, 2)}\n`);
  log(`built ${EXE} (${info.exeBytes} bytes, ${process.platform}-${process.arch}, Node ${process.version})`);
  if (warnings > 0) log(`(postject printed ${warnings} LIEF warnings about unnamed notes; harmless)`);
  return info;
}

async function main() {
  await mkdir(OUT_DIR, { recursive: true });
  const version = await bundle();
  if (args.has('--bundle-only')) {
    if (args.has('--json')) process.stdout.write(`${JSON.stringify({ bundle: BUNDLE })}\n`);
    return;
  }
  await checkNode();
  const hash = createHash('sha256')
    .update(await readFile(BUNDLE))
    .update(await readFile(fileURLToPath(import.meta.url)))
    .update(`${process.version} ${process.platform} ${process.arch} ${await sha256File(process.execPath)}`)
    .update(JSON.parse(await readFile(require.resolve('postject/package.json'), 'utf8')).version)
    .digest('hex');
  let info;
  try {
    const previous = JSON.parse(await readFile(INFO, 'utf8'));
    if (previous.hash === hash && (await sha256File(EXE)) === previous.exeSha256) info = previous;
  } catch {
    // No usable earlier build.
  }
  if (info && !args.has('--force')) log(`${EXE} is up to date (input hash ${hash.slice(0, 12)})`);
  else info = await buildExe(version, hash);
  if (args.has('--json')) process.stdout.write(`${JSON.stringify(info)}\n`);
  else process.stdout.write(`${info.exe}\n`);
}

main().catch((error) => {
  process.stderr.write(`build-sea: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
