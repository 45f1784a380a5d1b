import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import express, { type NextFunction, type Request, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "pino";
import { z } from "zod";
import type { CertificateRow, Store } from "../db/store.ts";
import { REVOCATION_REASONS, scanJsonText, type RevocationReason, type VerificationResult, type VerifyInput } from "../../core/index.ts";
import type { IssuanceService, ReserveHook, SubmitResult } from "../issuance/issuance-service.ts";
import { BaseError } from "../../core/base-error.ts";
import { ApiError, errorHandler, notFound } from "./errors.ts";
import { rpcProxy, type RpcProxyParameters } from "./rpc-proxy.ts";

export interface AppParameters {
  store: Store;
  issuance: IssuanceService;
  log: Logger;
  maxBodyBytes: number;
  /** The chain behind the read-only JSON-RPC proxy at `/rpc` (`rpc-proxy.ts`), and its bounds, if any. */
  rpc?: RpcProxyParameters;
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

type Authed = Request & { issuerId?: string; actor?: string; rawBody?: Buffer; idempotency?: IdempotencyKey };

/** Deepest nesting a JSON body may have (objects and arrays). */
const MAX_JSON_DEPTH = 64;

/**
 * The issuer service's HTTP interface (`/api/v1`, OpenAPI 3.1 at `/api/v1/openapi.json`): department
 * routes behind `Authorization: Bearer <api key>` (a key acts for its own issuer only), candidate claim
 * routes, the read-only JSON-RPC proxy. One error shape, one error handler (`errors.ts`: the one table from
 * error codes to HTTP statuses).
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
  // One limiter per public use, so that guessing claim codes cannot block verification, nor the reverse.
  const limiter = (name: string) =>
    rateLimit({ windowMs: 60_000, limit: parameters.publicRateLimit ?? 600, standardHeaders: "draft-8", legacyHeaders: false, identifier: name });
  const claimLimit = limiter("claim");
  const verifyLimit = limiter("verify");
  const rpcLimit = limiter("rpc");
  /** Tells the error handler the body limit of the route that refused a body as too large. */
  const bodyLimit = (bytes: number) => (req: Request, _res: Response, next: NextFunction) => {
    (req as Request & { bodyLimit?: number }).bodyLimit = bytes;
    next();
  };
  const api = express.Router();

  api.get("/openapi.json", (_req, res) => void res.json(openApiDocument()));

  // Department routes.
  const auth = async (req: Authed, _res: Response, next: NextFunction) => {
    const header = req.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError("UNAUTHENTICATED", "Send the department's API key: Authorization: Bearer <key>");
    const key = await store.findApiKeyByHash(sha256(match[1]));
    if (!key || key.revokedAt) throw new ApiError("UNAUTHENTICATED", "This API key is not valid");
    req.issuerId = key.issuerId;
    req.actor = `api-key:${key.id}`;
    next();
  };
  const json = [
    express.json({ limit: maxBodyBytes, verify: (req, _res, raw) => void ((req as Authed).rawBody = raw) }),
    (req: Authed, _res: Response, next: NextFunction) => {
      if (req.rawBody) checkJsonBody(req.rawBody);
      next();
    },
  ];
  const csv = express.raw({ type: ["text/csv", "application/octet-stream"], limit: maxBodyBytes });

  api.get("/me", auth, (req: Authed, res) => void res.json(issuance.issuer(req.issuerId!)));

  api.post("/certificates", auth, ...json, idempotent(store), async (req: Authed, res) => {
    const body = parse(schemas.CertificateRequest, req.body);
    await respondOnce(store, req, res, accepted, (reserve) =>
      issuance.submit({ issuerId: req.issuerId!, typeId: body.type, records: [body.fields], actor: req.actor!, reserve }),
    );
  });

  const batchTypes = ["text/csv", "application/octet-stream", "application/json"];
  api.post("/batches", auth, (req: Request, _res: Response, next: NextFunction) => {
    if (!req.is(batchTypes)) {
      throw new ApiError("UNSUPPORTED_MEDIA_TYPE", `Send the batch as text/csv (with ?type=<type id>) or application/json, not ${String(req.get("content-type") ?? "no Content-Type").slice(0, 80)}`);
    }
    next();
  }, csv, ...json, idempotent(store), async (req: Authed, res) => {
    let submit: (reserve: ReserveHook<SubmitResult> | undefined) => Promise<SubmitResult>;
    if (Buffer.isBuffer(req.body)) {
      const type = z.string().min(1).max(40).safeParse(req.query.type);
      if (!type.success) throw new ApiError("INVALID_REQUEST", "type: give the certificate type as ?type=<type id> for a CSV upload");
      const csvBytes = new Uint8Array(req.body);
      submit = (reserve) => issuance.submit({ issuerId: req.issuerId!, typeId: type.data, csv: csvBytes, actor: req.actor!, reserve });
    } else {
      const body = parse(schemas.BatchRequest, req.body);
      submit = (reserve) => issuance.submit({ issuerId: req.issuerId!, typeId: body.type, records: body.rows, actor: req.actor!, reserve });
    }
    await respondOnce(store, req, res, accepted, submit);
  });

  api.get("/batches/:id", auth, async (req: Authed, res) => {
    const upload = await store.findUpload(req.issuerId!, String(req.params.id));
    if (!upload) throw new ApiError("NOT_FOUND", `No batch ${String(req.params.id).slice(0, 40)}`);
    const progress = await store.uploadProgress(upload.id);
    const failures = await store.uploadFailures(upload.id);
    const accepted = Object.values(progress).reduce((a, b) => a + (b ?? 0), 0);
    res.json({
      id: upload.id,
      type: upload.typeId,
      rows: upload.rowCount,
      accepted,
      progress,
      done: accepted > 0 && (progress.pending ?? 0) + (progress.anchoring ?? 0) === 0,
      errors: JSON.parse(upload.errorsJson),
      // Batches of this upload that were set aside: their certificates are `failed`, with the reason.
      failures: failures.map((f) => ({ batch: f.batchId, reason: f.failure, at: f.failedAt })),
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
    api.post(`/certificates/:id/${kind}`, auth, ...json, idempotent(store), async (req: Authed, res) => {
      const body = parse(schemas.StatusChangeRequest, req.body ?? {});
      const queued = (operation: { id: string; certificateId: string | null; status: string }) => ({
        status: 202,
        body: { operationId: operation.id, certificateId: operation.certificateId, kind, status: operation.status },
      });
      await respondOnce(store, req, res, queued, (reserve) =>
        issuance.changeStatus(req.issuerId!, String(req.params.id), kind, REVOCATION_REASONS[body.reason].code, req.actor!, reserve),
      );
    });
  }

  api.post("/certificates/:id/renew", auth, ...json, idempotent(store), async (req: Authed, res) => {
    const body = parse(schemas.RenewRequest, req.body);
    await respondOnce(store, req, res, accepted, (reserve) => issuance.renew(req.issuerId!, String(req.params.id), body.fields, req.actor!, reserve));
  });

  // Candidate routes: the claim code is the only credential, and opens this one certificate only.
  api.get("/claim/:code", claimLimit, async (req, res) => {
    const row = await issuance.claim(String(req.params.code));
    res.json({ id: row.id, type: row.typeId, certificateNumber: row.certificateNumber, status: row.status });
  });
  api.get("/claim/:code/pdf", claimLimit, async (req, res) => {
    sendPdf(res, await issuance.pdf(await issuance.claim(String(req.params.code))));
  });
  api.get("/claim/:code/credential", claimLimit, async (req, res) => {
    res.json(await issuance.credential(await issuance.claim(String(req.params.code))));
  });

  // Verification: public, rate-limited, size-limited; the same result JSON as the core, CLI and page.
  if (parameters.verify) {
    const verify = parameters.verify;
    const maxVerifyBytes = parameters.maxVerifyBytes ?? 8 * 2 ** 20;
    api.post(
      "/verify",
      verifyLimit,
      bodyLimit(maxVerifyBytes),
      express.raw({ type: ["application/pdf", "application/octet-stream"], limit: maxVerifyBytes }),
      express.json({ limit: maxVerifyBytes, verify: (req, _res, raw) => void ((req as Authed).rawBody = raw) }),
      async (req: Authed, res) => {
        const body = req.body as unknown;
        let input: VerifyInput;
        if (Buffer.isBuffer(body)) input = { pdf: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
        else if (body && typeof body === "object") {
          // A credential goes to the core as its text, so that its strict reading sees a member name given
          // twice (MALFORMED); so does `{ "url" }` given twice.
          const text = req.rawBody!.toString("utf8");
          const url = (body as { url?: unknown }).url;
          const isUrl = !Array.isArray(body) && Object.keys(body).length === 1 && typeof url === "string" && !scanJsonText(text).duplicate;
          input = isUrl ? { url: url as string } : { credential: text };
        }
        else throw new ApiError("INVALID_REQUEST", "Send a PDF (application/pdf), a credential or { \"url\": ... } (application/json)");
        res.json(await verify(input));
      },
    );
  }

  // Read-only JSON-RPC proxy to the chain, for the verifier page: bounded reads of the registry only.
  if (parameters.rpc) app.post("/rpc", rpcLimit, bodyLimit(64 * 1024), ...rpcProxy(parameters.rpc));

  parameters.extend?.(app);
  app.use("/api/v1", api);
  app.use(notFound);
  app.use(errorHandler({ log, maxBodyBytes }));
  return app;
}

/** Validates `value` with `schema`, or answers 400 naming the field. */
function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new ApiError("INVALID_REQUEST", `${field}: ${issue.message}`, { details: { field } });
  }
  return result.data;
}

/** The response to an upload: 202 when any row was accepted, else 422. */
function accepted(result: SubmitResult): { status: number; body: unknown } {
  return {
    status: result.fileError || result.accepted.length === 0 ? 422 : 202,
    body: {
      batchId: result.uploadId,
      certificates: result.accepted,
      errors: result.errors,
      ...(result.fileError ? { fileError: result.fileError } : {}),
    },
  };
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

/** An `Idempotency-Key` as stored: looked up by a hash; what it answers is sealed with a key derived from it. */
interface IdempotencyKey {
  /** SHA-256 (hex) of the issuer and the key: the stored lookup value (the key itself is never stored). */
  lookup: string;
  /** SHA-256 (hex) of the request (method, path, raw body). */
  requestHash: string;
  /** AES-256-GCM key for the stored response (it holds claim codes): derived from the key, never stored. */
  sealKey: Buffer;
}

/** Thrown inside the transaction when another request committed the same key first: it is rolled back. */
class IdempotencyKeyTaken extends BaseError<"IDEMPOTENCY_KEY_TAKEN"> {
  override name = "IdempotencyKeyTaken";
  constructor() {
    super("IDEMPOTENCY_KEY_TAKEN", "Another request committed this Idempotency-Key first");
  }
}

/**
 * `Idempotency-Key`: a key already answered gets that answer again (header `idempotent-replayed: true`),
 * the same key with another request gets 422. A new key is reserved by {@link respondOnce} in the same
 * transaction that stores what the request does, so a unique constraint decides between concurrent
 * requests with one key: one does the work, the others wait for its commit and replay its answer. A
 * crash between the commit and the response still replays.
 */
function idempotent(store: Store) {
  return async (req: Authed, res: Response, next: NextFunction) => {
    const key = req.get("idempotency-key");
    if (!key) return next();
    if (key.length > 200) throw new ApiError("INVALID_REQUEST", "Idempotency-Key: at most 200 characters");
    const body = Buffer.isBuffer(req.body) ? req.body : (req.rawBody ?? Buffer.alloc(0));
    req.idempotency = {
      lookup: sha256(`hk-ecert idempotency key\n${req.issuerId}\n${key}`),
      requestHash: sha256(Buffer.concat([Buffer.from(`${req.method} ${req.originalUrl}\n`), body])),
      sealKey: Buffer.from(hkdfSync("sha256", key, req.issuerId!, "hk-ecert idempotency response", 32)),
    };
    if (await replay(store, req, res)) return;
    next();
  };
}

/**
 * Runs `run` and answers with `respond(result)`. With an `Idempotency-Key`, `run` gets the hook that
 * stores the key and the sealed answer inside its transaction; when another request took the key first,
 * its answer is replayed instead.
 */
async function respondOnce<T>(
  store: Store,
  req: Authed,
  res: Response,
  respond: (result: T) => { status: number; body: unknown },
  run: (reserve: ReserveHook<T> | undefined) => Promise<T>,
): Promise<void> {
  const key = req.idempotency;
  if (!key) {
    const { status, body } = respond(await run(undefined));
    res.status(status).json(body);
    return;
  }
  let answer: { status: number; body: unknown } | undefined;
  const reserve: ReserveHook<T> = async (tx, result) => {
    answer = respond(result);
    const row = { issuerId: req.issuerId!, key: key.lookup, requestHash: key.requestHash, statusCode: answer.status, responseJson: seal(key.sealKey, JSON.stringify(answer.body)), createdAt: new Date().toISOString() };
    if (!(await tx.insertIdempotency(row))) throw new IdempotencyKeyTaken();
  };
  try {
    await run(reserve);
  } catch (error) {
    if (error instanceof IdempotencyKeyTaken && (await replay(store, req, res))) return;
    throw error;
  }
  res.status(answer!.status).json(answer!.body);
}

/** Answers with the stored response of the request's key, if there is one; 422 for another request. */
async function replay(store: Store, req: Authed, res: Response): Promise<boolean> {
  const key = req.idempotency!;
  const previous = await store.findIdempotency(req.issuerId!, key.lookup);
  if (!previous) return false;
  if (previous.requestHash !== key.requestHash) {
    throw new ApiError("IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
  }
  res.status(previous.statusCode).setHeader("idempotent-replayed", "true").type("application/json").send(unseal(key.sealKey, previous.responseJson));
  return true;
}

/** AES-256-GCM: `{"v":1,"iv","data","tag"}` (base64url). */
function seal(key: Buffer, text: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return JSON.stringify({ v: 1, iv: iv.toString("base64url"), data: data.toString("base64url"), tag: cipher.getAuthTag().toString("base64url") });
}

function unseal(key: Buffer, sealed: string): string {
  const { iv, data, tag } = JSON.parse(sealed) as { iv: string; data: string; tag: string };
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
}

/** Refuses (400) a JSON body nested too deeply or with a member name twice in one object. */
function checkJsonBody(raw: Buffer): void {
  const { depth, duplicate } = scanJsonText(raw.toString("utf8"));
  if (depth > MAX_JSON_DEPTH) throw new ApiError("INVALID_JSON", `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (duplicate) {
    throw new ApiError("INVALID_JSON", `The JSON body has the member ${JSON.stringify(duplicate.member)} twice (at ${duplicate.pointer})`, { details: { pointer: duplicate.pointer } });
  }
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
  const document = {
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
