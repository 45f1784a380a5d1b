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
import { sampleCsv } from "../pdf/documents-helpers.ts";
import { api, waitFor, type ApiResponse } from "./api-helpers.ts";

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

type Schema = Record<string, unknown>;
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};
type Operation = {
  operationId: string;
  parameters?: { name?: string; in?: string; schema?: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};

/** Keywords that only annotate: they never make a value invalid. */
const ANNOTATIONS = new Set(["description", "default", "examples", "title", "contentMediaType", "deprecated"]);

/**
 * The problems of `value` against `schema` (the JSON Schema subset the document's components use; a
 * keyword this does not know is itself a problem, so the check never passes by ignoring one).
 */
function check(doc: Document, schema: Schema, value: unknown, at = ""): string[] {
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${at || "/"}: ${message}`);
  const typeOf = (v: unknown) =>
    v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
  for (const [keyword, argument] of Object.entries(schema)) {
    const arg = argument as any;
    switch (keyword) {
      case "$ref": {
        const name = String(arg).replace("#/components/schemas/", "");
        const target = doc.components.schemas[name];
        if (!target) fail(`no component ${arg}`);
        else problems.push(...check(doc, target, value, at));
        break;
      }
      case "type": {
        const types = Array.isArray(arg) ? arg : [arg];
        const actual = typeOf(value);
        if (!types.includes(actual) && !(actual === "integer" && types.includes("number")))
          fail(`${JSON.stringify(value)?.slice(0, 60)} is not ${types.join(" or ")}`);
        break;
      }
      case "properties":
        if (typeOf(value) !== "object") break;
        for (const [name, sub] of Object.entries(arg as Record<string, Schema>)) {
          if (name in (value as object))
            problems.push(...check(doc, sub, (value as Record<string, unknown>)[name], `${at}/${name}`));
        }
        break;
      case "required":
        if (typeOf(value) !== "object") break;
        for (const name of arg as string[]) if (!(name in (value as object))) fail(`${name} is missing`);
        break;
      case "additionalProperties":
        if (typeOf(value) !== "object") break;
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) {
          if (name in ((schema.properties as object | undefined) ?? {})) continue;
          if (arg === false) fail(`${name} is not in the schema`);
          else problems.push(...check(doc, arg as Schema, sub, `${at}/${name}`));
        }
        break;
      case "propertyNames":
        if (typeOf(value) !== "object") break;
        for (const name of Object.keys(value as object)) problems.push(...check(doc, arg, name, `${at}/${name}`));
        break;
      case "items":
        if (Array.isArray(value)) value.forEach((item, i) => problems.push(...check(doc, arg, item, `${at}/${i}`)));
        break;
      case "enum":
        if (!(arg as unknown[]).includes(value)) fail(`${JSON.stringify(value)} is not one of ${arg.join(", ")}`);
        break;
      case "const":
        if (value !== arg) fail(`${JSON.stringify(value)} is not ${JSON.stringify(arg)}`);
        break;
      case "anyOf":
        if (!(arg as Schema[]).some((sub) => check(doc, sub, value, at).length === 0))
          fail(
            `matches none of anyOf: ${(arg as Schema[]).map((sub) => check(doc, sub, value, at).join("; ")).join(" | ")}`,
          );
        break;
      case "minimum":
        if (typeof value === "number" && value < arg) fail(`${value} < ${arg}`);
        break;
      case "maximum":
        if (typeof value === "number" && value > arg) fail(`${value} > ${arg}`);
        break;
      case "minLength":
        if (typeof value === "string" && value.length < arg) fail(`shorter than ${arg}`);
        break;
      case "maxLength":
        if (typeof value === "string" && value.length > arg) fail(`longer than ${arg}`);
        break;
      case "minItems":
        if (Array.isArray(value) && value.length < arg) fail(`fewer than ${arg} items`);
        break;
      case "maxItems":
        if (Array.isArray(value) && value.length > arg) fail(`more than ${arg} items`);
        break;
      default:
        if (!ANNOTATIONS.has(keyword)) fail(`the check does not know the keyword ${keyword}`);
    }
  }
  return problems;
}

describe("OpenAPI document (a running server's /api/v1/openapi.json)", function () {
  this.timeout(180_000);
  let dataDir: string;
  let server: RunningServer;
  let doc: Document;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-openapi-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", BATCH_WAIT_MS: "100", LOG_LEVEL: "silent" }));
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
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${route}`;
        expect(operation.operationId, where).to.be.a("string");
        expect((operation as { tags?: string[] }).tags, where).to.have.length.greaterThan(0);
        expect((operation as { summary?: string }).summary, where).to.be.a("string");
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^[45]/.test(status) || !response.content?.["application/json"]) continue;
          const schema = JSON.stringify(response.content["application/json"].schema);
          expect(schema, `${where} ${status}`).to.include("#/components/schemas/Error");
        }
      }
    }
    const publicRoutes = ["/claim/{code}", "/claim/{code}/pdf", "/claim/{code}/credential", "/verify"];
    for (const route of publicRoutes) {
      for (const operation of Object.values(doc.paths[route]))
        expect((operation as { security?: [] }).security).to.deep.equal([]);
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
        for (const operation of Object.values(operations) as (Operation & { requestBody?: any })[])
          if (operation.operationId === operationId)
            return operation.requestBody.content["application/json"].example as Record<string, any>;
      throw new Error(`no operation ${operationId}`);
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

    const answers: Record<string, ApiResponse> = {
      getMe: await get("/me"),
      issueCertificate: one,
      listCertificates: await get(`/certificates?status=issued&limit=5&offset=0&batch=${batch.json.batchId}`),
      issueBatch: batch,
      getBatch: await get(`/batches/${batch.json.batchId}`),
      getCertificate: await get(`/certificates/${a.id}`), // revoked: its history has reasons
      getCertificateCredential: await get(`/certificates/${d.id}/credential`),
      revokeCertificate: revoke,
      suspendCertificate: suspend,
      reinstateCertificate: reinstate,
      renewCertificate: renew,
      getClaim: await api(server, "GET", `/claim/${c.claimCode}`),
      getClaimCredential: await api(server, "GET", `/claim/${c.claimCode}/credential`),
      verify,
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
      for (const [method, operation] of Object.entries(operations)) {
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
      ["/certificates/{id}/revoke", "post", 409, await post(`/certificates/${a.id}/revoke`, {})],
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
