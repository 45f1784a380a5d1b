// The repository stands alone: nothing in it refers to files beside it.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("the repository", () => {
  it("has no tracked file that refers to the shared folder beside the repository", () => {
    const files = execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
    expect(files.length).to.be.greaterThan(100);
    const outside = files.filter((file) => {
      if (/\.(png|jpg|pdf|ttf|otf|woff2?)$/i.test(file) || file === "package-lock.json") return false;
      return readFileSync(path.join(ROOT, file), "utf8").includes("../" + "shared");
    });
    expect(outside).to.deep.equal([]);
  });

  it("carries the sample inputs the tests, benchmarks and README use, under examples/", () => {
    for (const name of [
      "csb-cre.csv",
      "csb-cre-10k.csv",
      "csb-blnst.csv",
      "fsd-dg-licence.csv",
      "fsd-fsi-contractor.csv",
      "csb-cre-bad-rows.csv",
      "README.md",
    ]) {
      expect(readFileSync(path.join(ROOT, "examples", name)).length, name).to.be.greaterThan(0);
    }
  });
});
