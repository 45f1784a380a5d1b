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

type Run = { code: number; stdout: string; stderr: string };

/** Runs `certs ...` (bin/certs.ts) with DATA_DIR pointing at the server's dev.json. */
async function certs(dataDir: string, ...args: string[]): Promise<Run> {
  return certsWith({ DATA_DIR: dataDir }, ...args);
}

/** Runs `certs ...` with `env` over this process's environment (its ECERT_ variables left out). */
async function certsWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("ECERT_")));
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
      env: { ...base, ...env },
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
    server = await startServer(
      loadConfig({ APPROVALS: "none", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
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
    // stderr is not a terminal here: the progress comes a line at a time, never redrawn with \r.
    expect(stderr).to.not.include("\r");
    expect(stdout).to.include("3 of 3 certificates issued");
    expect(stdout).to.include("9 rows rejected");
    const errors = await readFile(path.join(dataDir, "bad-rows.errors.csv"), "utf8");
    // A byte-order mark for Excel; rows as the spreadsheet numbers them (the header is row 1).
    expect(errors.split("\r\n")[0]).to.equal("\ufeffrow,column,code,message_en,message_zh-HK");
    expect(errors).to.match(
      /^4,sitting_date,INVALID_DATE,"?Examination date \(sitting_date\) .*,"?考試日期（sitting_date）/m,
    );
    const claims = (await readFile(path.join(dataDir, "bad-rows.claims.csv"), "utf8")).trim().split("\r\n");
    expect(claims).to.have.length(4);
    expect(claims[1]).to.match(/^2,[0-9a-f-]{36},CRE2026000101-20260912,[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it("revokes a certificate by id and the service applies it on chain", async () => {
    const csv = path.join(dataDir, "good.csv");
    await writeFile(csv, sampleCsv("csb-cre.csv"));
    expect((await certs(dataDir, "issue", "--type", "csb-cre", "--csv", csv)).code).to.equal(0);
    const id = (await readFile(path.join(dataDir, "good.claims.csv"), "utf8")).split("\r\n")[1].split(",")[1];
    // No --issuer: of dev.json's keys, the department's that has the certificate.
    const revoked = await certs(dataDir, "revoke", id, "--reason", "fraud");
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.include(`revocation of ${id} queued`);
    await waitFor(
      async () =>
        (await api(server, "GET", `/certificates/${id}`, { key: server.dev!.apiKeys.CSB })).json.status === "revoked",
    );
    // A key names its department (GET /me): no --issuer and no dev.json needed; the reason by its name.
    const keyed = {
      DATA_DIR: "/nonexistent",
      ECERT_API_URL: `${server.url}/api/v1`,
      ECERT_API_KEY: server.dev!.apiKeys.CSB,
    };
    const status = await certsWith(keyed, "status", id);
    expect(status.code, status.stderr).to.equal(0);
    expect(JSON.parse(status.stdout)).to.include({ id, status: "revoked", reason: 3, reasonName: "fraud" });
    // --issuer with a key of another department: one line, exit 64, nothing sent.
    const wrong = await certsWith(
      { ...keyed, ECERT_API_KEY: server.dev!.apiKeys.FSD },
      "revoke",
      id,
      "--issuer",
      "CSB",
    );
    expect(wrong.code).to.equal(64);
    expect(wrong.stderr.trim().split("\n")).to.deep.equal([
      "certs: --issuer CSB, but this API key acts for FSD (usage: certs revoke --help)",
    ]);
    // An id no department of dev.json has: the API's 404, exit 1.
    const unknown = await certs(dataDir, "status", "00000000-0000-0000-0000-000000000000");
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/^certs: GET \/certificates\/0{8}-.*404/);
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
    expect(valid.stdout)
      .to.match(/^certificate BLNST\d+/m)
      .and.match(/^issued by Civil Service Bureau/m);
    const json = await certs(dataDir, "verify", file, "--json");
    expect(JSON.parse(json.stdout).status).to.equal("VALID");
    // The embedded default's chain and development PKI: a test network, said plainly (stderr beside --json).
    expect(json.stderr).to.match(/^TEST NETWORK 測試網絡: not an official certificate 並非正式證書$/m);
    pdf[2000] ^= 1;
    await writeFile(file, pdf);
    const invalid = await certs(dataDir, "verify", file);
    expect(invalid.code).to.equal(1);
    expect(invalid.stdout).to.match(/^INVALID 無效: .*TAMPERED/);
    // As the page: a changed document's details, issuer and anchor are withheld; the checks are listed.
    expect(invalid.stdout).to.include("certificate details not shown");
    expect(invalid.stdout).to.not.match(/^(certificate BLNST|issued by|anchored)/m);
    expect(invalid.stdout).to.not.include("BLNST");
    expect(invalid.stdout).to.match(/^ {2}fail {2}[a-z-]+: /m);
  });

  it("says TEST NETWORK under the verdict for the embedded default's chain 31337 and a development signing certificate, and nothing of the kind for another chain", async () => {
    const code = (await readFile(path.join(dataDir, "verify.claims.csv"), "utf8")).split("\r\n")[1].split(",")[3];
    const file = path.join(dataDir, "banner.pdf");
    await writeFile(file, (await api(server, "GET", `/claim/${code}/pdf`)).bytes);
    const dev = await certs(dataDir, "verify", file);
    expect(dev.code, dev.stderr).to.equal(0);
    expect(dev.stdout.split("\n").slice(0, 4)).to.deep.equal([
      "VALID 有效",
      "TEST NETWORK 測試網絡: not an official certificate 並非正式證書",
      "  chain 31337 (Hardhat (local development)) is a development or test network, not the official registry",
      '  the PDF was signed with a development signing certificate ("Civil Service Bureau (development)")',
    ]);
    // A credential (no PDF signer) checked against chain 999, not a test network's: no banner at all
    // (the credential names 31337: WRONG_NETWORK).
    const credential = path.join(dataDir, "banner.json");
    await writeFile(credential, JSON.stringify((await api(server, "GET", `/claim/${code}/credential`)).json));
    const other = await certs(dataDir, "verify", credential, "--chain-id", "999");
    expect(other.code, other.stderr).to.equal(1);
    expect(other.stdout).to.match(/^INVALID 無效: .*WRONG_NETWORK/);
    expect(other.stdout + other.stderr).to.not.match(/TEST NETWORK|測試網絡|development/);
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
    // Audited under the operator who ran it.
    const entries = await server.store.listAudit("FSD", { action: "key-created", limit: 10 });
    expect(entries.map((e) => JSON.parse(e.detailJson).label)).to.include("licensing office");
    expect(entries.every((e) => e.actorId.startsWith("cli:") && e.source === "cli")).to.equal(true);
  });

  it("issues with the key of the department the type's schema names (FSD for a licence type)", async () => {
    const csv = path.join(dataDir, "contractors.csv");
    await writeFile(csv, sampleCsv("fsd-fsi-contractor.csv"));
    const result = await certs(dataDir, "issue", "--type", "fsd-fsi-contractor", "--csv", csv);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^10 of 10 certificates issued/);
  });

  it("exits 64 with one line (pointing at the usage) for an unknown command or option, and no stack trace", async () => {
    for (const args of [
      ["frobnicate"],
      ["toString"],
      [],
      ["status", "x", "--frob"],
      ["verify", "a.pdf", "--csv", "x"],
      ["issue", "--type"],
      // "superseded" is the service's own reason (a renewal sets it): refused before anything is sent.
      ["revoke", "x", "--reason", "superseded"],
    ]) {
      const { code, stdout, stderr } = await certs(dataDir, ...args);
      expect(code, args.join(" ")).to.equal(64);
      expect(stdout).to.equal("");
      expect(stderr.trim().split("\n"), args.join(" ")).to.have.length(1);
      expect(stderr).to.match(/^certs: .*\(usage: certs [a-z ]*--help\)$/m);
    }
    expect((await certs(dataDir, "frobnicate")).stderr).to.include("unknown command: frobnicate");
    expect((await certs(dataDir, "revoke", "x", "--reason", "superseded")).stderr).to.include(
      "--reason: one of unspecified, issued-in-error, key-compromise, fraud, licence-cancelled, under-investigation, non-compliance, not superseded",
    );
  });

  it("prints the help and the version on stdout and exits 0: certs --help, certs <command> --help, --version", async () => {
    const help = await certs(dataDir, "--help");
    expect([help.code, help.stderr]).to.deep.equal([0, ""]);
    expect(help.stdout)
      .to.match(/^usage: certs <command>/)
      .and.include("exit codes:");
    for (const command of ["issue", "revoke", "status", "verify", "apikey", "check", "admin"]) {
      const one = await certs(dataDir, command, "--help");
      expect([one.code, one.stderr], command).to.deep.equal([0, ""]);
      expect(one.stdout, command).to.match(new RegExp(`^usage: certs ${command}`));
    }
    expect((await certs(dataDir, "help", "verify")).stdout).to.include("0 VALID, 1 INVALID, 2 UNABLE_TO_CHECK");
    const { version } = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8"));
    expect(await certs(dataDir, "--version")).to.deep.equal({ code: 0, stdout: `certs ${version}\n`, stderr: "" });
  });

  it("keeps verify's 0, 1 and 2 for verdicts: 66 a missing file, 64 bad usage, 78 no chain configured", async () => {
    const chain = ["--rpc", server.dev!.rpcUrl, "--chain-id", "31337", "--registry", server.dev!.registry];
    const missing = await certs("/nonexistent", "verify", path.join(dataDir, "no-such.pdf"), ...chain);
    expect(missing.code).to.equal(66);
    expect(missing.stderr).to.match(/^certs: cannot read .*no-such\.pdf\n$/);
    expect((await certs("/nonexistent", "verify", ...chain)).code).to.equal(64);
    expect((await certs("/nonexistent", "verify", "a.pdf", "b.pdf", ...chain)).code).to.equal(64);
    const badChainId = await certs("/nonexistent", "verify", "a.pdf", "--chain-id", "abc");
    expect(badChainId.code).to.equal(64);
    const file = path.join(dataDir, "cert.pdf");
    const unconfigured = await certs("/nonexistent", "verify", file);
    expect(unconfigured.code).to.equal(78);
    expect(unconfigured.stderr).to.match(/^certs: verify: say which chain to trust/);
    expect((await certs("/nonexistent", "status", "x")).code).to.equal(78); // no API configured
  });
});
