import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const packageJson = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** The package a bare specifier names (`zod/mini` -> `zod`, `@signpdf/utils` -> `@signpdf/utils`). */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

type Graph = {
  /** Repository files loaded at start-up, relative paths. */
  files: Set<string>;
  /** Packages loaded at start-up, with a file that imports each. */
  packages: Map<string, string>;
  /** `await import(...)` of a string literal in those files: loaded later, if at all. */
  dynamic: { from: string; specifier: string }[];
};

/**
 * The static import graph from `entry`: every `import ... from`, `import "..."` and `export ... from`
 * that Node loads (not `import type` / `export type`, which Node strips), followed through the
 * repository's own files. Dynamic `import()` calls are listed, not followed.
 */
function staticImportGraph(entry: string): Graph {
  const graph: Graph = { files: new Set(), packages: new Map(), dynamic: [] };
  const visit = (file: string) => {
    const relative = path.relative(ROOT, file);
    if (graph.files.has(relative)) return;
    graph.files.add(relative);
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const follow = (specifier: string) => {
      if (specifier.startsWith("node:")) return;
      if (specifier.startsWith(".")) visit(path.resolve(path.dirname(file), specifier));
      else if (!graph.packages.has(packageOf(specifier))) graph.packages.set(packageOf(specifier), relative);
    };
    for (const statement of source.statements) {
      if (
        ts.isImportDeclaration(statement) &&
        !statement.importClause?.isTypeOnly &&
        ts.isStringLiteral(statement.moduleSpecifier)
      ) {
        follow(statement.moduleSpecifier.text);
      }
      if (
        ts.isExportDeclaration(statement) &&
        !statement.isTypeOnly &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
      ) {
        follow(statement.moduleSpecifier.text);
      }
    }
    const findDynamic = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [argument] = node.arguments;
        if (argument && ts.isStringLiteralLike(argument))
          graph.dynamic.push({ from: relative, specifier: argument.text });
      }
      ts.forEachChild(node, findDynamic);
    };
    findDynamic(source);
  };
  visit(path.join(ROOT, entry));
  return graph;
}

describe("npm start's import graph (server/main.ts)", () => {
  const graph = staticImportGraph("server/main.ts");

  it("never reaches hardhat, Ignition or the local chain except through a dynamic import", () => {
    expect(
      [...graph.packages.keys()].filter((name) => name === "hardhat" || name.startsWith("@nomicfoundation/")),
    ).to.deep.equal([]);
    expect(
      [...graph.files].filter((file) => file.startsWith("ignition/") || file === "server/chain/local-chain.ts"),
    ).to.deep.equal([]);
    expect(graph.dynamic).to.deep.include({ from: "server/start.ts", specifier: "./chain/local-chain.ts" });
  });

  it("loads only packages in dependencies, so an install without devDependencies starts in production mode", () => {
    const missing = [...graph.packages]
      .filter(([name]) => !(name in packageJson.dependencies))
      .map(([name, from]) => `${name} (from ${from})`);
    expect(missing).to.deep.equal([]);
  });

  it("imports later only packages in dependencies, apart from the embedded default's local chain", () => {
    const later = graph.dynamic.filter(({ specifier }) => !specifier.startsWith(".") && !specifier.startsWith("node:"));
    const missing = later
      .filter(({ specifier }) => !(packageOf(specifier) in packageJson.dependencies))
      .map(({ specifier, from }) => `${specifier} (from ${from})`);
    expect(missing).to.deep.equal([]);
  });
});
