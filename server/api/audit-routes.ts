/**
 * The audit trail's routes (issue 14), for a department's auditors only (`requirePermission("audit")`:
 * an officer with the auditor role; never an API key), each on the caller's own department's trail:
 *
 *   GET /audit?after=&action=&actor=&certificate=&upload=&from=&to=&limit=   a page of entries, in seq order
 *   GET /audit.csv?from=&to=                                                 the trail as CSV (streamed)
 *   GET /audit/verify                                                        the hash chain checked
 *
 * Reading the trail is itself recorded in it ("audit-read", "audit-exported", "audit-verified").
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Request, RequestHandler, Response, Router } from "express";
import type { z } from "zod";
import { auditCsv } from "../audit/audit-csv.ts";
import { recordAudit, verifyAuditTrail } from "../audit/audit-trail.ts";
import type { Actor } from "../auth/actor.ts";
import type { AuditRow, Store } from "../db/store.ts";
import { requirePermission } from "./auth.ts";
import { schemas } from "./openapi.ts";
import { parse } from "./request.ts";

export interface AuditRoutesParameters {
  store: Store;
  /** The department authentication (`auth.ts` `authenticate`): sets `req.actor` and `req.issuerId`. */
  auth: RequestHandler;
}

/** A request after `auth`. */
type AuditorRequest = Request & { actor?: Actor; issuerId?: string };

/** An instant of a query (an ISO date or date-time) as the trail stores them (UTC, milliseconds). */
function instant(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}

/** An entry as the API shows it. */
export function auditEntry(row: AuditRow): z.infer<typeof schemas.AuditEntry> {
  return {
    seq: row.seq,
    at: row.at,
    actor: { id: row.actorId, name: row.actorName },
    action: row.action,
    source: row.source,
    certificateId: row.certificateId,
    uploadId: row.uploadId,
    batchId: row.batchId,
    detail: JSON.parse(row.detailJson) as Record<string, unknown>,
    hash: row.hash,
    prevHash: row.prevHash,
  };
}

/** Mounts the audit routes on `api`. */
export function mountAuditRoutes(api: Router, parameters: AuditRoutesParameters): void {
  const { store, auth } = parameters;
  const auditor = [auth, requirePermission("audit")];
  const record = (req: AuditorRequest, action: string, detail: Record<string, unknown>) =>
    recordAudit(store, { issuerId: req.issuerId!, actor: req.actor!, action, source: req.ip ?? null, detail });

  api.get("/audit", ...auditor, async (req: AuditorRequest, res: Response) => {
    const query = parse(schemas.AuditQuery, req.query);
    const filter = {
      afterSeq: query.after,
      beforeSeq: query.before,
      newestFirst: query.order === "newest",
      action: query.action,
      actorId: query.actor,
      certificateId: query.certificate,
      uploadId: query.upload,
      from: instant(query.from),
      to: instant(query.to),
    };
    const rows = await store.listAudit(req.issuerId!, { ...filter, limit: query.limit });
    const body: z.infer<typeof schemas.AuditPage> = {
      entries: rows.map(auditEntry),
      next: rows.length === query.limit ? rows[rows.length - 1].seq : null,
    };
    await record(req, "audit-read", { filter: dropUndefined({ ...query }), entries: rows.length });
    res.setHeader("cache-control", "no-store");
    res.json(body);
  });

  api.get("/audit.csv", ...auditor, async (req: AuditorRequest, res: Response) => {
    const query = parse(schemas.AuditCsvQuery, req.query);
    const issuerId = req.issuerId!;
    // Recorded before the export, so that even an export cut short is in the trail (and in the file).
    await record(req, "audit-exported", { filter: dropUndefined({ ...query }), format: "csv" });
    const chunks = auditCsv(store, issuerId, { from: instant(query.from), to: instant(query.to) });
    // The first page is read before the answer begins: a database that fails now is answered as an error.
    const first = await chunks.next();
    res.status(200);
    res.setHeader("content-type", "text/csv; charset=utf-8");
    res.setHeader("content-disposition", `attachment; filename="audit-${issuerId}.csv"`);
    res.setHeader("cache-control", "no-store");
    async function* all(): AsyncGenerator<string> {
      if (!first.done) yield first.value;
      yield* chunks;
    }
    try {
      await pipeline(Readable.from(all()), res);
    } catch {
      // The client went away, or a later page failed: the answer has begun, so it is cut short (the
      // client sees no complete file); pipeline has closed both ends.
    }
  });

  api.get("/audit/verify", ...auditor, async (req: AuditorRequest, res: Response) => {
    const result = await verifyAuditTrail(store, req.issuerId!);
    await record(req, "audit-verified", { ok: result.ok, entries: result.entries, problems: result.problems.length });
    const body: z.infer<typeof schemas.AuditVerification> = result;
    res.setHeader("cache-control", "no-store");
    res.json(body);
  });
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
