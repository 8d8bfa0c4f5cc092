/**
 * Builds [MS-SHLLINK] shortcut files from parts, for tests: a header with
 * chosen values, shell items, LinkInfo (ANSI and Unicode variants), StringData
 * (Unicode or ANSI) and ExtraData blocks. Strings are written code unit by
 * code unit, so a test can put a lone surrogate in one.
 */

/** Little-endian byte writer. */
export class Bytes {
  private readonly parts: number[] = [];

  get length(): number {
    return this.parts.length;
  }

  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }

  u16(v: number): this {
    return this.u8(v).u8(v >>> 8);
  }

  u32(v: number): this {
    return this.u16(v & 0xffff).u16(v >>> 16);
  }

  u64(v: bigint): this {
    return this.u32(Number(v & 0xffff_ffffn)).u32(Number(v >> 32n));
  }

  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push((b[i] as number) & 0xff);
    return this;
  }

  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }

  /** UTF-16LE code units of `s` (lone surrogates kept), plus a NUL when `terminated`. */
  utf16(s: string, terminated = true): this {
    for (let i = 0; i < s.length; i++) this.u16(s.charCodeAt(i));
    return terminated ? this.u16(0) : this;
  }

  /** Latin-1 bytes of `s` (one byte per character), plus a NUL when `terminated`. */
  latin1(s: string, terminated = true): this {
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i));
    return terminated ? this.u8(0) : this;
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A GUID string (`xxxxxxxx-xxxx-…`) in its little-endian on-disk form. */
export function guidBytes(guid: string): Uint8Array {
  const h = guid.replace(/[{}-]/g, '');
  const b = (i: number) => Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return Uint8Array.from([
    b(3),
    b(2),
    b(1),
    b(0),
    b(5),
    b(4),
    b(7),
    b(6),
    ...Array.from({ length: 8 }, (_, i) => b(8 + i)),
  ]);
}

/** A FILETIME for an ISO time plus extra 100 ns ticks. */
export function filetime(iso: string, ticks = 0n): bigint {
  return (BigInt(Date.parse(iso)) + 11_644_473_600_000n) * 10_000n + ticks;
}

/** A FAT date and time word pair for a UTC time (two-second resolution). */
export function fatDateTime(iso: string): [number, number] {
  const d = new Date(iso);
  const date = ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate();
  const time = (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1);
  return [date, time];
}

function item(body: Bytes): Uint8Array {
  const b = body.done();
  return new Bytes()
    .u16(b.length + 2)
    .bytes(b)
    .done();
}

/** A root folder shell item (class 0x1F). */
export function rootFolderItem(guid: string, sortIndex = 0x50): Uint8Array {
  return item(new Bytes().u8(0x1f).u8(sortIndex).bytes(guidBytes(guid)));
}

/** A volume shell item (class 0x2F) naming a drive (`C:\`). */
export function volumeItem(drive: string): Uint8Array {
  const body = new Bytes().u8(0x2f).latin1(drive, false);
  body.zeros(20 - drive.length).u16(0);
  return item(body);
}

/** Options of {@link fileEntryItem}. */
export interface FileEntrySpec {
  readonly shortName: string;
  readonly longName?: string;
  readonly localizedName?: string;
  readonly directory?: boolean;
  readonly fileSize?: number;
  readonly modified?: string;
  readonly created?: string;
  readonly accessed?: string;
  /** Extension block version (3, 7, 8 or 9; default 9); 0 for no extension block. */
  readonly version?: number;
  readonly mftEntry?: number;
  readonly mftSequence?: number;
}

/** A file entry shell item (class 0x31/0x32) with a 0xBEEF0004 extension block (libfwsi layout). */
export function fileEntryItem(spec: FileEntrySpec): Uint8Array {
  const version = spec.version ?? 9;
  const body = new Bytes()
    .u8(spec.directory ? 0x31 : 0x32)
    .u8(0)
    .u32(spec.fileSize ?? 0);
  const [md, mt] = spec.modified ? fatDateTime(spec.modified) : [0, 0];
  body
    .u16(md)
    .u16(mt)
    .u16(spec.directory ? 0x10 : 0x20)
    .latin1(spec.shortName);
  if ((body.length + 2) % 2 === 1) body.u8(0);
  if (version > 0) {
    const extStart = body.length + 2;
    const ext = new Bytes().u16(version).u32(0xbeef0004);
    const [cd, ct] = spec.created ? fatDateTime(spec.created) : [0, 0];
    const [ad, at] = spec.accessed ? fatDateTime(spec.accessed) : [0, 0];
    ext
      .u16(cd)
      .u16(ct)
      .u16(ad)
      .u16(at)
      .u16(version >= 7 ? 0x2e : 0x14);
    if (version >= 7) {
      ext.u16(0);
      ext.u64(BigInt(spec.mftEntry ?? 0) | (BigInt(spec.mftSequence ?? 0) << 48n));
      ext.u64(0n);
    }
    ext.u16(spec.localizedName ? spec.localizedName.length + 1 : 0);
    if (version >= 9) ext.u32(0);
    if (version >= 8) ext.u32(0);
    ext.utf16(spec.longName ?? spec.shortName);
    if (spec.localizedName) {
      if (version >= 7) ext.utf16(spec.localizedName);
      else ext.latin1(spec.localizedName);
    }
    ext.u16(extStart);
    const e = ext.done();
    body.u16(e.length + 2).bytes(e);
  }
  return item(body);
}

/** A network location shell item (class 0x42 server / 0xC3 share). */
export function networkItem(location: string, description?: string, comments?: string): Uint8Array {
  const flags = (description !== undefined ? 0x80 : 0) | (comments !== undefined ? 0x40 : 0);
  const body = new Bytes().u8(0xc3).u8(0x01).u8(flags).latin1(location);
  if (description !== undefined) body.latin1(description);
  if (comments !== undefined) body.latin1(comments);
  return item(body.u16(0));
}

/** The VolumeID of {@link LinkInfoSpec}. */
export interface VolumeSpec {
  readonly driveType: number;
  readonly serial: number;
  readonly label: string;
  /** Write the label as Unicode (VolumeLabelOffset 0x14). */
  readonly unicodeLabel?: boolean;
}

/** LinkInfo parts. */
export interface LinkInfoSpec {
  readonly volume?: VolumeSpec;
  readonly localBasePath?: string;
  readonly network?: {
    readonly netName: string;
    readonly deviceName?: string;
    readonly providerType?: number;
  };
  readonly commonPathSuffix?: string;
  /** Also write the Unicode base path and suffix (LinkInfoHeaderSize 0x24); the network names too. */
  readonly unicode?: {
    readonly localBasePath?: string;
    readonly commonPathSuffix?: string;
    readonly netName?: string;
  };
}

/** A LinkInfo structure ([MS-SHLLINK] 2.3). */
export function linkInfo(spec: LinkInfoSpec): Uint8Array {
  const headerSize = spec.unicode ? 0x24 : 0x1c;
  const data = new Bytes();
  const at = () => headerSize + data.length;
  let volumeOffset = 0;
  let localOffset = 0;
  let networkOffset = 0;
  let localUnicodeOffset = 0;
  let suffixUnicodeOffset = 0;
  if (spec.volume) {
    volumeOffset = at();
    const v = spec.volume;
    const volume = new Bytes().u32(0).u32(v.driveType).u32(v.serial);
    if (v.unicodeLabel) volume.u32(0x14).u32(0x14).utf16(v.label);
    else volume.u32(0x10).latin1(v.label);
    const vb = volume.done();
    new DataView(vb.buffer).setUint32(0, vb.length, true);
    data.bytes(vb);
    localOffset = at();
    data.latin1(spec.localBasePath ?? '');
  }
  if (spec.network) {
    networkOffset = at();
    const n = spec.network;
    const unicodeNames = spec.unicode?.netName !== undefined;
    const fixed = unicodeNames ? 0x1c : 0x14;
    const names = new Bytes();
    const netNameOffset = fixed + names.length;
    names.latin1(n.netName);
    const deviceNameOffset = n.deviceName !== undefined ? fixed + names.length : 0;
    if (n.deviceName !== undefined) names.latin1(n.deviceName);
    let netNameUnicodeOffset = 0;
    if (unicodeNames) {
      netNameUnicodeOffset = fixed + names.length;
      names.utf16(spec.unicode?.netName ?? '');
    }
    const nb = names.done();
    const link = new Bytes()
      .u32(fixed + nb.length)
      .u32((n.deviceName !== undefined ? 1 : 0) | (n.providerType !== undefined ? 2 : 0))
      .u32(netNameOffset)
      .u32(deviceNameOffset)
      .u32(n.providerType ?? 0);
    if (unicodeNames) link.u32(netNameUnicodeOffset).u32(0);
    data.bytes(link.bytes(nb).done());
  }
  const suffixOffset = at();
  data.latin1(spec.commonPathSuffix ?? '');
  if (spec.unicode?.localBasePath !== undefined) {
    localUnicodeOffset = at();
    data.utf16(spec.unicode.localBasePath);
  }
  if (spec.unicode?.commonPathSuffix !== undefined) {
    suffixUnicodeOffset = at();
    data.utf16(spec.unicode.commonPathSuffix);
  }
  const body = data.done();
  const header = new Bytes()
    .u32(headerSize + body.length)
    .u32(headerSize)
    .u32((spec.volume ? 1 : 0) | (spec.network ? 2 : 0))
    .u32(volumeOffset)
    .u32(localOffset)
    .u32(networkOffset)
    .u32(suffixOffset);
  if (spec.unicode) header.u32(localUnicodeOffset).u32(suffixUnicodeOffset);
  return header.bytes(body).done();
}

/** A TrackerDataBlock (0xA0000003). */
export function trackerBlock(
  machineId: string,
  volume: string,
  file: string,
  birthVolume = volume,
  birthFile = file,
) {
  const machine = new Uint8Array(16);
  for (let i = 0; i < machineId.length && i < 15; i++) machine[i] = machineId.charCodeAt(i);
  return new Bytes()
    .u32(0x60)
    .u32(0xa0000003)
    .u32(0x58)
    .u32(0)
    .bytes(machine)
    .bytes(guidBytes(volume))
    .bytes(guidBytes(file))
    .bytes(guidBytes(birthVolume))
    .bytes(guidBytes(birthFile))
    .done();
}

/** A 0x314-byte ANSI + Unicode target block: EnvironmentVariable (0xA0000001), IconEnvironment (…7) or Darwin (…6). */
export function targetBlock(signature: number, target: string, unicode = true): Uint8Array {
  const ansi = new Uint8Array(260);
  for (let i = 0; i < target.length && i < 259; i++) ansi[i] = target.charCodeAt(i);
  const wide = new Bytes().utf16(unicode ? target : '', false).done();
  const w = new Uint8Array(520);
  w.set(wide.subarray(0, 518));
  return new Bytes().u32(0x314).u32(signature).bytes(ansi).bytes(w).done();
}

/** A KnownFolderDataBlock (0xA000000B). */
export function knownFolderBlock(guid: string, offset: number): Uint8Array {
  return new Bytes().u32(0x1c).u32(0xa000000b).bytes(guidBytes(guid)).u32(offset).done();
}

/** A SpecialFolderDataBlock (0xA0000005). */
export function specialFolderBlock(csidl: number, offset: number): Uint8Array {
  return new Bytes().u32(0x10).u32(0xa0000005).u32(csidl).u32(offset).done();
}

/** A ConsoleDataBlock (0xA0000002) with a face name and a few values set. */
export function consoleBlock(faceName: string): Uint8Array {
  const b = new Bytes().u32(0xcc).u32(0xa0000002).u16(0x07).u16(0xf5).u16(120).u16(3000).u16(120).u16(50);
  b.u16(0).u16(0).u32(0).u32(0).u32(0x100000).u32(0x36).u32(400);
  const face = new Uint8Array(64);
  face.set(new Bytes().utf16(faceName, false).done().subarray(0, 62));
  b.bytes(face).u32(25).u32(0).u32(1).u32(1).u32(1).u32(50).u32(4).u32(0).zeros(64);
  return b.done();
}

/** Any block: BlockSize, BlockSignature and a body. */
export function rawBlock(signature: number, body: ArrayLike<number>, size = 8 + body.length): Uint8Array {
  return new Bytes().u32(size).u32(signature).bytes(body).done();
}

/** The parts of a shortcut for {@link buildLnk}. */
export interface LnkSpec {
  /** LinkFlags; by default computed from the parts given (and IsUnicode unless `ansi`). */
  readonly flags?: number;
  readonly attributes?: number;
  readonly creation?: bigint;
  readonly access?: bigint;
  readonly write?: bigint;
  readonly fileSize?: number;
  readonly iconIndex?: number;
  readonly showCommand?: number;
  readonly hotKey?: number;
  /** Shell items (each with its size field); the terminator is added. */
  readonly items?: readonly Uint8Array[];
  /** A whole LinkInfo, e.g. from {@link linkInfo}. */
  readonly linkInfo?: Uint8Array;
  readonly strings?: {
    readonly name?: string;
    readonly relativePath?: string;
    readonly workingDirectory?: string;
    readonly arguments?: string;
    readonly iconLocation?: string;
  };
  /** Write StringData as ANSI (Latin-1 bytes) instead of Unicode. */
  readonly ansi?: boolean;
  readonly extra?: readonly Uint8Array[];
  /** Write the ExtraData terminal block (default true). */
  readonly terminal?: boolean;
  /** Bytes appended after everything. */
  readonly trailing?: ArrayLike<number>;
}

/** A shortcut file from parts. */
export function buildLnk(spec: LnkSpec = {}): Uint8Array {
  const s = spec.strings ?? {};
  const stringFields = [s.name, s.relativePath, s.workingDirectory, s.arguments, s.iconLocation];
  let flags = spec.flags;
  if (flags === undefined) {
    flags = (spec.items ? 0x1 : 0) | (spec.linkInfo ? 0x2 : 0) | (spec.ansi ? 0 : 0x80);
    stringFields.forEach((v, i) => {
      if (v !== undefined) flags = (flags as number) | (1 << (i + 2));
    });
  }
  const b = new Bytes()
    .u32(0x4c)
    .bytes(guidBytes('00021401-0000-0000-c000-000000000046'))
    .u32(flags)
    .u32(spec.attributes ?? 0x20)
    .u64(spec.creation ?? 0n)
    .u64(spec.access ?? 0n)
    .u64(spec.write ?? 0n)
    .u32(spec.fileSize ?? 0)
    .u32(spec.iconIndex ?? 0)
    .u32(spec.showCommand ?? 1)
    .u16(spec.hotKey ?? 0)
    .zeros(10);
  if (spec.items) {
    const list = new Bytes();
    for (const i of spec.items) list.bytes(i);
    list.u16(0);
    const l = list.done();
    b.u16(l.length).bytes(l);
  }
  if (spec.linkInfo) b.bytes(spec.linkInfo);
  for (const v of stringFields) {
    if (v === undefined) continue;
    b.u16(v.length);
    if (spec.ansi) b.latin1(v, false);
    else b.utf16(v, false);
  }
  for (const block of spec.extra ?? []) b.bytes(block);
  if (spec.terminal !== false) b.u32(0);
  if (spec.trailing) b.bytes(spec.trailing);
  return b.done();
}
