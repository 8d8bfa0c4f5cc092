/** The tree, DOT and Mermaid renderings of a lineage graph. */
import { describe, expect, it } from 'vitest';
import { buildLineage, type LineageGraph } from './lineage.js';
import { normalizeRecord, type TrailEvent } from './reader.js';
import { formatLineageTree, lineageToDot, lineageToMermaid } from './render.js';
import { syntheticTrail } from './synthetic.js';

async function graphOf(): Promise<{
  graph: LineageGraph;
  attack: ReturnType<typeof syntheticTrail>['attack'];
}> {
  const trail = syntheticTrail({ noise: 50, seed: 11 });
  const events = [...trail.records()].map((r, i) => normalizeRecord(r, 'synthetic', i) as TrailEvent);
  return { graph: await buildLineage(events), attack: trail.attack };
}

describe('formatLineageTree', () => {
  it('draws the chain under its long-term key, each key under the call that minted it', async () => {
    const { graph, attack } = await graphOf();
    const text = formatLineageTree(graph);
    const lines = text.split('\n');
    const root = lines.findIndex((l) => l.startsWith(`${attack.longTermKey} long-term`));
    expect(root).toBeGreaterThanOrEqual(0);
    const expected = [
      `└─ GetSessionToken ${attack.userArn} at ${attack.times.getSessionToken.replace('Z', '.000Z')} from ${attack.mintIp} [${attack.eventIds.getSessionToken}]`,
      `   ${attack.sessionTokenKey} minted ${attack.userArn}: 2 calls`,
      `   └─ AssumeRole ${attack.roleArn} at ${attack.times.assumeRole.replace('Z', '.000Z')} from ${attack.useIp} [${attack.eventIds.assumeRole}]`,
      `      ${attack.roleKey} minted arn:aws:sts::${attack.account}:assumed-role/ops-admin/backup: 2 calls`,
      `      └─ AssumeRole ${attack.chainedRoleArn} at ${attack.times.chainedAssumeRole.replace('Z', '.000Z')} from ${attack.useIp} [${attack.eventIds.chainedAssumeRole}]`,
      `         ${attack.chainedRoleKey} minted arn:aws:sts::${attack.account}:assumed-role/data-reader/sync: ${2 + attack.objects.length} calls`,
    ];
    expect(lines.slice(root + 1, root + 7).map((l, i) => l.slice(0, expected[i]?.length))).toEqual(expected);
    expect(text).toContain(`${attack.objects.length} read (${(attack.bytesRead / 1e6).toFixed(1)} MB)`);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('leaves out quiet single-key trees unless asked', async () => {
    const { graph } = await graphOf();
    const quiet = graph.keys
      .filter((k) => k.kind === 'long-term' && k.mintedBy === undefined)
      .map((k) => k.accessKeyId);
    const all = formatLineageTree(graph, { skipQuiet: false });
    const some = formatLineageTree(graph);
    const staff = quiet.filter((k) => !some.includes(k));
    expect(staff.length).toBeGreaterThan(0);
    for (const k of staff) expect(all).toContain(k);
  });
});

describe('lineageToDot and lineageToMermaid', () => {
  it('draw one arrow per minting call, long-term keys marked', async () => {
    const { graph, attack } = await graphOf();
    const dot = lineageToDot(graph);
    expect(dot.startsWith('digraph lineage {')).toBe(true);
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    expect(dot.match(/ -> /g)?.length).toBe(graph.edges.filter((e) => e.parentKey && e.childKey).length);
    expect(dot).toContain(`"${attack.roleKey}" -> "${attack.chainedRoleKey}" [label="AssumeRole\\n`);
    expect(dot).toMatch(new RegExp(`"${attack.longTermKey}" \\[label="[^"]*", peripheries=2\\];`));

    const mermaid = lineageToMermaid(graph);
    expect(mermaid.startsWith('flowchart LR\n')).toBe(true);
    expect(mermaid).toContain(`k_${attack.longTermKey}[[`);
    expect(mermaid).toContain(`k_${attack.sessionTokenKey} -->|"AssumeRole `);
    expect(mermaid.match(/-->/g)?.length).toBe(graph.edges.filter((e) => e.parentKey && e.childKey).length);
  });

  it('escape quotes and newlines in labels', async () => {
    const events = [
      {
        eventID: 'q-1',
        eventTime: '2026-01-01T10:00:00Z',
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        userIdentity: {
          type: 'IAMUser',
          arn: 'arn:aws:iam::111122223333:user/o"hara',
          accessKeyId: 'AKIAEXAMPLEQUOTE0001',
        },
        requestParameters: { roleArn: 'arn:aws:iam::111122223333:role/r', roleSessionName: 's' },
        responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLEQUOTE0001' } },
      },
    ].map((r, i) => normalizeRecord(r, 'q', i) as TrailEvent);
    const graph = await buildLineage(events);
    expect(lineageToDot(graph)).toContain('user/o\\"hara');
    expect(lineageToMermaid(graph)).toContain('user/o#quot;hara');
  });
});
