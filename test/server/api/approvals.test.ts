/**
 * Maker-checker through the API (issue 14), with approvals on (the default): an upload waits until an
 * approver who did not make it releases it, and nothing reaches the chain before; a status change is
 * applied only once another officer approves it; an approver of one department cannot decide for
 * another; two approvers at once decide once; every step is in the audit trail, naming both people.
 * Officers' sessions are made in the store as the sign-in makes them (test/server/auth/ signs in
 * through the embedded provider itself).
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { auditHash } from "../../../server/audit/audit-trail.ts";
import { loadConfig } from "../../../server/config.ts";
import { AUDIT_GENESIS_HASH } from "../../../server/db/store.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { officerSession, type OfficerSession } from "../../helpers/officer-session.ts";
import { describeOn } from "../../helpers/postgres.ts";
import { certs } from "../../helpers/production.ts";
import { postgresHarness } from "../db/store-fixtures.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, expectIntegrity, waitFor, type ApiResponse } from "./api-helpers.ts";

interface Officer extends OfficerSession {
  name: string;
}

for (const database of ["SQLite", "PostgreSQL"] as const) {
  describeOn(database)(`maker-checker through the API (${database})`, function () {
    this.timeout(180_000);
    const postgres = database === "PostgreSQL" ? postgresHarness() : undefined;
    let dataDir: string;
    let server: RunningServer;
    const officers: Record<string, Officer> = {};

    /** A session for an officer, as the sign-in stores it. */
    async function signIn(username: string, issuerId: string, roles: string[]): Promise<void> {
      const name = `Officer ${username}`;
      officers[username] = {
        name,
        ...(await officerSession(server.store, { issuerId, subject: username, name, roles })),
      };
    }

    /** A request as an officer: the session cookie, and its CSRF token on a POST. */
    function as(
      username: string,
      method: string,
      route: string,
      options: { json?: unknown; body?: Uint8Array; contentType?: string; csrf?: boolean } = {},
    ): Promise<ApiResponse> {
      const { cookie } = officers[username].headers;
      const headers: Record<string, string> = { cookie };
      if (method !== "GET" && options.csrf !== false)
        headers["x-csrf-token"] = officers[username].headers["x-csrf-token"];
      return api(server, method, route, { ...options, headers });
    }

    const upload = async (username: string, file = "csb-cre.csv", type = "csb-cre") =>
      as(username, "POST", `/batches?type=${type}`, { body: sampleCsv(file), contentType: "text/csv" });

    const batchesInStore = async () => (await server.store.listBatches(null, 1000)).length;

    before(async () => {
      dataDir = await mkdtemp(path.join(tmpdir(), "ecert-approvals-"));
      await postgres?.setup();
      const databaseUrl = await postgres?.fresh();
      server = await startServer(
        loadConfig({
          DATA_DIR: dataDir,
          PORT: "0",
          BATCH_WAIT_MS: "100",
          LOG_LEVEL: "silent",
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        }),
      );
      await signIn("csb-clerk", "CSB", ["clerk"]);
      await signIn("csb-approver", "CSB", ["approver"]);
      await signIn("csb-lead", "CSB", ["clerk", "approver"]);
      await signIn("csb-auditor", "CSB", ["auditor"]);
      await signIn("fsd-approver", "FSD", ["approver"]);
    });
    after(async () => {
      await server?.stop();
      await postgres?.cleanup();
      await rm(dataDir, { recursive: true, force: true });
    });

    it("holds an upload as awaiting approval: nothing is batched or anchored before an approver releases it", async () => {
      const res = await upload("csb-clerk");
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      expect(res.json.state).to.equal("awaiting-approval");
      const id = res.json.batchId as string;
      const accepted = res.json.certificates.length as number;
      expect(accepted).to.equal(20);
      // Several pipeline passes later (BATCH_WAIT_MS 100): still nothing batched, nothing on chain.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await batchesInStore()).to.equal(0);
      const batch = (await as("csb-clerk", "GET", `/batches/${id}`)).json;
      expect(batch.state).to.equal("awaiting-approval");
      expect(batch.progress).to.deep.equal({ pending: accepted });
      expect(batch.requestedBy).to.deep.equal({ id: "officer:csb-clerk", name: "Officer csb-clerk" });
      const waiting = (await as("csb-approver", "GET", "/batches?state=awaiting-approval")).json.batches;
      expect(waiting.map((b: { id: string }) => b.id)).to.include(id);

      // The clerk may not release; nor may an API key (approvals are people's); nor another department.
      expect((await as("csb-clerk", "POST", `/batches/${id}/release`, { json: {} })).json.error.code).to.equal(
        "FORBIDDEN",
      );
      const byKey = await api(server, "POST", `/batches/${id}/release`, { key: server.dev!.apiKeys.CSB, json: {} });
      expect(byKey.status).to.equal(403);
      expect((await as("fsd-approver", "POST", `/batches/${id}/release`, { json: {} })).status).to.equal(404);
      expect((await as("fsd-approver", "GET", `/batches/${id}`)).status).to.equal(404);
      // Without the session's CSRF token a state-changing request is refused before anything is done.
      const noCsrf = await as("csb-approver", "POST", `/batches/${id}/release`, { json: {}, csrf: false });
      expect(noCsrf.status).to.equal(403);
      expect(noCsrf.json.error.code).to.equal("CSRF_TOKEN_INVALID");
      expect(await batchesInStore()).to.equal(0);

      const released = await as("csb-approver", "POST", `/batches/${id}/release`, { json: {} });
      expect(released.status, JSON.stringify(released.json)).to.equal(200);
      expect(released.json.decidedBy).to.deep.equal({ id: "officer:csb-approver", name: "Officer csb-approver" });
      await waitFor(async () => (await as("csb-clerk", "GET", `/batches/${id}`)).json.progress.issued === accepted);
      // Released once: a second release is refused.
      expect((await as("csb-lead", "POST", `/batches/${id}/release`, { json: {} })).json.error.code).to.equal(
        "NOT_AWAITING_APPROVAL",
      );
      await expectIntegrity(server);
    });

    it("never lets an officer release their own upload, even one holding both roles", async () => {
      const res = await upload("csb-lead", "csb-blnst.csv", "csb-blnst");
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      const id = res.json.batchId as string;
      const own = await as("csb-lead", "POST", `/batches/${id}/release`, { json: {} });
      expect(own.status).to.equal(403);
      expect(own.json.error.code).to.equal("SELF_APPROVAL");
      expect((await as("csb-lead", "GET", `/batches/${id}`)).json.state).to.equal("awaiting-approval");
      expect((await as("csb-approver", "POST", `/batches/${id}/release`, { json: {} })).status).to.equal(200);
    });

    it("decides once when two approvers release and reject the same upload at once", async () => {
      const csv = new TextEncoder().encode(
        "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n" +
          "CRE2026900001,CHEUNG Wing,張穎,A123***(*),2026-09-12,L1,L1,Pass\n",
      );
      const res = await as("csb-clerk", "POST", "/batches?type=csb-cre", { body: csv, contentType: "text/csv" });
      const id = res.json.batchId as string;
      const [a, b] = await Promise.all([
        as("csb-approver", "POST", `/batches/${id}/release`, { json: {} }),
        as("csb-lead", "POST", `/batches/${id}/reject`, { json: { reason: "wrong sitting" } }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      const upload = (await server.store.findUpload("CSB", id))!;
      expect(upload.state).to.equal(a.status === 200 ? "released" : "rejected");
    });

    it("rejects an upload only with a reason: its certificates fail and their numbers are free again", async () => {
      const csv = new TextEncoder().encode(
        "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n" +
          "CRE2026900101,HO Ka Ming,何家明,B234***(*),2026-09-12,L2,L1,Pass\n",
      );
      const first = await as("csb-clerk", "POST", "/batches?type=csb-cre", { body: csv, contentType: "text/csv" });
      const id = first.json.batchId as string;
      const noReason = await as("csb-approver", "POST", `/batches/${id}/reject`, { json: {} });
      expect(noReason.status).to.equal(400);
      expect(noReason.json.error.message).to.match(/reason/);
      const rejected = await as("csb-approver", "POST", `/batches/${id}/reject`, {
        json: { reason: "The sitting date is wrong" },
      });
      expect(rejected.status).to.equal(200);
      expect(rejected.json.state).to.equal("rejected");
      expect(rejected.json.decisionReason).to.equal("The sitting date is wrong");
      expect(rejected.json.progress).to.deep.equal({ failed: 1 });
      // The number is free: the corrected row is accepted.
      const again = await as("csb-clerk", "POST", "/batches?type=csb-cre", { body: csv, contentType: "text/csv" });
      expect(again.status).to.equal(202);
      expect(again.json.certificates).to.have.length(1);
    });

    it("applies a revocation only once another officer approves it, and keeps the case note off chain", async () => {
      const issued = (await as("csb-clerk", "GET", "/certificates?status=issued&limit=1")).json.certificates[0];
      const note = "Candidate impersonated at the sitting; case CSB/2026/117";
      const requested = await as("csb-clerk", "POST", `/certificates/${issued.id}/revoke`, {
        json: { reason: "fraud", note },
      });
      expect(requested.status, JSON.stringify(requested.json)).to.equal(202);
      expect(requested.json).to.include({ state: "awaiting-approval", operationId: null, kind: "revoke" });
      const requestId = requested.json.requestId as string;
      // A second request while one is open is refused; the clerk cannot approve; nor another department.
      const twice = await as("csb-clerk", "POST", `/certificates/${issued.id}/suspend`, { json: {} });
      expect(twice.status).to.equal(409);
      expect((await as("csb-clerk", "POST", `/change-requests/${requestId}/approve`, { json: {} })).status).to.equal(
        403,
      );
      expect((await as("fsd-approver", "POST", `/change-requests/${requestId}/approve`, { json: {} })).status).to.equal(
        404,
      );
      await new Promise((r) => setTimeout(r, 500));
      expect((await as("csb-clerk", "GET", `/certificates/${issued.id}`)).json.status).to.equal("issued");
      expect(await server.store.unfinishedOperations()).to.deep.equal([]);

      const [a, b] = await Promise.all([
        as("csb-approver", "POST", `/change-requests/${requestId}/approve`, { json: {} }),
        as("csb-lead", "POST", `/change-requests/${requestId}/approve`, { json: {} }),
      ]);
      expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
      const approver = a.status === 200 ? "csb-approver" : "csb-lead";
      await waitFor(async () => (await as("csb-clerk", "GET", `/certificates/${issued.id}`)).json.status === "revoked");
      const detail = (await as("csb-auditor", "GET", `/certificates/${issued.id}`)).json;
      expect(detail.changeRequests).to.have.length(1);
      expect(detail.changeRequests[0]).to.deep.include({
        state: "approved",
        note,
        reason: "fraud",
        requestedBy: { id: "officer:csb-clerk", name: "Officer csb-clerk" },
        decidedBy: { id: `officer:${approver}`, name: `Officer ${approver}` },
      });
      const people = detail.history.map((h: { actorName: string | null }) => h.actorName);
      expect(people).to.include.members(["Officer csb-clerk", `Officer ${approver}`, "Officer csb-approver"]);
      // Exactly one operation, and the note is nowhere in what is public (the credential, the chain's data).
      const operations = (
        await server.store.listChangeRequests("CSB", { certificateId: issued.id, limit: 10, offset: 0 })
      )
        .map((r) => r.operationId)
        .filter(Boolean);
      expect(operations).to.have.length(1);
      const credential = await as("csb-clerk", "GET", `/certificates/${issued.id}/credential`);
      expect(new TextDecoder().decode(credential.bytes)).to.not.include("impersonated");
    });

    it("rejects a status change only with a reason, and nothing changes", async () => {
      const issued = (await as("csb-clerk", "GET", "/certificates?status=issued&limit=1")).json.certificates[0];
      const requested = await as("csb-clerk", "POST", `/certificates/${issued.id}/suspend`, {
        json: { reason: "under-investigation" },
      });
      const requestId = requested.json.requestId as string;
      expect((await as("csb-approver", "POST", `/change-requests/${requestId}/reject`, { json: {} })).status).to.equal(
        400,
      );
      const rejected = await as("csb-approver", "POST", `/change-requests/${requestId}/reject`, {
        json: { reason: "No evidence attached" },
      });
      expect(rejected.status).to.equal(200);
      expect(rejected.json).to.include({
        state: "rejected",
        decisionReason: "No evidence attached",
        operationId: null,
      });
      expect((await as("csb-clerk", "GET", `/certificates/${issued.id}`)).json.status).to.equal("issued");
    });

    it("certs issue says an upload awaits approval and exits 0; with --wait it follows it until an approver releases it", async () => {
      const contractors = path.join(dataDir, "fsd-fsi-contractor.csv");
      await writeFile(contractors, sampleCsv("fsd-fsi-contractor.csv"));
      const first = await certs({ DATA_DIR: dataDir }, "issue", "--type", "fsd-fsi-contractor", "--csv", contractors);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stderr).to.match(/awaiting approval: an approver of the department must release it/);
      expect(first.stdout).to.equal("");

      const licences = path.join(dataDir, "fsd-dg-licence.csv");
      await writeFile(licences, sampleCsv("fsd-dg-licence.csv"));
      const waited = certs({ DATA_DIR: dataDir }, "issue", "--type", "fsd-dg-licence", "--csv", licences, "--wait");
      let batch: { id: string; type: string } | undefined;
      await waitFor(async () => {
        const list = (await as("fsd-approver", "GET", "/batches?state=awaiting-approval")).json.batches;
        batch = list.find((b: { type: string }) => b.type === "fsd-dg-licence");
        return batch !== undefined;
      });
      await new Promise((r) => setTimeout(r, 1000));
      expect((await as("fsd-approver", "POST", `/batches/${batch!.id}/release`, { json: {} })).status).to.equal(200);
      const second = await waited;
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stderr).to.match(/awaiting approval: .* \(waiting\)/);
      expect(second.stdout).to.match(/^(\d+) of \1 certificates issued/);
    });

    it("certs revoke says the revocation awaits approval", async () => {
      const issued = (await as("csb-clerk", "GET", "/certificates?status=issued&limit=5")).json.certificates.at(-1);
      const res = await certs({ DATA_DIR: dataDir }, "revoke", issued.id, "--reason", "issued-in-error");
      expect(res.code, res.stderr).to.equal(0);
      expect(res.stdout).to.match(/requested \(request [0-9a-f-]{36}\); it is applied once an approver approves it/);
      expect((await as("csb-clerk", "GET", `/certificates/${issued.id}`)).json.status).to.equal("issued");
    });

    it("records every step in a hash-chained audit trail naming the people, for its department only", async () => {
      const entries = await server.store.listAudit("CSB", { limit: 1000 });
      const actions = entries.map((e) => `${e.action} ${e.actorName}`);
      expect(actions).to.include.members([
        "upload Officer csb-clerk",
        "upload-released Officer csb-approver",
        "upload-rejected Officer csb-approver",
        "status-change-requested Officer csb-clerk",
        "status-change-rejected Officer csb-approver",
      ]);
      expect(actions.some((a) => a.startsWith("status-change-approved "))).to.equal(true);
      // The case note stays with its request; the trail holds its hash, never its text.
      const noted = entries.find((e) => e.action === "status-change-requested" && e.detailJson.includes("noteSha256"))!;
      expect(noted.detailJson).to.not.include("impersonated");
      const note = "Candidate impersonated at the sitting; case CSB/2026/117";
      expect(JSON.parse(noted.detailJson).noteSha256).to.equal(createHash("sha256").update(note).digest("hex"));
      // The chain holds: each entry's hash from its predecessor's, and the head names the last.
      let prev = AUDIT_GENESIS_HASH;
      entries.forEach((e, i) => {
        expect(e.seq).to.equal(i + 1);
        expect(e.prevHash).to.equal(prev);
        expect(e.hash).to.equal(auditHash(e, e.seq, e.prevHash));
        prev = e.hash;
      });
      expect(await server.store.auditHead("CSB")).to.deep.equal({ seq: entries.length, hash: prev });
      // FSD's trail has none of CSB's actions.
      const fsd = await server.store.listAudit("FSD", { limit: 1000 });
      expect(fsd.length).to.be.greaterThan(0);
      expect(fsd.filter((e) => e.actorName.startsWith("Officer csb-"))).to.deep.equal([]);
      const csbUploads = new Set(entries.map((e) => e.uploadId).filter(Boolean));
      expect(fsd.filter((e) => csbUploads.has(e.uploadId))).to.deep.equal([]);
    });
  });
}
