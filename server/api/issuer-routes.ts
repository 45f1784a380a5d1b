/**
 * The department routes of `/api/v1`, behind the department authentication (`auth.ts`: a scoped API key
 * or an officer's session), each naming the permission it needs: an actor acts for its own issuer only. Issuance, uploads and their progress, the search, status changes and renewals. What they
 * read goes through the service's reads (`issuance-reads.ts`), what they change through the pipeline.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from "express";
import { z } from "zod";
import { REVOCATION_REASONS, revocationReasonOf } from "../../core/index.ts";
import type { CertificateRow, ChangeRequestRow } from "../db/store.ts";
import type { IssuanceService, ReserveHook, StatusChangeResult, SubmitResult } from "../issuance/issuance-service.ts";
import { ApiError } from "./errors.ts";
import type { Answer, Idempotency } from "./idempotency.ts";
import { schemas } from "./openapi.ts";
import { jsonBody, parse, sendPdf, type AuthedRequest } from "./request.ts";
import { requirePermission } from "./auth.ts";
import { recordAudit } from "../audit/audit-trail.ts";
import type { Store } from "../db/store.ts";

export interface IssuerRoutesParameters {
  issuance: IssuanceService;
  idempotency: Idempotency;
  maxBodyBytes: number;
  /** The department authentication (`auth.ts` `authenticate`): sets `req.actor` and `req.issuerId`. */
  auth: RequestHandler;
  /** For the audit trail of officers' downloads. */
  store: Store;
}

/** Mounts the department routes on `api`. */
export function mountIssuerRoutes(api: Router, parameters: IssuerRoutesParameters): void {
  const { issuance, idempotency, maxBodyBytes } = parameters;
  const { reads } = issuance;
  const idempotent = idempotency.check;
  const { auth: authenticated, store } = parameters;
  const read = [authenticated, requirePermission("read")];
  const issue = [authenticated, requirePermission("issue")];
  const status = [authenticated, requirePermission("status")];
  const json = jsonBody(maxBodyBytes);
  const csv = express.raw({ type: ["text/csv", "application/octet-stream"], limit: maxBodyBytes });

  api.get("/me", ...read, (req: AuthedRequest, res) => {
    const actor = req.actor!;
    const body: z.infer<typeof schemas.Me> = {
      ...reads.issuer(req.issuerId!),
      actor:
        actor.kind === "officer"
          ? { kind: "officer", name: actor.name, roles: actor.roles }
          : { kind: "api-key", name: actor.label, scopes: actor.scopes },
    };
    res.json(body);
  });

  api.post("/certificates", ...issue, ...json, idempotent, async (req: AuthedRequest, res) => {
    const body = parse(schemas.CertificateRequest, req.body);
    await idempotency.respondOnce(req, res, accepted, (reserve) =>
      issuance.submit({
        issuerId: req.issuerId!,
        typeId: body.type,
        records: [body.fields],
        actor: req.actor!,
        source: req.ip,
        reserve,
      }),
    );
  });

  const batchTypes = ["text/csv", "application/octet-stream", "application/json"];
  api.post(
    "/batches",
    ...issue,
    (req: Request, _res: Response, next: NextFunction) => {
      if (!req.is(batchTypes)) {
        throw new ApiError(
          "UNSUPPORTED_MEDIA_TYPE",
          `Send the batch as text/csv (with ?type=<type id>) or application/json, not ${String(req.get("content-type") ?? "no Content-Type").slice(0, 80)}`,
        );
      }
      next();
    },
    csv,
    ...json,
    idempotent,
    async (req: AuthedRequest, res) => {
      let submit: (reserve: ReserveHook<SubmitResult> | undefined) => Promise<SubmitResult>;
      if (Buffer.isBuffer(req.body)) {
        const type = z.string().min(1).max(40).safeParse(req.query.type);
        if (!type.success)
          throw new ApiError("INVALID_REQUEST", "type: give the certificate type as ?type=<type id> for a CSV upload");
        const csvBytes = new Uint8Array(req.body);
        submit = (reserve) =>
          issuance.submit({
            issuerId: req.issuerId!,
            typeId: type.data,
            csv: csvBytes,
            actor: req.actor!,
            source: req.ip,
            reserve,
          });
      } else {
        const body = parse(schemas.BatchRequest, req.body);
        submit = (reserve) =>
          issuance.submit({
            issuerId: req.issuerId!,
            typeId: body.type,
            records: body.rows,
            actor: req.actor!,
            source: req.ip,
            reserve,
          });
      }
      await idempotency.respondOnce(req, res, accepted, submit);
    },
  );

  api.get("/batches/:id", ...read, async (req: AuthedRequest, res) => {
    const upload = await reads.upload(req.issuerId!, String(req.params.id));
    if (!upload) throw new ApiError("NOT_FOUND", `No batch ${String(req.params.id).slice(0, 40)}`);
    const body: z.infer<typeof schemas.Batch> = {
      id: upload.id,
      type: upload.type,
      rows: upload.rows,
      accepted: upload.accepted,
      progress: upload.progress,
      done: upload.done,
      errors: upload.errors as z.infer<typeof schemas.RowError>[],
      failures: upload.failures,
      createdAt: upload.createdAt,
      state: upload.state,
      requestedBy: upload.requestedBy,
      decidedBy: upload.decidedBy,
      decidedAt: upload.decidedAt,
      decisionReason: upload.decisionReason,
    };
    res.json(body);
  });

  api.get("/certificates", ...read, async (req: AuthedRequest, res) => {
    const q = parse(schemas.CertificateQuery, req.query);
    const rows = await reads.findCertificates(req.issuerId!, {
      query: q.q,
      status: q.status,
      uploadId: q.batch,
      limit: q.limit,
      offset: q.offset,
    });
    const issued = await issuedDates(store, rows);
    const body: z.infer<typeof schemas.CertificateList> = {
      certificates: rows.map((row) => summary(row, issued.get(row.id) ?? null)),
    };
    res.json(body);
  });

  api.get("/certificates/:id", ...read, async (req: AuthedRequest, res) => {
    const row = await reads.certificate(req.issuerId!, String(req.params.id));
    // The events' details are the objects the pipeline stored (`issuance-service.ts`'s `detailJson`); a
    // reason code gets its name beside it, the name requests take.
    const history = ((await reads.history(row)) as z.infer<typeof schemas.Certificate>["history"]).map((event) =>
      typeof event.detail.reason === "number"
        ? { ...event, detail: { ...event.detail, reasonName: revocationReasonOf(event.detail.reason) } }
        : event,
    );
    const requests = await store.listChangeRequests(req.issuerId!, { certificateId: row.id, limit: 100, offset: 0 });
    const body: z.infer<typeof schemas.Certificate> = {
      ...summary(row, (await issuedDates(store, [row])).get(row.id) ?? null),
      history,
      changeRequests: requests.map(changeRequestBody),
    };
    res.json(body);
  });

  api.get("/certificates/:id/pdf", ...read, async (req: AuthedRequest, res) => {
    const row = await reads.certificate(req.issuerId!, String(req.params.id));
    const pdf = await reads.pdf(row);
    // An officer's download of a candidate's PDF is in the audit trail (a system's bulk reads are not).
    if (req.actor!.kind === "officer")
      await recordAudit(store, {
        issuerId: req.issuerId!,
        actor: req.actor!,
        action: "pdf-downloaded",
        source: req.ip,
        certificateId: row.id,
      });
    sendPdf(res, pdf);
  });

  api.get("/certificates/:id/credential", ...read, async (req: AuthedRequest, res) => {
    res.json(await reads.credential(await reads.certificate(req.issuerId!, String(req.params.id))));
  });

  for (const kind of ["revoke", "suspend", "reinstate"] as const) {
    api.post(`/certificates/:id/${kind}`, ...status, ...json, idempotent, async (req: AuthedRequest, res) => {
      const body = parse(kind === "revoke" ? schemas.RevokeRequest : schemas.StatusChangeRequest, req.body ?? {});
      const queued = ({ request, operation }: StatusChangeResult) => {
        const answer: z.infer<typeof schemas.StatusChangeQueued> = {
          requestId: request.id,
          state: request.state === "approved" ? "approved" : "awaiting-approval",
          operationId: operation?.id ?? null,
          certificateId: request.certificateId,
          kind,
          status: operation?.status ?? "awaiting-approval",
        };
        return { status: 202, body: answer };
      };
      await idempotency.respondOnce(req, res, queued, (reserve) =>
        issuance.changeStatus(
          req.issuerId!,
          String(req.params.id),
          kind,
          REVOCATION_REASONS[body.reason].code,
          req.actor!,
          reserve,
          { note: body.note, source: req.ip },
        ),
      );
    });
  }

  api.post("/certificates/:id/renew", ...issue, ...json, idempotent, async (req: AuthedRequest, res) => {
    const body = parse(schemas.RenewRequest, req.body);
    await idempotency.respondOnce(req, res, accepted, (reserve) =>
      issuance.renew(req.issuerId!, String(req.params.id), body.fields, req.actor!, reserve, req.ip),
    );
  });
}

/** The response to an upload: 202 when any row was accepted, else 422. */
function accepted(result: SubmitResult): Answer {
  const body: z.infer<typeof schemas.Accepted> = {
    batchId: result.uploadId,
    state: result.state,
    certificates: result.accepted,
    errors: result.errors,
    ...(result.fileError ? { fileError: result.fileError } : {}),
  };
  return { status: result.fileError || result.accepted.length === 0 ? 422 : 202, body };
}

/** A certificate as the department routes show it. */
function summary(row: CertificateRow, issuedAt: string | null): z.infer<typeof schemas.CertificateSummary> {
  return {
    id: row.id,
    type: row.typeId,
    certificateNumber: row.certificateNumber,
    status: row.status,
    batchId: row.uploadId,
    row: row.row,
    reason: row.reason,
    reasonName: row.reason === null ? null : (revocationReasonOf(row.reason) ?? null),
    supersedes: row.supersedes,
    search: JSON.parse(row.searchJson),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    issuedAt,
  };
}

/** When each certificate was issued: its batch's anchoring time, once it has been released (one read per batch). */
async function issuedDates(store: Store, rows: readonly CertificateRow[]): Promise<Map<string, string>> {
  const anchoredAt = new Map<string, string | null>();
  const dates = new Map<string, string>();
  for (const row of rows) {
    if (!row.batchId || row.status === "pending" || row.status === "anchoring" || row.status === "failed") continue;
    if (!anchoredAt.has(row.batchId))
      anchoredAt.set(row.batchId, (await store.findBatch(row.batchId))?.anchoredAt ?? null);
    const at = anchoredAt.get(row.batchId);
    if (at) dates.set(row.id, at);
  }
  return dates;
}

/** A change request as the department routes show it. */
export function changeRequestBody(r: ChangeRequestRow): z.infer<typeof schemas.ChangeRequest> {
  return {
    id: r.id,
    certificateId: r.certificateId,
    kind: r.kind,
    reason: revocationReasonOf(r.reason) ?? null,
    note: r.note,
    state: r.state,
    requestedBy: { id: r.requestedBy, name: r.requestedByName },
    requestedAt: r.requestedAt,
    decidedBy: r.decidedBy === null ? null : { id: r.decidedBy, name: r.decidedByName ?? r.decidedBy },
    decidedAt: r.decidedAt,
    decisionReason: r.decisionReason,
    operationId: r.operationId,
  };
}
