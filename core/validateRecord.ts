import type { CertificateRecord } from "./credential.ts";
import type { ValidationIssue } from "./errors.ts";
import { EMAIL_COLUMN, getCertificateType } from "./types/index.ts";
import { quote, validateRow } from "./validateRow.ts";

export type ValidateRecordOptions = {
  /**
   * The row number to put in issues. For the n-th element (0-based) of a JSON array (`POST /batches`
   * with JSON rows) the issuer service passes n + 1: the 1-based index of the element, which is also the
   * `row` of the certificate it becomes. Default 1.
   */
  row?: number;
};

export type ValidateRecordResult = {
  /** The validated certificate, when there is no issue. */
  record?: CertificateRecord;
  /**
   * The optional contact address (the `email` field), when the record is valid and gives one: beside the
   * record, never in it (so never in the credential or the search fields). `""` or `null` is none.
   */
  email?: string;
  /** Every problem found; `column` is the JSON field name (`null` when the input is not an object). */
  errors: ValidationIssue[];
};

/**
 * Validates one certificate given as JSON (the body of `POST /certificates`, or one element of a JSON
 * batch): an object whose fields are the type's CSV column names. Values are strings as in a CSV cell;
 * an integer column also takes a JSON number, a list column also takes an array of strings. A missing
 * field, `null` and `""` are all "empty". The same checks and messages (in both languages) as
 * `validateCsv`. Every record may also have the contact field `email`, returned as `email`.
 *
 * @param typeId a certificate type id, e.g. `fsd-fsi-contractor`.
 * @param input the parsed JSON.
 * @returns the record, or the errors (one per bad field, and one per field the type does not define).
 * @throws CoreError `UNKNOWN_TYPE` when `typeId` is not a known type.
 *
 * @example
 * ```ts
 * const { record, errors } = validateRecord("fsd-fsi-contractor", {
 *   registration_number: "FSIC/6421/001", contractor_en: "Aberdeen Boatyard Co.", contractor_zh: "香港仔船廠",
 *   classes: ["1", "2"], valid_from: "2026-10-28", valid_until: "2029-10-28",
 * });
 * if (errors.length) return res.status(400).json({ errors });
 * const { credential, digest } = createCredential({ record: record! });
 * ```
 */
export function validateRecord(
  typeId: string,
  input: unknown,
  options: ValidateRecordOptions = {},
): ValidateRecordResult {
  const schema = getCertificateType(typeId);
  const row = options.row ?? 1;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return {
      errors: [
        {
          row,
          column: null,
          code: "NOT_AN_OBJECT",
          message: {
            en: `A ${typeId} certificate must be a JSON object`,
            "zh-HK": `${typeId} 證書必須是 JSON 物件。`,
          },
        },
      ],
    };
  }
  const fields = input as Record<string, unknown>;
  const known = new Set(schema.columns.map((c) => c.column));
  if (schema.validity.kind === "period") {
    known.add(schema.validity.validFrom.column);
    known.add(schema.validity.validUntil.column);
  }
  const errors: ValidationIssue[] = [];
  const unknown = Object.keys(fields).filter((key) => !known.has(key) && key !== EMAIL_COLUMN);
  const result = validateRow(schema, row, (column) => (Object.hasOwn(fields, column) ? fields[column] : undefined));
  errors.push(...result.issues);
  for (const key of unknown.slice(0, 20)) {
    errors.push({
      row,
      column: quote(key).slice(1, -1),
      code: "UNKNOWN_FIELD",
      message: {
        en: `${quote(key)} is not a field of ${typeId}; the fields are ${[...known].join(", ")} (and, if wanted, ${EMAIL_COLUMN})`,
        "zh-HK": `${quote(key)} 不是 ${typeId} 的欄位；欄位為 ${[...known].join("、")}（如有需要，另加 ${EMAIL_COLUMN}）。`,
      },
    });
  }
  if (errors.length > 0) return { errors };
  return { record: result.record, ...(result.email !== undefined ? { email: result.email } : {}), errors };
}
