import { execFile } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect } from "chai";
import { expiryOf } from "../../../server/auth/keys-cli.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api } from "../api/api-helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

/** Runs `certs ...` (bin/certs.ts) on `dataDir`'s database. */
async function certs(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("ECERT_") && name !== "DATABASE_URL"),
  );
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
      env: { ...env, DATA_DIR: dataDir },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("scoped API keys (certs keys create, list, revoke; scopes and expiry on the API)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-keys-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", BATCH_WAIT_MS: "100" }));
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps all three scopes on the embedded default's development keys", async () => {
    const key = await server.store.findApiKeyByHash(sha256(server.dev!.apiKeys.CSB));
    expect(key!.scopes).to.have.members(["issue", "read", "status"]);
    expect(key!.expiresAt ?? null).to.equal(null);
  });

  it("creates a key printed once, lists it without the key or its hash, revokes it, and audits both", async () => {
    const created = await certs(
      dataDir,
      "keys",
      "create",
      "--issuer",
      "CSB",
      "--label",
      "exam system",
      "--scopes",
      "read,issue",
      "--expires",
      "2099-06-30",
    );
    expect(created.code, created.stderr).to.equal(0);
    const key = created.stdout.trim();
    expect(key).to.match(/^ecert_csb_[A-Za-z0-9_-]{43}$/);
    const row = (await server.store.findApiKeyByHash(sha256(key)))!;
    expect(row).to.include({ issuerId: "CSB", label: "exam system", expiresAt: "2099-06-30T15:59:59.999Z" });
    expect(row.scopes).to.deep.equal(["issue", "read"]);
    // The key works for what its scopes allow.
    expect((await api(server, "GET", "/certificates", { key })).status).to.equal(200);

    const listed = await certs(dataDir, "keys", "list", "--issuer", "CSB");
    expect(listed.code).to.equal(0);
    expect(listed.stdout).to.include("exam system").and.include("issue,read").and.include("2099-06-30T15:59:59.999Z");
    expect(listed.stdout).to.include(row.id);
    expect(listed.stdout).not.to.include(key).and.not.to.include(row.keyHash);
    const json = JSON.parse((await certs(dataDir, "keys", "list", "--issuer", "CSB", "--json")).stdout);
    expect(json.find((k: { id: string }) => k.id === row.id)).to.deep.equal({
      id: row.id,
      label: "exam system",
      scopes: ["issue", "read"],
      createdAt: row.createdAt,
      expiresAt: "2099-06-30T15:59:59.999Z",
      revokedAt: null,
    });
    // Another department's list does not show it.
    expect((await certs(dataDir, "keys", "list", "--issuer", "FSD")).stdout).not.to.include(row.id);
    // Nor can another department revoke it.
    expect((await certs(dataDir, "keys", "revoke", row.id, "--issuer", "FSD")).code).to.equal(1);

    const revoked = await certs(dataDir, "keys", "revoke", row.id, "--issuer", "CSB");
    expect(revoked.code, revoked.stderr).to.equal(0);
    expect((await api(server, "GET", "/certificates", { key })).status).to.equal(401);
    expect((await certs(dataDir, "keys", "revoke", row.id, "--issuer", "CSB")).code).to.equal(1);

    const user = userInfo().username;
    const audit = await server.store.listAudit("CSB", { actorId: `cli:${user}`, limit: 100 });
    const createdEntry = audit.find((e) => e.action === "key-created")!;
    expect(createdEntry).to.include({ source: "cli", actorName: `${user} (command line)` });
    expect(JSON.parse(createdEntry.detailJson)).to.deep.equal({
      keyId: row.id,
      label: "exam system",
      scopes: ["issue", "read"],
      expiresAt: "2099-06-30T15:59:59.999Z",
    });
    expect(createdEntry.detailJson).not.to.include(key);
    const revokedEntry = audit.find((e) => e.action === "key-revoked")!;
    expect(JSON.parse(revokedEntry.detailJson)).to.deep.equal({ keyId: row.id, label: "exam system" });
    expect(audit.filter((e) => e.action === "key-revoked")).to.have.length(1);
  });

  it("refuses bad usage with exit 64 and a line saying what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [["keys", "create", "--issuer", "CSB", "--label", "x"], /--scopes/],
      [["keys", "create", "--issuer", "CSB", "--label", "x", "--scopes", "read,approve"], /"approve" is not one of/],
      [["keys", "create", "--issuer", "CSB", "--scopes", "read"], /--label/],
      [
        ["keys", "create", "--issuer", "CSB", "--label", "x", "--scopes", "read", "--expires", "2001-01-01"],
        /has passed/,
      ],
      [["keys", "create", "--issuer", "CSB", "--label", "x", "--scopes", "read", "--expires", "soon"], /--expires/],
      [["keys", "list"], /--issuer/],
      [["keys", "revoke", "--issuer", "CSB"], /one key id/],
      [["keys", "rotate", "--issuer", "CSB"], /unknown keys command/],
    ];
    for (const [args, message] of cases) {
      const result = await certs(dataDir, ...args);
      expect(result.code, args.join(" ")).to.equal(64);
      expect(result.stderr, args.join(" ")).to.match(message);
    }
    expect((await certs(path.join(dataDir, "nowhere"), "keys", "list", "--issuer", "CSB")).code).to.equal(66);
    const help = await certs(dataDir, "keys", "--help");
    expect(help.code).to.equal(0);
    expect(help.stdout).to.include("certs keys create");
  });

  it("refuses a key with only read on POST /batches (403 FORBIDDEN) and an expired key (401)", async () => {
    const readOnly = "ecert_csb_read_only_key_for_the_scope_test_000001";
    const expired = "ecert_csb_expired_key_for_the_expiry_test_00000001";
    await server.store.insertApiKey({
      id: randomUUID(),
      issuerId: "CSB",
      label: "reader",
      keyHash: sha256(readOnly),
      createdAt: new Date().toISOString(),
      revokedAt: null,
      scopes: ["read"],
    });
    await server.store.insertApiKey({
      id: randomUUID(),
      issuerId: "CSB",
      label: "old system",
      keyHash: sha256(expired),
      createdAt: new Date(Date.now() - 86_400_000).toISOString(),
      revokedAt: null,
      scopes: ["issue", "read", "status"],
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    });
    const upload = await api(server, "POST", "/batches?type=csb-cre", {
      key: readOnly,
      body: sampleCsv("csb-cre.csv"),
      contentType: "text/csv",
    });
    expect(upload.status).to.equal(403);
    expect(upload.json.error.code).to.equal("FORBIDDEN");
    expect((await api(server, "GET", "/certificates", { key: readOnly })).status).to.equal(200);
    const old = await api(server, "GET", "/certificates", { key: expired });
    expect(old.status).to.equal(401);
    expect(old.json.error.code).to.equal("UNAUTHENTICATED");
  });

  it("reads --expires as the end of that day in Hong Kong, or an ISO time with its offset", () => {
    const now = new Date("2026-01-01T00:00:00Z");
    expect(expiryOf("2027-06-30", now)).to.equal("2027-06-30T15:59:59.999Z");
    expect(expiryOf("2027-06-30T12:00:00+08:00", now)).to.equal("2027-06-30T04:00:00.000Z");
    expect(() => expiryOf("2025-12-31", now)).to.throw(/has passed/);
    expect(() => expiryOf("2027-02-30x", now)).to.throw(/--expires/);
  });
});
