import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseBundleText } from '@triage/bundle';
import { TriageError } from '@triage/errors';
import { type AuditReport, auditClient } from '@triage/provision';
import type { Deps } from '../deps.js';
import { adminIdentity } from '../identity.js';
import type { StateStore } from '../state.js';

/** Flags of `triage-admin audit`. */
export interface AuditFlags {
  readonly client: string;
  readonly endpoint?: string | undefined;
  /** Credentials file (a bundle) whose credentials the live probe uses. */
  readonly probeBundle?: string | undefined;
}

/**
 * `triage-admin audit`: bucket public or not, encryption, versioning,
 * lifecycle, TLS-only, and what the uploader identity can do (evaluator),
 * plus a live probe with a bundle's short credential when given.
 *
 * @throws TriageError `NOT_FOUND` (unknown client), `USAGE` (a probe bundle with no credentials), `CREDENTIALS_INVALID`, AWS errors
 */
export async function audit(flags: AuditFlags, deps: Deps, store: StateStore): Promise<AuditReport> {
  const state = await store.load(flags.client);
  const endpoint = flags.endpoint ?? state.endpoint;
  const target = { region: state.region, ...(endpoint ? { endpoint } : {}) };
  await adminIdentity(deps, target);
  let probe: { s3: S3Client; prefix: string } | undefined;
  if (flags.probeBundle) {
    const bundle = parseBundleText(await readFile(flags.probeBundle, 'utf8'), deps.now());
    if (!bundle.credentials) {
      throw new TriageError(
        'USAGE',
        `${flags.probeBundle} holds a presigned upload plan, not credentials; give a session-token or assume-role bundle to --probe-bundle`,
      );
    }
    probe = {
      s3: deps.aws.s3({
        region: bundle.s3.region,
        ...(bundle.s3.endpoint ? { endpoint: bundle.s3.endpoint } : {}),
        credentials: {
          accessKeyId: bundle.credentials.accessKeyId,
          secretAccessKey: bundle.credentials.secretAccessKey,
          ...(bundle.credentials.sessionToken ? { sessionToken: bundle.credentials.sessionToken } : {}),
        },
      }),
      prefix: bundle.s3.prefix,
    };
  }
  return auditClient({
    s3: deps.aws.s3(target),
    iam: deps.aws.iam(target),
    client: state.client,
    bucket: state.bucket,
    region: state.region,
    ...(probe ? { probe } : {}),
    now: deps.now,
  });
}
