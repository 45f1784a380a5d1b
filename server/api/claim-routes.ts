/**
 * The candidate routes of `/api/v1`: the claim code is the only credential, and opens this one
 * certificate only. Public and rate-limited.
 */
import type { RequestHandler, Router } from "express";
import type { z } from "zod";
import type { IssuanceReads } from "../issuance/issuance-reads.ts";
import type { schemas } from "./openapi.ts";
import { sendPdf } from "./request.ts";

/** Mounts the claim routes on `api`, each behind `limit`. */
export function mountClaimRoutes(api: Router, parameters: { reads: IssuanceReads; limit: RequestHandler }): void {
  const { reads, limit } = parameters;
  api.get("/claim/:code", limit, async (req, res) => {
    const row = await reads.claim(String(req.params.code));
    const body: z.infer<typeof schemas.Claim> = {
      id: row.id,
      type: row.typeId,
      certificateNumber: row.certificateNumber,
      status: row.status,
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
