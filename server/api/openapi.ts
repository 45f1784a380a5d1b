/**
 * The API's request and response schemas (the handlers validate with them) and the OpenAPI 3.1 document
 * generated from them (`GET /api/v1/openapi.json`).
 */
import { z } from "zod";
import { REVOCATION_REASONS, type RevocationReason } from "../../core/index.ts";

const fieldsSchema = z.record(z.string(), z.unknown()).describe("Fields keyed by the type's CSV column names");

/** A certificate's status (`server/db/store.ts`'s `CertificateStatus`). */
const certificateStatus = z.enum(["pending", "anchoring", "issued", "revoked", "suspended", "superseded", "failed"]);

const rowError = z.object({
  row: z.number().int().nullable(),
  column: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  certificateId: z.string().optional().describe("DUPLICATE_CERTIFICATE: the live certificate that holds the number"),
});

/** A certificate as the department routes show it. */
const certificateSummary = z.object({
  id: z.string(),
  type: z.string(),
  certificateNumber: z.string(),
  status: certificateStatus,
  batchId: z.string().describe("The upload (batch) it came in"),
  row: z.number().int().describe("1-based row of the upload"),
  reason: z.number().int().nullable().describe("Reason code of the last status change (revoke, suspend)"),
  supersedes: z.string().nullable().describe("The certificate this one renews"),
  search: z
    .object({
      name: z.unknown().optional().describe("The candidate's name: a string, or { en, zh-HK }"),
      candidateNumber: z.string().optional(),
    })
    .describe("The claims the officer's search reads; a field the certificate has no value for is left out"),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The request and response bodies: the handlers validate with these, and the OpenAPI document is generated from them. */
export const schemas = {
  CertificateRequest: z.strictObject({ type: z.string().min(1).max(40), fields: fieldsSchema }),
  BatchRequest: z.strictObject({ type: z.string().min(1).max(40), rows: z.array(fieldsSchema).min(1).max(100_000) }),
  StatusChangeRequest: z.strictObject({
    reason: z.enum(Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]]).default("unspecified"),
  }),
  RenewRequest: z.strictObject({ fields: fieldsSchema }),
  RowError: rowError,
  /** `POST /certificates`, `POST /batches`, `POST /certificates/{id}/renew`: 202, or 422 when nothing was accepted. */
  Accepted: z.object({
    batchId: z.string(),
    certificates: z.array(
      z.object({ row: z.number().int(), id: z.string(), certificateNumber: z.string(), claimCode: z.string() }),
    ),
    errors: z.array(rowError),
    fileError: z
      .object({ code: z.string(), message: z.string(), columns: z.array(z.string()).optional() })
      .optional()
      .describe("The whole file was refused (nothing accepted)"),
  }),
  /** `GET /batches/{id}`: an upload's progress, its refused rows and the batches of it set aside. */
  Batch: z.object({
    id: z.string(),
    type: z.string(),
    rows: z.number().int().describe("Rows in the input, valid or not"),
    accepted: z.number().int().describe("Certificates accepted from it, whatever their status now"),
    progress: z.partialRecord(certificateStatus, z.number().int()).describe("Its certificates by status"),
    done: z.boolean().describe("Something was accepted and nothing is pending or anchoring any more"),
    errors: z.array(rowError),
    failures: z
      .array(z.object({ batch: z.string(), reason: z.string(), at: z.string() }))
      .describe("Batches set aside by the pipeline, with the reason: their certificates are failed"),
    createdAt: z.string(),
  }),
  /** One certificate of `GET /certificates`. */
  CertificateSummary: certificateSummary,
  /** `GET /certificates`: the department's certificates that match the query. */
  CertificateList: z.object({ certificates: z.array(certificateSummary) }),
  /** `GET /certificates/{id}`: the certificate and its history, oldest first. */
  Certificate: certificateSummary.extend({
    history: z.array(
      z.object({
        type: z.string().describe('e.g. "accepted", "anchored", "issued", "revoke-requested", "revoked"'),
        actor: z.string().describe('An API key ("api-key:<id>"), "system", or an officer'),
        at: z.string(),
        detail: z
          .looseObject({ reason: z.number().int().optional() })
          .describe("What the event records: a status change its reason code"),
      }),
    ),
  }),
  Error: z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) }),
};

/** The OpenAPI 3.1 document, with request and response bodies generated from `schemas`. */
export function openApiDocument(): object {
  const component = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
  const json = (description: string, name: keyof typeof schemas) => ({
    description,
    content: { "application/json": { schema: ref(name) } },
  });
  const error = json("Error", "Error");
  const bearer = [{ apiKey: [] }];
  const accepted = json("Accepted: certificates are being issued", "Accepted");
  const idParam = [{ name: "id", in: "path", required: true, schema: { type: "string" } }];
  const codeParam = [{ name: "code", in: "path", required: true, schema: { type: "string" } }];
  const statusChange = (kind: string) => ({
    post: {
      summary: `${kind[0].toUpperCase()}${kind.slice(1)} an issued certificate (sent to the registry)`,
      security: bearer,
      parameters: [...idParam, { name: "Idempotency-Key", in: "header", schema: { type: "string" } }],
      requestBody: { content: { "application/json": { schema: ref("StatusChangeRequest") } } },
      responses: { "202": { description: "Queued" }, "401": error, "404": error, "409": error },
    },
  });
  const document = {
    openapi: "3.1.0",
    info: { title: "HK e-Cert issuer API", version: "1.0.0" },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "A department's API key" } },
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, component(schema)])),
    },
    paths: {
      "/me": {
        get: {
          summary: "The department this API key acts for, and the certificate types it issues",
          security: bearer,
          responses: { "200": { description: "Department" }, "401": error },
        },
      },
      "/certificates": {
        post: {
          summary: "Issue one certificate",
          security: bearer,
          parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" } }],
          requestBody: { required: true, content: { "application/json": { schema: ref("CertificateRequest") } } },
          responses: { "202": accepted, "400": error, "401": error, "403": error, "422": error },
        },
        get: {
          summary: "Find certificates of the caller's department",
          security: bearer,
          responses: { "200": json("Certificates", "CertificateList"), "401": error },
        },
      },
      "/batches": {
        post: {
          summary: "Issue many certificates: a CSV file (?type=...) or JSON rows",
          security: bearer,
          parameters: [
            { name: "type", in: "query", schema: { type: "string" } },
            { name: "Idempotency-Key", in: "header", schema: { type: "string" } },
          ],
          requestBody: {
            required: true,
            content: {
              "text/csv": { schema: { type: "string" } },
              "application/json": { schema: ref("BatchRequest") },
            },
          },
          responses: { "202": accepted, "400": error, "401": error, "413": error, "422": accepted },
        },
      },
      "/batches/{id}": {
        get: {
          summary: "Progress and per-row errors of a batch",
          security: bearer,
          parameters: idParam,
          responses: { "200": json("Batch", "Batch"), "404": error },
        },
      },
      "/certificates/{id}": {
        get: {
          summary: "Status and history",
          security: bearer,
          parameters: idParam,
          responses: { "200": json("Certificate", "Certificate"), "404": error },
        },
      },
      "/certificates/{id}/pdf": {
        get: {
          summary: "The signed PDF",
          security: bearer,
          parameters: idParam,
          responses: { "200": { description: "PDF", content: { "application/pdf": {} } }, "409": error },
        },
      },
      "/certificates/{id}/credential": {
        get: {
          summary: "The verifiable credential (JSON)",
          security: bearer,
          parameters: idParam,
          responses: { "200": { description: "Credential" }, "409": error },
        },
      },
      "/certificates/{id}/revoke": statusChange("revoke"),
      "/certificates/{id}/suspend": statusChange("suspend"),
      "/certificates/{id}/reinstate": statusChange("reinstate"),
      "/certificates/{id}/renew": {
        post: {
          summary: "Issue a renewal that supersedes this certificate",
          security: bearer,
          parameters: idParam,
          requestBody: { content: { "application/json": { schema: ref("RenewRequest") } } },
          responses: { "202": accepted, "409": error },
        },
      },
      "/claim/{code}": {
        get: {
          summary: "The certificate a claim code opens",
          parameters: codeParam,
          responses: { "200": { description: "Certificate" }, "404": error, "429": error },
        },
      },
      "/claim/{code}/pdf": {
        get: {
          summary: "Candidate download of the PDF",
          parameters: codeParam,
          responses: { "200": { description: "PDF" }, "404": error },
        },
      },
      "/claim/{code}/credential": {
        get: {
          summary: "Candidate download of the credential",
          parameters: codeParam,
          responses: { "200": { description: "Credential" }, "404": error },
        },
      },
    },
  };
  // Every operation may meet a busy or unreachable database (see errors.ts's table).
  const unavailable = {
    description: "The database (or the chain) is busy or cannot be reached: try again after Retry-After seconds",
    headers: { "Retry-After": { schema: { type: "integer" } } },
    content: { "application/json": { schema: ref("Error") } },
  };
  for (const operations of Object.values(document.paths) as Record<string, { responses: Record<string, unknown> }>[]) {
    for (const operation of Object.values(operations)) operation.responses["503"] = unavailable;
  }
  return document;
}
