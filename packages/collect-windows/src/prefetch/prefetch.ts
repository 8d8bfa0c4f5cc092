/**
 * Windows Prefetch (`.pf`) files per libyal's "Windows Prefetch File (PF)
 * format" (libscca): the SCCA file header, the file information of format
 * versions 17 (XP/2003), 23 (Vista/7), 26 (8.x), 30 and 31 (10/11), the
 * filename strings and the volume information (device path, serial number,
 * creation time, directory strings). Windows 10/11 files are compressed in a
 * `MAM` container ("Compressed Prefetch file – MAM file format" in the same
 * document): a 4-byte signature whose low nibble of the last byte is the
 * compression format (4: [MS-XCA] LZ77+Huffman) and whose high bit says a
 * CRC-32 follows, the uncompressed size, then the compressed stream.
 */
import { crc32 } from 'node:zlib';
import { TriageError } from '@triage/errors';
import {
  ByteReader,
  decodeUtf16le,
  filetimeInRange,
  filetimeToIso,
  hex32,
  isByteSource,
  OutOfBounds,
  type ParseDiagnostic,
  readPrefix,
} from '../lnk/binary.js';
import type { ByteSource } from '../source.js';
import { xpressHuffmanDecompressPartial } from '../xpress/xpress-huffman.js';

/** A problem inside a Prefetch file that did not stop the parse. */
export type PrefetchDiagnostic = ParseDiagnostic;

/** Options for {@link parsePrefetch}. */
export interface PrefetchOptions {
  /**
   * Most bytes read from the input, and most bytes a MAM file may declare as
   * its uncompressed size (a bound on memory for hostile headers). Default 64 MiB.
   */
  readonly maxBytes?: number;
}

/** One volume the program touched. */
export interface PrefetchVolume {
  /** The NT device path (`\DEVICE\HARDDISKVOLUME1`, `\VOLUME{01d3096ba3a46863-2ca3d1ae}`). */
  readonly devicePath: string;
  /** The volume serial number as eight uppercase hex digits. */
  readonly serialNumber: string;
  /** The volume's creation time (ISO 8601 UTC), or null. */
  readonly creationTime: string | null;
  /** The directories referenced on the volume. */
  readonly directories: readonly string[];
  /** How many NTFS file references the volume's file reference array declares, or null when unreadable. */
  readonly fileReferenceCount: number | null;
}

/** A parsed Prefetch file. */
export interface PrefetchFile {
  /** Whether the file was MAM-compressed (Windows 10/11). */
  readonly compressed: boolean;
  /** The format version: 17, 23, 26, 30 or 31. */
  readonly version: number;
  /** The executable's name (up to 29 characters, as Windows stores it). */
  readonly executableName: string;
  /** The Prefetch hash as eight uppercase hex digits (as in the file name). */
  readonly prefetchHash: string;
  /** The file size the SCCA header records (the uncompressed size for MAM files). */
  readonly declaredSize: number;
  /** How many times the program ran, or null when unreadable. */
  readonly runCount: number | null;
  /** Where the run count was read (0x90, 0x98, 0xC8 or 0xD0), or null. */
  readonly runCountOffset: number | null;
  /** Last run times, most recent first (one slot before version 26, eight from 26 on; empty slots left out). */
  readonly lastRunTimes: readonly string[];
  readonly volumes: readonly PrefetchVolume[];
  /** The files the program loaded in its first seconds (the filename strings section), in order. */
  readonly filenames: readonly string[];
  /** Damage found and what the parser did about it; empty for a sound file. */
  readonly diagnostics: readonly PrefetchDiagnostic[];
}

const HEADER_SIZE = 84;
const VOLUME_ENTRY_SIZE: Readonly<Record<number, number>> = { 17: 40, 23: 104, 26: 104, 30: 96, 31: 96 };
const MAM_SIGNATURE = 0x004d414d; // "MAM" in the low three bytes
const XPRESS_HUFFMAN = 4; // COMPRESSION_FORMAT_XPRESS_HUFF

function invalid(name: string, why: string, size: number): TriageError<'DATA_INVALID'> {
  return new TriageError('DATA_INVALID', `${name} is not a Windows Prefetch file: ${why}.`, {
    context: { path: name, size },
  });
}

/** Unpacks a MAM container; keeps the decoded start of a damaged stream. */
function decompressMam(
  bytes: Uint8Array,
  name: string,
  maxBytes: number,
  diagnostics: ParseDiagnostic[],
): Uint8Array {
  const r = new ByteReader(bytes);
  if (bytes.length < 8) throw invalid(name, 'the MAM header is cut short', bytes.length);
  const signature = r.u32(0);
  const format = (signature >>> 24) & 0x0f;
  const hasCrc = (signature >>> 28) & 0x08;
  const size = r.u32(4);
  if (format !== XPRESS_HUFFMAN) {
    throw invalid(
      name,
      `MAM compression format ${format} is not Xpress Huffman (4), the only one Prefetch uses`,
      bytes.length,
    );
  }
  if (size > maxBytes) {
    throw invalid(
      name,
      `the MAM header declares ${size} uncompressed bytes, above the ${maxBytes}-byte limit`,
      bytes.length,
    );
  }
  let start = 8;
  if (hasCrc) {
    if (bytes.length < 12) throw invalid(name, 'the MAM header is cut short before its CRC-32', bytes.length);
    const stored = r.u32(8);
    // The CRC-32 covers the 8-byte header, the CRC field as zeros, and the compressed data.
    const computed = crc32(bytes.subarray(12), crc32(new Uint8Array(4), crc32(bytes.subarray(0, 8))));
    if (computed !== stored) {
      diagnostics.push({
        structure: 'MAM header',
        offset: 8,
        message: `CRC-32 0x${hex32(stored)} does not match the data (0x${hex32(computed)}); decompressing anyway`,
      });
    }
    start = 12;
  }
  const { output, produced, error } = xpressHuffmanDecompressPartial(bytes.subarray(start), size);
  if (error) {
    diagnostics.push({
      structure: 'MAM compressed stream',
      offset: null,
      message: `${error.message} Only the first ${produced} of ${size} bytes could be decompressed; they are parsed, and the bytes just before the damage may be wrong.`,
    });
    if (produced < HEADER_SIZE) {
      throw invalid(
        name,
        `its compressed stream is corrupt before the end of the 84-byte SCCA header`,
        bytes.length,
      );
    }
    return output.subarray(0, produced);
  }
  return output;
}

class PrefetchParse {
  readonly r: ByteReader;

  constructor(
    readonly bytes: Uint8Array,
    readonly diagnostics: ParseDiagnostic[],
  ) {
    this.r = new ByteReader(bytes);
  }

  diag(structure: string, offset: number | null, message: string): void {
    this.diagnostics.push({ structure, offset, message });
  }

  /** Runs a section parser; an out-of-bounds read becomes a diagnostic and `fallback`. */
  section<T>(structure: string, offset: number, fallback: T, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (!(error instanceof OutOfBounds)) throw error;
      this.diag(structure, offset, `${structure} lies outside the file (${error.message}); left empty`);
      return fallback;
    }
  }

  time(offset: number, structure: string): string | null {
    const raw = this.r.u64(offset);
    if (raw !== 0n && !filetimeInRange(raw)) {
      this.diag(structure, offset, `time value 0x${raw.toString(16)} is past year 9999; left out`);
    }
    return filetimeToIso(raw);
  }

  utf16(start: number, end: number, terminated: boolean, structure: string): { text: string; end: number } {
    const s = decodeUtf16le(this.bytes, start, end, terminated);
    if (s.loneSurrogates > 0) {
      this.diag(
        structure,
        start,
        `${s.loneSurrogates} lone UTF-16 surrogate(s) (first 0x${(s.firstLoneSurrogate ?? 0).toString(16)}) replaced with U+FFFD`,
      );
    }
    return s;
  }
}

/** Where version 30/31 keep the run count: the file information is 0x128 − 84 or 0x130 − 84 bytes long. */
function runCountOffsetV30(p: PrefetchParse, metricsOffset: number): number {
  if (metricsOffset === 0x130) return 0xd0;
  if (metricsOffset === 0x128) return 0xc8;
  // Unknown layout: Eric Zimmerman's rule, the value before the 0xD0 slot is 0 in the older layout.
  const offset = p.r.has(0xcc, 4) && p.r.u32(0xcc) === 0 ? 0xd0 : 0xc8;
  p.diag(
    'file information',
    84,
    `metrics array offset 0x${metricsOffset.toString(16)} is neither 0x128 nor 0x130; run count read at 0x${offset.toString(16)}`,
  );
  return offset;
}

function parseFilenames(p: PrefetchParse, offset: number, size: number, metricsCount: number): string[] {
  const end = offset + size;
  if (end > p.bytes.length) {
    p.diag(
      'filename strings',
      offset,
      `the section (${size} bytes) runs past the end of the file; read up to the end`,
    );
  }
  if (offset > p.bytes.length) return [];
  const names: string[] = [];
  const stop = Math.min(end, p.bytes.length);
  // NUL-terminated UTF-16 strings; empty ones are the alignment padding after the last name.
  for (let pos = offset; pos + 1 < stop; ) {
    const s = p.utf16(pos, stop, true, `filename strings[${names.length}]`);
    if (s.text.length > 0) names.push(s.text);
    pos = s.end;
  }
  if (names.length !== metricsCount) {
    p.diag(
      'filename strings',
      offset,
      `${names.length} filenames found, but the metrics array declares ${metricsCount} entries`,
    );
  }
  return names;
}

function parseVolumes(
  p: PrefetchParse,
  version: number,
  offset: number,
  count: number,
  size: number,
): PrefetchVolume[] {
  const entrySize = VOLUME_ENTRY_SIZE[version] as number;
  const fits = Math.floor(Math.max(0, Math.min(size, p.bytes.length - offset)) / entrySize);
  let n = count;
  if (count > fits) {
    p.diag(
      'volumes information',
      offset,
      `${count} volumes declared, but only ${fits} entries fit in the section and the file; reading ${fits}`,
    );
    n = fits;
  }
  const volumes: PrefetchVolume[] = [];
  for (let i = 0; i < n; i++) {
    const at = offset + i * entrySize;
    const structure = `volumes[${i}]`;
    const volume = p.section(structure, at, null as PrefetchVolume | null, () => {
      const r = p.r;
      const pathOffset = offset + r.u32(at);
      const pathChars = r.u32(at + 4);
      r.check(pathOffset, pathChars * 2);
      const devicePath = p.utf16(
        pathOffset,
        pathOffset + pathChars * 2,
        true,
        `${structure} device path`,
      ).text;
      const creationTime = p.time(at + 8, structure);
      const serialNumber = hex32(r.u32(at + 16));
      const refsOffset = offset + r.u32(at + 20);
      const fileReferenceCount = p.r.has(refsOffset, 8) ? r.u32(refsOffset + 4) : null;
      const dirsOffset = offset + r.u32(at + 28);
      const dirsCount = r.u32(at + 32);
      const directories: string[] = [];
      let pos = dirsOffset;
      for (let k = 0; k < dirsCount; k++) {
        if (!p.r.has(pos, 2)) {
          p.diag(
            structure,
            pos,
            `directory string ${k} of ${dirsCount} lies past the end of the file; the rest are left out`,
          );
          break;
        }
        const chars = r.u16(pos);
        const end = pos + 2 + (chars + 1) * 2;
        if (end > p.bytes.length) {
          p.diag(
            structure,
            pos,
            `directory string ${k} runs past the end of the file; the rest are left out`,
          );
          break;
        }
        directories.push(p.utf16(pos + 2, pos + 2 + chars * 2, false, `${structure} directory ${k}`).text);
        pos = end;
      }
      return { devicePath, serialNumber, creationTime, directories, fileReferenceCount };
    });
    if (volume) volumes.push(volume);
  }
  return volumes;
}

/**
 * Parses a Windows Prefetch file: SCCA versions 17, 23, 26, 30 and 31, and
 * MAM-compressed Windows 10/11 files (decompressed with
 * {@link xpressHuffmanDecompress}). Damage inside the file (a section that
 * runs past the end, a volume entry out of bounds, a CRC mismatch, a
 * compressed stream corrupt part way) becomes an entry in `diagnostics` and
 * parsing goes on with what can be read.
 *
 * @param input - the file's bytes, or a {@link ByteSource} (read whole, up to `maxBytes`)
 * @param options - `maxBytes` (default 64 MiB) bounds the bytes read and a MAM file's declared size
 * @returns the executable, hash, run count, last run times, volumes, filenames and diagnostics
 * @throws DATA_INVALID when the input is neither SCCA nor MAM, has a version
 *   other than 17/23/26/30/31, uses a MAM compression other than Xpress
 *   Huffman, declares more than `maxBytes` uncompressed, or cannot be
 *   decompressed as far as its 84-byte header
 * @throws IO_ERROR when a source cannot be read
 */
export async function parsePrefetch(
  input: Uint8Array | ByteSource,
  options: PrefetchOptions = {},
): Promise<PrefetchFile> {
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const name = isByteSource(input) ? input.name : 'memory';
  const diagnostics: ParseDiagnostic[] = [];
  let raw: Uint8Array;
  if (isByteSource(input)) {
    const read = await readPrefix(input, maxBytes);
    raw = read.bytes;
    if (read.truncated)
      diagnostics.push({
        structure: 'file',
        offset: maxBytes,
        message: `only the first ${maxBytes} bytes were read (maxBytes)`,
      });
  } else {
    raw = input.subarray(0, maxBytes);
    if (input.length > maxBytes)
      diagnostics.push({
        structure: 'file',
        offset: maxBytes,
        message: `only the first ${maxBytes} bytes were read (maxBytes)`,
      });
  }
  const compressed = raw.length >= 4 && (new ByteReader(raw).u32(0) & 0x00ffffff) === MAM_SIGNATURE;
  const bytes = compressed ? decompressMam(raw, name, maxBytes, diagnostics) : raw;
  if (bytes.length < HEADER_SIZE)
    throw invalid(name, `${bytes.length} bytes is shorter than the 84-byte header`, raw.length);
  const p = new PrefetchParse(bytes, diagnostics);
  const r = p.r;
  const version = r.u32(0);
  if (r.u32(4) !== 0x41434353) throw invalid(name, 'the SCCA signature is missing', raw.length);
  if (!(version in VOLUME_ENTRY_SIZE)) {
    throw invalid(name, `format version ${version} is not one of 17, 23, 26, 30, 31`, raw.length);
  }
  const declaredSize = r.u32(12);
  if (declaredSize !== bytes.length) {
    p.diag('file header', 12, `the header records ${declaredSize} bytes, the file has ${bytes.length}`);
  }
  const executableName = p.utf16(16, 76, true, 'file header executable name').text;
  const prefetchHash = hex32(r.u32(76));

  const info = p.section('file information', 84, null, () => ({
    metricsOffset: r.u32(84),
    metricsCount: r.u32(88),
    filenamesOffset: r.u32(100),
    filenamesSize: r.u32(104),
    volumesOffset: r.u32(108),
    volumesCount: r.u32(112),
    volumesSize: r.u32(116),
  }));

  let runCountOffset: number | null = null;
  let lastRunSlots: number[] = [];
  if (version === 17) {
    runCountOffset = 0x90;
    lastRunSlots = [0x78];
  } else if (version === 23) {
    runCountOffset = 0x98;
    lastRunSlots = [0x80];
  } else {
    runCountOffset = version === 26 ? 0xd0 : info ? runCountOffsetV30(p, info.metricsOffset) : null;
    lastRunSlots = [0x80, 0x88, 0x90, 0x98, 0xa0, 0xa8, 0xb0, 0xb8];
  }
  const runCount =
    runCountOffset === null
      ? null
      : p.section('run count', runCountOffset, null, () => r.u32(runCountOffset));
  const lastRunTimes = p.section('last run times', 0x78, [] as string[], () =>
    lastRunSlots.map((o) => p.time(o, 'last run times')).filter((t): t is string => t !== null),
  );
  const filenames = info
    ? p.section('filename strings', info.filenamesOffset, [] as string[], () =>
        parseFilenames(p, info.filenamesOffset, info.filenamesSize, info.metricsCount),
      )
    : [];
  const volumes = info
    ? parseVolumes(p, version, info.volumesOffset, info.volumesCount, info.volumesSize)
    : [];
  return {
    compressed,
    version,
    executableName,
    prefetchHash,
    declaredSize,
    runCount,
    runCountOffset: runCount === null ? null : runCountOffset,
    lastRunTimes,
    volumes,
    filenames,
    diagnostics,
  };
}
