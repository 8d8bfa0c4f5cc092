/**
 * Package databases as text: dpkg's /var/lib/dpkg/status and the output of
 * `rpm -qa --queryformat` with {@link RPM_QUERY_FORMAT}. Pure functions.
 */

/** One stanza of the dpkg status file: the fields a package record needs. */
export interface DpkgPackage {
  readonly name: string;
  /** Absent for a package that is known but not installed (`purge ok not-installed`). */
  readonly version: string | null;
  readonly architecture: string | null;
  /** The Status field, e.g. `install ok installed`, `deinstall ok config-files`. */
  readonly status: string | null;
  /** The 1-based line of the stanza's first field. */
  readonly line: number;
}

/** A stanza that could not be read, by line number (never its contents). */
export interface DpkgProblem {
  readonly line: number;
  readonly problem: string;
}

/** dpkg field names (matched case-insensitively) → the keys kept. */
const WANTED: ReadonlyMap<string, string> = new Map([
  ['package', 'name'],
  ['version', 'version'],
  ['architecture', 'architecture'],
  ['status', 'status'],
]);

/**
 * Reads the dpkg status file stanza by stanza, holding one stanza's four
 * wanted fields in memory (descriptions and other fields are skipped).
 *
 * @param lines - the file's lines, in order
 * @param onProblem - called for a stanza without a Package field
 */
export async function* parseDpkgStatus(
  lines: AsyncIterable<string> | Iterable<string>,
  onProblem: (problem: DpkgProblem) => void = () => {},
): AsyncGenerator<DpkgPackage> {
  let fields = new Map<string, string>();
  let start = 0;
  let lineNumber = 0;
  const finish = (): DpkgPackage | null => {
    const stanza = fields;
    const first = start;
    fields = new Map();
    start = 0;
    if (first === 0) return null;
    const name = stanza.get('name');
    if (name === undefined || name === '') {
      onProblem({ line: first, problem: 'stanza without a Package field' });
      return null;
    }
    return {
      name,
      version: stanza.get('version') || null,
      architecture: stanza.get('architecture') || null,
      status: stanza.get('status') || null,
      line: first,
    };
  };
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') {
      const done = finish();
      if (done) yield done;
      continue;
    }
    if (start === 0) start = lineNumber;
    if (line.startsWith(' ') || line.startsWith('\t')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = WANTED.get(line.slice(0, colon).toLowerCase());
    if (key !== undefined) fields.set(key, line.slice(colon + 1).trim());
  }
  const done = finish();
  if (done) yield done;
}

/** The `--queryformat` argument for `rpm -qa`: tab-separated, one package a line. */
export const RPM_QUERY_FORMAT = '%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{INSTALLTIME}\\n';

/** One line of `rpm -qa --queryformat` output. */
export interface RpmPackage {
  readonly name: string;
  /** `[epoch:]version-release`, as rpm compares them. */
  readonly version: string;
  readonly architecture: string | null;
  /** Seconds since the epoch. */
  readonly installTime: number | null;
}

/**
 * Reads one line of `rpm -qa --queryformat` {@link RPM_QUERY_FORMAT} output.
 *
 * @returns the package, or null for a line that is not six tab-separated fields
 */
export function parseRpmLine(line: string): RpmPackage | null {
  const f = line.split('\t');
  if (f.length !== 6) return null;
  const [name, epoch, version, release, arch, installed] = f as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (name === '' || version === '') return null;
  const none = (v: string) => v === '' || v === '(none)';
  const seconds = Number(installed);
  return {
    name,
    version: `${none(epoch) ? '' : `${epoch}:`}${version}${none(release) ? '' : `-${release}`}`,
    architecture: none(arch) ? null : arch,
    installTime: !none(installed) && Number.isSafeInteger(seconds) && seconds > 0 ? seconds : null,
  };
}
