/**
 * `@triage/bundle`: the collector bundle file (docs/formats/bundle.md) that
 * `triage-admin` writes and `triage-collect` reads: destination, short-lived
 * credentials or a presigned upload plan, examiner recipients and expiry.
 *
 * @packageDocumentation
 */
export {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type Bundle,
  type BundleCredentials,
  type BundlePlanRequest,
  type BundleS3,
  type BundleUploadPlan,
  bundleSecrets,
  formatBundle,
  parseBundle,
  parseBundleText,
} from './bundle.js';
export { type WriteZipOptions, writeZip, type ZipEntry } from './zip.js';
