/**
 * The layout rules of docs/architecture.md, checked on the real tree: which
 * way dependencies may point, one public entry per package, and that every
 * workspace import is declared. Biome checks the rules it can see in one file
 * (no default exports, no `export *`, no process.env in packages).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Packages that must never depend on each other, whatever else changes. */
const FORBIDDEN: Readonly<Record<string, readonly string[]>> = {
  // The transport moves bytes; it must stay usable by other teams without our formats.
  '@triage/s3-transport': ['@triage/artifact-schema', '@triage/encryption'],
};

interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, unknown>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Workspace {
  readonly kind: 'package' | 'app';
  readonly dir: string;
  readonly manifest: Manifest;
}

function workspaces(): Workspace[] {
  const found: Workspace[] = [];
  for (const [group, kind] of [
    ['packages', 'package'],
    ['apps', 'app'],
  ] as const) {
    let names: string[] = [];
    try {
      names = readdirSync(join(ROOT, group));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(ROOT, group, name);
      try {
        const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
        found.push({ kind, dir, manifest });
      } catch {
        // Not a workspace (no package.json).
      }
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mts|js|mjs)$/.test(entry)) out.push(path);
    }
  };
  try {
    walk(join(dir, 'src'));
  } catch {
    // No src folder.
  }
  return out;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](@triage\/[a-z0-9-]+)(?:\/[^'"]*)?['"]/g;

/** Workspace imports in source text: `import … from '@triage/x'`, `import('@triage/x')`, `export … from`, bare `import '…'`. */
function importsIn(text: string): string[] {
  // TSDoc examples show imports too; only code counts.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return [...new Set([...code.matchAll(IMPORT)].map((match) => match[1] as string))];
}

const all = workspaces();
const byName = new Map(all.map((ws) => [ws.manifest.name, ws]));

describe('workspace layout', () => {
  it('finds the workspaces', () => {
    expect(byName.has('@triage/errors')).toBe(true);
    expect(byName.has('@triage/testkit')).toBe(true);
  });

  it.each(all.map((ws) => [ws.manifest.name, ws] as const))(
    '%s depends only in allowed directions',
    (name, ws) => {
      const m = ws.manifest;
      const deps = { ...m.dependencies, ...m.peerDependencies, ...m.devDependencies };
      for (const dep of Object.keys(deps).filter((d) => byName.has(d))) {
        const target = byName.get(dep) as Workspace;
        // Apps depend on packages, never the reverse; apps never depend on each other.
        expect(target.kind, `${name} must not depend on the app ${dep}`).toBe('package');
        expect(FORBIDDEN[name] ?? [], `${name} must not depend on ${dep}`).not.toContain(dep);
        if (dep === '@triage/testkit') {
          expect(m.devDependencies?.[dep], `${name}: @triage/testkit is a devDependency only`).toBeDefined();
        }
      }
    },
  );

  it.each(all.map((ws) => [ws.manifest.name, ws] as const))(
    '%s imports only workspaces it declares',
    (name, ws) => {
      const m = ws.manifest;
      // This file holds import samples in strings; it is checked by its own last test instead.
      for (const file of sourceFiles(ws.dir).filter((f) => !f.endsWith('architecture.test.ts'))) {
        // Tests and test-only helpers (under src/testing/, excluded from builds and tarballs) may use devDependencies.
        const isTest = /\.test\.ts$/.test(file) || /\/src\/testing\//.test(file);
        const declared = { ...m.dependencies, ...m.peerDependencies, ...(isTest ? m.devDependencies : {}) };
        for (const dep of importsIn(readFileSync(file, 'utf8'))) {
          if (dep === name) continue;
          expect(
            declared[dep],
            `${relative(ROOT, file)} imports ${dep}, which ${name} does not declare`,
          ).toBeDefined();
        }
      }
    },
  );

  it.each(all.filter((ws) => ws.kind === 'package').map((ws) => [ws.manifest.name, ws] as const))(
    '%s has one public entry: src/index.ts',
    (_name, ws) => {
      expect(Object.keys(ws.manifest.exports ?? {})).toEqual(['.']);
      expect(ws.manifest.exports?.['.']).toEqual({
        'triage-source': './src/index.ts',
        types: './dist/index.d.ts',
        default: './dist/index.js',
      });
      expect(statSync(join(ws.dir, 'src', 'index.ts')).isFile()).toBe(true);
    },
  );
});

describe('the rule checks themselves', () => {
  it('recognise every import form', () => {
    const sample = `import { a } from '@triage/errors';\nexport { b } from "@triage/s3-transport";\nawait import('@triage/encryption');\nimport '@triage/side-effect/sub';\nimport { x } from '@other/errors';\n/** import { y } from '@triage/in-doc'; */\n// import '@triage/in-comment';`;
    expect(importsIn(sample)).toEqual([
      '@triage/errors',
      '@triage/s3-transport',
      '@triage/encryption',
      '@triage/side-effect',
    ]);
  });
});
