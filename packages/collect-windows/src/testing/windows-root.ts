/**
 * Small Windows volumes for the collectors' tests: files from the shared
 * samples (gunzipped) or built in memory, written at their paths below a
 * fresh temporary folder; and a runner for one collector over such a
 * volume that gathers its records, errors and log.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ArtifactRecord } from '@triage/artifact-schema';
import { type CollectorError, toCollectorError } from '@triage/collect-core';
import {
  closeSharedState,
  createContext,
  createSharedState,
  type WindowsCollector,
} from '../collect/context.js';
import { fileMetadataRecords, type Reference } from '../collect/files.js';
import { type BuildKey, type BuildValue, buildHive, le32, le64, multiSz, utf16 } from './hive-builder.js';
import { readSample } from './sample-files.js';

/** The clock of the collectors' tests. */
export const TEST_NOW = new Date('2026-11-23T12:00:00.000Z');

/** A sample's original bytes by its path under the samples folder (gunzipped when stored as `.gz`). */
export function sampleBytes(path: string): Uint8Array {
  const bytes = readSample(path);
  return path.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** What a volume file holds: a sample path (`registry/SAM_plaso_win7`), bytes, or text. */
export type VolumeContent = { readonly sample: string } | Uint8Array | string;

/**
 * Writes a volume into a new temporary folder.
 *
 * @param files - contents by path below the root, with `/` (`Windows/System32/config/SAM`)
 * @returns the root
 */
export async function windowsRoot(files: Readonly<Record<string, VolumeContent>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'triage-windows-'));
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, ...path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    const bytes =
      typeof content === 'string' || content instanceof Uint8Array ? content : sampleBytes(content.sample);
    await writeFile(target, bytes);
  }
  return root;
}

/** What one collector yielded over a volume. */
export interface CollectorRun {
  readonly records: ArtifactRecord[];
  readonly errors: CollectorError[];
  readonly log: string[];
  /** The `file_metadata` records of the programs it referenced. */
  readonly files: ArtifactRecord[];
}

/**
 * Runs one collector over a volume, then `file_metadata` for what it
 * referenced, as `collectWindows` would; a throw from the collector is
 * recorded as an error, as there.
 */
export async function runCollector(
  collector: WindowsCollector,
  root: string,
  options: { readonly exports?: ReadonlyMap<string, string> } = {},
): Promise<CollectorRun> {
  const shared = createSharedState(root, options.exports);
  const errors: CollectorError[] = [];
  const log: string[] = [];
  const references = new Map<string, Reference>();
  const contextFor = (name: string) =>
    createContext({
      root,
      live: false,
      systemDrive: 'C:',
      now: () => TEST_NOW,
      collector: name,
      onError: (e) => errors.push(e),
      onLog: (l) => log.push(l),
      onReference: (path, by, onlyIfExists) => {
        const entry = references.get(path.toLowerCase());
        if (!entry) references.set(path.toLowerCase(), { path, referencedBy: [by], onlyIfExists });
        else {
          if (!entry.referencedBy.includes(by)) entry.referencedBy.push(by);
          if (!onlyIfExists) entry.onlyIfExists = false;
        }
      },
      shared,
    });
  const records: ArtifactRecord[] = [];
  const files: ArtifactRecord[] = [];
  try {
    try {
      for await (const record of collector.collect(contextFor(collector.name))) records.push(record);
    } catch (error) {
      errors.push(toCollectorError(collector.name, undefined, error));
    }
    for await (const record of fileMetadataRecords(contextFor('file_metadata'), references.values())) {
      files.push(record);
    }
  } finally {
    await closeSharedState(shared);
  }
  return { records, errors, log, files };
}

/** A value for {@link hiveOf}: its type and data. */
export type HiveValue =
  | readonly ['sz' | 'expand_sz', string]
  | readonly ['multi_sz', readonly string[]]
  | readonly ['dword', number]
  | readonly ['qword', bigint]
  | readonly ['binary', readonly number[]];

const TYPE_CODES = { sz: 1, expand_sz: 2, binary: 3, dword: 4, multi_sz: 7, qword: 11 } as const;

/**
 * A small hive from key paths and their values, e.g.
 * `{ 'Microsoft\\Windows\\CurrentVersion\\Run': { Updater: ['sz', 'C:\\x.exe'] } }`.
 * Keys named only as parents are created empty.
 */
export function hiveOf(keys: Readonly<Record<string, Readonly<Record<string, HiveValue>>>>): Uint8Array {
  interface Node {
    name: string;
    values: BuildValue[];
    children: Map<string, Node>;
  }
  const root: Node = { name: 'ROOT', values: [], children: new Map() };
  for (const [path, values] of Object.entries(keys)) {
    let node = root;
    for (const part of path.split('\\').filter((p) => p !== '')) {
      let child = node.children.get(part);
      if (!child) {
        child = { name: part, values: [], children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    for (const [name, [type, value]] of Object.entries(values)) {
      const data =
        type === 'sz' || type === 'expand_sz'
          ? utf16(value as string)
          : type === 'multi_sz'
            ? multiSz(value as readonly string[])
            : type === 'dword'
              ? le32(value as number)
              : type === 'qword'
                ? le64(value as bigint)
                : Uint8Array.from(value as readonly number[]);
      node.values.push({ name, type: TYPE_CODES[type], data });
    }
  }
  const toKey = (node: Node): BuildKey => ({
    name: node.name,
    values: node.values,
    subkeys: [...node.children.values()].map(toKey),
  });
  return buildHive(toKey(root)).bytes;
}
