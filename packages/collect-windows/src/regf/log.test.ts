/**
 * Transaction log replay: Marvin32, new-format (HvLE) and old-format (DIRT)
 * logs built in memory, and the dirty regipy NTUSER sample with its .LOG1
 * and .LOG2, checked against regipy's documented expectations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import {
  type BuildKey,
  buildHive,
  buildNewLog,
  buildOldLog,
  changedPages,
  fixChecksum,
  patch32,
  utf16,
} from '../testing/hive-builder.js';
import { openHive, type RegistryHive, type RegistryKey } from './hive.js';
import { Marvin32, marvin32 } from './marvin32.js';
import { walkHive } from './walk.js';

describe('Marvin32', () => {
  // SymCrypt lib/marvin32.c self-test, and skeeto/marvin32's vectors, as quoted by
  // microsoft/security-utilities (marvin tests).
  it.each([
    [0xd53cd9cecd0893b7n, 'abc', 0x22c74339492769bfn],
    [0x0ddddeeeeffff000n, 'abcdefghijklmnopqrstuvwxyz', 0xa128eb7e7260aca2n],
  ])('seed %s, "%s"', (seed, text, expected) => {
    expect(marvin32(new TextEncoder().encode(text), seed)).toBe(expected);
  });

  it.each([
    [0x004fb61a001bdbccn, '', 0x30ed35c100cd3c7dn],
    [0x004fb61a001bdbccn, 'af', 0x48e73fc77d75ddc1n],
    [0x004fb61a001bdbccn, 'e70f', 0xb5f6e1fc485dbff8n],
    [0x004fb61a001bdbccn, '37f495', 0xf0b07c789b8cf7e8n],
    [0x004fb61a001bdbccn, '8642dc59', 0x7008f2e87e9cf556n],
    [0x004fb61a001bdbccn, 'ab427ea8d10fc7', 0xe11847e4f0678c41n],
    [0x804fb61a801bdbccn, '00ff00ff00', 0x1d7ddf9dfdf3c1bfn],
  ])('seed %s, bytes %s', (seed, hex, expected) => {
    expect(marvin32(Buffer.from(hex, 'hex'), seed)).toBe(expected);
  });

  it('gives the same hash however the input is split', () => {
    const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 31) & 0xff);
    const whole = marvin32(bytes);
    for (const step of [1, 2, 3, 5, 7, 64, 1000]) {
      const hasher = new Marvin32();
      for (let at = 0; at < bytes.length; at += step) hasher.update(bytes.subarray(at, at + step));
      expect(hasher.digest()).toBe(whole);
    }
  });
});

async function paths(hive: RegistryHive): Promise<string[]> {
  const found: string[] = [];
  await walkHive(hive, (key) => {
    found.push(key.path);
  });
  return found;
}

/** Three states of one hive: S0 on disk, S1 and S2 only in the logs. */
const S0: BuildKey = {
  name: 'R',
  subkeys: [{ name: 'Keep', values: [{ name: 'v', type: 1, data: utf16('zero') }] }],
};
const S1: BuildKey = {
  name: 'R',
  subkeys: [{ name: 'Added1' }, { name: 'Keep', values: [{ name: 'v', type: 1, data: utf16('one') }] }],
};
const S2: BuildKey = {
  name: 'R',
  subkeys: [
    { name: 'Added1' },
    { name: 'Added2', values: [{ name: 'big', type: 3, data: new Uint8Array(9000).fill(7) }] },
    { name: 'Keep', values: [{ name: 'v', type: 1, data: utf16('two') }] },
  ],
};

function states(sequence: number) {
  const s0 = buildHive(S0, { primarySequence: sequence + 1, secondarySequence: sequence });
  const s1 = buildHive(S1);
  const s2 = buildHive(S2);
  const hbins = (bytes: Uint8Array) => new DataView(bytes.buffer).getUint32(40, true);
  const entry1 = {
    sequence,
    hiveBinsDataSize: hbins(s1.bytes),
    pages: changedPages(s0.bytes, s1.bytes, 4096),
  };
  const entry2 = {
    sequence: sequence + 1,
    hiveBinsDataSize: hbins(s2.bytes),
    pages: changedPages(s1.bytes, s2.bytes, 4096),
  };
  return { s0, s1, s2, entry1, entry2 };
}

describe('new-format (HvLE) logs', () => {
  it('replays the entries in sequence order from the secondary sequence number', async () => {
    const { s0, entry1, entry2 } = states(10);
    const log1 = buildNewLog(s0.bytes, [entry1, entry2]);
    const plain = await openHive(bufferSource(s0.bytes));
    expect(plain.dirty).toBe(true);
    expect(await paths(plain)).toEqual(['', 'Keep']);
    const hive = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(log1, 'h.LOG1')] });
    expect(await paths(hive)).toEqual(['', 'Added1', 'Added2', 'Keep']);
    expect((await (await hive.key('Keep'))?.value('v'))?.asString()).toBe('two');
    expect((await (await hive.key('Added2'))?.value('big'))?.data).toEqual(new Uint8Array(9000).fill(7));
    expect(hive.recovery).toMatchObject({
      attempted: true,
      format: 'new',
      appliedSequences: [10, 11],
      pagesApplied: entry1.pages.length + entry2.pages.length,
      baseBlockFromLog: false,
      logs: [{ name: 'h.LOG1', format: 'new', validEntries: 2, entrySequences: [10, 11] }],
    });
    expect(hive.recovery?.note).toMatch(/no valid entry has sequence number 12/);
    expect(hive.diagnostics).toEqual([]);
    // The original bytes are untouched.
    expect(new DataView(s0.bytes.buffer).getUint32(8, true)).toBe(10);
  });

  it('takes each sequence number from whichever log holds it (.LOG1 then .LOG2)', async () => {
    const { s0, entry1, entry2 } = states(20);
    const log1 = buildNewLog(s0.bytes, [entry1]);
    const log2 = buildNewLog(s0.bytes, [entry2]);
    const hive = await openHive(bufferSource(s0.bytes), {
      logs: [bufferSource(log2, 'LOG2'), bufferSource(log1, 'LOG1')],
    });
    expect(hive.recovery?.appliedSequences).toEqual([20, 21]);
    expect(await paths(hive)).toEqual(['', 'Added1', 'Added2', 'Keep']);
  });

  it('stops before an entry whose hash fails, and at a gap in the sequence', async () => {
    const { s0, entry1, entry2 } = states(30);
    const log = buildNewLog(s0.bytes, [entry1, entry2]);
    const second = 512 + new DataView(log.buffer).getUint32(512 + 4, true);
    const tampered = Uint8Array.from(log);
    tampered[second + 200] = (tampered[second + 200] ?? 0) ^ 1;
    const hive = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(tampered, 'LOG1')] });
    expect(hive.recovery?.appliedSequences).toEqual([30]);
    expect(await paths(hive)).toEqual(['', 'Added1', 'Keep']);
    expect(hive.recovery?.logs[0]?.problem).toMatch(/sequence 31\) fails its Hash-1 check/);
    expect(hive.diagnostics).toEqual([expect.objectContaining({ code: 'LOG' })]);

    const header = Uint8Array.from(log);
    header[second + 16] = (header[second + 16] ?? 0) ^ 0x10;
    const badHeader = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(header, 'LOG1')] });
    expect(badHeader.recovery?.appliedSequences).toEqual([30]);

    const gap = buildNewLog(s0.bytes, [entry1, { ...entry2, sequence: 32 }]);
    const gapped = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(gap, 'LOG1')] });
    expect(gapped.recovery?.appliedSequences).toEqual([30]);
    expect(gapped.recovery?.logs[0]?.entrySequences).toEqual([30, 32]);

    const late = buildNewLog(s0.bytes, [{ ...entry1, sequence: 31 }]);
    const none = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(late, 'LOG1')] });
    expect(none.recovery?.appliedSequences).toEqual([]);
    expect(none.recovery?.note).toMatch(/secondary sequence number 30/);
    expect(await paths(none)).toEqual(['', 'Keep']);
  });

  it('ignores the logs of a clean hive', async () => {
    const { s0, entry1 } = states(40);
    const clean = Uint8Array.from(s0.bytes);
    patch32(clean, 4, 40);
    fixChecksum(clean);
    const hive = await openHive(bufferSource(clean), {
      logs: [bufferSource(buildNewLog(s0.bytes, [entry1]))],
    });
    expect(hive.dirty).toBe(false);
    expect(hive.recovery).toMatchObject({ attempted: false, appliedSequences: [] });
    expect(await paths(hive)).toEqual(['', 'Keep']);
  });

  it('recovers a base block that fails its checksum from the log', async () => {
    const { s0, entry1 } = states(50);
    const broken = Uint8Array.from(s0.bytes);
    broken[300] = 0x55;
    const hive = await openHive(bufferSource(broken), {
      logs: [bufferSource(buildNewLog(s0.bytes, [entry1]), 'LOG1')],
    });
    expect(hive.header.checksumValid).toBe(false);
    expect(hive.recovery).toMatchObject({ baseBlockFromLog: true, appliedSequences: [50] });
    expect(await paths(hive)).toEqual(['', 'Added1', 'Keep']);
  });

  it('reports logs that are not logs, and never throws for them', async () => {
    const { s0 } = states(60);
    const notRegf = bufferSource(new Uint8Array(1024), 'zeros');
    const primary = bufferSource(s0.bytes.subarray(0, 4096), 'a primary');
    const hive = await openHive(bufferSource(s0.bytes), { logs: [notRegf, primary] });
    expect(hive.recovery?.logs.map((l) => [l.format, l.problem])).toEqual([
      ['unusable', 'no regf base block at its start'],
      ['unusable', 'file type 0 is not a transaction log (1, 2 or 6)'],
    ]);
    expect(hive.recovery?.note).toBe('no usable transaction log');
    expect(await paths(hive)).toEqual(['', 'Keep']);
  });
});

describe('old-format (DIRT) logs', () => {
  function oldCase() {
    const s0 = buildHive(S0, { primarySequence: 8, secondarySequence: 7 });
    const s2 = buildHive(S2);
    const size = new DataView(s2.bytes.buffer).getUint32(40, true);
    const pages = changedPages(s0.bytes, s2.bytes, 512);
    return { s0, size, pages };
  }

  it('applies the dirty 512-byte pages named by the bitmap', async () => {
    const { s0, size, pages } = oldCase();
    const log = buildOldLog(s0.bytes, 8, size, pages);
    const hive = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(log, 'h.LOG')] });
    expect(hive.recovery).toMatchObject({ format: 'old', appliedSequences: [8], pagesApplied: pages.length });
    expect(await paths(hive)).toEqual(['', 'Added1', 'Added2', 'Keep']);
    expect(hive.diagnostics).toEqual([]);
  });

  it('is not applied when its timestamp differs from the hive', async () => {
    const { s0, size, pages } = oldCase();
    const other = Uint8Array.from(s0.bytes);
    new DataView(other.buffer).setBigUint64(12, 1n, true);
    const log = buildOldLog(other, 8, size, pages);
    const hive = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(log)] });
    expect(hive.recovery?.appliedSequences).toEqual([]);
    expect(await paths(hive)).toEqual(['', 'Keep']);
  });

  it('stops before a dirty hive bin with a bad header', async () => {
    const { s0, size, pages } = oldCase();
    const first = pages[0];
    expect(first?.index).toBe(0);
    if (first) patch32(first.bytes, 4, 4096);
    const log = buildOldLog(s0.bytes, 8, size, pages);
    const hive = await openHive(bufferSource(s0.bytes), { logs: [bufferSource(log)] });
    expect(hive.recovery).toMatchObject({ appliedSequences: [8], pagesApplied: 0 });
    expect(hive.recovery?.note).toMatch(/dirty hive bin at hive-bins offset 0 is invalid/);
    expect(await paths(hive)).toEqual(['', 'Keep']);
  });
});

describe('the dirty regipy NTUSER sample and its logs', () => {
  const dir = fileURLToPath(new URL('../../../../../shared/windows-samples/registry/', import.meta.url));
  const hiveBytes = gunzipSync(readFileSync(`${dir}NTUSER_regipy_transactions.DAT.gz`));
  const log1 = gunzipSync(readFileSync(`${dir}NTUSER_regipy_transactions.DAT.LOG1.gz`));
  const log2 = readFileSync(`${dir}NTUSER_regipy_transactions.DAT.LOG2`);
  let plain: RegistryHive;
  let replayed: RegistryHive;

  beforeAll(async () => {
    plain = await openHive(bufferSource(hiveBytes, 'NTUSER.DAT'));
    replayed = await openHive(bufferSource(hiveBytes, 'NTUSER.DAT'), {
      logs: [bufferSource(log1, 'NTUSER.DAT.LOG1'), bufferSource(log2, 'NTUSER.DAT.LOG2')],
    });
  });

  it('is dirty (567/566) and the replay applies LOG1 entries 566 to 588, 132 pages (regipy: 132)', () => {
    expect(plain.dirty).toBe(true);
    expect([plain.header.primarySequence, plain.header.secondarySequence]).toEqual([567, 566]);
    expect(replayed.recovery).toMatchObject({
      attempted: true,
      format: 'new',
      appliedSequences: Array.from({ length: 23 }, (_, i) => 566 + i),
      pagesApplied: 132,
      hiveBinsDataSize: 925_696,
      logs: [
        { format: 'new', validEntries: 23, baseBlockSequences: [566, 566] },
        // LOG2 holds one older entry (562): valid, but before the hive's sequence number.
        { format: 'new', validEntries: 1, entrySequences: [562], baseBlockSequences: [562, 562] },
      ],
    });
    expect(replayed.hiveBinsDataSize).toBe(925_696);
    expect(plain.hiveBinsDataSize).toBe(778_240);
    expect(replayed.diagnostics).toEqual([]);
  });

  /** Keys by path, with their values as regipy's compare_hives sees them. */
  async function snapshot(hive: RegistryHive) {
    const keys = new Map<string, { stamp: bigint; key: RegistryKey; tuples: Array<[string, string]> }>();
    await walkHive(hive, async (key) => {
      const tuples: Array<[string, string]> = [];
      for (const value of await key.values()) {
        // regipy skips falsy values (empty, 0) and expands REG_MULTI_SZ into one tuple per string.
        if (value.type === 'REG_MULTI_SZ') {
          for (const s of value.asStrings()) if (s !== '') tuples.push([value.name, s]);
          continue;
        }
        const shown =
          value.type === 'REG_SZ' || value.type === 'REG_EXPAND_SZ'
            ? value.asString()
            : typeof value.asNumber() !== 'undefined'
              ? String(value.asNumber())
              : Buffer.from(value.data).toString('hex');
        if (shown !== '' && shown !== '0') tuples.push([value.name, shown]);
      }
      keys.set(key.path, { stamp: key.lastWrittenFiletime, key, tuples });
    });
    return keys;
  }

  it('shows the keys and values the logs add, and the unreplayed hive does not (regipy: 527 new_subkey, 60 new_value)', async () => {
    const before = await snapshot(plain);
    const after = await snapshot(replayed);
    const added = [...after.keys()].filter((p) => !before.has(p));
    const removed = [...before.keys()].filter((p) => !after.has(p));
    expect([before.size, after.size, added.length, removed.length]).toEqual([2590, 3105, 521, 6]);
    // regipy's compare_hives counts keys present on one side only, both ways, as new_subkey.
    expect(added.length + removed.length).toBe(527);
    // ...and, for keys whose timestamp changed, value names present on one side only (per tuple).
    let newValues = 0;
    for (const [path, now] of after) {
      const was = before.get(path);
      if (!was || was.stamp === now.stamp) continue;
      const wasNames = new Set(was.tuples.map(([n]) => n));
      const nowNames = new Set(now.tuples.map(([n]) => n));
      newValues += now.tuples.filter(([n]) => !wasNames.has(n)).length;
      newValues += was.tuples.filter(([n]) => !nowNames.has(n)).length;
    }
    expect(newValues).toBe(60);
    expect(added).toContain('Software\\Microsoft\\Payment\\PaymentApps');
    expect(await plain.key('Software\\Microsoft\\Payment')).toBeUndefined();
    const runMru = await replayed.key('Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RunMRU');
    expect((await runMru?.value('b'))?.asString()).toBe('c:\\Windows\\System32\\config\\1');
    const oldRunMru = await plain.key('Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RunMRU');
    expect(await oldRunMru?.value('b')).toBeUndefined();
  });
});
