/**
 * The lineage for people: an indented tree, and Graphviz DOT or Mermaid
 * text for a picture. Pure functions of a {@link LineageGraph}.
 */
import { chainsOf, childrenByParent, type KeyNode, type LineageGraph, type MintEdge } from './lineage.js';

/** Options for {@link formatLineageTree}. */
export interface FormatTreeOptions {
  /** Leave out trees of a single key that minted nothing and read nothing; default true. */
  readonly skipQuiet?: boolean;
}

function mb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${bytes} B`;
}

/** One line about a key: who, where from, what it did. */
export function describeKey(key: KeyNode): string {
  const parts = [`${key.accessKeyId} ${key.origin}`, key.principalArn ?? '(unknown principal)'];
  const ips = key.sourceIps.map((u) => u.ip);
  const use = key.events === 0 ? 'never used' : `${key.events} calls ${key.firstUse} .. ${key.lastUse}`;
  const s3 = key.s3;
  const s3Text =
    s3.listCalls + s3.readCalls + s3.writeCalls > 0
      ? `; s3: ${s3.listCalls} list, ${s3.readCalls} read (${mb(s3.bytesOut)}), ${s3.writeCalls} write (${mb(s3.bytesIn)})`
      : '';
  const errors = Object.entries(key.errors)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
  return `${parts.join(' ')}: ${use}${ips.length > 0 ? ` from ${ips.join(', ')}` : ''}${key.mfa ? ', MFA' : ''}${s3Text}${errors ? `; errors ${errors}` : ''}`;
}

function describeEdge(edge: MintEdge): string {
  const target = edge.roleArn ?? edge.sessionArn ?? edge.userArn ?? '?';
  return `${edge.kind} ${target} at ${edge.eventTime} from ${edge.sourceIp ?? '?'}${edge.mfa ? ' (MFA)' : ''} [${edge.eventId}]${edge.joinedBy === 'creationDate' ? ' (joined by session creation time)' : ''}`;
}

/**
 * The credential trees as indented text, one tree per root key, children
 * under the minting call that made them.
 *
 * @param graph - from `buildLineage`
 * @param options - see {@link FormatTreeOptions}
 * @returns lines, `\n`-joined, ending with a newline (empty when nothing to show)
 */
export function formatLineageTree(graph: LineageGraph, options: FormatTreeOptions = {}): string {
  const skipQuiet = options.skipQuiet ?? true;
  const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
  const children = childrenByParent(graph);
  const lines: string[] = [];
  const walk = (key: string, indent: string, seen: Set<string>) => {
    for (const [i, edge] of (children.get(key) ?? []).entries()) {
      const last = i === (children.get(key)?.length ?? 0) - 1;
      const child = edge.childKey as string;
      lines.push(`${indent}${last ? '└─' : '├─'} ${describeEdge(edge)}`);
      const next = `${indent}${last ? '   ' : '│  '}`;
      const node = byKey.get(child);
      lines.push(`${next}${node ? describeKey(node) : child}`);
      if (!seen.has(child)) {
        seen.add(child);
        walk(child, next, seen);
      }
    }
  };
  for (const chain of chainsOf(graph)) {
    const root = byKey.get(chain.root);
    if (root === undefined) continue;
    const quiet = chain.edges.length === 0 && root.s3.readCalls === 0 && root.s3.listCalls === 0;
    if (skipQuiet && quiet) continue;
    const mint =
      root.mintedBy === undefined ? undefined : graph.edges.find((e) => e.eventId === root.mintedBy);
    if (mint !== undefined)
      lines.push(`${mint.parentArn ?? mint.parentType ?? '(no key)'}: ${describeEdge(mint)}`);
    lines.push(describeKey(root));
    walk(chain.root, '', new Set([chain.root]));
    lines.push('');
  }
  return lines.length === 0 ? '' : `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

function keyLabel(key: KeyNode | undefined, id: string): string {
  if (key === undefined) return id;
  const who = key.principalArn?.replace(/^arn:aws[\w-]*:(iam|sts)::\d{12}:/, '') ?? '?';
  return `${id}\n${key.origin}: ${who}`;
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/**
 * The lineage as a Graphviz digraph: a box per key (long-term keys
 * doubled), an arrow per minting call labelled with the call and its time.
 *
 * @param graph - from `buildLineage`
 * @returns DOT text for `dot -Tsvg`
 */
export function lineageToDot(graph: LineageGraph): string {
  const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
  const lines = ['digraph lineage {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  const shown = new Set<string>();
  const node = (id: string) => {
    if (shown.has(id)) return;
    shown.add(id);
    const key = byKey.get(id);
    const style =
      key?.kind === 'long-term' ? ', peripheries=2' : key?.origin === 'orphan' ? ', style=dashed' : '';
    lines.push(`  ${dotString(id)} [label=${dotString(keyLabel(key, id))}${style}];`);
  };
  for (const edge of graph.edges) {
    if (edge.parentKey === undefined || edge.childKey === undefined) continue;
    node(edge.parentKey);
    node(edge.childKey);
    lines.push(
      `  ${dotString(edge.parentKey)} -> ${dotString(edge.childKey)} [label=${dotString(`${edge.kind}\n${edge.eventTime}`)}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mermaidId(id: string): string {
  return `k_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function mermaidText(text: string): string {
  return `"${text.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`;
}

/**
 * The lineage as a Mermaid flowchart (renders in GitHub Markdown).
 *
 * @param graph - from `buildLineage`
 * @returns Mermaid text starting with `flowchart LR`
 */
export function lineageToMermaid(graph: LineageGraph): string {
  const byKey = new Map(graph.keys.map((k) => [k.accessKeyId, k]));
  const lines = ['flowchart LR'];
  const shown = new Set<string>();
  const node = (id: string) => {
    if (shown.has(id)) return;
    shown.add(id);
    const key = byKey.get(id);
    const label = mermaidText(keyLabel(key, id));
    lines.push(key?.kind === 'long-term' ? `  ${mermaidId(id)}[[${label}]]` : `  ${mermaidId(id)}[${label}]`);
  };
  for (const edge of graph.edges) {
    if (edge.parentKey === undefined || edge.childKey === undefined) continue;
    node(edge.parentKey);
    node(edge.childKey);
    lines.push(
      `  ${mermaidId(edge.parentKey)} -->|${mermaidText(`${edge.kind} ${edge.eventTime}`)}| ${mermaidId(edge.childKey)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
