/**
 * One retry policy for everything that talks to the chain (the issuer's transactions, the issuance
 * pipeline, the failover provider): exponential backoff with full jitter, capped, never sooner than a
 * server's `Retry-After`; which errors are worth retrying; and a log that does not flood during an outage.
 * Deterministic under test: pass `random`, `now` and `sleep`.
 */
import { chainErrorCode } from "./chain-error.ts";

export interface BackoffOptions {
  /** Ceiling of the first delay (attempt 0), ms. */
  baseMs: number;
  /** Largest delay ever returned, ms (a longer `Retry-After` is cut to it). */
  maxMs: number;
  /** What the server asked for (see {@link retryAfterMs}); the delay is never shorter (up to `maxMs`). */
  retryAfterMs?: number | undefined;
  /** Uniform in [0, 1); default `Math.random`. */
  random?: () => number;
}

/**
 * The delay before retry number `attempt` (0-based): uniform in [0, min(maxMs, baseMs·2^attempt)) ("full
 * jitter", so that many clients do not come back in step), and at least `retryAfterMs` (capped at `maxMs`).
 *
 * @example backoffDelay(3, { baseMs: 250, maxMs: 30_000 }) // somewhere in [0, 2000)
 */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const { baseMs, maxMs, retryAfterMs: asked, random = Math.random } = options;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 52)));
  const jittered = Math.floor(random() * ceiling);
  return Math.min(maxMs, Math.max(jittered, asked ?? 0));
}

/**
 * The wait a server asked for, in ms, carried by `error`: a `retryAfterMs` property (set by
 * `createChainProvider`'s errors) or a `Retry-After` header (seconds or an HTTP date) on a response
 * attached to it (ethers' `error.response`, `error.info.response`), looking through `error`/`cause`.
 */
export function retryAfterMs(error: unknown, now: number = Date.now()): number | undefined {
  for (
    let e = error as Record<string, unknown> | undefined, depth = 0;
    e && typeof e === "object" && depth < 5;
    depth++
  ) {
    if (typeof e.retryAfterMs === "number" && Number.isFinite(e.retryAfterMs)) return Math.max(0, e.retryAfterMs);
    const info = e.info as Record<string, unknown> | undefined;
    for (const response of [e.response, info?.response] as { headers?: unknown }[]) {
      const headers = response?.headers;
      const value =
        headers instanceof Headers
          ? headers.get("retry-after")
          : (headers as Record<string, unknown> | undefined)?.["retry-after"];
      const ms = parseRetryAfter(typeof value === "string" ? value : undefined, now);
      if (ms !== undefined) return ms;
    }
    e = (e.error ?? e.cause) as Record<string, unknown> | undefined;
  }
  return undefined;
}

/** A `Retry-After` header value (RFC 9110: delta-seconds or an HTTP date) in ms from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/^[a-z]{3}, /i.test(text)) return undefined; // an HTTP date ("Mon, 01 Jun 2026 10:00:30 GMT") or nothing
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Whether a chain call failed for a reason that may pass (a network failure, a timeout, an endpoint's
 * 5xx or 429), rather than an answer that stays the same (a revert, a bad argument, a nonce error): its
 * {@link chainErrorCode} is `UNAVAILABLE` (read from ethers' and the system's error codes).
 */
export function isTransientChainError(error: unknown): boolean {
  return chainErrorCode(error) === "UNAVAILABLE";
}

export interface RetryOptions extends Omit<BackoffOptions, "retryAfterMs"> {
  /** Tries in all, the first included. */
  attempts: number;
  /** Default {@link isTransientChainError}. */
  retryable?: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  /** Told of each failure that is retried, with the delay chosen. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** Calls `fn` until it succeeds, a failure is not retryable, or `attempts` are used; waits {@link backoffDelay} between. */
export async function retry<T>(fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  const {
    attempts,
    retryable = isTransientChainError,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    onRetry,
  } = options;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt + 1 >= attempts || !retryable(error)) throw error;
      const delay = backoffDelay(attempt, { ...options, retryAfterMs: retryAfterMs(error) });
      onRetry?.(error, attempt, delay);
      await sleep(delay);
    }
  }
}

/** `(key, obj, msg)`: logs like `log.warn(obj, msg)`, at most once per interval for each key. */
export type ThrottledLog = (key: string, obj: object, msg: string) => void;

/**
 * A warning log that stays readable in an outage: the first occurrence of a `key` is logged at once;
 * repeats within `intervalMs` of the last line logged for it are only counted, and the next repeat
 * after that logs again with `count`, the number of repeats left out since the previous line.
 */
export function createThrottledLog(
  log: { warn(obj: object, msg: string): void },
  intervalMs: number,
  now: () => number = Date.now,
): ThrottledLog {
  const keys = new Map<string, { at: number; suppressed: number }>();
  return (key, obj, msg) => {
    const t = now();
    const state = keys.get(key);
    if (state && t - state.at < intervalMs) {
      state.suppressed++;
      return;
    }
    log.warn(state && state.suppressed > 0 ? { ...obj, count: state.suppressed } : obj, msg);
    keys.set(key, { at: t, suppressed: 0 });
    if (keys.size > 1000) keys.delete(keys.keys().next().value!); // unbounded keys would be a leak
  };
}
