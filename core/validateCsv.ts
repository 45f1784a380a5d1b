import { parse } from "csv-parse/browser/esm/sync";
import type { CertificateRecord } from "./credential.ts";
import type { ValidationIssue, ValidationIssueCode, ValidationMessage } from "./errors.ts";
import { EMAIL_COLUMN, EMAIL_LABEL, getCertificateType } from "./types/index.ts";
import type { CertificateTypeSchema, LocalizedText } from "./types/index.ts";
import { columnTitle, copyLabel, quote, validateRow } from "./validateRow.ts";

export type ValidateCsvOptions = {
  /** Largest accepted file, in bytes. Default 32 MiB. */
  maxBytes?: number;
  /** Most data rows accepted in one file. Default 100,000. */
  maxRows?: number;
};

/**
 * A valid row, ready for `createCredential` (which reads only `subject`, `validFrom` and `validUntil`).
 * `row` is the row as a spreadsheet shows it: the header is row 1, the first data row row 2. `email` is
 * the optional contact column's address, when the row gives one: it is beside the record, never in the
 * credential or the search fields.
 */
export type ValidatedCsvRow = CertificateRecord & { row: number; email?: string };

/** Why the whole file was refused (no row was accepted). */
export type CsvFileError = {
  code: ValidationIssueCode;
  /** In English and Traditional Chinese (Hong Kong). */
  message: ValidationMessage;
  /** The missing, unknown or duplicated column names, for column problems. */
  columns?: string[];
  /** The 1-based physical line of the file where the problem is, when there is one (the header is line 1). */
  line?: number;
};

export type ValidateCsvResult = {
  /** Every valid row, in file order. Valid rows are returned even when other rows fail. */
  records: ValidatedCsvRow[];
  /** Every problem, by row (as a spreadsheet numbers it: the header is row 1) and column. */
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

const SAVE_AS_UTF8: ValidationMessage = {
  en: ' Save it as "CSV UTF-8 (comma delimited)" and upload it again.',
  "zh-HK": "請另存為「CSV UTF-8 (逗號分隔)」後再上載。",
};

function notUtf8(bytes: Uint8Array): CsvFileError {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      code: "NOT_UTF8",
      message: {
        en: 'The file is not UTF-8: it is UTF-16 ("Unicode text").' + SAVE_AS_UTF8.en,
        "zh-HK": "檔案並非 UTF-8 編碼，而是 UTF-16（「Unicode 文字」）。" + SAVE_AS_UTF8["zh-HK"],
      },
      line: 1,
    };
  }
  const line = lineOf(bytes, firstInvalidUtf8(bytes));
  const big5 = looksLikeBig5(bytes);
  return {
    code: "NOT_UTF8",
    message: {
      en:
        `The file is not UTF-8 (the first invalid byte is on line ${line}).` +
        (big5 ? " It looks like Big5 (Traditional Chinese) text." : "") +
        SAVE_AS_UTF8.en,
      "zh-HK":
        `檔案並非 UTF-8 編碼（第一個無效的位元組在第 ${line} 行）。` +
        (big5 ? "檔案看來是 Big5（繁體中文）編碼的文字。" : "") +
        SAVE_AS_UTF8["zh-HK"],
    },
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

/** The label of each column of the type (and of the optional `email` column), by column name. */
function labelsOf(schema: CertificateTypeSchema): Map<string, LocalizedText> {
  const labels = new Map<string, LocalizedText>(schema.columns.map((c) => [c.column, c.label]));
  if (schema.validity.kind === "period") {
    labels.set(schema.validity.validFrom.column, schema.validity.validFrom.label);
    labels.set(schema.validity.validUntil.column, schema.validity.validUntil.label);
  }
  labels.set(EMAIL_COLUMN, EMAIL_LABEL);
  return labels;
}

/** Column names, each by its label (`Use of Chinese (uc_result)`), joined in each language. */
function titles(names: readonly string[], labels: Map<string, LocalizedText>): ValidationMessage {
  const each = names.map((name) => columnTitle(name, labels.get(name)));
  return { en: each.map((t) => t.en).join(", "), "zh-HK": each.map((t) => t["zh-HK"]).join("、") };
}

/**
 * Validates a CSV upload of one certificate type: decoding, header, every cell, cross-field rules and
 * duplicate keys. The first line is the header (column names as in the type's schema, any order, and
 * optionally the contact column `email`); rows are numbered as a spreadsheet shows them: the header is
 * row 1 and the first data row is row 2 (a line break inside a quoted cell stays in its row). A UTF-8
 * byte-order mark and CRLF line ends are accepted. Cell values are NFC-normalised and trimmed. Blank rows
 * are skipped (but still counted). A valid row's `email` (an empty cell is none) is returned beside its
 * record, never in it.
 *
 * The whole file is refused (`fileError`) when it is too large, not UTF-8 (the message says when it
 * looks like Big5), not parseable CSV, has missing, unknown or repeated columns, or has no rows.
 * Otherwise every row is checked on its own: each valid row becomes a record, each problem an error
 * naming the row and the column (see `validateRow.ts` for the checks). A row whose key (candidate,
 * licence or registration number) repeats an earlier row's is refused, naming the earlier row.
 * Every message, the file's and the rows', is in English and Traditional Chinese (Hong Kong) and names
 * columns by their label in that language, with the column name in brackets.
 * Messages never repeat a full HKID, an e-mail address, a formula or an over-long value.
 *
 * @param bytes the file as uploaded.
 * @param typeId the certificate type, e.g. `csb-cre`.
 * @param options size limits.
 * @throws CoreError `UNKNOWN_TYPE` when `typeId` is not a known type. Bad input never throws.
 *
 * @example
 * ```ts
 * const { records, errors, fileError } = validateCsv(new Uint8Array(await file.arrayBuffer()), "csb-cre");
 * if (fileError) return show(fileError.message["zh-HK"]);
 * for (const e of errors) console.log(`row ${e.row}, ${e.column}: ${e.message.en}`);
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
      message: {
        en: `The file is ${bytes.length} bytes; at most ${maxBytes} are accepted.`,
        "zh-HK": `檔案大小為 ${bytes.length} 位元組，上限為 ${maxBytes} 位元組。`,
      },
    });
  }

  let text: string;
  try {
    // `fatal` refuses invalid UTF-8; a leading byte-order mark is removed by the decoder.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return refuse(notUtf8(bytes));
  }
  if (text.trim() === "") {
    return refuse({ code: "EMPTY_FILE", message: { en: "The file is empty.", "zh-HK": "檔案是空白的。" } });
  }

  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: false, bom: true });
  } catch (e) {
    const line = typeof (e as { lines?: unknown }).lines === "number" ? (e as { lines: number }).lines : undefined;
    return refuse({
      code: "CSV_SYNTAX",
      message: {
        en: `The file is not valid CSV${line === undefined ? "" : ` near line ${line}`}: ${(e as Error).message.split(":")[0]}. Check the quotes ("") in that part of the file.`,
        "zh-HK": `檔案並非有效的 CSV 格式${line === undefined ? "" : `（約在第 ${line} 行）`}。請檢查該部分的引號（""）是否成對。`,
      },
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
  const labels = labelsOf(schema);
  const missing = expected.filter((name) => !header.includes(name));
  const unknown = header.filter((name) => !expected.includes(name) && name !== EMAIL_COLUMN);
  const repeated = header.filter((name, i) => header.indexOf(name) !== i);
  const optional = {
    en: ` (and, if wanted, the contact column ${EMAIL_COLUMN})`,
    "zh-HK": `（如有需要，另加聯絡欄 ${EMAIL_COLUMN}）`,
  };
  const shouldHave: ValidationMessage = {
    en: ` A ${schema.id} file has the columns ${expected.join(", ")}${optional.en}.`,
    "zh-HK": `${schema.id} 檔案的欄為 ${expected.join("、")}${optional["zh-HK"]}。`,
  };
  if (missing.length > 0) {
    const separator =
      header.length === 1 && /[;\t]/.test(header[0]) ? (header[0].includes(";") ? "semicolons" : "tabs") : undefined;
    const shown = unknown.map(columnName);
    const absent = titles(missing, labels);
    return refuse({
      code: "MISSING_COLUMNS",
      message: {
        en:
          `The file is missing ${missing.length === 1 ? "the column" : "the columns"} ${absent.en}.` +
          (unknown.length > 0 ? ` It also has columns ${schema.id} does not use: ${shown.join(", ")}.` : "") +
          (separator ? ` The header seems to use ${separator} between columns; use commas.` : "") +
          shouldHave.en,
        "zh-HK":
          `檔案欠缺以下${missing.length === 1 ? "一" : " " + missing.length + " "}欄：${absent["zh-HK"]}。` +
          (unknown.length > 0 ? `檔案亦有 ${schema.id} 不使用的欄：${shown.join("、")}。` : "") +
          (separator
            ? `標題列看來以${separator === "semicolons" ? "分號" : "定位字元（Tab）"}分隔各欄；請改用逗號。`
            : "") +
          shouldHave["zh-HK"],
      },
      columns: missing,
      line: 1,
    });
  }
  if (unknown.length > 0) {
    const shown = unknown.map(columnName);
    return refuse({
      code: "UNKNOWN_COLUMNS",
      message: {
        en: `The file has ${unknown.length === 1 ? "a column" : "columns"} ${schema.id} does not use: ${shown.join(", ")}. Remove ${unknown.length === 1 ? "it" : "them"};${shouldHave.en.replace(/^ A/, " a")}`,
        "zh-HK": `檔案有 ${schema.id} 不使用的欄：${shown.join("、")}。請刪除${unknown.length === 1 ? "該欄" : "這些欄"}；${shouldHave["zh-HK"]}`,
      },
      columns: shown,
      line: 1,
    });
  }
  if (repeated.length > 0) {
    const twice = [...new Set(repeated)];
    const named = titles(twice.map(columnName), labels);
    return refuse({
      code: "DUPLICATE_COLUMNS",
      message: {
        en: `The header names ${named.en} more than once; keep one of each.`,
        "zh-HK": `標題列重複列出 ${named["zh-HK"]}；每欄只可出現一次。`,
      },
      columns: twice,
      line: 1,
    });
  }

  const dataRows = rows.length - 1;
  if (dataRows === 0 || rows.slice(1).every((cells) => cells.every((c) => c.trim() === ""))) {
    return refuse({
      code: "NO_ROWS",
      message: { en: "The file has a header but no rows.", "zh-HK": "檔案只有標題列，沒有資料列。" },
    });
  }
  if (dataRows > maxRows) {
    return refuse({
      code: "TOO_MANY_ROWS",
      message: {
        en: `The file has ${dataRows} rows; at most ${maxRows} are accepted in one upload.`,
        "zh-HK": `檔案有 ${dataRows} 列資料，每次上載最多只可有 ${maxRows} 列。`,
      },
    });
  }

  const index = new Map(header.map((name, i) => [name, i]));
  const records: ValidatedCsvRow[] = [];
  const errors: ValidationIssue[] = [];
  const firstRowOfKey = new Map<string, number>();
  const keyLabel = labels.get(schema.keyColumn)!;
  const key = columnTitle(schema.keyColumn, keyLabel);
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r];
    // The row as a spreadsheet numbers it: the header is row 1 (a quoted line break stays in its row).
    const row = r + 1;
    if (cells.every((c) => c.trim() === "")) continue; // a blank line, or a spreadsheet's empty row ",,,"
    if (cells.length !== header.length) {
      errors.push({
        row,
        column: null,
        code: "COLUMN_COUNT",
        message: {
          en: `Row ${row} has ${cells.length} cells but the header has ${header.length} columns; check for a missing or extra comma, or a comma inside an unquoted value.`,
          "zh-HK": `第 ${row} 列有 ${cells.length} 個儲存格，但標題列有 ${header.length} 欄；請檢查是否欠缺或多了逗號，或未加引號的數值中含有逗號。`,
        },
      });
      continue;
    }
    const result = validateRow(schema, row, (column) => {
      const i = index.get(column);
      return i === undefined ? undefined : cells[i];
    });
    const issues = result.issues;
    if (result.key !== undefined) {
      const earlier = firstRowOfKey.get(result.key);
      if (earlier === undefined) {
        firstRowOfKey.set(result.key, row);
      } else {
        issues.push({
          row,
          column: schema.keyColumn,
          columnLabel: copyLabel(keyLabel),
          code: "DUPLICATE_KEY",
          message: {
            en: `${key.en} ${quote(result.key)} already appears in row ${earlier}`,
            "zh-HK": `${key["zh-HK"]} ${quote(result.key)} 已在第 ${earlier} 列出現。`,
          },
        });
      }
    }
    if (issues.length > 0) errors.push(...issues);
    else records.push({ row, ...result.record!, ...(result.email !== undefined ? { email: result.email } : {}) });
  }
  return { records, errors };
}
