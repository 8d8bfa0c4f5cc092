/**
 * writeZip, read back by two independent readers: Info-ZIP's `unzip` (test,
 * list with modes, extract) and Python's zipfile (CRC, sizes, Unix modes,
 * times). Both are on every machine this runs on (Debian's unzip; the
 * Python the test kit needs for moto).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isTriageError } from '@triage/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZip } from './zip.js';

const run = promisify(execFile);
const PYTHON = 'python3';

const READ_WITH_PYTHON = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    out = []
    for i in z.infolist():
        out.append({"name": i.filename, "mode": (i.external_attr >> 16) & 0o7777, "type": (i.external_attr >> 16) & 0o170000,
                    "system": i.create_system, "size": i.file_size, "crc": i.CRC, "date": list(i.date_time),
                    "data": z.read(i).hex() if i.file_size < 4096 else None})
    print(json.dumps({"bad": bad, "entries": out}))
`;

describe('writeZip', () => {
  let dir: string;
  const big = randomBytes(3 * 1024 * 1024 + 17);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'triage-zip-'));
    await writeFile(join(dir, 'collector'), big);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes an archive unzip and Python read back byte for byte, with Unix modes and UTC times', async () => {
    const zip = join(dir, 'bundle.zip');
    const mtime = new Date('2026-12-07T10:20:31Z');
    const size = await writeZip(
      zip,
      [
        { name: 'triage-bundle/bundle.json', source: Buffer.from('{"secret":"x"}\n'), mode: 0o600 },
        {
          name: 'triage-bundle/README.txt',
          source: Buffer.from('Run ./triage-collect — no arguments.\n'),
          mode: 0o644,
        },
        { name: 'triage-bundle/triage-collect', source: { path: join(dir, 'collector') }, mode: 0o755 },
        { name: 'triage-bundle/empty', source: new Uint8Array(0), mode: 0o644 },
      ],
      { mtime },
    );
    const info = await stat(zip);
    expect(info.size).toBe(size);
    expect(info.mode & 0o777).toBe(0o600);

    await run('unzip', ['-tq', zip]);
    const listing = (await run('unzip', ['-Z', zip])).stdout;
    expect(listing).toMatch(/-rw-------.* triage-bundle\/bundle\.json/);
    expect(listing).toMatch(/-rwxr-xr-x.* triage-bundle\/triage-collect/);

    const py = JSON.parse((await run(PYTHON, ['-c', READ_WITH_PYTHON, zip])).stdout) as {
      bad: string | null;
      entries: {
        name: string;
        mode: number;
        type: number;
        system: number;
        size: number;
        data: string | null;
        date: number[];
      }[];
    };
    expect(py.bad).toBeNull();
    expect(py.entries.map((e) => [e.name, e.mode.toString(8), e.type.toString(8), e.system, e.size])).toEqual(
      [
        ['triage-bundle/bundle.json', '600', '100000', 3, 15],
        [
          'triage-bundle/README.txt',
          '644',
          '100000',
          3,
          Buffer.byteLength('Run ./triage-collect — no arguments.\n'),
        ],
        ['triage-bundle/triage-collect', '755', '100000', 3, big.length],
        ['triage-bundle/empty', '644', '100000', 3, 0],
      ],
    );
    expect(Buffer.from(py.entries[1]?.data ?? '', 'hex').toString()).toBe(
      'Run ./triage-collect — no arguments.\n',
    );
    // DOS times have 2-second resolution.
    expect(py.entries[0]?.date).toEqual([2026, 12, 7, 10, 20, 30]);

    const out = join(dir, 'out');
    await run('unzip', ['-q', zip, '-d', out]);
    expect((await readFile(join(out, 'triage-bundle/triage-collect'))).equals(big)).toBe(true);
    expect((await stat(join(out, 'triage-bundle/triage-collect'))).mode & 0o111).not.toBe(0);
  });

  it('never overwrites, refuses unsafe names, and removes a partial archive', async () => {
    const zip = join(dir, 'twice.zip');
    await writeZip(zip, [{ name: 'a', source: Buffer.from('a'), mode: 0o644 }]);
    const again = await writeZip(zip, [{ name: 'a', source: Buffer.from('b'), mode: 0o644 }]).catch(
      (e: unknown) => e,
    );
    expect(isTriageError(again, 'ALREADY_EXISTS')).toBe(true);

    for (const name of ['../evil', '/abs', 'a/../b', 'a//b', '', 'a\\b']) {
      const error = await writeZip(join(dir, 'bad.zip'), [
        { name, source: Buffer.from('x'), mode: 0o644 },
      ]).catch((e: unknown) => e);
      expect(isTriageError(error, 'INVALID_ARGUMENT'), name).toBe(true);
    }
    const dup = await writeZip(join(dir, 'dup.zip'), [
      { name: 'a', source: Buffer.from('1'), mode: 0o644 },
      { name: 'a', source: Buffer.from('2'), mode: 0o644 },
    ]).catch((e: unknown) => e);
    expect(isTriageError(dup, 'INVALID_ARGUMENT')).toBe(true);

    const partial = join(dir, 'partial.zip');
    const missing = await writeZip(partial, [
      { name: 'ok', source: Buffer.from('fine'), mode: 0o644 },
      { name: 'gone', source: { path: join(dir, 'no-such-file') }, mode: 0o644 },
    ]).catch((e: unknown) => e);
    expect(isTriageError(missing, 'IO_ERROR')).toBe(true);
    await expect(stat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
