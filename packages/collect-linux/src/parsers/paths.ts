/** Path text helpers shared by the parsers and collectors. Pure functions. */

/**
 * `path` without its trailing slashes, in linear time: `/\/+$/` costs time
 * quadratic in a run of slashes that is not at the end, and the home field
 * of a planted /etc/passwd line can be a megabyte of them.
 */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}
