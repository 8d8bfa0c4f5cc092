/**
 * The Debian parsers the Windows differential tests compare against: fetched
 * and unpacked into the cache (no root), and each one runs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DebianTools, debianParsers } from './debian.js';

const run = promisify(execFile);

describe('debianParsers', () => {
  let tools: DebianTools & { readonly processEnv: NodeJS.ProcessEnv };

  beforeAll(async () => {
    tools = await debianParsers();
  }, 180_000);

  it.each([
    ['regfexport', 'regfexport 20201007'],
    ['evtxexport', 'evtxexport 20181227'],
    ['lnkinfo', 'lnkinfo 20181227'],
  ])('%s runs from the cache with its libraries', async (tool, version) => {
    const { stdout } = await run(`${tools.bin}/${tool}`, ['-V'], { env: tools.processEnv });
    expect(stdout.split('\n')[0]).toBe(version);
  });

  it('python-evtx imports from the cache', async () => {
    const { stdout } = await run('python3', ['-c', 'import Evtx.Evtx as e; print(e.__file__)'], {
      env: tools.processEnv,
    });
    expect(stdout.trim()).toBe(`${tools.root}/usr/lib/python3/dist-packages/Evtx/Evtx.py`);
  });

  it('RegRipper lists its plugins', async () => {
    const { stdout } = await run('perl', [`${tools.root}/usr/lib/regripper/rip.pl`, '-l', '-c'], {
      env: tools.processEnv,
      cwd: `${tools.root}/usr/lib/regripper`,
    });
    // One plugin (clsid_tln) does not compile under this Perl and is reported; the rest load.
    expect(stdout.split('\n')[0]).toBe('Plugin,Version,Hive,Description');
    expect(stdout).toMatch(/^run,\d{8},Software, NTUSER\.DAT,/m);
    expect(stdout).toMatch(/^samparse,\d{8},SAM,/m);
  });
});
