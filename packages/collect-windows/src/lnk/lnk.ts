/**
 * Windows shortcut (`.lnk`) files per Microsoft [MS-SHLLINK] "Shell Link
 * (.LNK) Binary File Format": ShellLinkHeader (2.1), LinkTargetIDList (2.2,
 * shell items per libyal's libfwsi), LinkInfo with VolumeID and
 * CommonNetworkRelativeLink (2.3), StringData (2.4) and the ExtraData blocks
 * (2.5). Damage inside the file becomes a diagnostic and parsing goes on as
 * far as the structure sizes allow; only a file that is not a shortcut at all
 * is an error.
 */
import { TriageError } from '@triage/errors';
import type { ByteSource } from '../source.js';
import {
  ByteReader,
  decodeAnsi,
  decodeUtf16le,
  filetimeInRange,
  filetimeToIso,
  guidToString,
  hex32,
  isByteSource,
  isKnownCodePage,
  OutOfBounds,
  type ParseDiagnostic,
  readAnsiZ,
  readPrefix,
} from './binary.js';
import { idListPath, parseIdList, type ShellItem } from './shell-items.js';

/** A problem inside a shortcut that did not stop the parse. */
export type LnkDiagnostic = ParseDiagnostic;

/** Options for {@link parseLnk}. */
export interface LnkOptions {
  /**
   * The code page of ANSI strings (the system's default code page where the
   * shortcut was made), as a WHATWG encoding label. Default `windows-1252`.
   */
  readonly codePage?: string;
  /** Most bytes read from the input; a longer file is read up to this and a diagnostic says so. Default 16 MiB. */
  readonly maxBytes?: number;
}

/** The ShellLinkHeader ([MS-SHLLINK] 2.1). */
export interface LnkHeader {
  /** LinkFlags as a number. */
  readonly linkFlags: number;
  /** The names of the LinkFlags set (`HasLinkTargetIDList`, `IsUnicode`…). */
  readonly flags: readonly string[];
  /** The target's FILE_ATTRIBUTE_* flags as a number. */
  readonly fileAttributes: number;
  /** Their names (`ARCHIVE`, `DIRECTORY`…). */
  readonly attributes: readonly string[];
  /** The target's times (ISO 8601 UTC, 100 ns precision), null when not set. */
  readonly creationTime: string | null;
  readonly accessTime: string | null;
  readonly writeTime: string | null;
  /** The target's size (lower 32 bits). */
  readonly fileSize: number;
  readonly iconIndex: number;
  /** ShowCommand: 1 normal, 3 maximized, 7 minimized (other values mean normal). */
  readonly showCommand: number;
  readonly showCommandName: 'normal' | 'maximized' | 'minimized';
  /** HotKeyFlags: low byte the key, high byte the modifiers. */
  readonly hotKeyRaw: number;
  /** The hot key as text (`Ctrl+Alt+T`), or null when none is set. */
  readonly hotKey: string | null;
}

/** The LinkTargetIDList ([MS-SHLLINK] 2.2). */
export interface LnkTargetIdList {
  /** IDListSize: bytes of the item list. */
  readonly size: number;
  readonly items: readonly ShellItem[];
  /** The path the items spell out (`C:\Program Files (x86)\Nero\…`), or null when they name no volume or share. */
  readonly path: string | null;
}

/** VolumeID ([MS-SHLLINK] 2.3.1). */
export interface LnkVolume {
  /** DriveType: 0 unknown, 1 no root dir, 2 removable, 3 fixed, 4 remote, 5 CD-ROM, 6 RAM disk. */
  readonly driveType: number;
  readonly driveTypeName: string;
  /** DriveSerialNumber as eight uppercase hex digits (`70ECFA33`). */
  readonly serialNumber: string;
  /** The volume label (ANSI, or Unicode when VolumeLabelOffset is 0x14), empty when the volume has none. */
  readonly label: string;
}

/** CommonNetworkRelativeLink ([MS-SHLLINK] 2.3.2). */
export interface LnkNetworkLink {
  readonly flags: number;
  /** NetName: the share (`\\SERVER\Share`), Unicode when present. */
  readonly netName: string;
  /** DeviceName (`Z:`) when ValidDevice is set, else null. */
  readonly deviceName: string | null;
  /** NetworkProviderType (WNNC_NET_*) when ValidNetType is set, else null. */
  readonly providerType: number | null;
}

/** LinkInfo ([MS-SHLLINK] 2.3). */
export interface LnkLinkInfo {
  readonly flags: number;
  readonly volume: LnkVolume | null;
  /** LocalBasePath (ANSI) and LocalBasePathUnicode (header size ≥ 0x24), null when absent. */
  readonly localBasePath: string | null;
  readonly localBasePathUnicode: string | null;
  readonly network: LnkNetworkLink | null;
  /** CommonPathSuffix (ANSI) and CommonPathSuffixUnicode, null when absent. */
  readonly commonPathSuffix: string | null;
  readonly commonPathSuffixUnicode: string | null;
  /** The full local path: the (Unicode if present) base path followed by the suffix (2.3). */
  readonly localPath: string | null;
  /** The full network path: NetName, `\`, then the suffix, when there is a network link. */
  readonly networkPath: string | null;
}

/** StringData ([MS-SHLLINK] 2.4): each null when its flag is not set. */
export interface LnkStringData {
  /** NAME_STRING: the description. */
  readonly name: string | null;
  readonly relativePath: string | null;
  readonly workingDirectory: string | null;
  /** COMMAND_LINE_ARGUMENTS. */
  readonly arguments: string | null;
  readonly iconLocation: string | null;
}

/** TrackerDataBlock ([MS-SHLLINK] 2.5.10): the Distributed Link Tracking identifiers. */
export interface LnkTracker {
  /** MachineID: the NetBIOS name of the machine where the target was last seen. */
  readonly machineId: string;
  /** Droid: the volume and object identifiers (GUIDs, lowercase). */
  readonly droidVolumeId: string;
  readonly droidFileId: string;
  /** DroidBirth: the identifiers when the link was made. */
  readonly birthDroidVolumeId: string;
  readonly birthDroidFileId: string;
}

/** ConsoleDataBlock ([MS-SHLLINK] 2.5.1), the fields an examiner may want. */
export interface LnkConsole {
  readonly fillAttributes: number;
  readonly screenBufferSize: readonly [number, number];
  readonly windowSize: readonly [number, number];
  readonly windowOrigin: readonly [number, number];
  readonly faceName: string;
  readonly fontSize: number;
  readonly fullScreen: boolean;
  readonly quickEdit: boolean;
  readonly insertMode: boolean;
  readonly historyBufferSize: number;
}

/** One ExtraData block as found. */
export interface LnkExtraBlock {
  readonly offset: number;
  readonly size: number;
  /** BlockSignature (`0xa0000003`…). */
  readonly signature: number;
  /** Its [MS-SHLLINK] name (`TrackerDataBlock`…), or `unknown`. */
  readonly name: string;
}

/** ExtraData ([MS-SHLLINK] 2.5): every block in order, and the decoded ones by kind. */
export interface LnkExtraData {
  readonly blocks: readonly LnkExtraBlock[];
  readonly tracker: LnkTracker | null;
  /** EnvironmentVariableDataBlock: the target path with variables (Unicode if set, else ANSI). */
  readonly environmentTarget: string | null;
  /** IconEnvironmentDataBlock: the icon path with variables. */
  readonly iconEnvironmentTarget: string | null;
  /** DarwinDataBlock: the Windows Installer descriptor. */
  readonly darwinId: string | null;
  /** KnownFolderDataBlock: the folder GUID, its name when known, and the offset of its item in the ID list. */
  readonly knownFolder: { readonly id: string; readonly name: string | null; readonly offset: number } | null;
  /** SpecialFolderDataBlock: the CSIDL, its name when known, and the item offset. */
  readonly specialFolder: {
    readonly id: number;
    readonly name: string | null;
    readonly offset: number;
  } | null;
  readonly console: LnkConsole | null;
  /** ConsoleFEDataBlock: the console code page. */
  readonly consoleCodePage: number | null;
  /** ShimDataBlock: the compatibility shim layer. */
  readonly shimLayerName: string | null;
  /** Whether a VistaAndAboveIDListDataBlock is present, and its items. */
  readonly vistaIdListPresent: boolean;
  readonly vistaIdList: readonly ShellItem[] | null;
  /** PropertyStoreDataBlock: its size in bytes (the serialized property store is not decoded), null when absent. */
  readonly propertyStoreSize: number | null;
}

/** A parsed shortcut. */
export interface LnkFile {
  readonly header: LnkHeader;
  readonly targetIdList: LnkTargetIdList | null;
  readonly linkInfo: LnkLinkInfo | null;
  readonly stringData: LnkStringData;
  readonly extraData: LnkExtraData;
  /** Bytes after the ExtraData terminal block (data appended to a shortcut is worth a look). */
  readonly trailingBytes: number;
  /** Damage found and what the parser did about it; empty for a sound file. */
  readonly diagnostics: readonly LnkDiagnostic[];
}

const HEADER_SIZE = 0x4c;
const LINK_CLSID = '00021401-0000-0000-c000-000000000046';

const LINK_FLAGS = [
  'HasLinkTargetIDList',
  'HasLinkInfo',
  'HasName',
  'HasRelativePath',
  'HasWorkingDir',
  'HasArguments',
  'HasIconLocation',
  'IsUnicode',
  'ForceNoLinkInfo',
  'HasExpString',
  'RunInSeparateProcess',
  'Unused1',
  'HasDarwinID',
  'RunAsUser',
  'HasExpIcon',
  'NoPidlAlias',
  'Unused2',
  'RunWithShimLayer',
  'ForceNoLinkTrack',
  'EnableTargetMetadata',
  'DisableLinkPathTracking',
  'DisableKnownFolderTracking',
  'DisableKnownFolderAlias',
  'AllowLinkToLink',
  'UnaliasOnSave',
  'PreferEnvironmentPath',
  'KeepLocalIDListForUNCTarget',
] as const;

const FILE_ATTRIBUTES: readonly [number, string][] = [
  [0x1, 'READONLY'],
  [0x2, 'HIDDEN'],
  [0x4, 'SYSTEM'],
  [0x10, 'DIRECTORY'],
  [0x20, 'ARCHIVE'],
  [0x40, 'DEVICE'],
  [0x80, 'NORMAL'],
  [0x100, 'TEMPORARY'],
  [0x200, 'SPARSE_FILE'],
  [0x400, 'REPARSE_POINT'],
  [0x800, 'COMPRESSED'],
  [0x1000, 'OFFLINE'],
  [0x2000, 'NOT_CONTENT_INDEXED'],
  [0x4000, 'ENCRYPTED'],
];

const DRIVE_TYPES = ['unknown', 'no root directory', 'removable', 'fixed', 'remote', 'CD-ROM', 'RAM disk'];

const EXTRA_BLOCKS: Readonly<Record<number, { name: string; size: number | null }>> = {
  2684354562: { name: 'ConsoleDataBlock', size: 0xcc },
  2684354564: { name: 'ConsoleFEDataBlock', size: 0x0c },
  2684354566: { name: 'DarwinDataBlock', size: 0x314 },
  2684354561: { name: 'EnvironmentVariableDataBlock', size: 0x314 },
  2684354567: { name: 'IconEnvironmentDataBlock', size: 0x314 },
  2684354571: { name: 'KnownFolderDataBlock', size: 0x1c },
  2684354569: { name: 'PropertyStoreDataBlock', size: null },
  2684354568: { name: 'ShimDataBlock', size: null },
  2684354565: { name: 'SpecialFolderDataBlock', size: 0x10 },
  2684354563: { name: 'TrackerDataBlock', size: 0x60 },
  2684354572: { name: 'VistaAndAboveIDListDataBlock', size: null },
};

/** CSIDL values (shlobj.h) of the SpecialFolderDataBlock. */
const CSIDL: Readonly<Record<number, string>> = {
  0: 'DESKTOP',
  2: 'PROGRAMS',
  5: 'PERSONAL',
  6: 'FAVORITES',
  7: 'STARTUP',
  8: 'RECENT',
  9: 'SENDTO',
  11: 'STARTMENU',
  16: 'DESKTOPDIRECTORY',
  20: 'FONTS',
  22: 'COMMON_STARTMENU',
  23: 'COMMON_PROGRAMS',
  24: 'COMMON_STARTUP',
  25: 'COMMON_DESKTOPDIRECTORY',
  26: 'APPDATA',
  28: 'LOCAL_APPDATA',
  35: 'COMMON_APPDATA',
  36: 'WINDOWS',
  37: 'SYSTEM',
  38: 'PROGRAM_FILES',
  40: 'PROFILE',
  41: 'SYSTEMX86',
  42: 'PROGRAM_FILESX86',
  43: 'PROGRAM_FILES_COMMON',
  44: 'PROGRAM_FILES_COMMONX86',
};

/** KNOWNFOLDERID values (KnownFolders.h) of the KnownFolderDataBlock. */
const KNOWN_FOLDERS: Readonly<Record<string, string>> = {
  '1ac14e77-02e7-4e5d-b744-2eb1ae5198b7': 'System',
  'd65231b0-b2f1-4857-a4ce-a8e7c6ea7d27': 'SystemX86',
  'f38bf404-1d43-42f2-9305-67de0b28fc23': 'Windows',
  '905e63b6-c1bf-494e-b29c-65b732d3d21a': 'ProgramFiles',
  '7c5a40ef-a0fb-4bfc-874a-c0f2e0b9fa8e': 'ProgramFilesX86',
  '62ab5d82-fdc1-4dc3-a9dd-070d1d495d97': 'ProgramData',
  'b4bfcc3a-db2c-424c-b029-7fe99a87c641': 'Desktop',
  'fdd39ad0-238f-46af-adb4-6c85480369c7': 'Documents',
  '374de290-123f-4565-9164-39c4925e467b': 'Downloads',
  '5e6c858f-0e22-4760-9afe-ea3317b67173': 'Profile',
  '3eb685db-65f9-4cf6-a03a-e3ef65729f3d': 'RoamingAppData',
  'f1b32785-6fba-4fcf-9d55-7b8e7f157091': 'LocalAppData',
  'a77f5d77-2e2b-44c3-a6a2-aba601054a51': 'Programs',
  '0139d44e-6afe-49f2-8690-3dafcae6ffb8': 'CommonPrograms',
  'b97d20bb-f46a-4c97-ba10-5e3608430854': 'Startup',
  '82a5ea35-d9cd-47c5-9629-e15d2f714e6e': 'CommonStartup',
};

function hotKeyText(raw: number): string | null {
  const key = raw & 0xff;
  const mods = raw >> 8;
  let name: string | null = null;
  if ((key >= 0x30 && key <= 0x39) || (key >= 0x41 && key <= 0x5a)) name = String.fromCharCode(key);
  else if (key >= 0x70 && key <= 0x87) name = `F${key - 0x6f}`;
  else if (key === 0x90) name = 'NumLock';
  else if (key === 0x91) name = 'ScrollLock';
  if (name === null) return key === 0 && mods === 0 ? null : `0x${raw.toString(16).padStart(4, '0')}`;
  const parts = [mods & 0x02 ? 'Ctrl' : '', mods & 0x04 ? 'Alt' : '', mods & 0x01 ? 'Shift' : ''].filter(
    Boolean,
  );
  return [...parts, name].join('+');
}

/** Mutable parse state shared by the section parsers. */
class LnkParse {
  readonly r: ByteReader;
  readonly diagnostics: ParseDiagnostic[] = [];

  constructor(
    readonly bytes: Uint8Array,
    readonly codePage: string,
  ) {
    this.r = new ByteReader(bytes);
  }

  diag(structure: string, offset: number | null, message: string): void {
    this.diagnostics.push({ structure, offset, message });
  }

  time(offset: number, field: string): string | null {
    const raw = this.r.u64(offset);
    if (raw !== 0n && !filetimeInRange(raw)) {
      this.diag('ShellLinkHeader', offset, `${field} 0x${raw.toString(16)} is past year 9999; left empty`);
    }
    return filetimeToIso(raw);
  }

  /** A UTF-16 string, with a diagnostic for lone surrogates. */
  utf16(
    start: number,
    end: number,
    terminated: boolean,
    structure: string,
    bytes = this.bytes,
    base = 0,
  ): string {
    const s = decodeUtf16le(bytes, start, end, terminated);
    if (s.loneSurrogates > 0) {
      this.diag(
        structure,
        base + start,
        `${s.loneSurrogates} lone UTF-16 surrogate(s) (first 0x${(s.firstLoneSurrogate ?? 0).toString(16)}) replaced with U+FFFD`,
      );
    }
    return s.text;
  }
}

function parseHeader(p: LnkParse): LnkHeader {
  const r = p.r;
  const linkFlags = r.u32(0x14);
  const fileAttributes = r.u32(0x18);
  const showCommand = r.u32(0x3c);
  const hotKeyRaw = r.u16(0x40);
  return {
    linkFlags,
    flags: LINK_FLAGS.filter((_, bit) => (linkFlags >>> bit) & 1),
    fileAttributes,
    attributes: FILE_ATTRIBUTES.filter(([bit]) => fileAttributes & bit).map(([, name]) => name),
    creationTime: p.time(0x1c, 'CreationTime'),
    accessTime: p.time(0x24, 'AccessTime'),
    writeTime: p.time(0x2c, 'WriteTime'),
    fileSize: r.u32(0x34),
    iconIndex: r.i32(0x38),
    showCommand,
    showCommandName: showCommand === 3 ? 'maximized' : showCommand === 7 ? 'minimized' : 'normal',
    hotKeyRaw,
    hotKey: hotKeyText(hotKeyRaw),
  };
}

/** @returns the offset after the ID list, or null when the rest of the file cannot be located */
function parseTargetIdList(p: LnkParse, at: number): { list: LnkTargetIdList; next: number | null } {
  const size = p.r.u16(at);
  const end = at + 2 + size;
  let next: number | null = end;
  if (end > p.bytes.length) {
    p.diag(
      'LinkTargetIDList',
      at,
      `IDListSize ${size} runs past the end of the file (${p.bytes.length} bytes); items are read up to the end and nothing after the list`,
    );
    next = null;
  }
  const { items } = parseIdList(
    p.bytes,
    at + 2,
    Math.min(end, p.bytes.length),
    0,
    p.codePage,
    'LinkTargetIDList',
    p.diagnostics,
  );
  return { list: { size, items, path: idListPath(items) }, next };
}

function parseLinkInfo(p: LnkParse, at: number): { info: LnkLinkInfo | null; next: number | null } {
  const size = p.r.u32(at);
  if (size < 0x1c) {
    p.diag(
      'LinkInfo',
      at,
      `LinkInfoSize ${size} is below the 28-byte minimum; LinkInfo and what follows are not read`,
    );
    return { info: null, next: null };
  }
  const available = Math.min(size, p.bytes.length - at);
  let next: number | null = at + size;
  if (available < size) {
    p.diag(
      'LinkInfo',
      at,
      `LinkInfoSize ${size} runs past the end of the file; fields are read up to the end and nothing after LinkInfo`,
    );
    next = null;
  }
  if (available < 0x1c) {
    p.diag('LinkInfo', at, 'the file ends inside the LinkInfo header; LinkInfo is not read');
    return { info: null, next: null };
  }
  const li = p.bytes.subarray(at, at + available);
  const r = new ByteReader(li);
  const headerSize = r.u32(4);
  const flags = r.u32(8);
  const volumeIdOffset = r.u32(12);
  const localBasePathOffset = r.u32(16);
  const networkOffset = r.u32(20);
  const suffixOffset = r.u32(24);
  const hasUnicode = headerSize >= 0x24;
  if (headerSize !== 0x1c && headerSize < 0x24) {
    p.diag('LinkInfo', at + 4, `LinkInfoHeaderSize 0x${headerSize.toString(16)} is neither 0x1C nor ≥ 0x24`);
  }
  // Offsets of the parts must point past the LinkInfo header (the two *OffsetUnicode fields are inside it).
  const headerEnd = Math.min(Math.max(headerSize, 0x1c), li.length);
  const part = <T>(name: string, offset: number, read: () => T): T | null => {
    if (offset < headerEnd && !name.endsWith('OffsetUnicode')) {
      p.diag(
        `LinkInfo ${name}`,
        at + offset,
        `${name} offset 0x${offset.toString(16)} points inside the LinkInfo header; left empty`,
      );
      return null;
    }
    try {
      return read();
    } catch (error) {
      if (!(error instanceof OutOfBounds)) throw error;
      p.diag(`LinkInfo ${name}`, at + offset, `${name} lies outside LinkInfo (${error.message}); left empty`);
      return null;
    }
  };
  const ansiAt = (offset: number, end = li.length) => {
    r.check(offset, 1);
    return readAnsiZ(li, offset, end, p.codePage).text;
  };
  const unicodeAt = (offset: number, name: string, end = li.length) => {
    r.check(offset, 2);
    return p.utf16(offset, end, true, `LinkInfo ${name}`, li, at);
  };

  let volume: LnkVolume | null = null;
  let localBasePath: string | null = null;
  let localBasePathUnicode: string | null = null;
  if (flags & 0x1) {
    volume = part('VolumeID', volumeIdOffset, () => {
      const volumeSize = r.u32(volumeIdOffset);
      const volumeEnd = Math.min(volumeIdOffset + volumeSize, li.length);
      if (volumeSize < 0x10) throw new OutOfBounds(volumeIdOffset, 0x10, volumeIdOffset + volumeSize);
      const driveType = r.u32(volumeIdOffset + 4);
      const labelOffset = r.u32(volumeIdOffset + 12);
      const label =
        labelOffset === 0x14
          ? unicodeAt(volumeIdOffset + r.u32(volumeIdOffset + 16), 'VolumeLabelUnicode', volumeEnd)
          : (() => {
              r.check(volumeIdOffset + labelOffset, 1);
              return readAnsiZ(li, volumeIdOffset + labelOffset, volumeEnd, p.codePage).text;
            })();
      return {
        driveType,
        driveTypeName: DRIVE_TYPES[driveType] ?? `unknown (${driveType})`,
        serialNumber: hex32(r.u32(volumeIdOffset + 8)),
        label,
      };
    });
    localBasePath = part('LocalBasePath', localBasePathOffset, () => ansiAt(localBasePathOffset));
    if (hasUnicode) {
      const offset = part('LocalBasePathOffsetUnicode', 28, () => r.u32(28));
      if (offset) {
        localBasePathUnicode = part('LocalBasePathUnicode', offset, () =>
          unicodeAt(offset, 'LocalBasePathUnicode'),
        );
      }
    }
  }
  let network: LnkNetworkLink | null = null;
  if (flags & 0x2) {
    network = part('CommonNetworkRelativeLink', networkOffset, () => {
      const n = networkOffset;
      const linkSize = r.u32(n);
      const linkEnd = Math.min(n + linkSize, li.length);
      if (linkSize < 0x14) throw new OutOfBounds(n, 0x14, n + linkSize);
      const linkFlags = r.u32(n + 4);
      const netNameOffset = r.u32(n + 8);
      const deviceNameOffset = r.u32(n + 12);
      const providerType = r.u32(n + 16);
      let netName = (() => {
        r.check(n + netNameOffset, 1);
        return readAnsiZ(li, n + netNameOffset, linkEnd, p.codePage).text;
      })();
      let deviceName =
        linkFlags & 0x1
          ? (() => {
              r.check(n + deviceNameOffset, 1);
              return readAnsiZ(li, n + deviceNameOffset, linkEnd, p.codePage).text;
            })()
          : null;
      if (netNameOffset > 0x14) {
        const netNameUnicode = r.u32(n + 20);
        const deviceNameUnicode = r.u32(n + 24);
        if (netNameUnicode) netName = unicodeAt(n + netNameUnicode, 'NetNameUnicode', linkEnd);
        if (deviceNameUnicode && linkFlags & 0x1) {
          deviceName = unicodeAt(n + deviceNameUnicode, 'DeviceNameUnicode', linkEnd);
        }
      }
      return { flags: linkFlags, netName, deviceName, providerType: linkFlags & 0x2 ? providerType : null };
    });
  }
  const commonPathSuffix = suffixOffset
    ? part('CommonPathSuffix', suffixOffset, () => ansiAt(suffixOffset))
    : null;
  let commonPathSuffixUnicode: string | null = null;
  if (hasUnicode) {
    const offset = part('CommonPathSuffixOffsetUnicode', 32, () => r.u32(32));
    if (offset) {
      commonPathSuffixUnicode = part('CommonPathSuffixUnicode', offset, () =>
        unicodeAt(offset, 'CommonPathSuffixUnicode'),
      );
    }
  }
  const suffix = commonPathSuffixUnicode ?? commonPathSuffix ?? '';
  const base = localBasePathUnicode ?? localBasePath;
  return {
    info: {
      flags,
      volume,
      localBasePath,
      localBasePathUnicode,
      network,
      commonPathSuffix,
      commonPathSuffixUnicode,
      localPath: base === null ? null : `${base}${suffix}`,
      networkPath: network === null ? null : suffix ? `${network.netName}\\${suffix}` : network.netName,
    },
    next,
  };
}

const STRING_FIELDS = [
  ['HasName', 'name'],
  ['HasRelativePath', 'relativePath'],
  ['HasWorkingDir', 'workingDirectory'],
  ['HasArguments', 'arguments'],
  ['HasIconLocation', 'iconLocation'],
] as const;

function parseStringData(
  p: LnkParse,
  at: number,
  linkFlags: number,
): { strings: LnkStringData; next: number | null } {
  const out: Record<(typeof STRING_FIELDS)[number][1], string | null> = {
    name: null,
    relativePath: null,
    workingDirectory: null,
    arguments: null,
    iconLocation: null,
  };
  const unicode = (linkFlags & 0x80) !== 0;
  let pos: number | null = at;
  STRING_FIELDS.forEach(([flag, field], i) => {
    if (!((linkFlags >>> (i + 2)) & 1) || pos === null) return;
    const structure = `StringData ${field}`;
    if (!p.r.has(pos, 2)) {
      p.diag(
        structure,
        pos,
        `${flag} is set but the file ends before the string; it and what follows are not read`,
      );
      pos = null;
      return;
    }
    const count = p.r.u16(pos);
    const bytes = unicode ? count * 2 : count;
    const start = pos + 2;
    const end = start + bytes;
    if (end > p.bytes.length) {
      p.diag(
        structure,
        pos,
        `CountCharacters ${count} runs past the end of the file; the string is cut at the end and nothing after it is read`,
      );
    }
    const stop = Math.min(end, p.bytes.length);
    out[field] = unicode
      ? p.utf16(start, stop, false, structure)
      : decodeAnsi(p.bytes.subarray(start, stop), p.codePage);
    pos = end > p.bytes.length ? null : end;
  });
  return { strings: out, next: pos };
}

function emptyExtraData(): LnkExtraData {
  return {
    blocks: [],
    tracker: null,
    environmentTarget: null,
    iconEnvironmentTarget: null,
    darwinId: null,
    knownFolder: null,
    specialFolder: null,
    console: null,
    consoleCodePage: null,
    shimLayerName: null,
    vistaIdListPresent: false,
    vistaIdList: null,
    propertyStoreSize: null,
  };
}

/** The ANSI (260 bytes) + Unicode (520 bytes) pair of the 0x314-byte blocks: Unicode if set, else ANSI. */
function ansiUnicodePair(p: LnkParse, b: ByteReader, at: number, structure: string): string {
  const ansi = readAnsiZ(b.bytes, 8, 8 + 260, p.codePage).text;
  const unicode = p.utf16(268, 268 + 520, true, structure, b.bytes, at);
  return unicode.length > 0 ? unicode : ansi;
}

function parseExtraData(p: LnkParse, at: number): { extra: LnkExtraData; trailing: number } {
  const extra: { -readonly [K in keyof LnkExtraData]: LnkExtraData[K] } = emptyExtraData();
  const blocks: LnkExtraBlock[] = [];
  let pos = at;
  for (;;) {
    if (!p.r.has(pos, 4)) {
      p.diag('ExtraData', pos, 'the file ends without the ExtraData terminal block');
      extra.blocks = blocks;
      return { extra, trailing: 0 };
    }
    const size = p.r.u32(pos);
    if (size < 4) {
      extra.blocks = blocks;
      return { extra, trailing: p.bytes.length - (pos + 4) };
    }
    const structure = `ExtraData[${blocks.length}]`;
    if (size < 8 || !p.r.has(pos, 8)) {
      p.diag(
        structure,
        pos,
        `BlockSize ${size} cannot hold a block signature; the rest of ExtraData is not read`,
      );
      extra.blocks = blocks;
      return { extra, trailing: 0 };
    }
    const signature = p.r.u32(pos + 4);
    const known = EXTRA_BLOCKS[signature];
    const name = known?.name ?? 'unknown';
    blocks.push({ offset: pos, size, signature, name });
    const available = Math.min(size, p.bytes.length - pos);
    const where = `${structure} ${name}`;
    if (available < size) {
      p.diag(where, pos, `BlockSize ${size} runs past the end of the file; the block is not decoded`);
      extra.blocks = blocks;
      return { extra, trailing: 0 };
    }
    if (!known) {
      p.diag(where, pos, `unknown BlockSignature 0x${signature.toString(16)}; skipped`);
    } else if (known.size !== null && size !== known.size) {
      p.diag(
        where,
        pos,
        `BlockSize ${size} differs from the 0x${known.size.toString(16)} the specification sets`,
      );
    }
    const b = new ByteReader(p.bytes.subarray(pos, pos + size));
    try {
      decodeExtraBlock(p, b, pos, signature, where, extra);
    } catch (error) {
      if (!(error instanceof OutOfBounds)) throw error;
      p.diag(where, pos, `the block is too short for its fields (${error.message}); not decoded`);
    }
    pos += size;
  }
}

function decodeExtraBlock(
  p: LnkParse,
  b: ByteReader,
  at: number,
  signature: number,
  where: string,
  extra: { -readonly [K in keyof LnkExtraData]: LnkExtraData[K] },
): void {
  switch (signature) {
    case 0xa0000003: {
      b.check(0, 0x60);
      const machineId = readAnsiZ(b.bytes, 16, 32, p.codePage).text;
      extra.tracker = {
        machineId,
        droidVolumeId: guidToString(b.slice(32, 16)),
        droidFileId: guidToString(b.slice(48, 16)),
        birthDroidVolumeId: guidToString(b.slice(64, 16)),
        birthDroidFileId: guidToString(b.slice(80, 16)),
      };
      return;
    }
    case 0xa0000001:
      b.check(0, 0x314);
      extra.environmentTarget = ansiUnicodePair(p, b, at, where);
      return;
    case 0xa0000007:
      b.check(0, 0x314);
      extra.iconEnvironmentTarget = ansiUnicodePair(p, b, at, where);
      return;
    case 0xa0000006:
      b.check(0, 0x314);
      extra.darwinId = ansiUnicodePair(p, b, at, where);
      return;
    case 0xa000000b: {
      const id = guidToString(b.slice(8, 16));
      extra.knownFolder = { id, name: KNOWN_FOLDERS[id] ?? null, offset: b.u32(24) };
      return;
    }
    case 0xa0000005: {
      const id = b.u32(8);
      extra.specialFolder = { id, name: CSIDL[id] ?? null, offset: b.u32(12) };
      return;
    }
    case 0xa0000002:
      b.check(0, 0xcc);
      extra.console = {
        fillAttributes: b.u16(8),
        screenBufferSize: [b.u16(12), b.u16(14)],
        windowSize: [b.u16(16), b.u16(18)],
        windowOrigin: [b.u16(20), b.u16(22)],
        fontSize: b.u32(32),
        faceName: p.utf16(44, 44 + 64, true, where, b.bytes, at),
        fullScreen: b.u32(112) !== 0,
        quickEdit: b.u32(116) !== 0,
        insertMode: b.u32(120) !== 0,
        historyBufferSize: b.u32(128),
      };
      return;
    case 0xa0000004:
      extra.consoleCodePage = b.u32(8);
      return;
    case 0xa0000008:
      extra.shimLayerName = p.utf16(8, b.length, true, where, b.bytes, at);
      return;
    case 0xa0000009:
      extra.propertyStoreSize = b.length;
      return;
    case 0xa000000c: {
      extra.vistaIdListPresent = true;
      extra.vistaIdList = parseIdList(b.bytes, 8, b.length, at, p.codePage, where, p.diagnostics).items;
      return;
    }
    default:
      return;
  }
}

/**
 * Parses a Windows shortcut (`.lnk`) per [MS-SHLLINK]. Everything the file
 * holds is returned; damage inside it (a size that runs past the end, a
 * string with lone UTF-16 surrogates, an unknown or short ExtraData block)
 * becomes an entry in `diagnostics` and parsing goes on as far as the
 * structure sizes allow.
 *
 * @param input - the file's bytes, or a {@link ByteSource} (read whole, up to `maxBytes`)
 * @param options - the ANSI code page (default `windows-1252`) and the read limit (default 16 MiB)
 * @returns the header, ID list, LinkInfo, strings, extra data and diagnostics
 * @throws DATA_INVALID when the input is not a shortcut (shorter than the
 *   76-byte header, wrong HeaderSize or LinkCLSID)
 * @throws IO_ERROR when a source cannot be read
 * @throws INVALID_ARGUMENT when `codePage` is not an encoding label the runtime knows
 */
export async function parseLnk(input: Uint8Array | ByteSource, options: LnkOptions = {}): Promise<LnkFile> {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const codePage = options.codePage ?? 'windows-1252';
  if (!isKnownCodePage(codePage)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `parseLnk: "${codePage}" is not an encoding label this runtime knows.`,
      {
        context: { codePage },
      },
    );
  }
  const name = isByteSource(input) ? input.name : 'memory';
  let bytes: Uint8Array;
  let truncatedRead = false;
  if (isByteSource(input)) {
    const read = await readPrefix(input, maxBytes);
    bytes = read.bytes;
    truncatedRead = read.truncated;
  } else {
    truncatedRead = input.length > maxBytes;
    bytes = input.subarray(0, maxBytes);
  }
  const notShortcut = (why: string) =>
    new TriageError('DATA_INVALID', `${name} is not a Windows shortcut (.lnk): ${why}.`, {
      context: { path: name, size: bytes.length },
    });
  if (bytes.length < HEADER_SIZE)
    throw notShortcut(`${bytes.length} bytes is shorter than the 76-byte header`);
  const p = new LnkParse(bytes, codePage);
  if (p.r.u32(0) !== HEADER_SIZE) throw notShortcut(`HeaderSize is 0x${p.r.u32(0).toString(16)}, not 0x4c`);
  if (guidToString(p.r.slice(4, 16)) !== LINK_CLSID) throw notShortcut('LinkCLSID is not 00021401-…-46');
  if (truncatedRead) p.diag('file', maxBytes, `only the first ${maxBytes} bytes were read (maxBytes)`);

  const header = parseHeader(p);
  const flags = header.linkFlags;
  let pos: number | null = HEADER_SIZE;
  let targetIdList: LnkTargetIdList | null = null;
  let linkInfo: LnkLinkInfo | null = null;
  const skipped = (what: string) => p.diag(what, null, `not read: an earlier structure could not be located`);

  // Every section bounds-checks its own reads; this net turns anything it missed into a diagnostic.
  const guard = <T>(structure: string, at: number, read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof OutOfBounds)) throw error;
      p.diag(structure, at, `${structure} is cut short (${error.message}); it and what follows are not read`);
      pos = null;
      return fallback;
    }
  };

  if (flags & 0x1) {
    if (!p.r.has(pos, 2)) {
      p.diag('LinkTargetIDList', pos, 'HasLinkTargetIDList is set but the file ends before IDListSize');
      pos = null;
    } else {
      const at = pos;
      const parsed = guard('LinkTargetIDList', at, () => parseTargetIdList(p, at), null);
      targetIdList = parsed?.list ?? null;
      if (parsed) pos = parsed.next;
    }
  }
  if (flags & 0x2) {
    if (pos === null) skipped('LinkInfo');
    else if (!p.r.has(pos, 4)) {
      p.diag('LinkInfo', pos, 'HasLinkInfo is set but the file ends before LinkInfoSize');
      pos = null;
    } else {
      const at = pos;
      const parsed = guard('LinkInfo', at, () => parseLinkInfo(p, at), null);
      linkInfo = parsed?.info ?? null;
      if (parsed) pos = parsed.next;
    }
  }
  let stringData: LnkStringData = {
    name: null,
    relativePath: null,
    workingDirectory: null,
    arguments: null,
    iconLocation: null,
  };
  if (flags & 0x7c) {
    if (pos === null) skipped('StringData');
    else {
      const at = pos;
      const parsed = guard('StringData', at, () => parseStringData(p, at, flags), null);
      if (parsed) {
        stringData = parsed.strings;
        pos = parsed.next;
      }
    }
  }
  let extraData = emptyExtraData();
  let trailingBytes = 0;
  if (pos === null) skipped('ExtraData');
  else {
    const at = pos;
    const parsed = guard('ExtraData', at, () => parseExtraData(p, at), null);
    if (parsed) {
      extraData = parsed.extra;
      trailingBytes = parsed.trailing;
    }
  }
  return { header, targetIdList, linkInfo, stringData, extraData, trailingBytes, diagnostics: p.diagnostics };
}
