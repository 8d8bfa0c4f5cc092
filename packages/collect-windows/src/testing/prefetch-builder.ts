/**
 * Builds uncompressed Prefetch (SCCA) files of versions 17, 23, 26, 30 and
 * 31 in the layout of libyal's "Windows Prefetch File (PF) format", for
 * tests; wrap one with `mamWrap` (xpress-encoder.ts) for a Windows 10 file.
 */
import { Bytes } from './lnk-builder.js';

/** One volume of {@link PrefetchSpec}. */
export interface PrefetchVolumeSpec {
  readonly devicePath: string;
  readonly serial: number;
  readonly created: bigint;
  readonly directories: readonly string[];
  readonly fileReferences?: number;
}

/** The content of a Prefetch file. */
export interface PrefetchSpec {
  readonly version: 17 | 23 | 26 | 30 | 31;
  /** Version 30/31 file information layout: metrics array at 0x130 (run count at 0xD0) or 0x128 (0xC8). Default 0x128. */
  readonly metricsOffset?: 0x128 | 0x130 | number;
  readonly executable: string;
  readonly hash: number;
  readonly runCount: number;
  /** Most recent first; one slot before version 26, eight from 26 on. */
  readonly lastRuns: readonly bigint[];
  readonly filenames: readonly string[];
  readonly volumes: readonly PrefetchVolumeSpec[];
}

const INFO_END: Record<number, number> = { 17: 0x98, 23: 0xf0, 26: 0x130 };
const VOLUME_SIZE: Record<number, number> = { 17: 40, 23: 104, 26: 104, 30: 96, 31: 96 };

/** The byte offsets a test may want to damage. */
export interface PrefetchLayout {
  readonly bytes: Uint8Array;
  readonly filenamesOffset: number;
  readonly volumesOffset: number;
  readonly runCountOffset: number;
}

/** An uncompressed SCCA file from its content, with the offsets of its sections. */
export function buildPrefetch(spec: PrefetchSpec): PrefetchLayout {
  const v = spec.version;
  const metricsOffset = v >= 30 ? (spec.metricsOffset ?? 0x128) : (INFO_END[v] as number);
  const runCountOffset =
    v === 17 ? 0x90 : v === 23 ? 0x98 : v === 26 || metricsOffset === 0x130 ? 0xd0 : 0xc8;

  const names = new Bytes();
  const metrics = new Bytes();
  for (const name of spec.filenames) {
    const at = names.length;
    names.utf16(name);
    metrics.u32(0).u32(0);
    if (v !== 17) metrics.u32(0);
    metrics.u32(at).u32(name.length).u32(0);
    if (v !== 17) metrics.u64(0n);
  }
  while (names.length % 8 !== 0) names.u8(0);
  const metricsBytes = metrics.done();
  const namesBytes = names.done();

  const entrySize = VOLUME_SIZE[v] as number;
  const entries = new Bytes();
  const data = new Bytes();
  const dataStart = entrySize * spec.volumes.length;
  for (const volume of spec.volumes) {
    const pathOffset = dataStart + data.length;
    data.utf16(volume.devicePath);
    while (data.length % 8 !== 0) data.u8(0);
    const refsOffset = dataStart + data.length;
    const refs = volume.fileReferences ?? 2;
    data.u32(v === 17 ? 1 : 3).u32(refs);
    for (let i = 0; i < refs; i++) data.u64(BigInt(i + 100) | (1n << 48n));
    const dirsOffset = dataStart + data.length;
    for (const dir of volume.directories) data.u16(dir.length).utf16(dir);
    const entry = new Bytes()
      .u32(pathOffset)
      .u32(volume.devicePath.length)
      .u64(volume.created)
      .u32(volume.serial)
      .u32(refsOffset)
      .u32(8 + refs * 8)
      .u32(dirsOffset)
      .u32(volume.directories.length)
      .u32(0);
    entries.bytes(entry.zeros(entrySize - entry.length).done());
  }
  const volumesBytes = new Bytes().bytes(entries.done()).bytes(data.done()).done();

  const traceOffset = metricsOffset + metricsBytes.length;
  const filenamesOffset = traceOffset;
  const volumesOffset = filenamesOffset + namesBytes.length;
  const size = volumesOffset + volumesBytes.length;

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, v, true);
  out.set([0x53, 0x43, 0x43, 0x41], 4);
  view.setUint32(8, v === 17 ? 0x0f : 0x11, true);
  view.setUint32(12, size, true);
  out.set(new Bytes().utf16(spec.executable.slice(0, 29)).done(), 16);
  view.setUint32(76, spec.hash, true);
  view.setUint32(84, metricsOffset, true);
  view.setUint32(88, spec.filenames.length, true);
  view.setUint32(92, traceOffset, true);
  view.setUint32(96, 0, true);
  view.setUint32(100, filenamesOffset, true);
  view.setUint32(104, namesBytes.length, true);
  view.setUint32(108, volumesOffset, true);
  view.setUint32(112, spec.volumes.length, true);
  view.setUint32(116, volumesBytes.length, true);
  const slots = v < 26 ? 1 : 8;
  const firstSlot = v === 17 ? 0x78 : 0x80;
  spec.lastRuns.slice(0, slots).forEach((t, i) => {
    view.setBigUint64(firstSlot + 8 * i, t, true);
  });
  view.setUint32(runCountOffset, spec.runCount, true);
  if (runCountOffset === 0xc8) view.setUint32(0xcc, 1, true); // as Windows writes it: non-zero before 0xD0
  out.set(metricsBytes, metricsOffset);
  out.set(namesBytes, filenamesOffset);
  out.set(volumesBytes, volumesOffset);
  return { bytes: out, filenamesOffset, volumesOffset, runCountOffset };
}
