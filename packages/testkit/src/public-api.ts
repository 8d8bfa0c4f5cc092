/**
 * A text rendering of a package's public API, for a committed snapshot that a
 * test compares: every export of the entry file with its kind and type, and
 * every member of exported interfaces and classes. A change to the surface
 * shows up as a diff in review.
 */
import ts from 'typescript';

function flags(): ts.TypeFormatFlags {
  return (
    ts.TypeFormatFlags.NoTruncation |
    ts.TypeFormatFlags.UseFullyQualifiedType |
    ts.TypeFormatFlags.WriteArrowStyleSignature |
    ts.TypeFormatFlags.UseAliasDefinedOutsideCurrentScope
  );
}

function kindOf(symbol: ts.Symbol): string {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  return 'const';
}

function clean(text: string, root: string): string {
  // Paths of imported types vary by machine; keep them relative to the package.
  return text.replaceAll(root, '.').replace(/import\("[^"]*node_modules\/([^"]+)"\)/g, 'import("$1")');
}

/**
 * Renders the public API of `entry` (a package's `src/index.ts`).
 *
 * @param entry - absolute path of the entry file
 * @param root - the package folder, stripped from paths in the output
 */
export function renderPublicApi(entry: string, root: string): string {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: true,
    noEmit: true,
    customConditions: ['triage-source'],
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`cannot read ${entry}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} has no exports`);
  const lines: string[] = [];
  const exports = checker.getExportsOfModule(moduleSymbol).sort((a, b) => a.name.localeCompare(b.name));
  for (const exported of exports) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const kind = kindOf(symbol);
    const declaration = symbol.declarations?.[0];
    if (kind === 'interface' || kind === 'class') {
      lines.push(`${kind} ${exported.name}`);
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(type).sort((a, b) => a.name.localeCompare(b.name))) {
        const memberDeclaration = member.valueDeclaration ?? member.declarations?.[0];
        if (!memberDeclaration) continue;
        const modifiers = ts.getCombinedModifierFlags(memberDeclaration as ts.Declaration);
        if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
        const readonly = modifiers & ts.ModifierFlags.Readonly ? 'readonly ' : '';
        const memberType = checker.getTypeOfSymbolAtLocation(member, memberDeclaration);
        lines.push(
          `  ${readonly}${member.name}${optional}: ${clean(checker.typeToString(memberType, undefined, flags()), root)}`,
        );
      }
    } else if (kind === 'type' && declaration && ts.isTypeAliasDeclaration(declaration)) {
      lines.push(`type ${exported.name} = ${clean(declaration.type.getText(), root)}`);
    } else {
      const type = checker.getTypeOfSymbol(symbol);
      lines.push(`${kind} ${exported.name}: ${clean(checker.typeToString(type, undefined, flags()), root)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
