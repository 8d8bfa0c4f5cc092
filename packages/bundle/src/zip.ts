/**
 * A small, streaming ZIP writer (PKWARE APPNOTE 6.3.10) for the operator's
 * bundle: deflated entries with data descriptors (general purpose bit 3),
 * UTF-8 names (bit 11), Unix modes in the external attributes (version made
 * by 3 = Unix) so the collector stays executable after `unzip`, and DOS
 * times in UTC. No ZIP64: every entry and the archive must stay under
 * 4 GiB. Written with node:zlib only; the bundle package has no dependencies.
 */
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { crc32, createDeflateRaw } from 'node:zlib';
import { TriageError } from '@triage/errors';

/** One file of the archive. */
export interface ZipEntry {
  /** The path inside the archive, `/`-separated, relative (no `..`, no leading `/`). */
  readonly name: string;
  /** The bytes, or the path of a file to stream from. */
  readonly source: Uint8Array | { readonly path: string };
  /** Unix permission bits, e.g. `0o755` for the collector, `0o600` for `bundle.json`. */
  readonly mode: number;
  /** Last modified; default the archive's `mtime`. */
  readonly mtime?: Date;
}

/** Options for {@link writeZip}. */
export interface WriteZipOptions {
  /** Mode of the archive file, created new (`wx`); default `0o600` (a bundle holds credentials). */
  readonly fileMode?: number;
  /** Default time of the entries; default now. */
  readonly mtime?: Date;
  /** deflate level 0–9; default 6. */
  readonly level?: number;
}

const LOCAL = 0x04034b50;
const DESCRIPTOR = 0x08074b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const FLAGS = 0x0008 | 0x0800; // data descriptor, UTF-8 names
const DEFLATE = 8;
const MAX32 = 0xffffffff;
const S_IFREG = 0o100000;

function dosTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | Math.floor(date.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

function checkName(name: string): Buffer {
  if (
    name.length === 0 ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.split('/').some((part) => part === '..' || part === '.' || part === '')
  ) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `zip entry name ${JSON.stringify(name)} must be a plain relative path`,
    );
  }
  const bytes = Buffer.from(name, 'utf8');
  if (bytes.length > 0xffff) throw new TriageError('INVALID_ARGUMENT', 'zip entry name is too long');
  return bytes;
}

async function* chunksOf(source: ZipEntry['source']): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  for await (const chunk of createReadStream(source.path, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
}

interface Written {
  readonly name: Buffer;
  readonly crc: number;
  readonly compressed: number;
  readonly size: number;
  readonly offset: number;
  readonly mode: number;
  readonly dos: { time: number; date: number };
}

/**
 * Writes `entries` as a new ZIP file at `path` (never overwriting), streaming
 * each file through deflate. On any failure the partial file is removed.
 *
 * @param path - the archive to create
 * @param entries - the files, in order
 * @param options - see {@link WriteZipOptions}
 * @returns the archive's size in bytes
 * @throws INVALID_ARGUMENT for a bad entry name, a duplicate, or an archive over 4 GiB; ALREADY_EXISTS when `path` exists; IO_ERROR when a source cannot be read or the archive written
 */
export async function writeZip(
  path: string,
  entries: readonly ZipEntry[],
  options: WriteZipOptions = {},
): Promise<number> {
  const names = new Set<string>();
  for (const e of entries) {
    checkName(e.name);
    if (names.has(e.name)) throw new TriageError('INVALID_ARGUMENT', `zip entry ${e.name} is listed twice`);
    names.add(e.name);
  }
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'wx', options.fileMode ?? 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TriageError(
      code === 'EEXIST' ? 'ALREADY_EXISTS' : 'IO_ERROR',
      code === 'EEXIST'
        ? `${path} already exists; remove it or choose another name`
        : `Could not create ${path} (${code})`,
      { cause: error, context: { path } },
    );
  }
  let offset = 0;
  const write = async (bytes: Uint8Array) => {
    await file.write(bytes);
    offset += bytes.length;
    if (offset > MAX32)
      throw new TriageError('INVALID_ARGUMENT', `${path} would pass 4 GiB, which needs ZIP64`);
  };
  const written: Written[] = [];
  const now = options.mtime ?? new Date();
  try {
    for (const entry of entries) {
      const name = checkName(entry.name);
      const dos = dosTime(entry.mtime ?? now);
      const start = offset;
      const header = Buffer.alloc(30);
      header.writeUInt32LE(LOCAL, 0);
      header.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
      header.writeUInt16LE(FLAGS, 6);
      header.writeUInt16LE(DEFLATE, 8);
      header.writeUInt16LE(dos.time, 10);
      header.writeUInt16LE(dos.date, 12);
      // CRC and sizes are zero here and follow the data (bit 3).
      header.writeUInt16LE(name.length, 26);
      await write(header);
      await write(name);

      let crc = 0;
      let size = 0;
      let compressed = 0;
      const deflate = createDeflateRaw({ level: options.level ?? 6 });
      const feed = (async () => {
        try {
          for await (const chunk of chunksOf(entry.source)) {
            crc = crc32(chunk, crc);
            size += chunk.length;
            if (!deflate.write(chunk)) await new Promise<void>((resolve) => deflate.once('drain', resolve));
          }
          deflate.end();
        } catch (error) {
          deflate.destroy(error as Error);
        }
      })();
      for await (const out of deflate) {
        compressed += (out as Buffer).length;
        await write(out as Buffer);
      }
      await feed;
      if (size > MAX32)
        throw new TriageError('INVALID_ARGUMENT', `${entry.name} is over 4 GiB, which needs ZIP64`);
      const descriptor = Buffer.alloc(16);
      descriptor.writeUInt32LE(DESCRIPTOR, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      descriptor.writeUInt32LE(compressed, 8);
      descriptor.writeUInt32LE(size, 12);
      await write(descriptor);
      written.push({ name, crc: crc >>> 0, compressed, size, offset: start, mode: entry.mode, dos });
    }
    const centralStart = offset;
    for (const w of written) {
      const central = Buffer.alloc(46);
      central.writeUInt32LE(CENTRAL, 0);
      central.writeUInt16LE((3 << 8) | 30, 4); // made by: Unix, spec 3.0
      central.writeUInt16LE(20, 6);
      central.writeUInt16LE(FLAGS, 8);
      central.writeUInt16LE(DEFLATE, 10);
      central.writeUInt16LE(w.dos.time, 12);
      central.writeUInt16LE(w.dos.date, 14);
      central.writeUInt32LE(w.crc, 16);
      central.writeUInt32LE(w.compressed, 20);
      central.writeUInt32LE(w.size, 24);
      central.writeUInt16LE(w.name.length, 28);
      central.writeUInt32LE(((S_IFREG | (w.mode & 0o7777)) << 16) >>> 0, 38);
      central.writeUInt32LE(w.offset, 42);
      await write(central);
      await write(w.name);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END, 0);
    end.writeUInt16LE(written.length, 8);
    end.writeUInt16LE(written.length, 10);
    end.writeUInt32LE(offset - centralStart, 12);
    end.writeUInt32LE(centralStart, 16);
    await write(end);
    await file.sync();
    await file.close();
    return offset;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    if (error instanceof TriageError) throw error;
    throw new TriageError('IO_ERROR', `Could not write ${path}: ${(error as Error).message}`, {
      cause: error,
      context: { path },
    });
  }
}
