/**
 * Acceptance 2 of the lineage issue, on real CloudTrail: the Stratus Red Team
 * detonation logs in ../shared/cloudtrail-samples/stratus-red-team (one JSON
 * array of records per technique; anonymised accounts and addresses, so no
 * address logic is checked here). Read from beside the repository, never
 * copied into it.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectFindings } from './findings.js';
import { buildLineage, chainsOf, type LineageGraph } from './lineage.js';
import { localTrailSource, readTrail, type TrailDiagnostic, type TrailEvent } from './reader.js';
import { planRemediation } from './remediation.js';

const SAMPLES = fileURLToPath(
  new URL('../../../../shared/cloudtrail-samples/stratus-red-team/', import.meta.url),
);
const FEDERATION = `${SAMPLES}aws.persistence.sts-federation-token.json`;

type Raw = {
  eventName?: string;
  userIdentity?: { accessKeyId?: string; arn?: string; sessionContext?: Record<string, unknown> };
  responseElements?: { credentials?: { accessKeyId?: string } } | null;
};

/**
 * The access key ids the expectations name, looked up in the raw sample
 * records by their role (plain JSON access, not our reader), so no
 * key-shaped string is written into the repository.
 */
async function rawKey(file: string, pick: (record: Raw) => string | undefined): Promise<string> {
  const records = JSON.parse(await readFile(`${SAMPLES}${file}`, 'utf8')) as Raw[];
  const found = records.map(pick).find((key) => key !== undefined && key !== '');
  if (found === undefined) throw new Error(`no such key in ${file}`);
  return found;
}

const usedAs = (arnPart: string) => (r: Raw) =>
  r.userIdentity?.arn?.includes(arnPart) ? r.userIdentity.accessKeyId : undefined;

describe('the Stratus Red Team detonation logs', () => {
  let graph: LineageGraph;
  const diagnostics: TrailDiagnostic[] = [];
  const events: TrailEvent[] = [];

  // The keys of the federation-token detonation: the user's long-term key and the token it minted.
  let longTerm: string;
  let federated: string;

  beforeAll(async () => {
    const federation = FEDERATION.slice(SAMPLES.length);
    longTerm = await rawKey(federation, (r) =>
      r.eventName === 'GetFederationToken' ? r.userIdentity?.accessKeyId : undefined,
    );
    federated = await rawKey(federation, (r) =>
      r.eventName === 'GetFederationToken' ? r.responseElements?.credentials?.accessKeyId : undefined,
    );
    for await (const event of readTrail(localTrailSource(SAMPLES), {
      onDiagnostic: (d) => diagnostics.push(d),
    })) {
      events.push(event);
    }
    graph = await buildLineage(events);
  });

  it('reads every file without a diagnostic', async () => {
    let expected = 0;
    for await (const file of localTrailSource(SAMPLES)) {
      expected += (JSON.parse(await readFile(file.name, 'utf8')) as unknown[]).length;
    }
    expect(diagnostics).toEqual([]);
    expect(expected).toBeGreaterThan(300);
    expect(events).toHaveLength(expected);
  });

  it('links the GetFederationToken key to its use as a FederatedUser', () => {
    const edge = graph.edges.find((e) => e.kind === 'GetFederationToken');
    expect(edge).toMatchObject({
      parentKey: longTerm,
      parentType: 'IAMUser',
      childKey: federated,
      joinedBy: 'accessKeyId',
      sessionArn: 'arn:aws:sts::742491224508:federated-user/stratus_red_team',
      userArn: 'arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user',
      // "Nov 30, 2024, 8:43:17 PM": the human form STS logs, in UTC.
      expiration: '2024-11-30T20:43:17.000Z',
    });
    const child = graph.keys.find((k) => k.accessKeyId === federated);
    expect(child).toMatchObject({
      origin: 'minted',
      mintedBy: edge?.eventId,
      identityType: 'FederatedUser',
      principalArn: 'arn:aws:sts::742491224508:federated-user/stratus_red_team',
      // The session's creationDate is the minting call's eventTime: the fallback join's key.
      creationDate: edge?.eventTime,
      events: 1,
      services: { sts: 1 },
    });
    const finding = detectFindings(graph).find((f) => f.rule === 'federation-token-from-long-term-key');
    expect(finding?.keys).toEqual([longTerm, federated]);
    expect(finding?.evidence).toEqual([edge?.eventId]);
    expect(finding?.techniques.map((t) => t.id)).toEqual(['T1098.001', 'T1550.001']);
  });

  it('links it by creationDate when the response holds no credentials', async () => {
    const records = JSON.parse(await readFile(FEDERATION, 'utf8')) as Record<string, unknown>[];
    const stripped = records.map((r) =>
      r.eventName === 'GetFederationToken'
        ? { ...r, responseElements: { ...(r.responseElements as object), credentials: undefined } }
        : r,
    );
    const local: TrailEvent[] = [];
    for await (const e of readTrail([
      { name: 'stripped.json', bytes: [Buffer.from(JSON.stringify(stripped))] },
    ])) {
      local.push(e);
    }
    const g = await buildLineage(local);
    expect(g.edges.map((e) => [e.kind, e.childKey, e.joinedBy])).toEqual([
      ['GetFederationToken', federated, 'creationDate'],
    ]);
  });

  it('flags no console, service, instance or SSO session as an orphan', async () => {
    const bedrock = await rawKey(
      'aws.impact.bedrock-invoke-model.json',
      usedAs('assumed-role/test-role/cli'),
    );
    const instance = await rawKey('aws.credential-access.ec2-steal-instance-credentials.json', (r) =>
      r.userIdentity?.sessionContext?.ec2RoleDelivery !== undefined ? r.userIdentity.accessKeyId : undefined,
    );
    const sso = await rawKey(
      'aws.lateral-movement.ec2-serial-console-send-ssh-public-key.json',
      usedAs('assumed-role/AWSReservedSSO'),
    );
    const orphans = graph.keys.filter((k) => k.origin === 'orphan');
    // The one orphan is a role session whose AssumeRole is not in these logs.
    expect(orphans.map((k) => [k.accessKeyId, k.principalArn])).toEqual([
      [bedrock, 'arn:aws:sts::494659789341:assumed-role/test-role/cli'],
    ]);
    const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k.origin]));
    expect(byKey.get(instance)).toBe('instance-profile');
    expect(byKey.get(sso)).toBe('sso');
    expect(graph.consoleLogins).toHaveLength(1);
    expect(graph.consoleLogins[0]).toMatchObject({ mfa: false, success: true });
    // Console sign-in carries no access key; it is counted, not made a key.
    expect(graph.unattributed).toBeGreaterThan(0);
  });

  it('takes the role of a refused AssumeRole from its errorMessage (requestParameters is null)', () => {
    const refused = graph.failedMints.filter((e) => e.errorCode === 'AccessDenied');
    expect(refused.length).toBe(4);
    for (const edge of refused) {
      expect(edge.roleArn).toMatch(/^arn:aws:iam::\d{12}:role\/stratus-red-team-/);
      expect(edge.childKey).toBeUndefined();
    }
  });

  it('joins every AssumeRole whose response holds credentials', async () => {
    const roleSessions = await Promise.all(
      [
        'aws.credential-access.ec2-get-password-data.json',
        'aws.discovery.ec2-download-user-data.json',
        'aws.execution.ec2-launch-unusual-instances.json',
      ].map((file) => rawKey(file, usedAs(':assumed-role/'))),
    );
    const assumed = graph.edges.filter((e) => e.kind === 'AssumeRole');
    expect(assumed).toHaveLength(8);
    expect(assumed.every((e) => e.childKey?.startsWith('ASIA') && e.joinedBy === 'accessKeyId')).toBe(true);
    const used = graph.keys.filter((k) => k.origin === 'minted' && k.events > 0).map((k) => k.accessKeyId);
    expect(used).toEqual(expect.arrayContaining(roleSessions));
  });

  it('plans and proves the remediation of the federation-token chain', () => {
    const [chain] = chainsOf(graph, federated);
    if (chain === undefined) throw new Error('no chain');
    const plan = planRemediation(graph, chain, { now: () => new Date('2024-12-01T00:00:00Z') });
    expect(plan.proven).toBe(true);
    expect(plan.steps.map((s) => [s.kind, s.target])).toEqual([
      ['deactivate-key', 'stratus-red-team-user-federation-user'],
      ['put-user-policy', 'stratus-red-team-user-federation-user'],
    ]);
  });
});
