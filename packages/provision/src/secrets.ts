/**
 * Results that carry secrets: the secret fields are non-enumerable, so
 * printing a result (`JSON.stringify`, `console.log`, `util.inspect`,
 * spreading it into a log record) never shows them; code reads them by name.
 */

/**
 * The uploader user's new access key. `secretAccessKey` is non-enumerable:
 * read it by name, store it 0600, never print or log it.
 */
export interface UploaderAccessKey {
  readonly userName: string;
  readonly accessKeyId: string;
  /** The secret; returned once by IAM. Non-enumerable. */
  readonly secretAccessKey: string;
}

/**
 * The uploader's new virtual MFA device. The seed, the otpauth URI and the QR
 * code (which encodes the URI) are the same secret: show the QR code once,
 * never store or log them. They are non-enumerable.
 */
export interface MfaEnrolment {
  readonly userName: string;
  /** The device's ARN, which AssumeRole and GetSessionToken take as `SerialNumber`. */
  readonly serialNumber: string;
  /** The TOTP seed, RFC 4648 base32. Non-enumerable. */
  readonly seedBase32: string;
  /** `otpauth://totp/triage:<user>?secret=…&issuer=triage`, for a QR code. Non-enumerable. */
  readonly otpauthUri: string;
  /** The QR code IAM rendered (a PNG of the otpauth URI). Non-enumerable. */
  readonly qrCodePng: Uint8Array;
}

/** `open` with the `hidden` fields added as non-enumerable, read-only properties. */
export function withHiddenFields<T extends object, H extends object>(open: T, hidden: H): T & H {
  const out = { ...open } as T & H;
  for (const [key, value] of Object.entries(hidden)) {
    Object.defineProperty(out, key, { value, enumerable: false, writable: false, configurable: false });
  }
  return Object.freeze(out);
}
