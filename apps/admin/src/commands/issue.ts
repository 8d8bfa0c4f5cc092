import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Bundle, BundleUploadPlan } from '@triage/bundle';
import { TriageError } from '@triage/errors';
import { createTransport } from '@triage/s3-transport';
import {
  appendLedger,
  type IssuedCredentials,
  issueAssumeRole,
  issueSessionToken,
  ledgerEntryFor,
} from '@triage/sts-broker';
import { checkBundleTargets, writeBundleFolder, zipBundleFolder } from '../bundle-folder.js';
import { resolveCollectorExe } from '../collector-exe.js';
import type { Deps } from '../deps.js';
import { parseDuration, parseSize } from '../duration.js';
import { adminIdentity } from '../identity.js';
import type { StateStore } from '../state.js';

/** Flags of `triage-admin issue`. */
export interface IssueFlags {
  readonly client: string;
  readonly case: string;
  readonly host: string;
  /** Default 24h for session-token, 12h (the role maximum setup sets) for assume-role. */
  readonly ttl?: string | undefined;
  readonly mode: 'session-token' | 'assume-role' | 'presigned';
  readonly mfaCode?: string | undefined;
  /** presigned: the most bytes the collection may have; default 1GiB. */
  readonly maxSize?: string | undefined;
  readonly out?: string | undefined;
  readonly recipient?: readonly string[] | undefined;
  readonly endpoint?: string | undefined;
  /** The single-file collector to copy into the folder (default: TRIAGE_COLLECTOR_EXE, or the checkout's build). */
  readonly collectorExe?: string | undefined;
  /** Also write the folder as FOLDER.zip (0600). */
  readonly zip?: boolean | undefined;
  readonly dryRun: boolean;
}

/** What `issue` did; never holds a secret. */
export interface IssueResult {
  readonly client: string;
  readonly case: string;
  readonly host: string;
  readonly mode: string;
  readonly accessKeyId: string | null;
  readonly expiresAt: string;
  readonly scope: { readonly bucket: string; readonly prefix: string };
  readonly bundleDir: string | null;
  /** The folder as one zip (`--zip`), 0600; null without. */
  readonly bundleZip: string | null;
  /** The collector executable in the folder (with --dry-run: the one that would be copied); null for none. */
  readonly collectorExe: string | null;
  readonly ledgerId: string | null;
  readonly dryRun: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const MFA = /^\d{6}$/;

function checkTtl(mode: IssueFlags['mode'], seconds: number, roleMax: number): void {
  // Presigned URLs are signed with a GetSessionToken token and die with it.
  const [min, max] = mode === 'assume-role' ? [900, Math.min(roleMax, 43_200)] : [900, 129_600];
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new TriageError(
      'USAGE',
      `--ttl ${seconds} s is outside ${min}–${max} s for ${mode}${mode === 'assume-role' ? ' (the role maximum)' : ''}`,
    );
  }
}

async function mfaCode(flags: IssueFlags, deps: Deps, serial: string): Promise<string> {
  let code = flags.mfaCode;
  if (code === undefined) {
    if (!deps.prompt) throw new TriageError('USAGE', 'no terminal to ask for the MFA code: give --mfa-code');
    code = (await deps.prompt(`MFA code for ${serial}: `)).trim();
  }
  if (!MFA.test(code))
    throw new TriageError('USAGE', 'malformed MFA code: give the 6 digits the device shows');
  return code;
}

/**
 * `triage-admin issue`: mints short-lived upload credentials for one case
 * and host, records them in the ledger and writes the collector bundle
 * folder. Everything is validated before the MFA code is asked for, and
 * nothing is written or minted with `--dry-run`.
 *
 * @throws TriageError `NOT_FOUND` (unknown client), `USAGE` (TTL, MFA code, names), `CREDENTIALS_INVALID`, STS errors
 */
export async function issue(flags: IssueFlags, deps: Deps, store: StateStore): Promise<IssueResult> {
  const state = await store.load(flags.client);
  for (const [flag, value] of [
    ['--case', flags.case],
    ['--host', flags.host],
  ] as const) {
    if (!NAME.test(value))
      throw new TriageError('USAGE', `${flag} must be letters, digits, dot, dash or underscore`);
  }
  const maxSize = parseSize(flags.maxSize ?? '1GiB');
  if (flags.mfaCode !== undefined && !MFA.test(flags.mfaCode)) {
    throw new TriageError('USAGE', 'malformed MFA code: give the 6 digits the device shows');
  }
  const seconds = parseDuration(flags.ttl ?? (flags.mode === 'assume-role' ? '12h' : '24h'));
  checkTtl(flags.mode, seconds, state.roleMaxSessionSeconds);
  const recipients = flags.recipient && flags.recipient.length > 0 ? flags.recipient : state.recipients;
  if (recipients.length === 0) {
    throw new TriageError(
      'USAGE',
      'no examiner key: give --recipient triage1… (or store one with setup --examiner-key)',
    );
  }
  if (!state.uploaderKey) {
    throw new TriageError(
      'CONFIG_INVALID',
      `client ${state.client} has no uploader key on this machine; re-run setup`,
    );
  }
  // Before the MFA code is asked for: a wrong path must not cost a credential.
  const collectorExe = await resolveCollectorExe(flags.collectorExe, deps);
  const endpoint = flags.endpoint ?? state.endpoint;
  const adminTarget = { region: state.region, ...(endpoint ? { endpoint } : {}) };
  const admin = await adminIdentity(deps, adminTarget);
  const prefix = `${flags.case}/${flags.host}/`;
  const bundleDir = resolve(
    deps.cwd,
    flags.out ?? `triage-bundle-${state.client}-${flags.case}-${flags.host}`,
  );
  if (flags.dryRun) {
    return {
      client: state.client,
      case: flags.case,
      host: flags.host,
      mode: flags.mode,
      accessKeyId: null,
      expiresAt: new Date(deps.now().getTime() + seconds * 1000).toISOString(),
      scope: { bucket: state.bucket, prefix },
      bundleDir: null,
      bundleZip: null,
      collectorExe: collectorExe ?? null,
      ledgerId: null,
      dryRun: true,
    };
  }
  await checkBundleTargets(bundleDir, flags.zip === true);
  const code = await mfaCode(flags, deps, state.mfaSerial);
  const sts = deps.aws.sts({ ...adminTarget, credentials: state.uploaderKey });
  const issued: IssuedCredentials =
    flags.mode === 'assume-role'
      ? await issueAssumeRole({
          sts,
          roleArn: state.roleArn,
          caseId: flags.case,
          host: flags.host,
          bucket: state.bucket,
          mfaSerial: state.mfaSerial,
          mfaCode: code,
          durationSeconds: seconds,
          maxSessionDuration: state.roleMaxSessionSeconds,
          sourceIdentity: admin.name,
          now: deps.now,
        })
      : await issueSessionToken({
          sts,
          mfaSerial: state.mfaSerial,
          mfaCode: code,
          durationSeconds: seconds,
          scope: { bucket: state.bucket, prefix: '' },
          now: deps.now,
        });
  // For presigned plans the token stays here: it signs the URLs, and revoking it kills them.
  const entry = ledgerEntryFor(issued, {
    client: state.client,
    issuer: admin.name,
    case: flags.case,
    host: flags.host,
    userArn: state.uploaderUserArn,
  });
  await appendLedger(store.ledgerPath, entry);
  const s3 = {
    bucket: state.bucket,
    prefix,
    region: state.region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  };
  const base = {
    client: state.client,
    case: flags.case,
    host: flags.host,
    issuedAt: issued.issuedAt,
    s3,
    recipients,
  };
  let bundle: Bundle;
  if (flags.mode === 'presigned') {
    const transport = createTransport({
      bucket: state.bucket,
      region: state.region,
      ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      credentials: async () => ({
        accessKeyId: issued.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        sessionToken: issued.sessionToken,
        expiration: issued.expiration,
      }),
    });
    const stamp = deps
      .now()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    const key = `${prefix}${flags.host}-${stamp}-${randomBytes(4).toString('hex')}.triage`;
    const plan = await transport.presignUpload(key, {
      maxSize,
      expiresInSeconds: Math.min(seconds, 604_800),
      contentType: 'application/octet-stream',
      metadata: { 'triage-case': flags.case, 'triage-host': flags.host, 'triage-format': 'collection-1' },
    });
    bundle = { ...base, expiresAt: new Date(plan.expiresAt), uploadPlan: plan as BundleUploadPlan };
  } else {
    bundle = {
      ...base,
      expiresAt: issued.expiration,
      credentials: {
        accessKeyId: issued.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        sessionToken: issued.sessionToken,
        expiration: issued.expiration,
      },
    };
  }
  const written = await writeBundleFolder(bundleDir, bundle, flags.mode, collectorExe);
  const bundleZip = flags.zip === true ? await zipBundleFolder(written, deps.now()) : null;
  return {
    client: state.client,
    case: flags.case,
    host: flags.host,
    mode: flags.mode,
    accessKeyId: issued.accessKeyId,
    expiresAt: bundle.expiresAt.toISOString(),
    scope:
      flags.mode === 'presigned'
        ? { bucket: state.bucket, prefix: bundle.uploadPlan?.key ?? prefix }
        : issued.scope.prefix === ''
          ? { bucket: state.bucket, prefix: '(whole bucket)' }
          : issued.scope,
    bundleDir: written.dir,
    bundleZip,
    collectorExe: written.exe,
    ledgerId: entry.id,
    dryRun: false,
  };
}
