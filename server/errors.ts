/**
 * The domain error of the issuer service (`server/issuance/`): what the service refuses on purpose, as a
 * {@link BaseError} with a stable code and no HTTP status (the HTTP layer maps codes to statuses in
 * `server/api/errors.ts`; the CLI and the pipeline branch on the same codes).
 *
 * Messages name the certificate, type or issuer concerned. They never contain personal data, a claim
 * code or an API key.
 *
 * Codes are only ever added: a published code is never renamed, reused or given a different meaning.
 */
import { BaseError, type BaseErrorOptions } from "../core/base-error.ts";

/** Every code a {@link ServiceError} can carry. Only ever add to this list. */
export const SERVICE_ERROR_CODES = [
  /** No such certificate for this issuer (another issuer's is not revealed), or no certificate has this claim code. */
  "NOT_FOUND",
  /** The certificate's PDF or credential is asked for before its batch is anchored (or after it failed). */
  "NOT_ISSUED",
  /** The certificate's status does not allow the change (revoke a revoked one, renew a pending one ...). */
  "INVALID_STATUS",
  /** The certificate type is issued by another department than the caller's. */
  "WRONG_ISSUER",
  /** No certificate type has this id. */
  "UNKNOWN_TYPE",
  /** What would be stored is not its holder's (a credential or PDF of another row): nothing was stored. */
  "INTEGRITY",
  /** No signing identity is configured for the issuer (a deployment error). */
  "NO_IDENTITY",
  /** An officer tried to release or approve their own request: another officer must (maker-checker). */
  "SELF_APPROVAL",
  /** The upload or change request was decided already (or never needed approval). */
  "NOT_AWAITING_APPROVAL",
] as const;

export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

/**
 * Error of the issuance service.
 *
 * @example
 * ```ts
 * throw new ServiceError("NOT_ISSUED", `Certificate ${row.id} is pending`);
 * ```
 */
export class ServiceError extends BaseError<ServiceErrorCode> {
  override name = "ServiceError";

  constructor(code: ServiceErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * Whether `error` is a {@link ServiceError}, optionally with the given code.
 *
 * @example if (isServiceError(e, "NOT_FOUND")) return undefined;
 */
export function isServiceError(error: unknown, code?: ServiceErrorCode): error is ServiceError {
  return error instanceof ServiceError && (code === undefined || error.code === code);
}
