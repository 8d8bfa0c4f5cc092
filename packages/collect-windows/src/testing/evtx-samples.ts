/**
 * The EVTX samples in the shared, read-only fixtures folder (`evtx/` there,
 * see its MANIFEST.md): read in place, never copied into the repository.
 * `.gz` files are gzip of the original.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readSample, SAMPLES_DIR } from './sample-files.js';

/** File names in `evtx/`, e.g. `Security_omer_security.evtx.gz`. */
export function evtxSampleNames(): string[] {
  return readdirSync(join(SAMPLES_DIR, 'evtx'))
    .filter((f) => /\.evtx(\.gz)?$/.test(f))
    .sort();
}

/** A sample's original bytes (decompressed when stored as `.gz`). */
export function evtxSample(name: string): Uint8Array {
  const bytes = readSample(`evtx/${name}`);
  return new Uint8Array(name.endsWith('.gz') ? gunzipSync(bytes) : bytes);
}

/** What EXPECTED_tool_output.json says python-evtx extracted from one sample. */
export interface ExpectedEvtx {
  readonly size: number;
  readonly records: number;
  readonly errors: number;
  readonly computers: Readonly<Record<string, number>>;
  readonly first: string;
  readonly last: string;
  /** `Channel:EventID` → count. */
  readonly ids: Readonly<Record<string, number>>;
}

/** The python-evtx oracle values for `evtx/NAME`. */
export function expectedEvtx(name: string): ExpectedEvtx {
  const all = JSON.parse(readFileSync(join(SAMPLES_DIR, 'EXPECTED_tool_output.json'), 'utf8')) as {
    files: Record<string, { evtx_python_evtx?: ExpectedEvtx }>;
  };
  const found = all.files[`evtx/${name}`]?.evtx_python_evtx;
  if (!found) throw new Error(`EXPECTED_tool_output.json has no python-evtx entry for evtx/${name}`);
  return found;
}
