import { readFile } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseBundleText } from '@triage/bundle';
import { isTriageError, TriageError } from '@triage/errors';
import { type AuditReport, auditClient, type Finding, readPrincipalPolicies } from '@triage/provision';
import { readLedger, verifyRevocations } from '@triage/sts-broker';
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
  const iam = deps.aws.iam(target);
  const report = await auditClient({
    s3: deps.aws.s3(target),
    iam,
    client: state.client,
    bucket: state.bucket,
    region: state.region,
    ...(probe ? { probe } : {}),
    now: deps.now,
  });
  const revocations = await revocationFindings(store, state.client, state.uploaderUserArn, iam, deps);
  if (revocations.length === 0) return report;
  const findings = [...report.findings, ...revocations];
  const count = (severity: Finding['severity']) => findings.filter((f) => f.severity === severity).length;
  const summary = { high: count('high'), medium: count('medium'), low: count('low'), info: count('info') };
  return { ...report, findings, summary, hasHigh: summary.high > 0 };
}

/**
 * Every credential the ledger records as revoked, checked against the
 * policies IAM holds now (read back, not assumed): `revocation-holds` (info)
 * when still explicitly denied, `revocation-lost` (high) when not, e.g.
 * after someone deleted a `triage-revoke-*` policy.
 */
async function revocationFindings(
  store: StateStore,
  client: string,
  userArn: string,
  iam: ReturnType<Deps['aws']['iam']>,
  deps: Deps,
): Promise<Finding[]> {
  const ledger = await readLedger(store.ledgerPath).catch((error: unknown) => {
    if (isTriageError(error, 'NOT_FOUND')) return [];
    throw error;
  });
  const mine = ledger.filter((e) => e.type !== 'issue' || e.client === client);
  const checks = await verifyRevocations({
    ledger: mine,
    userArn,
    now: deps.now,
    policiesOf: async (principal) => (await readPrincipalPolicies(iam, principal)).map((d) => d.document),
  });
  return checks.map((c): Finding => {
    const what = `${c.mode} credential ${c.accessKeyId} (ledger ${c.entryId})`;
    return c.holds
      ? {
          id: 'revocation-holds',
          severity: 'info',
          message: `revoked ${what}: PutObject into its own scope is explicitly denied by the policies IAM holds now`,
          evidence: [c.reason],
        }
      : {
          id: 'revocation-lost',
          severity: c.expired ? 'medium' : 'high',
          message: `revoked ${what} is no longer denied (${c.decision}) by ${c.target}'s policies in IAM; put the triage-revoke policy back or run triage-admin revoke again`,
          evidence: [c.reason],
        };
  });
}
