/**
 * The error of the issuer service's chain calls (`server/chain/`): a {@link BaseError} whose code is
 * read from ethers' error codes (`isError(e, "CALL_EXCEPTION")`, `NETWORK_ERROR`, `TIMEOUT`,
 * `SERVER_ERROR`, `NONCE_EXPIRED` ...), from the system error code of a failed connection
 * (`ECONNREFUSED` ...), and from the registry's custom errors, decoded with the registry's ABI
 * (`decodeRegistryError` of `server/admin/registry-admin.ts`). Only an error that carries no code at all
 * is classified by its message.
 *
 * Callers branch on the code: `UNAVAILABLE` passes by itself (retry with backoff, honour
 * `details.retryAfterMs`); `REVERTED` is the registry's final answer (`details.registryError` names its
 * custom error, when there was one).
 *
 * Codes are only ever added: a published code is never renamed, reused or given a different meaning.
 */
import { isError } from "ethers";
import { BaseError, isBaseError, walkCauses, type BaseErrorOptions } from "../../core/base-error.ts";
import { decodeRegistryError } from "../admin/registry-admin.ts";

/** Every code a {@link ChainError} can carry. Only ever add to this list. */
export const CHAIN_ERROR_CODES = [
  /** The chain could not be reached, did not answer in time, or its endpoint answered 5xx or 429: retrying may succeed. */
  "UNAVAILABLE",
  /** The registry refused the call or the transaction reverted: final (`details.registryError` names the custom error). */
  "REVERTED",
  /** The signer's account cannot pay for the transaction. */
  "INSUFFICIENT_FUNDS",
  /** The nonce was used already or the replacement was underpriced (another transaction of the signer got in). */
  "NONCE_CONFLICT",
  /** No chain signer is configured for the issuer (a deployment error). */
  "NO_SIGNER",
  /** A transaction was mined but what it should have done is not on chain (an anchor that is not there). */
  "NOT_APPLIED",
  /** A transaction was still not mined after every fee bump. */
  "NOT_MINED",
  /** A chain call failed for a reason none of the codes above describes (the ethers error is the cause). */
  "CALL_FAILED",
] as const;

export type ChainErrorCode = (typeof CHAIN_ERROR_CODES)[number];

/** ethers' codes of a failure in transit. */
const UNAVAILABLE_ETHERS_CODES = new Set(["NETWORK_ERROR", "TIMEOUT", "SERVER_ERROR"]);
/** System error codes of a connection that failed (Node's `fetch` puts them on `error.cause.code`). */
const UNAVAILABLE_SYSTEM_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
]);
const NONCE_ETHERS_CODES = new Set(["NONCE_EXPIRED", "REPLACEMENT_UNDERPRICED", "TRANSACTION_REPLACED"]);

/**
 * Error of `IssuerChain` (and the classification of any chain call's failure).
 *
 * @example
 * ```ts
 * try {
 *   await chain.changeStatus("CSB", call, onSubmitted);
 * } catch (e) {
 *   if (isChainError(e, "REVERTED")) await store.failOperation(id, e.message); // final
 *   else throw e; // retried on the next pass
 * }
 * ```
 */
export class ChainError extends BaseError<ChainErrorCode> {
  override name = "ChainError";

  constructor(code: ChainErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }

  /** Whether the failure may pass by itself (the chain out of reach or throttling). */
  get transient(): boolean {
    return this.code === "UNAVAILABLE";
  }

  /**
   * `error` as a {@link ChainError}: itself if it is one, else a new one with `error` as its cause, its
   * code from {@link chainErrorCode} (`CALL_FAILED` when none applies).
   */
  static from(error: unknown): ChainError {
    if (error instanceof ChainError) return error;
    const code = chainErrorCode(error) ?? "CALL_FAILED";
    const details: Record<string, unknown> = {};
    let message = shortMessage(error);
    if (code === "REVERTED") {
      const refusal = decodeRegistryError(error);
      if (refusal) {
        details.registryError = refusal.name;
        details.args = Object.fromEntries(
          Object.entries(refusal.args).map(([k, v]) => [k, typeof v === "bigint" ? v.toString() : v]),
        );
        message = `${refusal.name}: ${refusal.sentence}`;
      }
    }
    const ethersCode = (error as { code?: unknown } | null)?.code;
    if (typeof ethersCode === "string") details.ethersCode = ethersCode;
    const retryAfterMs = retryAfterOf(error);
    if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
    return new ChainError(code, message, {
      cause: error,
      details: Object.keys(details).length > 0 ? details : undefined,
    });
  }
}

/**
 * Whether `error` is a {@link ChainError}, optionally with the given code.
 *
 * @example if (isChainError(e, "UNAVAILABLE")) backOff();
 */
export function isChainError(error: unknown, code?: ChainErrorCode): error is ChainError {
  return error instanceof ChainError && (code === undefined || error.code === code);
}

/**
 * The {@link ChainErrorCode} a chain call's failure means, or undefined when it is not recognisably a
 * chain failure (an error of the caller's own, a store error). Codes first: a {@link ChainError}'s own;
 * revert data the registry's ABI decodes, or ethers' `CALL_EXCEPTION`: `REVERTED`; ethers' transit codes
 * and connection system codes (on the error or a cause): `UNAVAILABLE`. Only an error chain that carries
 * no code at all is read by its message ("fetch failed", "socket hang up", "read ECONNRESET").
 */
export function chainErrorCode(error: unknown): ChainErrorCode | undefined {
  if (error === null || typeof error !== "object") return undefined;
  if (error instanceof ChainError) return error.code;
  if (isBaseError(error)) return undefined; // a store or service error is not the chain's
  if (decodeRegistryError(error) || isError(error, "CALL_EXCEPTION")) return "REVERTED";
  if (isError(error, "INSUFFICIENT_FUNDS")) return "INSUFFICIENT_FUNDS";
  const codes: unknown[] = [];
  walkCauses(error, (e) => (codes.push((e as { code?: unknown } | null)?.code), false));
  if (codes.some((c) => typeof c === "string" && UNAVAILABLE_ETHERS_CODES.has(c))) return "UNAVAILABLE";
  if (codes.some((c) => typeof c === "string" && UNAVAILABLE_SYSTEM_CODES.has(c))) return "UNAVAILABLE";
  if (codes.some((c) => typeof c === "string" && NONCE_ETHERS_CODES.has(c))) return "NONCE_CONFLICT";
  if (codes.every((c) => c === undefined || c === null)) {
    const message = String((error as { message?: unknown }).message ?? "");
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR_SOCKET|fetch failed|socket hang up/i.test(message))
      return "UNAVAILABLE";
  }
  return undefined;
}

/** ethers' `shortMessage` (without its "(code=..., version=...)" tail), else the message. */
function shortMessage(error: unknown): string {
  const e = error as { shortMessage?: unknown; message?: unknown } | null;
  if (typeof e?.shortMessage === "string" && e.shortMessage) return e.shortMessage;
  return String(e?.message ?? error);
}

/** A `retryAfterMs` property on the error or a cause (set by `createChainProvider`'s errors). */
function retryAfterOf(error: unknown): number | undefined {
  const found = walkCauses(error, (e) => typeof (e as { retryAfterMs?: unknown })?.retryAfterMs === "number") as
    { retryAfterMs: number } | undefined;
  return found ? Math.max(0, found.retryAfterMs) : undefined;
}
