import { createHash } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "pino";
import { z } from "zod";
import type { CertificateRow, Store } from "../db/store.ts";
import { REVOCATION_REASONS, type RevocationReason, type VerificationResult, type VerifyInput } from "../../core/index.ts";
import { ServiceError, type IssuanceService, type SubmitResult } from "../issuance/issuance-service.ts";

export interface AppParameters {
  store: Store;
  issuance: IssuanceService;
  log: Logger;
  maxBodyBytes: number;
  /** EIP-1193 provider behind the read-only JSON-RPC proxy at `/rpc`, if any. */
  rpc?: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };
  /** Requests per minute per client on public routes. */
  publicRateLimit?: number;
  /** Verification (`POST /api/v1/verify`): the core's `verify` with this service's chain and trust. */
  verify?: (input: VerifyInput) => Promise<VerificationResult>;
  /** Largest body `POST /verify` takes, bytes (default 8 MiB). */
  maxVerifyBytes?: number;
  /** Extra routes (the verifier page), mounted before the error handler. */
  extend?: (app: express.Express) => void;
}

// ---------------------------------------------------------------------------------------------
// Schemas: the handlers validate with these, and the OpenAPI document is generated from them.
// ---------------------------------------------------------------------------------------------
const fieldsSchema = z.record(z.string(), z.unknown()).describe("Fields keyed by the type's CSV column names");
export const schemas = {
  CertificateRequest: z.strictObject({ type: z.string().min(1).max(40), fields: fieldsSchema }),
  BatchRequest: z.strictObject({ type: z.string().min(1).max(40), rows: z.array(fieldsSchema).min(1).max(100_000) }),
  StatusChangeRequest: z.strictObject({
    reason: z.enum(Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]]).default("unspecified"),
  }),
  RenewRequest: z.strictObject({ fields: fieldsSchema }),
  RowError: z.object({ row: z.number().int().nullable(), column: z.string().nullable(), code: z.string(), message: z.string() }),
  Accepted: z.object({
    batchId: z.string(),
    certificates: z.array(z.object({ row: z.number().int(), id: z.string(), certificateNumber: z.string(), claimCode: z.string() })),
    errors: z.array(z.object({ row: z.number().int().nullable(), column: z.string().nullable(), code: z.string(), message: z.string() })),
  }),
  Error: z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) }),
};

/** Methods the public JSON-RPC proxy forwards: reads only. */
const RPC_READ_METHODS = new Set([
  "eth_chainId", "net_version", "eth_blockNumber", "eth_call", "eth_getLogs", "eth_getBlockByNumber",
  "eth_getBlockByHash", "eth_getTransactionReceipt", "eth_getTransactionByHash", "eth_getCode", "eth_estimateGas",
]);

type Authed = Request & { issuerId?: string; actor?: string };

/**
 * The issuer service's HTTP interface (`/api/v1`, OpenAPI 3.1 at `/api/v1/openapi.json`): department
 * routes behind `Authorization: Bearer <api key>` (a key acts for its own issuer only), candidate claim
 * routes, the read-only JSON-RPC proxy. One error shape, one error handler.
 */
export function createApp(parameters: AppParameters): express.Express {
  const { store, issuance, log, maxBodyBytes } = parameters;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", "data:", "blob:"],
          connectSrc: ["'self'"],
          mediaSrc: ["'self'", "blob:"],
          objectSrc: ["'none'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
        },
      },
    }),
  );
  const publicLimit = rateLimit({ windowMs: 60_000, limit: parameters.publicRateLimit ?? 600, standardHeaders: "draft-8", legacyHeaders: false });
  const api = express.Router();

  api.get("/openapi.json", (_req, res) => void res.json(openApiDocument()));

  // Department routes.
  const auth = async (req: Authed, _res: Response, next: NextFunction) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ServiceError(401, "UNAUTHENTICATED", "Send the department's API key: Authorization: Bearer <key>");
    const key = await store.findApiKeyByHash(sha256(match[1]));
    if (!key || key.revokedAt) throw new ServiceError(401, "UNAUTHENTICATED", "This API key is not valid");
    req.issuerId = key.issuerId;
    req.actor = `api-key:${key.id}`;
    next();
  };
  const json = express.json({ limit: maxBodyBytes });
  const csv = express.raw({ type: ["text/csv", "application/octet-stream"], limit: maxBodyBytes });

  api.get("/me", auth, (req: Authed, res) => void res.json(issuance.issuer(req.issuerId!)));

  api.post("/certificates", auth, json, idempotent(store), async (req: Authed, res) => {
    const body = parse(schemas.CertificateRequest, req.body);
    const result = await issuance.submit({ issuerId: req.issuerId!, typeId: body.type, records: [body.fields], actor: req.actor! });
    sendAccepted(res, result);
  });

  api.post("/batches", auth, csv, json, idempotent(store), async (req: Authed, res) => {
    let result: SubmitResult;
    if (Buffer.isBuffer(req.body)) {
      const type = z.string().min(1).max(40).safeParse(req.query.type);
      if (!type.success) throw new ServiceError(400, "INVALID_REQUEST", "type: give the certificate type as ?type=<type id> for a CSV upload");
      result = await issuance.submit({ issuerId: req.issuerId!, typeId: type.data, csv: new Uint8Array(req.body), actor: req.actor! });
    } else {
      const body = parse(schemas.BatchRequest, req.body);
      result = await issuance.submit({ issuerId: req.issuerId!, typeId: body.type, records: body.rows, actor: req.actor! });
    }
    sendAccepted(res, result);
  });

  api.get("/batches/:id", auth, async (req: Authed, res) => {
    const upload = await store.findUpload(req.issuerId!, String(req.params.id));
    if (!upload) throw new ServiceError(404, "NOT_FOUND", `No batch ${String(req.params.id).slice(0, 40)}`);
    const progress = await store.uploadProgress(upload.id);
    const accepted = Object.values(progress).reduce((a, b) => a + (b ?? 0), 0);
    res.json({
      id: upload.id,
      type: upload.typeId,
      rows: upload.rowCount,
      accepted,
      progress,
      done: accepted > 0 && (progress.pending ?? 0) + (progress.anchoring ?? 0) === 0,
      errors: JSON.parse(upload.errorsJson),
      createdAt: upload.createdAt,
    });
  });

  api.get("/certificates", auth, async (req: Authed, res) => {
    const query = z.object({
      q: z.string().max(200).optional(),
      status: z.enum(["pending", "anchoring", "issued", "revoked", "suspended", "superseded", "failed"]).optional(),
      batch: z.string().max(40).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    });
    const q = parse(query, req.query);
    const rows = await store.listCertificates(req.issuerId!, { query: q.q, status: q.status, uploadId: q.batch, limit: q.limit, offset: q.offset });
    res.json({ certificates: rows.map(summary) });
  });

  api.get("/certificates/:id", auth, async (req: Authed, res) => {
    const row = await issuance.certificate(req.issuerId!, String(req.params.id));
    const history = await store.certificateEvents(row.id);
    res.json({ ...summary(row), history: history.map((e) => ({ type: e.type, actor: e.actor, at: e.at, detail: JSON.parse(e.detailJson) })) });
  });

  api.get("/certificates/:id/pdf", auth, async (req: Authed, res) => {
    sendPdf(res, await issuance.pdf(await issuance.certificate(req.issuerId!, String(req.params.id))));
  });

  api.get("/certificates/:id/credential", auth, async (req: Authed, res) => {
    res.json(await issuance.credential(await issuance.certificate(req.issuerId!, String(req.params.id))));
  });

  for (const kind of ["revoke", "suspend", "reinstate"] as const) {
    api.post(`/certificates/:id/${kind}`, auth, json, idempotent(store), async (req: Authed, res) => {
      const body = parse(schemas.StatusChangeRequest, req.body ?? {});
      const operation = await issuance.changeStatus(req.issuerId!, String(req.params.id), kind, REVOCATION_REASONS[body.reason].code, req.actor!);
      res.status(202).json({ operationId: operation.id, certificateId: operation.certificateId, kind, status: operation.status });
    });
  }

  api.post("/certificates/:id/renew", auth, json, idempotent(store), async (req: Authed, res) => {
    const body = parse(schemas.RenewRequest, req.body);
    sendAccepted(res, await issuance.renew(req.issuerId!, String(req.params.id), body.fields, req.actor!));
  });

  // Candidate routes: the claim code is the only credential, and opens this one certificate only.
  api.get("/claim/:code", publicLimit, async (req, res) => {
    const row = await issuance.claim(String(req.params.code));
    res.json({ id: row.id, type: row.typeId, certificateNumber: row.certificateNumber, status: row.status });
  });
  api.get("/claim/:code/pdf", publicLimit, async (req, res) => {
    sendPdf(res, await issuance.pdf(await issuance.claim(String(req.params.code))));
  });
  api.get("/claim/:code/credential", publicLimit, async (req, res) => {
    res.json(await issuance.credential(await issuance.claim(String(req.params.code))));
  });

  // Verification: public, rate-limited, size-limited; the same result JSON as the core, CLI and page.
  if (parameters.verify) {
    const verify = parameters.verify;
    const maxVerifyBytes = parameters.maxVerifyBytes ?? 8 * 2 ** 20;
    api.post(
      "/verify",
      publicLimit,
      express.raw({ type: ["application/pdf", "application/octet-stream"], limit: maxVerifyBytes }),
      express.json({ limit: maxVerifyBytes }),
      async (req, res) => {
        const body = req.body as unknown;
        let input: VerifyInput;
        if (Buffer.isBuffer(body)) input = { pdf: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
        else if (body && typeof body === "object" && !Array.isArray(body) && Object.keys(body).length === 1 && typeof (body as { url?: unknown }).url === "string") {
          input = { url: (body as { url: string }).url };
        } else if (body && typeof body === "object") input = { credential: body };
        else throw new ServiceError(400, "INVALID_REQUEST", "Send a PDF (application/pdf), a credential or { \"url\": ... } (application/json)");
        res.json(await verify(input));
      },
    );
  }

  // Read-only JSON-RPC proxy to the chain, for the verifier page.
  if (parameters.rpc) {
    const rpc = parameters.rpc;
    app.post("/rpc", publicLimit, express.json({ limit: 64 * 1024 }), async (req, res) => {
      const answer = async (r: { id?: unknown; method?: unknown; params?: unknown }) => {
        if (typeof r?.method !== "string" || !RPC_READ_METHODS.has(r.method)) {
          return { jsonrpc: "2.0", id: r?.id ?? null, error: { code: -32601, message: "Method not allowed on this read-only endpoint" } };
        }
        try {
          return { jsonrpc: "2.0", id: r.id ?? null, result: await rpc.request({ method: r.method, params: (r.params as unknown[]) ?? [] }) };
        } catch (error) {
          return { jsonrpc: "2.0", id: r.id ?? null, error: { code: -32000, message: String((error as Error).message).slice(0, 300) } };
        }
      };
      const body = req.body as unknown;
      if (Array.isArray(body) && body.length > 20) throw new ServiceError(400, "INVALID_REQUEST", "At most 20 calls in one JSON-RPC batch");
      res.json(Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body as never));
    });
  }

  parameters.extend?.(app);
  app.use("/api/v1", api);
  app.use((_req, _res, next) => next(new ServiceError(404, "NOT_FOUND", "No such route")));
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = error as { status?: number; type?: string; code?: string; message?: string; details?: unknown };
    if (error instanceof ServiceError) {
      res.status(error.status).json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } });
    } else if (e.type === "entity.too.large") {
      res.status(413).json({ error: { code: "TOO_LARGE", message: `The body is larger than ${maxBodyBytes} bytes` } });
    } else if (e.type === "entity.parse.failed") {
      res.status(400).json({ error: { code: "INVALID_JSON", message: "The body is not valid JSON" } });
    } else {
      log.error({ err: error, path: req.path }, "request failed");
      res.status(500).json({ error: { code: "INTERNAL", message: "Internal error" } });
    }
  });
  return app;
}

/** Validates `value` with `schema`, or answers 400 naming the field. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new ServiceError(400, "INVALID_REQUEST", `${field}: ${issue.message}`, { field });
  }
  return result.data;
}

function sendAccepted(res: Response, result: SubmitResult): void {
  const status = result.fileError || result.accepted.length === 0 ? 422 : 202;
  res.status(status).json({
    batchId: result.uploadId,
    certificates: result.accepted,
    errors: result.errors,
    ...(result.fileError ? { fileError: result.fileError } : {}),
  });
}

function sendPdf(res: Response, pdf: Uint8Array): void {
  res.type("application/pdf").setHeader("content-disposition", "attachment; filename=certificate.pdf");
  res.send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
}

function summary(row: CertificateRow) {
  return {
    id: row.id,
    type: row.typeId,
    certificateNumber: row.certificateNumber,
    status: row.status,
    batchId: row.uploadId,
    row: row.row,
    reason: row.reason,
    supersedes: row.supersedes,
    search: JSON.parse(row.searchJson),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * `Idempotency-Key`: the first response to a key is stored with a hash of the request; the same key
 * and request get that response again, the same key with another request gets 422.
 */
function idempotent(store: Store) {
  return async (req: Authed, res: Response, next: NextFunction) => {
    const key = req.get("idempotency-key");
    if (!key) return next();
    if (key.length > 200) throw new ServiceError(400, "INVALID_REQUEST", "Idempotency-Key: at most 200 characters");
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(JSON.stringify(req.body ?? null));
    const requestHash = sha256(Buffer.concat([Buffer.from(`${req.method} ${req.originalUrl}\n`), body]));
    const previous = await store.findIdempotency(req.issuerId!, key);
    if (previous) {
      if (previous.requestHash !== requestHash) {
        throw new ServiceError(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
      }
      res.status(previous.statusCode).setHeader("idempotent-replayed", "true").type("application/json").send(previous.responseJson);
      return;
    }
    const send = res.json.bind(res);
    res.json = (payload: unknown) => {
      if (res.statusCode < 500) {
        void store
          .insertIdempotency({ issuerId: req.issuerId!, key, requestHash, statusCode: res.statusCode, responseJson: JSON.stringify(payload), createdAt: new Date().toISOString() })
          .catch(() => undefined);
      }
      return send(payload);
    };
    next();
  };
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The OpenAPI 3.1 document, with request and response bodies generated from `schemas`. */
export function openApiDocument(): object {
  const component = (schema: z.ZodType) => z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  const ref = (name: keyof typeof schemas) => ({ $ref: `#/components/schemas/${name}` });
  const error = { description: "Error", content: { "application/json": { schema: ref("Error") } } };
  const bearer = [{ apiKey: [] }];
  const accepted = { description: "Accepted: certificates are being issued", content: { "application/json": { schema: ref("Accepted") } } };
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
  return {
    openapi: "3.1.0",
    info: { title: "HK e-Cert issuer API", version: "1.0.0" },
    servers: [{ url: "/api/v1" }],
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "A department's API key" } },
      schemas: Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, component(schema)])),
    },
    paths: {
      "/me": { get: { summary: "The department this API key acts for, and the certificate types it issues", security: bearer, responses: { "200": { description: "Department" }, "401": error } } },
      "/certificates": {
        post: {
          summary: "Issue one certificate",
          security: bearer,
          parameters: [{ name: "Idempotency-Key", in: "header", schema: { type: "string" } }],
          requestBody: { required: true, content: { "application/json": { schema: ref("CertificateRequest") } } },
          responses: { "202": accepted, "400": error, "401": error, "403": error, "422": error },
        },
        get: { summary: "Find certificates of the caller's department", security: bearer, responses: { "200": { description: "Certificates" }, "401": error } },
      },
      "/batches": {
        post: {
          summary: "Issue many certificates: a CSV file (?type=...) or JSON rows",
          security: bearer,
          parameters: [
            { name: "type", in: "query", schema: { type: "string" } },
            { name: "Idempotency-Key", in: "header", schema: { type: "string" } },
          ],
          requestBody: { required: true, content: { "text/csv": { schema: { type: "string" } }, "application/json": { schema: ref("BatchRequest") } } },
          responses: { "202": accepted, "400": error, "401": error, "413": error, "422": accepted },
        },
      },
      "/batches/{id}": { get: { summary: "Progress and per-row errors of a batch", security: bearer, parameters: idParam, responses: { "200": { description: "Batch" }, "404": error } } },
      "/certificates/{id}": { get: { summary: "Status and history", security: bearer, parameters: idParam, responses: { "200": { description: "Certificate" }, "404": error } } },
      "/certificates/{id}/pdf": { get: { summary: "The signed PDF", security: bearer, parameters: idParam, responses: { "200": { description: "PDF", content: { "application/pdf": {} } }, "409": error } } },
      "/certificates/{id}/credential": { get: { summary: "The verifiable credential (JSON)", security: bearer, parameters: idParam, responses: { "200": { description: "Credential" }, "409": error } } },
      "/certificates/{id}/revoke": statusChange("revoke"),
      "/certificates/{id}/suspend": statusChange("suspend"),
      "/certificates/{id}/reinstate": statusChange("reinstate"),
      "/certificates/{id}/renew": {
        post: { summary: "Issue a renewal that supersedes this certificate", security: bearer, parameters: idParam, requestBody: { content: { "application/json": { schema: ref("RenewRequest") } } }, responses: { "202": accepted, "409": error } },
      },
      "/claim/{code}": { get: { summary: "The certificate a claim code opens", parameters: codeParam, responses: { "200": { description: "Certificate" }, "404": error, "429": error } } },
      "/claim/{code}/pdf": { get: { summary: "Candidate download of the PDF", parameters: codeParam, responses: { "200": { description: "PDF" }, "404": error } } },
      "/claim/{code}/credential": { get: { summary: "Candidate download of the credential", parameters: codeParam, responses: { "200": { description: "Credential" }, "404": error } } },
    },
  };
}
