import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { TriageError } from '@triage/errors';
import { type ApplyResult, applySetup, planSetup, type SetupPlan } from '@triage/provision';
import QRCode from 'qrcode';
import type { Deps } from '../deps.js';
import { adminIdentity } from '../identity.js';
import type { ClientState, StateStore } from '../state.js';

/** Flags of `triage-admin setup`. */
export interface SetupFlags {
  readonly client: string;
  readonly region: string;
  readonly bucket?: string | undefined;
  readonly kmsKey?: string | undefined;
  readonly examinerKey?: readonly string[] | undefined;
  readonly mfaPng?: string | undefined;
  readonly endpoint?: string | undefined;
  readonly dryRun: boolean;
}

/** What `setup` did; never holds a secret. */
export interface SetupOutcome {
  readonly plan: SetupPlan;
  readonly result: ApplyResult;
  readonly stateFile: string | null;
  /** Where the MFA QR code PNG went (0600), when asked for. */
  readonly mfaPng: string | null;
  /** Warnings for the admin (e.g. a key this machine does not hold). */
  readonly warnings: readonly string[];
}

const RECIPIENT = /^triage1[02-9ac-hj-np-z]{20,}$/;

async function writeSecretFile(path: string, bytes: Uint8Array): Promise<void> {
  const file = await open(path, 'wx', 0o600);
  try {
    await file.writeFile(bytes);
  } finally {
    await file.close();
  }
}

/**
 * `triage-admin setup`: plans and applies the client's hardened bucket and
 * write-only uploader identity (idempotent: a second run is all `ok`), then
 * keeps what `issue` needs in the 0600 client state. The new MFA device's
 * QR code is shown once on the terminal (and as a 0600 PNG with
 * `--mfa-png`); its seed is never stored.
 *
 * @throws TriageError `USAGE` (names, keys), `CREDENTIALS_INVALID` (no admin credentials), provision errors
 */
export async function setup(flags: SetupFlags, deps: Deps, store: StateStore): Promise<SetupOutcome> {
  for (const key of flags.examinerKey ?? []) {
    if (!RECIPIENT.test(key))
      throw new TriageError('USAGE', '--examiner-key must be an examiner public key (triage1…)');
  }
  const target = { region: flags.region, ...(flags.endpoint ? { endpoint: flags.endpoint } : {}) };
  const admin = await adminIdentity(deps, target);
  const s3 = deps.aws.s3(target);
  const iam = deps.aws.iam(target);
  const plan = await planSetup({
    s3,
    iam,
    sts: deps.aws.sts(target),
    client: flags.client,
    region: flags.region,
    ...(flags.bucket ? { bucket: flags.bucket } : {}),
    ...(flags.kmsKey ? { kmsKeyId: flags.kmsKey } : {}),
    adminName: admin.name,
  });
  const result = await applySetup(plan, { s3, iam, dryRun: flags.dryRun, now: deps.now });
  const warnings: string[] = [];
  if (flags.dryRun) return { plan, result, stateFile: null, mfaPng: null, warnings };

  let mfaPng: string | null = null;
  if (result.mfa) {
    const uri = result.mfa.otpauthUri;
    if (deps.stderr.isTTY) {
      deps.stderr.write(
        `Scan this QR code into the authenticator that will approve uploads for ${flags.client} (shown once):\n${await QRCode.toString(uri, { type: 'terminal', small: true })}\n`,
      );
    }
    if (flags.mfaPng) {
      mfaPng = resolve(deps.cwd, flags.mfaPng);
      await writeSecretFile(mfaPng, await QRCode.toBuffer(uri, { type: 'png' }));
    }
    if (!deps.stderr.isTTY && !flags.mfaPng) {
      warnings.push(
        'the new MFA device was enabled but no terminal or --mfa-png was there to show its QR code; re-create it with setup after deleting the device',
      );
    }
  }

  const earlier = await store.find(flags.client);
  const uploaderKey = result.accessKey
    ? { accessKeyId: result.accessKey.accessKeyId, secretAccessKey: result.accessKey.secretAccessKey }
    : earlier?.uploaderKey;
  if (!uploaderKey) {
    warnings.push(
      `the uploader ${plan.names.user} already has an access key this machine does not hold: delete it in IAM and re-run setup before issuing`,
    );
  }
  const recipients = [...new Set([...(earlier?.recipients ?? []), ...(flags.examinerKey ?? [])])];
  const now = deps.now().toISOString();
  const state: ClientState = {
    client: flags.client,
    region: flags.region,
    ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
    accountId: plan.accountId,
    bucket: plan.bucket,
    uploaderUserName: plan.names.user,
    uploaderUserArn: plan.arns.user,
    roleArn: plan.arns.role,
    roleMaxSessionSeconds: 43_200,
    mfaSerial: plan.arns.mfaDevice,
    ...(uploaderKey ? { uploaderKey } : {}),
    recipients,
    createdAt: earlier?.createdAt ?? now,
    updatedAt: now,
  };
  const same =
    earlier !== undefined &&
    JSON.stringify({ ...earlier, updatedAt: '' }) === JSON.stringify({ ...state, updatedAt: '' });
  // A second run that changes nothing leaves the state file as it was.
  const stateFile = same ? null : await store.save(state);
  return { plan, result, stateFile, mfaPng, warnings };
}
