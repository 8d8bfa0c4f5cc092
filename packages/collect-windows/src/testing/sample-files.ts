/**
 * The shared Windows sample files (read-only, outside the repository:
 * `/work/shared/windows-samples`, see its README and MANIFEST) and their
 * expected values, for the LNK, Task XML and Prefetch tests.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The samples folder (src/testing → packages/collect-windows → packages → main → /work). */
export const SAMPLES_DIR = fileURLToPath(new URL('../../../../../shared/windows-samples/', import.meta.url));

/** A sample's bytes by its path under the samples folder (`lnk/example.lnk`). */
export function readSample(path: string): Buffer {
  return readFileSync(join(SAMPLES_DIR, path));
}

/** Every file under a sample folder, as paths relative to the samples folder, sorted; `EXPECTED*.json` left out. */
export function listSamples(folder: 'appcompatcache' | 'lnk' | 'prefetch' | 'tasks'): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(SAMPLES_DIR, rel)).sort()) {
      const path = `${rel}/${name}`;
      if (statSync(join(SAMPLES_DIR, path)).isDirectory()) walk(path);
      else if (!/^EXPECTED.*\.json$/.test(name)) out.push(path);
    }
  };
  walk(folder);
  return out;
}

/** One MANIFEST.json entry. */
export interface ManifestEntry {
  readonly file: string;
  readonly raw_size: number;
  readonly raw_sha256: string;
  readonly contains: string;
}

/** MANIFEST.json by file path. */
export function manifest(): Map<string, ManifestEntry> {
  const entries = JSON.parse(readSample('MANIFEST.json').toString('utf8')) as ManifestEntry[];
  return new Map(entries.map((e) => [e.file, e]));
}

/** The `key=value; key=value` facts of a MANIFEST `contains` text (EZ LNK entries use that form). */
export function manifestFacts(contains: string): Map<string, string> {
  const facts = new Map<string, string>();
  for (const part of contains.split('; ')) {
    const eq = part.indexOf('=');
    if (eq > 0 && /^[a-z_]+$/.test(part.slice(0, eq))) facts.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return facts;
}

/** EXPECTED_tool_output.json's entry for a file (its `lnk_own_parser` / `prefetch_own_parser` object). */
export function expectedToolOutput(path: string): Record<string, unknown> | undefined {
  const all = JSON.parse(readSample('EXPECTED_tool_output.json').toString('utf8')) as {
    files: Record<string, Record<string, Record<string, unknown>>>;
  };
  const entry = all.files[path];
  return entry ? Object.values(entry)[0] : undefined;
}

/** SHA-256 of bytes as lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * An ISO time cut to microseconds in one canonical form: six fractional
 * digits, or none for a whole second (`2009-06-05T20:13:20Z`,
 * `…:55.932955Z`, `…:49.281250Z`). EXPECTED_tool_output.json and MANIFEST
 * truncate to microseconds; compare both sides through this.
 */
export function toMicroseconds(iso: string | null): string | null {
  if (iso === null) return null;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(iso);
  if (!m) return iso;
  const fraction = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return `${m[1]}${/^0+$/.test(fraction) ? '' : `.${fraction}`}Z`;
}
