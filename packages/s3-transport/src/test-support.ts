import { isTriageError } from '@triage/errors';

/**
 * For tests: the code a promise rejects with (a TriageError's code, else the
 * error's name), or `'resolved'`.
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    if (isTriageError(error)) return error.code;
    return (error as { name?: string }).name ?? String(error);
  }
}
