import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitCodeFor, exitCodeOf, formatCliError } from './cli.js';
import { ERROR_CODES, EXIT_CODES, type TriageErrorCode } from './codes.js';
import { TriageError } from './triage-error.js';

describe('exit codes', () => {
  it.each([
    ['USAGE', 64],
    ['INVALID_ARGUMENT', 64],
    ['INTEGRITY_MISMATCH', 65],
    ['DATA_INVALID', 65],
    ['NOT_FOUND', 66],
    ['NETWORK_ERROR', 69],
    ['INTERNAL', 70],
    ['ALREADY_EXISTS', 73],
    ['IO_ERROR', 74],
    ['THROTTLED', 75],
    ['PERMISSION_DENIED', 77],
    ['CONFIG_INVALID', 78],
    ['ABORTED', 130],
  ] as const)('%s exits with %i', (code, exit) => {
    expect(exitCodeOf(code)).toBe(exit);
    expect(exitCodeFor(new TriageError(code, 'x'))).toBe(exit);
  });

  it('maps foreign errors to 70 and never to 0 or 1', () => {
    expect(exitCodeFor(new Error('x'))).toBe(70);
    expect(exitCodeFor(undefined)).toBe(70);
    for (const code of Object.keys(ERROR_CODES) as TriageErrorCode[]) {
      expect(exitCodeOf(code), code).toBeGreaterThan(1);
    }
  });
});

describe('formatCliError', () => {
  const err = new TriageError('NOT_FOUND', 'Bucket "acme" does not exist: run `triage-admin setup` first.', {
    context: { bucket: 'acme', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    cause: Object.assign(new Error('The specified bucket does not exist'), {
      name: 'NoSuchBucket',
      code: 'NoSuchBucket',
    }),
  });

  it('prints exactly one line without --debug', () => {
    const text = formatCliError(err, { program: 'triage-admin' });
    expect(text).toBe(
      'triage-admin: Bucket "acme" does not exist: run `triage-admin setup` first. [NOT_FOUND]',
    );
  });

  it('adds context, stack and causes with --debug, but no secret', () => {
    const text = formatCliError(err, { program: 'triage-admin', debug: true });
    const lines = text.split('\n');
    expect(lines[0]).toContain('[NOT_FOUND]');
    expect(text).toContain('"bucket":"acme"');
    expect(text).toContain('caused by NoSuchBucket (NoSuchBucket): The specified bucket does not exist');
    expect(text).toMatch(/\n\s+at /);
    expect(text).not.toContain('wJalrXUtnFEMI');
  });

  it('formats foreign errors as INTERNAL in one line', () => {
    const text = formatCliError(new RangeError('oops\nmore'), { program: 'triage-import' });
    expect(text).toBe(
      'triage-import: Unexpected internal error (oops); re-run with --debug and report it. [INTERNAL]',
    );
  });
});

describe('docs/errors.md', () => {
  // The operator-facing table must list exactly the registered codes, with the right exit codes.
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { exit: number; retryable: string }>();
  for (const match of doc.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d+)\s*\|\s*(yes|no)\s*\|/gm)) {
    rows.set(match[1] as string, { exit: Number(match[2]), retryable: match[3] as string });
  }

  it('documents every code with its exit code and retryability', () => {
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(rows.get(code), `docs/errors.md row for ${code}`).toEqual({
        exit: EXIT_CODES[info.category],
        retryable: info.retryable ? 'yes' : 'no',
      });
    }
  });

  it('documents no code that does not exist', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
