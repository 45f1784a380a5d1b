import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, waitFor } from "./api-helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

/** Runs `certs ...` (bin/certs.ts) with DATA_DIR pointing at the server's dev.json. */
async function certs(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
      env: { ...process.env, DATA_DIR: dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("certs CLI (issue, revoke, status)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-cli-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }));
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("issues a CSV through the API with a progress bar, a summary and files of claim codes and per-row errors", async () => {
    const csv = path.join(dataDir, "bad-rows.csv");
    await writeFile(csv, sampleCsv("csb-cre-bad-rows.csv"));
    const { code, stdout, stderr } = await certs(dataDir, "issue", "--type", "csb-cre", "--csv", csv);
    expect(code).to.equal(1); // some rows were rejected
    expect(stderr).to.match(/\[#{30}\] 100%/);
    expect(stdout).to.include("3 of 3 certificates issued");
    expect(stdout).to.include("9 rows rejected");
    const errors = await readFile(path.join(dataDir, "bad-rows.errors.csv"), "utf8");
    expect(errors.split("\r\n")[0]).to.equal("row,column,message");
    expect(errors).to.match(/^3,sitting_date,/m);
    const claims = (await readFile(path.join(dataDir, "bad-rows.claims.csv"), "utf8")).trim().split("\r\n");
    expect(claims).to.have.length(4);
    expect(claims[1]).to.match(/^1,[0-9a-f-]{36},CRE2026000101-20260912,[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it("revokes a certificate by id and the service applies it on chain", async () => {
    const csv = path.join(dataDir, "good.csv");
    await writeFile(csv, sampleCsv("csb-cre.csv"));
    expect((await certs(dataDir, "issue", "--type", "csb-cre", "--csv", csv)).code).to.equal(0);
    const id = (await readFile(path.join(dataDir, "good.claims.csv"), "utf8")).split("\r\n")[1].split(",")[1];
    const revoked = await certs(dataDir, "revoke", id, "--reason", "fraud", "--issuer", "CSB");
    expect(revoked.code).to.equal(0);
    expect(revoked.stdout).to.include(`revocation of ${id} queued`);
    await waitFor(
      async () =>
        (await api(server, "GET", `/certificates/${id}`, { key: server.dev!.apiKeys.CSB })).json.status === "revoked",
    );
  });

  it("verifies a PDF with no issuer API involved: exit 0 VALID, 1 INVALID (tampered), and --json gives the result JSON", async () => {
    const csv = path.join(dataDir, "verify.csv");
    await writeFile(csv, sampleCsv("csb-blnst.csv"));
    expect((await certs(dataDir, "issue", "--type", "csb-blnst", "--csv", csv)).code).to.equal(0);
    const code = (await readFile(path.join(dataDir, "verify.claims.csv"), "utf8")).split("\r\n")[1].split(",")[3];
    const pdf = (await api(server, "GET", `/claim/${code}/pdf`)).bytes;
    const file = path.join(dataDir, "cert.pdf");
    await writeFile(file, pdf);
    const rpc = ["--rpc", server.dev!.rpcUrl, "--chain-id", "31337", "--registry", server.dev!.registry];
    const valid = await certs("/nonexistent", "verify", file, ...rpc);
    expect(valid.code).to.equal(0);
    expect(valid.stdout).to.match(/^VALID 有效/);
    const json = await certs(dataDir, "verify", file, "--json");
    expect(JSON.parse(json.stdout).status).to.equal("VALID");
    pdf[2000] ^= 1;
    await writeFile(file, pdf);
    const invalid = await certs(dataDir, "verify", file);
    expect(invalid.code).to.equal(1);
    expect(invalid.stdout).to.match(/^INVALID 無效: .*TAMPERED/);
  });

  it("exits 2 UNABLE TO CHECK when the chain cannot be reached", async () => {
    const code = (await readFile(path.join(dataDir, "verify.claims.csv"), "utf8")).split("\r\n")[2].split(",")[3];
    const file = path.join(dataDir, "untouched.pdf");
    await writeFile(file, (await api(server, "GET", `/claim/${code}/pdf`)).bytes);
    const result = await certs(
      "/nonexistent",
      "verify",
      file,
      "--rpc",
      "http://127.0.0.1:9",
      "--chain-id",
      "31337",
      "--registry",
      server.dev!.registry,
    );
    expect(result.code).to.equal(2);
  });

  it("exits 1 MALFORMED for a credential file with a member twice, naming it", async () => {
    const code = (await readFile(path.join(dataDir, "verify.claims.csv"), "utf8")).split("\r\n")[4].split(",")[3];
    const text = JSON.stringify((await api(server, "GET", `/claim/${code}/credential`)).json);
    const file = path.join(dataDir, "doubled.json");
    await writeFile(file, `{"issuer":"urn:hk-ecert:issuer:FSD",${text.slice(1)}`);
    const result = await certs(dataDir, "verify", file);
    expect(result.code).to.equal(1);
    expect(result.stdout).to.include("MALFORMED").and.include('"issuer" twice (at /issuer)');
  });

  it("reads a file whose name holds a # as a file, not as a verifier URL", async () => {
    const code = (await readFile(path.join(dataDir, "verify.claims.csv"), "utf8")).split("\r\n")[3].split(",")[3];
    const file = path.join(dataDir, "cert #3.pdf");
    await writeFile(file, (await api(server, "GET", `/claim/${code}/pdf`)).bytes);
    const result = await certs(dataDir, "verify", file, "--json");
    expect(result.code, result.stderr).to.equal(0);
    expect(JSON.parse(result.stdout).certificate.type).to.equal("csb-blnst");
  });

  it("creates a department API key in the database, printed once, that the API then accepts for that department only", async () => {
    const created = await certs(dataDir, "apikey", "create", "--issuer", "FSD", "--label", "licensing office");
    expect(created.code).to.equal(0);
    const key = created.stdout.trim();
    expect(key).to.match(/^ecert_fsd_[A-Za-z0-9_-]{43}$/);
    expect((await api(server, "GET", "/certificates", { key })).status).to.equal(200);
    const csb = await api(server, "POST", "/batches?type=csb-cre", {
      key,
      body: sampleCsv("csb-cre.csv"),
      contentType: "text/csv",
    });
    expect(csb.status).to.equal(403);
  });

  it("issues with the key of the department the type's schema names (FSD for a licence type)", async () => {
    const csv = path.join(dataDir, "contractors.csv");
    await writeFile(csv, sampleCsv("fsd-fsi-contractor.csv"));
    const result = await certs(dataDir, "issue", "--type", "fsd-fsi-contractor", "--csv", csv);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^10 of 10 certificates issued/);
  });

  it("exits 64 with the usage for an unknown command", async () => {
    const { code, stderr } = await certs(dataDir, "frobnicate");
    expect(code).to.equal(64);
    expect(stderr).to.include("usage:");
  });
});
