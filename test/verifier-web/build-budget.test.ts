import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { SCRIPT_BUDGETS, buildVerifierWeb } from "../../verifier-web/build.ts";

/** The packages a page's source map says were bundled into it (`zod`, `jsqr` ...). */
async function bundledPackages(dir: string, script: string): Promise<string[]> {
  const map = JSON.parse(await readFile(path.join(dir, `${script}.map`), "utf8")) as { sources: string[] };
  const packages = map.sources.flatMap((source) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(source);
    return match ? [`${match[1]}/${match[2]}`] : [];
  });
  return packages;
}

describe("verifier-web/build.ts: script budgets", function () {
  this.timeout(120_000);
  let dir: string;
  let files: { name: string; bytes: number; gzipBytes: number }[];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "ecert-budget-"));
    ({ files } = await buildVerifierWeb({ outDir: path.join(dir, "dist") }));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const script = (name: string) => {
    const found = files.find((file) => file.name.startsWith(`${name}-`) && file.name.endsWith(".js"));
    if (!found) throw new Error(`no ${name} script in ${files.map((f) => f.name).join(", ")}`);
    return found;
  };

  it("keeps the verifier page's script under 250 KB minified and 90 KB gzipped", () => {
    const app = script("app");
    expect(app.bytes).to.be.below(250_000);
    expect(app.gzipBytes).to.be.below(90_000);
    expect(app.bytes).to.be.at.most(SCRIPT_BUDGETS.app.bytes);
  });

  it("keeps the claim page's script under 250 KB minified and 90 KB gzipped", () => {
    const claim = script("claim");
    expect(claim.bytes).to.be.below(250_000);
    expect(claim.gzipBytes).to.be.below(90_000);
  });

  it("keeps the issuer directory's script under 100 KB minified and 35 KB gzipped, with no package bundled", async () => {
    const issuers = script("issuers");
    expect(issuers.bytes).to.be.below(100_000);
    expect(issuers.gzipBytes).to.be.below(35_000);
    expect(await bundledPackages(path.join(dir, "dist"), issuers.name)).to.deep.equal([]);
  });

  it("bundles neither ethers nor the full zod into the verifier and claim pages", async () => {
    for (const name of ["app", "claim"]) {
      const packages = await bundledPackages(path.join(dir, "dist"), script(name).name);
      expect(
        packages.filter((p) => p.startsWith("ethers/") || p.startsWith("@noble/") || p.startsWith("@adraffy/")),
        name,
      ).to.deep.equal([]);
      expect(
        packages.filter((p) => p.startsWith("zod/") && /\/classic\//.test(p)),
        name,
      ).to.deep.equal([]);
    }
  });

  it("fails the build, writing nothing, when a script is over its budget", async () => {
    const outDir = path.join(dir, "over");
    let error: unknown;
    try {
      await buildVerifierWeb({ outDir, budgets: { ...SCRIPT_BUDGETS, app: { bytes: 1000, gzipBytes: 1000 } } });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).message).to.match(/app-[A-Z0-9]+\.js is \d+ bytes minified, over its budget of 1000/);
    expect((error as Error).message).to.not.match(/claim-/);
    expect(await readdir(dir)).to.not.include("over");
  });
});
