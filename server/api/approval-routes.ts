/**
 * Maker-checker (issue 14): the department's uploads as a list, their release or rejection, and the
 * requested status changes with their approval or rejection. Deciding needs the approver role (never
 * an API key), and never one's own request (the service refuses it: `SELF_APPROVAL`).
 */
import type { RequestHandler, Router } from "express";
import { z } from "zod";
import type { Store } from "../db/store.ts";
import type { IssuanceService } from "../issuance/issuance-service.ts";
import { requirePermission } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { changeRequestBody } from "./issuer-routes.ts";
import { schemas } from "./openapi.ts";
import { jsonBody, parse, type AuthedRequest } from "./request.ts";

export interface ApprovalRoutesParameters {
  issuance: IssuanceService;
  store: Store;
  auth: RequestHandler;
  maxBodyBytes: number;
}

export function mountApprovalRoutes(api: Router, parameters: ApprovalRoutesParameters): void {
  const { issuance, store, auth } = parameters;
  const read = [auth, requirePermission("read")];
  const approve = [auth, requirePermission("approve")];
  const json = jsonBody(Math.min(parameters.maxBodyBytes, 64 * 1024));

  api.get("/batches", ...read, async (req: AuthedRequest, res) => {
    const q = parse(schemas.BatchQuery, req.query);
    const uploads = await store.listUploads(req.issuerId!, { state: q.state, limit: q.limit, offset: q.offset });
    const batches = [];
    for (const upload of uploads) {
      const { errors, ...rest } = await issuance.reads.uploadView(upload);
      batches.push({ ...rest, errorCount: Array.isArray(errors) ? errors.length : 0 });
    }
    const body: z.infer<typeof schemas.BatchList> = { batches };
    res.json(body);
  });

  for (const decision of ["release", "reject"] as const) {
    api.post(`/batches/:id/${decision}`, ...approve, ...json, async (req: AuthedRequest, res) => {
      const body = decisionBody(req.body, decision === "reject");
      const id = String(req.params.id);
      await issuance.decideUpload(req.issuerId!, id, decision, req.actor!, { reason: body.reason, source: req.ip });
      const view = await issuance.reads.upload(req.issuerId!, id);
      if (!view) throw new ApiError("NOT_FOUND", `No batch ${id.slice(0, 40)}`);
      res.json(view);
    });
  }

  api.get("/change-requests", ...read, async (req: AuthedRequest, res) => {
    const q = parse(schemas.ChangeRequestQuery, req.query);
    const rows = await store.listChangeRequests(req.issuerId!, {
      state: q.state,
      certificateId: q.certificate,
      limit: q.limit,
      offset: q.offset,
    });
    const body: z.infer<typeof schemas.ChangeRequestList> = { requests: rows.map(changeRequestBody) };
    res.json(body);
  });

  for (const decision of ["approve", "reject"] as const) {
    api.post(`/change-requests/:id/${decision}`, ...approve, ...json, async (req: AuthedRequest, res) => {
      const body = decisionBody(req.body, decision === "reject");
      const row = await issuance.decideStatusChange(req.issuerId!, String(req.params.id), decision, req.actor!, {
        reason: body.reason,
        source: req.ip,
      });
      const answer: z.infer<typeof schemas.ChangeRequest> = changeRequestBody(row);
      res.json(answer);
    });
  }
}

/** A decision's body: a rejection must give its reason. */
function decisionBody(raw: unknown, rejection: boolean): z.infer<typeof schemas.DecisionRequest> {
  const body = parse(schemas.DecisionRequest, raw ?? {});
  if (rejection && !body.reason)
    throw new ApiError("INVALID_REQUEST", "reason: a rejection needs a reason", {
      details: { field: "reason", message: { en: "Give a reason for the rejection.", "zh-HK": "請填寫拒絕的理由。" } },
    });
  return body;
}
