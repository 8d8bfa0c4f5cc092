import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTriageError } from '@triage/errors';
import { describe, expect, it } from 'vitest';
import { bufferSource, fileSource } from '../source.js';
import {
  Bytes,
  buildLnk,
  consoleBlock,
  fileEntryItem,
  filetime,
  knownFolderBlock,
  linkInfo,
  networkItem,
  rawBlock,
  rootFolderItem,
  specialFolderBlock,
  targetBlock,
  trackerBlock,
  volumeItem,
} from '../testing/lnk-builder.js';
import { readSample } from '../testing/sample-files.js';
import { type LnkFile, parseLnk } from './lnk.js';

const MY_COMPUTER = '20d04fe0-3aea-1069-a2d8-08002b30309d';

async function expectDataInvalid(bytes: Uint8Array, message: RegExp): Promise<void> {
  const error = await parseLnk(bytes).catch((e: unknown) => e);
  expect(isTriageError(error, 'DATA_INVALID'), String(error)).toBe(true);
  expect((error as Error).message).toMatch(message);
}

const messages = (lnk: LnkFile) => lnk.diagnostics.map((d) => `${d.structure}: ${d.message}`);

describe('parseLnk: ShellLinkHeader ([MS-SHLLINK] 2.1)', () => {
  it('reads flags, attributes, times with 100 ns precision, size, icon, show command and hot key', async () => {
    const lnk = await parseLnk(
      buildLnk({
        attributes: 0x21,
        creation: filetime('2020-01-02T03:04:05.678Z', 9n),
        access: filetime('2021-06-07T08:09:10Z'),
        write: 0n,
        fileSize: 123_456,
        iconIndex: -5,
        showCommand: 3,
        hotKey: 0x0654, // 'T' with Ctrl (0x02) and Alt (0x04)
      }),
    );
    expect(lnk.header.linkFlags).toBe(0x80);
    expect(lnk.header.flags).toEqual(['IsUnicode']);
    expect(lnk.header.attributes).toEqual(['READONLY', 'ARCHIVE']);
    expect(lnk.header.creationTime).toBe('2020-01-02T03:04:05.6780009Z');
    expect(lnk.header.accessTime).toBe('2021-06-07T08:09:10.0000000Z');
    expect(lnk.header.writeTime).toBeNull();
    expect(lnk.header.fileSize).toBe(123_456);
    expect(lnk.header.iconIndex).toBe(-5);
    expect(lnk.header).toMatchObject({ showCommand: 3, showCommandName: 'maximized', hotKeyRaw: 0x0654 });
    expect(lnk.header.hotKey).toBe('Ctrl+Alt+T');
    expect(lnk.targetIdList).toBeNull();
    expect(lnk.linkInfo).toBeNull();
    expect(lnk.diagnostics).toEqual([]);
  });

  it('names other hot keys and treats unknown show commands as normal', async () => {
    const f5 = await parseLnk(buildLnk({ hotKey: 0x0174, showCommand: 5 }));
    expect(f5.header.hotKey).toBe('Shift+F5');
    expect(f5.header.showCommandName).toBe('normal');
    const odd = await parseLnk(buildLnk({ hotKey: 0x00ff }));
    expect(odd.header.hotKey).toBe('0x00ff');
  });

  it('rejects input that is not a shortcut with DATA_INVALID', async () => {
    await expectDataInvalid(new Uint8Array(10), /shorter than the 76-byte header/);
    const badSize = buildLnk();
    badSize[0] = 0x4d;
    await expectDataInvalid(badSize, /HeaderSize is 0x4d/);
    const badClsid = buildLnk();
    badClsid[4] = (badClsid[4] as number) ^ 0xff;
    await expectDataInvalid(badClsid, /LinkCLSID/);
    await expectDataInvalid(
      new TextEncoder().encode('<?xml version="1.0"?><Task/>'.padEnd(200)),
      /HeaderSize/,
    );
  });

  it('leaves a time past year 9999 empty, with a diagnostic', async () => {
    const lnk = await parseLnk(buildLnk({ write: 0xffff_ffff_ffff_fff0n }));
    expect(lnk.header.writeTime).toBeNull();
    expect(messages(lnk)).toEqual([expect.stringMatching(/WriteTime 0xfffffffffffffff0 is past year 9999/)]);
  });
});

describe('parseLnk: LinkTargetIDList and shell items (2.2, libfwsi)', () => {
  const items = [
    rootFolderItem(MY_COMPUTER),
    volumeItem('C:\\'),
    fileEntryItem({
      shortName: 'PROGRA~1',
      longName: 'Program Files',
      localizedName: '@shell32.dll,-21781',
      directory: true,
      modified: '2020-05-06T07:08:10Z',
      created: '2019-01-02T03:04:06Z',
      accessed: '2020-05-06T07:08:12Z',
      mftEntry: 65,
      mftSequence: 1,
    }),
    fileEntryItem({
      shortName: 'EVIL~1.EXE',
      longName: 'evil tool.exe',
      fileSize: 4096,
      mftEntry: 1234,
      mftSequence: 7,
    }),
  ];

  it('decodes root folder, volume and file entries with short, long and localized names and the path', async () => {
    const lnk = await parseLnk(buildLnk({ items }));
    const list = lnk.targetIdList;
    expect(list?.items.map((i) => i.type)).toEqual(['rootFolder', 'volume', 'fileEntry', 'fileEntry']);
    expect(list?.items[0]).toMatchObject({ folderId: MY_COMPUTER, folderName: 'My Computer', offset: 78 });
    expect(list?.items[1]).toMatchObject({ name: 'C:\\' });
    expect(list?.items[2]).toMatchObject({
      isDirectory: true,
      shortName: 'PROGRA~1',
      longName: 'Program Files',
      localizedName: '@shell32.dll,-21781',
      modified: '2020-05-06T07:08:10Z',
      created: '2019-01-02T03:04:06Z',
      accessed: '2020-05-06T07:08:12Z',
      mftEntry: 65,
      mftSequence: 1,
      extensionVersion: 9,
    });
    expect(list?.items[3]).toMatchObject({
      isDirectory: false,
      fileSize: 4096,
      longName: 'evil tool.exe',
      mftEntry: 1234,
    });
    expect(list?.path).toBe('C:\\Program Files\\evil tool.exe');
    expect(lnk.diagnostics).toEqual([]);
  });

  it('reads extension blocks of versions 3, 7 and 8 (the long name moves with the version)', async () => {
    for (const version of [3, 7, 8]) {
      const lnk = await parseLnk(
        buildLnk({
          items: [
            fileEntryItem({ shortName: 'LONGNA~1.TXT', longName: 'long name.txt', version, mftEntry: 9 }),
          ],
        }),
      );
      const item = lnk.targetIdList?.items[0];
      expect(item, `version ${version}`).toMatchObject({
        longName: 'long name.txt',
        extensionVersion: version,
      });
      expect(item).toMatchObject({ mftEntry: version >= 7 ? 9 : null });
    }
    const none = await parseLnk(buildLnk({ items: [fileEntryItem({ shortName: 'OLD.TXT', version: 0 })] }));
    expect(none.targetIdList?.items[0]).toMatchObject({
      shortName: 'OLD.TXT',
      longName: null,
      extensionVersion: null,
    });
  });

  it('decodes network location items and builds a UNC path', async () => {
    const lnk = await parseLnk(
      buildLnk({
        items: [
          rootFolderItem('208d2c60-3aea-1069-a2d7-08002b30309d', 0x58),
          networkItem('\\\\server\\share', 'Microsoft Network', 'file server'),
          fileEntryItem({ shortName: 'DOC.TXT', longName: 'doc.txt' }),
        ],
      }),
    );
    expect(lnk.targetIdList?.items[1]).toMatchObject({
      type: 'networkLocation',
      location: '\\\\server\\share',
      description: 'Microsoft Network',
      comments: 'file server',
    });
    expect(lnk.targetIdList?.path).toBe('\\\\server\\share\\doc.txt');
  });

  it('reports an item that overruns the list and still reads what follows the list', async () => {
    const bad = new Bytes().u16(200).u8(0x31).zeros(5).done(); // says 200 bytes, has 8
    const lnk = await parseLnk(buildLnk({ items: [volumeItem('D:\\'), bad], strings: { arguments: '/s' } }));
    expect(lnk.targetIdList?.items.map((i) => i.type)).toEqual(['volume']);
    expect(messages(lnk)).toEqual([
      expect.stringMatching(/item 2: the item \(200 bytes\) runs past the end of the ID list/),
    ]);
    expect(lnk.stringData.arguments).toBe('/s');
  });

  it('reports an item too small for a class type', async () => {
    const lnk = await parseLnk(buildLnk({ items: [new Bytes().u16(1).done()] }));
    expect(messages(lnk)[0]).toMatch(/item size 1 is too small/);
  });

  it('reports an IDListSize past the end of the file and reads nothing after it', async () => {
    const bytes = buildLnk({ items: [volumeItem('C:\\')], strings: { name: 'x' } });
    new DataView(bytes.buffer).setUint16(76, 5000, true);
    const lnk = await parseLnk(bytes);
    expect(lnk.targetIdList?.items.map((i) => i.type)).toEqual(['volume']);
    expect(messages(lnk)).toEqual([
      expect.stringMatching(/IDListSize 5000 runs past the end of the file/),
      expect.stringMatching(/^StringData: not read/),
      expect.stringMatching(/^ExtraData: not read/),
    ]);
  });
});

describe('parseLnk: LinkInfo (2.3)', () => {
  it('reads the volume, local base path, common path suffix and network link', async () => {
    const lnk = await parseLnk(
      buildLnk({
        linkInfo: linkInfo({
          volume: { driveType: 3, serial: 0x70ecfa33, label: 'OS' },
          localBasePath: 'C:\\Users\\',
          network: { netName: '\\\\NETBOOK\\Users', deviceName: 'Z:', providerType: 0x20000 },
          commonPathSuffix: 'root\\Desktop\\Fatality.rdp',
        }),
      }),
    );
    expect(lnk.linkInfo).toEqual({
      flags: 3,
      volume: { driveType: 3, driveTypeName: 'fixed', serialNumber: '70ECFA33', label: 'OS' },
      localBasePath: 'C:\\Users\\',
      localBasePathUnicode: null,
      network: { flags: 3, netName: '\\\\NETBOOK\\Users', deviceName: 'Z:', providerType: 0x20000 },
      commonPathSuffix: 'root\\Desktop\\Fatality.rdp',
      commonPathSuffixUnicode: null,
      localPath: 'C:\\Users\\root\\Desktop\\Fatality.rdp',
      networkPath: '\\\\NETBOOK\\Users\\root\\Desktop\\Fatality.rdp',
    });
    expect(lnk.diagnostics).toEqual([]);
  });

  it('prefers the Unicode base path, suffix, label and share name (header size 0x24)', async () => {
    const lnk = await parseLnk(
      buildLnk({
        linkInfo: linkInfo({
          volume: { driveType: 2, serial: 0x1234, label: 'Clé USB', unicodeLabel: true },
          localBasePath: 'E:\\????',
          network: { netName: '\\\\SRV\\?' },
          commonPathSuffix: '',
          unicode: { localBasePath: 'E:\\данные', commonPathSuffix: '', netName: '\\\\SRV\\共有' },
        }),
      }),
    );
    expect(lnk.linkInfo).toMatchObject({
      volume: { driveTypeName: 'removable', serialNumber: '00001234', label: 'Clé USB' },
      localBasePath: 'E:\\????',
      localBasePathUnicode: 'E:\\данные',
      localPath: 'E:\\данные',
      network: { netName: '\\\\SRV\\共有', deviceName: null, providerType: null },
      networkPath: '\\\\SRV\\共有',
    });
  });

  it('keeps the rest when VolumeID lies outside LinkInfo', async () => {
    const info = linkInfo({ volume: { driveType: 3, serial: 1, label: 'x' }, localBasePath: 'C:\\a.exe' });
    new DataView(info.buffer).setUint32(12, 0x4000, true); // VolumeIDOffset far outside
    const lnk = await parseLnk(buildLnk({ linkInfo: info, strings: { workingDirectory: 'C:\\' } }));
    expect(lnk.linkInfo?.volume).toBeNull();
    expect(lnk.linkInfo?.localBasePath).toBe('C:\\a.exe');
    expect(lnk.stringData.workingDirectory).toBe('C:\\');
    expect(messages(lnk)).toEqual([
      expect.stringMatching(/^LinkInfo VolumeID: VolumeID lies outside LinkInfo/),
    ]);
  });

  it('stops at a LinkInfoSize below its minimum', async () => {
    const info = linkInfo({ localBasePath: 'C:\\' });
    new DataView(info.buffer).setUint32(0, 8, true);
    const lnk = await parseLnk(buildLnk({ linkInfo: info, strings: { name: 'n' } }));
    expect(lnk.linkInfo).toBeNull();
    expect(messages(lnk)).toEqual([
      expect.stringMatching(/LinkInfoSize 8 is below the 28-byte minimum/),
      expect.stringMatching(/^StringData: not read/),
      expect.stringMatching(/^ExtraData: not read/),
    ]);
  });
});

describe('parseLnk: StringData (2.4)', () => {
  const strings = {
    name: 'Description',
    relativePath: '.\\a.exe',
    workingDirectory: 'C:\\Temp',
    arguments: '-enc SQBFAFgA',
    iconLocation: '%SystemRoot%\\system32\\shell32.dll',
  };

  it('reads the five strings in Unicode', async () => {
    const lnk = await parseLnk(buildLnk({ strings }));
    expect(lnk.stringData).toEqual(strings);
  });

  it('reads ANSI strings in the given code page (IsUnicode clear)', async () => {
    const bytes = buildLnk({ strings: { workingDirectory: 'C:\\Qualit\u00e9' }, ansi: true });
    expect((await parseLnk(bytes)).stringData.workingDirectory).toBe('C:\\Qualité');
    // The same byte 0xE9 is 'й' in Windows-1251.
    const cyrillic = await parseLnk(bytes, { codePage: 'windows-1251' });
    expect(cyrillic.stringData.workingDirectory).toBe('C:\\Qualitй');
    const error = await parseLnk(bytes, { codePage: 'klingon' }).catch((e: unknown) => e);
    expect(isTriageError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('replaces a lone surrogate with U+FFFD and says so, never throwing', async () => {
    const lnk = await parseLnk(
      buildLnk({ strings: { relativePath: '.\\a\uD800.exe', arguments: 'x\uDC00' } }),
    );
    expect(lnk.stringData.relativePath).toBe('.\\a\uFFFD.exe');
    expect(lnk.stringData.arguments).toBe('x\uFFFD');
    expect(messages(lnk)).toEqual([
      'StringData relativePath: 1 lone UTF-16 surrogate(s) (first 0xd800) replaced with U+FFFD',
      'StringData arguments: 1 lone UTF-16 surrogate(s) (first 0xdc00) replaced with U+FFFD',
    ]);
  });

  it('keeps a surrogate pair as one character', async () => {
    const lnk = await parseLnk(buildLnk({ strings: { name: 'emoji 🌍' } }));
    expect(lnk.stringData.name).toBe('emoji 🌍');
    expect(lnk.diagnostics).toEqual([]);
  });

  it('cuts a string that runs past the end of the file, with a diagnostic', async () => {
    const bytes = buildLnk({ strings: { arguments: 'abcdef' }, terminal: false });
    const lnk = await parseLnk(bytes.subarray(0, bytes.length - 4));
    expect(lnk.stringData.arguments).toBe('abcd');
    expect(messages(lnk)).toEqual([
      expect.stringMatching(/CountCharacters 6 runs past the end of the file/),
      expect.stringMatching(/^ExtraData: not read/),
    ]);
  });
});

describe('parseLnk: ExtraData (2.5)', () => {
  it('decodes every block kind', async () => {
    const lnk = await parseLnk(
      buildLnk({
        items: [rootFolderItem(MY_COMPUTER)],
        extra: [
          consoleBlock('Lucida Console'),
          rawBlock(0xa0000004, [0xe9, 0xfd, 0, 0]), // ConsoleFE: code page 65001
          targetBlock(0xa0000006, '[darwin descriptor]'),
          targetBlock(0xa0000001, '%windir%\\system32\\cmd.exe'),
          targetBlock(0xa0000007, '%ProgramFiles%\\app.exe', false), // ANSI only
          knownFolderBlock('1ac14e77-02e7-4e5d-b744-2eb1ae5198b7', 20),
          specialFolderBlock(0x25, 20),
          rawBlock(0xa0000009, new Uint8Array(40)),
          new Bytes()
            .u32(8 + 10)
            .u32(0xa0000008)
            .utf16('Win95', false)
            .zeros(0)
            .done(),
          new Bytes()
            .u32(8 + 25 + 2)
            .u32(0xa000000c)
            .bytes(volumeItem('C:\\'))
            .u16(0)
            .done(),
          trackerBlock(
            'win-tj9qcsjkags',
            '494ccbda-98e8-45c8-b8ca-f64d464366c7',
            '846ee3bb-7039-11de-9d20-001d09fa5a1c',
          ),
        ],
      }),
    );
    const e = lnk.extraData;
    expect(e.blocks.map((b) => b.name)).toEqual([
      'ConsoleDataBlock',
      'ConsoleFEDataBlock',
      'DarwinDataBlock',
      'EnvironmentVariableDataBlock',
      'IconEnvironmentDataBlock',
      'KnownFolderDataBlock',
      'SpecialFolderDataBlock',
      'PropertyStoreDataBlock',
      'ShimDataBlock',
      'VistaAndAboveIDListDataBlock',
      'TrackerDataBlock',
    ]);
    expect(e.console).toMatchObject({
      faceName: 'Lucida Console',
      screenBufferSize: [120, 3000],
      quickEdit: true,
    });
    expect(e.consoleCodePage).toBe(65001);
    expect(e.darwinId).toBe('[darwin descriptor]');
    expect(e.environmentTarget).toBe('%windir%\\system32\\cmd.exe');
    expect(e.iconEnvironmentTarget).toBe('%ProgramFiles%\\app.exe');
    expect(e.knownFolder).toEqual({ id: '1ac14e77-02e7-4e5d-b744-2eb1ae5198b7', name: 'System', offset: 20 });
    expect(e.specialFolder).toEqual({ id: 0x25, name: 'SYSTEM', offset: 20 });
    expect(e.propertyStoreSize).toBe(48);
    expect(e.shimLayerName).toBe('Win95');
    expect(e.vistaIdListPresent).toBe(true);
    expect(e.vistaIdList).toMatchObject([{ type: 'volume', name: 'C:\\' }]);
    expect(e.tracker).toEqual({
      machineId: 'win-tj9qcsjkags',
      droidVolumeId: '494ccbda-98e8-45c8-b8ca-f64d464366c7',
      droidFileId: '846ee3bb-7039-11de-9d20-001d09fa5a1c',
      birthDroidVolumeId: '494ccbda-98e8-45c8-b8ca-f64d464366c7',
      birthDroidFileId: '846ee3bb-7039-11de-9d20-001d09fa5a1c',
    });
    expect(lnk.diagnostics).toEqual([]);
  });

  it('skips an unknown block, reports short, wrong-size and overrunning blocks, and a missing terminal', async () => {
    const unknown = await parseLnk(
      buildLnk({ extra: [rawBlock(0xa00000ff, [1, 2, 3, 4]), trackerBlock('m', MY_COMPUTER, MY_COMPUTER)] }),
    );
    expect(unknown.extraData.tracker?.machineId).toBe('m');
    expect(messages(unknown)).toEqual([expect.stringMatching(/unknown BlockSignature 0xa00000ff; skipped/)]);

    const short = await parseLnk(buildLnk({ extra: [rawBlock(0xa0000003, new Uint8Array(24))] }));
    expect(short.extraData.tracker).toBeNull();
    expect(messages(short)).toEqual([
      expect.stringMatching(/TrackerDataBlock: BlockSize 32 differs from the 0x60/),
      expect.stringMatching(/TrackerDataBlock: the block is too short for its fields/),
    ]);

    const tiny = await parseLnk(buildLnk({ extra: [new Bytes().u32(6).u16(0).done()] }));
    expect(messages(tiny)).toEqual([expect.stringMatching(/BlockSize 6 cannot hold a block signature/)]);

    const overrun = await parseLnk(
      buildLnk({ extra: [rawBlock(0xa0000003, [1, 2], 0x60)], terminal: false }),
    );
    expect(messages(overrun)).toEqual([expect.stringMatching(/BlockSize 96 runs past the end of the file/)]);

    const noTerminal = await parseLnk(buildLnk({ terminal: false }));
    expect(messages(noTerminal)).toEqual(['ExtraData: the file ends without the ExtraData terminal block']);
  });

  it('counts bytes appended after the terminal block', async () => {
    const lnk = await parseLnk(buildLnk({ trailing: new TextEncoder().encode('MZ payload') }));
    expect(lnk.trailingBytes).toBe(10);
    expect(lnk.diagnostics).toEqual([]);
  });
});

describe('parseLnk: inputs', () => {
  it('reads a ByteSource from memory and from a file the same as bytes', async () => {
    const bytes = readSample('lnk/NeroInfoTool.lnk');
    const direct = await parseLnk(bytes);
    expect(await parseLnk(bufferSource(bytes))).toEqual(direct);
    const dir = await mkdtemp(join(tmpdir(), 'triage-lnk-'));
    try {
      await writeFile(join(dir, 'a.lnk'), bytes);
      const source = await fileSource(join(dir, 'a.lnk'));
      try {
        expect(await parseLnk(source)).toEqual(direct);
      } finally {
        await source.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads only maxBytes and says so', async () => {
    const bytes = readSample('lnk/NeroInfoTool.lnk');
    const lnk = await parseLnk(bufferSource(bytes), { maxBytes: 2000 });
    expect(lnk.stringData.arguments).toBe('-ScParameter=30002  ');
    expect(messages(lnk)[0]).toBe('file: only the first 2000 bytes were read (maxBytes)');
  });

  it('turns a failing source into IO_ERROR', async () => {
    const source = {
      ...bufferSource(new Uint8Array(100), 'broken.lnk'),
      read: () => Promise.reject(new Error('EIO')),
    };
    const error = await parseLnk(source).catch((e: unknown) => e);
    expect(isTriageError(error, 'IO_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/broken\.lnk/);
  });

  it('parses every prefix of a real shortcut without throwing, with diagnostics for the cut', async () => {
    const bytes = readSample('lnk/NeroInfoTool.lnk');
    for (let n = 76; n < bytes.length; n += 7) {
      const lnk = await parseLnk(bytes.subarray(0, n));
      expect(lnk.diagnostics.length, `prefix ${n}`).toBeGreaterThan(0);
    }
  });
});

describe('parseLnk: LinkInfo offsets into its own header', () => {
  it('leaves a part whose offset points inside the LinkInfo header empty', async () => {
    const info = linkInfo({ volume: { driveType: 3, serial: 1, label: 'x' }, localBasePath: 'C:\\a.exe' });
    new DataView(info.buffer).setUint32(16, 4, true); // LocalBasePathOffset → inside the header
    const lnk = await parseLnk(buildLnk({ linkInfo: info }));
    expect(lnk.linkInfo?.localBasePath).toBeNull();
    expect(lnk.linkInfo?.volume?.label).toBe('x');
    expect(messages(lnk)).toEqual([
      'LinkInfo LocalBasePath: LocalBasePath offset 0x4 points inside the LinkInfo header; left empty',
    ]);
  });
});
