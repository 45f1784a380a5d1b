/**
 * The candidate routes of `/api/v1`: the claim code is the only credential, and opens this one
 * certificate only. Public and rate-limited. The summary names the department and, for a revoked or
 * suspended certificate, the reason, so the claim page can say what happened and whom to contact.
 */
import type { RequestHandler, Router } from "express";
import type { z } from "zod";
import { REVOCATION_REASONS, revocationReasonOf } from "../../core/index.ts";
import type { IssuanceReads } from "../issuance/issuance-reads.ts";
import type { schemas } from "./openapi.ts";
import { sendPdf } from "./request.ts";

/** Mounts the claim routes on `api`, each behind `limit`. */
export function mountClaimRoutes(api: Router, parameters: { reads: IssuanceReads; limit: RequestHandler }): void {
  const { reads, limit } = parameters;
  api.get("/claim/:code", limit, async (req, res) => {
    const row = await reads.claim(String(req.params.code));
    // A revoked or suspended certificate's reason, and the department to contact about it.
    const changed = row.status === "revoked" || row.status === "suspended";
    const reason = changed && row.reason !== null ? (revocationReasonOf(row.reason) ?? null) : null;
    const issuer = reads.issuer(row.issuerId);
    const body: z.infer<typeof schemas.Claim> = {
      id: row.id,
      type: row.typeId,
      certificateNumber: row.certificateNumber,
      status: row.status,
      reason,
      reasonText: reason ? { en: REVOCATION_REASONS[reason].en, "zh-HK": REVOCATION_REASONS[reason]["zh-HK"] } : null,
      issuer: { id: issuer.id, name: issuer.name },
    };
    res.json(body);
  });
  api.get("/claim/:code/pdf", limit, async (req, res) => {
    sendPdf(res, await reads.pdf(await reads.claim(String(req.params.code))));
  });
  api.get("/claim/:code/credential", limit, async (req, res) => {
    res.json(await reads.credential(await reads.claim(String(req.params.code))));
  });
}
