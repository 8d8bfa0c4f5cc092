/**
 * Findings from a lineage graph, each mapped to MITRE ATT&CK (Enterprise,
 * cloud) techniques and backed by CloudTrail `eventID`s.
 */
import type { LineageGraph, MintEdge } from './lineage.js';

/** A MITRE ATT&CK technique. */
export interface AttackTechnique {
  /** e.g. `T1550.001`. */
  readonly id: string;
  readonly name: string;
}

/** The ATT&CK techniques findings use. */
export const ATTACK: Readonly<Record<string, AttackTechnique>> = Object.freeze({
  T1550_001: { id: 'T1550.001', name: 'Use Alternate Authentication Material: Application Access Token' },
  T1098_001: { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' },
  T1548_005: { id: 'T1548.005', name: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access' },
  T1078_004: { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
  T1619: { id: 'T1619', name: 'Cloud Storage Object Discovery' },
  T1530: { id: 'T1530', name: 'Data from Cloud Storage' },
  T1552_005: { id: 'T1552.005', name: 'Unsecured Credentials: Cloud Instance Metadata API' },
});

/** What a finding is about. */
export type FindingRule =
  | 'session-token-from-long-term-key'
  | 'federation-token-from-long-term-key'
  | 'minted-key-other-address'
  | 'assume-role-by-user'
  | 'role-chaining'
  | 'assume-role-denied'
  | 's3-listing-by-derived-key'
  | 's3-read-by-derived-key'
  | 's3-large-egress'
  | 'orphan-key'
  | 'instance-credentials-used'
  | 'use-after-revocation'
  | 'collector-credential-misuse';

/** One finding. */
export interface Finding {
  readonly rule: FindingRule;
  readonly severity: 'low' | 'medium' | 'high';
  readonly title: string;
  readonly techniques: readonly AttackTechnique[];
  /** The access keys involved, the acting key first. */
  readonly keys: readonly string[];
  /** CloudTrail `eventID`s that show it. */
  readonly evidence: readonly string[];
  /** One line for people. */
  readonly detail: string;
  /** When it happened (ISO): the minting call, or the first use it is about. */
  readonly at: string | undefined;
}

/** Options for {@link detectFindings}. */
export interface FindingOptions {
  /** Bytes read by one derived key that count as large egress; default 1 GiB. */
  readonly egressThresholdBytes?: number;
}

const T = ATTACK as Record<string, AttackTechnique>;
const tech = (...ids: string[]) => ids.map((id) => T[id] as AttackTechnique);

/**
 * Finds the suspicious steps in a graph: GetSessionToken or
 * GetFederationToken by a long-term key, a minted key used from another
 * address than the one that minted it, AssumeRole by a user and role
 * chaining, S3 listing, reading and large egress by derived keys, orphan
 * keys, instance-profile keys, uses after a revocation and collector
 * credentials used for anything but writing under their prefix.
 *
 * @param graph - from `buildLineage` / `traceTrail`
 * @param options - see {@link FindingOptions}
 * @returns the findings, most severe first, in time order within a severity
 */
export function detectFindings(graph: LineageGraph, options: FindingOptions = {}): Finding[] {
  const threshold = options.egressThresholdBytes ?? 1024 ** 3;
  const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
  const edgeOf = new Map(graph.edges.map((e) => [e.eventId, e]));
  const mintOf = new Map(
    graph.edges.flatMap((e) => (e.childKey === undefined ? [] : [[e.childKey, e] as const])),
  );
  const out: Finding[] = [];
  const keysOf = (e: MintEdge) => [e.parentKey, e.childKey].filter((k): k is string => k !== undefined);

  for (const e of graph.edges) {
    const parent = e.parentKey === undefined ? undefined : byKey.get(e.parentKey);
    const fromLongTerm = e.parentKey?.startsWith('AKIA') === true;
    if (e.kind === 'GetSessionToken' && fromLongTerm) {
      out.push({
        rule: 'session-token-from-long-term-key',
        severity: 'medium',
        title: 'Long-term key minted a session token',
        techniques: tech('T1550_001', 'T1098_001'),
        keys: keysOf(e),
        evidence: [e.eventId],
        detail: `${e.parentKey} (${e.parentArn ?? '?'}) called GetSessionToken at ${e.eventTime} from ${e.sourceIp ?? '?'}${e.mfa ? ' with MFA' : ' without MFA'}`,
        at: e.eventTime,
      });
    }
    if (e.kind === 'GetFederationToken' && fromLongTerm) {
      out.push({
        rule: 'federation-token-from-long-term-key',
        severity: 'high',
        title: 'Long-term key minted a federation token',
        techniques: tech('T1098_001', 'T1550_001'),
        keys: keysOf(e),
        evidence: [e.eventId],
        detail: `${e.parentKey} (${e.parentArn ?? '?'}) called GetFederationToken for ${e.sessionArn ?? '?'} at ${e.eventTime}`,
        at: e.eventTime,
      });
    }
    // AssumeRole by a person's key, or by a role session (chaining); services assuming their roles are routine.
    const chained = e.parentType === 'AssumedRole' || parent?.identityType === 'AssumedRole';
    const byUser = e.parentType === 'IAMUser' || e.parentType === 'Root' || e.parentType === 'FederatedUser';
    if (e.kind === 'AssumeRole' && (chained || byUser)) {
      out.push({
        rule: chained ? 'role-chaining' : 'assume-role-by-user',
        severity: chained ? 'high' : 'medium',
        title: chained
          ? 'Role chaining: a role session assumed another role'
          : `AssumeRole by ${e.parentType}`,
        techniques: tech('T1548_005', 'T1078_004'),
        keys: keysOf(e),
        evidence: [e.eventId],
        detail: `${e.parentArn ?? e.parentKey ?? '?'} assumed ${e.roleArn ?? '?'} at ${e.eventTime} from ${e.sourceIp ?? '?'}`,
        at: e.eventTime,
      });
    }
    const child = e.childKey === undefined ? undefined : byKey.get(e.childKey);
    if (child !== undefined && e.parentType !== 'AWSService' && isAddress(e.sourceIp)) {
      const other = child.sourceIps.filter((u) => u.ip !== e.sourceIp && isAddress(u.ip));
      if (other.length > 0) {
        out.push({
          rule: 'minted-key-other-address',
          severity: 'high',
          title: 'Minted key used from another address than the one that minted it',
          techniques: tech('T1550_001', 'T1078_004'),
          keys: keysOf(e),
          evidence: [e.eventId, ...other.map((u) => u.firstEventId)],
          detail: `${child.accessKeyId} was minted from ${e.sourceIp} and used from ${other.map((u) => u.ip).join(', ')}`,
          at: other[0]?.firstSeen,
        });
      }
    }
  }
  for (const e of graph.failedMints) {
    out.push({
      rule: 'assume-role-denied',
      severity: 'low',
      title: `${e.kind} denied (${e.errorCode ?? 'error'})`,
      techniques: tech('T1548_005'),
      keys: keysOf(e),
      evidence: [e.eventId],
      detail: `${e.parentArn ?? e.parentKey ?? '?'} tried ${e.kind} on ${e.roleArn ?? '?'} at ${e.eventTime}`,
      at: e.eventTime,
    });
  }
  for (const k of graph.keys) {
    const derived = k.kind === 'temporary' && (k.origin === 'minted' || k.origin === 'orphan');
    const lineage = [
      k.accessKeyId,
      ...ancestors(k.mintedBy === undefined ? undefined : edgeOf.get(k.mintedBy), mintOf),
    ];
    if (derived && k.s3.listCalls > 0) {
      out.push({
        rule: 's3-listing-by-derived-key',
        severity: 'medium',
        title: 'S3 listing with a derived key',
        techniques: tech('T1619'),
        keys: lineage,
        evidence: k.s3.evidence.list,
        detail: `${k.accessKeyId} listed ${k.s3.listed.map((l) => `s3://${l.bucket}/${l.prefix}`).join(', ')} (${k.s3.listCalls} calls)`,
        at: k.firstUse,
      });
    }
    if (derived && k.s3.readCalls > 0) {
      out.push({
        rule: 's3-read-by-derived-key',
        severity: 'high',
        title: 'S3 objects read with a derived key',
        techniques: tech('T1530'),
        keys: lineage,
        evidence: k.s3.evidence.read,
        detail: `${k.accessKeyId} read ${k.s3.read.length} objects, ${k.s3.bytesOut} bytes`,
        at: k.firstUse,
      });
    }
    if (derived && k.s3.bytesOut >= threshold) {
      out.push({
        rule: 's3-large-egress',
        severity: 'high',
        title: 'Large S3 egress with a derived key',
        techniques: tech('T1530'),
        keys: lineage,
        evidence: k.s3.evidence.read,
        detail: `${k.accessKeyId} read ${k.s3.bytesOut} bytes (threshold ${threshold})`,
        at: k.firstUse,
      });
    }
    if (k.origin === 'orphan') {
      out.push({
        rule: 'orphan-key',
        severity: 'medium',
        title: 'Temporary key whose minting is not in the input',
        techniques: tech('T1078_004'),
        keys: [k.accessKeyId],
        evidence: k.sourceIps.map((u) => u.firstEventId).slice(0, 20),
        detail: `${k.accessKeyId} (${k.principalArn ?? '?'}) was used ${k.events} times from ${k.sourceIps.map((u) => u.ip).join(', ')}; widen the time range or add the issuing account's trail`,
        at: k.firstUse,
      });
    }
    // Instance credentials normally come from the instance's own (often private) address; flag public ones.
    const outside = k.sourceIps.filter((u) => isAddress(u.ip) && !isPrivateAddress(u.ip));
    if (k.origin === 'instance-profile' && outside.length > 0) {
      out.push({
        rule: 'instance-credentials-used',
        severity: 'low',
        title: 'EC2 instance-profile credentials used from a public address; check it is the instance’s',
        techniques: tech('T1552_005', 'T1078_004'),
        keys: [k.accessKeyId],
        evidence: outside.map((u) => u.firstEventId).slice(0, 20),
        detail: `${k.accessKeyId} (${k.principalArn ?? '?'}) used from ${outside.map((u) => u.ip).join(', ')}`,
        at: k.firstUse,
      });
    }
  }
  for (const h of graph.revocationHits) {
    const held = h.succeeded === 0;
    out.push({
      rule: 'use-after-revocation',
      severity: held ? 'medium' : 'high',
      title: held
        ? 'Revoked key still tried (every call refused)'
        : 'Key used successfully after its revocation',
      techniques: tech('T1078_004'),
      keys: h.accessKeyId === undefined ? [] : [h.accessKeyId],
      evidence: h.evidence,
      detail: `${h.accessKeyId ?? h.principalArn ?? '?'} made ${h.count} calls at or after ${h.revocation.at.toISOString()}${h.revocation.label ? ` (${h.revocation.label})` : ''}, ${h.succeeded} not refused (first ${h.firstUse})`,
      at: h.firstUse,
    });
  }
  for (const v of graph.collectorViolations) {
    const calls = Object.keys(v.calls);
    const extra = [
      ...(calls.some((c) => c.startsWith('List')) ? tech('T1619') : []),
      ...(calls.includes('GetObject') ? tech('T1530') : []),
    ];
    out.push({
      rule: 'collector-credential-misuse',
      severity: 'high',
      title: 'Collector credential used for more than writing under its prefix',
      techniques: [...tech('T1078_004'), ...extra],
      keys: [v.credential.accessKeyId],
      evidence: v.evidence,
      detail: `${v.credential.accessKeyId} (s3://${v.credential.bucket}/${v.credential.prefix}) made ${v.count} other calls: ${calls.map((c) => `${c}×${v.calls[c]}`).join(', ')} from ${v.sourceIps.join(', ')}`,
      at: v.firstTime,
    });
  }
  const rank = { high: 0, medium: 1, low: 2 } as const;
  return out.sort((a, b) => rank[a.severity] - rank[b.severity] || (a.at ?? '').localeCompare(b.at ?? ''));
}

/** An IPv4 or IPv6 literal, not a service name (`lambda.amazonaws.com`) or `AWS Internal`. */
function isAddress(value: string | undefined): value is string {
  return (
    value !== undefined &&
    (/^\d{1,3}(\.\d{1,3}){3}$/.test(value) || (value.includes(':') && /^[0-9a-fA-F:.]+$/.test(value)))
  );
}

/** RFC 1918, loopback, link-local, CGNAT (100.64/10), and IPv6 ULA/link-local/loopback. */
function isPrivateAddress(ip: string): boolean {
  if (ip.includes(':')) return /^(fc|fd|fe8|fe9|fea|feb)/i.test(ip) || ip === '::1';
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

function ancestors(mint: MintEdge | undefined, mintOf: ReadonlyMap<string, MintEdge>): string[] {
  const out: string[] = [];
  let edge = mint;
  const seen = new Set<string>();
  while (edge?.parentKey !== undefined && !seen.has(edge.parentKey)) {
    seen.add(edge.parentKey);
    out.push(edge.parentKey);
    edge = mintOf.get(edge.parentKey);
  }
  return out;
}
