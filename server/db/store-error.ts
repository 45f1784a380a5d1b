/**
 * The error of the issuer service's persistence (`server/db/`). Every failure a {@link Store} reports on
 * purpose is a {@link StoreError} with a stable {@link StoreError.code}; callers branch on the code, never
 * on the message (the API maps `NOT_FOUND` to 404, `DUPLICATE` and `INVALID_STATE` to 409, and so on).
 *
 * Messages name the table, constraint or row id concerned. They never contain personal data, a claim
 * code, an API key or the password of a database URL.
 *
 * Codes are only ever added: a published code is never renamed, reused or given a different meaning.
 */

import { BaseError } from "../../core/base-error.ts";

/** Every code a {@link StoreError} can carry. Only ever add to this list. */
export const STORE_ERROR_CODES = [
  /** `DATABASE_URL` is neither a `postgres://` / `postgresql://` URL nor a file path, or it is malformed. */
  "INVALID_DATABASE_URL",
  /** The database cannot be reached or opened (refused, unknown host, authentication, missing database or file). */
  "DATABASE_UNAVAILABLE",
  /** The database holds migrations newer than this build knows: run a newer build. */
  "SCHEMA_TOO_NEW",
  /** The store (or the transaction a store handle belongs to) is closed. */
  "CLOSED",
  /** The row the call acts on (certificate, batch, operation) does not exist. */
  "NOT_FOUND",
  /** A unique key is taken: an id, a batch root, a claim code hash, an API key hash, an upload row. */
  "DUPLICATE",
  /** A reference names a row that does not exist or belongs to another issuer (foreign key). */
  "INVALID_REFERENCE",
  /** A value breaks a column's rule (status, hex format, JSON, range): a caller bug. */
  "INVALID_VALUE",
  /** The arguments contradict each other (a certificate of another issuer in an upload, a count that is off). */
  "INVALID_ARGUMENT",
  /** The state machine refuses the step (a certificate no longer pending, a batch not yet anchored ...). */
  "INVALID_STATE",
  /** A concurrent transaction got in the way (lock timeout, deadlock, serialisation): retrying may succeed. */
  "BUSY",
  /** A step was fenced by a lease (`assertLease`) that its caller no longer holds: another instance took it over. */
  "LEASE_LOST",
  /** An officer tried to approve or release their own request (maker-checker). */
  "SELF_APPROVAL",
] as const;

export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export type StoreErrorOptions = {
  /** The driver's error, if any. */
  cause?: unknown;
};

/**
 * Error of a `Store` and of `openStore`.
 *
 * @example
 * ```ts
 * try {
 *   await store.closeBatch(batch, ids);
 * } catch (e) {
 *   if (isStoreError(e, "INVALID_STATE")) return; // another instance batched them first
 *   throw e;
 * }
 * ```
 */
export class StoreError extends BaseError<StoreErrorCode> {
  override name = "StoreError";

  constructor(code: StoreErrorCode, message: string, options: StoreErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * Whether `error` is a {@link StoreError}, optionally with the given code.
 *
 * @example
 * if (isStoreError(e, "DUPLICATE")) res.status(409);
 */
export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
