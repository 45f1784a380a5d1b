import express from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Logger } from "pino";
import type { Store } from "../db/store.ts";
import type { VerificationResult, VerifyInput } from "../../core/index.ts";
import type { IssuanceService } from "../issuance/issuance-service.ts";
import { createMetrics, type Metrics } from "../metrics.ts";
import { mountClaimRoutes } from "./claim-routes.ts";
import { ApiError, errorHandler, notFound } from "./errors.ts";
import { mountHealthRoutes, type ReadinessCheck } from "./health-routes.ts";
import { createIdempotency } from "./idempotency.ts";
import { mountAuditRoutes } from "./audit-routes.ts";
import { mountDocumentRoutes } from "./document-routes.ts";
import { mountIssuerRoutes } from "./issuer-routes.ts";
import { mountOutboxRoutes } from "./outbox-routes.ts";
import { mountApprovalRoutes } from "./approval-routes.ts";
import { authenticate, type SessionResolver } from "./auth.ts";
import { openApiDocument } from "./openapi.ts";
import { bodyLimit } from "./request.ts";
import { requestIds } from "./request-id.ts";
import { mountSessionRoutes, type SessionRoutesParameters } from "./session-routes.ts";
import { rpcProxy, type RpcProxyParameters } from "./rpc-proxy.ts";
import { mountVerifyRoute } from "./verify-route.ts";

export { openApiDocument, schemas } from "./openapi.ts";

export interface AppParameters {
  /** The database: here only for `Idempotency-Key` (`idempotency.ts`); the routes read through `issuance.reads`. */
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
  /** The service's metrics, served at `/metrics` (default: a new registry over `store`). */
  metrics?: Metrics;
  /** What `GET /readyz` checks (`health-routes.ts` `readinessChecks`); none: it answers 200. */
  readiness?: ReadinessCheck[];
  /** How long one run of the readiness checks answers every probe (ms, default 1000). */
  readinessCacheMs?: number;
  /** The base of candidates' claim links (`<claimUrl>/claim#<code>`) in claim letters and new claim codes. */
  claimUrl?: string;
  /** Officers' sessions (the session cookie), beside API keys, on the department routes. */
  sessions?: SessionResolver;
  /** Officers' sign-in routes (`session-routes.ts`: `/auth/*`, `/api/v1/session`, the embedded provider). */
  signIn?: Omit<SessionRoutesParameters, "limit">;
}

/**
 * The issuer service's HTTP interface (`/api/v1`, OpenAPI 3.1 at `/api/v1/openapi.json`, `openapi.ts`),
 * composed here: the department routes behind `Authorization: Bearer <api key>` (`issuer-routes.ts`,
 * with `Idempotency-Key`: `idempotency.ts`), the candidate claim routes (`claim-routes.ts`), verification
 * (`verify-route.ts`), the read-only JSON-RPC proxy (`rpc-proxy.ts`), and at the root `/healthz`,
 * `/readyz` and `/metrics` (`health-routes.ts`). Every request has an id (`request-id.ts`). One error
 * shape, one error handler (`errors.ts`: the one table from error codes to HTTP statuses).
 */
export function createApp(parameters: AppParameters): express.Express {
  const { store, issuance, log, maxBodyBytes } = parameters;
  const metrics = parameters.metrics ?? createMetrics({ store });
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  app.use(requestIds(log));
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
    rateLimit({
      windowMs: 60_000,
      limit: parameters.publicRateLimit ?? 600,
      standardHeaders: "draft-8",
      legacyHeaders: false,
      identifier: name,
      // Answered by the error handler, in the Error shape of every other refusal.
      handler: (_req, _res, next, options) =>
        next(
          new ApiError(
            "RATE_LIMITED",
            `Too many ${name} requests from this address: at most ${String(options.limit)} a minute; try again after the time the RateLimit header gives`,
          ),
        ),
    });
  const claimLimit = limiter("claim");
  const verifyLimit = limiter("verify");
  const rpcLimit = limiter("rpc");
  const api = express.Router();

  // Probes and metrics at the root, before any rate limiter.
  mountHealthRoutes(app, { checks: parameters.readiness, cacheMs: parameters.readinessCacheMs, metrics, log });

  // The busiest public route first: `POST /verify` is matched before the router walks the others.
  if (parameters.verify) {
    mountVerifyRoute(api, {
      verify: metrics.timedVerify(parameters.verify),
      maxVerifyBytes: parameters.maxVerifyBytes ?? 8 * 2 ** 20,
      limit: verifyLimit,
    });
  }
  api.get("/openapi.json", (_req, res) => void res.json(openApiDocument()));
  if (parameters.signIn) mountSessionRoutes(app, api, { ...parameters.signIn, limit: limiter("sign-in") });
  // The department routes: a scoped API key or an officer's session (auth.ts), one department each.
  const auth = authenticate({ reads: issuance.reads, sessions: parameters.sessions });
  mountIssuerRoutes(api, { issuance, idempotency: createIdempotency(store), maxBodyBytes, auth, store });
  mountAuditRoutes(api, { store, auth });
  mountDocumentRoutes(api, { store, issuance, auth, claimUrl: parameters.claimUrl, log });
  mountApprovalRoutes(api, { issuance, store, auth, maxBodyBytes });
  mountOutboxRoutes(api, { store, auth });
  mountClaimRoutes(api, { reads: issuance.reads, limit: claimLimit });

  // Read-only JSON-RPC proxy to the chain, for the verifier page: bounded reads of the registry only.
  if (parameters.rpc) app.post("/rpc", rpcLimit, bodyLimit(64 * 1024), ...rpcProxy(parameters.rpc));

  parameters.extend?.(app);
  app.use("/api/v1", api);
  app.use(notFound);
  app.use(errorHandler({ log, maxBodyBytes, metrics }));
  return app;
}
