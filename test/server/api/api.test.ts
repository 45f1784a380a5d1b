import { describeOn } from "../../helpers/postgres.ts";
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Contract, JsonRpcProvider, encodeBytes32String } from "ethers";
import { REGISTRY_ISSUER_ABI } from "../../../server/chain/issuer-chain.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { postgresHarness } from "../db/store-fixtures.ts";
import { api, expectIntegrity, waitFor } from "./api-helpers.ts";

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`issuer API (local chain, ${database})`, function () {
    this.timeout(120_000);
    const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
    let dataDir: string;
    let server: RunningServer;
    let csbKey: string;
    let fsdKey: string;
    let csbBatch: {
      batchId: string;
      certificates: { id: string; row: number; claimCode: string; certificateNumber: string }[];
    };

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "ecert-api-"));
      await postgres?.setup();
      const databaseUrl = await postgres?.fresh();
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
      csbKey = server.dev!.apiKeys.CSB;
      fsdKey = server.dev!.apiKeys.FSD;
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: sampleCsv("csb-cre.csv"),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(202);
      csbBatch = res.json;
      await waitFor(
        async () => (await api(server, "GET", `/batches/${csbBatch.batchId}`, { key: csbKey })).json.done === true,
      );
    });
    after(async () => {
      await server.stop();
      await postgres?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("writes dev.json with the API, verifier and JSON-RPC URLs, chain, registry and one key per department", async () => {
      const dev = JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8"));
      expect(dev).to.include.keys("apiUrl", "verifierUrl", "rpcUrl", "chainId", "registry", "apiKeys");
      expect(dev.chainId).to.equal(31337);
      expect(Object.keys(dev.apiKeys)).to.deep.equal(["CSB", "FSD"]);
    });

    it("tells a key which department it acts for and the types it issues (GET /me)", async () => {
      const me = (await api(server, "GET", "/me", { key: fsdKey })).json;
      expect(me).to.deep.equal({
        id: "FSD",
        name: { en: "Fire Services Department", "zh-HK": "消防處" },
        domain: "hkfsd.gov.hk",
        types: ["fsd-dg-licence", "fsd-fsi-contractor"],
        actor: { kind: "api-key", name: "development", scopes: ["issue", "read", "status"] },
      });
      expect((await api(server, "GET", "/me")).status).to.equal(401);
    });

    it("answers 401 without an API key and with an unknown one", async () => {
      expect((await api(server, "GET", "/certificates")).status).to.equal(401);
      expect((await api(server, "GET", "/certificates", { key: "nope" })).status).to.equal(401);
    });

    it("issues every row of csb-cre.csv: each reaches issued, anchored once, with a claim code", async () => {
      expect(csbBatch.certificates).to.have.length(20);
      const batch = (await api(server, "GET", `/batches/${csbBatch.batchId}`, { key: csbKey })).json;
      expect(batch.progress).to.deep.equal({ issued: 20 });
      expect(batch.errors).to.deep.equal([]);
      const cert = (await api(server, "GET", `/certificates/${csbBatch.certificates[0].id}`, { key: csbKey })).json;
      expect(cert.status).to.equal("issued");
      expect(cert.history.map((e: { type: string }) => e.type)).to.include.members(["accepted"]);
    });

    it("lets a candidate download the PDF with the claim code, signed by the Civil Service Bureau", async () => {
      const { claimCode } = csbBatch.certificates[3];
      const res = await api(server, "GET", `/claim/${claimCode}/pdf`);
      expect(res.status).to.equal(200);
      expect(res.headers.get("content-type")).to.equal("application/pdf");
      const file = path.join(dataDir, "claimed.pdf");
      await writeFile(file, res.bytes);
      const out = spawnSync("pdfsig", [file], { encoding: "utf8" }).stdout;
      expect(out).to.include("Signature is Valid.");
      expect(out).to.include("Civil Service Bureau");
      const credential = (await api(server, "GET", `/claim/${claimCode.toLowerCase()}/credential`)).json;
      expect(credential.proof.merkle.chainId).to.equal(31337);
    });

    it("answers 404 for an unknown claim code", async () => {
      expect((await api(server, "GET", "/claim/AAAA-BBBB-CCCC")).status).to.equal(404);
    });

    it("does not let the FSD key read, revoke, suspend or renew a CSB certificate (404: not even its existence)", async () => {
      const id = csbBatch.certificates[0].id;
      for (const [method, route] of [
        ["GET", `/certificates/${id}`],
        ["GET", `/certificates/${id}/pdf`],
        ["POST", `/certificates/${id}/revoke`],
        ["POST", `/certificates/${id}/suspend`],
        ["POST", `/certificates/${id}/renew`],
      ] as const) {
        const res = await api(server, method, route, {
          key: fsdKey,
          json: method === "POST" ? (route.endsWith("renew") ? { fields: {} } : { reason: "fraud" }) : undefined,
        });
        expect(res.status, `${method} ${route}`).to.equal(404);
      }
      const list = (await api(server, "GET", "/certificates", { key: fsdKey })).json;
      expect(list.certificates.map((c: { id: string }) => c.id)).to.not.include(id);
    });

    it("refuses a CSB upload of an FSD certificate type with 403", async () => {
      const res = await api(server, "POST", "/batches?type=fsd-dg-licence", {
        key: csbKey,
        body: sampleCsv("fsd-dg-licence.csv"),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(403);
      expect(res.json.error.code).to.equal("WRONG_ISSUER");
    });

    it("accepts the valid rows of csb-cre-bad-rows.csv and reports spreadsheet rows 3 to 11 with their columns", async () => {
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: sampleCsv("csb-cre-bad-rows.csv"),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(202);
      expect(res.json.certificates.map((c: { row: number }) => c.row)).to.deep.equal([2, 12, 13]);
      expect([...new Set(res.json.errors.map((e: { row: number }) => e.row))]).to.deep.equal([
        3, 4, 5, 6, 7, 8, 9, 10, 11,
      ]);
      for (const e of res.json.errors) {
        expect(e.column, JSON.stringify(e)).to.be.a("string");
        expect(e.columnLabel, JSON.stringify(e)).to.have.keys("en", "zh-HK");
        expect(e.message.en, JSON.stringify(e)).to.be.a("string").and.include(`(${e.column})`);
        expect(e.message["zh-HK"], JSON.stringify(e)).to.be.a("string").and.include(`（${e.column}）`);
      }
      expect(JSON.stringify(res.json)).to.not.include("A123456");
      const batch = (await api(server, "GET", `/batches/${res.json.batchId}`, { key: csbKey })).json;
      expect(batch.errors).to.deep.equal(res.json.errors);
    });

    for (const [file, type, key, rows] of [
      ["csb-blnst.csv", "csb-blnst", "CSB", 20],
      ["fsd-dg-licence.csv", "fsd-dg-licence", "FSD", 12],
      ["fsd-fsi-contractor.csv", "fsd-fsi-contractor", "FSD", 10],
    ] as const) {
      it(`issues every row of ${file} (${rows} rows)`, async () => {
        const k = key === "CSB" ? csbKey : fsdKey;
        const res = await api(server, "POST", `/batches?type=${type}`, {
          key: k,
          body: sampleCsv(file),
          contentType: "text/csv",
        });
        expect(res.status).to.equal(202);
        expect(res.json.errors).to.deep.equal([]);
        expect(res.json.certificates).to.have.length(rows);
        await waitFor(
          async () => (await api(server, "GET", `/batches/${res.json.batchId}`, { key: k })).json.done === true,
        );
        expect((await api(server, "GET", `/batches/${res.json.batchId}`, { key: k })).json.progress).to.deep.equal({
          issued: rows,
        });
      });
    }

    if (database === "SQLite") {
      it("issues all 10,000 rows of csb-cre-10k.csv (one exam sitting)", async function () {
        this.timeout(180_000);
        const res = await api(server, "POST", "/batches?type=csb-cre", {
          key: csbKey,
          body: sampleCsv("csb-cre-10k.csv"),
          contentType: "text/csv",
        });
        expect(res.status).to.equal(202);
        expect(res.json.certificates).to.have.length(10_000);
        expect(res.json.errors).to.deep.equal([]);
        await waitFor(
          async () => (await api(server, "GET", `/batches/${res.json.batchId}`, { key: csbKey })).json.done === true,
          170_000,
        );
        expect((await api(server, "GET", `/batches/${res.json.batchId}`, { key: csbKey })).json.progress).to.deep.equal(
          { issued: 10_000 },
        );
      });
    }

    it("refuses a file with missing columns as a whole, naming them (422)", async () => {
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: sampleCsv("csb-cre-missing-column.csv"),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(422);
      expect(res.json.fileError.message.en).to.include("hkid_partial").and.include("at_result");
      expect(res.json.fileError.message["zh-HK"]).to.include("（hkid_partial）").and.include("（at_result）");
      expect(res.json.certificates).to.deep.equal([]);
    });

    it("refuses a Big5 file, saying it is not UTF-8 (422)", async () => {
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: sampleCsv("csb-cre-not-utf8.csv"),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(422);
      expect(res.json.fileError.message.en).to.match(/UTF-8/);
      expect(res.json.fileError.message["zh-HK"]).to.match(/UTF-8/);
    });

    it("names the field of a bad JSON body (400)", async () => {
      const res = await api(server, "POST", "/certificates", { key: csbKey, json: { type: "csb-cre" } });
      expect(res.status).to.equal(400);
      expect(res.json.error.message).to.match(/^fields: /);
    });

    it("replays the first response for a repeated Idempotency-Key and refuses the key with another body", async () => {
      const json = {
        type: "csb-blnst",
        fields: {
          candidate_number: "BLNST2026009999",
          name_en: "CHAN Siu Ming",
          name_zh: "陳小明",
          hkid_partial: "A123***(*)",
          test_date: "2026-10-03",
          score: "71",
          result: "Pass",
        },
      };
      const first = await api(server, "POST", "/certificates", {
        key: csbKey,
        json,
        headers: { "idempotency-key": "k-1" },
      });
      const second = await api(server, "POST", "/certificates", {
        key: csbKey,
        json,
        headers: { "idempotency-key": "k-1" },
      });
      expect(first.status).to.equal(202);
      expect(second.json).to.deep.equal(first.json);
      expect(second.headers.get("idempotent-replayed")).to.equal("true");
      const other = await api(server, "POST", "/certificates", {
        key: csbKey,
        json: { ...json, fields: { ...json.fields, score: "72" } },
        headers: { "idempotency-key": "k-1" },
      });
      expect(other.status).to.equal(422);
    });

    it("revokes a certificate on chain: the registry reports it revoked, and so does the API", async () => {
      const { id } = csbBatch.certificates[5];
      const res = await api(server, "POST", `/certificates/${id}/revoke`, {
        key: csbKey,
        json: { reason: "issued-in-error" },
      });
      expect(res.status).to.equal(202);
      await waitFor(
        async () => (await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json.status === "revoked",
      );
      const credential = (await api(server, "GET", `/certificates/${id}/credential`, { key: csbKey })).json;
      const provider = new JsonRpcProvider(server.dev!.rpcUrl, undefined, { staticNetwork: true });
      const registry = new Contract(server.dev!.registry, REGISTRY_ISSUER_ABI, provider);
      const { computeCredentialDigest } = await import("../../../core/index.ts");
      const status = await registry.certificateStatus(
        encodeBytes32String("CSB"),
        credential.proof.merkle.root,
        computeCredentialDigest(credential),
        `0x${"0".repeat(64)}`,
      );
      expect(Number(status.leafStatus)).to.equal(1);
      expect(Number(status.leafReason)).to.equal(1);
      provider.destroy();
    });

    it("refuses superseded as a department's reason (only a renewal sets it) and changes nothing", async () => {
      const { id } = csbBatch.certificates[6];
      for (const kind of ["revoke", "suspend"]) {
        const res = await api(server, "POST", `/certificates/${id}/${kind}`, {
          key: csbKey,
          json: { reason: "superseded" },
        });
        expect(res.status, kind).to.equal(400);
        expect(JSON.stringify(res.json), kind).to.match(/reason/);
      }
      const after = (await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json;
      expect(after.status).to.equal("issued");
      const types = after.history.map((e: { type: string }) => e.type);
      expect(types.filter((t: string) => /revoke|suspend/.test(t))).to.deep.equal([]);
    });

    it("suspends and then reinstates a certificate, each applied on chain", async () => {
      const { id } = csbBatch.certificates[9];
      const status = async () => (await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json.status;
      expect(
        (
          await api(server, "POST", `/certificates/${id}/suspend`, {
            key: csbKey,
            json: { reason: "under-investigation" },
          })
        ).status,
      ).to.equal(202);
      await waitFor(async () => (await status()) === "suspended");
      expect((await api(server, "POST", `/certificates/${id}/suspend`, { key: csbKey, json: {} })).status).to.equal(
        409,
      );
      expect((await api(server, "POST", `/certificates/${id}/reinstate`, { key: csbKey, json: {} })).status).to.equal(
        202,
      );
      await waitFor(async () => (await status()) === "issued");
      const history = (await api(server, "GET", `/certificates/${id}`, { key: csbKey })).json.history.map(
        (e: { type: string }) => e.type,
      );
      expect(history.filter((t: string) => t !== "accepted")).to.deep.equal([
        "suspend-requested",
        "suspended",
        "reinstate-requested",
        "issued",
      ]);
    });

    it("verifies a PDF, a credential and a QR URL through POST /verify with the core's result JSON", async () => {
      const { claimCode } = csbBatch.certificates[2];
      const pdf = (await api(server, "GET", `/claim/${claimCode}/pdf`)).bytes;
      const byPdf = await api(server, "POST", "/verify", { body: pdf, contentType: "application/pdf" });
      expect(byPdf.status).to.equal(200);
      expect(byPdf.json.status).to.equal("VALID");
      expect(byPdf.json.issuer.name.en).to.equal("Civil Service Bureau");
      expect(byPdf.json.anchor.chainId).to.equal(31337);
      const credential = (await api(server, "GET", `/claim/${claimCode}/credential`)).json;
      expect((await api(server, "POST", "/verify", { json: credential })).json.status).to.equal("VALID");
      const { encodeCredentialUrl } = await import("../../../core/index.ts");
      const url = encodeCredentialUrl(server.dev!.verifierUrl, credential);
      expect((await api(server, "POST", "/verify", { json: { url } })).json.status).to.equal("VALID");
      const tampered = pdf.slice();
      tampered[Math.floor(tampered.length / 3)] ^= 1;
      const bad = (await api(server, "POST", "/verify", { body: tampered, contentType: "application/pdf" })).json;
      expect(bad.status).to.equal("INVALID");
      expect(bad.reasons).to.include("TAMPERED");
    });

    it("answers MALFORMED for a credential with a member twice through POST /verify, and 400 naming it on the issuer API", async () => {
      const credential = (await api(server, "GET", `/claim/${csbBatch.certificates[3].claimCode}/credential`)).json;
      const text = JSON.stringify(credential);
      const forged = `{"credentialSubject":${JSON.stringify({ ...credential.credentialSubject, certificateNumber: "FORGED" })},${text.slice(1)}`;
      const res = await fetch(`${server.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: forged,
      });
      const result = await res.json();
      expect(result.status).to.equal("INVALID");
      expect(result.reasons).to.include("MALFORMED");
      expect(JSON.stringify(result.checks)).to.include("credentialSubject").and.include("twice");
      const url = await fetch(`${server.url}/api/v1/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"url":"https://a.invalid/#1-x","url":"https://b.invalid/#1-y"}',
      });
      expect((await url.json()).reasons).to.include("MALFORMED");
      const body = '{"type":"csb-blnst","type":"csb-cre","fields":{}}';
      const refused = await fetch(`${server.url}/api/v1/certificates`, {
        method: "POST",
        headers: { authorization: `Bearer ${csbKey}`, "content-type": "application/json" },
        body,
      });
      expect(refused.status).to.equal(400);
      expect((await refused.json()).error).to.deep.include({
        code: "INVALID_JSON",
        message: 'The JSON body has the member "type" twice (at /type)',
      });
    });

    it("refuses to revoke a certificate twice (409)", async () => {
      const { id } = csbBatch.certificates[5];
      expect(
        (await api(server, "POST", `/certificates/${id}/revoke`, { key: csbKey, json: { reason: "fraud" } })).status,
      ).to.equal(409);
      // A revocation is final: its reason is required (in both languages' console, and here).
      const noReason = await api(server, "POST", `/certificates/${id}/revoke`, { key: csbKey, json: {} });
      expect(noReason.status).to.equal(400);
      expect(noReason.json.error.details.field).to.equal("reason");
    });

    it("renews a certificate: the renewal is issued and the old one becomes superseded", async () => {
      const old = csbBatch.certificates[7];
      const record = JSON.parse((await server.store.findCertificate(old.id))!.recordJson);
      const fields = {
        candidate_number: record.subject.candidateNumber,
        name_en: record.subject.name.en,
        hkid_partial: record.subject.hkidPartial,
        sitting_date: "2026-12-05",
        uc_result: "L2",
        ue_result: "L2",
        at_result: "Pass",
      };
      const res = await api(server, "POST", `/certificates/${old.id}/renew`, { key: csbKey, json: { fields } });
      expect(res.status).to.equal(202);
      const renewalId = res.json.certificates[0].id;
      await waitFor(
        async () => (await api(server, "GET", `/certificates/${old.id}`, { key: csbKey })).json.status === "superseded",
      );
      expect((await api(server, "GET", `/certificates/${renewalId}`, { key: csbKey })).json.supersedes).to.equal(
        old.id,
      );
    });

    it("refuses a body over the size limit with 413", async () => {
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: new Uint8Array(server.config.maxBodyBytes + 1),
        contentType: "text/csv",
      });
      expect(res.status).to.equal(413);
    });

    it("serves reads on the JSON-RPC proxy and refuses transactions", async () => {
      const rpc = (body: unknown) =>
        fetch(server.dev!.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((r) => r.json());
      expect((await rpc({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] })).result).to.equal("0x7a69");
      expect(
        (await rpc({ jsonrpc: "2.0", id: 2, method: "eth_sendRawTransaction", params: ["0x00"] })).error.code,
      ).to.equal(-32601);
    });

    it("publishes an OpenAPI 3.1 document whose every path exists on the server", async () => {
      const doc = (await api(server, "GET", "/openapi.json")).json;
      expect(doc.openapi).to.equal("3.1.0");
      expect(doc.components.schemas.CertificateRequest.required).to.deep.equal(["type", "fields"]);
      for (const route of Object.keys(doc.paths)) {
        const concrete = route
          .replace("{id}", "00000000-0000-0000-0000-000000000000")
          .replace("{code}", "AAAA-BBBB-CCCC");
        const method = Object.keys(doc.paths[route])
          .find((k) => k !== "servers")!
          .toUpperCase();
        if (doc.paths[route].servers?.[0]?.url === "/") {
          // The probes and metrics, at the service's root.
          expect((await fetch(`${server.url}${concrete}`, { method })).status, route).to.equal(200);
          continue;
        }
        const res = await api(server, method, concrete, { key: csbKey, json: method === "POST" ? {} : undefined });
        expect(res.json?.error?.message ?? "", `${method} ${route}`).to.not.equal("No such route");
      }
    });

    it("leaves a database that passes the integrity check", async () => {
      await waitFor(
        async () =>
          (await server.store.unfinishedBatches()).length === 0 && (await server.store.pendingGroups()).length === 0,
      );
      await expectIntegrity(server);
    });

    it("sends security headers and a strict Content-Security-Policy", async () => {
      const res = await api(server, "GET", "/openapi.json");
      expect(res.headers.get("content-security-policy")).to.include("default-src 'self'");
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff");
    });
  });
}
