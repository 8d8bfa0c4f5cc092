/**
 * `execution_evidence`: Prefetch files, Amcache entries and the ShimCache.
 *
 * - **Prefetch** (`Windows\Prefetch\*.pf`, `parsePrefetch`): the executable,
 *   run count, up to eight last run times; the path is the entry of the
 *   file list that ends with the executable's name (written with the
 *   volume's device path, `\VOLUME{…}\WINDOWS\…`), and the volume serial is
 *   that volume's.
 * - **Amcache** (`Windows\AppCompat\Programs\Amcache.hve`): Windows 10's
 *   `Root\InventoryApplicationFile\*` (LowerCaseLongPath, FileId = `0000` +
 *   SHA-1, Size, Publisher, ProductName, Version) and Windows 8's
 *   `Root\File\<volume>\<id>` (numbered values after Yogesh Khatri's
 *   notes: 15 path, 101 `0000` + SHA-1, 6 size, 1 company, 0 product,
 *   5 file version, 11 and 17 last modified). `first_seen` is the entry
 *   key's last-written time.
 * - **ShimCache** (`readShimCache` of the SYSTEM hive's current control
 *   set): path, the file's last-modified time, the insert (executed) flag,
 *   position.
 *
 * Programs that exist in the volume are referenced for `file_metadata`
 * (Prefetch's device paths are tried on the system volume).
 */
import type { ArtifactRecord, ExecutionEvidence } from '@triage/artifact-schema';
import { type PrefetchFile, parsePrefetch } from '../prefetch/prefetch.js';
import type { RegistryKey } from '../regf/hive.js';
import { readShimCache } from '../shimcache/shimcache.js';
import type { WindowsCollectContext, WindowsCollector } from './context.js';
import { absoluteWindowsPath, baseName } from './paths.js';
import { filetimeOf, keyTime, numberOf, textOf } from './values.js';

type Fields = Omit<ExecutionEvidence, 'kind' | 'source' | 'collected_at'>;

/** An `execution_evidence` record's fields: what `fields` gives, every other field null. */
function evidence(fields: Pick<Fields, 'artifact' | 'name'> & Partial<Fields>): Fields {
  // Written in the schema's field order.
  return {
    artifact: fields.artifact,
    path: fields.path ?? null,
    name: fields.name,
    sha1: fields.sha1 ?? null,
    size: fields.size ?? null,
    executed: fields.executed ?? null,
    run_count: fields.run_count ?? null,
    last_run: fields.last_run ?? null,
    run_times: fields.run_times ?? null,
    first_seen: fields.first_seen ?? null,
    last_modified: fields.last_modified ?? null,
    position: fields.position ?? null,
    volume_serial: fields.volume_serial ?? null,
    publisher: fields.publisher ?? null,
    product: fields.product ?? null,
    version: fields.version ?? null,
    registry_key: fields.registry_key ?? null,
  };
}

/** Where Windows keeps Prefetch files, below the volume root. */
export const PREFETCH_FOLDER = 'Windows\\Prefetch';
/** At most this many Prefetch files are read (Windows keeps 128 to 1,024). */
const MAX_PREFETCH_FILES = 8192;

/**
 * The executable's full path in a Prefetch file's list (the entry ending
 * in `\NAME`), and the serial of the volume whose device path starts it.
 */
export function prefetchPath(pf: PrefetchFile): { path: string | null; volumeSerial: string | null } {
  const wanted = `\\${pf.executableName}`.toUpperCase();
  const path =
    pf.executableName === '' ? undefined : pf.filenames.find((f) => f.toUpperCase().endsWith(wanted));
  const volume =
    path === undefined
      ? pf.volumes[0]
      : (pf.volumes.find((v) => path.toUpperCase().startsWith(`${v.devicePath.toUpperCase()}\\`)) ??
        pf.volumes[0]);
  return { path: path ?? null, volumeSerial: volume?.serialNumber ?? null };
}

/** A Prefetch device path (`\VOLUME{…}\X`, `\DEVICE\HARDDISKVOLUME2\X`) tried on the system drive. */
function onSystemVolume(path: string, systemDrive: string): string | null {
  const m = /^\\(?:VOLUME\{[^}]*\}|DEVICE\\HARDDISKVOLUME\d+)(\\.+)$/i.exec(path);
  return m ? `${systemDrive}${m[1]}` : null;
}

async function referenceIfPresent(
  ctx: WindowsCollectContext,
  path: string | null,
  by: string,
): Promise<void> {
  if (path === null) return;
  const absolute = absoluteWindowsPath(path, ctx.env);
  if (absolute !== null) ctx.reference(absolute, `execution_evidence:${by}`, { onlyIfExists: true });
}

async function* collectPrefetch(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const files = (await ctx.list(PREFETCH_FOLDER)).filter(
    (f) => f.stats.isFile() && (f.components.at(-1) ?? '').toLowerCase().endsWith('.pf'),
  );
  if (files.length === 0)
    ctx.log(
      `no Prefetch files in ${PREFETCH_FOLDER} (Prefetch may be off, as on servers and SSDs of some versions)`,
    );
  if (files.length > MAX_PREFETCH_FILES)
    ctx.log(`reading the first ${MAX_PREFETCH_FILES} of ${files.length} Prefetch files`);
  for (const file of files.slice(0, MAX_PREFETCH_FILES)) {
    let pf: PrefetchFile;
    const source = await ctx.openSource(file).catch((error: unknown) => {
      ctx.error(file.path, error);
      return null;
    });
    if (source === null) continue;
    try {
      pf = await parsePrefetch(source);
    } catch (error) {
      ctx.error(file.path, error);
      continue;
    } finally {
      await source.close();
    }
    if (pf.diagnostics.length > 0)
      ctx.log(
        `${file.path}: ${pf.diagnostics.length} damaged structures (first: ${pf.diagnostics[0]?.message})`,
      );
    const { path, volumeSerial } = prefetchPath(pf);
    await referenceIfPresent(
      ctx,
      path === null ? null : onSystemVolume(path, ctx.env.systemDrive),
      file.path,
    );
    yield ctx.record(
      'execution_evidence',
      file.path,
      evidence({
        artifact: 'prefetch',
        name: pf.executableName === '' ? baseName(file.path) : pf.executableName,
        path,
        executed: true,
        run_count: pf.runCount,
        last_run: pf.lastRunTimes[0] ?? null,
        run_times: [...pf.lastRunTimes],
        volume_serial: volumeSerial,
      }),
    );
  }
}

/** The SHA-1 of an Amcache FileId (`0000` + 40 hex digits), lower case; null for anything else. */
export function amcacheSha1(fileId: string | null): string | null {
  if (fileId === null) return null;
  const m = /^0000([0-9a-fA-F]{40})$/.exec(fileId.trim());
  return m ? (m[1] as string).toLowerCase() : null;
}

/** At most this many Amcache entries are read. */
const MAX_AMCACHE_ENTRIES = 200_000;

async function inventoryEntry(key: RegistryKey): Promise<Fields | null> {
  const values = new Map((await key.values()).map((v) => [v.name.toLowerCase(), v]));
  const text = (name: string) => {
    const t = textOf(values.get(name.toLowerCase()));
    return t === null || t.trim() === '' ? null : t;
  };
  const path = text('LowerCaseLongPath');
  const name = text('Name') ?? (path === null ? null : baseName(path));
  if (name === null) return null;
  const size = numberOf(values.get('size'));
  return evidence({
    artifact: 'amcache',
    name,
    path,
    sha1: amcacheSha1(text('FileId')),
    size: size !== null && size >= 0 ? size : null,
    first_seen: keyTime(key),
    publisher: text('Publisher'),
    product: text('ProductName'),
    version: text('Version'),
    registry_key: key.path,
  });
}

async function fileEntry(key: RegistryKey): Promise<Fields | null> {
  const values = new Map((await key.values()).map((v) => [v.name.toLowerCase(), v]));
  const text = (name: string) => {
    const t = textOf(values.get(name));
    return t === null || t.trim() === '' ? null : t;
  };
  const path = text('15');
  if (path === null) return null;
  const size = numberOf(values.get('6'));
  return evidence({
    artifact: 'amcache',
    name: baseName(path),
    path,
    sha1: amcacheSha1(text('101')),
    size: size !== null && size >= 0 ? size : null,
    first_seen: keyTime(key),
    last_modified: filetimeOf(values.get('11')) ?? filetimeOf(values.get('17')),
    publisher: text('1'),
    product: text('0'),
    version: text('5'),
    registry_key: key.path,
  });
}

async function* collectAmcache(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const amcache = await ctx.hive('Amcache');
  if (amcache === null) {
    ctx.log('no Amcache.hve');
    return;
  }
  let left = MAX_AMCACHE_ENTRIES;
  const emit = async function* (fields: Fields | null, by: string): AsyncGenerator<ArtifactRecord> {
    if (fields === null) return;
    left--;
    await referenceIfPresent(ctx, fields.path, by);
    yield ctx.record('execution_evidence', amcache.file.path, fields);
  };
  const inventory = await amcache.hive.key('Root\\InventoryApplicationFile');
  for (const key of (await inventory?.subkeys()) ?? []) {
    if (left <= 0) break;
    yield* emit(await inventoryEntry(key), `${amcache.file.path}:${key.path}`);
  }
  const files = await amcache.hive.key('Root\\File');
  for (const volume of (await files?.subkeys()) ?? []) {
    for (const key of await volume.subkeys()) {
      if (left <= 0) break;
      yield* emit(await fileEntry(key), `${amcache.file.path}:${key.path}`);
    }
  }
  if (left <= 0) ctx.log(`stopped after ${MAX_AMCACHE_ENTRIES} Amcache entries`);
  if (!inventory && !files)
    ctx.log(`${amcache.file.path} has neither Root\\InventoryApplicationFile nor Root\\File`);
}

async function* collectShimCache(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  const system = await ctx.hive('SYSTEM');
  if (system === null) {
    ctx.log('no SYSTEM hive');
    return;
  }
  const cache = await readShimCache(system.hive);
  if (cache === null) {
    ctx.log('no AppCompatCache value in the current control set');
    return;
  }
  ctx.log(`${cache.keyPath}: layout ${cache.layout}, ${cache.entries.length} entries`);
  for (const d of cache.diagnostics.slice(0, 10)) ctx.log(`AppCompatCache at ${d.offset}: ${d.reason}`);
  const registryKey = cache.keyPath === null ? null : `HKLM\\SYSTEM\\${cache.keyPath}`;
  for (const entry of cache.entries) {
    await referenceIfPresent(ctx, entry.path, `shimcache:${entry.position}`);
    yield ctx.record(
      'execution_evidence',
      system.file.path,
      evidence({
        artifact: 'shimcache',
        name: baseName(entry.path),
        path: entry.path,
        size: entry.fileSize,
        executed: entry.executed,
        last_modified: entry.lastModified,
        position: entry.position,
        registry_key: registryKey,
      }),
    );
  }
}

/** Programs Prefetch files say ran, with run counts and times. */
export const prefetchCollector: WindowsCollector = {
  name: 'prefetch',
  kinds: ['execution_evidence'],
  collect: collectPrefetch,
};
/** Programs Amcache recorded, with SHA-1. */
export const amcacheCollector: WindowsCollector = {
  name: 'amcache',
  kinds: ['execution_evidence'],
  collect: collectAmcache,
};
/** Programs the ShimCache (AppCompatCache) of the current control set holds. */
export const shimCacheCollector: WindowsCollector = {
  name: 'shimcache',
  kinds: ['execution_evidence'],
  collect: collectShimCache,
};
