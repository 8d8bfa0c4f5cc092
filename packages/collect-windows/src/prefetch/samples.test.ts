/**
 * Every Prefetch file in the shared samples parses, and the facts of
 * MANIFEST.json and EXPECTED_tool_output.json hold: executable, hash,
 * version, run count (including the version 30 0xD0/0xC8 quirk), last run
 * times, volumes and referenced files.
 */
import { describe, expect, it } from 'vitest';
import {
  expectedToolOutput,
  listSamples,
  manifest,
  readSample,
  sha256,
  toMicroseconds,
} from '../testing/sample-files.js';
import { parsePrefetch } from './prefetch.js';

const FILES = listSamples('prefetch');
const MANIFEST = manifest();

interface Expected {
  version: number;
  exe: string;
  hash: string;
  run_count: number;
  last_run: string[];
  n_filenames: number;
  filenames_sample: string[];
  volumes: { device: string; serial: string; created: string }[];
  scca_size_field: number;
  mam?: { uncompressed_size: number };
  metrics_offset?: string;
}

describe('Prefetch samples', () => {
  it('are the five files the manifest lists, unchanged', () => {
    expect(FILES).toHaveLength(5);
    for (const file of FILES) expect(sha256(readSample(file)), file).toBe(MANIFEST.get(file)?.raw_sha256);
  });

  it.each(FILES)('%s matches EXPECTED_tool_output.json', async (file) => {
    const pf = await parsePrefetch(readSample(file));
    const x = expectedToolOutput(file) as unknown as Expected;
    expect(pf.version).toBe(x.version);
    expect(pf.executableName).toBe(x.exe);
    expect(pf.prefetchHash).toBe(x.hash);
    expect(pf.runCount).toBe(x.run_count);
    expect(pf.lastRunTimes.map(toMicroseconds)).toEqual(x.last_run.map(toMicroseconds));
    expect(pf.filenames).toHaveLength(x.n_filenames);
    expect(pf.filenames.slice(0, x.filenames_sample.length)).toEqual(x.filenames_sample);
    expect(
      pf.volumes.map((v) => ({
        device: v.devicePath,
        serial: v.serialNumber,
        created: toMicroseconds(v.creationTime),
      })),
    ).toEqual(x.volumes.map((v) => ({ ...v, created: toMicroseconds(v.created) })));
    expect(pf.declaredSize).toBe(x.scca_size_field);
    expect(pf.compressed).toBe(x.mam !== undefined);
    expect(pf.diagnostics).toEqual([]);
    // The file name is <executable>-<hash>.pf.
    expect(file).toBe(`prefetch/${pf.executableName}-${pf.prefetchHash}.pf`);
  });

  it('holds the MANIFEST facts, including both version 30 run-count layouts', async () => {
    const cmd = await parsePrefetch(readSample('prefetch/CMD.EXE-087B4001.pf'));
    expect(cmd).toMatchObject({ version: 17, runCount: 2, compressed: false });
    expect(cmd.lastRunTimes).toEqual(['2013-03-10T10:11:49.2812500Z']);
    expect(cmd.filenames).toHaveLength(33);
    expect(cmd.volumes[0]).toMatchObject({
      devicePath: '\\DEVICE\\HARDDISKVOLUME1',
      serialNumber: '24CB074B',
    });

    const ping = await parsePrefetch(readSample('prefetch/PING.EXE-B29F6629.pf'));
    expect(ping).toMatchObject({ version: 23, runCount: 14 });
    expect(ping.lastRunTimes.map(toMicroseconds)).toEqual(['2012-04-06T19:00:55.932955Z']);
    expect(ping.filenames).toHaveLength(27);
    expect(ping.volumes[0]?.serialNumber).toBe('AC036525');

    const taskhost = await parsePrefetch(readSample('prefetch/TASKHOST.EXE-3AE259FC.pf'));
    expect(taskhost).toMatchObject({ version: 26, runCount: 4 });
    expect(toMicroseconds(taskhost.lastRunTimes[0] ?? null)).toBe('2013-10-04T15:40:09.037833Z');
    expect(taskhost.filenames).toHaveLength(51);

    // Version 30, newer layout: file information ends at 0x128, run count at 0xC8.
    const notepad = await parsePrefetch(readSample('prefetch/NOTEPAD.EXE-D8414F97.pf'));
    expect(notepad).toMatchObject({
      version: 30,
      compressed: true,
      declaredSize: 34_286,
      runCount: 2,
      runCountOffset: 0xc8,
    });
    expect(notepad.lastRunTimes.map(toMicroseconds)).toEqual([
      '2019-06-05T19:55:04.877778Z',
      '2019-06-05T19:23:00.815705Z',
    ]);
    expect(notepad.filenames).toHaveLength(56);
    expect(notepad.volumes[0]?.serialNumber).toBe('2CA3D1AE');

    // Version 30, older layout: file information ends at 0x130, run count at 0xD0; ten 64 KiB blocks.
    const bcg = await parsePrefetch(readSample('prefetch/BYTECODEGENERATOR.EXE-C1E9BCE6.pf'));
    expect(bcg).toMatchObject({
      version: 30,
      compressed: true,
      declaredSize: 603_246,
      runCount: 7,
      runCountOffset: 0xd0,
    });
    expect(toMicroseconds(bcg.lastRunTimes[0] ?? null)).toBe('2015-05-14T22:11:58.091134Z');
    expect(bcg.lastRunTimes).toHaveLength(7);
    expect(bcg.filenames).toHaveLength(1085);
  });
});
