import { isTriageError } from '@triage/errors';

/**
 * For tests: the TriageError code a promise rejects with, `'resolved'` when
 * it resolves, or the text of a foreign error.
 */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return isTriageError(error) ? error.code : String(error);
  }
}
