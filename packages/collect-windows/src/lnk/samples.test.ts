/**
 * Every shortcut in the shared samples parses, and the facts that
 * MANIFEST.json and EXPECTED_tool_output.json record for it hold.
 */
import { describe, expect, it } from 'vitest';
import {
  expectedToolOutput,
  listSamples,
  manifest,
  manifestFacts,
  readSample,
  sha256,
  toMicroseconds,
} from '../testing/sample-files.js';
import { parseLnk } from './lnk.js';

const FILES = listSamples('lnk');
const MANIFEST = manifest();

describe('LNK samples', () => {
  it('are the sixteen files the manifest lists, unchanged', () => {
    expect(FILES).toHaveLength(16);
    for (const file of FILES) expect(sha256(readSample(file)), file).toBe(MANIFEST.get(file)?.raw_sha256);
  });

  it.each(FILES)('%s matches EXPECTED_tool_output.json', async (file) => {
    const lnk = await parseLnk(readSample(file));
    const x = expectedToolOutput(file) as Record<string, unknown>;
    expect(x, file).toBeDefined();
    const hex = (n: number) => `0x${n.toString(16)}`;
    expect(hex(lnk.header.linkFlags)).toBe(x.flags);
    expect(hex(lnk.header.fileAttributes)).toBe(x.attrs);
    const micro = (v: unknown) => toMicroseconds(v as string | null);
    expect(toMicroseconds(lnk.header.creationTime)).toBe(micro(x.ctime));
    expect(toMicroseconds(lnk.header.accessTime)).toBe(micro(x.atime));
    expect(toMicroseconds(lnk.header.writeTime)).toBe(micro(x.mtime));
    expect(lnk.header.fileSize).toBe(x.target_size);
    if ('idlist_bytes' in x) expect(lnk.targetIdList?.size).toBe(x.idlist_bytes);
    else expect(lnk.targetIdList).toBeNull();
    // The tool's local_base_path is the ANSI field; local_base_path_unicode the Unicode one.
    expect(lnk.linkInfo?.localBasePath ?? undefined).toBe(x.local_base_path);
    if ('local_base_path_unicode' in x)
      expect(lnk.linkInfo?.localBasePathUnicode).toBe(x.local_base_path_unicode);
    expect(lnk.linkInfo?.volume?.driveType).toBe(x.drive_type);
    expect(lnk.linkInfo?.volume?.serialNumber).toBe(x.drive_serial);
    expect(lnk.linkInfo?.network?.netName).toBe(x.net_name);
    expect(lnk.stringData.name ?? undefined).toBe(x.name);
    expect(lnk.stringData.relativePath ?? undefined).toBe(x.relative_path);
    expect(lnk.stringData.workingDirectory ?? undefined).toBe(x.working_dir);
    expect(lnk.stringData.arguments ?? undefined).toBe(x.arguments);
    expect(lnk.stringData.iconLocation ?? undefined).toBe(x.icon_location);
    expect(lnk.extraData.tracker?.machineId).toBe(x.tracker_machine_id);
    expect(lnk.extraData.blocks.map((b) => hex(b.signature))).toEqual(x.extra_blocks);
    expect(lnk.extraData.blocks.every((b) => b.name !== 'unknown')).toBe(true);
  });

  it.each(FILES.filter((f) => f.includes('/ez_')))(
    '%s holds the facts its MANIFEST entry lists',
    async (file) => {
      const lnk = await parseLnk(readSample(file));
      const facts = manifestFacts(MANIFEST.get(file)?.contains ?? '');
      expect(facts.size, file).toBeGreaterThan(0);
      for (const [key, value] of facts) {
        const ours = {
          local_base_path: lnk.linkInfo?.localBasePath,
          relative_path: lnk.stringData.relativePath,
          working_dir: lnk.stringData.workingDirectory,
          arguments: lnk.stringData.arguments,
          net_name: lnk.linkInfo?.network?.netName,
          target_size: String(lnk.header.fileSize),
          mtime: toMicroseconds(lnk.header.writeTime) ?? 'None',
        }[key];
        // EZ's expectations write whole seconds as .000000 or leave microseconds out.
        const want = key === 'mtime' && value !== 'None' ? toMicroseconds(value) : value;
        expect(ours, `${file} ${key}`).toBe(want);
      }
    },
  );

  it('holds the free-text MANIFEST facts of the plaso samples', async () => {
    const example = await parseLnk(readSample('lnk/example.lnk'));
    expect(example.linkInfo).toBeNull();
    expect(example.stringData).toMatchObject({
      relativePath: '.\\migwiz\\migwiz.exe',
      workingDirectory: '%windir%\\system32\\migwiz',
      name: '@%windir%\\system32\\migwiz\\wet.dll,-590',
    });
    expect(example.extraData.tracker?.machineId).toBe('win-tj9qcsjkags');
    expect(example.extraData.environmentTarget).toBe('%windir%\\system32\\migwiz\\migwiz.exe');

    const nero = await parseLnk(readSample('lnk/NeroInfoTool.lnk'));
    expect(nero.linkInfo?.localBasePath).toBe(
      'C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe',
    );
    expect(nero.linkInfo?.volume).toEqual({
      driveType: 3,
      driveTypeName: 'fixed',
      serialNumber: '70ECFA33',
      label: 'OS',
    });
    expect(nero.header.linkFlags).toBe(0x40ff);
    expect(nero.stringData.name).toMatch(/^Nero InfoTool provides you with information/);
    expect(nero.targetIdList?.path).toBe(
      'C:\\Program Files (x86)\\Nero\\Nero 9\\Nero InfoTool\\InfoTool.exe',
    );
    expect(nero.extraData.knownFolder?.name).toBe('ProgramFilesX86');
    expect(nero.extraData.specialFolder?.name).toBe('PROGRAM_FILESX86');
  });

  it('replaces the lone surrogate of unpaired_surrogate.lnk with U+FFFD in all three places, with diagnostics', async () => {
    const lnk = await parseLnk(readSample('lnk/unpaired_surrogate.lnk'));
    expect(lnk.linkInfo?.localBasePath).toBe('C:\\test\\unicode_U+0000d800_?.exe'); // ANSI: Windows wrote '?'
    expect(lnk.linkInfo?.localBasePathUnicode).toBe('C:\\test\\unicode_U+0000d800_\uFFFD.exe');
    expect(lnk.linkInfo?.localPath).toBe('C:\\test\\unicode_U+0000d800_\uFFFD.exe');
    expect(lnk.stringData.relativePath).toBe('.\\unicode_U+0000d800_\uFFFD.exe');
    const file = lnk.targetIdList?.items[3];
    expect(file).toMatchObject({ shortName: 'UNICOD~1.EXE', longName: 'unicode_U+0000d800_\uFFFD.exe' });
    expect(lnk.diagnostics.map((d) => d.structure)).toEqual([
      'LinkTargetIDList item 4 extension 0xbeef0004',
      'LinkInfo LocalBasePathUnicode',
      'StringData relativePath',
    ]);
    expect(lnk.diagnostics.every((d) => /lone UTF-16 surrogate.*0xd800.*U\+FFFD/.test(d.message))).toBe(true);
  });

  it('report no diagnostics for the other, sound files', async () => {
    for (const file of FILES.filter((f) => !f.includes('unpaired_surrogate'))) {
      expect((await parseLnk(readSample(file))).diagnostics, file).toEqual([]);
    }
  });
});
