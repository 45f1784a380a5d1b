import { describeOn } from "../../helpers/postgres.ts";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { createJsonRpcProvider } from "../../../core/index.ts";
import { loadConfig } from "../../../server/config.ts";
import { checkIntegrity, type IntegrityCheckId, type IntegrityReport } from "../../../server/integrity/check.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { api, waitFor } from "../api/api-helpers.ts";
import { postgresHarness } from "../db/store-fixtures.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

type Issued = { batchId: string; certificates: { id: string; row: number; certificateNumber: string }[] };

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`integrity check on a running service (local chain, ${database})`, function () {
    this.timeout(180_000);
    const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
    let dataDir: string;
    let databaseUrl: string | undefined;
    let server: RunningServer;
    let csb: Issued;
    let fsd: Issued;
    let csbBatch: string;
    let fsdBatch: string;
    const providers: JsonRpcProvider[] = [];

    /** Raw SQL on the service's database, under the store (`?` placeholders on both). */
    async function sql(text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
      if (postgres) {
        let n = 0;
        return postgres.query(
          databaseUrl!,
          text.replace(/\?/g, () => `$${++n}`),
          params,
        );
      }
      const db = new Database(path.join(dataDir, "ecert.sqlite"));
      try {
        const statement = db.prepare(text);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [];
      } finally {
        db.close();
      }
    }

    /** The check through an EIP-1193 reader (SQLite) or an ethers provider (PostgreSQL), in small pages. */
    function check(rpcUrl = server.dev!.rpcUrl): Promise<IntegrityReport> {
      let provider;
      if (database === "SQLite") provider = createJsonRpcProvider(rpcUrl);
      else {
        const ethers = new JsonRpcProvider(rpcUrl, server.dev!.chainId, { staticNetwork: true });
        providers.push(ethers);
        provider = ethers;
      }
      return checkIntegrity({
        store: server.store,
        provider,
        registry: server.dev!.registry,
        chainId: server.dev!.chainId,
        pageSize: 7,
        pdfPageSize: 3,
        maxOffenders: 50,
      });
    }

    function result(report: IntegrityReport, id: IntegrityCheckId) {
      const found = report.checks.find((c) => c.id === id);
      expect(found, id).to.not.equal(undefined);
      return found!;
    }

    /** Expects exactly the checks `failing` to fail, each with exactly the given offender ids. */
    function expectFailures(report: IntegrityReport, failing: Partial<Record<IntegrityCheckId, string[]>>): void {
      for (const c of report.checks) {
        const ids = failing[c.id];
        if (ids === undefined) {
          expect(c.ok, `${c.id} should hold: ${JSON.stringify(c.offenders)}`).to.equal(true);
        } else {
          expect(c.ok, `${c.id} should fail`).to.equal(false);
          expect(c.offenders.map((o) => o.id).sort(), c.id).to.deep.equal([...ids].sort());
        }
      }
      expect(report.ok).to.equal(false);
      expect(report.unableToCheck).to.equal(false);
    }

    async function certs(
      env: Record<string, string | undefined>,
      ...args: string[]
    ): Promise<{ code: number; stdout: string; stderr: string }> {
      const merged: Record<string, string | undefined> = {
        ...process.env,
        DATA_DIR: dataDir,
        DATABASE_URL: databaseUrl,
        ...env,
      };
      for (const key of [
        "ECERT_RPC_URLS",
        "ECERT_CHAIN_ID",
        "ECERT_REGISTRY",
        "CHAIN_RPC_URLS",
        "CHAIN_ID",
        "REGISTRY_ADDRESS",
      ])
        delete merged[key];
      const childEnv = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >;
      try {
        const { stdout, stderr } = await run(process.execPath, [path.join(ROOT, "bin/certs.ts"), ...args], {
          env: childEnv,
        });
        return { code: 0, stdout, stderr };
      } catch (error) {
        const e = error as { code: number; stdout: string; stderr: string };
        return { code: e.code, stdout: e.stdout, stderr: e.stderr };
      }
    }

    async function issue(type: string, file: string, key: string): Promise<Issued> {
      const res = await api(server, "POST", `/batches?type=${type}`, {
        key,
        body: sampleCsv(file),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(202);
      await waitFor(async () => (await api(server, "GET", `/batches/${res.json.batchId}`, { key })).json.done === true);
      return res.json;
    }

    async function batchOf(certificateId: string): Promise<string> {
      return String((await sql("SELECT batch_id FROM certificates WHERE id = ?", [certificateId]))[0].batch_id);
    }

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "ecert-integrity-"));
      await postgres?.setup();
      databaseUrl = await postgres?.fresh();
      server = await startServer(
        loadConfig({
          APPROVALS: "none",
          DATA_DIR: dataDir,
          PORT: "0",
          BATCH_WAIT_MS: "100",
          LOG_LEVEL: "silent",
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        }),
      );
      csb = await issue("csb-cre", "csb-cre.csv", server.dev!.apiKeys.CSB);
      fsd = await issue("fsd-fsi-contractor", "fsd-fsi-contractor.csv", server.dev!.apiKeys.FSD);
      csbBatch = await batchOf(csb.certificates[0].id);
      fsdBatch = await batchOf(fsd.certificates[0].id);
    });
    after(async () => {
      for (const p of providers) p.destroy();
      await server?.stop();
      await postgres?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("holds on a freshly issued service: 30 certificates, 2 batches anchored once, 30 signed PDFs", async () => {
      const report = await check();
      expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
      expect(report.totals).to.deep.equal({ certificates: 30, batches: 2, pdfs: 30 });
      for (const id of [
        "credential-matches-row",
        "digest-recomputes",
        "digest-unique",
        "leaf-in-root",
        "pdf-embeds-credential",
        "number-live-once",
      ] as const) {
        expect(result(report, id).checked, id).to.equal(30);
      }
      expect(result(report, "root-on-chain").checked).to.equal(2);
      expect(report.checks.every((c) => c.failed === 0 && c.offenders.length === 0)).to.equal(true);
      console.log(`      checkIntegrity: ${report.durationMs} ms for 30 certificates in 2 batches (${database})`);
    });

    it("finds two certificates whose stored credentials were swapped: not their rows', digests and PDFs no longer match", async () => {
      const [a, b] = csb.certificates;
      const swap = async () => {
        const rows = await sql("SELECT id, credential_json FROM certificates WHERE id IN (?, ?)", [a.id, b.id]);
        const json = Object.fromEntries(rows.map((r) => [r.id, r.credential_json]));
        await sql("UPDATE certificates SET credential_json = ? WHERE id = ?", [json[b.id], a.id]);
        await sql("UPDATE certificates SET credential_json = ? WHERE id = ?", [json[a.id], b.id]);
      };
      await swap();
      try {
        const report = await check();
        expectFailures(report, {
          "credential-matches-row": [a.id, b.id],
          "digest-recomputes": [a.id, b.id],
          "pdf-embeds-credential": [a.id, b.id],
        });
        const reason = result(report, "credential-matches-row").offenders.find((o) => o.id === a.id)!.reason;
        expect(reason).to.equal(
          `credentialSubject.certificateNumber is "${b.certificateNumber}" where the row has "${a.certificateNumber}"`,
        );
        expect(result(report, "pdf-embeds-credential").offenders.find((o) => o.id === a.id)!.reason).to.include(
          `it embeds certificate number "${a.certificateNumber}", not "${b.certificateNumber}"`,
        );
        expect(result(report, "digest-recomputes").failed).to.equal(2);
      } finally {
        await swap();
      }
    });

    it("finds a certificate number live twice, even behind a renewal mark that no renewal backs", async () => {
      const [, , c, d] = csb.certificates;
      try {
        // The database lets a certificate marked as being renewed share its number; no renewal is on its way.
        await sql("UPDATE certificates SET certificate_number = ?, renewed_by = ? WHERE id = ?", [
          d.certificateNumber,
          d.id,
          c.id,
        ]);
        let report = await check();
        expectFailures(report, { "number-live-once": [c.id, d.id], "credential-matches-row": [c.id] });
        const live = result(report, "number-live-once");
        expect(live.failed).to.equal(2);
        expect(live.offenders[0].reason).to.match(
          new RegExp(`^certificate number ${d.certificateNumber} of CSB is live 2 times \\(also `),
        );

        // A plain duplicate, with the database's guard against it removed.
        await sql("DROP INDEX IF EXISTS certificates_live_number_unique");
        await sql("UPDATE certificates SET renewed_by = NULL WHERE id = ?", [c.id]);
        report = await check();
        expectFailures(report, { "number-live-once": [c.id, d.id], "credential-matches-row": [c.id] });

        // A revoked certificate's number is free again: not live twice.
        await sql("UPDATE certificates SET status = 'revoked' WHERE id = ?", [c.id]);
        report = await check();
        expectFailures(report, { "credential-matches-row": [c.id] });
        expect(result(report, "number-live-once").checked).to.equal(29);
      } finally {
        await sql("UPDATE certificates SET certificate_number = ?, renewed_by = NULL, status = 'issued' WHERE id = ?", [
          c.certificateNumber,
          c.id,
        ]);
      }
    });

    it("finds a stored PDF replaced by another certificate's (hashes and all)", async () => {
      const [, , , , e, f] = csb.certificates;
      const original = (await sql("SELECT pdf, pdf_hash FROM certificate_pdfs WHERE certificate_id = ?", [e.id]))[0];
      const other = (await sql("SELECT pdf, pdf_hash FROM certificate_pdfs WHERE certificate_id = ?", [f.id]))[0];
      const put = async (pdf: unknown, hash: unknown) => {
        await sql("UPDATE certificate_pdfs SET pdf = ?, pdf_hash = ? WHERE certificate_id = ?", [pdf, hash, e.id]);
        await sql("UPDATE certificates SET pdf_hash = ? WHERE id = ?", [hash, e.id]);
      };
      await put(other.pdf, other.pdf_hash);
      try {
        const report = await check();
        expectFailures(report, { "pdf-embeds-credential": [e.id] });
        const reason = result(report, "pdf-embeds-credential").offenders[0].reason;
        expect(reason).to.include(
          `it embeds certificate number "${f.certificateNumber}", not "${e.certificateNumber}"`,
        );
        expect(reason).to.include("its Merkle path is not the certificate's path in the batch tree");
      } finally {
        await put(original.pdf, original.pdf_hash);
      }
    });

    it("finds a batch whose stored root is not what its leaves build nor what was anchored", async () => {
      const original = String((await sql("SELECT root FROM batches WHERE id = ?", [fsdBatch]))[0].root);
      const forged = `0x${randomBytes(32).toString("hex")}`;
      await sql("UPDATE batches SET root = ? WHERE id = ?", [forged, fsdBatch]);
      try {
        const report = await check();
        expectFailures(report, {
          "leaf-in-root": [fsdBatch],
          "root-on-chain": [fsdBatch],
          "pdf-embeds-credential": fsd.certificates.map((c) => c.id),
        });
        expect(result(report, "leaf-in-root").failed).to.equal(10);
        expect(result(report, "root-on-chain").offenders[0].reason).to.equal(
          `batch's root ${forged} is not anchored on chain (batch rendered)`,
        );
        expect(result(report, "leaf-in-root").offenders[0].reason).to.include(`the stored root ${forged}`);
      } finally {
        await sql("UPDATE batches SET root = ? WHERE id = ?", [original, fsdBatch]);
      }
    });

    it("finds a digest held twice (its unique index removed) and leaves whose tree is not the root", async () => {
      const [, , , , , , g, h] = csb.certificates;
      const original = String((await sql("SELECT digest FROM certificates WHERE id = ?", [g.id]))[0].digest);
      const other = String((await sql("SELECT digest FROM certificates WHERE id = ?", [h.id]))[0].digest);
      await sql("DROP INDEX IF EXISTS certificates_digest_unique");
      await sql("UPDATE certificates SET digest = ? WHERE id = ?", [other, g.id]);
      try {
        const report = await check();
        expect(
          result(report, "digest-unique")
            .offenders.map((o) => o.id)
            .sort(),
        ).to.deep.equal([g.id, h.id].sort());
        expect(result(report, "digest-unique").offenders[0].reason).to.match(
          new RegExp(`^digest ${other} is held by 2 certificates`),
        );
        expect(result(report, "digest-recomputes").offenders.map((o) => o.id)).to.deep.equal([g.id]);
        expect(result(report, "leaf-in-root").offenders.map((o) => o.id)).to.deep.equal([csbBatch]);
        expect(result(report, "leaf-in-root").failed).to.equal(20);
        expect(result(report, "root-on-chain").ok).to.equal(true);
        expect(result(report, "credential-matches-row").ok).to.equal(true);
      } finally {
        await sql("UPDATE certificates SET digest = ? WHERE id = ?", [original, g.id]);
      }
    });

    it("says it is unable to check the chain, not that anything failed, when the chain cannot be reached", async () => {
      const report = await check("http://127.0.0.1:9");
      expect(report.ok).to.equal(false);
      expect(report.unableToCheck).to.equal(true);
      const chain = result(report, "root-on-chain");
      expect(chain.error).to.match(/^the chain cannot be read: /);
      expect(chain.failed).to.equal(0);
      for (const c of report.checks) if (c.id !== "root-on-chain") expect(c.ok, c.id).to.equal(true);
    });

    it("certs check: exit 0 with a table, --json, 1 naming the offender, 2 without the chain, 64, 66 and --help", async () => {
      const ok = await certs({}, "check");
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/^ok {4}credential-matches-row +30 +0$/m);
      expect(ok.stdout).to.match(/^ok {4}root-on-chain +2 +0$/m);
      expect(ok.stdout).to.include("all 7 checks hold");
      const json = await certs({}, "check", "--json");
      expect(json.code).to.equal(0);
      expect(JSON.parse(json.stdout)).to.include({ ok: true, chainId: 31337 });

      const [, , , , , , , , i, j] = csb.certificates;
      const rows = await sql("SELECT id, credential_json FROM certificates WHERE id IN (?, ?)", [i.id, j.id]);
      const text = Object.fromEntries(rows.map((r) => [r.id, r.credential_json]));
      await sql("UPDATE certificates SET credential_json = ? WHERE id = ?", [text[j.id], i.id]);
      try {
        const failed = await certs({}, "check");
        expect(failed.code).to.equal(1);
        expect(failed.stdout).to.match(
          new RegExp(
            `^FAIL  credential-matches-row +30 +1  certificate ${i.id}: credentialSubject.certificateNumber is "${j.certificateNumber}"`,
            "m",
          ),
        );
        expect(failed.stdout).to.include("3 of 7 checks fail");
        const report = JSON.parse((await certs({}, "check", "--json")).stdout) as IntegrityReport;
        expect(report.ok).to.equal(false);
        expect(report.checks.filter((c) => !c.ok).map((c) => c.id)).to.deep.equal([
          "credential-matches-row",
          "digest-recomputes",
          "pdf-embeds-credential",
        ]);
      } finally {
        await sql("UPDATE certificates SET credential_json = ? WHERE id = ?", [text[i.id], i.id]);
      }

      const unreachable = await certs({}, "check", "--rpc", "http://127.0.0.1:9");
      expect(unreachable.code).to.equal(2);
      expect(unreachable.stdout).to.match(/^ERROR root-on-chain +2 +0 {2}unable to check: the chain cannot be read/m);
      const badUsage = await certs({}, "check", "--chain-id", "x");
      expect(badUsage.code).to.equal(64);
      expect(badUsage.stderr).to.include("usage: certs check");
      // A mistyped --rpc is named without the API key in its path.
      const key = "0123456789abcdef0123456789abcdef";
      const badRpc = await certs({}, "check", "--rpc", `wss://mainnet.infura.io/ws/v3/${key}`);
      expect(badRpc.code).to.equal(64);
      expect(badRpc.stderr).to.include("--rpc: not an http(s) URL: wss://mainnet.infura.io/ws/v3/***");
      expect(badRpc.stderr).to.not.include(key);
      const chainFlags = ["--rpc", server.dev!.rpcUrl, "--chain-id", "31337", "--registry", server.dev!.registry];
      const noDatabase = await certs(
        { DATA_DIR: path.join(dataDir, "nothing-here"), DATABASE_URL: undefined },
        "check",
        ...chainFlags,
      );
      expect(noDatabase.code).to.equal(66);
      expect(noDatabase.stderr).to.match(/^no database at /);
      const help = await certs({}, "check", "--help");
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/^usage: certs check/);
    });

    it("holds again once every corruption is undone (the check run at the end of the tests)", async () => {
      const report = await check();
      expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
      expect(report.totals).to.deep.equal({ certificates: 30, batches: 2, pdfs: 30 });
    });
  });
}
