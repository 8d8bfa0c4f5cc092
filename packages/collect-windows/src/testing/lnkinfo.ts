/**
 * Reads the text report of libyal's `lnkinfo` (liblnk-utils 20181227, from
 * Debian) into fields, for the LNK differential test.
 */

/** What lnkinfo reported for one file. */
export interface LnkinfoReport {
  /** "Link information" values by label (`Creation time`, `Local path`…). */
  readonly link: ReadonlyMap<string, string>;
  /** "Distributed link tracking data" values by label. */
  readonly tracking: ReadonlyMap<string, string>;
  /** "Number of items" of the link target identifier, or null without one. */
  readonly itemCount: number | null;
  /** Each shell item's values by label; extension block values as `ext.<label>`. */
  readonly items: readonly ReadonlyMap<string, string>[];
}

/** Parses an lnkinfo report. */
export function parseLnkinfo(text: string): LnkinfoReport {
  const link = new Map<string, string>();
  const tracking = new Map<string, string>();
  const items: Map<string, string>[] = [];
  let itemCount: number | null = null;
  let section = '';
  let inExtension = false;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) {
      section = line.replace(/:$/, '');
      continue;
    }
    const m = /^\t+([^:\t][^:]*?)\s*:(?:\t| |$)(.*)$/.exec(line);
    if (!m) continue;
    const label = (m[1] as string).trim();
    const value = m[2] as string;
    if (section === 'Link information') {
      if (!link.has(label)) link.set(label, value);
    } else if (section === 'Distributed link tracking data') {
      tracking.set(label, value);
    } else if (section === 'Link target identifier') {
      if (label === 'Number of items') itemCount = Number(value);
      else if (label === 'Shell item') {
        items.push(new Map());
        inExtension = false;
      } else if (label === 'Extension block') inExtension = true;
      else items[items.length - 1]?.set(inExtension ? `ext.${label}` : label, value);
    }
  }
  return { link, tracking, itemCount, items };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * An lnkinfo time (`Jun 05, 2009 20:13:20.332156900 UTC`, `Jan 29, 2010
 * 21:29:20`, `Not set (0)`) as ISO 8601: seven fractional digits when it has
 * nine (FILETIME), none when it has none (FAT); null when not set.
 */
export function lnkinfoTime(value: string): string | null {
  if (value.startsWith('Not set')) return null;
  const m = /^([A-Z][a-z]{2}) (\d\d), (\d{4}) (\d\d:\d\d:\d\d)(?:\.(\d{9}))?/.exec(value);
  if (!m) throw new Error(`unrecognised lnkinfo time: ${value}`);
  const month = String(MONTHS.indexOf(m[1] as string) + 1).padStart(2, '0');
  const fraction = m[5] === undefined ? '' : `.${m[5].slice(0, 7)}`;
  return `${m[3]}-${month}-${m[2]}T${m[4]}${fraction}Z`;
}
