/**
 * The issuer service's Prometheus metrics (`GET /metrics`, prom-client): one {@link Registry} per service
 * instance (never prom-client's global one, so that two services in one process do not clash), fed by the
 * few places that know: the issuance pipeline (batch sizes, anchor latency and gas), the verify route
 * (latency and verdicts), the error handler and the pipeline (chain and database errors by code). The
 * certificates by state are read from the store when scraped (one `COUNT ... GROUP BY`).
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { walkCauses } from "../core/base-error.ts";
import { ChainError } from "./chain/chain-error.ts";
import type { Store } from "./db/store.ts";
import { StoreError } from "./db/store-error.ts";

export interface Metrics {
  readonly registry: Registry;
  /** Certificates per batch closed. */
  readonly batchSize: Histogram;
  /** Seconds from a batch's close to its root anchored on chain. */
  readonly anchorLatency: Histogram;
  /** Gas used by an anchor transaction. */
  readonly anchorGas: Histogram;
  /** Seconds to answer `POST /verify`, by verdict (`status`: VALID, INVALID, UNABLE_TO_CHECK). */
  readonly verifyLatency: Histogram<"status">;
  /** Verdicts of `POST /verify`, by `status`. */
  readonly verifications: Counter<"status">;
  /** Chain errors met by requests and by the pipeline, by code. */
  readonly chainErrors: Counter<"code">;
  /** Database errors met by requests and by the pipeline, by code. */
  readonly databaseErrors: Counter<"code">;
  /** 1 while an issuer's signer cannot pay for gas (its batches and status changes wait), 0 once it could again. */
  readonly signerUnfunded: Gauge<"issuer">;
  /** `verify`, its latency and verdict counted (`POST /verify`, `verify-route.ts`). */
  timedVerify<I, R extends { status: string }>(verify: (input: I) => Promise<R>): (input: I) => Promise<R>;
  /** Counts the first chain or database error of `error`'s cause chain (nothing else is counted). */
  countError(error: unknown): void;
}

/** A new registry with the service's metrics; `store` feeds the certificates-by-state gauge at scrape time. */
export function createMetrics(options: { store?: Store } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const { store } = options;
  new Gauge({
    name: "ecert_certificates",
    help: "Certificates in the database, by state",
    labelNames: ["state"] as const,
    registers,
    async collect() {
      if (!store) return;
      // A closed or unreachable database leaves the gauge empty: the scrape still answers.
      const counts = await store.certificateCounts().catch(() => undefined);
      this.reset();
      for (const [state, count] of Object.entries(counts ?? {})) this.set({ state }, count ?? 0);
    },
  });
  const chainErrors = new Counter({
    name: "ecert_chain_errors_total",
    help: "Chain errors met by requests and the issuance pipeline, by code",
    labelNames: ["code"] as const,
    registers,
  });
  const databaseErrors = new Counter({
    name: "ecert_database_errors_total",
    help: "Database errors met by requests and the issuance pipeline, by code",
    labelNames: ["code"] as const,
    registers,
  });
  return {
    registry,
    batchSize: new Histogram({
      name: "ecert_batch_size",
      help: "Certificates per batch closed",
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000],
      registers,
    }),
    anchorLatency: new Histogram({
      name: "ecert_anchor_latency_seconds",
      help: "Seconds from a batch's close to its root anchored on chain",
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    anchorGas: new Histogram({
      name: "ecert_anchor_gas_used",
      help: "Gas used by an anchor transaction",
      buckets: [50_000, 75_000, 100_000, 150_000, 200_000, 300_000, 500_000],
      registers,
    }),
    verifyLatency: new Histogram({
      name: "ecert_verify_latency_seconds",
      help: "Seconds to answer POST /api/v1/verify, by verdict",
      labelNames: ["status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    verifications: new Counter({
      name: "ecert_verifications_total",
      help: "Verdicts of POST /api/v1/verify, by status",
      labelNames: ["status"] as const,
      registers,
    }),
    chainErrors,
    databaseErrors,
    signerUnfunded: new Gauge({
      name: "ecert_signer_unfunded",
      help: "1 while the issuer's chain signer cannot pay for gas (its batches and status changes wait), else 0",
      labelNames: ["issuer"] as const,
      registers,
    }),
    timedVerify(verify) {
      return async (input) => {
        const timer = this.verifyLatency.startTimer();
        const result = await verify(input);
        timer({ status: result.status });
        this.verifications.inc({ status: result.status });
        return result;
      };
    },
    countError(error) {
      walkCauses(error, (e) => {
        if (e instanceof ChainError) chainErrors.inc({ code: e.code });
        else if (e instanceof StoreError) databaseErrors.inc({ code: e.code });
        else return false;
        return true;
      });
    },
  };
}
