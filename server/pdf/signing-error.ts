/**
 * The error of PDF signing and of loading the department's signing identity. Every failure reported on
 * purpose is a {@link PdfSigningError} with a stable {@link PdfSigningError.code}; callers branch on the
 * code, never on the message.
 *
 * Messages name the file and what is wrong with it. They never contain key material, passwords or the
 * bytes of the PDF being signed.
 *
 * Codes are only ever added: a published code is never renamed, reused or given a different meaning.
 */

import { BaseError } from "../../core/base-error.ts";

/** Every code a {@link PdfSigningError} can carry. Only ever add to this list. */
export const PDF_SIGNING_ERROR_CODES = [
  /** A certificate, key or PKCS#12 file cannot be read (missing, permissions, a directory ...). */
  "FILE_UNREADABLE",
  /** The certificate file (or a chain file) holds no X.509 certificate, or a damaged one. */
  "NOT_A_CERTIFICATE",
  /** The key file holds no private key in a supported form (PKCS#8, PKCS#1 or SEC1; PEM or DER). */
  "NOT_A_PRIVATE_KEY",
  /** The PKCS#12 password (or the password of an encrypted PEM key) is wrong. */
  "WRONG_PASSWORD",
  /** The private key is not the key of the certificate. */
  "KEY_MISMATCH",
  /** The signing certificate's validity ended before now. */
  "CERTIFICATE_EXPIRED",
  /** The signing certificate's validity starts after now. */
  "CERTIFICATE_NOT_YET_VALID",
  /** A key type PAdES signing here does not support (only RSA with PKCS#1 v1.5 and ECDSA are). */
  "UNSUPPORTED_KEY",
  /** A PKCS#12 file that is well formed but uses a feature this loader does not implement (named). */
  "UNSUPPORTED_PKCS12",
  /** A PKCS#12 file that is not well formed, or holds no key or no certificate for it. */
  "MALFORMED_PKCS12",
  /** The PDF has no unfilled signature placeholder (see `server/pdf/pades.ts`). */
  "NO_PLACEHOLDER",
  /** The PDF has more than one unfilled signature placeholder. */
  "MULTIPLE_PLACEHOLDERS",
  /** The signature dictionary does not follow the placeholder contract (named in the message). */
  "MALFORMED_PLACEHOLDER",
  /** The /Contents placeholder is too small for the CMS signature (sizes in the message). */
  "PLACEHOLDER_TOO_SMALL",
  /**
   * PEM certificate and chain files whose chain stops short of a self-signed root: the issuer of its last
   * certificate is not given, or the certificate given under its name does not verify its signature.
   */
  "INCOMPLETE_CHAIN",
  /**
   * PEM chain files holding a certificate that is not on the signing certificate's chain (a stray root, a
   * cross-certificate): every signature would carry it, and verifiers refuse such a signature.
   */
  "CERTIFICATE_NOT_ON_CHAIN",
] as const;

export type PdfSigningErrorCode = (typeof PDF_SIGNING_ERROR_CODES)[number];

export type PdfSigningErrorOptions = {
  /** The underlying error, if any. Never an error whose message could carry secrets. */
  cause?: unknown;
  /** The file the error is about, if any. */
  file?: string;
  /** More machine-readable context (never key material), beside `file`. */
  details?: Record<string, unknown>;
};

/**
 * Error of `loadSigningIdentity` and of a PAdES signer.
 *
 * @example
 * ```ts
 * try {
 *   identity = await loadSigningIdentity({ p12File, p12Password });
 * } catch (e) {
 *   if (isPdfSigningError(e, "WRONG_PASSWORD")) fail(`PADES_P12_PASSWORD is wrong for ${e.file}`);
 *   throw e;
 * }
 * ```
 */
export class PdfSigningError extends BaseError<PdfSigningErrorCode> {
  override name = "PdfSigningError";
  /** The file the error is about, if any (also `details.file`). */
  readonly file: string | undefined;

  constructor(code: PdfSigningErrorCode, message: string, options: PdfSigningErrorOptions = {}) {
    const details = options.file === undefined ? options.details : { ...options.details, file: options.file };
    super(code, message, { cause: options.cause, details });
    this.file = options.file;
  }
}

/**
 * Whether `error` is a {@link PdfSigningError}, optionally with the given code.
 *
 * @example
 * if (isPdfSigningError(e, "PLACEHOLDER_TOO_SMALL")) renderWithLargerPlaceholder();
 */
export function isPdfSigningError(error: unknown, code?: PdfSigningErrorCode): error is PdfSigningError {
  return error instanceof PdfSigningError && (code === undefined || error.code === code);
}
