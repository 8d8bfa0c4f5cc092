import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type Bundle, type BundleUploadPlan, bundleSecrets, parseBundleText } from '@triage/bundle';
import { TriageError } from '@triage/errors';
import type { Deps } from './deps.js';
import type { Scrubber } from './scrub.js';

/**
 * Where and how to upload; absent with `--no-upload`. It carries exactly one
 * of `credentials` and `plan` (a presigned capacity plan: no credential at all).
 */
export interface Destination {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  readonly endpoint?: string;
  readonly forcePathStyle?: boolean;
  readonly caBundle?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
    readonly expiration?: Date;
  };
  /** A presigned capacity plan for one object key (bearer URLs: secret). */
  readonly plan?: BundleUploadPlan;
}

/** Everything a run needs, from the bundle and flags together. */
export interface RunConfig {
  readonly client?: string;
  readonly case: string;
  readonly host: string;
  readonly recipients: readonly string[];
  readonly password?: string;
  readonly signingKey?: string;
  readonly destination?: Destination;
  readonly expiresAt?: Date;
}

/** The flags that shape a {@link RunConfig}. */
export interface ConfigFlags {
  readonly config?: string | undefined;
  readonly case?: string | undefined;
  readonly host?: string | undefined;
  readonly recipient?: readonly string[] | undefined;
  readonly passwordFile?: string | undefined;
  readonly signingKeyFile?: string | undefined;
  readonly bucket?: string | undefined;
  readonly prefix?: string | undefined;
  readonly region?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly forcePathStyle?: boolean | undefined;
  readonly upload: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Reads a secret file: first line, trimmed. Warns when others can read it. */
async function readSecretFile(path: string, what: string, deps: Deps): Promise<string> {
  let text: string;
  try {
    text = await readFile(resolve(deps.cwd, path), 'utf8');
  } catch (cause) {
    throw new TriageError(
      'NOT_FOUND',
      `cannot read the ${what} file ${path}; check the path and its permissions`,
      {
        cause,
        context: { path },
      },
    );
  }
  const mode = (await stat(resolve(deps.cwd, path))).mode & 0o077;
  if (mode !== 0)
    deps.stderr.write(`triage-collect: warning: ${path} is readable by other users; chmod 600 it\n`);
  const value = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (value.length === 0) throw new TriageError('CONFIG_INVALID', `the ${what} file ${path} is empty`);
  return value;
}

function sanitizeHost(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return cleaned.slice(0, 128) || 'host';
}

/**
 * Builds the run configuration from `--config` (the bundle) and flags. Flags
 * may add recipients and a password; destination flags apply only without a
 * bundle, with credentials from the standard AWS_* variables.
 *
 * @param sealing - whether a recipient or password is required (not for re-uploading a sealed file)
 * @throws TriageError `CONFIG_INVALID` (a wrong bundle field or flag), `USAGE` (nothing to seal to, no destination), `NOT_FOUND` (a file), `CREDENTIALS_EXPIRING`
 */
export async function resolveConfig(
  flags: ConfigFlags,
  deps: Deps,
  scrubber: Scrubber,
  sealing = true,
): Promise<RunConfig> {
  let bundle: Bundle | undefined;
  if (flags.config) {
    let text: string;
    try {
      text = await readFile(resolve(deps.cwd, flags.config), 'utf8');
    } catch (cause) {
      throw new TriageError('NOT_FOUND', `cannot read the bundle ${flags.config}; check the path`, {
        cause,
        context: { path: flags.config },
      });
    }
    bundle = parseBundleText(text, deps.now());
    // Secret keys, tokens, and every presigned URL and signature of a plan.
    scrubber.add(...bundleSecrets(bundle));
  }
  const password = flags.passwordFile
    ? await readSecretFile(flags.passwordFile, 'password', deps)
    : undefined;
  const signingKey = flags.signingKeyFile
    ? await readSecretFile(flags.signingKeyFile, 'signing key', deps)
    : bundle?.signingKey;
  scrubber.add(password, signingKey);
  const recipients = [...(bundle?.recipients ?? []), ...(flags.recipient ?? [])];
  if (sealing && recipients.length === 0 && password === undefined) {
    throw new TriageError(
      'USAGE',
      'nothing to seal the collection to: give --config, --recipient or --password-file',
    );
  }
  if (password !== undefined && recipients.length > 0) {
    throw new TriageError(
      'USAGE',
      'a password cannot be combined with examiner keys: drop --password-file, or use it without a bundle or --recipient',
    );
  }
  const caseId = flags.case ?? bundle?.case;
  if (!caseId || !NAME.test(caseId)) {
    throw new TriageError(
      'USAGE',
      'give --case (letters, digits, dot, dash, underscore) or a bundle with a case',
    );
  }
  if (bundle?.host && flags.host && flags.host !== bundle.host) {
    throw new TriageError(
      'USAGE',
      `this bundle is for host ${bundle.host}; drop --host or use that host's bundle`,
    );
  }
  const host = flags.host ?? bundle?.host ?? sanitizeHost(deps.hostname());
  if (!NAME.test(host))
    throw new TriageError('USAGE', '--host must be letters, digits, dot, dash or underscore');

  let destination: Destination | undefined;
  if (flags.upload) {
    if (bundle) {
      destination = bundle.uploadPlan
        ? { ...bundle.s3, plan: bundle.uploadPlan }
        : { ...bundle.s3, credentials: bundle.credentials };
    } else {
      if (!flags.bucket || !flags.region) {
        throw new TriageError(
          'USAGE',
          'nowhere to upload: give --config bundle.json, or --bucket and --region, or --no-upload',
        );
      }
      const accessKeyId = deps.env.AWS_ACCESS_KEY_ID;
      const secretAccessKey = deps.env.AWS_SECRET_ACCESS_KEY;
      if (!accessKeyId || !secretAccessKey) {
        throw new TriageError(
          'CREDENTIALS_INVALID',
          'no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or use --config',
        );
      }
      const sessionToken = deps.env.AWS_SESSION_TOKEN;
      scrubber.add(secretAccessKey, sessionToken);
      const prefix = flags.prefix ?? `${caseId}/${host}/`;
      if (!/^([A-Za-z0-9!_.*'()-]+\/)+$/.test(prefix)) {
        throw new TriageError('USAGE', '--prefix must be path segments each ending in /, e.g. IR-42/web-1/');
      }
      destination = {
        bucket: flags.bucket,
        prefix,
        region: flags.region,
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
        ...(flags.forcePathStyle ? { forcePathStyle: true } : {}),
        credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      };
    }
  }
  return {
    ...(bundle ? { client: bundle.client, expiresAt: bundle.expiresAt } : {}),
    case: caseId,
    host,
    recipients,
    ...(password === undefined ? {} : { password }),
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(destination ? { destination } : {}),
  };
}
