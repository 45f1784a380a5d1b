// The OpenAPI document of a running server: the real linter (@redocly/cli, recommended rules) finds
// nothing in it, and each documented 200/202 JSON response schema holds for a real response.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { officerSession } from "../../helpers/officer-session.ts";
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, waitFor, type ApiResponse } from "./api-helpers.ts";
import { check, operationsOf, urlOf, type Document, type Operation } from "./schema-check.ts";

const run = promisify(execFile);
const REDOCLY = createRequire(import.meta.url).resolve("@redocly/cli/bin/cli.js");

/** Loaded first into the linter's process: any attempt to open a connection is reported and refused. */
const NO_NETWORK = `data:text/javascript,${encodeURIComponent(`
import net from "node:net";
const refuse = (what) => {
  process.stderr.write("NETWORK ATTEMPT " + what + "\\n");
  throw new Error("no network for the OpenAPI linter");
};
net.Socket.prototype.connect = function (options) {
  refuse(typeof options === "object" && options ? String(options.host ?? options.path) : String(options));
};
globalThis.fetch = async (url) => refuse(String(url));
`)}`;

describe("OpenAPI document (a running server's /api/v1/openapi.json)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;
  let doc: Document;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-openapi-"));
    server = await startServer(
      // FSD needs approvals (maker-checker), CSB not: both kinds of answer are documented.
      loadConfig({ APPROVALS: "FSD", DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }),
    );
    const res = await api(server, "GET", "/openapi.json");
    expect(res.status).to.equal(200);
    doc = res.json;
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("passes @redocly/cli lint with the recommended rules: no error, no warning (and no network)", async () => {
    const file = path.join(dataDir, "openapi.json");
    await writeFile(file, JSON.stringify(doc, null, 2));
    let stdout: string;
    let stderr: string;
    try {
      ({ stdout, stderr } = await run(
        process.execPath,
        ["--import", NO_NETWORK, REDOCLY, "lint", file, "--format=json", "--extends=recommended"],
        {
          cwd: dataDir, // no redocly.yaml of the repository's: the built-in recommended rules
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
          timeout: 120_000,
        },
      ));
    } catch (error) {
      const e = error as { stdout: string; stderr: string };
      ({ stdout, stderr } = e);
    }
    expect(stderr).to.not.include("NETWORK ATTEMPT");
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems, problems.join("\n")).to.deep.equal([]);
    expect(report.totals).to.include({ errors: 0, warnings: 0 });
  });

  it("documents every operation with an operationId, a tag, a summary, and the error shape on every 4xx/5xx JSON answer", () => {
    for (const [route, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of operationsOf(operations)) {
        const where = `${method.toUpperCase()} ${route}`;
        expect(operation.operationId, where).to.be.a("string");
        expect((operation as { tags?: string[] }).tags, where).to.have.length.greaterThan(0);
        expect((operation as { summary?: string }).summary, where).to.be.a("string");
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^[45]/.test(status) || !response.content?.["application/json"]) continue;
          const schema = JSON.stringify(response.content["application/json"].schema);
          // The one exception: a probe's "not ready" is the readiness body, naming the failed checks.
          if (route === "/readyz" && status === "503") {
            expect(schema, where).to.equal(JSON.stringify({ $ref: "#/components/schemas/Readiness" }));
            continue;
          }
          expect(schema, `${where} ${status}`).to.include("#/components/schemas/Error");
        }
      }
    }
    const publicRoutes = [
      "/claim/{code}",
      "/claim/{code}/pdf",
      "/claim/{code}/credential",
      "/verify",
      "/healthz",
      "/readyz",
      "/metrics",
    ];
    for (const route of publicRoutes) {
      for (const [, operation] of operationsOf(doc.paths[route]))
        expect((operation as { security?: [] }).security, route).to.deep.equal([]);
      // The probes and metrics are at the service's root, the rest under /api/v1.
      for (const route of ["/healthz", "/readyz", "/metrics"])
        expect(urlOf(doc, "http://x", route), route).to.equal(`http://x${route}`);
      expect(urlOf(doc, "http://x", "/verify")).to.equal("http://x/api/v1/verify");
    }
    expect(doc.paths["/verify"].post.responses["200"].content?.["application/json"].schema).to.deep.equal({
      $ref: "#/components/schemas/VerificationResult",
    });
    const query = doc.paths["/certificates"].get.parameters!.filter((p) => p.in === "query").map((p) => p.name);
    expect(query).to.deep.equal(["q", "status", "batch", "limit", "offset"]);
  });

  it("describes each 200/202 JSON response (and the errors) as the server really answers them", async () => {
    const key = server.dev!.apiKeys.CSB;
    const post = (route: string, json: unknown) => api(server, "POST", route, { key, json });
    const get = (route: string) => api(server, "GET", route, { key });
    const example = (operationId: string) => {
      for (const operations of Object.values(doc.paths))
        for (const [, operation] of operationsOf(operations) as [string, Operation & { requestBody?: any }][])
          if (operation.operationId === operationId)
            return operation.requestBody.content["application/json"].example as Record<string, any>;
      throw new Error(`no operation ${operationId}`);
    };
    // A route the document puts at the service's root (the probes), fetched where it says.
    const rootGet = async (d: Document, route: string): Promise<ApiResponse> => {
      const res = await fetch(urlOf(d, server.url, route));
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, headers: res.headers, json: JSON.parse(new TextDecoder().decode(bytes)), bytes };
    };
    const statusOf = async (id: string) => (await get(`/certificates/${id}`)).json.status as string;

    // The document's own examples are requests the server takes.
    const one = await post("/certificates", example("issueCertificate"));
    const batch = await api(server, "POST", "/batches?type=csb-blnst", {
      key,
      body: sampleCsv("csb-blnst.csv"),
      contentType: "text/csv",
    });
    expect([one.status, batch.status], JSON.stringify([one.json, batch.json])).to.deep.equal([202, 202]);
    const [a, b, c, d] = batch.json.certificates as { id: string; claimCode: string }[];
    await waitFor(async () => (await get(`/batches/${batch.json.batchId}`)).json.done === true);
    await waitFor(async () => (await statusOf(one.json.certificates[0].id)) === "issued");
    const revoke = await post(`/certificates/${a.id}/revoke`, example("revokeCertificate"));
    const suspend = await post(`/certificates/${b.id}/suspend`, example("suspendCertificate"));
    await waitFor(async () => (await statusOf(a.id)) === "revoked" && (await statusOf(b.id)) === "suspended");
    const reinstate = await post(`/certificates/${b.id}/reinstate`, {});
    const renew = await post(`/certificates/${one.json.certificates[0].id}/renew`, example("renewCertificate"));
    const pdf = (await api(server, "GET", `/claim/${c.claimCode}/pdf`)).bytes;
    const verify = await api(server, "POST", "/verify", { body: pdf, contentType: "application/pdf" });
    expect(verify.json.status).to.equal("VALID");

    // Officers' sessions, stored as the sign-in stores them: an auditor of CSB for the audit routes, and
    // (maker-checker at FSD: uploads by its key) an approver of FSD.
    const auditor = {
      headers: (
        await officerSession(server.store, {
          issuerId: "CSB",
          subject: "openapi-auditor",
          name: "Auditor",
          roles: ["auditor"],
        })
      ).headers,
    };
    const approverSession = await officerSession(server.store, {
      issuerId: "FSD",
      subject: "openapi-approver",
      name: "Approver",
      roles: ["approver"],
    });
    const approver = (route: string, json: unknown) =>
      api(server, "POST", route, {
        json,
        headers: approverSession.headers,
      });
    const fsdKey = server.dev!.apiKeys.FSD;
    const fsdUpload = (file: string, type: string) =>
      api(server, "POST", `/batches?type=${type}`, { key: fsdKey, body: sampleCsv(file), contentType: "text/csv" });
    const licences = await fsdUpload("fsd-dg-licence.csv", "fsd-dg-licence");
    const contractors = await fsdUpload("fsd-fsi-contractor.csv", "fsd-fsi-contractor");
    expect([licences.json.state, contractors.json.state]).to.deep.equal(["awaiting-approval", "awaiting-approval"]);
    const releaseBatch = await approver(`/batches/${licences.json.batchId}/release`, example("releaseBatch"));
    const rejectBatch = await approver(`/batches/${contractors.json.batchId}/reject`, example("rejectBatch"));
    const fsdGet = (route: string) => api(server, "GET", route, { key: fsdKey });
    await waitFor(async () => (await fsdGet(`/batches/${licences.json.batchId}`)).json.done === true);
    const [l1, l2] = licences.json.certificates as { id: string }[];
    const revokeL1 = await api(server, "POST", `/certificates/${l1.id}/revoke`, {
      key: fsdKey,
      json: { reason: "licence-cancelled", note: "Premises closed" },
    });
    const suspendL2 = await api(server, "POST", `/certificates/${l2.id}/suspend`, { key: fsdKey, json: {} });
    expect([revokeL1.status, suspendL2.status]).to.deep.equal([202, 202]);
    const approveChangeRequest = await approver(
      `/change-requests/${revokeL1.json.requestId}/approve`,
      example("approveChangeRequest"),
    );
    const rejectChangeRequest = await approver(
      `/change-requests/${suspendL2.json.requestId}/reject`,
      example("rejectChangeRequest"),
    );
    // A row with an e-mail address, for the candidate e-mail routes (outbox-routes.ts).
    const mailed = await post("/certificates", {
      type: "csb-cre",
      fields: { ...example("issueCertificate").fields, candidate_number: "CRE2026000999", email: "chan@example.com" },
    });
    expect(mailed.status, JSON.stringify(mailed.json)).to.equal(202);
    const answers: Record<string, ApiResponse> = {
      getMe: await get("/me"),
      issueCertificate: one,
      listCertificates: await get(`/certificates?status=issued&limit=5&offset=0&batch=${batch.json.batchId}`),
      issueBatch: batch,
      getBatch: await get(`/batches/${batch.json.batchId}`),
      listBatches: await fsdGet("/batches?limit=10"),
      releaseBatch,
      rejectBatch,
      listChangeRequests: await fsdGet("/change-requests"),
      approveChangeRequest,
      rejectChangeRequest,
      getCertificate: await get(`/certificates/${a.id}`), // revoked: its history has reasons
      getCertificateCredential: await get(`/certificates/${d.id}/credential`),
      getCertificateEmail: await get(`/certificates/${mailed.json.certificates[0].id}/email`),
      listEmails: await get("/outbox?limit=5"),
      replaceClaimCode: await post(`/certificates/${d.id}/claim-code`, {}),
      revokeCertificate: revoke,
      suspendCertificate: suspend,
      reinstateCertificate: reinstate,
      renewCertificate: renew,
      getClaim: await api(server, "GET", `/claim/${c.claimCode}`),
      getClaimCredential: await api(server, "GET", `/claim/${c.claimCode}/credential`),
      verify,
      getSession: await api(server, "GET", "/session", auditor),
      listAudit: await api(server, "GET", "/audit?limit=5", auditor),
      verifyAudit: await api(server, "GET", "/audit/verify", auditor),
      getHealth: await rootGet(doc, "/healthz"),
      getReadiness: await rootGet(doc, "/readyz"),
    };
    // The names of a revoked certificate's reason, beside its code, as requests give it.
    const revoked = answers.getCertificate.json;
    expect(revoked).to.include({ status: "revoked", reason: 1, reasonName: "issued-in-error" });
    expect(revoked.history.find((e: { type: string }) => e.type === "revoke-requested").detail).to.include({
      reason: 1,
      reasonName: "issued-in-error",
    });

    let checked = 0;
    for (const [route, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of operationsOf(operations)) {
        for (const status of ["200", "202"]) {
          const schema = operation.responses[status]?.content?.["application/json"]?.schema;
          if (!schema) continue;
          const where = `${method.toUpperCase()} ${route} ${status} (${operation.operationId})`;
          const answer = answers[operation.operationId];
          expect(answer, `${where}: the test makes no request for it`).to.not.equal(undefined);
          expect(answer.status, `${where}: ${JSON.stringify(answer.json)?.slice(0, 300)}`).to.equal(Number(status));
          const problems = check(doc, schema, answer.json);
          expect(problems, `${where}:\n${problems.join("\n")}`).to.deep.equal([]);
          checked++;
        }
      }
    }
    expect(checked).to.equal(Object.keys(answers).length);
    // The metrics are Prometheus text where the document says.
    const metrics = await fetch(urlOf(doc, server.url, "/metrics"));
    expect(metrics.status).to.equal(200);
    expect(metrics.headers.get("content-type")).to.match(/^text\/plain/);
    expect(await metrics.text()).to.match(/^# HELP /m);
    // The PDFs are PDFs.
    for (const route of [`/certificates/${d.id}/pdf`, `/claim/${c.claimCode}/pdf`]) {
      const res = await api(server, "GET", route, { key });
      expect([res.status, res.headers.get("content-type")], route).to.deep.equal([200, "application/pdf"]);
      expect(new TextDecoder().decode(res.bytes.subarray(0, 5))).to.equal("%PDF-");
    }
    // Real error answers hold the documented error shape of their status.
    const errors: [string, string, number, ApiResponse][] = [
      ["/me", "get", 401, await api(server, "GET", "/me")],
      ["/certificates", "post", 400, await post("/certificates", { type: "csb-cre" })],
      ["/certificates", "get", 400, await get("/certificates?limit=0")],
      ["/certificates/{id}", "get", 404, await get("/certificates/00000000-0000-0000-0000-000000000000")],
      ["/certificates/{id}/revoke", "post", 409, await post(`/certificates/${a.id}/revoke`, { reason: "fraud" })],
      ["/certificates/{id}/revoke", "post", 400, await post(`/certificates/${a.id}/revoke`, {})],
      ["/claim/{code}", "get", 404, await api(server, "GET", "/claim/AAAA-BBBB-CCCC")],
      ["/verify", "post", 400, await api(server, "POST", "/verify", { body: pdf, contentType: "text/plain" })],
    ];
    for (const [route, method, status, answer] of errors) {
      const where = `${method.toUpperCase()} ${route} ${status}`;
      expect(answer.status, `${where}: ${JSON.stringify(answer.json)}`).to.equal(status);
      const schema = doc.paths[route][method].responses[String(status)].content!["application/json"].schema;
      const problems = check(doc, schema, answer.json);
      expect(problems, `${where}:\n${problems.join("\n")}`).to.deep.equal([]);
    }
    // And the check does fail a response that breaks its schema.
    const wrong = { ...answers.getCertificate.json, extra: 1, status: "lost" };
    expect(check(doc, { $ref: "#/components/schemas/Certificate" }, wrong)).to.have.length(2);
  });
});
