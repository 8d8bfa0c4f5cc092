/**
 * `@triage/bundle`: the collector bundle file (docs/formats/bundle.md) that
 * `triage-admin` writes and `triage-collect` reads: destination, short-lived
 * credentials, examiner recipients and expiry.
 *
 * @packageDocumentation
 */
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type Bundle,
  type BundleCredentials,
  type BundleS3,
  bundleSecrets,
  formatBundle,
  parseBundle,
  parseBundleText,
} from './bundle.js';
