/**
 * Text forms of binary IP addresses, as stored in utmp's `ut_addr_v6`.
 * Pure functions.
 */

/**
 * Dotted-quad form of four bytes in network order.
 *
 * @param bytes - at least four bytes; the first four are used
 * @returns e.g. `203.0.113.10`
 */
export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0] ?? 0}.${bytes[1] ?? 0}.${bytes[2] ?? 0}.${bytes[3] ?? 0}`;
}

/**
 * RFC 5952 form of sixteen bytes in network order: lower-case hex, no
 * leading zeros, the longest run of two or more zero groups (the first, on a
 * tie) as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @param bytes - at least sixteen bytes; the first sixteen are used
 * @returns e.g. `2001:db8::5`
 */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  }
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}
