/**
 * Wildcard matching and policy variables.
 * Actions match case-insensitively, resources and ARNs case-sensitively;
 * `*` matches any run of characters, `?` any one (IAM User Guide, "Action",
 * "Resource", "IAM policy elements: Variables and tags").
 */

/** Request context: condition keys (case-insensitive names) and their values. */
export type RequestContext = Readonly<Record<string, string | readonly string[] | undefined>>;

const caseSensitive = new Map<string, RegExp>();
const caseInsensitive = new Map<string, RegExp>();

function compile(pattern: string, ignoreCase: boolean): RegExp {
  const cache = ignoreCase ? caseInsensitive : caseSensitive;
  let regex = cache.get(pattern);
  if (!regex) {
    const body = pattern
      .split('')
      .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, regex);
  }
  return regex;
}

/** Whether `value` matches `pattern` with `*` and `?` wildcards. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?')) {
    if (pattern.length !== value.length) return false;
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  }
  return compile(pattern, ignoreCase).test(value);
}

/** Looks a condition key up; names are case-insensitive. */
export function contextValue(context: RequestContext, key: string): string | readonly string[] | undefined {
  if (key in context) return context[key];
  const lower = key.toLowerCase();
  for (const [name, value] of Object.entries(context)) if (name.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * Replaces policy variables in `text`: `${aws:username}`, `${aws:PrincipalTag/team}`,
 * `${key, 'default'}`, and the escapes `${*}`, `${?}`, `${$}`. Returns
 * undefined when a variable without a default is not in the context (the
 * element then matches nothing). Only version 2012-10-17 has variables.
 *
 * Escaped `*` and `?` come back as `\uE000*` / `\uE000?` markers so that
 * {@link literalWildcards} can keep them literal when matching.
 */
export function substitute(text: string, context: RequestContext, version: string): string | undefined {
  if (version !== '2012-10-17' || !text.includes('${')) return text;
  let missing = false;
  const out = text.replace(/\$\{([^}]*)\}/g, (_whole, inner: string) => {
    const trimmed = inner.trim();
    if (trimmed === '*') return '\uE000*';
    if (trimmed === '?') return '\uE000?';
    if (trimmed === '$') return '$';
    const match = /^([^,]+?)\s*(?:,\s*'([^']*)')?$/.exec(trimmed);
    const key = match?.[1] ?? trimmed;
    const value = contextValue(context, key);
    if (typeof value === 'string') return value;
    if (match?.[2] !== undefined) return match[2];
    missing = true;
    return '';
  });
  return missing ? undefined : out;
}

/** Matches with wildcards, except where `${*}`/`${?}` escapes asked for a literal character. */
export function matchSubstituted(pattern: string, value: string, ignoreCase = false): boolean {
  if (!pattern.includes('\uE000')) return wildcardMatch(pattern, value, ignoreCase);
  const body = pattern
    .split(/(\uE000[*?])/)
    .map((part) =>
      part.startsWith('\uE000')
        ? `\\${part[1]}`
        : part
            .split('')
            .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
            .join(''),
    )
    .join('');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Whether an action pattern (`s3:Put*`) matches an action (`s3:PutObject`), case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  return wildcardMatch(pattern, action, true);
}
