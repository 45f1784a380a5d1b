/**
 * The API's request and response schemas (the handlers validate with them) and the OpenAPI 3.1 document
 * generated from them (`GET /api/v1/openapi.json`).
 */
import { z } from "zod";
import { REVOCATION_REASONS, type RevocationReason } from "../../core/index.ts";

const fieldsSchema = z.record(z.string(), z.unknown()).describe("Fields keyed by the type's CSV column names");

/** The request and response bodies: the handlers validate with these, and the OpenAPI document is generated from them. */
export const schemas = {
  CertificateRequest: z.strictObject({ type: z.string().min(1).max(40), fields: fieldsSchema }),
  BatchRequest: z.strictObject({ type: z.string().min(1).max(40), rows: z.array(fieldsSchema).min(1).max(100_000) }),
  StatusChangeRequest: z.strictObject({
    reason: z.enum(Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]]).default("unspecified"),
  }),
  RenewRequest: z.strictObject({ fields: fieldsSchema }),
  RowError: z.object({
    row: z.number().int().nullable(),
    column: z.string().nullable(),
    code: z.string(),
    message: z.string(),
  }),
  Accepted: z.object({
    batchId: z.string(),
    certificates: z.array(
      z.object({ row: z.number().int(), id: z.string(), certificateNumber: z.string(), claimCode: z.string() }),
    ),
    errors: z.array(
      z.object({
        row: z.number().int().nullable(),
        column: z.string().nullable(),
        code: z.string(),
        message: z.string(),
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
  const error = { description: "Error", content: { "application/json": { schema: ref("Error") } } };
  const bearer = [{ apiKey: [] }];
  const accepted = {
    description: "Accepted: certificates are being issued",
    content: { "application/json": { schema: ref("Accepted") } },
  };
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
          responses: { "200": { description: "Certificates" }, "401": error },
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
          responses: { "200": { description: "Batch" }, "404": error },
        },
      },
      "/certificates/{id}": {
        get: {
          summary: "Status and history",
          security: bearer,
          parameters: idParam,
          responses: { "200": { description: "Certificate" }, "404": error },
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
