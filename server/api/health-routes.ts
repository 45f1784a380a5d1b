/**
 * Health, readiness and metrics, at the root (not under `/api/v1`) and outside rate limiting, for load
 * balancers, orchestrators and Prometheus:
 *
 * - `GET /healthz`: the process is up: 200 `{ "status": "ok" }`, always (nothing is checked).
 * - `GET /readyz`: 200 `{ "status": "ready", "checks": [...] }` when the database answers, the chain
 *   answers, the registry has code at its address and every signer has funds where gas is paid (a chain
 *   whose gas price is not zero: enough for 100,000 gas); otherwise 503 `{ "status": "not ready", "checks": [...] }` with
 *   `Retry-After`, each check `{ "name", "ok", "error"? }` saying why it failed. Each check is bounded in
 *   time, so a hanging chain gives a 503, not a hanging probe; a run answers every probe for a second.
 * - `GET /metrics`: the Prometheus text format (`server/metrics.ts`).
 */
import type { Express } from "express";
import type { Logger } from "pino";
import type { AbstractProvider } from "ethers";
import type { Store } from "../db/store.ts";
import type { Metrics } from "../metrics.ts";
import type { z } from "zod";
import type { schemas } from "./openapi.ts";

/** The gas a signer must be able to pay for to be ready: about two anchors (`ecert_anchor_gas_used`). */
const ONE_TRANSACTION_GAS = 100_000n;

/** One readiness check: resolves when it holds; throws (or rejects) saying why it does not. */
export interface ReadinessCheck {
  name: string;
  run(): Promise<void>;
}

/** One check's outcome in the `/readyz` body (`schemas.Readiness` of the OpenAPI document). */
export type CheckResult = z.infer<typeof schemas.Readiness>["checks"][number];

export interface HealthParameters {
  /** The readiness checks (see {@link readinessChecks}); none: `/readyz` answers 200. */
  checks?: ReadinessCheck[];
  /** Time allowed for each check (ms, default 3000). */
  timeoutMs?: number;
  /** A run's results answer every probe for this long after it (ms, default 1000; 0: every probe runs them). */
  cacheMs?: number;
  /** `Retry-After` of a 503 (seconds, default 5). */
  retryAfterSeconds?: number;
  /** Served at `/metrics` when given. */
  metrics?: Metrics;
  /** Where a failed check's whole error goes (the answer gives only its code). */
  log?: Logger;
}

/**
 * The service's readiness checks: `database` (one trivial query), `chain` (the block number), `registry`
 * (code at its address) and `signers` (each signer's balance enough for 100,000 gas at the current price,
 * when the gas price is not zero).
 */
export function readinessChecks(parameters: {
  store: Store;
  provider: AbstractProvider;
  registry: string;
  /** Per issuer id, its signer's address. */
  signers: Record<string, string>;
}): ReadinessCheck[] {
  const { store, provider, registry, signers } = parameters;
  return [
    { name: "database", run: () => store.ping() },
    { name: "chain", run: async () => void (await provider.getBlockNumber()) },
    {
      name: "registry",
      run: async () => {
        const code = await provider.getCode(registry);
        if (code === "0x") throw new Error(`no contract code at the registry address ${registry}`);
      },
    },
    {
      name: "signers",
      run: async () => {
        const fees = await provider.getFeeData();
        const price = fees.gasPrice ?? fees.maxFeePerGas ?? 0n;
        if (price === 0n) return; // gas is free on this chain
        // Less than one anchoring's gas (about 50,000; twice that for headroom) is as good as none.
        const needed = price * ONE_TRANSACTION_GAS;
        const empty: string[] = [];
        for (const [id, address] of Object.entries(signers)) {
          if ((await provider.getBalance(address)) < needed) empty.push(`${id} (${address})`);
        }
        if (empty.length > 0) throw new Error(`no funds to pay for gas: ${empty.join(", ")}`);
      },
    },
  ];
}

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function runChecks(checks: ReadinessCheck[], timeoutMs: number, log?: Logger): Promise<CheckResult[]> {
  return Promise.all(
    checks.map(async ({ name, run }): Promise<CheckResult> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([run(), timeout]);
        return { name, ok: true };
      } catch (error) {
        log?.warn({ err: error, check: name }, "readiness check failed");
        return { name, ok: false, error: describe(error) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}

/**
 * A failed check's reason, for anyone who asks: the error's code when it has one (a store's, a chain's,
 * a driver's: never its message, which may name hosts, users or endpoints), else the first line of the
 * check's own message. The whole error goes to the log.
 */
function describe(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string") return e.code;
  return String(e?.message ?? error)
    .split("\n")[0]
    .slice(0, 300);
}

/** Mounts `GET /healthz`, `GET /readyz` and (with `metrics`) `GET /metrics` on `app`, at the root. */
export function mountHealthRoutes(app: Express, parameters: HealthParameters): void {
  const { checks = [], timeoutMs = 3000, cacheMs = 1000, retryAfterSeconds = 5, metrics, log } = parameters;
  const health: z.infer<typeof schemas.Health> = { status: "ok" };
  app.get("/healthz", (_req, res) => void res.set("cache-control", "no-store").json(health));
  // One run of the checks at a time, shared by every probe that comes meanwhile and for `cacheMs` after:
  // a flood of probes costs the chain and the database at most one run a `cacheMs`.
  let running: Promise<CheckResult[]> | undefined;
  let last: { at: number; results: CheckResult[] } | undefined;
  app.get("/readyz", async (_req, res) => {
    let results: CheckResult[];
    if (last && Date.now() - last.at < cacheMs) results = last.results;
    else {
      running ??= runChecks(checks, timeoutMs, log).then(
        (r) => ((last = { at: Date.now(), results: r }), (running = undefined), r),
        (error: unknown) => {
          running = undefined;
          throw error;
        },
      );
      results = await running;
    }
    const ready = results.every((r) => r.ok);
    res.set("cache-control", "no-store");
    if (!ready) res.status(503).set("retry-after", String(retryAfterSeconds));
    const body: z.infer<typeof schemas.Readiness> = { status: ready ? "ready" : "not ready", checks: results };
    res.json(body);
  });
  if (metrics) {
    app.get("/metrics", async (_req, res) => {
      const text = await metrics.registry.metrics();
      res.set("cache-control", "no-store").type(metrics.registry.contentType).send(text);
    });
  }
}
