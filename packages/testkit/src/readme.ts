/**
 * What a package README's examples import from the package: every name in
 * `import { … } from '<package>'` blocks, type-only names left out. Tests
 * compare it with the entry point's exports, so a README cannot document a
 * name the package does not export.
 *
 * @param readme - the README's text
 * @param packageName - e.g. `@triage/trail`
 * @returns the value names imported, in order, possibly repeated
 */
export function readmeImports(readme: string, packageName: string): string[] {
  const from = packageName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*'${from}'`, 'g');
  return [...readme.matchAll(pattern)].flatMap((m) =>
    (m[1] as string)
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name.length > 0 && !name.startsWith('type ')),
  );
}
