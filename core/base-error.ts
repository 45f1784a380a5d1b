/**
 * The one base error of the project (modelled on viem's `BaseError`): every failure reported on purpose,
 * in the core, the issuer service or the tools, is a {@link BaseError} with
 *
 * - a stable string `code` (callers branch on it, never on the message; each subclass lists its codes in
 *   a `..._CODES` array, and codes are only ever added: never renamed, reused or given a new meaning),
 * - a short `message` (never personal data, a secret or a key),
 * - machine-readable `details` (a JSON pointer, a column, a registry error's name ...), and
 * - the `cause` it was built from, if any (walked by {@link BaseError.walk} and {@link findError}).
 *
 * No HTTP status here: the HTTP layer maps codes to statuses (`server/api/errors.ts`).
 *
 * @example
 * ```ts
 * class WidgetError extends BaseError<"BROKEN" | "MISSING"> {
 *   override name = "WidgetError";
 * }
 * throw new WidgetError("BROKEN", "The widget is broken", { details: { widget: 3 }, cause: e });
 * ```
 */

export type BaseErrorOptions = {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Machine-readable context; never personal data. */
  details?: Record<string, unknown>;
};

export class BaseError<Code extends string = string> extends Error {
  override name = "BaseError";
  /** Stable, machine-readable code. */
  readonly code: Code;
  /** Machine-readable context; never personal data. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: Code, message: string, options: BaseErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  /**
   * This error, then its causes in turn: the first for which `predicate` holds (without a predicate, the
   * deepest cause). Like viem's `BaseError.walk`.
   *
   * @example err.walk((e) => e instanceof StoreError)
   */
  walk(predicate?: (error: unknown) => boolean): unknown {
    return walkCauses(this, predicate);
  }
}

/**
 * Whether `error` is a {@link BaseError}, optionally with the given code.
 *
 * @example if (isBaseError(e, "NOT_FOUND")) ...
 */
export function isBaseError(error: unknown, code?: string): error is BaseError {
  return error instanceof BaseError && (code === undefined || error.code === code);
}

/**
 * `error` or the first error of its `cause` chain for which `predicate` holds (undefined if none); at
 * most 8 levels deep. Without a predicate, the deepest cause.
 */
export function walkCauses(error: unknown, predicate?: (error: unknown) => boolean): unknown {
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    if (predicate?.(e)) return e;
    const next = (e as { cause?: unknown }).cause;
    if (next === undefined || next === null) return predicate ? undefined : e;
    e = next;
  }
  return predicate ? undefined : e;
}

/**
 * The first error of `error`'s cause chain (itself included) that is an instance of `type`.
 *
 * @example const store = findError(e, StoreError); if (store?.code === "BUSY") ...
 */
export function findError<T>(error: unknown, type: abstract new (...args: never[]) => T): T | undefined {
  return walkCauses(error, (e) => e instanceof type) as T | undefined;
}
