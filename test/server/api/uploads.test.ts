// Uploads as a department makes them: re-uploads, the same Idempotency-Key at once, renewals, a batch
// the chain refuses, and the limits of the public routes. On SQLite and PostgreSQL; each test checks
// what is stored, not only the responses.
import { describeOn } from "../../helpers/postgres.ts";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Contract, JsonRpcProvider, Wallet, encodeBytes32String } from "ethers";
import { DEV_KEYS } from "../../../server/chain/local-chain.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { postgresHarness, type Harness } from "../db/store-fixtures.ts";
import { api, expectIntegrity, waitFor } from "./api-helpers.ts";

/** A csb-cre CSV of candidates `first` .. `first + count - 1` (sitting 2026-09-12). */
function creCsv(first: number, count: number): Uint8Array {
  const lines = ["candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result"];
  for (let n = first; n < first + count; n++) {
    lines.push(`CRE2031${String(n).padStart(6, "0")},CHAN Tai Man ${n},陳大文,A123***(*),2026-09-12,L2,L1,Pass`);
  }
  return new TextEncoder().encode(`${lines.join("\n")}\n`);
}

const creNumber = (n: number) => `CRE2031${String(n).padStart(6, "0")}-20260912`;

/** A fsd-dg-licence row (JSON fields) with licence number `number`. */
function licence(number: string, licensee = "Kowloon Gas Supplies Co. Ltd.") {
  return {
    licence_number: number,
    licensee_en: licensee,
    licensee_zh: "九龍氣體供應有限公司",
    premises_en: "Lot 1234 in D.D. 130, Lam Tei, Tuen Mun, N.T.",
    premises_zh: "新界屯門藍地丈量約份第130約地段第1234號",
    dg_items: "Cat 2 compressed gas: 500 kg",
    conditions: "Keep the store locked",
    valid_from: "2026-10-08",
    valid_until: "2027-10-07",
  };
}

async function startWith(
  dataDir: string,
  databaseUrl: string | undefined,
  env: Record<string, string> = {},
): Promise<RunningServer> {
  return startServer(
    loadConfig({
      APPROVALS: "none",
      DATA_DIR: dataDir,
      PORT: "0",
      BATCH_WAIT_MS: "100",
      LOG_LEVEL: "silent",
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...env,
    }),
  );
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`uploads under repetition and concurrency (local chain, ${database})`, function () {
    this.timeout(120_000);
    const postgres: Harness | undefined = database === "PostgreSQL" ? postgresHarness() : undefined;
    let dataDir: string;
    let server: RunningServer;
    let csbKey: string;
    let fsdKey: string;

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "ecert-uploads-"));
      await postgres?.setup();
      server = await startWith(dataDir, await postgres?.fresh());
      csbKey = server.dev!.apiKeys.CSB;
      fsdKey = server.dev!.apiKeys.FSD;
    });
    after(async () => {
      await server.stop();
      await postgres?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    /** Every live CSB certificate, by certificate number. */
    async function live(issuerId = "CSB"): Promise<Map<string, string[]>> {
      const numbers = new Map<string, string[]>();
      for (let offset = 0; ; offset += 500) {
        const page = await server.store.listCertificates(issuerId, { limit: 500, offset });
        for (const row of page) {
          if (!["pending", "anchoring", "issued", "suspended"].includes(row.status)) continue;
          numbers.set(row.certificateNumber, [...(numbers.get(row.certificateNumber) ?? []), row.id]);
        }
        if (page.length < 500) return numbers;
      }
    }

    it("refuses every row of a file uploaded again as DUPLICATE_CERTIFICATE naming the live certificate (422), and stores nothing new", async () => {
      const first = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(1, 10),
        contentType: "text/csv",
      });
      expect(first.status).to.equal(202);
      const again = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(1, 10),
        contentType: "text/csv",
      });
      expect(again.status).to.equal(422);
      expect(again.json.certificates).to.deep.equal([]);
      expect(again.json.errors.map((e: { row: number; code: string }) => [e.row, e.code])).to.deep.equal(
        // Spreadsheet rows: the header is row 1, so the file's n-th certificate is row n + 1.
        Array.from({ length: 10 }, (_, i) => [i + 2, "DUPLICATE_CERTIFICATE"]),
      );
      const holders = new Map(first.json.certificates.map((c: { row: number; id: string }) => [c.row, c.id]));
      for (const e of again.json.errors) {
        expect(e.certificateId).to.equal(holders.get(e.row));
        expect(e.message.en)
          .to.include(holders.get(e.row))
          .and.include(creNumber(e.row - 1));
        expect(e.message["zh-HK"])
          .to.include(holders.get(e.row))
          .and.include(creNumber(e.row - 1))
          .and.include("證書編號");
        expect(e.column).to.equal("candidate_number");
      }
      const stored = (await api(server, "GET", `/batches/${again.json.batchId}`, { key: csbKey })).json;
      expect(stored.errors).to.deep.equal(again.json.errors);
      expect(stored.accepted).to.equal(0);
      const numbers = await live();
      for (let n = 1; n <= 10; n++) expect(numbers.get(creNumber(n))).to.deep.equal([holders.get(n + 1)]);
    });

    it("accepts only the new rows when a clerk uploads the whole file again after fixing it", async () => {
      const part = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(101, 5),
        contentType: "text/csv",
      });
      expect(part.json.certificates).to.have.length(5);
      const whole = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(101, 12),
        contentType: "text/csv",
      });
      expect(whole.status).to.equal(202);
      expect(whole.json.certificates.map((c: { row: number }) => c.row)).to.deep.equal([7, 8, 9, 10, 11, 12, 13]);
      expect(whole.json.errors.map((e: { row: number }) => e.row)).to.deep.equal([2, 3, 4, 5, 6]);
      await waitFor(
        async () => (await api(server, "GET", `/batches/${whole.json.batchId}`, { key: csbKey })).json.done === true,
      );
      const numbers = await live();
      for (let n = 101; n <= 112; n++) expect(numbers.get(creNumber(n)), creNumber(n)).to.have.length(1);
    });

    it("stores each number once when the same file is uploaded twice at the same time", async () => {
      const send = () =>
        api(server, "POST", "/batches?type=csb-cre", { key: csbKey, body: creCsv(201, 60), contentType: "text/csv" });
      const [a, b] = await Promise.all([send(), send()]);
      const accepted = [...a.json.certificates, ...b.json.certificates];
      const refused = [...a.json.errors, ...b.json.errors];
      expect(accepted).to.have.length(60);
      expect(refused).to.have.length(60);
      expect(new Set(accepted.map((c: { certificateNumber: string }) => c.certificateNumber)).size).to.equal(60);
      for (const e of refused) expect(e.code).to.equal("DUPLICATE_CERTIFICATE");
      const numbers = await live();
      for (let n = 201; n <= 260; n++) expect(numbers.get(creNumber(n)), creNumber(n)).to.have.length(1);
    });

    it("creates one upload for eight requests sent at once with one Idempotency-Key, each answered with its response", async () => {
      const send = () =>
        api(server, "POST", "/batches?type=csb-cre", {
          key: csbKey,
          body: creCsv(301, 3),
          contentType: "text/csv",
          headers: { "idempotency-key": `same-${database}` },
        });
      const answers = await Promise.all(Array.from({ length: 8 }, send));
      for (const a of answers) {
        expect(a.status).to.equal(202);
        expect(a.json).to.deep.equal(answers.find((x) => x.headers.get("idempotent-replayed") !== "true")!.json);
      }
      expect(answers.filter((a) => a.headers.get("idempotent-replayed") !== "true")).to.have.length(1);
      const numbers = await live();
      for (let n = 301; n <= 303; n++) expect(numbers.get(creNumber(n))).to.have.length(1);
      const mine = await server.store.listCertificates("CSB", { query: "CRE2031000301", limit: 10, offset: 0 });
      expect(mine.map((r) => r.uploadId)).to.deep.equal([answers[0].json.batchId]);
      // The stored answer holds the claim codes sealed: neither they nor the key are readable in the database.
      expect(
        await server.store.findIdempotency("CSB", `same-${database}`),
        "the raw key is not the lookup value",
      ).to.equal(undefined);
      const lookup = createHash("sha256").update(`hk-ecert idempotency key\nCSB\nsame-${database}`).digest("hex");
      const stored = (await server.store.findIdempotency("CSB", lookup))!;
      expect(stored.statusCode).to.equal(202);
      for (const c of answers[0].json.certificates)
        expect(stored.responseJson).to.not.include(c.claimCode).and.not.include(c.id);
    });

    it("answers a deeply nested JSON body with an Idempotency-Key with 400, not 500", async () => {
      const deep = `${"[".repeat(5000)}${"]".repeat(5000)}`;
      const res = await fetch(`${server.url}/api/v1/batches`, {
        method: "POST",
        headers: { authorization: `Bearer ${csbKey}`, "content-type": "application/json", "idempotency-key": "deep" },
        body: `{"type":"csb-cre","rows":[{"name_en":${deep}}]}`,
      });
      expect(res.status).to.equal(400);
      expect((await res.json()).error.message).to.match(/nested deeper than 64/);
    });

    it("answers a batch in another content type with 415 naming the accepted types", async () => {
      const res = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(401, 1),
        contentType: "text/plain",
      });
      expect(res.status).to.equal(415);
      expect(res.json.error.message).to.include("text/csv").and.include("application/json").and.include("text/plain");
    });

    it("renews a licence under its own number: both stored meanwhile, then only the renewal is live; a second renewal at once is refused", async () => {
      const issued = await api(server, "POST", "/certificates", {
        key: fsdKey,
        json: { type: "fsd-dg-licence", fields: licence(`DGL/2031/${database === "SQLite" ? 1 : 2}0001`) },
      });
      expect(issued.status).to.equal(202);
      const oldId = issued.json.certificates[0].id;
      await waitFor(
        async () => (await api(server, "GET", `/certificates/${oldId}`, { key: fsdKey })).json.status === "issued",
      );
      const renew = () =>
        api(server, "POST", `/certificates/${oldId}/renew`, {
          key: fsdKey,
          json: {
            fields: {
              ...licence(issued.json.certificates[0].certificateNumber),
              valid_from: "2027-10-08",
              valid_until: "2028-10-07",
            },
          },
        });
      const [a, b] = await Promise.all([renew(), renew()]);
      expect([a.status, b.status].sort()).to.deep.equal([202, 409]);
      const renewalId = (a.status === 202 ? a : b).json.certificates[0].id;
      await waitFor(
        async () => (await api(server, "GET", `/certificates/${oldId}`, { key: fsdKey })).json.status === "superseded",
      );
      const numbers = await live("FSD");
      expect(numbers.get(issued.json.certificates[0].certificateNumber)).to.deep.equal([renewalId]);
      const reupload = await api(server, "POST", "/certificates", {
        key: fsdKey,
        json: { type: "fsd-dg-licence", fields: licence(issued.json.certificates[0].certificateNumber) },
      });
      expect(reupload.status).to.equal(422);
      expect(reupload.json.errors[0]).to.include({
        code: "DUPLICATE_CERTIFICATE",
        certificateId: renewalId,
        column: "licence_number",
      });
    });

    it("refuses a row whose values would not fit in a QR code (TOO_LARGE_FOR_QR) and issues the others of its file", async () => {
      // Within the schema's limits, but random-looking text does not compress.
      const random = (n: number, seed: number) =>
        Array.from({ length: n }, (_, i) =>
          (i + 1) % 9 === 0
            ? " "
            : "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[(seed * 7919 + i * 104729 + ((i * i) % 31)) % 32],
        ).join("");
      const huge = {
        ...licence(`DGL/2031/${database === "SQLite" ? 1 : 2}0500`),
        dg_items: Array.from({ length: 20 }, (_, k) => random(190, k)).join(";"),
        conditions: Array.from({ length: 30 }, (_, k) => random(255, 100 + k)).join("|"),
      };
      const normal = licence(`DGL/2031/${database === "SQLite" ? 1 : 2}0501`);
      const res = await api(server, "POST", "/batches", {
        key: fsdKey,
        json: { type: "fsd-dg-licence", rows: [huge, normal] },
      });
      expect(res.status).to.equal(202);
      expect(res.json.certificates.map((c: { row: number }) => c.row)).to.deep.equal([2]);
      expect(res.json.errors).to.have.length(1);
      expect(res.json.errors[0]).to.include({ row: 1, code: "TOO_LARGE_FOR_QR" });
      // JSON rows keep the 1-based element index.
      expect(res.json.errors[0].message.en).to.match(/QR code/);
      expect(res.json.errors[0].message["zh-HK"]).to.match(/QR 碼/);
      await waitFor(
        async () => (await api(server, "GET", `/batches/${res.json.batchId}`, { key: fsdKey })).json.done === true,
        60_000,
      );
      expect((await api(server, "GET", `/batches/${res.json.batchId}`, { key: fsdKey })).json.progress).to.deep.equal({
        issued: 1,
      });
    });

    it("sets a batch the registry refuses aside as failed after 3 attempts, with the reason, while other departments' batches are issued", async () => {
      // The governance admin stops FSD on chain: every FSD anchor now reverts.
      const provider = new JsonRpcProvider(server.localChain!.rpcUrl, undefined, { staticNetwork: true });
      const admin = new Wallet(DEV_KEYS.admin, provider);
      const registry = new Contract(server.dev!.registry, ["function stopIssuer(bytes32 issuerId)"], admin);
      await (await registry.stopIssuer(encodeBytes32String("FSD"))).wait();
      provider.destroy();
      const fsd = await api(server, "POST", "/certificates", {
        key: fsdKey,
        json: { type: "fsd-dg-licence", fields: licence(`DGL/2031/${database === "SQLite" ? 1 : 2}0099`) },
      });
      const csb = await api(server, "POST", "/batches?type=csb-cre", {
        key: csbKey,
        body: creCsv(501, 5),
        contentType: "text/csv",
      });
      await waitFor(
        async () => (await api(server, "GET", `/batches/${fsd.json.batchId}`, { key: fsdKey })).json.done === true,
        60_000,
      );
      const failed = (await api(server, "GET", `/batches/${fsd.json.batchId}`, { key: fsdKey })).json;
      expect(failed.progress).to.deep.equal({ failed: 1 });
      expect(failed.failures).to.have.length(1);
      expect(failed.failures[0].reason).to.match(/RegistryUnauthorizedSigner|revert|CALL_EXCEPTION/i);
      const batch = (await server.store.findBatch(failed.failures[0].batch))!;
      expect(batch).to.include({ attempts: 3, status: "closed" });
      await waitFor(
        async () => (await api(server, "GET", `/batches/${csb.json.batchId}`, { key: csbKey })).json.done === true,
        60_000,
      );
      expect((await api(server, "GET", `/batches/${csb.json.batchId}`, { key: csbKey })).json.progress).to.deep.equal({
        issued: 5,
      });
      // A failed certificate releases nothing, and its number is free again.
      expect(
        (await api(server, "GET", `/certificates/${fsd.json.certificates[0].id}/pdf`, { key: fsdKey })).status,
      ).to.equal(409);
      expect((await live("FSD")).has(fsd.json.certificates[0].certificateNumber)).to.equal(false);
    });

    it("leaves a database that passes the integrity check", async () => {
      await expectIntegrity(server);
    });
  });
}

describe("public route limits (local chain, SQLite)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-limits-"));
    server = await startWith(dataDir, undefined, { PUBLIC_RATE_LIMIT: "5" });
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("keeps verification and the JSON-RPC proxy open while claim-code guessing is rate-limited", async () => {
    const claims = [];
    for (let i = 0; i < 7; i++) claims.push((await api(server, "GET", `/claim/AAAA-BBBB-CC${i}C`)).status);
    expect(claims.slice(0, 5)).to.deep.equal([404, 404, 404, 404, 404]);
    expect(claims.slice(5)).to.deep.equal([429, 429]);
    // The refusal in the Error shape of every other one, with the limiter's headers.
    const refused = await api(server, "GET", "/claim/AAAA-BBBB-CC9C");
    expect(refused.status).to.equal(429);
    expect(refused.json.error.code).to.equal("RATE_LIMITED");
    expect(refused.json.error.message).to.match(/at most 5 a minute/);
    expect(refused.headers.get("ratelimit")).to.be.a("string");
    expect((await api(server, "POST", "/verify", { json: { url: "https://example.invalid/#x" } })).status).to.equal(
      200,
    );
    const rpc = await fetch(server.dev!.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
    });
    expect(rpc.status).to.equal(200);
  });

  it("names the route's own limit when a body is too large (413)", async () => {
    const rpc = await fetch(server.dev!.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(70_000) }),
    });
    expect(rpc.status).to.equal(413);
    expect((await rpc.json()).error.message).to.include(String(64 * 1024));
    const batch = await api(server, "POST", "/batches?type=csb-cre", {
      key: server.dev!.apiKeys.CSB,
      body: new Uint8Array(server.config.maxBodyBytes + 1),
      contentType: "text/csv",
    });
    expect(batch.status).to.equal(413);
    expect(batch.json.error.message).to.include(String(server.config.maxBodyBytes));
  });
});
