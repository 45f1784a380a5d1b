import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";

/** Every TypeScript file under core/, relative paths. */
function coreFiles(dir = new URL("../../core/", import.meta.url), prefix = ""): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? coreFiles(new URL(`${entry.name}/`, dir), `${prefix}${entry.name}/`)
      : entry.name.endsWith(".ts")
        ? [`${prefix}${entry.name}`]
        : [],
  );
}

/**
 * Only these packages may be imported by core/: each has a browser-safe entry point and is small in the
 * verifier's bundle. Not ethers (the core has its own keccak256, EIP-55 and registry selectors) nor the
 * full zod (zod/mini instead: about 25 KB minified where zod is 450 KB).
 */
const ALLOWED_PACKAGES = ["canonicalize", "zod/mini", "zod/locales", "csv-parse/browser/esm/sync", "fflate"];

describe("core/ runs unchanged in the browser", function () {
  for (const file of coreFiles()) {
    it(`${file} uses no node: module, process, Buffer or require, and imports only browser-safe packages`, function () {
      const source = readFileSync(new URL(`../../core/${file}`, import.meta.url), "utf8");
      const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");

      expect(code).to.not.match(/from\s+["']node:/);
      expect(code).to.not.match(/\bprocess\./);
      expect(code).to.not.match(/\bBuffer\b/);
      expect(code).to.not.match(/\brequire\(/);
      for (const [, specifier] of code.matchAll(/(?:from|import)\s+["']([^"']+)["']/g)) {
        if (specifier.startsWith(".")) expect(specifier, "relative imports end in .ts").to.match(/\.ts$/);
        else expect(ALLOWED_PACKAGES, `import of ${specifier}`).to.include(specifier);
      }
    });
  }
});
