/**
 * Differential test: every registry sample read by us and by independent
 * parsers from Debian 12, installed by the test kit:
 *
 * - libyal `regfexport` 20201007 (libregf-utils): every key path and class
 *   name, every value's name, type, data size and data, in list order;
 * - Parse::Win32Registry 1.1 (the library RegRipper is built on): every key
 *   path and last-written time (regfexport does not print times; this
 *   library gives them in whole seconds);
 * - RegRipper's `run` plugin: the Run keys of the user and software hives.
 *
 * Where we and an oracle disagree, the disagreement must be one of the
 * justified ones in {@link JUSTIFIED}, each saying which field, why our
 * reading is right, and the specification section; anything else fails.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { debianParsers } from '@triage/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource } from '../source.js';
import { openHive, type RegistryHive } from './hive.js';
import type { RegistryValue } from './value.js';
import { walkHive } from './walk.js';

const REGISTRY = fileURLToPath(new URL('../../../../../shared/windows-samples/registry/', import.meta.url));

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env, cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

/** A value as regfexport prints it. */
interface ExportedValue {
  readonly index: number;
  readonly name: string;
  readonly typeCode: number;
  readonly dataSize: number;
  /** The decoded string (REG_SZ, REG_EXPAND_SZ) or number (DWORD, QWORD) regfexport printed, if any. */
  readonly text?: string;
  /** The hex dump regfexport printed, if any. */
  readonly bytes?: Uint8Array;
}

/** A key as regfexport prints it. */
interface ExportedKey {
  readonly path: string;
  readonly classname?: string;
  readonly values: ExportedValue[];
}

const TYPE_CODES: Record<string, number> = {
  REG_NONE: 0,
  REG_SZ: 1,
  REG_EXPAND_SZ: 2,
  REG_BINARY: 3,
  REG_DWORD_LITTLE_ENDIAN: 4,
  REG_DWORD_BIG_ENDIAN: 5,
  REG_LINK: 6,
  REG_MULTI_SZ: 7,
  REG_RESOURCE_LIST: 8,
  REG_FULL_RESOURCE_DESCRIPTOR: 9,
  REG_RESOURCE_REQUIREMENTS_LIST: 10,
  REG_QWORD_LITTLE_ENDIAN: 11,
};

const MISMATCH = 'Mismatch in data size and that required for data type.';
const HEX_LINE = /^[0-9a-f]{8}: /;

/** The bytes of regfexport hex dump lines (`00000000: 80 00 … 00   ........`): 49 columns of hex after the offset. */
function hexDump(lines: readonly string[]): Uint8Array {
  const bytes: number[] = [];
  for (const line of lines) {
    for (const token of line
      .slice(10, 10 + 49)
      .trim()
      .split(/\s+/)) {
      if (token !== '') bytes.push(Number.parseInt(token, 16));
    }
  }
  return Uint8Array.from(bytes);
}

/**
 * Parses regfexport's text output (libregf regftools/export_handle.c,
 * export_handle_export_key): per key `Key path:`, `Key:`, an optional
 * `Class name:`, then per value `Value: N name` (or `(default)`), `Type:`,
 * `Data size:`, then the string or number, and/or `Data:` and a hex dump.
 */
function parseExport(text: string): ExportedKey[] {
  // The export ends with extra blank lines; keep exactly one, which ends the last value.
  const lines = text.replace(/\n+$/, '\n').split('\n');
  const keys: ExportedKey[] = [];
  let i = lines.findIndex((l) => l.startsWith('Key path: '));
  const isValueStart = (at: number) => /^Value: \d+ /.test(lines[at] ?? '');
  const isBlockEnd = (at: number) =>
    lines[at] === '' &&
    (at + 1 >= lines.length || isValueStart(at + 1) || (lines[at + 1] ?? '').startsWith('Key path: '));
  while (i >= 0 && i < lines.length) {
    const path = (lines[i] ?? '').slice('Key path: '.length);
    i += 2; // "Key: name"
    let classname: string | undefined;
    if ((lines[i] ?? '').startsWith('Class name: '))
      classname = (lines[i++] ?? '').slice('Class name: '.length);
    const values: ExportedValue[] = [];
    while (isValueStart(i)) {
      const header = /^Value: (\d+) (.*)$/.exec(lines[i] ?? '');
      const typeLine = lines[i + 1] ?? '';
      const sizeLine = lines[i + 2] ?? '';
      i += 3;
      const body: string[] = [];
      while (i < lines.length && !isBlockEnd(i)) body.push(lines[i++] ?? '');
      i++; // the blank line ending the value
      const typeMatch = /\((REG_[A-Z_]+)\)$/.exec(typeLine) ?? /unknown: (0x[0-9a-f]+)$/.exec(typeLine);
      const typeCode = typeMatch?.[1]?.startsWith('0x')
        ? Number.parseInt(typeMatch[1], 16)
        : (TYPE_CODES[typeMatch?.[1] ?? ''] ?? -1);
      const value: { -readonly [K in keyof ExportedValue]: ExportedValue[K] } = {
        index: Number(header?.[1]),
        name: header?.[2] ?? '',
        typeCode,
        dataSize: Number(sizeLine.slice('Data size: '.length)),
      };
      // The hex dump, if any, follows a "Data:" line that is followed by dump lines, after any string.
      let dumpAt = body.findIndex((l, at) => l === 'Data:' && HEX_LINE.test(body[at + 1] ?? ''));
      const mismatch = body.indexOf(MISMATCH);
      if (mismatch >= 0 && dumpAt < mismatch) dumpAt = body.indexOf('Data:', mismatch);
      const before = dumpAt >= 0 ? body.slice(0, mismatch >= 0 ? mismatch : dumpAt) : body;
      if (dumpAt >= 0) value.bytes = hexDump(body.slice(dumpAt + 1).filter((l) => HEX_LINE.test(l)));
      const shown = before.filter((l) => l !== MISMATCH).join('\n');
      if (shown.startsWith('Data: ')) value.text = shown.slice('Data: '.length);
      else if (shown === 'Data:' && dumpAt < 0) value.text = '';
      values.push(value);
    }
    if (values.length === 0) i++; // the blank line after a key without values
    keys.push({ path, ...(classname === undefined ? {} : { classname }), values });
    while (i < lines.length && !(lines[i] ?? '').startsWith('Key path: ')) i++;
  }
  return keys;
}

/** One field where we and an oracle read something different. */
interface Disagreement {
  readonly sample: string;
  readonly oracle: 'regfexport' | 'Parse::Win32Registry' | 'RegRipper';
  readonly path: string;
  readonly value?: string;
  readonly field: string;
  readonly ours: string;
  readonly theirs: string;
  /** Facts a justification checks: the value's type and storage, where its first NUL is, its vk offset field. */
  readonly facts?: {
    readonly type: string;
    readonly storage: string;
    /** Bytes up to and including the first UTF-16 NUL of the data, or -1. */
    readonly throughFirstNul: number;
    /** The vk's 4-byte data offset field, in hex (for data stored in the key value). */
    readonly offsetField: string;
    /** For data in a cell: the 2 bytes of the cell right after the declared data, in hex. */
    readonly afterData: string;
  };
}

/**
 * Disagreements we accept, each with the reason we are right. A rule
 * matches a disagreement; a disagreement no rule matches fails the test.
 */
const JUSTIFIED: ReadonlyArray<{
  readonly id: 'inline-start' | 'string-size' | 'surrogates' | 'cp1252';
  readonly why: string;
  readonly matches: (d: Disagreement) => boolean;
}> = [
  {
    id: 'inline-start',
    why:
      'Data of 1 to 3 bytes kept in the key value itself is at the start of the data offset field: ' +
      '"when a data contains less than 4 bytes, it is being stored as is in the beginning of the Data offset ' +
      'field" (Suhanov, "Key value" > "Data size"). libregf 20201007 takes the last bytes instead, as libyal ' +
      'section 4.4 says ("a data size of 2 uses the last 2 bytes"). The samples settle it: NTUSER ' +
      'Control Panel\\Appearance\\SchemeLangID has the field 09 04 00 00 and size 2; ours is 0x0409, the ' +
      'en-US LANGID, theirs 00 00.',
    matches: (d) => {
      const f = d.facts;
      if (d.oracle !== 'regfexport' || d.field !== 'data' || f?.storage !== 'inline') return false;
      const n = d.ours.length;
      return (
        n > 0 && n < 8 && d.ours === f.offsetField.slice(0, n) && d.theirs === f.offsetField.slice(8 - n)
      );
    },
  },
  {
    id: 'string-size',
    why:
      'The data size of a REG_SZ or REG_EXPAND_SZ value is the size its key value declares (Suhanov, "Key ' +
      'value" > "Data size"); Windows returns exactly that many bytes. libregf 20201007 ' +
      '(libregf_value_item_read_value_data) instead measures string data in the cell up to the first NUL ' +
      "character: it cuts data that goes on after a NUL, and reads past the declared size into the cell's " +
      'padding when the data has no NUL (SYSTEM ...\\Device Parameters\\SymbolicName: 208 bytes declared, ' +
      'libregf 210). The decoded string is the same (checked separately, as "data as text"); the bytes differ, ' +
      'and can matter: in SAM_ez_xp_dupename an alias member list stored as REG_EXPAND_SZ (fa 03 00 00 fc 03 ' +
      '00 00, RIDs 1018 and 1020) loses its second member in libregf. libyal section 6 ("String value data too ' +
      'large", "String value data too small") describes both.',
    matches: (d) => {
      const f = d.facts;
      if (d.oracle !== 'regfexport' || d.field !== 'data size') return false;
      if (f?.type !== 'REG_SZ' && f?.type !== 'REG_EXPAND_SZ') return false;
      const [ours, theirs] = [Number(d.ours), Number(d.theirs)];
      const cut = theirs === f.throughFirstNul && theirs < ours;
      const extended = f.throughFirstNul === -1 && theirs === ours + 2 && f.afterData === '0000';
      return cut || extended;
    },
  },
  {
    id: 'surrogates',
    why:
      'Key names that are not compressed are UTF-16LE (Suhanov, "Key node" > Flags, KEY_COMP_NAME): a pair of ' +
      'surrogates is one character. Parse::Win32Registry 1.1 decodes each surrogate on its own and prints ' +
      'U+FFFD for each (NTUSER_regipy_transactions: Control Panel\\International\\🌎🌏🌍, which MANIFEST.md ' +
      'lists and regfexport also reads as we do). The timestamps agree.',
    matches: (d) =>
      d.oracle === 'Parse::Win32Registry' &&
      d.field === 'last written (path, seconds)' &&
      d.ours.replace(/[\uD800-\uDFFF]/g, '\uFFFD') === d.theirs &&
      d.ours !== d.theirs,
  },
  {
    id: 'cp1252',
    why:
      'Compressed (ASCII-flagged) names are Latin-1: Windows widens each byte to a UTF-16 code unit ' +
      '(Suhanov, "Key node" > Flags, KEY_COMP_NAME; "Key value" > Flags). regfexport decodes them with ' +
      'its default codepage windows-1252, which differs from Latin-1 only for bytes 0x80-0x9F. (No sample ' +
      'has such a name; the rule is checked on a synthetic disagreement.)',
    matches: (d) =>
      d.oracle === 'regfexport' &&
      (d.field === 'key path' || d.field === 'value name') &&
      d.ours !== d.theirs &&
      latin1AsCp1252(d.ours) === d.theirs,
  },
];

/** A Latin-1 string re-read as windows-1252, as regfexport shows it. */
function latin1AsCp1252(text: string): string {
  const cp1252 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';
  return text.replace(/[\u0080-\u009f]/g, (c) => cp1252[c.charCodeAt(0) - 0x80] ?? c);
}

/** How regfexport would show one of our values (the fields both can read). */
function compareValue(
  ours: RegistryValue,
  theirs: ExportedValue,
  where: { sample: string; path: string; file: Uint8Array },
  out: Disagreement[],
): void {
  let nul = -1;
  for (let at = 0; at + 1 < ours.data.length; at += 2) {
    if (ours.data[at] === 0 && ours.data[at + 1] === 0) {
      nul = at + 2;
      break;
    }
  }
  const field = where.file.subarray(4096 + ours.cellOffset + 4 + 8, 4096 + ours.cellOffset + 4 + 12);
  const dataCell = 4096 + new DataView(field.buffer, field.byteOffset, 4).getUint32(0, true) + 4;
  const facts = {
    type: String(ours.type),
    storage: ours.storage,
    throughFirstNul: nul,
    offsetField: Buffer.from(field).toString('hex'),
    afterData:
      ours.storage === 'cell'
        ? Buffer.from(where.file.subarray(dataCell + ours.dataSize, dataCell + ours.dataSize + 2)).toString(
            'hex',
          )
        : '',
  };
  const report = (name: string, a: string, b: string) =>
    out.push({
      sample: where.sample,
      path: where.path,
      oracle: 'regfexport',
      value: ours.name,
      field: name,
      ours: a,
      theirs: b,
      facts,
    });
  const name = ours.name === '' ? '(default)' : ours.name;
  // regfexport prints the default value as "(default)" (so would a value of that name).
  if (name !== theirs.name) report('value name', name, theirs.name);
  if (ours.typeCode !== theirs.typeCode) report('value type', String(ours.typeCode), String(theirs.typeCode));
  if (ours.dataSize !== theirs.dataSize) report('data size', String(ours.dataSize), String(theirs.dataSize));
  if (theirs.bytes && Buffer.compare(Buffer.from(ours.data), Buffer.from(theirs.bytes)) !== 0) {
    report('data', Buffer.from(ours.data).toString('hex'), Buffer.from(theirs.bytes).toString('hex'));
  }
  if (theirs.text !== undefined) {
    const shown =
      ours.type === 'REG_SZ' || ours.type === 'REG_EXPAND_SZ'
        ? ours.asString()
        : String(ours.asNumber() ?? '');
    if (shown !== theirs.text) report('data as text', shown, theirs.text);
  }
}

interface Tally {
  keys: number;
  classnames: number;
  values: number;
  hexDumps: number;
  texts: number;
  timestamps: number;
}

const PERL_TIMES = `
use strict; use warnings;
use Parse::Win32Registry;
use JSON::PP;
my $registry = Parse::Win32Registry->new($ARGV[0]) or die "not a registry file\\n";
my $root = $registry->get_root_key or die "no root key\\n";
my @rows;
my @stack = ([$root, $root->get_name]);
while (my $item = pop @stack) {
  my ($key, $path) = @$item;
  push @rows, [$path, $key->get_timestamp];
  push @stack, [$_, $path . "\\\\" . $_->get_name] for reverse $key->get_list_of_subkeys;
}
print JSON::PP->new->utf8->encode(\\@rows);
`;

describe('regf differential: regfexport, Parse::Win32Registry, RegRipper', () => {
  let tools: Awaited<ReturnType<typeof debianParsers>>;
  let dir: string;
  const samples: string[] = [];

  beforeAll(async () => {
    tools = await debianParsers();
    dir = await mkdtemp(join(tmpdir(), 'triage-regf-diff-'));
    for (const file of (await readdir(REGISTRY)).sort()) {
      if (/\.LOG\d?(\.gz)?$|\.json$|\.md$/.test(file)) continue;
      const bytes = await readFile(join(REGISTRY, file));
      const name = file.replace(/\.gz$/, '');
      await writeFile(join(dir, name), file.endsWith('.gz') ? gunzipSync(bytes) : bytes);
      samples.push(name);
    }
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function ours(name: string): Promise<RegistryHive> {
    return openHive(bufferSource(await readFile(join(dir, name)), name));
  }

  /** Compares one sample with regfexport and Parse::Win32Registry; returns the tally and the disagreements. */
  async function compare(
    name: string,
    alter: (text: string) => string = (text) => text,
  ): Promise<{ tally: Tally; disagreements: Disagreement[] }> {
    const file = await readFile(join(dir, name));
    const hive = await openHive(bufferSource(file, name));
    const rootName = (await hive.root())?.name ?? '';
    const exported = parseExport(
      alter(await run(`${tools.bin}/regfexport`, [join(dir, name)], tools.processEnv)),
    );
    const times = JSON.parse(
      await run('perl', ['-e', PERL_TIMES, join(dir, name)], tools.processEnv),
    ) as Array<[string, number | null]>;
    const tally: Tally = { keys: 0, classnames: 0, values: 0, hexDumps: 0, texts: 0, timestamps: 0 };
    const out: Disagreement[] = [];
    let index = 0;
    await walkHive(hive, async (key) => {
      const path = key.path === '' ? rootName : `${rootName}\\${key.path}`;
      const theirs = exported[index];
      const perl = times[index];
      index++;
      if (!theirs) {
        out.push({
          sample: name,
          oracle: 'regfexport',
          path,
          field: 'key path',
          ours: path,
          theirs: '(none)',
        });
        return;
      }
      tally.keys++;
      if (path !== theirs.path) {
        out.push({
          sample: name,
          oracle: 'regfexport',
          path,
          field: 'key path',
          ours: path,
          theirs: theirs.path,
        });
      }
      if (key.classname !== undefined || theirs.classname !== undefined) {
        tally.classnames++;
        if ((key.classname ?? '') !== (theirs.classname ?? '')) {
          out.push({
            sample: name,
            oracle: 'regfexport',
            path,
            field: 'class name',
            ours: key.classname ?? '(none)',
            theirs: theirs.classname ?? '(none)',
          });
        }
      }
      const values = await key.values();
      if (values.length !== theirs.values.length) {
        out.push({
          sample: name,
          oracle: 'regfexport',
          path,
          field: 'value count',
          ours: String(values.length),
          theirs: String(theirs.values.length),
        });
      }
      values.forEach((value, i) => {
        const other = theirs.values[i];
        if (!other) return;
        tally.values++;
        if (other.bytes) tally.hexDumps++;
        if (other.text !== undefined) tally.texts++;
        compareValue(value, other, { sample: name, path, file }, out);
      });
      if (perl && perl[1] !== null) {
        tally.timestamps++;
        const seconds = Math.floor(key.lastWritten.getTime() / 1000);
        if (perl[0] !== path || perl[1] !== seconds) {
          out.push({
            sample: name,
            oracle: 'Parse::Win32Registry',
            path,
            field: 'last written (path, seconds)',
            ours: `${path} ${seconds}`,
            theirs: `${perl[0]} ${perl[1]}`,
          });
        }
      }
    });
    if (exported.length !== index) {
      out.push({
        sample: name,
        oracle: 'regfexport',
        path: '',
        field: 'key count',
        ours: `${index}`,
        theirs: `${exported.length}`,
      });
    }
    if (times.length !== index) {
      out.push({
        sample: name,
        oracle: 'Parse::Win32Registry',
        path: '',
        field: 'key count',
        ours: `${index}`,
        theirs: `${times.length}`,
      });
    }
    return { tally, disagreements: out };
  }

  // What each sample holds (keys, class names, values, hex dumps and strings/numbers regfexport printed,
  // timestamps Parse::Win32Registry gave): all compared field by field.
  const EXPECTED_TALLY: Record<string, Tally> = {
    'Amcache_plaso_win10.hve': {
      keys: 207,
      classnames: 0,
      values: 4188,
      hexDumps: 0,
      texts: 4188,
      timestamps: 207,
    },
    'Amcache_plaso_win8_mixed.hve': {
      keys: 2105,
      classnames: 0,
      values: 17539,
      hexDumps: 196,
      texts: 17343,
      timestamps: 2105,
    },
    'NTUSER_plaso_vibranium.DAT': {
      keys: 893,
      classnames: 2,
      values: 1306,
      hexDumps: 131,
      texts: 1175,
      timestamps: 893,
    },
    'NTUSER_plaso_win7_nfury.DAT': {
      keys: 2288,
      classnames: 19,
      values: 5470,
      hexDumps: 1251,
      texts: 4067,
      timestamps: 2288,
    },
    'NTUSER_regipy_transactions.DAT': {
      keys: 2590,
      classnames: 169,
      values: 4119,
      hexDumps: 510,
      texts: 3491,
      timestamps: 2590,
    },
    SAM_ez_xp_dupename: { keys: 112, classnames: 0, values: 128, hexDumps: 52, texts: 29, timestamps: 112 },
    SAM_plaso_win7: { keys: 76, classnames: 0, values: 84, hexDumps: 35, texts: 13, timestamps: 76 },
    SOFTWARE_synthetic_fixture: {
      keys: 21,
      classnames: 0,
      values: 18,
      hexDumps: 0,
      texts: 18,
      timestamps: 21,
    },
    SYSTEM_regipy_win7x86: {
      keys: 30756,
      classnames: 14,
      values: 73456,
      hexDumps: 16081,
      texts: 57326,
      timestamps: 30756,
    },
  };

  it('the comparison catches a changed string, byte, type, name or key, and the justified rule is narrow', async () => {
    const { disagreements } = await compare('SOFTWARE_synthetic_fixture', (text) =>
      text
        .replace('Data: explorer.exe\n', 'Data: explorer.ex_\n')
        .replace(
          'Value: 5 InstallDate\nType: 32-bit integer little-endian (REG_DWORD_LITTLE_ENDIAN)',
          'Value: 5 InstallDate\nType: binary data (REG_BINARY)',
        )
        .replace('Value: 0 Debugger', 'Value: 0 Debugger2')
        .replace('Key path: TestKey\\WOW6432Node\n', 'Key path: TestKey\\WOW6432Nodé\n'),
    );
    expect(disagreements.map((d) => [d.path.split('\\').pop(), d.value, d.field])).toEqual([
      ['CurrentVersion', 'InstallDate', 'value type'],
      ['sethc.exe', 'Debugger', 'value name'],
      ['Winlogon', 'Shell', 'data as text'],
      ['WOW6432Node', undefined, 'key path'],
    ]);
    expect(disagreements.filter((d) => JUSTIFIED.some((rule) => rule.matches(d)))).toEqual([]);
    // Each rule on a disagreement it explains, and on a near miss it must not explain.
    const rule = (d: Disagreement) => JUSTIFIED.find((r) => r.matches(d))?.id;
    const base = { sample: 's', path: 'R', value: 'v' } as const;
    const facts = {
      type: 'REG_BINARY',
      storage: 'inline',
      throughFirstNul: -1,
      offsetField: '09040102',
      afterData: '',
    };
    const inline = { ...base, oracle: 'regfexport', field: 'data', ours: '0904', facts } as const;
    expect(rule({ ...inline, theirs: '0102' })).toBe('inline-start');
    expect(rule({ ...inline, theirs: '0000' })).toBeUndefined();
    expect(rule({ ...inline, theirs: '0102', facts: { ...facts, storage: 'cell' } })).toBeUndefined();
    const text = { ...facts, type: 'REG_SZ', storage: 'cell' };
    const size = { ...base, oracle: 'regfexport', field: 'data size' } as const;
    expect(rule({ ...size, ours: '28', theirs: '26', facts: { ...text, throughFirstNul: 26 } })).toBe(
      'string-size',
    );
    expect(
      rule({ ...size, ours: '28', theirs: '26', facts: { ...text, throughFirstNul: 24 } }),
    ).toBeUndefined();
    expect(
      rule({
        ...size,
        ours: '28',
        theirs: '26',
        facts: { ...text, type: 'REG_BINARY', throughFirstNul: 26 },
      }),
    ).toBeUndefined();
    expect(rule({ ...size, ours: '208', theirs: '210', facts: { ...text, afterData: '0000' } })).toBe(
      'string-size',
    );
    expect(
      rule({ ...size, ours: '208', theirs: '210', facts: { ...text, afterData: '4100' } }),
    ).toBeUndefined();
    const times = { ...base, oracle: 'Parse::Win32Registry', field: 'last written (path, seconds)' } as const;
    expect(rule({ ...times, ours: 'R\\\u{1F30D} 5', theirs: 'R\\\uFFFD\uFFFD 5' })).toBe('surrogates');
    expect(rule({ ...times, ours: 'R\\\u{1F30D} 5', theirs: 'R\\\uFFFD\uFFFD 6' })).toBeUndefined();
    const name = { ...base, oracle: 'regfexport', field: 'key path' } as const;
    expect(rule({ ...name, ours: 'R\\Caf\u0080', theirs: 'R\\Caf€' })).toBe('cp1252');
    expect(rule({ ...name, ours: 'R\\Cafe', theirs: 'R\\Caf€' })).toBeUndefined();
  }, 60_000);

  // The justified disagreements each sample has, by rule (see JUSTIFIED).
  const EXPECTED_JUSTIFIED: Record<string, Record<string, number>> = {
    'Amcache_plaso_win10.hve': { 'string-size': 210 },
    'NTUSER_plaso_win7_nfury.DAT': { 'inline-start': 45 },
    'NTUSER_regipy_transactions.DAT': { 'inline-start': 2, surrogates: 1 },
    SAM_ez_xp_dupename: { 'string-size': 5 },
    SAM_plaso_win7: { 'inline-start': 2 },
    SYSTEM_regipy_win7x86: { 'inline-start': 42, 'string-size': 37 },
  };

  it('covers every hive sample in the fixtures', () => {
    expect(samples).toEqual(Object.keys(EXPECTED_TALLY).sort());
  });

  it.each(Object.keys(EXPECTED_TALLY))(
    '%s: every key, class name, value and timestamp agrees (or the disagreement is justified)',
    async (name) => {
      const { tally, disagreements } = await compare(name);
      expect(tally).toEqual(EXPECTED_TALLY[name]);
      const unjustified = disagreements.filter((d) => !JUSTIFIED.some((rule) => rule.matches(d)));
      expect(unjustified.slice(0, 20)).toEqual([]);
      const byRule: Record<string, number> = {};
      for (const d of disagreements) {
        const id = JUSTIFIED.find((rule) => rule.matches(d))?.id ?? 'none';
        byRule[id] = (byRule[id] ?? 0) + 1;
      }
      expect(byRule).toEqual(EXPECTED_JUSTIFIED[name] ?? {});
    },
    180_000,
  );

  it('RegRipper run plugin: the Run values and their keys’ last-written times match', async () => {
    // Only hives whose embedded file name names them: RegRipper 3.0 guesses the hive type from a Perl
    // hash (random order per process), so on SOFTWARE_synthetic_fixture (empty file name) the run
    // plugin sometimes takes it for an unknown hive and prints nothing.
    const cases: Array<[string, string]> = [
      ['NTUSER_plaso_vibranium.DAT', 'Software\\Microsoft\\Windows\\CurrentVersion\\'],
      ['NTUSER_plaso_win7_nfury.DAT', 'Software\\Microsoft\\Windows\\CurrentVersion\\'],
    ];
    let compared = 0;
    for (const [name, prefix] of cases) {
      const output = await run(
        'perl',
        [`${tools.root}/usr/lib/regripper/rip.pl`, '-r', join(dir, name), '-p', 'run'],
        tools.processEnv,
        `${tools.root}/usr/lib/regripper`,
      );
      const hive = await ours(name);
      for (const section of output.split('\n\n')) {
        const lines = section.split('\n');
        const stamp = /^LastWrite Time (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)Z$/.exec(lines[1] ?? '');
        if (!stamp || !(lines[0] ?? '').startsWith(prefix)) continue;
        const key = await hive.key(lines[0] ?? '');
        expect(key, lines[0]).toBeDefined();
        expect(key?.lastWritten.toISOString().slice(0, 19).replace('T', ' ')).toBe(stamp[1]);
        for (const line of lines.slice(2)) {
          const entry = /^ {2}(.*?) - (.*)$/.exec(line);
          if (!entry) continue;
          expect((await key?.value(entry[1] ?? ''))?.asString()).toBe(entry[2]);
          compared++;
        }
      }
    }
    // vibranium: Sidebar (Run), mctadmin (RunOnce); nfury: Google Update and Skype (Run).
    expect(compared).toBe(4);
  }, 60_000);
});
