import { TriageError } from '@triage/errors';

/** The `format` value of a bundle file. */
export const BUNDLE_FORMAT = 'triage-bundle';
/** The bundle format version this package reads and writes. */
export const BUNDLE_VERSION = 1;

/** Where the collection goes. */
export interface BundleS3 {
  /** The evidence bucket. */
  readonly bucket: string;
  /** Key prefix the credentials may write under, ending in `/`, e.g. `IR-2026-042/web-1/`. */
  readonly prefix: string;
  /** AWS region, e.g. `eu-west-1`. */
  readonly region: string;
  /** S3-compatible endpoint URL; absent for AWS. */
  readonly endpoint?: string;
  /** Path-style addressing (MinIO and most S3-compatible servers); default false. */
  readonly forcePathStyle?: boolean;
  /** Extra CA certificates (PEM) for the endpoint. */
  readonly caBundle?: string;
}

/** Short-lived, write-only credentials. Secret: never logged. */
export interface BundleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When the credentials stop working. */
  readonly expiration?: Date;
}

/** One presigned request of an upload plan: a bearer credential. Secret: never logged. */
export interface BundlePlanRequest {
  readonly method: 'PUT' | 'POST' | 'DELETE' | 'HEAD';
  /** The presigned URL; its query holds the signature (and for STS signers the session token). */
  readonly url: string;
  /** Headers to send exactly as given (they are signed). */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A presigned capacity plan (`@triage/s3-transport`'s `PresignedPlan` with
 * `maxSize`), kept in the bundle as `presignUpload` made it (camelCase), so
 * the collector hands it to `uploadWithPlan` unchanged. Every URL in it is a
 * bearer credential: secret, never logged.
 */
export interface BundleUploadPlan {
  readonly version: 1;
  readonly bucket: string;
  /** The one object key the plan can write; under the bundle's `s3.prefix`. */
  readonly key: string;
  /** The most bytes the collection may have. */
  readonly maxSize: number;
  /** When the URLs stop working (ISO 8601). */
  readonly expiresAt: string;
  readonly kind: 'multipart';
  /** Fixed part size. */
  readonly partSize: number;
  readonly uploadId: string;
  /** Part n is `parts[n - 1]`; `ceil(maxSize / partSize)` of them. */
  readonly parts: readonly BundlePlanRequest[];
  readonly complete: BundlePlanRequest;
  readonly abort: BundlePlanRequest;
  readonly head: BundlePlanRequest;
}

/** What every bundle has, whichever way it grants the upload. */
interface BundleBase {
  readonly client: string;
  readonly case: string;
  /** The host the bundle was made for; absent when any host may use it. */
  readonly host?: string;
  readonly issuedAt: Date;
  /** After this the bundle must not be used. */
  readonly expiresAt: Date;
  readonly s3: BundleS3;
  /** Examiner public keys (`triage1…`) the collection is sealed to; at least one. */
  readonly recipients: readonly string[];
  /** Ed25519 key that signs the manifest; secret. */
  readonly signingKey?: string;
}

/**
 * A parsed, validated collector bundle. It grants the upload in exactly one
 * way: short-lived `credentials`, or a presigned `uploadPlan` (no credential
 * on the host at all).
 */
export type Bundle = BundleBase &
  (
    | { readonly credentials: BundleCredentials; readonly uploadPlan?: never }
    | { readonly uploadPlan: BundleUploadPlan; readonly credentials?: never }
  );

type Json = Record<string, unknown>;

class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field} ${problem}`);
  }
}

function object(value: unknown, field: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FieldError(field, 'must be an object');
  return value as Json;
}

function only(value: Json, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new FieldError(field ? `${field}.${key}` : key, 'is not a bundle field');
  }
}

function string(value: Json, key: string, parent: string, pattern?: RegExp, hint?: string): string {
  const field = parent ? `${parent}.${key}` : key;
  const v = value[key];
  if (v === undefined) throw new FieldError(field, 'is required');
  if (typeof v !== 'string' || v.length === 0) throw new FieldError(field, 'must be a non-empty string');
  if (pattern && !pattern.test(v)) throw new FieldError(field, hint ?? `must match ${pattern}`);
  return v;
}

function optionalString(value: Json, key: string, parent: string, pattern?: RegExp, hint?: string) {
  return value[key] === undefined ? undefined : string(value, key, parent, pattern, hint);
}

function time(value: Json, key: string, parent: string, required: boolean): Date | undefined {
  const field = parent ? `${parent}.${key}` : key;
  if (value[key] === undefined && !required) return undefined;
  const text = string(value, key, parent);
  const date = new Date(text);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
    Number.isNaN(date.getTime())
  ) {
    throw new FieldError(field, 'must be an ISO 8601 time with a zone, e.g. 2026-11-23T18:00:00Z');
  }
  return date;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const NAME_HINT = 'must be 1–128 letters, digits, dot, dash or underscore, starting with a letter or digit';
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^([A-Za-z0-9!_.*'()-]+\/)+$/;
const ACCESS_KEY = /^[A-Z0-9]{16,128}$/;
const RECIPIENT = /^triage1[02-9ac-hj-np-z]{20,}$/;
const SIGNING_KEY = /^TRIAGE-SIGNING-KEY-1[0-9A-Z]+$/;

/**
 * Validates a bundle object (as parsed from JSON). Field errors name the
 * dotted field (`s3.bucket`, `credentials.session_token`) and never include
 * a value, since several fields are secret.
 *
 * @param value - the parsed JSON
 * @param now - the current time, to refuse expired bundles; default `new Date()`
 * @returns the bundle with camelCase fields and `Date`s
 * @throws TriageError `CONFIG_INVALID` naming the wrong field (context `field`), also for both or neither of `credentials` and `upload_plan`; `CREDENTIALS_EXPIRING` when the bundle, its credentials or its upload plan have expired
 */
export function parseBundle(value: unknown, now: Date = new Date()): Bundle {
  let bundle: Bundle;
  try {
    bundle = parseFields(value);
  } catch (error) {
    if (!(error instanceof FieldError)) throw error;
    throw new TriageError(
      'CONFIG_INVALID',
      `bundle field ${error.message}; fix the bundle or ask the admin for a new one`,
      {
        context: { field: error.field },
      },
    );
  }
  const expired = [
    bundle.expiresAt,
    bundle.credentials?.expiration,
    bundle.uploadPlan ? new Date(bundle.uploadPlan.expiresAt) : undefined,
  ].find((d) => d !== undefined && d <= now);
  if (expired) {
    throw new TriageError(
      'CREDENTIALS_EXPIRING',
      `the bundle expired at ${expired.toISOString()}; ask the admin for a new bundle`,
      { context: { expiredAt: expired.toISOString() } },
    );
  }
  return bundle;
}

function parseFields(value: unknown): Bundle {
  const root = object(value, '(root)');
  only(root, '', [
    'format',
    'format_version',
    'client',
    'case',
    'host',
    'issued_at',
    'expires_at',
    's3',
    'credentials',
    'upload_plan',
    'recipients',
    'signing_key',
  ]);
  if (root.format !== BUNDLE_FORMAT) throw new FieldError('format', `must be "${BUNDLE_FORMAT}"`);
  if (root.format_version !== BUNDLE_VERSION) {
    throw new FieldError(
      'format_version',
      `must be ${BUNDLE_VERSION}; this collector reads version ${BUNDLE_VERSION} only`,
    );
  }
  const s3 = object(root.s3, 's3');
  only(s3, 's3', ['bucket', 'prefix', 'region', 'endpoint', 'force_path_style', 'ca_bundle']);
  const endpoint = optionalString(
    s3,
    'endpoint',
    's3',
    /^https?:\/\/[^\s/]+(\/.*)?$/,
    'must be an http(s) URL',
  );
  if (s3.force_path_style !== undefined && typeof s3.force_path_style !== 'boolean') {
    throw new FieldError('s3.force_path_style', 'must be true or false');
  }
  const caBundle = optionalString(
    s3,
    'ca_bundle',
    's3',
    /-----BEGIN CERTIFICATE-----/,
    'must be PEM certificates',
  );
  if (root.credentials !== undefined && root.upload_plan !== undefined) {
    throw new FieldError('upload_plan', 'cannot be combined with credentials; a bundle has one or the other');
  }
  if (root.credentials === undefined && root.upload_plan === undefined) {
    throw new FieldError('credentials', 'is required (or upload_plan, a presigned plan)');
  }
  const bucket = string(
    s3,
    'bucket',
    's3',
    BUCKET,
    'must be an S3 bucket name (3–63 lowercase letters, digits, dot, dash)',
  );
  const prefix = string(
    s3,
    'prefix',
    's3',
    PREFIX,
    'must be one or more path segments each ending in /, e.g. IR-42/web-1/',
  );
  const grant =
    root.upload_plan === undefined
      ? { credentials: credentials(root.credentials) }
      : { uploadPlan: uploadPlan(root.upload_plan, bucket, prefix) };
  if (!Array.isArray(root.recipients) || root.recipients.length === 0) {
    throw new FieldError('recipients', 'must be a non-empty list of examiner public keys (triage1…)');
  }
  root.recipients.forEach((r, i) => {
    if (typeof r !== 'string' || !RECIPIENT.test(r)) {
      throw new FieldError(`recipients[${i}]`, 'must be an examiner public key (triage1…)');
    }
  });
  const host = optionalString(root, 'host', '', NAME, NAME_HINT);
  const signingKey = optionalString(root, 'signing_key', '', SIGNING_KEY, 'must be a triage signing key');
  const issuedAt = time(root, 'issued_at', '', true) as Date;
  const expiresAt = time(root, 'expires_at', '', true) as Date;
  if (expiresAt <= issuedAt) throw new FieldError('expires_at', 'must be after issued_at');
  if (grant.uploadPlan && expiresAt > new Date(grant.uploadPlan.expiresAt)) {
    throw new FieldError('expires_at', 'must not be after upload_plan.expiresAt');
  }
  return {
    client: string(root, 'client', '', NAME, NAME_HINT),
    case: string(root, 'case', '', NAME, NAME_HINT),
    ...(host === undefined ? {} : { host }),
    issuedAt,
    expiresAt,
    s3: {
      bucket,
      prefix,
      region: string(
        s3,
        'region',
        's3',
        /^[a-z]{2}(-[a-z]+)+-\d+$/,
        'must be an AWS region such as eu-west-1',
      ),
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(s3.force_path_style === undefined ? {} : { forcePathStyle: s3.force_path_style as boolean }),
      ...(caBundle === undefined ? {} : { caBundle }),
    },
    ...grant,
    recipients: root.recipients as string[],
    ...(signingKey === undefined ? {} : { signingKey }),
  };
}

function credentials(value: unknown): BundleCredentials {
  const creds = object(value, 'credentials');
  only(creds, 'credentials', ['access_key_id', 'secret_access_key', 'session_token', 'expiration']);
  const sessionToken = optionalString(creds, 'session_token', 'credentials');
  const expiration = time(creds, 'expiration', 'credentials', false);
  return {
    accessKeyId: string(
      creds,
      'access_key_id',
      'credentials',
      ACCESS_KEY,
      'must be an access key id (A–Z, 0–9)',
    ),
    secretAccessKey: string(creds, 'secret_access_key', 'credentials'),
    ...(sessionToken === undefined ? {} : { sessionToken }),
    ...(expiration === undefined ? {} : { expiration }),
  };
}

const MIN_PART_SIZE = 5 * 1024 * 1024;
const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

function planRequest(value: unknown, field: string, method: BundlePlanRequest['method']): BundlePlanRequest {
  const r = object(value, field);
  only(r, field, ['method', 'url', 'headers']);
  if (r.method !== method) throw new FieldError(`${field}.method`, `must be "${method}"`);
  const url = string(r, 'url', field, /^https?:\/\/\S+$/, 'must be an http(s) URL');
  const headers = object(r.headers, `${field}.headers`);
  if (Object.values(headers).some((v) => typeof v !== 'string')) {
    throw new FieldError(`${field}.headers`, 'must map header names to strings');
  }
  return { method, url, headers: { ...(headers as Record<string, string>) } };
}

function wholeNumber(value: Json, key: string, min: number, max: number, hint: string): number {
  const v = value[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new FieldError(`upload_plan.${key}`, hint);
  }
  return v;
}

function uploadPlan(value: unknown, bucket: string, prefix: string): BundleUploadPlan {
  const f = 'upload_plan';
  const plan = object(value, f);
  only(plan, f, [
    'version',
    'bucket',
    'key',
    'maxSize',
    'expiresAt',
    'kind',
    'partSize',
    'uploadId',
    'parts',
    'complete',
    'abort',
    'head',
  ]);
  if (plan.version !== 1) throw new FieldError(`${f}.version`, 'must be 1');
  if (plan.kind !== 'multipart') throw new FieldError(`${f}.kind`, 'must be "multipart" (a capacity plan)');
  if (string(plan, 'bucket', f) !== bucket) throw new FieldError(`${f}.bucket`, 'must be s3.bucket');
  const key = string(plan, 'key', f);
  if (!key.startsWith(prefix) || key.length === prefix.length || Buffer.byteLength(key) > 1024) {
    throw new FieldError(`${f}.key`, 'must be an object key under s3.prefix');
  }
  const maxSize = wholeNumber(
    plan,
    'maxSize',
    1,
    MAX_OBJECT_SIZE,
    'must be a whole number of bytes from 1 to 5 TiB',
  );
  const partSize = wholeNumber(
    plan,
    'partSize',
    MIN_PART_SIZE,
    MAX_OBJECT_SIZE,
    'must be a whole number of bytes, at least 5 MiB',
  );
  const expiresAt = time(plan, 'expiresAt', f, true) as Date;
  const uploadId = string(plan, 'uploadId', f);
  const count = Math.ceil(maxSize / partSize);
  if (!Array.isArray(plan.parts) || plan.parts.length !== count) {
    throw new FieldError(
      `${f}.parts`,
      'must hold one PUT request per part, ceil(maxSize / partSize) of them',
    );
  }
  const parts = plan.parts.map((p, i) => planRequest(p, `${f}.parts[${i}]`, 'PUT'));
  return {
    version: 1,
    bucket,
    key,
    maxSize,
    expiresAt: expiresAt.toISOString(),
    kind: 'multipart',
    partSize,
    uploadId,
    parts,
    complete: planRequest(plan.complete, `${f}.complete`, 'POST'),
    abort: planRequest(plan.abort, `${f}.abort`, 'DELETE'),
    head: planRequest(plan.head, `${f}.head`, 'HEAD'),
  };
}

/**
 * Parses bundle file text.
 *
 * @param text - the file's contents
 * @param now - as for {@link parseBundle}
 * @throws TriageError `CONFIG_INVALID` for text that is not JSON (without echoing it) or a wrong field; `CREDENTIALS_EXPIRING`
 */
export function parseBundleText(text: string, now: Date = new Date()): Bundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new TriageError(
      'CONFIG_INVALID',
      'the bundle is not valid JSON; use the file triage-admin produced, unchanged',
    );
  }
  return parseBundle(value, now);
}

/**
 * Serialises a bundle to its JSON file form (the inverse of {@link parseBundle}).
 * The result holds secrets: write it with mode 0600.
 */
export function formatBundle(bundle: Bundle): string {
  const out = {
    format: BUNDLE_FORMAT,
    format_version: BUNDLE_VERSION,
    client: bundle.client,
    case: bundle.case,
    ...(bundle.host === undefined ? {} : { host: bundle.host }),
    issued_at: bundle.issuedAt.toISOString(),
    expires_at: bundle.expiresAt.toISOString(),
    s3: {
      bucket: bundle.s3.bucket,
      prefix: bundle.s3.prefix,
      region: bundle.s3.region,
      ...(bundle.s3.endpoint === undefined ? {} : { endpoint: bundle.s3.endpoint }),
      ...(bundle.s3.forcePathStyle === undefined ? {} : { force_path_style: bundle.s3.forcePathStyle }),
      ...(bundle.s3.caBundle === undefined ? {} : { ca_bundle: bundle.s3.caBundle }),
    },
    ...(bundle.credentials === undefined
      ? {}
      : {
          credentials: {
            access_key_id: bundle.credentials.accessKeyId,
            secret_access_key: bundle.credentials.secretAccessKey,
            ...(bundle.credentials.sessionToken === undefined
              ? {}
              : { session_token: bundle.credentials.sessionToken }),
            ...(bundle.credentials.expiration === undefined
              ? {}
              : { expiration: bundle.credentials.expiration.toISOString() }),
          },
        }),
    ...(bundle.uploadPlan === undefined ? {} : { upload_plan: bundle.uploadPlan }),
    recipients: [...bundle.recipients],
    ...(bundle.signingKey === undefined ? {} : { signing_key: bundle.signingKey }),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Every request of an upload plan. */
function planRequests(plan: BundleUploadPlan): BundlePlanRequest[] {
  return [...plan.parts, plan.complete, plan.abort, plan.head];
}

/**
 * The secret strings in a bundle, for a scrubber that keeps them out of every
 * output: the secret key, session token and signing key; for an upload plan,
 * every URL (presigned URLs are bearer tokens) and, on their own, each URL's
 * signature and security token (raw and decoded), so a fragment is caught too.
 */
export function bundleSecrets(bundle: Bundle): string[] {
  const secrets = [bundle.credentials?.secretAccessKey, bundle.credentials?.sessionToken, bundle.signingKey];
  if (bundle.uploadPlan) {
    for (const request of planRequests(bundle.uploadPlan)) {
      secrets.push(request.url);
      const query = request.url.split('?')[1] ?? '';
      for (const pair of query.split('&')) {
        const [name = '', raw = ''] = pair.split('=');
        if (/^x-amz-(signature|security-token)$/i.test(name)) {
          secrets.push(raw);
          try {
            secrets.push(decodeURIComponent(raw));
          } catch {
            // Not percent-encoded text: the raw value is listed already.
          }
        }
      }
    }
  }
  return [...new Set(secrets)].filter((s): s is string => typeof s === 'string' && s.length > 0);
}
