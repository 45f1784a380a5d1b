/**
 * The error class of `core/`. Every failure the core reports on purpose is a {@link CoreError} (a
 * {@link BaseError}, see `core/base-error.ts`) with a stable string {@link CoreError.code}; callers branch
 * on the code, never on the message.
 *
 * Codes are only ever added: a published code is never renamed, reused or given a different meaning
 * (the same rule as OpenAttestation's `src/types/error.ts`).
 *
 * Row-level problems in uploaded data (a bad CSV cell, a bad JSON field) are not thrown: they are returned
 * as {@link ValidationIssue}s by `validateCsv` / `validateRecord`, so one bad row never stops the others.
 *
 * @example
 * ```ts
 * try {
 *   computeCredentialDigest(vc);
 * } catch (e) {
 *   if (isCoreError(e, "MALFORMED")) return { status: "INVALID", reasons: ["MALFORMED"] };
 *   throw e;
 * }
 * ```
 */
import { BaseError, type BaseErrorOptions } from "./base-error.ts";

export { BaseError, findError, isBaseError, walkCauses, type BaseErrorOptions } from "./base-error.ts";

/** Every code a {@link CoreError} can carry. Only ever add to this list. */
export const CORE_ERROR_CODES = [
  /** A credential or proof does not have the required shape (missing salt, bad hex, unexpected claim ...). */
  "MALFORMED",
  /** A certificate type id that no schema in `core/types/` defines. */
  "UNKNOWN_TYPE",
  /** `hideClaims` was asked to hide a claim the rules say must stay disclosed. */
  "NOT_HIDEABLE",
  /** `hideClaims` was given a pointer that addresses no claim of the credential. */
  "UNKNOWN_CLAIM",
  /** A function was called with an argument outside its contract (empty leaf list, index out of range ...). */
  "INVALID_ARGUMENT",
  /** A Merkle proof does not lead from the credential digest to the root. */
  "INVALID_PROOF",
  /** `createCredential` was given a record that does not satisfy its type's schema. */
  "INVALID_RECORD",
  /** A certificate type schema in `core/types/` is inconsistent (a programming error, caught at load). */
  "INVALID_SCHEMA",
] as const;

export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

export type CoreErrorOptions = BaseErrorOptions;

/**
 * Base error of the credential core: a {@link BaseError} with a {@link CoreErrorCode}.
 *
 * @example
 * ```ts
 * throw new CoreError("MALFORMED", "Claim /credentialSubject/name/en has no salt", {
 *   details: { pointer: "/credentialSubject/name/en" },
 * });
 * ```
 */
export class CoreError extends BaseError<CoreErrorCode> {
  override name = "CoreError";
}

/**
 * Whether `error` is a {@link CoreError}, optionally with the given code.
 *
 * @example
 * ```ts
 * if (isCoreError(e, "UNKNOWN_TYPE")) res.status(400);
 * ```
 */
export function isCoreError(error: unknown, code?: CoreErrorCode): error is CoreError {
  return error instanceof CoreError && (code === undefined || error.code === code);
}

/**
 * Every code a {@link ValidationIssue} or a file-level refusal can carry. Only ever add to this list.
 * File level: the whole upload is refused. Row / cell level: only that row is refused.
 */
export const VALIDATION_ISSUE_CODES = [
  // File level (`validateCsv(...).fileError`).
  "FILE_TOO_LARGE", // more bytes than allowed
  "EMPTY_FILE", // no header line
  "NOT_UTF8", // bytes are not UTF-8 (the message says when they look like Big5 or UTF-16)
  "CSV_SYNTAX", // unbalanced quotes and the like; names the line
  "MISSING_COLUMNS", // names every missing column
  "UNKNOWN_COLUMNS", // names every column the type does not define
  "DUPLICATE_COLUMNS", // a column name appears twice in the header
  "NO_ROWS", // a header and nothing else
  "TOO_MANY_ROWS", // more rows than allowed
  // Row level (`column` is null).
  "COLUMN_COUNT", // the row has more or fewer cells than the header
  "NOT_AN_OBJECT", // a JSON record that is not an object
  // Cell / field level.
  "REQUIRED", // empty required field
  "TOO_LONG", // longer than the column's maxLength (the value is not repeated)
  "FORMULA", // starts with = + - @ tab or CR: a spreadsheet formula (the value is not repeated)
  "FORBIDDEN_CHARACTER", // control, bidirectional-override or other invisible formatting character
  "NOT_IN_ENUM", // not one of the allowed values (listed in the message)
  "ENUM_CASE", // an allowed value in the wrong letter case: values are case-sensitive
  "INVALID_DATE", // not YYYY-MM-DD, or no such day
  "NOT_INTEGER", // not a whole number
  "OUT_OF_RANGE", // a number outside [min, max]
  "INVALID_FORMAT", // does not match the column's pattern (the message describes the pattern)
  "FULL_HKID", // a complete HKID number where only a partial one may appear (the value is never repeated)
  "DUPLICATE_KEY", // the key column repeats an earlier row (named in the message)
  "DUPLICATE_ITEM", // a list repeats an item
  "TOO_MANY_ITEMS", // a list longer than allowed
  "WRONG_TYPE", // a JSON field of the wrong JSON type
  "UNKNOWN_FIELD", // a JSON field the type does not define
  "RESULT_MISMATCH", // cross-field: a result that disagrees with the score
  "DATE_ORDER", // cross-field: valid_from is not before valid_until
  // Against the issuer's database (the issuer service, not the core's validation).
  "DUPLICATE_CERTIFICATE", // the certificate number is live already (the message names that certificate)
  "TOO_LARGE_FOR_QR", // the row's values, once in a credential, would not fit in one QR code
  // Contact data beside the certificate (never in the credential).
  "INVALID_EMAIL", // the optional `email` column is not one e-mail address
] as const;

export type ValidationIssueCode = (typeof VALIDATION_ISSUE_CODES)[number];

/** A message in English and Traditional Chinese (Hong Kong): every validation message has both. */
export type ValidationMessage = { en: string; "zh-HK": string };

/**
 * One problem found in input data: a CSV cell, a CSV row, or a field of a JSON record.
 *
 * `row` is the row as a spreadsheet shows it for a CSV upload (the header is row 1, the first data row
 * row 2; blank rows are counted), and for JSON the `row` the caller passed (the issuer service passes the
 * 1-based index of the element in the array; default 1). `column` is the CSV column / JSON field name, or
 * `null` when the problem concerns the whole row; `columnLabel` is that column's label in both languages
 * when the column is one the type (or the optional `email` column) defines. `code` is for programs;
 * `message` is for people, in both languages, and names the column by its label with its name in
 * brackets (`Use of Chinese (uc_result) must be one of ...`, `中文運用（uc_result）必須是...`).
 * Problems with the whole file are not issues: see `validateCsv(...).fileError`.
 * Messages never repeat personal data that must not be stored (a full HKID, an e-mail address) or very
 * long values.
 */
export type ValidationIssue = {
  row: number;
  column: string | null;
  columnLabel?: ValidationMessage;
  code: ValidationIssueCode;
  message: ValidationMessage;
};
