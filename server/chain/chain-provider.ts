import { JsonRpcProvider, makeError, type JsonRpcPayload, type JsonRpcResult } from "ethers";
import { BaseError } from "../../core/base-error.ts";
import { createThrottledLog, parseRetryAfter, type ThrottledLog } from "./backoff.ts";

/**
 * The production chain provider: JSON-RPC over HTTP(S) to a list of endpoints, tried in turn, each call
 * bounded in time, each failing endpoint rested for a while (as long as its `Retry-After` asks, or
 * exponentially longer), so that a hung, throttled or broken endpoint costs one timeout, not one per call.
 *
 * Why not ethers' own `JsonRpcProvider` + `FallbackProvider` (6.17, measured against local faulty servers):
 * - `FetchRequest.timeout` (default 300 s) is a socket idle timeout: it rejects, but leaves the socket open.
 * - on 429 `FetchRequest` retries by itself up to 12 times, reading `Retry-After: 1` as 1 *millisecond*:
 *   12 requests in about 45 ms, then "exceeded maximum retry limit";
 * - `FallbackProvider` (quorum 1) hands an endpoint's error (a 502, say) straight to the caller instead of
 *   trying the next endpoint, and an endpoint that fails its first call is never used again, even once it
 *   recovers; it only moves on for an endpoint that is slow (`stallTimeout`, 400 ms).
 *
 * Only transport failures move to the next endpoint (no answer in time, a refused or dropped connection,
 * an HTTP status other than 2xx, an answer that is not JSON-RPC); a JSON-RPC error answer (a revert, a
 * nonce too low) is the chain's answer and is returned as is. When no endpoint answers, the error
 * (ethers' `TIMEOUT` if every endpoint timed out, else `SERVER_ERROR`) carries `retryAfterMs`: how long
 * until an endpoint may be tried again (`retryAfterMs()` in `backoff.ts` reads it). Retrying is the
 * caller's business (`IssuerChain`, with `backoff.ts`): this provider sends each request at most once
 * to each endpoint. Endpoints are named in errors and logs by number and host only: their paths and
 * queries often hold API keys.
 */

export interface ChainProviderOptions {
  /** Time allowed for one request to one endpoint, whole (connect, send, answer), ms (default 5000). */
  timeoutMs?: number;
  /** Rest of an endpoint after its n-th consecutive failure without `Retry-After`: restBaseMs·2^(n-1), ms (default 1000)... */
  restBaseMs?: number;
  /** ...at most this long, ms (default 30 000; also the longest `Retry-After` honoured). */
  restMaxMs?: number;
  /** Largest answer read, bytes (default 32 MiB). */
  maxResponseBytes?: number;
  /** Endpoint failures are logged here (throttled: once a minute per endpoint and kind). */
  log?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

/** Default time allowed for one JSON-RPC request to one endpoint (`CHAIN_RPC_TIMEOUT_MS`). */
export const DEFAULT_CHAIN_RPC_TIMEOUT_MS = 5000;

/**
 * The provider `npm start` uses for a configured chain (`CHAIN_RPC_URLS`, `CHAIN_ID`, `CHAIN_RPC_TIMEOUT_MS`).
 *
 * @example
 * const provider = createChainProvider(["https://rpc-a.example", "https://rpc-b.example"], 137, { timeoutMs: 5000 });
 * await provider.getBlockNumber();
 */
export function createChainProvider(
  rpcUrls: string[],
  chainId: number,
  options: ChainProviderOptions = {},
): FailoverJsonRpcProvider {
  return new FailoverJsonRpcProvider(rpcUrls, chainId, options);
}

interface Endpoint {
  label: string;
  url: string;
  headers: Record<string, string>;
  /** Consecutive failures. */
  failures: number;
  /** Not tried again before this time (ms since the epoch). */
  restUntil: number;
}

/** The code of an {@link EndpointFailure} for each kind of failure. */
const ENDPOINT_FAILURE_CODES = {
  timeout: "ENDPOINT_TIMEOUT",
  connection: "ENDPOINT_CONNECTION_FAILED",
  http: "ENDPOINT_HTTP_ERROR",
  answer: "ENDPOINT_BAD_ANSWER",
} as const;

type EndpointFailureCode = (typeof ENDPOINT_FAILURE_CODES)[keyof typeof ENDPOINT_FAILURE_CODES];

/** A transport failure of one endpoint (never thrown out of the provider: it becomes an ethers error). */
class EndpointFailure extends BaseError<EndpointFailureCode> {
  override name = "EndpointFailure";
  readonly kind: keyof typeof ENDPOINT_FAILURE_CODES;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, kind: EndpointFailure["kind"], retryAfterMs?: number) {
    super(ENDPOINT_FAILURE_CODES[kind], message, {
      details: retryAfterMs === undefined ? { kind } : { kind, retryAfterMs },
    });
    this.kind = kind;
    this.retryAfterMs = retryAfterMs;
  }
}

export class FailoverJsonRpcProvider extends JsonRpcProvider {
  readonly #endpoints: Endpoint[];
  readonly #timeoutMs: number;
  readonly #restBaseMs: number;
  readonly #restMaxMs: number;
  readonly #maxResponseBytes: number;
  readonly #now: () => number;
  readonly #warn: ThrottledLog | undefined;

  constructor(rpcUrls: string[], chainId: number, options: ChainProviderOptions = {}) {
    if (rpcUrls.length === 0) throw new Error("createChainProvider: at least one JSON-RPC URL is needed");
    const endpoints = rpcUrls.map((raw, i): Endpoint => {
      const u = new URL(raw);
      if (u.protocol !== "http:" && u.protocol !== "https:") {
        throw new Error(
          `chain endpoint #${i + 1} (${u.protocol}//${u.host}): only http(s) JSON-RPC endpoints are supported`,
        );
      }
      // fetch refuses URLs with credentials: send them as Basic authentication instead.
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (u.username || u.password) {
        headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString("base64")}`;
        u.username = "";
        u.password = "";
      }
      return { label: `#${i + 1} ${u.protocol}//${u.host}`, url: u.toString(), headers, failures: 0, restUntil: 0 };
    });
    super(endpoints[0].url, chainId, { staticNetwork: true, cacheTimeout: -1, batchMaxCount: 1 });
    this.#endpoints = endpoints;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CHAIN_RPC_TIMEOUT_MS;
    this.#restBaseMs = options.restBaseMs ?? 1000;
    this.#restMaxMs = options.restMaxMs ?? 30_000;
    this.#maxResponseBytes = options.maxResponseBytes ?? 32 * 2 ** 20;
    this.#now = options.now ?? Date.now;
    this.#warn = options.log ? createThrottledLog(options.log, 60_000, this.#now) : undefined;
  }

  /** Each endpoint's label, consecutive failures and rest, for health checks and tests. */
  get endpointStates(): { label: string; failures: number; restingMs: number }[] {
    const now = this.#now();
    return this.#endpoints.map((e) => ({
      label: e.label,
      failures: e.failures,
      restingMs: Math.max(0, e.restUntil - now),
    }));
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const body = JSON.stringify(payload);
    const failures: string[] = [];
    let tried = 0;
    let timeouts = 0;
    for (const endpoint of this.#endpoints) {
      const resting = endpoint.restUntil - this.#now();
      if (resting > 0) {
        failures.push(`${endpoint.label}: resting ${resting} ms after ${endpoint.failures} failure(s)`);
        continue;
      }
      tried++;
      try {
        const results = await this.#post(endpoint, body);
        endpoint.failures = 0;
        return results;
      } catch (error) {
        const failure =
          error instanceof EndpointFailure
            ? error
            : new EndpointFailure(String((error as Error).message), "connection");
        endpoint.failures++;
        // A hung endpoint rests at least as long as it kept us waiting.
        const base = failure.kind === "timeout" ? Math.max(this.#restBaseMs, this.#timeoutMs) : this.#restBaseMs;
        endpoint.restUntil =
          this.#now() +
          Math.min(this.#restMaxMs, failure.retryAfterMs ?? base * 2 ** Math.min(endpoint.failures - 1, 30));
        if (failure.kind === "timeout") timeouts++;
        failures.push(`${endpoint.label}: ${failure.message}`);
        this.#warn?.(
          `${endpoint.label} ${failure.kind}`,
          { endpoint: endpoint.label, failures: endpoint.failures, restMs: endpoint.restUntil - this.#now() },
          `chain endpoint failed: ${failure.message}`,
        );
      }
    }
    // The earliest time any endpoint may be tried again: callers should not retry sooner.
    const retryAfterMs = Math.max(0, Math.min(...this.#endpoints.map((e) => e.restUntil)) - this.#now());
    const method = Array.isArray(payload) ? payload.map((p) => p.method).join(",") : payload.method;
    const message = `no chain endpoint answered ${method} (${failures.join("; ")})`;
    const info = { failures, retryAfterMs };
    const error =
      tried > 0 && timeouts === tried
        ? makeError(message, "TIMEOUT", { operation: method, reason: "timeout", info })
        : makeError(message, "SERVER_ERROR", { request: "%chain-endpoints", info });
    throw Object.assign(error, { retryAfterMs });
  }

  /** One POST to one endpoint, within the timeout; the JSON-RPC answers, or an {@link EndpointFailure}. */
  async #post(endpoint: Endpoint, body: string): Promise<JsonRpcResult[]> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    let text: string;
    try {
      const response = await fetch(endpoint.url, {
        method: "POST",
        headers: endpoint.headers,
        body,
        signal,
        redirect: "error",
      });
      if (response.status < 200 || response.status > 299) {
        await response.body?.cancel().catch(() => undefined);
        const retryAfter =
          response.status === 429 || response.status === 503
            ? parseRetryAfter(response.headers.get("retry-after"), this.#now())
            : undefined;
        throw new EndpointFailure(
          `HTTP ${response.status}${retryAfter !== undefined ? ` (Retry-After ${retryAfter} ms)` : ""}`,
          "http",
          retryAfter,
        );
      }
      text = await this.#readText(response);
    } catch (error) {
      if (error instanceof EndpointFailure) throw error;
      if (signal.aborted) throw new EndpointFailure(`no answer within ${this.#timeoutMs} ms`, "timeout");
      const e = error as { message?: string; cause?: { code?: string; message?: string } };
      throw new EndpointFailure(`connection failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`, "connection");
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new EndpointFailure("the answer is not JSON", "answer");
    }
    const results = (Array.isArray(json) ? json : [json]) as JsonRpcResult[];
    if (!results.every((r) => r !== null && typeof r === "object" && "id" in r && ("result" in r || "error" in r))) {
      throw new EndpointFailure("the answer is not a JSON-RPC response", "answer");
    }
    return results;
  }

  async #readText(response: Response): Promise<string> {
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (declared > this.#maxResponseBytes)
      throw new EndpointFailure(`answer of ${declared} bytes, over the ${this.#maxResponseBytes}-byte limit`, "answer");
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader();
    for (let read = await reader?.read(); read && !read.done; read = await reader!.read()) {
      size += read.value.length;
      if (size > this.#maxResponseBytes) {
        await reader!.cancel().catch(() => undefined);
        throw new EndpointFailure(`answer over the ${this.#maxResponseBytes}-byte limit`, "answer");
      }
      chunks.push(read.value);
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}
