import { parse } from "csv-parse/browser/esm/sync";
import type { CertificateRecord } from "./credential.ts";
import type { ValidationIssue, ValidationIssueCode } from "./errors.ts";
import { getCertificateType } from "./types/index.ts";
import { quote, validateRow } from "./validateRow.ts";

export type ValidateCsvOptions = {
  /** Largest accepted file, in bytes. Default 32 MiB. */
  maxBytes?: number;
  /** Most data rows accepted in one file. Default 100,000. */
  maxRows?: number;
};

/** A valid row, ready for `createCredential`; `row` is 1-based after the header. */
export type ValidatedCsvRow = CertificateRecord & { row: number };

/** Why the whole file was refused (no row was accepted). */
export type CsvFileError = {
  code: ValidationIssueCode;
  message: string;
  /** The missing, unknown or duplicated column names, for column problems. */
  columns?: string[];
  /** The 1-based line of the file where the problem is, when there is one. */
  line?: number;
};

export type ValidateCsvResult = {
  /** Every valid row, in file order. Valid rows are returned even when other rows fail. */
  records: ValidatedCsvRow[];
  /** Every problem, by row (1-based after the header) and column. */
  errors: ValidationIssue[];
  /** Set when the whole file is refused; `records` and `errors` are then empty. */
  fileError?: CsvFileError;
};

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_ROWS = 100_000;

/**
 * For a UTF-8 lead byte: how many continuation bytes follow and the range of the first one
 * (RFC 3629 table: this excludes overlong forms, surrogates and code points above U+10FFFF).
 */
function utf8Sequence(lead: number): { continuation: number; min: number; max: number } | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return { continuation: 1, min: 0x80, max: 0xbf };
  if (lead === 0xe0) return { continuation: 2, min: 0xa0, max: 0xbf };
  if (lead === 0xed) return { continuation: 2, min: 0x80, max: 0x9f };
  if (lead >= 0xe1 && lead <= 0xef) return { continuation: 2, min: 0x80, max: 0xbf };
  if (lead === 0xf0) return { continuation: 3, min: 0x90, max: 0xbf };
  if (lead >= 0xf1 && lead <= 0xf3) return { continuation: 3, min: 0x80, max: 0xbf };
  if (lead === 0xf4) return { continuation: 3, min: 0x80, max: 0x8f };
  return undefined;
}

/** Offset of the first byte that breaks UTF-8, or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] < 0x80) {
      i++;
      continue;
    }
    const seq = utf8Sequence(bytes[i]);
    if (!seq) return i;
    for (let k = 1; k <= seq.continuation; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [seq.min, seq.max] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return i;
    }
    i += seq.continuation + 1;
  }
  return -1;
}

function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Whether the bytes decode as Big5 and contain Chinese characters: a file saved by a Traditional Chinese Excel. */
function looksLikeBig5(bytes: Uint8Array): boolean {
  try {
    const text = new TextDecoder("big5", { fatal: true }).decode(bytes);
    return /\p{Script=Han}/u.test(text);
  } catch {
    return false; // not Big5, or a runtime without the Big5 decoder
  }
}

function notUtf8(bytes: Uint8Array): CsvFileError {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      code: "NOT_UTF8",
      message:
        'The file is not UTF-8: it is UTF-16 ("Unicode text"). Save it as "CSV UTF-8 (comma delimited)" and upload it again.',
      line: 1,
    };
  }
  const line = lineOf(bytes, firstInvalidUtf8(bytes));
  const big5 = looksLikeBig5(bytes);
  return {
    code: "NOT_UTF8",
    message:
      `The file is not UTF-8 (the first invalid byte is on line ${line}).` +
      (big5 ? " It looks like Big5 (Traditional Chinese) text." : "") +
      ' Save it as "CSV UTF-8 (comma delimited)" and upload it again.',
    line,
  };
}

function refuse(fileError: CsvFileError): ValidateCsvResult {
  return { records: [], errors: [], fileError };
}

/** A header name safe to print: escaped, at most 60 characters. */
function columnName(name: string): string {
  return quote(name).slice(1, -1);
}

/**
 * Validates a CSV upload of one certificate type: decoding, header, every cell, cross-field rules and
 * duplicate keys. The first line is the header (column names as in the type's schema, any order); rows
 * are numbered 1-based after it. A UTF-8 byte-order mark and CRLF line ends are accepted. Cell values are
 * NFC-normalised and trimmed. Blank lines are skipped (but still counted).
 *
 * The whole file is refused (`fileError`) when it is too large, not UTF-8 (the message says when it
 * looks like Big5), not parseable CSV, has missing, unknown or repeated columns, or has no rows.
 * Otherwise every row is checked on its own: each valid row becomes a record, each problem an error
 * naming the row and the column (see `validateRow.ts` for the checks). A row whose key (candidate,
 * licence or registration number) repeats an earlier row's is refused, naming the earlier row.
 * Messages never repeat a full HKID, a formula or an over-long value.
 *
 * @param bytes the file as uploaded.
 * @param typeId the certificate type, e.g. `csb-cre`.
 * @param options size limits.
 * @throws CoreError `UNKNOWN_TYPE` when `typeId` is not a known type. Bad input never throws.
 *
 * @example
 * ```ts
 * const { records, errors, fileError } = validateCsv(new Uint8Array(await file.arrayBuffer()), "csb-cre");
 * if (fileError) return show(fileError.message);
 * for (const e of errors) console.log(`row ${e.row}, ${e.column}: ${e.message}`);
 * const issued = records.map((record) => createCredential({ record }));
 * ```
 */
export function validateCsv(bytes: Uint8Array, typeId: string, options: ValidateCsvOptions = {}): ValidateCsvResult {
  const schema = getCertificateType(typeId);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (bytes.length > maxBytes) {
    return refuse({
      code: "FILE_TOO_LARGE",
      message: `The file is ${bytes.length} bytes; at most ${maxBytes} are accepted.`,
    });
  }

  let text: string;
  try {
    // `fatal` refuses invalid UTF-8; a leading byte-order mark is removed by the decoder.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuse(notUtf8(bytes));
  }
  if (text.trim() === "") return refuse({ code: "EMPTY_FILE", message: "The file is empty." });

  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: false, bom: true });
  } catch (e) {
    const line = typeof (e as { lines?: unknown }).lines === "number" ? (e as { lines: number }).lines : undefined;
    return refuse({
      code: "CSV_SYNTAX",
      message: `The file is not valid CSV${line === undefined ? "" : ` near line ${line}`}: ${(e as Error).message.split(":")[0]}. Check the quotes ("") in that part of the file.`,
      line,
    });
  }

  // Spreadsheets sometimes save trailing columns with no name and nothing in them: drop those.
  let width = rows[0].length;
  while (width > 1 && rows[0][width - 1].trim() === "" && rows.every((cells) => (cells[width - 1] ?? "").trim() === ""))
    width--;
  if (width < rows[0].length) rows = rows.map((cells) => (cells.length > width ? cells.slice(0, width) : cells));

  // Header: every column of the type, nothing else, each once.
  const header = rows[0].map((name, i) => name.normalize("NFC").trim() || `(unnamed column ${i + 1})`);
  const expected = schema.columns.map((c) => c.column);
  if (schema.validity.kind === "period")
    expected.push(schema.validity.validFrom.column, schema.validity.validUntil.column);
  const missing = expected.filter((name) => !header.includes(name));
  const unknown = header.filter((name) => !expected.includes(name));
  const repeated = header.filter((name, i) => header.indexOf(name) !== i);
  if (missing.length > 0) {
    const separatorHint =
      header.length === 1 && /[;\t]/.test(header[0])
        ? ` The header seems to use ${header[0].includes(";") ? "semicolons" : "tabs"} between columns; use commas.`
        : "";
    return refuse({
      code: "MISSING_COLUMNS",
      message:
        `The file is missing ${missing.length === 1 ? "the column" : "the columns"} ${missing.join(", ")}.` +
        (unknown.length > 0
          ? ` It also has columns ${schema.id} does not use: ${unknown.map(columnName).join(", ")}.`
          : "") +
        separatorHint +
        ` A ${schema.id} file has the columns ${expected.join(", ")}.`,
      columns: missing,
      line: 1,
    });
  }
  if (unknown.length > 0) {
    return refuse({
      code: "UNKNOWN_COLUMNS",
      message: `The file has ${unknown.length === 1 ? "a column" : "columns"} ${schema.id} does not use: ${unknown.map(columnName).join(", ")}. Remove ${unknown.length === 1 ? "it" : "them"}; a ${schema.id} file has the columns ${expected.join(", ")}.`,
      columns: unknown.map(columnName),
      line: 1,
    });
  }
  if (repeated.length > 0) {
    return refuse({
      code: "DUPLICATE_COLUMNS",
      message: `The header names ${[...new Set(repeated)].join(", ")} more than once.`,
      columns: [...new Set(repeated)],
      line: 1,
    });
  }

  const dataRows = rows.length - 1;
  if (dataRows === 0 || rows.slice(1).every((cells) => cells.every((c) => c.trim() === ""))) {
    return refuse({ code: "NO_ROWS", message: "The file has a header but no rows." });
  }
  if (dataRows > maxRows) {
    return refuse({
      code: "TOO_MANY_ROWS",
      message: `The file has ${dataRows} rows; at most ${maxRows} are accepted in one upload.`,
    });
  }

  const index = new Map(header.map((name, i) => [name, i]));
  const records: ValidatedCsvRow[] = [];
  const errors: ValidationIssue[] = [];
  const firstRowOfKey = new Map<string, number>();
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r];
    if (cells.every((c) => c.trim() === "")) continue; // a blank line, or a spreadsheet's empty row ",,,"
    if (cells.length !== header.length) {
      errors.push({
        row: r,
        column: null,
        code: "COLUMN_COUNT",
        message: `Row ${r} has ${cells.length} cells but the header has ${header.length} columns; check for a missing or extra comma, or a comma inside an unquoted value.`,
      });
      continue;
    }
    const result = validateRow(schema, r, (column) => cells[index.get(column)!]);
    const issues = result.issues;
    if (result.key !== undefined) {
      const earlier = firstRowOfKey.get(result.key);
      if (earlier === undefined) {
        firstRowOfKey.set(result.key, r);
      } else {
        issues.push({
          row: r,
          column: schema.keyColumn,
          code: "DUPLICATE_KEY",
          message: `${schema.keyColumn} ${quote(result.key)} already appears in row ${earlier}`,
        });
      }
    }
    if (issues.length > 0) errors.push(...issues);
    else records.push({ row: r, ...result.record! });
  }
  return { records, errors };
}
