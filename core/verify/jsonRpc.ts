/**
 * Chain access for the verifier: the EIP-1193 `request` shape (what Hardhat's in-process provider, a
 * browser wallet and ethers' `BrowserProvider` source all offer), and a minimal JSON-RPC client over an
 * injected `fetch` for plain endpoint URLs. Nothing is read from globals but the standard `fetch`,
 * `AbortController` and timers of both Node and the browser.
 */

/** Anything that answers JSON-RPC requests: an EIP-1193 provider. */
export type ChainReader = {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
};

/** The `fetch` the client calls (the standard one, or a stand-in). */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

export type CreateJsonRpcProviderOptions = {
  /** Default: `globalThis.fetch`. */
  fetch?: Fetch;
  /** Milliseconds before a request is abandoned (default 4000). */
  timeoutMs?: number;
  /** Extra request headers (an API key, for instance). */
  headers?: Record<string, string>;
};

/**
 * A JSON-RPC error answer, or a transport failure (`code` undefined).
 *
 * Not a `BaseError` (`core/base-error.ts`): its `code` is the endpoint's numeric JSON-RPC error code, as
 * EIP-1193 providers give it and callers read it, which a `BaseError`'s stable string `code` would
 * replace. Callers report its message (`readCertificateStatus` as one endpoint's failure line).
 */
export class JsonRpcError extends Error {
  /** The JSON-RPC error code, when the endpoint answered with an error object. */
  readonly code: number | undefined;
  constructor(message: string, code?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JsonRpcError";
    this.code = code;
  }
}

/** Default time allowed for one JSON-RPC request, in milliseconds. */
export const DEFAULT_RPC_TIMEOUT_MS = 4000;
/** Largest JSON-RPC answer read, in bytes (a status answer is under 2 KB). */
const MAX_RESPONSE_BYTES = 1 << 20;

let nextId = 1;

/**
 * A {@link ChainReader} for one HTTP(S) JSON-RPC endpoint.
 *
 * @param url the endpoint, e.g. `https://rpc.example.org` or the local chain's `http://127.0.0.1:8545`.
 * @param options `fetch` (default `globalThis.fetch`), `timeoutMs`, `headers`.
 * @returns a reader whose `request` resolves with the `result`, or rejects with a {@link JsonRpcError}
 *   (an error answer, a timeout, a network failure, a non-JSON or oversized answer).
 * @example
 * ```ts
 * const reader = createJsonRpcProvider("http://127.0.0.1:8545", { fetch });
 * await reader.request({ method: "eth_chainId" }); // "0x7a69"
 * ```
 */
export function createJsonRpcProvider(url: string, options: CreateJsonRpcProviderOptions = {}): ChainReader {
  const fetchImpl = options.fetch ?? (globalThis.fetch as Fetch | undefined);
  const timeoutMs = options.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
  return {
    async request({ method, params = [] }) {
      if (!fetchImpl) throw new JsonRpcError("no fetch function is available to reach the endpoint");
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let text: string;
      try {
        const response = await fetchImpl(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...options.headers },
          body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
          signal: controller.signal,
        });
        if (!response.ok) throw new JsonRpcError(`HTTP ${response.status}`);
        text = await response.text();
      } catch (error) {
        if (error instanceof JsonRpcError) throw error;
        if (controller.signal.aborted)
          throw new JsonRpcError(`no answer within ${timeoutMs} ms`, undefined, { cause: error });
        throw new JsonRpcError(describeFetchError(error), undefined, { cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (text.length > MAX_RESPONSE_BYTES) throw new JsonRpcError("the answer is too large");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new JsonRpcError("the answer is not JSON");
      }
      if (typeof body !== "object" || body === null) throw new JsonRpcError("the answer is not a JSON-RPC response");
      const { error, result } = body as { error?: { code?: unknown; message?: unknown }; result?: unknown };
      if (error) {
        const code = typeof error.code === "number" ? error.code : undefined;
        throw new JsonRpcError(
          `JSON-RPC error${code === undefined ? "" : ` ${code}`}: ${String(error.message ?? "").slice(0, 200)}`,
          code,
        );
      }
      if (!("result" in body)) throw new JsonRpcError("the answer has no result");
      return result;
    },
  };
}

/** A short reason for a failed fetch ("connection refused" rather than Node's bare "fetch failed"). */
function describeFetchError(error: unknown): string {
  const e = error as { message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = e?.cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ENOTFOUND") return "host not found";
  if (typeof code === "string") return code;
  return typeof e?.message === "string" ? e.message.slice(0, 200) : "the request failed";
}
