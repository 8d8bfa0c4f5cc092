/**
 * Test-only helpers: fake STS and IAM clients that record what they were
 * sent, and builders of ledger entries. Not part of the build's public API.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import { isTriageError } from '@triage/errors';
import type { IssueLedgerEntry } from '../ledger.js';

/** One call a fake client received. */
export interface RecordedCall {
  /** The command's class name, e.g. `AssumeRoleCommand`. */
  readonly command: string;
  readonly input: Record<string, unknown>;
}

/** A fake SDK client: `send` records the command and returns what `respond` gives (or throws what it throws). */
export function fakeClient<C extends STSClient | IAMClient = STSClient>(
  respond: (call: RecordedCall) => unknown,
): { client: C; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const call = { command: command.constructor.name, input: command.input };
      calls.push(call);
      return respond(call);
    },
  } as unknown as C;
  return { client, calls };
}

/** An SDK-shaped service error. */
export function sdkError(name: string, status: number, message = `${name} from the service`): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status, requestId: 'req-1' },
  });
}

/** The code a promise rejects with (a TriageError's code, else the error's name), or `'resolved'`. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isTriageError(error)) return error.code;
    return (error as { name?: string }).name ?? String(error);
  }
}

/** The error a function throws synchronously (fails the test when it does not throw). */
export function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw, but it returned');
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejected(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected it to reject, but it resolved');
}

export const ACCOUNT = '111122223333';
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/triage-uploader`;
export const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/triage-uploader`;
export const BUCKET = 'acme-evidence';

let counter = 0;

/** A valid issue entry: assume-role by default; `issuedAt` an ISO time, expiry one hour later unless given. */
export function issueEntry(
  overrides: Partial<IssueLedgerEntry> & { readonly issuedAt: string },
): IssueLedgerEntry {
  counter += 1;
  const mode = overrides.mode ?? 'assume-role';
  const caseId = overrides.case ?? 'IR-1';
  const host = overrides.host ?? 'web-1';
  const expiresAt = overrides.expiresAt ?? new Date(Date.parse(overrides.issuedAt) + 3_600_000).toISOString();
  const base: IssueLedgerEntry = {
    v: 1,
    type: 'issue',
    id: `entry-${counter}`,
    mode,
    accessKeyId: `ASIATEST${String(counter).padStart(12, '0')}`,
    scope: { bucket: BUCKET, prefix: mode === 'assume-role' ? `${caseId}/${host}/` : 'uploads/' },
    case: caseId,
    host,
    client: 'acme',
    issuer: 'alice',
    issuedAt: overrides.issuedAt,
    expiresAt,
    ...(mode === 'assume-role'
      ? { roleArn: ROLE_ARN, sessionName: `${caseId}-${host}`, sourceIdentity: 'alice' }
      : { userArn: USER_ARN }),
  };
  return { ...base, ...overrides, expiresAt };
}
