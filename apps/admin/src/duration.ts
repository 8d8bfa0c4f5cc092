import { TriageError } from '@triage/errors';

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * Parses a duration like `900`, `15m`, `24h`, `1.5d` into seconds.
 *
 * @throws TriageError `USAGE` for anything else
 */
export function parseDuration(text: string, flag = '--ttl'): number {
  const match = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  if (!match)
    throw new TriageError('USAGE', `${flag} ${text} is not a duration: use e.g. 900, 45m, 24h or 1.5d`);
  const seconds = Math.round(Number(match[1]) * (UNITS[match[2] || 's'] ?? 1));
  return seconds;
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a size like `1GiB`, `500MiB` or `1048576` into bytes.
 *
 * @throws TriageError `USAGE` for anything else
 */
export function parseSize(text: string, flag = '--max-size'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMGT]iB)?$/i.exec(text.trim());
  const unit = SIZE_UNITS[(match?.[2] ?? '').toLowerCase()];
  if (!match || unit === undefined) {
    throw new TriageError(
      'USAGE',
      `${flag} ${text} is not a size: use e.g. 1GiB, 500MiB or a number of bytes`,
    );
  }
  return Math.floor(Number(match[1]) * unit);
}
