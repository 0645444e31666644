// The import graph of the project's TypeScript sources, read with TypeScript's
// own parser: every import, export ... from, import() and import('x').T whose
// path is relative (packages and node: modules are not part of the layering).
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** The importing file, relative to the checkout with '/' (src/fabric/peer.ts). */
  from: string;
  /** The imported file, the same way (its .ts source, not the .js the specifier names). */
  to: string;
  /** `import type` and the like: nothing is loaded at run time. */
  typeOnly: boolean;
}

export interface ImportSpecifier {
  specifier: string;
  typeOnly: boolean;
}

/** Files under `folder` (relative to `root`) whose names end in `extension`, relative with '/'. */
export function filesUnder(root: string, folder: string, extension: string): string[] {
  const entries = readdirSync(join(root, folder), { withFileTypes: true });
  return entries
    .flatMap((entry) => {
      const path = posix.join(folder, entry.name);
      if (entry.isDirectory()) return filesUnder(root, path, extension);
      return entry.isFile() && entry.name.endsWith(extension) && !entry.name.endsWith('.d.ts') ? [path] : [];
    })
    .sort();
}

/** What one source text imports, in order. */
export function importsOf(fileName: string, text: string): ImportSpecifier[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ImportSpecifier[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: importIsTypeOnly(node.importClause) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const allTypes =
        clause !== undefined &&
        ts.isNamedExports(clause) &&
        clause.elements.length > 0 &&
        clause.elements.every((e) => e.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || allTypes });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument && ts.isStringLiteralLike(argument)) found.push({ specifier: argument.text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function importIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // import './x.js': run for its effects
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

/** The edges between the .ts files under `folders` of the checkout at `root`. */
export function importGraph(root: string, folders: string[] = ['src']): ImportEdge[] {
  return folders
    .flatMap((folder) => filesUnder(root, folder, '.ts'))
    .flatMap((from) =>
      importsOf(from, readFileSync(join(root, from), 'utf8'))
        .filter(({ specifier }) => specifier.startsWith('./') || specifier.startsWith('../'))
        .map(({ specifier, typeOnly }) => ({
          from,
          to: posix.normalize(posix.join(posix.dirname(from), specifier)).replace(/\.js$/, '.ts'),
          typeOnly,
        })),
    );
}
