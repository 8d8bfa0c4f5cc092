/**
 * Shell item lists (ITEMIDLIST) as found in a shortcut's LinkTargetIDList
 * ([MS-SHLLINK] 2.2.1–2.2.2) and VistaAndAboveIDListDataBlock (2.5.11).
 * [MS-SHLLINK] defines only the framing (a 2-byte size per item, a 2-byte zero
 * terminator); the item contents follow libyal's "Windows Shell Item format"
 * (libfwsi): root folder (0x1F), volume (0x2_), file entry (0x3_, with the
 * 0xBEEF0004 extension block for the long name, times and NTFS reference) and
 * network location (0x4_) items. Other items are listed with their class type
 * and size. Each item is decoded from its own bytes only, so a damaged item
 * cannot make the parser read into the next one.
 */
import {
  ByteReader,
  decodeUtf16le,
  fatDateTimeToIso,
  guidToString,
  OutOfBounds,
  type ParseDiagnostic,
  readAnsiZ,
} from './binary.js';

interface ShellItemBase {
  /** Offset of the item (its size field) in the file. */
  readonly offset: number;
  /** The item's size in bytes, its size field included. */
  readonly size: number;
  /** The class type indicator (the byte after the size). */
  readonly classType: number;
}

/** A root folder item (class 0x1F): a shell folder such as My Computer. */
export interface RootFolderShellItem extends ShellItemBase {
  readonly type: 'rootFolder';
  readonly sortIndex: number;
  /** The shell folder's GUID, lowercase without braces. */
  readonly folderId: string;
  /** Its common name when known (`My Computer`, `My Network Places`…), else null. */
  readonly folderName: string | null;
}

/** A volume item (class 0x20–0x2F), e.g. `C:\`. */
export interface VolumeShellItem extends ShellItemBase {
  readonly type: 'volume';
  /** The drive (`C:\`), or null when the item holds a GUID instead of a name. */
  readonly name: string | null;
}

/** A file or directory (class 0x30–0x3F). */
export interface FileEntryShellItem extends ShellItemBase {
  readonly type: 'fileEntry';
  readonly isDirectory: boolean;
  /** The primary name: usually the 8.3 short name (`PROGRA~2`), sometimes the long name. */
  readonly shortName: string;
  /** The long name from the 0xBEEF0004 extension block, or null without one. */
  readonly longName: string | null;
  /** The localized name (`@shell32.dll,-21817`) from the extension block, or null. */
  readonly localizedName: string | null;
  /** The 32-bit file size the item records (0 for directories). */
  readonly fileSize: number;
  /** FILE_ATTRIBUTE_* flags (lower 16 bits). */
  readonly attributes: number;
  /** Times from the item (FAT, two-second resolution, UTC) as ISO 8601, or null. */
  readonly modified: string | null;
  readonly created: string | null;
  readonly accessed: string | null;
  /** The NTFS MFT entry and sequence number (extension version 7 and later), or null. */
  readonly mftEntry: number | null;
  readonly mftSequence: number | null;
  /** The 0xBEEF0004 extension block's version, or null without one. */
  readonly extensionVersion: number | null;
}

/** A network location item (class 0x40–0x4F): a domain, server or share. */
export interface NetworkLocationShellItem extends ShellItemBase {
  readonly type: 'networkLocation';
  readonly location: string;
  readonly description: string | null;
  readonly comments: string | null;
}

/** An item of a kind not decoded here (control panel, URI, delegate…): class type and size only. */
export interface OtherShellItem extends ShellItemBase {
  readonly type: 'other';
}

/** One shell item of an ID list. */
export type ShellItem =
  | RootFolderShellItem
  | VolumeShellItem
  | FileEntryShellItem
  | NetworkLocationShellItem
  | OtherShellItem;

/** Common shell folder GUIDs (libfwsi wiki "Shell Folder identifiers"). */
const SHELL_FOLDERS: Readonly<Record<string, string>> = {
  '20d04fe0-3aea-1069-a2d8-08002b30309d': 'My Computer',
  '208d2c60-3aea-1069-a2d7-08002b30309d': 'My Network Places',
  '450d8fba-ad25-11d0-98a8-0800361b1103': 'My Documents',
  '645ff040-5081-101b-9f08-00aa002f954e': 'Recycle Bin',
  '21ec2020-3aea-1069-a2dd-08002b30309d': 'Control Panel',
  '59031a47-3f72-44a7-89c5-5595fe6b30ee': 'Users',
  'f02c1a0d-be21-4350-88b0-7367fc96ef3c': 'Network',
  '031e4825-7b94-4dc3-b131-e946b44c8dd5': 'Libraries',
  '871c5380-42a0-1069-a2ea-08002b30309d': 'Internet Explorer',
  '2227a280-3aea-1069-a2de-08002b30309d': 'Printers',
  '679f85cb-0220-4080-b29b-5540cc05aab6': 'Quick access',
  '3080f90d-d7ad-11d9-bd98-0000947b0257': 'Show Desktop',
  '4234d49b-0245-4df3-b780-3893943456e1': 'Applications',
};

const FILE_ATTRIBUTE_DIRECTORY = 0x10;
const BEEF0004 = 0xbeef0004;

/** Decodes one item from its own bytes; `at` is its offset in the file. */
function decodeItem(
  item: Uint8Array,
  at: number,
  codePage: string,
  diagnostics: ParseDiagnostic[],
  structure: string,
): ShellItem {
  const r = new ByteReader(item);
  const size = item.length;
  const classType = r.u8(2);
  const base = { offset: at, size, classType };
  if (classType === 0x1f && size >= 20) {
    const folderId = guidToString(r.slice(4, 16));
    return {
      ...base,
      type: 'rootFolder' as const,
      sortIndex: r.u8(3),
      folderId,
      folderName: SHELL_FOLDERS[folderId] ?? null,
    };
  }
  if ((classType & 0x70) === 0x20) {
    const name = classType & 0x01 ? readAnsiZ(item, 3, Math.min(size, 23), codePage).text : null;
    return { ...base, type: 'volume' as const, name };
  }
  if ((classType & 0x70) === 0x30 && size >= 16)
    return decodeFileEntry(r, base, codePage, diagnostics, structure);
  if ((classType & 0x70) === 0x40 && size >= 6) {
    const flags = r.u8(4);
    const location = readAnsiZ(item, 5, size, codePage);
    let next = location.end;
    let description: string | null = null;
    let comments: string | null = null;
    if (flags & 0x80) {
      const d = readAnsiZ(item, next, size, codePage);
      description = d.text;
      next = d.end;
    }
    if (flags & 0x40) comments = readAnsiZ(item, next, size, codePage).text;
    return { ...base, type: 'networkLocation' as const, location: location.text, description, comments };
  }
  return { ...base, type: 'other' as const };
}

function decodeFileEntry(
  r: ByteReader,
  base: { offset: number; size: number; classType: number },
  codePage: string,
  diagnostics: ParseDiagnostic[],
  structure: string,
): FileEntryShellItem {
  const item = r.bytes;
  const size = item.length;
  const unicode = (base.classType & 0x04) !== 0;
  const attributes = r.u16(12);
  const primary = unicode
    ? decodeUtf16le(item, 14, size, true)
    : { ...readAnsiZ(item, 14, size, codePage), loneSurrogates: 0 };
  if (primary.loneSurrogates > 0) {
    diagnostics.push({
      structure,
      offset: base.offset + 14,
      message: 'the name holds a lone UTF-16 surrogate; replaced with U+FFFD',
    });
  }
  const entry = {
    ...base,
    type: 'fileEntry' as const,
    isDirectory: (base.classType & 0x01) !== 0 || (attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0,
    shortName: primary.text,
    longName: null as string | null,
    localizedName: null as string | null,
    fileSize: r.u32(4),
    attributes,
    modified: fatDateTimeToIso(r.u16(8), r.u16(10)),
    created: null as string | null,
    accessed: null as string | null,
    mftEntry: null as number | null,
    mftSequence: null as number | null,
    extensionVersion: null as number | null,
  };
  // The extension block follows the name, 16-bit aligned; the item's last two bytes also point at it.
  const candidates = [primary.end + (primary.end & 1)];
  if (size >= 2) candidates.push(r.u16(size - 2));
  const start = candidates.find((c) => r.has(c, 8) && r.u32(c + 4) === BEEF0004 && r.u16(c) >= 8);
  if (start === undefined) return entry;
  const extSize = Math.min(r.u16(start), size - start);
  const ext = new ByteReader(item.subarray(start, start + extSize));
  try {
    const version = ext.u16(2);
    entry.extensionVersion = version;
    entry.created = fatDateTimeToIso(ext.u16(8), ext.u16(10));
    entry.accessed = fatDateTimeToIso(ext.u16(12), ext.u16(14));
    if (version < 3) return entry;
    let p = 18;
    if (version >= 7) {
      const reference = ext.u64(20);
      entry.mftEntry = Number(reference & 0xffff_ffff_ffffn);
      entry.mftSequence = Number(reference >> 48n);
      p = 36;
    }
    const localizedSize = ext.u16(p);
    p += 2;
    if (version >= 9) p += 4;
    if (version >= 8) p += 4;
    ext.check(p, 2);
    const long = decodeUtf16le(ext.bytes, p, extSize - 2, true);
    entry.longName = long.text;
    if (long.loneSurrogates > 0) {
      diagnostics.push({
        structure: `${structure} extension 0xbeef0004`,
        offset: base.offset + start + p,
        message: `the long name holds ${long.loneSurrogates} lone UTF-16 surrogate(s) (first 0x${(long.firstLoneSurrogate ?? 0).toString(16)}); replaced with U+FFFD`,
      });
    }
    if (localizedSize > 0 && long.end < extSize - 2) {
      const localized =
        version >= 7
          ? decodeUtf16le(ext.bytes, long.end, extSize - 2, true).text
          : readAnsiZ(ext.bytes, long.end, extSize - 2, codePage).text;
      entry.localizedName = localized;
    }
  } catch (error) {
    if (!(error instanceof OutOfBounds)) throw error;
    diagnostics.push({
      structure: `${structure} extension 0xbeef0004`,
      offset: base.offset + start,
      message: `the extension block is truncated (${error.message}); fields after that point are left empty`,
    });
  }
  return entry;
}

/** The items of an ID list and whether it ended with its terminator. */
export interface ParsedIdList {
  readonly items: ShellItem[];
  readonly terminated: boolean;
}

/**
 * Decodes the shell items in `bytes[start, end)` (an IDList without its
 * IDListSize field), stopping at the 2-byte zero terminator.
 *
 * @param fileOffset - offset of `bytes[0]` in the file, for item offsets and diagnostics
 */
export function parseIdList(
  bytes: Uint8Array,
  start: number,
  end: number,
  fileOffset: number,
  codePage: string,
  structure: string,
  diagnostics: ParseDiagnostic[],
): ParsedIdList {
  const items: ShellItem[] = [];
  let pos = start;
  while (pos + 2 <= end) {
    const size = (bytes[pos] as number) | ((bytes[pos + 1] as number) << 8);
    if (size === 0) return { items, terminated: true };
    const where = `${structure} item ${items.length + 1}`;
    if (size < 3 || pos + size > end) {
      diagnostics.push({
        structure: where,
        offset: fileOffset + pos,
        message:
          size < 3
            ? `the item size ${size} is too small to hold a class type; the rest of the list is not read`
            : `the item (${size} bytes) runs past the end of the ID list; the rest of the list is not read`,
      });
      return { items, terminated: false };
    }
    try {
      items.push(decodeItem(bytes.subarray(pos, pos + size), fileOffset + pos, codePage, diagnostics, where));
    } catch (error) {
      if (!(error instanceof OutOfBounds)) throw error;
      diagnostics.push({
        structure: where,
        offset: fileOffset + pos,
        message: `the item is truncated (${error.message}); listed by class type only`,
      });
      items.push({ offset: fileOffset + pos, size, classType: bytes[pos + 2] as number, type: 'other' });
    }
    pos += size;
  }
  diagnostics.push({
    structure,
    offset: fileOffset + pos,
    message: 'the ID list has no terminator (a 2-byte zero) before its end',
  });
  return { items, terminated: false };
}

/**
 * A readable path from an ID list's items: the volume, then each file
 * entry's long name (or short name), joined with `\`; network locations
 * contribute their UNC path. Null when the list names no volume or share.
 */
export function idListPath(items: readonly ShellItem[]): string | null {
  let path: string | null = null;
  for (const item of items) {
    if (item.type === 'volume' && item.name) path = item.name;
    else if (item.type === 'networkLocation' && item.location.startsWith('\\\\')) path = item.location;
    else if (item.type === 'fileEntry' && path !== null) {
      const name = item.longName || item.shortName;
      path = path.endsWith('\\') ? `${path}${name}` : `${path}\\${name}`;
    }
  }
  return path;
}
