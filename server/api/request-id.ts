/**
 * Request ids: every request gets one, taken from an incoming `X-Request-Id` when it is a sane short
 * token (a proxy's or a client's), otherwise a new UUID. It is echoed in the `X-Request-Id` response
 * header, is in every log line of the request (a pino child logger, {@link requestLog}) and in every
 * error response body (`errors.ts`).
 */
import { randomUUID } from "node:crypto";
import type { Request, RequestHandler } from "express";
import type { Logger } from "pino";

/** What an incoming `X-Request-Id` may be: 1 to 128 letters, digits and `-_.:@+=/`. */
const SANE_ID = /^[A-Za-z0-9\-_.:@+=/]{1,128}$/;

/** A request with its id and its logger (set by {@link requestIds}). */
export type RequestWithId = Request & { id?: string; log?: Logger };

/**
 * The first middleware: gives the request its id and a child logger carrying it, sets `X-Request-Id`,
 * and logs one line (debug) when the response is finished: method, path (without the query), status
 * and duration. Failures are logged by the error handler, with the same id.
 */
export function requestIds(log: Logger): RequestHandler {
  return (req: RequestWithId, res, next) => {
    const incoming = req.get("x-request-id");
    const id = incoming !== undefined && SANE_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    req.log = log.child({ requestId: id });
    res.set("X-Request-Id", id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = loggedPath(req.originalUrl.split("?")[0]);
      req.log!.debug(
        { method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        "request answered",
      );
    });
    next();
  };
}

/** The request's logger (with its id), or `fallback` before {@link requestIds} ran. */
export function requestLog(req: Request, fallback: Logger): Logger {
  return (req as RequestWithId).log ?? fallback;
}

/** The request's id, if {@link requestIds} gave it one. */
export function requestIdOf(req: Request): string | undefined {
  return (req as RequestWithId).id;
}

/** A request path as logged: a claim code is a bearer secret (stored only as a hash), so it is masked. */
export function loggedPath(path: string): string {
  return path.replace(/\/claim\/[^/]+/, "/claim/***");
}
