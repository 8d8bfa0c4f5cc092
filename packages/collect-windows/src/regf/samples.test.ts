/**
 * Every registry sample in the shared fixtures parses without a diagnostic,
 * and the facts in MANIFEST.md and EXPECTED_tool_output.json (python-registry
 * and the research helper's readers) hold. The fixtures are read in place,
 * never copied into the repository.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import { openHive, type RegistryHive, type RegistryKey } from './hive.js';
import { walkHive } from './walk.js';

const SAMPLES = fileURLToPath(new URL('../../../../../shared/windows-samples/', import.meta.url));
const REGISTRY = `${SAMPLES}registry/`;

/** A sample's original bytes (gunzipped when stored as .gz). */
function sample(file: string): Uint8Array {
  const bytes = readFileSync(REGISTRY + file);
  return file.endsWith('.gz') ? gunzipSync(bytes) : bytes;
}

/** The hive samples (not the logs, not the spec). */
const HIVES = readdirSync(REGISTRY).filter((f) => !/\.LOG\d?(\.gz)?$|\.json$|\.md$/.test(f));

interface Expected {
  readonly size: number;
  readonly hive_name: string;
  readonly major_minor: [number, number];
  readonly seq: [number, number];
  readonly last_written: string | null;
  readonly root_subkeys: string[];
  readonly [other: string]: unknown;
}

const EXPECTED = (
  JSON.parse(readFileSync(`${SAMPLES}EXPECTED_tool_output.json`, 'utf8')) as {
    files: Record<
      string,
      { registry_python_registry?: Expected; appcompatcache_own_parser?: Record<string, unknown> }
    >;
  }
).files;

function expectedFor(file: string): Expected {
  const entry = EXPECTED[`registry/${file}`]?.registry_python_registry;
  if (!entry) throw new Error(`EXPECTED_tool_output.json has no python-registry entry for ${file}`);
  return entry;
}

/** A FILETIME as python's isoformat() prints it (microseconds, no zone), or null for 0. */
function isoMicro(filetime: bigint): string | null {
  if (filetime === 0n) return null;
  const micros = (filetime - 116_444_736_000_000_000n) / 10n;
  const date = new Date(Number(micros / 1000n));
  const fraction = Number(micros % 1_000_000n);
  const base = date.toISOString().slice(0, 19);
  return fraction === 0 ? base : `${base}.${String(fraction).padStart(6, '0')}`;
}

async function openSample(file: string): Promise<RegistryHive> {
  return openHive(bufferSource(sample(file), file));
}

async function must(hive: RegistryHive, path: string): Promise<RegistryKey> {
  const key = await hive.key(path);
  if (!key) throw new Error(`no key ${path} in ${hive.name}`);
  return key;
}

async function stringValues(key: RegistryKey): Promise<Record<string, string>> {
  return Object.fromEntries((await key.values()).map((v) => [v.name, v.asString()]));
}

describe('every registry sample', () => {
  it.each(HIVES)(
    '%s: parses in full, with no diagnostic, and its base block matches python-registry',
    async (file) => {
      const hive = await openSample(file);
      const expected = expectedFor(file);
      expect(hive.header.fileName).toBe(expected.hive_name);
      expect([hive.header.majorVersion, hive.header.minorVersion]).toEqual(expected.major_minor);
      expect([hive.header.primarySequence, hive.header.secondarySequence]).toEqual(expected.seq);
      expect(hive.dirty).toBe(expected.seq[0] !== expected.seq[1]);
      expect(hive.header.checksumValid).toBe(true);
      expect(isoMicro(hive.header.lastWrittenFiletime)).toBe(expected.last_written);
      const root = await hive.root();
      expect((await root?.subkeys())?.map((k) => k.name)).toEqual(expected.root_subkeys);
      let keys = 0;
      let values = 0;
      const result = await walkHive(hive, async (key) => {
        keys++;
        for (const value of await key.values()) {
          values++;
          expect(value.damaged).toBe(false);
          expect(value.data.length).toBe(value.dataSize);
        }
      });
      expect(result).toEqual({ keys, truncated: false, repeats: 0 });
      expect(values).toBeGreaterThan(0);
      expect(hive.diagnostics).toEqual([]);
    },
  );
});

describe('MANIFEST.md facts', () => {
  let system: RegistryHive;
  beforeAll(async () => {
    system = await openSample('SYSTEM_regipy_win7x86.gz');
  });

  it('SYSTEM: Select\\Current = 1, ComputerName, 467 services of which 401 have an ImagePath', async () => {
    const expected = expectedFor('SYSTEM_regipy_win7x86.gz').system as Record<string, unknown>;
    const current = await (await must(system, 'Select')).value('Current');
    expect(current?.type).toBe('REG_DWORD');
    expect(current?.asNumber()).toBe(1);
    expect(expected.current).toBe('ControlSet001');
    const name = await (await must(system, 'ControlSet001\\Control\\ComputerName\\ComputerName')).value(
      'ComputerName',
    );
    expect(name?.asString()).toBe(expected.computer);
    expect(name?.asString()).toBe('WKS-WIN732BITA');
    const services = await (await must(system, 'ControlSet001\\Services')).subkeys();
    expect(services.length).toBe(467);
    let withImagePath = 0;
    for (const service of services) if (await service.value('ImagePath')) withImagePath++;
    expect(withImagePath).toBe(401);
    expect([services.length, withImagePath]).toEqual([expected.services, expected.services_with_imagepath]);
  });

  it('SYSTEM: AppCompatCache is 56,256 bytes of big data starting with 0xbadc0fee', async () => {
    const key = await must(system, 'ControlSet001\\Control\\Session Manager\\AppCompatCache');
    const value = await key.value('AppCompatCache');
    expect(value?.type).toBe('REG_BINARY');
    expect(value?.storage).toBe('big-data');
    expect(value?.dataSize).toBe(56_256);
    expect(value?.data.length).toBe(56_256);
    const data = value?.data ?? new Uint8Array(0);
    expect(new DataView(data.buffer, data.byteOffset).getUint32(0, true)).toBe(0xbadc0fee);
    expect(Buffer.from(data.subarray(0, 4)).toString('hex')).toBe(
      (expectedFor('SYSTEM_regipy_win7x86.gz').system as Record<string, unknown>).appcompat_head,
    );
    // The first entry's path (Win7 x86 layout: 128-byte header, then 24-byte entries whose path is a UNICODE_STRING).
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const length = view.getUint16(128, true);
    const offset = view.getUint32(132, true);
    expect(Buffer.from(data.subarray(offset, offset + length)).toString('utf16le')).toBe(
      '\\??\\C:\\Program Files\\McAfee\\VirusScan Enterprise\\mfeann.exe',
    );
  });

  it('SOFTWARE_synthetic_fixture matches SOFTWARE_synthetic_fixture.spec.json entirely', async () => {
    const spec = JSON.parse(readFileSync(`${REGISTRY}SOFTWARE_synthetic_fixture.spec.json`, 'utf8')) as {
      keys: Record<string, Record<string, [string, string | number]>>;
    };
    const hive = await openSample('SOFTWARE_synthetic_fixture');
    expect((await hive.root())?.name).toBe('TestKey');
    const types: Record<string, string> = { sz: 'REG_SZ', expand_sz: 'REG_EXPAND_SZ', dword: 'REG_DWORD' };
    for (const [path, values] of Object.entries(spec.keys)) {
      const key = await must(hive, path);
      const actual = Object.fromEntries(
        (await key.values()).map((v) => [
          v.name,
          [v.type, v.type === 'REG_DWORD' ? v.asNumber() : v.asString()],
        ]),
      );
      const wanted = Object.fromEntries(
        Object.entries(values).map(([name, [type, data]]) => [name, [types[type] ?? type, data]]),
      );
      expect(actual, path).toEqual(wanted);
    }
    // ifeo_keys 2, ifeo_debugger [sethc.exe]
    const ifeo = await must(hive, 'Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options');
    const subkeys = await ifeo.subkeys();
    expect(subkeys.length).toBe(2);
    const debuggers: string[] = [];
    for (const k of subkeys) if (await k.value('Debugger')) debuggers.push(k.name);
    expect(debuggers).toEqual(['sethc.exe']);
  });

  it.each([
    ['NTUSER_plaso_win7_nfury.DAT.gz', ['Run', 'RunOnce']],
    ['NTUSER_plaso_vibranium.DAT', ['Run', 'RunOnce']],
    ['NTUSER_regipy_transactions.DAT.gz', ['Run']],
  ])('%s: Run keys as python-registry reads them', async (file, keys) => {
    const hive = await openSample(file);
    const expected = expectedFor(file).ntuser as Record<string, Record<string, string>>;
    for (const name of keys) {
      const key = await must(hive, `Software\\Microsoft\\Windows\\CurrentVersion\\${name}`);
      expect(await stringValues(key), name).toEqual(expected[name]);
    }
  });

  it('NTUSER_regipy_transactions: the emoji key name (UTF-16 surrogate pairs) is read', async () => {
    const hive = await openSample('NTUSER_regipy_transactions.DAT.gz');
    const key = await must(hive, 'Control Panel\\International\\🌎🌏🌍');
    expect(key.name).toBe('🌎🌏🌍');
    expect(key.flags & 0x20).toBe(0);
  });

  it('Amcache: inventory key counts', async () => {
    const win10 = await openSample('Amcache_plaso_win10.hve.gz');
    const count = async (hive: RegistryHive, path: string) =>
      (await (await must(hive, path)).subkeys()).length;
    expect(await count(win10, 'Root\\InventoryApplicationFile')).toBe(30);
    expect(await count(win10, 'Root\\InventoryApplication')).toBe(75);
    expect(await win10.key('Root\\File')).toBeUndefined();
    const mixed = await openSample('Amcache_plaso_win8_mixed.hve.gz');
    const expected = expectedFor('Amcache_plaso_win8_mixed.hve.gz').amcache as Record<string, number>;
    const volumes = await (await must(mixed, 'Root\\File')).subkeys();
    let files = 0;
    for (const volume of volumes) files += (await volume.subkeys()).length;
    expect([volumes.length, files]).toEqual([expected.File_volumes, expected.File_entries]);
    expect([volumes.length, files]).toEqual([1, 1120]);
    expect(await count(mixed, 'Root\\Programs')).toBe(26);
    expect(await count(mixed, 'Root\\InventoryApplicationFile')).toBe(247);
    expect(await count(mixed, 'Root\\InventoryApplication')).toBe(74);
  });
});

/** The SAM F value (fixed user data) fields an examiner reads. */
function userF(f: Uint8Array) {
  const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
  const time = (at: number) => {
    const t = view.getBigUint64(at, true);
    return t === 0n || t === 0x7fffffffffffffffn ? null : isoMicro(t);
  };
  return {
    last_logon: time(0x08),
    pwd_set: time(0x18),
    last_bad: time(0x28),
    rid: view.getUint32(0x30, true),
    uac: `0x${view.getUint16(0x38, true).toString(16)}`,
    logons: view.getUint16(0x42, true),
  };
}

describe('SAM user accounts', () => {
  it.each(['SAM_plaso_win7', 'SAM_ez_xp_dupename'])(
    '%s: RIDs, names, flags, logons and times',
    async (file) => {
      const hive = await openSample(file);
      const users = await must(hive, 'SAM\\Domains\\Account\\Users');
      const names = await must(hive, 'SAM\\Domains\\Account\\Users\\Names');
      const byType = new Map<number, string>();
      for (const name of await names.subkeys()) {
        const value = await name.value('');
        if (value) byType.set(value.typeCode, name.name);
      }
      const actual = [];
      for (const user of await users.subkeys()) {
        if (user.name === 'Names') continue;
        const f = await user.value('F');
        const v = await user.value('V');
        if (!f || !v) throw new Error(`user ${user.name} lacks F or V`);
        const fields = userF(f.data);
        const vView = new DataView(v.data.buffer, v.data.byteOffset, v.data.byteLength);
        const nameAt = 0xcc + vView.getUint32(0x0c, true);
        const name = Buffer.from(v.data.subarray(nameAt, nameAt + vView.getUint32(0x10, true))).toString(
          'utf16le',
        );
        expect(Number.parseInt(user.name, 16)).toBe(fields.rid);
        actual.push({ ...fields, name, name_by_type: byType.get(fields.rid), Flen: f.data.length });
      }
      expect(actual).toEqual(expectedFor(file).sam);
      expect(actual.map((u) => u.rid).slice(0, 2)).toEqual([500, 501]);
    },
  );
});
