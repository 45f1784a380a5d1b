/**
 * The department's document routes (issue 14), behind the department authentication (`auth.ts`), each on
 * the caller's own department only (another's upload or certificate is 404, its existence not revealed):
 *
 *   GET  /batches/{id}/pdfs.zip?offset=&limit=          read: the upload's PDFs as one zip, streamed (`batch-zip.ts`)
 *   POST /batches/{id}/claim-letters?offset=&limit=     status and read: a letter a page for each issued
 *                                                       certificate, each with a NEW claim code (`claim-letters.ts`)
 *   POST /certificates/{id}/claim-code                  status and read: a new claim code for one certificate
 *
 * Both claim-code routes answer candidates' names and fresh claim codes, so they need `read` beside
 * `status` (a key that may only change statuses cannot obtain them). A new claim code replaces the old one
 * at once (the old one opens nothing any more), and an e-mail still waiting with the old code is
 * cancelled. The claim letters are made in full first (in memory, at most {@link MAX_LETTERS_BYTES}), and
 * only then are their new codes committed, with the e-mails' cancellation and the audit entry, in one
 * transaction: a letter that cannot be made, or a client gone before it is ready, changes nothing (the old
 * codes work). Only the codes' hashes are stored; a code is in the one answer that gives it, never in a
 * log or the audit trail. Audited: "pdfs-downloaded", "claim-letters-printed",
 * "claim-code-replaced" (and {@link auditPdfDownload} for one PDF, from `issuer-routes.ts`).
 */
import type { Request, RequestHandler, Response, Router } from "express";
import { pino, type Logger } from "pino";
import { z } from "zod";
import { recordAudit } from "../audit/audit-trail.ts";
import type { CertificateRow, Store } from "../db/store.ts";
import { MAX_ZIP_FILES, writeBatchZip } from "../documents/batch-zip.ts";
import {
  MAX_CLAIM_LETTERS,
  claimUrl,
  writeClaimLetters,
  type ClaimLetter,
  type ClaimLettersParameters,
} from "../documents/claim-letters.ts";
import { ServiceError } from "../errors.ts";
import { claimCodeHash, newClaimCode } from "../issuance/claim-code.ts";
import type { IssuanceService } from "../issuance/issuance-service.ts";
import { requirePermission } from "./auth.ts";
import { ApiError } from "./errors.ts";
import { requestLog } from "./request-id.ts";
import { parse, type AuthedRequest } from "./request.ts";
import type { schemas } from "./openapi.ts";

export interface DocumentRoutesParameters {
  store: Store;
  issuance: IssuanceService;
  /** The department authentication (`auth.ts` `authenticate`): sets `req.actor` and `req.issuerId`. */
  auth: RequestHandler;
  /**
   * The base of candidates' claim links (`<claimUrl>/claim#<code>`, as in their e-mails): `CLAIM_URL`, or
   * the verifier's address. Default: this request's own origin (the embedded default serves the page).
   */
  claimUrl?: string;
  /** Where a download that fails part way is logged (when the request has no logger of its own). */
  log?: Logger;
  /** Makes the claim letters PDF (default {@link writeClaimLetters}; a test gives one that fails). */
  renderClaimLetters?: typeof writeClaimLetters;
}

/** Certificates read from the store at a time to make claim letters. */
const LETTER_PAGE_SIZE = 500;

/**
 * Most bytes a claim letters PDF may take (it is made in memory before its codes are committed): 5,000
 * letters, the most one request makes, were measured at about 10 MB.
 */
export const MAX_LETTERS_BYTES = 64 * 1024 * 1024;

/** `?offset=&limit=` of the zip and the claim letters. */
const rangeQuery = (max: number) =>
  z
    .strictObject({
      offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
      limit: z.coerce.number().int().min(1).optional(),
    })
    .refine((q) => q.limit === undefined || q.limit <= max, {
      message: `at most ${max} per request`,
      path: ["limit"],
    });

/**
 * Records an officer's download of one certificate's PDF ("pdf-downloaded"), for `GET
 * /certificates/{id}/pdf`: a system's reads with an API key are not recorded (a system fetches every PDF
 * it issues; a person opening a candidate's certificate is what the trail must show).
 *
 * @example await auditPdfDownload(store, req, row.id);
 */
export async function auditPdfDownload(store: Store, req: Request, certificateId: string): Promise<void> {
  const actor = (req as AuthedRequest).actor;
  if (actor?.kind !== "officer") return;
  await recordAudit(store, {
    issuerId: actor.issuerId,
    actor,
    action: "pdf-downloaded",
    source: req.ip ?? null,
    certificateId,
  });
}

/** Mounts the document routes on `api`. */
export function mountDocumentRoutes(api: Router, parameters: DocumentRoutesParameters): void {
  const { store, issuance, auth } = parameters;
  const log = parameters.log ?? pino({ level: "silent" });
  const { reads } = issuance;
  const read = [auth, requirePermission("read")];
  // The claim-code routes answer names and fresh codes: `read` as well as `status`.
  const claimCodes = [auth, requirePermission("status"), requirePermission("read")];
  const claimBaseOf = (req: Request) => parameters.claimUrl ?? `${req.protocol}://${req.get("host") ?? "localhost"}`;

  /** The caller's upload of this id, or 404. */
  const uploadOf = async (req: AuthedRequest) => {
    const id = String(req.params.id);
    const upload = await store.findUpload(req.issuerId!, id);
    if (!upload) throw new ApiError("NOT_FOUND", `No batch ${id.slice(0, 40)}`);
    return upload;
  };

  api.get("/batches/:id/pdfs.zip", ...read, async (req: AuthedRequest, res: Response) => {
    const upload = await uploadOf(req);
    const query = parse(rangeQuery(MAX_ZIP_FILES), req.query);
    const progress = await store.uploadProgress(upload.id);
    const certificates = Object.values(progress).reduce((a, b) => a + (b ?? 0), 0);
    if (query.limit === undefined && certificates - query.offset > MAX_ZIP_FILES) {
      throw tooMany(certificates, MAX_ZIP_FILES, {
        en: "PDFs",
        "zh-HK": "份PDF",
      });
    }
    const limit = query.limit ?? MAX_ZIP_FILES;
    const withPdf =
      (progress.issued ?? 0) + (progress.suspended ?? 0) + (progress.revoked ?? 0) + (progress.superseded ?? 0);
    // A whole upload's PDFs leave the service: recorded whoever asks (an officer or a system), before the first byte.
    await recordAudit(store, {
      issuerId: req.issuerId!,
      actor: req.actor!,
      action: "pdfs-downloaded",
      source: req.ip ?? null,
      uploadId: upload.id,
      detail: {
        count: Math.max(0, Math.min(withPdf, limit, certificates - query.offset)),
        offset: query.offset,
        limit,
      },
    });
    const range = query.offset > 0 || query.limit !== undefined ? `-${query.offset + 1}` : "";
    res.status(200);
    res.setHeader("content-type", "application/zip");
    res.setHeader("content-disposition", `attachment; filename="batch-${safeName(upload.id)}${range}.zip"`);
    res.setHeader("cache-control", "no-store");
    await stream(req, res, log, (sink) =>
      writeBatchZip({ store, issuerId: req.issuerId!, uploadId: upload.id, offset: query.offset, limit }, sink),
    );
  });

  api.post("/batches/:id/claim-letters", ...claimCodes, async (req: AuthedRequest, res: Response) => {
    // A client gone before the letters are ready: nothing is committed.
    let gone = false;
    res.once("close", () => (gone = true));
    const upload = await uploadOf(req);
    const query = parse(rangeQuery(MAX_CLAIM_LETTERS), req.query);
    const issued = (await store.uploadProgress(upload.id)).issued ?? 0;
    if (query.limit === undefined && issued - query.offset > MAX_CLAIM_LETTERS) {
      throw tooMany(issued, MAX_CLAIM_LETTERS, { en: "claim letters", "zh-HK": "封領取信" });
    }
    const limit = Math.min(query.limit ?? MAX_CLAIM_LETTERS, MAX_CLAIM_LETTERS);
    // What each letter prints, without the rows' credentials: at most 5,000 small objects.
    const letters: (ClaimLetter & { id: string })[] = [];
    for (let at = query.offset, end = query.offset + limit; at < end;) {
      const page = await store.listCertificates(req.issuerId!, {
        uploadId: upload.id,
        status: "issued",
        limit: Math.min(LETTER_PAGE_SIZE, end - at),
        offset: at,
      });
      if (page.length === 0) break;
      at += page.length;
      for (const row of page) {
        letters.push({
          id: row.id,
          name: nameOf(row),
          typeId: row.typeId,
          certificateNumber: row.certificateNumber,
          claimCode: newClaimCode(),
        });
      }
    }
    if (letters.length === 0) {
      throw new ServiceError(
        "NOT_ISSUED",
        `Batch ${upload.id} has no issued certificate${query.offset > 0 ? ` from ${query.offset}` : ""} to print a claim letter for / 此批次${query.offset > 0 ? "在此範圍內" : ""}沒有已簽發的證書可列印領取信`,
        { details: { message: noLetters(query.offset) } },
      );
    }
    // The whole PDF first, in memory: a letter that cannot be made changes nothing (every old code works).
    const issuer = reads.issuer(req.issuerId!);
    const pdf = await renderLetters(
      { issuer: { name: issuer.name }, verifierUrl: claimBaseOf(req) },
      letters,
      parameters.renderClaimLetters ?? writeClaimLetters,
    );
    if (gone) {
      requestLog(req, log).info(
        { uploadId: upload.id, count: letters.length },
        "claim letters not printed: the client left before they were ready (no claim code changed)",
      );
      return;
    }
    // Then the new codes, all at once with the e-mails' cancellation and the audit entry: if this fails,
    // every old code still works.
    await store.transaction(async (tx) => {
      for (const letter of letters) {
        await tx.replaceClaimCode(req.issuerId!, letter.id, claimCodeHash(letter.claimCode));
        await cancelWaitingEmail(tx, letter.id);
      }
      await recordAudit(tx, {
        issuerId: req.issuerId!,
        actor: req.actor!,
        action: "claim-letters-printed",
        source: req.ip ?? null,
        uploadId: upload.id,
        detail: {
          count: letters.length,
          offset: query.offset,
          first: letters[0].certificateNumber,
          last: letters.at(-1)!.certificateNumber,
          claimCodesReplaced: true,
        },
      });
    });
    const range = query.offset > 0 || query.limit !== undefined ? `-${query.offset + 1}` : "";
    res.status(200);
    res.setHeader("content-type", "application/pdf");
    res.setHeader("content-disposition", `attachment; filename="claim-letters-${safeName(upload.id)}${range}.pdf"`);
    res.setHeader("cache-control", "no-store");
    // The answer says what it did: every certificate in it has a new claim code, the old ones stopped working.
    res.setHeader("x-claim-codes-replaced", String(letters.length));
    res.setHeader("content-length", String(pdf.length));
    if (!(await send(res, pdf))) {
      // The codes are replaced and the letters did not arrive: the officer prints them again (new codes).
      requestLog(req, log).error(
        { uploadId: upload.id, count: letters.length, offset: query.offset },
        "claim letters not delivered after their new claim codes were committed: the old codes no longer work; print the letters again",
      );
    }
  });

  api.post("/certificates/:id/claim-code", ...claimCodes, async (req: AuthedRequest, res: Response) => {
    const row = await reads.certificate(req.issuerId!, String(req.params.id));
    if (row.status !== "issued" && row.status !== "suspended") {
      throw new ServiceError(
        "INVALID_STATUS",
        `Certificate ${row.id} is ${row.status}: only an issued or suspended certificate gets a new claim code`,
      );
    }
    const claimCode = newClaimCode();
    let emailCancelled = false;
    await store.transaction(async (tx) => {
      await tx.replaceClaimCode(req.issuerId!, row.id, claimCodeHash(claimCode));
      emailCancelled = await cancelWaitingEmail(tx, row.id);
      await recordAudit(tx, {
        issuerId: req.issuerId!,
        actor: req.actor!,
        action: "claim-code-replaced",
        source: req.ip ?? null,
        certificateId: row.id,
        uploadId: row.uploadId,
        batchId: row.batchId,
        detail: { certificateNumber: row.certificateNumber, emailCancelled },
      });
    });
    const body: z.infer<typeof schemas.NewClaimCode> = {
      certificateId: row.id,
      claimCode,
      claimUrl: claimUrl(claimBaseOf(req), claimCode),
      previousCodeRevoked: true,
      message: {
        en: "This is the certificate's new claim code: give it to the candidate. The old code no longer works.",
        "zh-HK": "這是此證書的新領取碼，請交給考生。舊的領取碼已經失效。",
      },
    };
    res.setHeader("cache-control", "no-store");
    res.json(body);
  });
}

/**
 * The claim letters PDF made in full, in memory, at most {@link MAX_LETTERS_BYTES}.
 * @throws Error when it would be larger (nothing is committed then)
 */
async function renderLetters(
  parameters: ClaimLettersParameters,
  letters: readonly ClaimLetter[],
  render: typeof writeClaimLetters,
): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  await render(parameters, letters, (chunk) => {
    size += chunk.length;
    if (size > MAX_LETTERS_BYTES) {
      throw new Error(`claim letters: ${letters.length} letters exceed ${MAX_LETTERS_BYTES} bytes`);
    }
    chunks.push(chunk);
  });
  return Buffer.concat(chunks, size);
}

/** Ends the response with `body`; resolves true once it is all handed over, false if the connection went first. */
function send(res: Response, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve(false);
      return;
    }
    res.once("finish", () => resolve(true));
    res.once("close", () => resolve(res.writableFinished));
    res.once("error", () => resolve(false));
    res.end(body);
  });
}

/** Cancels the certificate's e-mail if it is still waiting (it holds the old code); true if it did. */
async function cancelWaitingEmail(store: Store, certificateId: string): Promise<boolean> {
  const email = await store.findEmail(certificateId);
  if (email?.status !== "waiting") return false;
  await store.cancelEmail(email.id);
  return true;
}

/** The candidate's name for a letter: the certificate's name search field (`search-fields.ts`), else its subject's. */
function nameOf(row: CertificateRow): ClaimLetter["name"] {
  const named = (value: unknown): ClaimLetter["name"] => {
    if (typeof value === "string") return value;
    if (typeof value === "object" && value !== null) {
      const { en, "zh-HK": zh } = value as Record<string, unknown>;
      return { en: typeof en === "string" ? en : undefined, "zh-HK": typeof zh === "string" ? zh : undefined };
    }
    return null;
  };
  const search = JSON.parse(row.searchJson) as { name?: unknown };
  if (search.name !== undefined) return named(search.name);
  const subject = (JSON.parse(row.credentialJson) as { credentialSubject?: Record<string, unknown> }).credentialSubject;
  return named(subject?.name);
}

/** The refusal of a request for more than one answer may hold, telling how to ask in parts. */
function tooMany(count: number, max: number, what: { en: string; "zh-HK": string }): ApiError {
  const message = {
    en: `This batch has ${count} certificates: at most ${max} ${what.en} per request. Ask in parts with ?offset=0&limit=${max}, then ?offset=${max}&limit=${max}, and so on.`,
    "zh-HK": `此批次有 ${count} 張證書，每次最多 ${max} ${what["zh-HK"]}。請分批索取：?offset=0&limit=${max}，然後 ?offset=${max}&limit=${max}，如此類推。`,
  };
  return new ApiError("TOO_LARGE", `${message.en} / ${message["zh-HK"]}`, {
    details: { count, max, message },
  });
}

function noLetters(offset: number): { en: string; "zh-HK": string } {
  return offset > 0
    ? { en: `No issued certificate from ${offset} on`, "zh-HK": `由第 ${offset} 張起沒有已簽發的證書` }
    : { en: "No issued certificate in this batch yet", "zh-HK": "此批次尚未有已簽發的證書" };
}

/** An id as a file name part (only [A-Za-z0-9._-]). */
function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 80);
}

/**
 * Writes a body made by `write` to the response, chunk by chunk, waiting for the client to take each one
 * (`drain`). Once the first byte is out, a failure can no longer be answered as an error: the response is
 * cut (the client sees a truncated download), and the failure logged.
 */
async function stream(
  req: Request,
  res: Response,
  log: Logger,
  write: (sink: (chunk: Uint8Array) => Promise<void>) => Promise<unknown>,
): Promise<void> {
  const sink = async (chunk: Uint8Array): Promise<void> => {
    if (res.destroyed) throw new Error("the client closed the connection");
    if (res.write(chunk)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: Error) => {
        res.off("drain", drained);
        res.off("close", closed);
        if (error) reject(error);
        else resolve();
      };
      const drained = () => settle();
      const closed = () => settle(new Error("the client closed the connection"));
      res.on("drain", drained);
      res.on("close", closed);
    });
  };
  try {
    await write(sink);
    res.end();
  } catch (error) {
    if (!res.headersSent) {
      res.removeHeader("content-disposition");
      throw error;
    }
    if (!res.destroyed) requestLog(req, log).error({ err: error }, "a streamed download failed part way");
    res.destroy();
  }
}
