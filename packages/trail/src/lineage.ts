/**
 * The credential lineage graph: one node per access key, one edge per STS
 * call that minted a key, joined on `responseElements.credentials.accessKeyId`
 * (or, when the response holds no credentials, on the session's ARN and
 * `sessionContext.attributes.creationDate` equal to the minting `eventTime`).
 * Built in one pass with memory bounded by the number of keys, not events.
 */
import { parseTrailTime, type TrailEvent } from './reader.js';

/** `long-term` for `AKIA…` keys, `temporary` for `ASIA…`, `unknown` otherwise. */
export type KeyKind = 'long-term' | 'temporary' | 'unknown';

/**
 * Where a key came from: `long-term` (an IAM user's or root's key),
 * `minted` (its minting call is in the input), `console` (a console
 * session), `service` (an AWS service acting for the principal, a
 * service-linked role), `instance-profile` (EC2 delivered it to an instance:
 * its AssumeRole is made by EC2 and not in the account's trail), `sso` (IAM
 * Identity Center, `AWSReservedSSO_*` roles, minted by the portal) or
 * `orphan` (a temporary key whose minting is not in the input).
 */
export type KeyOrigin =
  | 'long-term'
  | 'minted'
  | 'console'
  | 'service'
  | 'instance-profile'
  | 'sso'
  | 'orphan';

/** The STS calls that mint a key. */
export const MINTING_EVENTS: readonly string[] = [
  'GetSessionToken',
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'GetFederationToken',
];

/** One source address of a key. */
export interface AddressUse {
  readonly ip: string;
  readonly count: number;
  /** The first event from it (in input order). */
  readonly firstEventId: string;
  readonly firstSeen: string;
}

/** S3 objects a key read or wrote. */
export interface S3ObjectUse {
  readonly bucket: string;
  readonly key: string;
  readonly count: number;
  readonly bytes: number;
}

/** A bucket (and prefix) a key listed. */
export interface S3ListUse {
  readonly bucket: string;
  readonly prefix: string;
  readonly count: number;
}

/** What a key did in S3. Object lists stop at {@link LineageOptions.maxObjectsPerKey}; totals never do. */
export interface S3Activity {
  readonly listed: readonly S3ListUse[];
  readonly read: readonly S3ObjectUse[];
  readonly written: readonly S3ObjectUse[];
  readonly listCalls: number;
  readonly readCalls: number;
  readonly writeCalls: number;
  /** `additionalEventData.bytesTransferredOut` of successful reads. */
  readonly bytesOut: number;
  /** `additionalEventData.bytesTransferredIn` of successful writes. */
  readonly bytesIn: number;
  /** Whether some objects or prefixes were left out of the lists. */
  readonly truncated: boolean;
  /** The first event ids of each kind (bounded), for evidence. */
  readonly evidence: {
    readonly list: readonly string[];
    readonly read: readonly string[];
    readonly write: readonly string[];
  };
}

/** One access key and everything it did in the input. */
export interface KeyNode {
  readonly accessKeyId: string;
  readonly kind: KeyKind;
  readonly origin: KeyOrigin;
  /** The ARN calls were made as: a user, an assumed-role session, a federated user. */
  readonly principalArn: string | undefined;
  /** `userIdentity.type` (of its first call). */
  readonly identityType: string | undefined;
  readonly accountId: string | undefined;
  readonly userName: string | undefined;
  /** The role or user a temporary key belongs to (`sessionIssuer.arn`). */
  readonly sessionIssuerArn: string | undefined;
  /** `sessionContext.attributes.creationDate`, ISO. */
  readonly creationDate: string | undefined;
  /** The `eventId` of the {@link MintEdge} that minted it. */
  readonly mintedBy: string | undefined;
  readonly firstUse: string | undefined;
  readonly lastUse: string | undefined;
  readonly events: number;
  readonly sourceIps: readonly AddressUse[];
  readonly userAgents: readonly string[];
  /** Any call made with MFA (`mfaAuthenticated`). */
  readonly mfa: boolean;
  /** Calls per service (`s3`, `sts`…). */
  readonly services: Readonly<Record<string, number>>;
  /** Calls per `errorCode`. */
  readonly errors: Readonly<Record<string, number>>;
  readonly s3: S3Activity;
}

/** One STS call that minted (or tried to mint) a key. */
export interface MintEdge {
  readonly eventId: string;
  /** The STS call: one of {@link MINTING_EVENTS}. */
  readonly kind: string;
  readonly eventTime: string;
  /** The calling key; absent for AssumeRoleWithSAML/WebIdentity. */
  readonly parentKey: string | undefined;
  readonly parentArn: string | undefined;
  readonly parentType: string | undefined;
  /** The minted key (from the response, or found by the creationDate join). */
  readonly childKey: string | undefined;
  /** The assumed role; from `errorMessage` for a denied AssumeRole. */
  readonly roleArn: string | undefined;
  readonly sessionName: string | undefined;
  /** The session's ARN: assumed-role, federated-user, or the user for GetSessionToken. */
  readonly sessionArn: string | undefined;
  /** For GetSessionToken and GetFederationToken: the IAM user whose tokens they are. */
  readonly userArn: string | undefined;
  readonly sourceIp: string | undefined;
  readonly userAgent: string | undefined;
  /** `credentials.expiration`, ISO (human formats parsed). */
  readonly expiration: string | undefined;
  readonly mfa: boolean;
  readonly errorCode: string | undefined;
  readonly errorMessage: string | undefined;
  /** How the child was found: from the response, or by session ARN and creationDate. */
  readonly joinedBy: 'accessKeyId' | 'creationDate' | undefined;
}

/** A console sign-in seen in the input. */
export interface ConsoleLogin {
  readonly eventId: string;
  readonly eventTime: string;
  readonly arn: string | undefined;
  readonly sourceIp: string | undefined;
  readonly mfa: boolean;
  readonly success: boolean;
}

/** A key used after its revocation time. */
export interface RevocationHit {
  readonly revocation: Revocation;
  readonly accessKeyId: string | undefined;
  readonly principalArn: string | undefined;
  /** Calls at or after the revocation. */
  readonly count: number;
  /** Of those, the calls AWS did not refuse (no `errorCode`): the revocation did not hold for them. */
  readonly succeeded: number;
  readonly firstUse: string;
  readonly evidence: readonly string[];
}

/** A use of a collector credential other than writing under its prefix. */
export interface CollectorViolation {
  readonly credential: CollectorCredential;
  readonly count: number;
  /** The first offending call's time (ISO). */
  readonly firstTime: string;
  /** Offending calls per event name. */
  readonly calls: Readonly<Record<string, number>>;
  readonly sourceIps: readonly string[];
  readonly evidence: readonly string[];
}

/** The whole graph, JSON-able. */
export interface LineageGraph {
  readonly keys: readonly KeyNode[];
  /** Successful minting calls. */
  readonly edges: readonly MintEdge[];
  /** Minting calls that failed (e.g. AccessDenied AssumeRole). */
  readonly failedMints: readonly MintEdge[];
  /** Keys with no parent in the graph, the tops of the trees. */
  readonly roots: readonly string[];
  readonly consoleLogins: readonly ConsoleLogin[];
  /** Events read. */
  readonly events: number;
  /** Events with no access key id (console sign-in, some service calls). */
  readonly unattributed: number;
  readonly firstEvent: string | undefined;
  readonly lastEvent: string | undefined;
  readonly revocationHits: readonly RevocationHit[];
  readonly collectorViolations: readonly CollectorViolation[];
}

/**
 * A revocation to check: calls at or after `at` by the key `accessKeyId`,
 * or by a key of the user or role `arn` (its own calls, or its sessions'
 * through `sessionIssuer`), are reported. With `issuedBefore`, only keys
 * whose session began before it count (a `aws:TokenIssueTime` deny spares
 * later sessions); keys with no known creation date count.
 */
export interface Revocation {
  readonly accessKeyId?: string;
  readonly arn?: string;
  /** When the revocation took effect. */
  readonly at: Date;
  /** The deny's cut-off: sessions issued before it are revoked. */
  readonly issuedBefore?: Date;
  /** Where it came from, for people (e.g. a ledger entry id). */
  readonly label?: string;
}

/** A credential triage's `issue` handed a collector: it may only write under `prefix`. */
export interface CollectorCredential {
  readonly accessKeyId: string;
  readonly bucket: string;
  readonly prefix: string;
}

/** Options for {@link LineageBuilder}. */
export interface LineageOptions {
  /** Uses to check against; see {@link Revocation}. */
  readonly revocations?: readonly Revocation[];
  /** Collector credentials to check; see {@link CollectorCredential}. */
  readonly collectors?: readonly CollectorCredential[];
  /** Distinct S3 objects kept per key and kind; default 1,000. */
  readonly maxObjectsPerKey?: number;
  /** Event ids kept per piece of evidence; default 20. */
  readonly evidenceLimit?: number;
  /** Distinct addresses and user agents kept per key; default 100. */
  readonly maxAddressesPerKey?: number;
}

/**
 * The calls a collector credential is expected to make, each on a key under
 * its prefix: PutObject, the multipart upload calls, and HeadObject (the
 * check `triage-collect` makes after an upload, which the write-only policy
 * refuses). Anything else is reported as misuse.
 */
export const COLLECTOR_EXPECTED_EVENTS: readonly string[] = [
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'AbortMultipartUpload',
  'HeadObject',
];

const LIST_EVENTS = new Set(['ListObjects', 'ListObjectsV2', 'ListObjectVersions']);
const READ_EVENTS = new Set(['GetObject']);
const WRITE_EVENTS = new Set(['PutObject', 'CopyObject', 'CompleteMultipartUpload', 'UploadPart']);
const MINTING = new Set(MINTING_EVENTS);
const COLLECTOR_EXPECTED = new Set(COLLECTOR_EXPECTED_EVENTS);

interface MutableNode {
  accessKeyId: string;
  principalArn: string | undefined;
  identityType: string | undefined;
  accountId: string | undefined;
  userName: string | undefined;
  sessionIssuerArn: string | undefined;
  creationDate: number | undefined;
  firstUse: number;
  lastUse: number;
  events: number;
  ips: Map<string, { count: number; firstEventId: string; firstSeen: number }>;
  agents: Set<string>;
  mfa: boolean;
  console: boolean;
  service: boolean;
  instance: boolean;
  services: Map<string, number>;
  errors: Map<string, number>;
  listed: Map<string, S3ListUse & { count: number }>;
  read: Map<string, { bucket: string; key: string; count: number; bytes: number }>;
  written: Map<string, { bucket: string; key: string; count: number; bytes: number }>;
  listCalls: number;
  readCalls: number;
  writeCalls: number;
  bytesOut: number;
  bytesIn: number;
  truncated: boolean;
  evidence: { list: string[]; read: string[]; write: string[] };
}

type MutableEdge = { -readonly [K in keyof MintEdge]: MintEdge[K] };

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : new Date(ms).toISOString();
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function obj(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function num(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/**
 * The kind of an access key id from its prefix.
 *
 * @param accessKeyId - e.g. `AKIA…` or `ASIA…`
 * @returns `long-term`, `temporary` or `unknown`
 */
export function keyKind(accessKeyId: string): KeyKind {
  if (accessKeyId.startsWith('AKIA')) return 'long-term';
  if (accessKeyId.startsWith('ASIA')) return 'temporary';
  return 'unknown';
}

const ROLE_IN_MESSAGE = /arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+/g;

function roleFromMessage(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  const all = message.match(ROLE_IN_MESSAGE);
  return all === null ? undefined : all[all.length - 1];
}

/** `arn:aws:iam::1:role/path/Name` → `Name`. */
function roleName(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

/** The role name of an assumed-role session ARN. */
function sessionRoleName(arn: string | undefined): string | undefined {
  const m = arn === undefined ? null : /:assumed-role\/([^/]+)(?:\/(.*))?$/.exec(arn);
  return m?.[1];
}

function sessionName(arn: string | undefined): string | undefined {
  const m = arn === undefined ? null : /:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  return m?.[1];
}

function push(list: string[], id: string, limit: number): void {
  if (list.length < limit) list.push(id);
}

/** Builds a {@link LineageGraph} one event at a time: `add` each, then `finish` once. */
export class LineageBuilder {
  private readonly nodes = new Map<string, MutableNode>();
  private readonly mints: MutableEdge[] = [];
  private readonly failed: MutableEdge[] = [];
  private readonly logins: ConsoleLogin[] = [];
  private events = 0;
  private unattributed = 0;
  private first = Number.POSITIVE_INFINITY;
  private last = Number.NEGATIVE_INFINITY;
  private readonly maxObjects: number;
  private readonly evidenceLimit: number;
  private readonly maxAddresses: number;
  private readonly revocations: readonly Revocation[];
  private readonly revocationHits = new Map<
    string,
    {
      revocation: Revocation;
      key: string | undefined;
      arn: string | undefined;
      count: number;
      succeeded: number;
      first: number;
      evidence: string[];
    }
  >();
  private readonly collectors = new Map<string, CollectorCredential>();
  private readonly violations = new Map<
    string,
    {
      credential: CollectorCredential;
      count: number;
      first: number;
      calls: Map<string, number>;
      ips: Set<string>;
      evidence: string[];
    }
  >();

  constructor(options: LineageOptions = {}) {
    this.maxObjects = options.maxObjectsPerKey ?? 1000;
    this.evidenceLimit = options.evidenceLimit ?? 20;
    this.maxAddresses = options.maxAddressesPerKey ?? 100;
    this.revocations = options.revocations ?? [];
    for (const c of options.collectors ?? []) this.collectors.set(c.accessKeyId, c);
  }

  /** Adds one event (any order: joins are made in {@link LineageBuilder.finish}). */
  add(event: TrailEvent): void {
    this.events++;
    if (event.eventTime < this.first) this.first = event.eventTime;
    if (event.eventTime > this.last) this.last = event.eventTime;
    const id = event.identity;
    if (event.eventName === 'ConsoleLogin') {
      const response = obj(event.responseElements);
      this.logins.push({
        eventId: event.eventId,
        eventTime: iso(event.eventTime) as string,
        arn: id.arn,
        sourceIp: event.sourceIp,
        // Not String(…): a parsed {"toString":1} makes it throw.
        mfa: obj(event.additionalEventData)?.MFAUsed === 'Yes',
        success: event.errorCode === undefined && str(response?.ConsoleLogin) !== 'Failure',
      });
    }
    if (MINTING.has(event.eventName) && (event.service === 'sts' || event.eventSource === ''))
      this.addMint(event);
    if (this.revocations.length > 0) this.checkRevocations(event);
    const key = id.accessKeyId;
    if (key === undefined) {
      this.unattributed++;
      return;
    }
    if (this.collectors.size > 0) this.checkCollector(event, key);
    let node = this.nodes.get(key);
    if (node === undefined) {
      node = this.newNode(key);
      this.nodes.set(key, node);
    }
    this.use(node, event);
  }

  private newNode(key: string): MutableNode {
    return {
      accessKeyId: key,
      principalArn: undefined,
      identityType: undefined,
      accountId: undefined,
      userName: undefined,
      sessionIssuerArn: undefined,
      creationDate: undefined,
      firstUse: Number.POSITIVE_INFINITY,
      lastUse: Number.NEGATIVE_INFINITY,
      events: 0,
      ips: new Map(),
      agents: new Set(),
      mfa: false,
      console: false,
      service: false,
      instance: false,
      services: new Map(),
      errors: new Map(),
      listed: new Map(),
      read: new Map(),
      written: new Map(),
      listCalls: 0,
      readCalls: 0,
      writeCalls: 0,
      bytesOut: 0,
      bytesIn: 0,
      truncated: false,
      evidence: { list: [], read: [], write: [] },
    };
  }

  private use(node: MutableNode, event: TrailEvent): void {
    const id = event.identity;
    node.events++;
    if (node.principalArn === undefined) {
      node.principalArn = id.arn;
      node.identityType = id.type;
      node.accountId = id.accountId;
      node.userName = id.userName;
      node.sessionIssuerArn = id.sessionIssuerArn;
    }
    if (node.creationDate === undefined && id.creationDate !== undefined) node.creationDate = id.creationDate;
    if (event.eventTime < node.firstUse) node.firstUse = event.eventTime;
    if (event.eventTime > node.lastUse) node.lastUse = event.eventTime;
    if (event.sourceIp !== undefined) {
      const ip = node.ips.get(event.sourceIp);
      if (ip !== undefined) ip.count++;
      else if (node.ips.size < this.maxAddresses)
        node.ips.set(event.sourceIp, { count: 1, firstEventId: event.eventId, firstSeen: event.eventTime });
    }
    if (event.userAgent !== undefined && node.agents.size < this.maxAddresses)
      node.agents.add(event.userAgent);
    if (id.mfaAuthenticated) node.mfa = true;
    if (event.sessionCredentialFromConsole) node.console = true;
    if (id.invokedBy !== undefined || id.type === 'AWSService') node.service = true;
    if (id.ec2RoleDelivery !== undefined) node.instance = true;
    node.services.set(event.service, (node.services.get(event.service) ?? 0) + 1);
    if (event.errorCode !== undefined)
      node.errors.set(event.errorCode, (node.errors.get(event.errorCode) ?? 0) + 1);
    if (event.service === 's3') this.s3(node, event);
  }

  private s3(node: MutableNode, event: TrailEvent): void {
    const name = event.eventName;
    const rp = event.requestParameters;
    const bucket = str(rp?.bucketName) ?? '';
    const ok = event.errorCode === undefined;
    if (LIST_EVENTS.has(name)) {
      node.listCalls++;
      push(node.evidence.list, event.eventId, this.evidenceLimit);
      const prefix = str(rp?.prefix) ?? '';
      const k = `${bucket}\u0000${prefix}`;
      const use = node.listed.get(k);
      if (use !== undefined) use.count++;
      else if (node.listed.size < this.maxObjects) node.listed.set(k, { bucket, prefix, count: 1 });
      else node.truncated = true;
      return;
    }
    const isRead = READ_EVENTS.has(name);
    if (!isRead && !WRITE_EVENTS.has(name)) return;
    const key = str(rp?.key) ?? '';
    const data = event.additionalEventData;
    const bytes = ok ? num(isRead ? data?.bytesTransferredOut : data?.bytesTransferredIn) : 0;
    const map = isRead ? node.read : node.written;
    if (isRead) {
      node.readCalls++;
      node.bytesOut += bytes;
      push(node.evidence.read, event.eventId, this.evidenceLimit);
    } else {
      node.writeCalls++;
      node.bytesIn += bytes;
      push(node.evidence.write, event.eventId, this.evidenceLimit);
    }
    const k = `${bucket}\u0000${key}`;
    const use = map.get(k);
    if (use !== undefined) {
      use.count++;
      use.bytes += bytes;
    } else if (map.size < this.maxObjects) map.set(k, { bucket, key, count: 1, bytes });
    else node.truncated = true;
  }

  private addMint(event: TrailEvent): void {
    const id = event.identity;
    const rp = event.requestParameters;
    const re = event.responseElements;
    const creds = obj(re?.credentials);
    const assumed = obj(re?.assumedRoleUser);
    const federated = obj(re?.federatedUser);
    const roleArn =
      str(rp?.roleArn) ??
      (event.eventName.startsWith('AssumeRole') ? roleFromMessage(event.errorMessage) : undefined);
    const name = str(rp?.roleSessionName) ?? str(rp?.name);
    let sessionArn = str(assumed?.arn) ?? str(federated?.arn);
    let userArn: string | undefined;
    if (event.eventName === 'GetSessionToken') {
      userArn = id.arn;
      sessionArn = id.arn;
    } else if (event.eventName === 'GetFederationToken') {
      userArn = id.arn;
      const account = id.accountId ?? /::(\d{12}):/.exec(id.arn ?? '')?.[1];
      if (sessionArn === undefined && account !== undefined && name !== undefined)
        sessionArn = `arn:aws:sts::${account}:federated-user/${name}`;
    } else if (sessionArn === undefined && roleArn !== undefined && name !== undefined) {
      // AssumeRole records without assumedRoleUser: the session ARN follows from the role and session name.
      const m = /^arn:(aws[\w-]*):iam::(\d{12}):role\//.exec(roleArn);
      if (m) sessionArn = `arn:${m[1]}:sts::${m[2]}:assumed-role/${roleName(roleArn)}/${name}`;
    }
    const edge: MutableEdge = {
      eventId: event.eventId,
      kind: event.eventName,
      eventTime: iso(event.eventTime) as string,
      parentKey: id.accessKeyId,
      parentArn: id.arn,
      parentType: id.type,
      childKey: str(creds?.accessKeyId),
      roleArn,
      sessionName: name,
      sessionArn,
      userArn,
      sourceIp: event.sourceIp,
      userAgent: event.userAgent,
      expiration: iso(parseTrailTime(creds?.expiration)),
      mfa: id.mfaAuthenticated || str(rp?.serialNumber) !== undefined,
      errorCode: event.errorCode,
      errorMessage: event.errorMessage,
      joinedBy: str(creds?.accessKeyId) === undefined ? undefined : 'accessKeyId',
    };
    (event.errorCode === undefined ? this.mints : this.failed).push(edge);
  }

  private checkRevocations(event: TrailEvent): void {
    const id = event.identity;
    for (const r of this.revocations) {
      if (event.eventTime < r.at.getTime()) continue;
      const byKey = r.accessKeyId !== undefined && r.accessKeyId === id.accessKeyId;
      const byArn = r.arn !== undefined && (r.arn === id.arn || r.arn === id.sessionIssuerArn);
      if (!byKey && !byArn) continue;
      if (r.issuedBefore !== undefined && !byKey) {
        // A TokenIssueTime deny spares sessions that began at or after its cut-off, and never
        // reaches the user's long-term keys (their requests carry no token issue time).
        if (id.creationDate !== undefined && id.creationDate >= r.issuedBefore.getTime()) continue;
        if (keyKind(id.accessKeyId ?? '') === 'long-term') continue;
      }
      const succeeded = event.errorCode === undefined ? 1 : 0;
      const k = `${r.accessKeyId ?? ''}|${r.arn ?? ''}|${r.at.getTime()}|${id.accessKeyId ?? ''}`;
      const hit = this.revocationHits.get(k);
      if (hit === undefined) {
        this.revocationHits.set(k, {
          revocation: r,
          key: id.accessKeyId,
          arn: id.arn,
          count: 1,
          succeeded,
          first: event.eventTime,
          evidence: [event.eventId],
        });
      } else {
        hit.count++;
        hit.succeeded += succeeded;
        if (event.eventTime < hit.first) hit.first = event.eventTime;
        push(hit.evidence, event.eventId, this.evidenceLimit);
      }
    }
  }

  private checkCollector(event: TrailEvent, key: string): void {
    const credential = this.collectors.get(key);
    if (credential === undefined) return;
    const rp = event.requestParameters;
    const allowed =
      event.service === 's3' &&
      COLLECTOR_EXPECTED.has(event.eventName) &&
      str(rp?.bucketName) === credential.bucket &&
      (str(rp?.key) ?? '').startsWith(credential.prefix);
    if (allowed) return;
    let v = this.violations.get(key);
    if (v === undefined) {
      v = { credential, count: 0, first: event.eventTime, calls: new Map(), ips: new Set(), evidence: [] };
      this.violations.set(key, v);
    }
    v.count++;
    if (event.eventTime < v.first) v.first = event.eventTime;
    v.calls.set(event.eventName, (v.calls.get(event.eventName) ?? 0) + 1);
    if (event.sourceIp !== undefined && v.ips.size < this.maxAddresses) v.ips.add(event.sourceIp);
    push(v.evidence, event.eventId, this.evidenceLimit);
  }

  /** Joins minting calls to the keys they minted and returns the graph. */
  finish(): LineageGraph {
    const byChild = new Map<string, MutableEdge>();
    const bySession = new Map<string, MutableEdge>();
    for (const edge of this.mints) {
      if (edge.childKey !== undefined) byChild.set(edge.childKey, edge);
      else if (edge.sessionArn !== undefined) bySession.set(`${edge.sessionArn}|${edge.eventTime}`, edge);
    }
    for (const edge of this.mints) {
      if (edge.childKey !== undefined && !this.nodes.has(edge.childKey)) {
        const node = this.newNode(edge.childKey);
        node.principalArn = edge.sessionArn;
        node.sessionIssuerArn = edge.roleArn ?? edge.userArn;
        this.nodes.set(edge.childKey, node);
      }
    }
    const keys: KeyNode[] = [];
    const parentOf = new Map<string, string | undefined>();
    for (const node of this.nodes.values()) {
      const kind = keyKind(node.accessKeyId);
      let mint = byChild.get(node.accessKeyId);
      if (mint === undefined && node.creationDate !== undefined && node.principalArn !== undefined) {
        const candidate = bySession.get(`${node.principalArn}|${iso(node.creationDate)}`);
        if (candidate !== undefined && candidate.childKey === undefined) {
          candidate.childKey = node.accessKeyId;
          candidate.joinedBy = 'creationDate';
          mint = candidate;
        }
      }
      parentOf.set(node.accessKeyId, mint?.parentKey);
      // A session an AWS service minted for itself (a Lambda or ECS role, say) is the service's, not a derived key.
      const origin =
        mint === undefined
          ? this.originOf(node, kind)
          : mint.parentType === 'AWSService'
            ? 'service'
            : 'minted';
      keys.push(this.freeze(node, kind, origin, mint?.eventId));
    }
    keys.sort(
      (a, b) =>
        (a.firstUse ?? '').localeCompare(b.firstUse ?? '') || a.accessKeyId.localeCompare(b.accessKeyId),
    );
    const roots = keys
      .filter((k) => {
        const parent = parentOf.get(k.accessKeyId);
        return parent === undefined || !this.nodes.has(parent);
      })
      .map((k) => k.accessKeyId);
    const byTime = (a: MintEdge, b: MintEdge) =>
      a.eventTime.localeCompare(b.eventTime) || a.eventId.localeCompare(b.eventId);
    return {
      keys,
      edges: [...this.mints].sort(byTime),
      failedMints: [...this.failed].sort(byTime),
      roots,
      consoleLogins: this.logins,
      events: this.events,
      unattributed: this.unattributed,
      firstEvent: iso(this.first),
      lastEvent: iso(this.last),
      revocationHits: [...this.revocationHits.values()].map((h) => ({
        revocation: h.revocation,
        accessKeyId: h.key,
        principalArn: h.arn,
        count: h.count,
        succeeded: h.succeeded,
        firstUse: iso(h.first) as string,
        evidence: h.evidence,
      })),
      collectorViolations: [...this.violations.values()].map((v) => ({
        credential: v.credential,
        count: v.count,
        firstTime: iso(v.first) as string,
        calls: Object.fromEntries(v.calls),
        sourceIps: [...v.ips],
        evidence: v.evidence,
      })),
    };
  }

  private originOf(node: MutableNode, kind: KeyKind): KeyOrigin {
    if (kind === 'long-term') return 'long-term';
    if (node.console) return 'console';
    const role = sessionRoleName(node.principalArn);
    const issuer = node.sessionIssuerArn ?? '';
    // Service-linked roles live under /aws-service-role/ and are named AWSServiceRoleFor…
    if (
      node.service ||
      role?.startsWith('AWSServiceRoleFor') === true ||
      issuer.includes(':role/aws-service-role/')
    )
      return 'service';
    if (node.instance || /^i-[0-9a-f]{8,17}$/i.test(sessionName(node.principalArn) ?? ''))
      return 'instance-profile';
    // IAM Identity Center permission sets: AWSReservedSSO_* roles under /aws-reserved/sso.amazonaws.com/.
    if (
      role?.startsWith('AWSReservedSSO') === true ||
      issuer.includes(':role/aws-reserved/sso.amazonaws.com/')
    )
      return 'sso';
    return 'orphan';
  }

  private freeze(node: MutableNode, kind: KeyKind, origin: KeyOrigin, mintedBy: string | undefined): KeyNode {
    return {
      accessKeyId: node.accessKeyId,
      kind,
      origin,
      principalArn: node.principalArn,
      identityType: node.identityType,
      accountId: node.accountId,
      userName: node.userName,
      sessionIssuerArn: node.sessionIssuerArn,
      creationDate: iso(node.creationDate),
      mintedBy,
      firstUse: iso(node.firstUse),
      lastUse: iso(node.lastUse),
      events: node.events,
      sourceIps: [...node.ips].map(([ip, u]) => ({
        ip,
        count: u.count,
        firstEventId: u.firstEventId,
        firstSeen: iso(u.firstSeen) as string,
      })),
      userAgents: [...node.agents],
      mfa: node.mfa,
      services: Object.fromEntries(node.services),
      errors: Object.fromEntries(node.errors),
      s3: {
        listed: [...node.listed.values()],
        read: [...node.read.values()],
        written: [...node.written.values()],
        listCalls: node.listCalls,
        readCalls: node.readCalls,
        writeCalls: node.writeCalls,
        bytesOut: node.bytesOut,
        bytesIn: node.bytesIn,
        truncated: node.truncated,
        evidence: node.evidence,
      },
    };
  }
}

/**
 * Builds the graph from events (an array or the output of `readTrail`).
 *
 * @param events - the events, in any order
 * @param options - see {@link LineageOptions}
 * @returns the graph
 */
export async function buildLineage(
  events: AsyncIterable<TrailEvent> | Iterable<TrailEvent>,
  options: LineageOptions = {},
): Promise<LineageGraph> {
  const builder = new LineageBuilder(options);
  for await (const event of events) builder.add(event);
  return builder.finish();
}

/** The keys and edges of one tree: the root, its ancestors' and descendants' keys. */
export interface Chain {
  /** The top of the tree. */
  readonly root: string;
  /** Every key of the tree, parents before children. */
  readonly keys: readonly KeyNode[];
  /** The minting calls between them. */
  readonly edges: readonly MintEdge[];
}

/**
 * The trees of the graph, one per root, parents before children. A root
 * with nothing minted from it is a chain of one key.
 *
 * @param graph - from {@link buildLineage}
 * @param accessKeyId - only the tree holding this key
 * @returns the chains
 */
export function chainsOf(graph: LineageGraph, accessKeyId?: string): Chain[] {
  const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
  const children = childrenByParent(graph);
  const chains: Chain[] = [];
  for (const root of graph.roots) {
    const keys: KeyNode[] = [];
    const edges: MintEdge[] = [];
    const seen = new Set<string>();
    const queue = [root];
    while (queue.length > 0) {
      const k = queue.shift() as string;
      if (seen.has(k)) continue;
      seen.add(k);
      const node = byKey.get(k);
      if (node !== undefined) keys.push(node);
      for (const edge of children.get(k) ?? []) {
        edges.push(edge);
        queue.push(edge.childKey as string);
      }
    }
    if (accessKeyId === undefined || seen.has(accessKeyId)) chains.push({ root, keys, edges });
  }
  return chains;
}

/**
 * Every key's successful minting calls, by the calling key, in time order
 * (internal: the trees of {@link chainsOf} and the text tree).
 */
export function childrenByParent(graph: LineageGraph): Map<string, MintEdge[]> {
  const children = new Map<string, MintEdge[]>();
  for (const edge of graph.edges) {
    if (edge.parentKey === undefined || edge.childKey === undefined) continue;
    const list = children.get(edge.parentKey) ?? [];
    list.push(edge);
    children.set(edge.parentKey, list);
  }
  return children;
}

/**
 * The children of a key: the minting calls it made that succeeded.
 *
 * @param graph - the graph
 * @param accessKeyId - the parent
 * @returns its edges, in time order
 */
export function childrenOf(graph: LineageGraph, accessKeyId: string): MintEdge[] {
  return graph.edges.filter((e) => e.parentKey === accessKeyId && e.childKey !== undefined);
}
