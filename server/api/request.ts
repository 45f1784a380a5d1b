/**
 * What the API's routes share about requests and responses: the request as the department routes see it,
 * schema validation with the field named, JSON bodies checked for depth and duplicate members, the body
 * limit a route tells the error handler, and PDF downloads.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from "express";
import type { z } from "zod";
import { scanJsonText } from "../../core/index.ts";
import { ApiError } from "./errors.ts";
import type { IdempotencyKey } from "./idempotency.ts";
import type { Actor } from "../auth/actor.ts";

/** A request after the department routes' middleware: its issuer, actor, raw JSON body and idempotency key. */
export type AuthedRequest = Request & {
  issuerId?: string;
  actor?: Actor;
  rawBody?: Buffer;
  idempotency?: IdempotencyKey;
};

/** Deepest nesting a JSON body may have (objects and arrays). */
const MAX_JSON_DEPTH = 64;

/** Validates `value` with `schema`, or answers 400 naming the field. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue.path.length > 0 ? issue.path.join(".") : "body";
    throw new ApiError("INVALID_REQUEST", `${field}: ${issue.message}`, { details: { field } });
  }
  return result.data;
}

/** A JSON body of at most `maxBodyBytes`, its raw bytes kept, refused when too deep or with a member twice. */
export function jsonBody(maxBodyBytes: number): RequestHandler[] {
  return [
    express.json({ limit: maxBodyBytes, verify: (req, _res, raw) => void ((req as AuthedRequest).rawBody = raw) }),
    (req: AuthedRequest, _res: Response, next: NextFunction) => {
      if (req.rawBody) checkJsonBody(req.rawBody);
      next();
    },
  ];
}

/** Refuses (400) a JSON body nested too deeply or with a member name twice in one object. */
function checkJsonBody(raw: Buffer): void {
  const { depth, duplicate } = scanJsonText(raw.toString("utf8"));
  if (depth > MAX_JSON_DEPTH)
    throw new ApiError("INVALID_JSON", `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  if (duplicate) {
    throw new ApiError(
      "INVALID_JSON",
      `The JSON body has the member ${JSON.stringify(duplicate.member)} twice (at ${duplicate.pointer})`,
      { details: { pointer: duplicate.pointer } },
    );
  }
}

/** Tells the error handler the body limit of the route that refused a body as too large. */
export function bodyLimit(bytes: number): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    (req as Request & { bodyLimit?: number }).bodyLimit = bytes;
    next();
  };
}

/** Sends a certificate's PDF as a download. */
export function sendPdf(res: Response, pdf: Uint8Array): void {
  res.type("application/pdf").setHeader("content-disposition", "attachment; filename=certificate.pdf");
  res.send(Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength));
}
