/**
 * The HTTP boundary of the issuer API: the API's own request errors ({@link ApiError}), the one table
 * from an error's class and code to the HTTP status a client gets ({@link ERROR_STATUS}), and the one
 * Express error handler that answers with it ({@link errorHandler}).
 *
 * Below this layer errors carry codes and no statuses (`core/base-error.ts`). Every code of every error
 * class that can reach a request has an entry here (the types make the table total: a new code does not
 * compile until it has one), so what a client sees is decided in one place:
 *
 * - a number: that status, with the error's code, message and (for the API's and the service's own
 *   errors) details;
 * - `{ status: 503, retryAfterSeconds, message }`: a busy or unreachable database or chain, answered
 *   with `Retry-After` (the chain endpoint's own, when it gave one and it is longer) and a generic message;
 * - `"internal"`: a bug or a deployment error, answered 500 `INTERNAL` ("Internal error") and logged.
 *
 * The body is always `{ "error": { "code", "message", "details"?, "requestId"? } }` (the handler adds the
 * request's id, `request-id.ts`, also in the `X-Request-Id` header).
 */
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import type { Logger } from "pino";
import { BaseError, walkCauses, type BaseErrorOptions } from "../../core/base-error.ts";
import { CORE_ERROR_CODES, CoreError, type CoreErrorCode } from "../../core/errors.ts";
import { ChainError, type ChainErrorCode } from "../chain/chain-error.ts";
import { retryAfterMs } from "../chain/backoff.ts";
import { StoreError, type StoreErrorCode } from "../db/store-error.ts";
import { ServiceError, type ServiceErrorCode } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import { PDF_SIGNING_ERROR_CODES, PdfSigningError, type PdfSigningErrorCode } from "../pdf/signing-error.ts";
import { loggedPath, requestIdOf, requestLog } from "./request-id.ts";

/** Every code an {@link ApiError} can carry. Only ever add to this list. */
export const API_ERROR_CODES = [
  /** No API key, or one that is unknown or revoked. */
  "UNAUTHENTICATED",
  /** A request that breaks the route's schema (the message names the field). */
  "INVALID_REQUEST",
  /** A body that is not JSON, nested too deeply, or with a member name twice. */
  "INVALID_JSON",
  /** A body of a media type the route does not take. */
  "UNSUPPORTED_MEDIA_TYPE",
  /** An `Idempotency-Key` used before for another request. */
  "IDEMPOTENCY_KEY_REUSED",
  /** No such route, or no such batch of the caller's. */
  "NOT_FOUND",
  /** A body over the route's limit. */
  "TOO_LARGE",
  /** The verifier page could not be built. */
  "VERIFIER_UNAVAILABLE",
  /** Anything else: the details are in the server's log only. */
  "INTERNAL",
  /** Too many requests of one public use from one address within the window (RateLimit headers say when). */
  "RATE_LIMITED",
  /** Signed in, but the officer's roles or the key's scopes do not allow this (the message says which do). */
  "FORBIDDEN",
  /** A state-changing request with a session cookie but without its `X-CSRF-Token`. */
  "CSRF_TOKEN_INVALID",
  /** An officer's session that ended, expired or was idle too long: sign in again. */
  "SESSION_EXPIRED",
] as const;

export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * A refusal of the HTTP layer itself (authentication, request shape, media type, body limits).
 *
 * @example throw new ApiError("INVALID_REQUEST", "type: give the certificate type as ?type=<type id>");
 */
export class ApiError extends BaseError<ApiErrorCode> {
  override name = "ApiError";

  constructor(code: ApiErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }
}

/** What a client gets for one code: a status, a 503 with `Retry-After`, or a 500 `INTERNAL`. */
export type ErrorAnswer = number | { status: 503; retryAfterSeconds: number; message: string } | "internal";

const DATABASE_BUSY = {
  status: 503,
  retryAfterSeconds: 1,
  message: "The database is busy: try again shortly",
} as const;
const DATABASE_DOWN = {
  status: 503,
  retryAfterSeconds: 5,
  message: "The database cannot be reached: try again shortly",
} as const;
const CHAIN_DOWN = {
  status: 503,
  retryAfterSeconds: 5,
  message: "The chain cannot be reached: try again shortly",
} as const;
const allInternal = <C extends string>(codes: readonly C[]) =>
  Object.fromEntries(codes.map((c) => [c, "internal"])) as Record<C, "internal">;

/**
 * The one code-to-status table. Keyed by error class, then code; total over each class's codes.
 * `public` classes also show their `details` to the client.
 */
export const ERROR_STATUS = {
  ApiError: {
    public: true,
    codes: {
      UNAUTHENTICATED: 401,
      INVALID_REQUEST: 400,
      INVALID_JSON: 400,
      UNSUPPORTED_MEDIA_TYPE: 415,
      IDEMPOTENCY_KEY_REUSED: 422,
      NOT_FOUND: 404,
      TOO_LARGE: 413,
      VERIFIER_UNAVAILABLE: 503,
      INTERNAL: "internal",
      RATE_LIMITED: 429,
      FORBIDDEN: 403,
      CSRF_TOKEN_INVALID: 403,
      SESSION_EXPIRED: 401,
    } satisfies Record<ApiErrorCode, ErrorAnswer>,
  },
  ServiceError: {
    public: true,
    codes: {
      NOT_FOUND: 404,
      NOT_ISSUED: 409,
      INVALID_STATUS: 409,
      WRONG_ISSUER: 403,
      UNKNOWN_TYPE: 400,
      INTEGRITY: 500,
      NO_IDENTITY: 500,
      SELF_APPROVAL: 403,
      NOT_AWAITING_APPROVAL: 409,
    } satisfies Record<ServiceErrorCode, ErrorAnswer>,
  },
  StoreError: {
    public: false,
    codes: {
      INVALID_DATABASE_URL: "internal",
      DATABASE_UNAVAILABLE: DATABASE_DOWN,
      SCHEMA_TOO_NEW: "internal",
      CLOSED: DATABASE_DOWN,
      NOT_FOUND: 404,
      DUPLICATE: 409,
      INVALID_REFERENCE: "internal",
      INVALID_VALUE: "internal",
      INVALID_ARGUMENT: "internal",
      INVALID_STATE: 409,
      BUSY: DATABASE_BUSY,
      LEASE_LOST: "internal", // the pipeline's, never a request's
      SELF_APPROVAL: 403,
    } satisfies Record<StoreErrorCode, ErrorAnswer>,
  },
  ChainError: {
    public: false,
    codes: {
      UNAVAILABLE: CHAIN_DOWN,
      REVERTED: 409,
      INSUFFICIENT_FUNDS: "internal",
      NONCE_CONFLICT: { status: 503, retryAfterSeconds: 1, message: "The chain is busy: try again shortly" },
      NO_SIGNER: "internal",
      NOT_APPLIED: "internal",
      NOT_MINED: { status: 503, retryAfterSeconds: 30, message: "The chain is congested: try again later" },
      CALL_FAILED: "internal",
    } satisfies Record<ChainErrorCode, ErrorAnswer>,
  },
  PdfSigningError: { public: false, codes: allInternal<PdfSigningErrorCode>(PDF_SIGNING_ERROR_CODES) },
  CoreError: { public: false, codes: allInternal<CoreErrorCode>(CORE_ERROR_CODES) },
} as const;

const CLASSES: [new (...args: never[]) => BaseError, keyof typeof ERROR_STATUS][] = [
  [ApiError, "ApiError"],
  [ServiceError, "ServiceError"],
  [StoreError, "StoreError"],
  [ChainError, "ChainError"],
  [PdfSigningError, "PdfSigningError"],
  [CoreError, "CoreError"],
];

/** The table's row for `error`, if its class is in the table. */
function rowOf(error: unknown): { error: BaseError; answer: ErrorAnswer; public: boolean } | undefined {
  for (const [type, name] of CLASSES) {
    if (!(error instanceof type)) continue;
    const row = ERROR_STATUS[name];
    const answer = (row.codes as Record<string, ErrorAnswer>)[error.code];
    return answer === undefined ? undefined : { error, answer, public: row.public };
  }
  return undefined;
}

/** The response the error handler gives: status, headers, JSON body, and whether it is logged as an error. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; details?: unknown; requestId?: string } };
  /** 500: a bug or a deployment error, logged with the error. */
  internal: boolean;
}

/**
 * What a client gets for `error`: the first error of its cause chain whose class is in
 * {@link ERROR_STATUS}, answered as the table says; body-parser's refusals as `TOO_LARGE` / `INVALID_JSON`;
 * anything else 500 `INTERNAL`.
 *
 * @example errorResponse(new StoreError("BUSY", "...")) // { status: 503, headers: { "retry-after": "1" }, ... }
 */
export function errorResponse(error: unknown, options: { bodyLimit?: number } = {}): ErrorResponse {
  const parser = (error as { type?: unknown } | null)?.type;
  if (parser === "entity.too.large") {
    error = new ApiError(
      "TOO_LARGE",
      `The body is larger than this route takes (${options.bodyLimit ?? "its limit in"} bytes)`,
      { cause: error },
    );
  } else if (parser === "entity.parse.failed") {
    error = new ApiError("INVALID_JSON", "The body is not valid JSON", { cause: error });
  }
  let found: ReturnType<typeof rowOf>;
  walkCauses(error, (e) => (found = rowOf(e)) !== undefined);
  if (!found || found.answer === "internal") {
    return {
      status: 500,
      headers: {},
      body: { error: { code: "INTERNAL", message: "Internal error" } },
      internal: true,
    };
  }
  const { error: e, answer } = found;
  if (typeof answer === "number") {
    const details = found.public && e.details ? { details: e.details } : {};
    return {
      status: answer,
      headers: {},
      body: { error: { code: e.code, message: e.message, ...details } },
      internal: answer >= 500 && answer !== 503,
    };
  }
  const asked = retryAfterMs(e);
  const seconds = Math.max(answer.retryAfterSeconds, asked === undefined ? 0 : Math.ceil(asked / 1000));
  return {
    status: answer.status,
    headers: { "retry-after": String(seconds) },
    body: { error: { code: e.code, message: answer.message } },
    internal: false,
  };
}

/**
 * The one Express error handler: answers with {@link errorResponse}, the request's id in the body; logs
 * (with the request's logger, so with its id) a 500 as an error with the error, a 503 as a warning; counts
 * chain and database errors in `metrics`.
 */
export function errorHandler(options: { log: Logger; maxBodyBytes: number; metrics?: Metrics }): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const bodyLimit = (req as Request & { bodyLimit?: number }).bodyLimit ?? options.maxBodyBytes;
    const answer = errorResponse(error, { bodyLimit });
    const log = requestLog(req, options.log);
    // Dependency failures only: a 404 or 409 the store or the chain answered is the client's.
    if (answer.internal || answer.status >= 500) options.metrics?.countError(error);
    if (answer.internal) log.error({ err: error, path: loggedPath(req.path) }, "request failed");
    else if (answer.status === 503)
      log.warn({ err: error, path: loggedPath(req.path) }, "request refused: a dependency is unavailable");
    const requestId = requestIdOf(req);
    const body = requestId === undefined ? answer.body : { error: { ...answer.body.error, requestId } };
    res.status(answer.status).set(answer.headers).json(body);
  };
}

/** The last route: 404 `NOT_FOUND` for anything no route took. */
export const notFound: RequestHandler = (_req, _res, next) => next(new ApiError("NOT_FOUND", "No such route"));
