import { TriageError } from '@triage/errors';
import type { Transport, UploadReceipt } from '@triage/s3-transport';
import type { Destination } from './config.js';

/** Options for {@link preflight}. */
export interface PreflightOptions {
  readonly transport: Transport;
  readonly destination: Destination;
  /** The key of the tiny object to write. */
  readonly key: string;
  /** Its body (a small JSON note of who is about to upload). */
  readonly body: Uint8Array;
  /** How long the run may take; credentials expiring sooner are refused. */
  readonly expectedMs: number;
  /** Bundle expiry, when there is one. */
  readonly bundleExpiresAt?: Date | undefined;
  readonly now: () => Date;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Refuses, before anything is collected, a run that would outlive what lets
 * it upload (credentials, a presigned plan, the bundle).
 *
 * @param deadlines - what expires (as the message's subject and verb, e.g. `credentials expire`) and when; undefined: never
 * @param expectedMs - how long the run may take
 * @param now - the current time
 * @throws TriageError `CREDENTIALS_EXPIRING` naming the first one that would expire during the run
 */
export function checkExpiry(
  deadlines: readonly (readonly [string, Date | undefined])[],
  expectedMs: number,
  now: Date,
): void {
  const deadline = new Date(now.getTime() + expectedMs);
  const minutes = Math.ceil(expectedMs / 60_000);
  for (const [what, at] of deadlines) {
    if (at && at < deadline) {
      const left = Math.max(0, Math.floor((at.getTime() - now.getTime()) / 60_000));
      throw new TriageError(
        'CREDENTIALS_EXPIRING',
        `the ${what} at ${at.toISOString()} (in ${left} min), before a run of up to ${minutes} min could finish; ask the admin for a fresh bundle or lower --expect-minutes`,
        { context: { expiresAt: at.toISOString(), expectedMinutes: minutes } },
      );
    }
  }
}

/**
 * Checks, before anything is collected, that the upload can work: the
 * credentials are present and will not expire during the run, and a write of
 * one tiny object under the prefix is accepted (which also shows the bucket
 * is reachable). Nothing else is attempted: a write-only credential has no
 * right to list, read or delete, so the note stays in the bucket as a record
 * that the run started.
 *
 * @returns the tiny object's receipt
 * @throws TriageError `CREDENTIALS_EXPIRING`, and the transport's codes (`PERMISSION_DENIED`, `CREDENTIALS_INVALID`, `NOT_FOUND` for the bucket, `NETWORK_ERROR`, …)
 */
export async function preflight(options: PreflightOptions): Promise<UploadReceipt> {
  checkExpiry(
    [
      ['credentials expire', options.destination.credentials?.expiration],
      ['bundle expire', options.bundleExpiresAt],
    ],
    options.expectedMs,
    options.now(),
  );
  return options.transport
    .upload(options.key, options.body, {
      contentType: 'application/json',
      ...(options.signal ? { signal: options.signal } : {}),
    })
    .done();
}
