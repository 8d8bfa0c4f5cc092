/**
 * `user_account` records from the SAM hive and the ProfileList.
 *
 * SAM: each `SAM\Domains\Account\Users\<RID in hex>` key has an F value
 * (fixed-size: times, RID, account control bits, counts) and a V value
 * (variable: a table of offset/length pairs, then the name, full name,
 * comment… from offset 0xCC). The layouts follow RegRipper's `samparse`
 * plugin and libyal's SAM notes: F at 0x08 last logon, 0x18 password last
 * set, 0x20 account expires, 0x28 last failed logon (FILETIMEs; 0 and
 * 0x7FFFFFFFFFFFFFFF mean never), 0x30 RID, 0x38 account control bits
 * (ACB, 16 bits), 0x40 bad password count, 0x42 logon count; V entries of 12
 * bytes (offset, length, unused) at 0x0C name, 0x18 full name, 0x24 comment.
 * The machine SID is the last 24 bytes of `SAM\Domains\Account`'s V value.
 * The password hashes in V are never read.
 *
 * ProfileList (`SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\<SID>`):
 * `ProfileImagePath` is the account's profile folder (its `home`); a
 * profile of a SID the SAM does not hold (a domain account, the service
 * accounts) becomes a record of its own.
 */
import type { AccountFlag, ArtifactRecord, UserAccount } from '@triage/artifact-schema';
import type { RegistryKey } from '../regf/hive.js';
import { HIVE_PATHS, type LoadedHive, type WindowsCollectContext, type WindowsCollector } from './context.js';
import { baseName, expandEnvironment } from './paths.js';
import { dateOf, filetimeAt } from './time.js';
import { textValue } from './values.js';

/** The ACB bits (Samba's samr.idl names, in snake case), lowest first. */
const ACCOUNT_FLAGS: readonly AccountFlag[] = [
  'disabled',
  'home_dir_required',
  'password_not_required',
  'temp_duplicate',
  'normal',
  'mns_logon',
  'interdomain_trust',
  'workstation_trust',
  'server_trust',
  'password_never_expires',
  'locked_out',
  'encrypted_text_password_allowed',
  'smartcard_required',
  'trusted_for_delegation',
  'not_delegated',
  'use_des_key_only',
];

/** The names of the set account control bits, lowest bit first. */
export function accountFlags(bits: number): AccountFlag[] {
  return ACCOUNT_FLAGS.filter((_, i) => (bits & (1 << i)) !== 0);
}

/** What the F value of a SAM user holds. */
export interface SamF {
  readonly lastLogon: string | null;
  readonly passwordLastSet: string | null;
  readonly accountExpires: string | null;
  readonly lastFailedLogon: string | null;
  readonly rid: number;
  readonly accountControl: number;
  readonly failedLogonCount: number;
  readonly logonCount: number;
}

/**
 * Decodes a SAM user's F value.
 *
 * @returns the fields, or null when the value is shorter than the 0x44 bytes they need
 */
export function parseSamF(f: Uint8Array): SamF | null {
  if (f.length < 0x44) return null;
  const view = new DataView(f.buffer, f.byteOffset, f.byteLength);
  return {
    lastLogon: filetimeAt(f, 0x08),
    passwordLastSet: filetimeAt(f, 0x18),
    accountExpires: filetimeAt(f, 0x20),
    lastFailedLogon: filetimeAt(f, 0x28),
    rid: view.getUint32(0x30, true),
    accountControl: view.getUint16(0x38, true),
    failedLogonCount: view.getUint16(0x40, true),
    logonCount: view.getUint16(0x42, true),
  };
}

/** What the V value of a SAM user holds that we read (never the hashes). */
export interface SamV {
  readonly name: string | null;
  readonly fullName: string | null;
  readonly comment: string | null;
}

/** One UTF-16LE string of a V value's table entry at `entry`, or null when it lies outside the value. */
function vString(v: Uint8Array, entry: number): string | null {
  if (v.length < entry + 8) return null;
  const view = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const offset = 0xcc + view.getUint32(entry, true);
  const length = view.getUint32(entry + 4, true);
  if (length === 0) return '';
  if (offset + length > v.length || length > 0x10000) return null;
  return Buffer.from(v.subarray(offset, offset + length - (length % 2))).toString('utf16le');
}

/** Decodes the name, full name and comment of a SAM user's V value; a field outside the value is null. */
export function parseSamV(v: Uint8Array): SamV {
  return { name: vString(v, 0x0c), fullName: vString(v, 0x18), comment: vString(v, 0x24) };
}

/**
 * The machine SID held in the last 24 bytes of `SAM\Domains\Account`'s V
 * value: revision 1, 4 sub-authorities, authority 5, `21-x-y-z`.
 *
 * @returns `S-1-5-21-x-y-z`, or null when those bytes are not such a SID
 */
export function machineSid(v: Uint8Array): string | null {
  if (v.length < 24) return null;
  const sid = v.subarray(v.length - 24);
  const view = new DataView(sid.buffer, sid.byteOffset, 24);
  if (sid[0] !== 1 || sid[1] !== 4) return null;
  if (sid.subarray(2, 7).some((b) => b !== 0) || sid[7] !== 5) return null;
  const subs = [8, 12, 16, 20].map((at) => view.getUint32(at, true));
  if (subs[0] !== 21) return null;
  return `S-1-5-${subs.join('-')}`;
}

/** Names of the well-known accounts that have profiles but no SAM entry. */
const WELL_KNOWN: Readonly<Record<string, string>> = {
  'S-1-5-18': 'SYSTEM',
  'S-1-5-19': 'LOCAL SERVICE',
  'S-1-5-20': 'NETWORK SERVICE',
};

interface Profile {
  readonly sid: string;
  readonly home: string | null;
}

async function profileList(ctx: WindowsCollectContext, software: LoadedHive | null): Promise<Profile[]> {
  const list = await software?.hive.key('Microsoft\\Windows NT\\CurrentVersion\\ProfileList');
  if (!list) return [];
  const out: Profile[] = [];
  for (const key of await list.subkeys()) {
    if (!/^S-1-[0-9-]+$/.test(key.name)) continue;
    const raw = await textValue(key, 'ProfileImagePath');
    out.push({ sid: key.name, home: raw === null ? null : expandEnvironment(raw, ctx.env) });
  }
  return out;
}

async function samUser(
  ctx: WindowsCollectContext,
  key: RegistryKey,
  domainSid: string | null,
  homes: ReadonlyMap<string, string | null>,
): Promise<Omit<UserAccount, 'kind' | 'source' | 'collected_at'> | null> {
  const fValue = await key.value('F');
  const vValue = await key.value('V');
  if (!fValue || !vValue) {
    ctx.log(`SAM user key ${key.name} lacks its F or V value; skipped`);
    return null;
  }
  const f = parseSamF(fValue.data);
  if (f === null) {
    ctx.log(`SAM user key ${key.name}: F value of ${fValue.data.length} bytes is too short; skipped`);
    return null;
  }
  const v = parseSamV(vValue.data);
  const rid = f.rid !== 0 ? f.rid : Number.parseInt(key.name, 16);
  const sid = domainSid === null ? null : `${domainSid}-${rid}`;
  const flags = accountFlags(f.accountControl);
  const disabled = flags.includes('disabled');
  return {
    username: v.name ?? `RID ${rid}`,
    uid: null,
    gid: null,
    gecos: v.fullName,
    home: sid === null ? null : (homes.get(sid) ?? null),
    shell: null,
    password_status: flags.includes('locked_out') ? 'locked' : disabled ? 'disabled' : 'unknown',
    last_change: dateOf(f.passwordLastSet),
    min_days: null,
    max_days: null,
    warn_days: null,
    inactive_days: null,
    expires: dateOf(f.accountExpires),
    sid,
    rid,
    account_control: f.accountControl,
    account_flags: flags,
    disabled,
    comment: v.comment,
    last_logon: f.lastLogon,
    last_failed_logon: f.lastFailedLogon,
    password_last_set: f.passwordLastSet,
    account_expires: f.accountExpires,
    logon_count: f.logonCount,
    failed_logon_count: f.failedLogonCount,
  };
}

async function* collectAccounts(ctx: WindowsCollectContext): AsyncGenerator<ArtifactRecord> {
  let sam: LoadedHive | null = null;
  try {
    sam = await ctx.hive('SAM');
  } catch (error) {
    ctx.error(`${ctx.env.systemDrive}\\${HIVE_PATHS.SAM}`, error);
  }
  let software: LoadedHive | null = null;
  try {
    software = await ctx.hive('SOFTWARE');
  } catch (error) {
    ctx.error(undefined, error);
  }
  const profiles = await profileList(ctx, software);
  const homes = new Map(profiles.map((p) => [p.sid, p.home]));
  const seen = new Set<string>();
  if (sam === null) ctx.log('no readable SAM hive: local accounts not collected');
  else {
    const account = await sam.hive.key('SAM\\Domains\\Account');
    const accountV = await account?.value('V');
    const domainSid = accountV ? machineSid(accountV.data) : null;
    if (domainSid === null)
      ctx.log('the machine SID is not in SAM\\Domains\\Account\\V; accounts have no sid');
    const users = await sam.hive.key('SAM\\Domains\\Account\\Users');
    for (const key of (await users?.subkeys()) ?? []) {
      if (!/^[0-9A-Fa-f]{8}$/.test(key.name)) continue;
      const fields = await samUser(ctx, key, domainSid, homes);
      if (fields === null) continue;
      if (fields.sid) seen.add(fields.sid);
      yield ctx.record('user_account', sam.file.path, fields);
    }
  }
  for (const profile of profiles) {
    if (seen.has(profile.sid) || software === null) continue;
    const rid = /^S-1-5-21-\d+-\d+-\d+-(\d+)$/.exec(profile.sid)?.[1];
    yield ctx.record('user_account', software.file.path, {
      username: WELL_KNOWN[profile.sid] ?? (profile.home === null ? profile.sid : baseName(profile.home)),
      uid: null,
      gid: null,
      gecos: null,
      home: profile.home,
      shell: null,
      password_status: 'unknown',
      last_change: null,
      min_days: null,
      max_days: null,
      warn_days: null,
      inactive_days: null,
      expires: null,
      sid: profile.sid,
      rid: rid === undefined ? null : Number(rid),
      account_control: null,
      account_flags: null,
      disabled: null,
      comment: null,
      last_logon: null,
      last_failed_logon: null,
      password_last_set: null,
      account_expires: null,
      logon_count: null,
      failed_logon_count: null,
    });
  }
}

/** Local accounts (SAM) and the profiles of other accounts (ProfileList). */
export const accountsCollector: WindowsCollector = {
  name: 'accounts',
  kinds: ['user_account'],
  collect: collectAccounts,
};
