/**
 * Synthetic CloudTrail for tests, demos and benchmarks: one credential-theft
 * chain hidden in routine activity. Deterministic for a seed.
 *
 * The chain: the long-term key of IAM user `alice` calls GetSessionToken
 * (no MFA) from one address; the token is used from another, calls
 * GetCallerIdentity, and assumes the role `ops-admin`; that role session
 * assumes `data-reader` (role chaining) and tries, and fails, to assume
 * `OrganizationAccountAccessRole`; the `data-reader` session lists and
 * reads objects of the bucket `acme-finance`.
 *
 * The noise: IAM users reading EC2 and IAM, a CI user assuming its deploy
 * role, Lambda functions (roles AWS assumes for them), EC2 instance-profile
 * sessions, console sessions after a sign-in, and calls AWS services make
 * on their own behalf. Every access key id contains `EXAMPLE`.
 */

/** A CloudTrail record as JSON. */
export type CloudTrailRecord = Readonly<Record<string, unknown>>;

/** Options for {@link syntheticTrail}. */
export interface SyntheticTrailOptions {
  /** Routine events around the attack; default 200. */
  readonly noise?: number;
  /** Default 1. */
  readonly seed?: number;
  /** Time of the first event; default 2026-11-02T08:00:00Z. */
  readonly start?: Date;
  /** Time span of the trail; default 24 h. */
  readonly durationMs?: number;
  /** Default `111122223333`. */
  readonly account?: string;
  /**
   * Leave `responseElements.credentials` out of the chained AssumeRole, so
   * the key it minted can only be joined by its session's `creationDate`.
   */
  readonly redactChainedCredentials?: boolean;
  /** GetObject calls by the `data-reader` session; default 5. */
  readonly objectsRead?: number;
  /** Bytes per object read; default 4 MB. */
  readonly objectBytes?: number;
  /** Noise events between two routine role sessions (CI, Lambda, EC2, console); default 400. */
  readonly sessionEvery?: number;
  /**
   * Names and the long-term key of the chain, to match identities that
   * exist somewhere (a test's IAM server); defaults `alice`, `ops-admin`,
   * `data-reader` and an `AKIAEXAMPLE…` key.
   */
  readonly names?: {
    readonly user?: string;
    readonly role?: string;
    readonly chainedRole?: string;
    readonly longTermKey?: string;
  };
}

/** What the chain is made of, to check what a tool reports. */
export interface SyntheticAttack {
  readonly account: string;
  readonly userName: string;
  readonly userArn: string;
  readonly longTermKey: string;
  readonly sessionTokenKey: string;
  readonly roleArn: string;
  readonly roleKey: string;
  readonly chainedRoleArn: string;
  readonly chainedRoleKey: string;
  /** The role the chained session failed to assume. */
  readonly deniedRoleArn: string;
  /** Where the session token was minted, and where it and its descendants were used. */
  readonly mintIp: string;
  readonly useIp: string;
  readonly bucket: string;
  readonly objects: readonly string[];
  readonly bytesRead: number;
  readonly eventIds: {
    readonly getSessionToken: string;
    readonly getCallerIdentity: string;
    readonly assumeRole: string;
    readonly chainedAssumeRole: string;
    readonly deniedAssumeRole: string;
    readonly listObjects: readonly string[];
    readonly getObject: readonly string[];
  };
  /** ISO times of the three minting calls. */
  readonly times: {
    readonly getSessionToken: string;
    readonly assumeRole: string;
    readonly chainedAssumeRole: string;
  };
}

/** A synthetic trail: the attack's facts, and its records in time order (generated lazily). */
export interface SyntheticTrail {
  readonly attack: SyntheticAttack;
  /** Every record, attack and noise, in time order. Each call starts again from the seed. */
  records(): Generator<CloudTrailRecord, void, undefined>;
}

/**
 * mulberry32: a small deterministic PRNG, numbers in [0, 1). Also the
 * package's tests' source of randomness (not exported by the entry point).
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `AKIAEXAMPLE…` / `ASIAEXAMPLE…`: 20 characters, unmistakably not a real key. */
function keyId(prefix: 'AKIA' | 'ASIA', n: number): string {
  let tail = '';
  let v = n;
  for (let i = 0; i < 9; i++) {
    tail = B32[v % 32] + tail;
    v = Math.floor(v / 32);
  }
  return `${prefix}EXAMPLE${tail}`;
}

function uuid(random: () => number): string {
  const hex = (n: number) => {
    let out = '';
    for (let i = 0; i < n; i++) out += Math.floor(random() * 16).toString(16);
    return out;
  };
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
}

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const ATTACKER_MINT_IP = '198.51.100.23';
const ATTACKER_USE_IP = '203.0.113.66';
const OFFICE_IPS = ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
const CLI_AGENT = 'aws-cli/2.17.12 md/awscrt#0.20.11 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.11.9';
const SDK_AGENT = 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64';
const CONSOLE_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

interface Draft {
  readonly time: number;
  readonly build: (time: number) => CloudTrailRecord;
}

/**
 * A synthetic trail with one credential-theft chain (see the module
 * comment) in `noise` routine events.
 *
 * @param options - see {@link SyntheticTrailOptions}
 * @returns the attack's facts and a record generator
 */
export function syntheticTrail(options: SyntheticTrailOptions = {}): SyntheticTrail {
  const noise = Math.max(0, Math.floor(options.noise ?? 200));
  const seed = options.seed ?? 1;
  const start = (options.start ?? new Date('2026-11-02T08:00:00Z')).getTime();
  const span = options.durationMs ?? 86_400_000;
  const account = options.account ?? '111122223333';
  const objectsRead = Math.max(1, Math.floor(options.objectsRead ?? 5));
  const objectBytes = Math.max(0, Math.floor(options.objectBytes ?? 4_000_000));
  const sessionEvery = Math.max(10, Math.floor(options.sessionEvery ?? 400));
  const region = 'eu-west-1';
  const arn = (service: 'iam' | 'sts', rest: string) => `arn:aws:${service}::${account}:${rest}`;

  const userName = options.names?.user ?? 'alice';
  const roleName = options.names?.role ?? 'ops-admin';
  const chainedRoleName = options.names?.chainedRole ?? 'data-reader';
  const userArn = arn('iam', `user/${userName}`);
  const roleArn = arn('iam', `role/${roleName}`);
  const chainedRoleArn = arn('iam', `role/${chainedRoleName}`);
  const deniedRoleArn = arn('iam', 'role/OrganizationAccountAccessRole');
  const bucket = 'acme-finance';
  const objects = Array.from(
    { length: objectsRead },
    (_, i) => `reports/2026/q${(i % 4) + 1}/ledger-${i + 1}.xlsx`,
  );

  // The attack's ids and times come from their own generator, so they do not depend on the noise.
  const ar = prng(seed * 7919 + 1);
  const ids = {
    getSessionToken: uuid(ar),
    getCallerIdentity: uuid(ar),
    assumeRole: uuid(ar),
    chainedAssumeRole: uuid(ar),
    deniedAssumeRole: uuid(ar),
    listObjects: [uuid(ar), uuid(ar)],
    getObject: objects.map(() => uuid(ar)),
  };
  const t0 = Math.floor((start + span * 0.4) / 1000) * 1000;
  const times = { gst: t0, caller: t0 + 95_000, ar: t0 + 120_000, chained: t0 + 300_000 };
  const attack: SyntheticAttack = {
    account,
    userName,
    userArn,
    longTermKey: options.names?.longTermKey ?? keyId('AKIA', 1),
    sessionTokenKey: keyId('ASIA', 1),
    roleArn,
    roleKey: keyId('ASIA', 2),
    chainedRoleArn,
    chainedRoleKey: keyId('ASIA', 3),
    deniedRoleArn,
    mintIp: ATTACKER_MINT_IP,
    useIp: ATTACKER_USE_IP,
    bucket,
    objects,
    bytesRead: objectBytes * objectsRead,
    eventIds: ids,
    times: {
      getSessionToken: isoSeconds(times.gst),
      assumeRole: isoSeconds(times.ar),
      chainedAssumeRole: isoSeconds(times.chained),
    },
  };

  function* records(): Generator<CloudTrailRecord, void, undefined> {
    const random = prng(seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const base = (time: number, eventId: string, fields: Record<string, unknown>): CloudTrailRecord => ({
      eventVersion: '1.10',
      eventTime: isoSeconds(time),
      awsRegion: region,
      requestID: uuid(random).toUpperCase(),
      eventID: eventId,
      readOnly: true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
      ...fields,
    });
    const userIdentity = (name: string, key: string | undefined, extra: Record<string, unknown> = {}) => ({
      type: 'IAMUser',
      principalId: `AIDAEXAMPLE${name
        .toUpperCase()
        .replace(/[^A-Z]/g, '')
        .padEnd(9, 'X')
        .slice(0, 9)}`,
      arn: arn('iam', `user/${name}`),
      accountId: account,
      ...(key === undefined ? {} : { accessKeyId: key }),
      userName: name,
      ...extra,
    });
    const roleIdentity = (
      role: string,
      session: string,
      key: string,
      created: number,
      extra: { mfa?: boolean; invokedBy?: string; ec2?: boolean } = {},
    ) => ({
      type: 'AssumedRole',
      principalId: `AROAEXAMPLE${role
        .toUpperCase()
        .replace(/[^A-Z]/g, '')
        .padEnd(9, 'X')
        .slice(0, 9)}:${session}`,
      arn: arn('sts', `assumed-role/${role}/${session}`),
      accountId: account,
      accessKeyId: key,
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: `AROAEXAMPLE${role
            .toUpperCase()
            .replace(/[^A-Z]/g, '')
            .padEnd(9, 'X')
            .slice(0, 9)}`,
          arn: arn('iam', `role/${role}`),
          accountId: account,
          userName: role,
        },
        attributes: { creationDate: isoSeconds(created), mfaAuthenticated: extra.mfa ? 'true' : 'false' },
        ...(extra.ec2 ? { ec2RoleDelivery: '2.0' } : {}),
      },
      ...(extra.invokedBy ? { invokedBy: extra.invokedBy } : {}),
    });
    const credentials = (key: string, time: number, seconds: number) => ({
      accessKeyId: key,
      sessionToken: '<redacted>',
      // STS logs the expiry in this human form.
      expiration: new Date(time + seconds * 1000).toLocaleString('en-US', {
        month: 'short',
        day: 'numeric',
        year: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        second: '2-digit',
        hour12: true,
        timeZone: 'UTC',
      }),
    });
    const assumeRoleRecord = (
      time: number,
      eventId: string,
      identity: Record<string, unknown>,
      role: string,
      session: string,
      childKey: string | undefined,
      ip: string,
      agent: string,
    ) =>
      base(time, eventId, {
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        userIdentity: identity,
        sourceIPAddress: ip,
        userAgent: agent,
        readOnly: true,
        requestParameters: {
          roleArn: arn('iam', `role/${role}`),
          roleSessionName: session,
          durationSeconds: 3600,
        },
        responseElements: {
          ...(childKey === undefined ? {} : { credentials: credentials(childKey, time, 3600) }),
          assumedRoleUser: {
            assumedRoleId: `AROAEXAMPLE${role
              .toUpperCase()
              .replace(/[^A-Z]/g, '')
              .padEnd(9, 'X')
              .slice(0, 9)}:${session}`,
            arn: arn('sts', `assumed-role/${role}/${session}`),
          },
        },
        resources: [{ accountId: account, type: 'AWS::IAM::Role', ARN: arn('iam', `role/${role}`) }],
      });
    const s3Record = (
      time: number,
      eventId: string,
      identity: Record<string, unknown>,
      name: string,
      params: Record<string, unknown>,
      ip: string,
      extra: Record<string, unknown> = {},
    ) =>
      base(time, eventId, {
        eventSource: 's3.amazonaws.com',
        eventName: name,
        userIdentity: identity,
        sourceIPAddress: ip,
        userAgent: '[aws-cli/2.17.12]',
        requestParameters: {
          bucketName: params.bucketName,
          Host: `${params.bucketName}.s3.${region}.amazonaws.com`,
          ...params,
        },
        responseElements: null,
        eventType: 'AwsApiCall',
        managementEvent: false,
        eventCategory: 'Data',
        readOnly: name !== 'PutObject',
        ...extra,
      });

    // The attack, in time order.
    const attackDrafts: Draft[] = [];
    const aliceKey = attack.longTermKey;
    attackDrafts.push({
      time: times.gst,
      build: (t) =>
        base(t, ids.getSessionToken, {
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetSessionToken',
          userIdentity: userIdentity(userName, aliceKey),
          sourceIPAddress: ATTACKER_MINT_IP,
          userAgent: CLI_AGENT,
          requestParameters: { durationSeconds: 129_600 },
          responseElements: { credentials: credentials(attack.sessionTokenKey, t, 129_600) },
        }),
    });
    const tokenIdentity = userIdentity(userName, attack.sessionTokenKey, {
      sessionContext: { attributes: { creationDate: isoSeconds(times.gst), mfaAuthenticated: 'false' } },
    });
    attackDrafts.push({
      time: times.caller,
      build: (t) =>
        base(t, ids.getCallerIdentity, {
          eventSource: 'sts.amazonaws.com',
          eventName: 'GetCallerIdentity',
          userIdentity: tokenIdentity,
          sourceIPAddress: ATTACKER_USE_IP,
          userAgent: CLI_AGENT,
          requestParameters: null,
          responseElements: null,
        }),
    });
    attackDrafts.push({
      time: times.ar,
      build: (t) =>
        assumeRoleRecord(
          t,
          ids.assumeRole,
          tokenIdentity,
          roleName,
          'backup',
          attack.roleKey,
          ATTACKER_USE_IP,
          CLI_AGENT,
        ),
    });
    const opsIdentity = roleIdentity(roleName, 'backup', attack.roleKey, times.ar);
    attackDrafts.push({
      time: times.chained,
      build: (t) =>
        assumeRoleRecord(
          t,
          ids.chainedAssumeRole,
          opsIdentity,
          chainedRoleName,
          'sync',
          options.redactChainedCredentials ? undefined : attack.chainedRoleKey,
          ATTACKER_USE_IP,
          CLI_AGENT,
        ),
    });
    attackDrafts.push({
      time: times.chained + 20_000,
      build: (t) =>
        base(t, ids.deniedAssumeRole, {
          eventSource: 'sts.amazonaws.com',
          eventName: 'AssumeRole',
          userIdentity: opsIdentity,
          sourceIPAddress: ATTACKER_USE_IP,
          userAgent: CLI_AGENT,
          errorCode: 'AccessDenied',
          // As AWS logs a refused AssumeRole: no parameters, the role only in the message.
          errorMessage: `User: ${arn('sts', `assumed-role/${roleName}/backup`)} is not authorized to perform: sts:AssumeRole on resource: ${deniedRoleArn}`,
          requestParameters: null,
          responseElements: null,
        }),
    });
    const readerIdentity = roleIdentity(chainedRoleName, 'sync', attack.chainedRoleKey, times.chained);
    ids.listObjects.forEach((id, i) => {
      attackDrafts.push({
        time: times.chained + 60_000 + i * 5_000,
        build: (t) =>
          s3Record(
            t,
            id,
            readerIdentity,
            'ListObjects',
            { bucketName: bucket, prefix: 'reports/', 'list-type': '2' },
            ATTACKER_USE_IP,
          ),
      });
    });
    objects.forEach((key, i) => {
      attackDrafts.push({
        time: times.chained + 120_000 + i * 7_000,
        build: (t) =>
          s3Record(
            t,
            ids.getObject[i] as string,
            readerIdentity,
            'GetObject',
            { bucketName: bucket, key },
            ATTACKER_USE_IP,
            {
              additionalEventData: {
                bytesTransferredIn: 0,
                bytesTransferredOut: objectBytes,
                'x-amz-id-2': 'EXAMPLE',
              },
              resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` }],
            },
          ),
      });
    });
    attackDrafts.sort((a, b) => a.time - b.time);

    // Routine activity, interleaved by time.
    const staff = ['bob', 'carol', 'erin', 'frank'];
    const staffKeys = new Map(staff.map((name, i) => [name, keyId('AKIA', 100 + i)]));
    const ciKey = keyId('AKIA', 200);
    let sessionSerial = 1000;
    let current:
      | { kind: string; key: string; identity: Record<string, unknown>; created: number; ip: string }
      | undefined;
    const nextSession = (time: number): Draft[] => {
      const kind = pick(['ci', 'lambda', 'ec2', 'console']);
      const key = keyId('ASIA', sessionSerial++);
      const session = `${kind}-${sessionSerial}`;
      if (kind === 'ci') {
        const ip = '192.0.2.50';
        current = {
          kind,
          key,
          identity: roleIdentity('deploy', session, key, time),
          created: time,
          ip,
        };
        return [
          {
            time,
            build: (t) =>
              assumeRoleRecord(
                t,
                uuid(random),
                userIdentity('ci-deploy', ciKey),
                'deploy',
                session,
                key,
                ip,
                SDK_AGENT,
              ),
          },
        ];
      }
      if (kind === 'lambda') {
        current = {
          kind,
          key,
          identity: roleIdentity('thumbnailer-exec', 'thumbnailer', key, time),
          created: time,
          ip: '192.0.2.77',
        };
        return [
          {
            time,
            build: (t) =>
              assumeRoleRecord(
                t,
                uuid(random),
                { type: 'AWSService', invokedBy: 'lambda.amazonaws.com' },
                'thumbnailer-exec',
                'thumbnailer',
                key,
                'lambda.amazonaws.com',
                'lambda.amazonaws.com',
              ),
          },
        ];
      }
      if (kind === 'ec2') {
        const instance = `i-0${Math.floor(random() * 0xffffffff)
          .toString(16)
          .padStart(8, '0')}abc1234`;
        current = {
          kind,
          key,
          identity: roleIdentity('web-instance', instance, key, time, { ec2: true }),
          created: time,
          ip: '10.0.12.34',
        };
        return [];
      }
      const who = pick(staff);
      const ip = pick(OFFICE_IPS);
      current = {
        kind,
        key,
        identity: userIdentity(who, key, {
          sessionContext: { attributes: { creationDate: isoSeconds(time), mfaAuthenticated: 'true' } },
        }),
        created: time,
        ip,
      };
      return [
        {
          time,
          build: (t) =>
            base(t, uuid(random), {
              eventSource: 'signin.amazonaws.com',
              eventName: 'ConsoleLogin',
              eventType: 'AwsConsoleSignIn',
              userIdentity: userIdentity(who, undefined),
              sourceIPAddress: ip,
              userAgent: CONSOLE_AGENT,
              requestParameters: null,
              responseElements: { ConsoleLogin: 'Success' },
              additionalEventData: { MFAUsed: 'Yes', MobileVersion: 'No' },
            }),
        },
      ];
    };
    const noiseRecord = (time: number): CloudTrailRecord => {
      const r = random();
      if (r < 0.45 || current === undefined) {
        const who = pick(staff);
        const [source, name] = pick([
          ['ec2.amazonaws.com', 'DescribeInstances'],
          ['ec2.amazonaws.com', 'DescribeSecurityGroups'],
          ['iam.amazonaws.com', 'ListRoles'],
          ['iam.amazonaws.com', 'GetUser'],
          ['s3.amazonaws.com', 'ListBuckets'],
          ['cloudwatch.amazonaws.com', 'GetMetricData'],
        ] as const);
        return base(time, uuid(random), {
          eventSource: source,
          eventName: name,
          userIdentity: userIdentity(who, staffKeys.get(who)),
          sourceIPAddress: pick(OFFICE_IPS),
          userAgent: CLI_AGENT,
          requestParameters: null,
          responseElements: null,
        });
      }
      if (r < 0.6) {
        return base(time, uuid(random), {
          eventSource: 'kms.amazonaws.com',
          eventName: pick(['Decrypt', 'GenerateDataKey']),
          userIdentity: {
            type: 'AWSService',
            invokedBy: pick(['cloudtrail.amazonaws.com', 's3.amazonaws.com']),
          },
          sourceIPAddress: pick(['cloudtrail.amazonaws.com', 's3.amazonaws.com']),
          userAgent: pick(['cloudtrail.amazonaws.com', 's3.amazonaws.com']),
          requestParameters: { encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::acme-logs' } },
          responseElements: null,
          sharedEventID: uuid(random),
        });
      }
      const s = current;
      if (s.kind === 'lambda') {
        return s3Record(
          time,
          uuid(random),
          s.identity,
          'GetObject',
          { bucketName: 'acme-uploads', key: `in/${Math.floor(random() * 1e6)}.jpg` },
          s.ip,
          {
            additionalEventData: { bytesTransferredIn: 0, bytesTransferredOut: 250_000 },
          },
        );
      }
      if (s.kind === 'console') {
        return base(time, uuid(random), {
          eventSource: 'ec2.amazonaws.com',
          eventName: 'DescribeInstances',
          userIdentity: s.identity,
          sourceIPAddress: s.ip,
          userAgent: CONSOLE_AGENT,
          sessionCredentialFromConsole: 'true',
          requestParameters: null,
          responseElements: null,
        });
      }
      return base(time, uuid(random), {
        eventSource: s.kind === 'ci' ? 'cloudformation.amazonaws.com' : 'ssm.amazonaws.com',
        eventName: s.kind === 'ci' ? 'DescribeStacks' : 'UpdateInstanceInformation',
        userIdentity: s.identity,
        sourceIPAddress: s.ip,
        userAgent: SDK_AGENT,
        requestParameters: null,
        responseElements: null,
      });
    };

    let next = 0;
    const pending: Draft[] = [];
    for (let i = 0; i < noise; i++) {
      const time = start + Math.floor((span * i) / Math.max(1, noise));
      if (i % sessionEvery === 0) pending.push(...nextSession(time));
      while (next < attackDrafts.length && (attackDrafts[next] as Draft).time <= time)
        pending.push(attackDrafts[next++] as Draft);
      pending.sort((a, b) => a.time - b.time);
      for (const draft of pending) yield draft.build(draft.time);
      pending.length = 0;
      yield noiseRecord(time);
    }
    for (; next < attackDrafts.length; next++) {
      const draft = attackDrafts[next] as Draft;
      yield draft.build(draft.time);
    }
  }

  return { attack, records };
}
