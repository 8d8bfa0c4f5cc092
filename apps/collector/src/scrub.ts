import { REDACTED, redactText } from '@triage/errors';

/**
 * Removes known secret values (from the bundle, the password file) and
 * anything secret-shaped from text before it reaches stdout, stderr, the
 * manifest log or a file next to the collection.
 */
export class Scrubber {
  readonly #secrets: string[] = [];

  /** Adds secret values; empty and very short strings are ignored. */
  add(...secrets: readonly (string | undefined)[]): void {
    for (const secret of secrets) {
      if (secret && secret.length >= 4 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
    }
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret replaced by the redaction marker. */
  text(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join(REDACTED);
    return redactText(out);
  }
}
