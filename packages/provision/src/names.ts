/**
 * The names of everything setup creates for one client, derived from the
 * client's short name, and the validation of the caller's arguments.
 */
import { TriageError } from '@triage/errors';

/** The tag every resource setup creates carries: `triage:client=<client>`. */
export const CLIENT_TAG_KEY = 'triage:client';
/** The tag naming who ran the setup that created a resource (recorded at creation only). */
export const CREATED_BY_TAG_KEY = 'triage:created-by';
/** Name of the uploader group's inline policy. */
export const GROUP_POLICY_NAME = 'triage-uploader';
/** Name of the upload role's inline permission policy. */
export const ROLE_POLICY_NAME = 'triage-upload';
/** ID of the lifecycle rule setup adds. */
export const LIFECYCLE_RULE_ID = 'triage-abort-incomplete-multipart-uploads';
/** Days after which incomplete multipart uploads are aborted. */
export const ABORT_MULTIPART_DAYS = 7;
/** The upload role's maximum session duration: 12 hours. */
export const ROLE_MAX_SESSION_SECONDS = 12 * 60 * 60;
/** The issuer shown by authenticator apps. */
export const OTP_ISSUER = 'triage';

/** The IAM names setup uses for one client. */
export interface ClientNames {
  /** `triage-<client>-uploaders` */
  readonly group: string;
  /** `triage-<client>-uploader` */
  readonly user: string;
  /** `triage-<client>-upload` */
  readonly role: string;
  /** `triage-<client>-uploader` (the virtual MFA device) */
  readonly mfaDevice: string;
}

const CLIENT = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * Checks a client's short name: 1 to 32 lower-case letters, digits and inner
 * hyphens (it becomes part of the bucket, user, group and role names).
 *
 * @throws INVALID_ARGUMENT when it is not
 */
export function checkClient(client: string): void {
  if (!CLIENT.test(client)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `Client name "${client}" is invalid: use 1 to 32 lower-case letters, digits and inner hyphens, e.g. "acme".`,
      { context: { client } },
    );
  }
}

/**
 * The IAM names for a client: group `triage-<client>-uploaders`, user and
 * MFA device `triage-<client>-uploader`, role `triage-<client>-upload`.
 *
 * @param client - the client's short name
 * @returns the names
 * @throws INVALID_ARGUMENT when the client name is invalid
 */
export function clientNames(client: string): ClientNames {
  checkClient(client);
  return {
    group: `triage-${client}-uploaders`,
    user: `triage-${client}-uploader`,
    role: `triage-${client}-upload`,
    mfaDevice: `triage-${client}-uploader`,
  };
}

/**
 * The default bucket name, `triage-<client>-<account id>`: the account id
 * makes it unique across AWS, and setup refuses a bucket another account
 * owns, so a squatter cannot catch the evidence.
 *
 * @param client - the client's short name
 * @param accountId - the 12-digit AWS account id
 * @returns `triage-<client>-<accountId>`
 * @throws INVALID_ARGUMENT when the client name is invalid
 */
export function defaultBucketName(client: string, accountId: string): string {
  checkClient(client);
  return `triage-${client}-${accountId}`;
}

/**
 * Checks a bucket name: 3 to 63 lower-case letters, digits and hyphens,
 * starting and ending with a letter or digit, without S3's reserved prefixes
 * and suffixes. Dots are refused: they break TLS certificate checks on
 * virtual-hosted-style requests.
 *
 * @throws INVALID_ARGUMENT when it is not
 */
export function checkBucket(bucket: string): void {
  const ok =
    /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) &&
    !/^(xn--|sthree-|amzn-s3-demo-)/.test(bucket) &&
    !/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(bucket);
  if (!ok) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `Bucket name "${bucket}" is invalid: use 3 to 63 lower-case letters, digits and hyphens (no dots).`,
      { context: { bucket } },
    );
  }
}

/**
 * Checks an AWS region name such as `eu-west-1` or `us-gov-west-1`.
 *
 * @throws INVALID_ARGUMENT when it does not look like one
 */
export function checkRegion(region: string): void {
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(region)) {
    throw new TriageError('INVALID_ARGUMENT', `"${region}" is not an AWS region name such as "eu-west-1".`, {
      context: { region },
    });
  }
}

/**
 * Checks a value for an IAM tag (the admin's name): 1 to 256 letters, digits,
 * spaces and `_ . : / = + - @`.
 *
 * @throws INVALID_ARGUMENT when it is not
 */
export function checkTagValue(name: string, value: string): void {
  if (!/^[\p{L}\p{N} _.:/=+\-@]{1,256}$/u.test(value)) {
    throw new TriageError(
      'INVALID_ARGUMENT',
      `${name} "${value}" cannot be an AWS tag value: use 1 to 256 letters, digits, spaces and _.:/=+-@.`,
      { context: { [name]: value } },
    );
  }
}
