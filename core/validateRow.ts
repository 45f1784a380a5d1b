/**
 * Row validation shared by `validateCsv` (cells are strings) and `validateRecord` (JSON values).
 * Internal to `core/`: use those two.
 *
 * Every cell goes through the same steps, and the first failure is its one error:
 * 1. formula check: a value starting with `=`, `+`, `-`, `@`, tab or CR (before or after trimming) is
 *    refused, as a spreadsheet would run it (CSV injection); the value is not repeated;
 * 2. NFC normalisation and trimming (an empty result is an error if the column is required, and leaves
 *    the claim out otherwise);
 * 3. forbidden characters: C0 and C1 controls (including line breaks and tabs), DEL, bidirectional
 *    controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), line / paragraph separators,
 *    a byte-order mark or lone surrogate inside the text;
 * 4. a full HKID number, in the partial-HKID column or inside any other text (the value is never
 *    repeated);
 * 5. length in code points against the column's `maxLength` (the value is not repeated);
 * 6. the column kind: text pattern, date, enum (case-sensitive), integer range, list items,
 *    partial-HKID form.
 * Then the row's cross-field rules (the schema's `check`, and `valid_from` before `valid_until`).
 */
import type { CertificateRecord, CredentialSubject, JsonValue } from "./credential.ts";
import type { ValidationIssue, ValidationIssueCode } from "./errors.ts";
import { pathTokens } from "./types/index.ts";
import type { CellValue, CertificateTypeSchema, ColumnSchema, LocalizedText } from "./types/index.ts";

/** A cell as received: a CSV string, or a JSON value; `undefined` when absent. */
export type RawCell = unknown;

type CellOutcome = { value?: CellValue; issue?: { code: ValidationIssueCode; message: string } };

/** The checks of one date column, including the validity columns that have no schema column. */
type DateLike = { column: string; kind: "date"; required: true; maxLength: number; label: LocalizedText };

const FORMULA_START = /^[=+\-@\t\r]/;

/** Characters never accepted in any cell (see the module comment). */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const FORBIDDEN_NAMES: Record<string, string> = {
  "\t": "a tab",
  "\n": "a line break",
  "\r": "a line break",
  "\u061c": "an Arabic letter mark (U+061C)",
  "\u200b": "a zero-width space (U+200B)",
  "\u200c": "a zero-width non-joiner (U+200C)",
  "\u200d": "a zero-width joiner (U+200D)",
  "\u200e": "a left-to-right mark (U+200E)",
  "\u200f": "a right-to-left mark (U+200F)",
  "\u2028": "a line separator (U+2028)",
  "\u2029": "a paragraph separator (U+2029)",
  "\u202a": "a left-to-right embedding (U+202A)",
  "\u202b": "a right-to-left embedding (U+202B)",
  "\u202c": "a pop directional formatting (U+202C)",
  "\u202d": "a left-to-right override (U+202D)",
  "\u202e": "a right-to-left override (U+202E)",
  "\u2066": "a left-to-right isolate (U+2066)",
  "\u2067": "a right-to-left isolate (U+2067)",
  "\u2068": "a first strong isolate (U+2068)",
  "\u2069": "a pop directional isolate (U+2069)",
  "\u2060": "a word joiner (U+2060)",
  "\ufeff": "a byte-order mark (U+FEFF)",
};

function describeForbidden(char: string): string {
  const named = FORBIDDEN_NAMES[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return "a lone UTF-16 surrogate";
  return `a control character (U+${code.toString(16).toUpperCase().padStart(4, "0")})`;
}

/**
 * A full HKID: 1-2 letters, 6 digits, check digit (0-9 or A), optionally in brackets; white space may
 * follow the letters (`A 123456 (7)`: found by test/core/fuzz, it was not recognised and was repeated in
 * other columns' messages).
 */
const FULL_HKID_CELL = /^[A-Z]{1,2}\s*[0-9]{6}\s*(\(\s*[0-9A]\s*\)|[0-9A])$/i;
/** A full HKID written with its bracketed check digit anywhere inside a longer text. */
const FULL_HKID_INSIDE = /(?<![A-Z0-9])[A-Z]{1,2}\s*[0-9]{6}\s*\(\s*[0-9A]\s*\)/i;
/** The only accepted partial form: 1-2 letters, 3 digits, `***(*)`. */
const PARTIAL_HKID = /^[A-Z]{1,2}[0-9]{3}\*{3}\(\*\)$/;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** A short, safe rendering of a user value for a message: quoted, escaped, at most 40 code points. */
export function quote(value: string): string {
  const chars = [...value];
  const shown = chars.length > 40 ? chars.slice(0, 40).join("") + "…" : value;
  return JSON.stringify(shown).replace(
    new RegExp(FORBIDDEN.source, "g"),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function oneOf(values: readonly string[]): string {
  return values.join(", ");
}

/** Steps 1-5 for one string; returns the cleaned text or an issue. */
function cleanText(
  column: string,
  raw: string,
  maxLength: number,
  hkidColumn: boolean,
): { text: string } | { issue: { code: ValidationIssueCode; message: string } } {
  // Cheap bound before normalising: NFC never shrinks text below a quarter of its UTF-16 length.
  if (raw.length > maxLength * 4 + 64) {
    return {
      issue: {
        code: "TOO_LONG",
        message: `${column} is ${codePointLength(raw)} characters long; at most ${maxLength} are allowed`,
      },
    };
  }
  if (FORMULA_START.test(raw) || FORMULA_START.test(raw.trim())) {
    return {
      issue: {
        code: "FORMULA",
        message: `${column} starts with =, +, -, @, a tab or a carriage return, which a spreadsheet would treat as a formula; remove that first character`,
      },
    };
  }
  const text = raw.normalize("NFC").trim();
  const forbidden = FORBIDDEN.exec(text);
  if (forbidden) {
    return {
      issue: {
        code: "FORBIDDEN_CHARACTER",
        message: `${column} contains ${describeForbidden(forbidden[0])}, an invisible character that can make text display differently from what it is; remove it`,
      },
    };
  }
  if (hkidColumn && (FULL_HKID_CELL.test(text) || FULL_HKID_INSIDE.test(text))) {
    return {
      issue: {
        code: "FULL_HKID",
        message: `${column} holds a full HKID number, which must never be uploaded; give only the first letter(s) and three digits, e.g. A123***(*). The value was not stored`,
      },
    };
  }
  // A whole cell that is a full HKID (`A1234567`) in another column too: otherwise a message such as
  // INVALID_DATE's "(got ...)" would repeat it (found by test/core/fuzz).
  if (FULL_HKID_INSIDE.test(text) || FULL_HKID_CELL.test(text)) {
    return {
      issue: {
        code: "FULL_HKID",
        message: `${column} appears to contain a full HKID number, which must never be uploaded; the value was not stored`,
      },
    };
  }
  const length = codePointLength(text);
  if (length > maxLength) {
    return {
      issue: { code: "TOO_LONG", message: `${column} is ${length} characters long; at most ${maxLength} are allowed` },
    };
  }
  return { text };
}

function checkEnum(column: string, text: string, values: readonly string[]): CellOutcome {
  if (values.includes(text)) return { value: text };
  const caseInsensitive = values.find((v) => v.toLowerCase() === text.toLowerCase());
  if (caseInsensitive !== undefined) {
    return {
      issue: {
        code: "ENUM_CASE",
        message: `${column} must be one of ${oneOf(values)}; values are case-sensitive, so write ${quote(caseInsensitive)}, not ${quote(text)}`,
      },
    };
  }
  return { issue: { code: "NOT_IN_ENUM", message: `${column} must be one of ${oneOf(values)} (got ${quote(text)})` } };
}

function checkDate(column: string, text: string): CellOutcome {
  const m = DATE.exec(text);
  if (!m) {
    return {
      issue: {
        code: "INVALID_DATE",
        message: `${column} must be a date written YYYY-MM-DD, e.g. 2026-09-12 (got ${quote(text)})`,
      },
    };
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12)
    return {
      issue: { code: "INVALID_DATE", message: `${column} ${text} is not a real date: there is no month ${m[2]}` },
    };
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    return {
      issue: {
        code: "INVALID_DATE",
        message: `${column} ${text} is not a real date: ${MONTHS[month - 1]} ${year} has ${last} days`,
      },
    };
  }
  if (year < 1900 || year > 2199)
    return { issue: { code: "INVALID_DATE", message: `${column} ${text} is outside the years 1900 to 2199` } };
  return { value: text };
}

function checkText(column: ColumnSchema & { kind: "text" }, text: string): CellOutcome {
  if (column.pattern !== undefined && !new RegExp(`^(?:${column.pattern})$`, "u").test(text)) {
    return {
      issue: {
        code: "INVALID_FORMAT",
        message: `${column.column} must be ${column.patternHint ?? `in the form ${column.pattern}`} (got ${quote(text)})`,
      },
    };
  }
  return { value: text };
}

function checkInteger(column: ColumnSchema & { kind: "integer" }, raw: unknown, text: string | undefined): CellOutcome {
  let n: number;
  if (typeof raw === "number") {
    n = raw;
    if (!Number.isSafeInteger(n))
      return { issue: { code: "NOT_INTEGER", message: `${column.column} must be a whole number` } };
  } else {
    if (text === undefined || !/^[0-9]{1,15}$/.test(text)) {
      return {
        issue: { code: "NOT_INTEGER", message: `${column.column} must be a whole number (got ${quote(text ?? "")})` },
      };
    }
    n = Number(text);
  }
  if (n < column.min || n > column.max) {
    return {
      issue: {
        code: "OUT_OF_RANGE",
        message: `${column.column} must be between ${column.min} and ${column.max} (got ${n})`,
      },
    };
  }
  return { value: n };
}

function checkList(column: ColumnSchema & { kind: "list" }, items: string[]): CellOutcome {
  const outcome = checkListItems(column, items);
  if (Array.isArray(outcome.value) && outcome.value.length === 0)
    return column.required ? requiredIssue(column.column) : {};
  return outcome;
}

function checkListItems(column: ColumnSchema & { kind: "list" }, items: string[]): CellOutcome {
  const out: string[] = [];
  for (const rawItem of items) {
    const item = rawItem.trim();
    if (item === "") continue; // "1;2;" and "1;;2" are read as 1 and 2
    const { item: spec } = column;
    if (spec.kind === "text") {
      const length = codePointLength(item);
      if (length > spec.maxLength) {
        return {
          issue: {
            code: "TOO_LONG",
            message: `An item of ${column.column} is ${length} characters long; at most ${spec.maxLength} are allowed`,
          },
        };
      }
    } else {
      const outcome = checkEnum(column.column, item, spec.values);
      if (outcome.issue)
        return { issue: { code: outcome.issue.code, message: `Each item of ${outcome.issue.message}` } };
    }
    if (column.unique && out.includes(item)) {
      return { issue: { code: "DUPLICATE_ITEM", message: `${column.column} lists ${quote(item)} twice` } };
    }
    out.push(item);
  }
  if (out.length > column.maxItems) {
    return {
      issue: {
        code: "TOO_MANY_ITEMS",
        message: `${column.column} has ${out.length} items; at most ${column.maxItems} are allowed`,
      },
    };
  }
  return { value: out };
}

function requiredIssue(column: string): CellOutcome {
  return { issue: { code: "REQUIRED", message: `${column} is required but empty` } };
}

/** Validates one cell. `undefined` value and no issue: an empty optional cell. */
function validateCell(column: ColumnSchema | DateLike, raw: RawCell): CellOutcome {
  const name = column.column;
  if (raw === undefined || raw === null) return column.required ? requiredIssue(name) : {};

  // JSON-only shapes: numbers for integers, arrays for lists.
  if (typeof raw === "number" && column.kind === "integer") return checkInteger(column, raw, undefined);
  if (Array.isArray(raw) && column.kind === "list") {
    if (!raw.every((x) => typeof x === "string"))
      return { issue: { code: "WRONG_TYPE", message: `${name} must be a list of strings` } };
    const cleaned: string[] = [];
    for (const item of raw as string[]) {
      const c = cleanText(name, item, column.maxLength, false);
      if ("issue" in c) return c;
      cleaned.push(c.text);
    }
    // The same total as the CSV cell the items would make, so that JSON cannot carry more than a file.
    const total = codePointLength(cleaned.join(column.separator));
    if (total > column.maxLength) {
      return {
        issue: {
          code: "TOO_LONG",
          message: `${name} adds up to ${total} characters (its items joined by "${column.separator}"); at most ${column.maxLength} are allowed`,
        },
      };
    }
    return checkList(column, cleaned);
  }
  if (typeof raw !== "string") {
    const expected =
      column.kind === "integer"
        ? "a whole number"
        : column.kind === "list"
          ? "a list of strings or a string"
          : "a string";
    return { issue: { code: "WRONG_TYPE", message: `${name} must be ${expected}` } };
  }

  const hkidColumn = column.kind === "partial-hkid";
  // Free text is held to its maxLength; a date, enum or number that is too long is better reported by
  // its own check ("must be one of L2, L1, Fail"), which quotes at most 40 characters of it.
  const lengthLimit =
    column.kind === "text" || column.kind === "list" ? column.maxLength : Math.max(column.maxLength, 100);
  const cleaned = cleanText(name, raw, lengthLimit, hkidColumn);
  if ("issue" in cleaned) return cleaned;
  const { text } = cleaned;
  if (text === "") return column.required ? requiredIssue(name) : {};

  switch (column.kind) {
    case "text":
      return checkText(column, text);
    case "date":
      return checkDate(name, text);
    case "enum":
      return checkEnum(name, text, column.values);
    case "integer":
      return checkInteger(column, raw, text);
    case "list":
      return checkList(column, text.split(column.separator));
    case "partial-hkid":
      // The value is not repeated: a malformed partial HKID may still be more of a real HKID than allowed.
      if (!PARTIAL_HKID.test(text)) {
        return {
          issue: {
            code: "INVALID_FORMAT",
            message: `${name} must be one or two capital letters, three digits and ***(*), e.g. A123***(*)`,
          },
        };
      }
      return { value: text };
  }
}

/** Sets `value` at `path` (a JSON pointer) inside `target`, creating objects on the way. */
function setAtPath(target: Record<string, JsonValue>, path: string, value: JsonValue): void {
  const tokens = pathTokens(path);
  let node = target;
  for (const token of tokens.slice(0, -1)) {
    if (!Object.hasOwn(node, token)) node[token] = {};
    node = node[token] as Record<string, JsonValue>;
  }
  node[tokens[tokens.length - 1]] = value;
}

/** Hong Kong time: the start of a day and its last second. */
export function startOfDayHongKong(date: string): string {
  return `${date}T00:00:00+08:00`;
}
export function endOfDayHongKong(date: string): string {
  return `${date}T23:59:59+08:00`;
}

export type ValidateRowResult = {
  /** The record, when the row has no issue. */
  record?: CertificateRecord;
  issues: ValidationIssue[];
  /** The row's key (candidate / licence / registration number) when that cell is valid. */
  key?: string;
};

/**
 * Validates one row. `cell(column)` returns the raw value of a column (`undefined` when absent).
 */
export function validateRow(
  schema: CertificateTypeSchema,
  row: number,
  cell: (column: string) => RawCell,
): ValidateRowResult {
  const issues: ValidationIssue[] = [];
  const values: Record<string, CellValue> = {};
  const columns: (ColumnSchema | DateLike)[] = [...schema.columns];
  if (schema.validity.kind === "period") {
    for (const v of [schema.validity.validFrom, schema.validity.validUntil]) {
      columns.push({ column: v.column, kind: "date", required: true, maxLength: 10, label: v.label });
    }
  }
  for (const column of columns) {
    const outcome = validateCell(column, cell(column.column));
    if (outcome.issue) issues.push({ row, column: column.column, ...outcome.issue });
    else if (outcome.value !== undefined) values[column.column] = outcome.value;
  }
  const keyValue = values[schema.keyColumn];
  const key = typeof keyValue === "string" ? keyValue : undefined;

  // Cross-field rules, on the cells that are individually valid.
  for (const issue of schema.check?.(values) ?? []) issues.push({ row, ...issue });
  let validFrom: string | undefined;
  let validUntil: string | undefined;
  if (schema.validity.kind === "period") {
    const from = values[schema.validity.validFrom.column];
    const until = values[schema.validity.validUntil.column];
    if (typeof from === "string" && typeof until === "string") {
      if (from >= until) {
        issues.push({
          row,
          column: schema.validity.validUntil.column,
          code: "DATE_ORDER",
          message: `${schema.validity.validUntil.column} (${until}) must be after ${schema.validity.validFrom.column} (${from})`,
        });
      }
      validFrom = startOfDayHongKong(from);
      validUntil = endOfDayHongKong(until);
    }
  }
  if (issues.length > 0) return { issues, key };

  const subject: Record<string, JsonValue> = { type: schema.id, certificateNumber: "" };
  for (const column of schema.columns) {
    const value = values[column.column];
    if (value !== undefined) setAtPath(subject, column.path, value as JsonValue);
  }
  if (schema.certificateNumber) subject.certificateNumber = schema.certificateNumber.derive(values);
  const record: CertificateRecord = { subject: subject as CredentialSubject };
  if (validFrom !== undefined) {
    record.validFrom = validFrom;
    record.validUntil = validUntil;
  }
  return { record, issues, key };
}
