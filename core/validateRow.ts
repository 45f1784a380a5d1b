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
 * Then the row's cross-field rules (the schema's `check`, and `valid_from` before `valid_until`), and the
 * optional contact column `email` (see `validateEmail`), which is returned beside the record, never in it.
 *
 * Every message is in English and Traditional Chinese (Hong Kong) and names the column by its label in
 * that language, with the column name in brackets (see `columnTitle`).
 */
import type { CertificateRecord, CredentialSubject, JsonValue } from "./credential.ts";
import type { ValidationIssue, ValidationIssueCode, ValidationMessage } from "./errors.ts";
import { EMAIL_COLUMN, EMAIL_LABEL, pathTokens } from "./types/index.ts";
import type { CellValue, CertificateTypeSchema, ColumnSchema, LocalizedText } from "./types/index.ts";

/** A cell as received: a CSV string, or a JSON value; `undefined` when absent. */
export type RawCell = unknown;

type Message = ValidationMessage;

/** A cell's problem, before the row and column are added. */
type CellIssue = { code: ValidationIssueCode; message: Message };

type CellOutcome = { value?: CellValue; issue?: CellIssue };

/** The checks of one date column, including the validity columns that have no schema column. */
type DateLike = { column: string; kind: "date"; required: true; maxLength: number; label: LocalizedText };

const FORMULA_START = /^[=+\-@\t\r]/;

/** Characters never accepted in any cell (see the module comment). */
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const FORBIDDEN_NAMES: Record<string, Message> = {
  "\t": { en: "a tab", "zh-HK": "定位字元（Tab）" },
  "\n": { en: "a line break", "zh-HK": "換行字元" },
  "\r": { en: "a line break", "zh-HK": "換行字元" },
  "\u061c": { en: "an Arabic letter mark (U+061C)", "zh-HK": "阿拉伯字母標記（U+061C）" },
  "\u200b": { en: "a zero-width space (U+200B)", "zh-HK": "零寬度空格（U+200B）" },
  "\u200c": { en: "a zero-width non-joiner (U+200C)", "zh-HK": "零寬度不連字（U+200C）" },
  "\u200d": { en: "a zero-width joiner (U+200D)", "zh-HK": "零寬度連字（U+200D）" },
  "\u200e": { en: "a left-to-right mark (U+200E)", "zh-HK": "由左至右標記（U+200E）" },
  "\u200f": { en: "a right-to-left mark (U+200F)", "zh-HK": "由右至左標記（U+200F）" },
  "\u2028": { en: "a line separator (U+2028)", "zh-HK": "行分隔字元（U+2028）" },
  "\u2029": { en: "a paragraph separator (U+2029)", "zh-HK": "段落分隔字元（U+2029）" },
  "\u202a": { en: "a left-to-right embedding (U+202A)", "zh-HK": "由左至右嵌入字元（U+202A）" },
  "\u202b": { en: "a right-to-left embedding (U+202B)", "zh-HK": "由右至左嵌入字元（U+202B）" },
  "\u202c": { en: "a pop directional formatting (U+202C)", "zh-HK": "結束方向格式字元（U+202C）" },
  "\u202d": { en: "a left-to-right override (U+202D)", "zh-HK": "由左至右覆寫字元（U+202D）" },
  "\u202e": { en: "a right-to-left override (U+202E)", "zh-HK": "由右至左覆寫字元（U+202E）" },
  "\u2066": { en: "a left-to-right isolate (U+2066)", "zh-HK": "由左至右隔離字元（U+2066）" },
  "\u2067": { en: "a right-to-left isolate (U+2067)", "zh-HK": "由右至左隔離字元（U+2067）" },
  "\u2068": { en: "a first strong isolate (U+2068)", "zh-HK": "首個強方向隔離字元（U+2068）" },
  "\u2069": { en: "a pop directional isolate (U+2069)", "zh-HK": "結束方向隔離字元（U+2069）" },
  "\u2060": { en: "a word joiner (U+2060)", "zh-HK": "字詞連接字元（U+2060）" },
  "\ufeff": { en: "a byte-order mark (U+FEFF)", "zh-HK": "位元組順序標記（U+FEFF）" },
};

function describeForbidden(char: string): Message {
  const named = FORBIDDEN_NAMES[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdfff) return { en: "a lone UTF-16 surrogate", "zh-HK": "不成對的 UTF-16 代理字元" };
  const hex = code.toString(16).toUpperCase().padStart(4, "0");
  return { en: `a control character (U+${hex})`, "zh-HK": `控制字元（U+${hex}）` };
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

/**
 * How a message names a column: its label in each language with the column name in brackets, so that a
 * clerk finds the header (`Use of Chinese (uc_result)`, `中文運用（uc_result）`).
 */
export function columnTitle(column: string, label: LocalizedText | undefined): Message {
  if (!label) return { en: column, "zh-HK": column };
  return { en: `${label.en} (${column})`, "zh-HK": `${label["zh-HK"]}（${column}）` };
}

/** A label for an issue: a copy, so that an issue never shares (and lets a caller change) the schema's. */
export function copyLabel(label: LocalizedText): Message {
  return { en: label.en, "zh-HK": label["zh-HK"] };
}

function listOf(values: readonly string[]): Message {
  return { en: values.join(", "), "zh-HK": values.join("、") };
}

function issue(code: ValidationIssueCode, en: string, zh: string): CellOutcome & { issue: CellIssue } {
  return { issue: { code, message: { en, "zh-HK": zh } } };
}

function tooLong(c: Message, length: number, maxLength: number): CellOutcome & { issue: CellIssue } {
  return issue(
    "TOO_LONG",
    `${c.en} is ${length} characters long; at most ${maxLength} are allowed`,
    `${c["zh-HK"]}長 ${length} 個字元，最多只可有 ${maxLength} 個字元。`,
  );
}

/** Steps 1-5 for one string; returns the cleaned text or an issue. */
function cleanText(
  c: Message,
  raw: string,
  maxLength: number,
  hkidColumn: boolean,
): { text: string } | { issue: CellIssue } {
  // Cheap bound before normalising: NFC never shrinks text below a quarter of its UTF-16 length.
  if (raw.length > maxLength * 4 + 64) return tooLong(c, codePointLength(raw), maxLength);
  if (FORMULA_START.test(raw) || FORMULA_START.test(raw.trim())) {
    return issue(
      "FORMULA",
      `${c.en} starts with =, +, -, @, a tab or a carriage return, which a spreadsheet would treat as a formula; remove that first character`,
      `${c["zh-HK"]}以 =、+、-、@、定位字元（Tab）或歸位字元開頭，試算表會把它當作公式處理；請刪除開頭的字元。`,
    );
  }
  const text = raw.normalize("NFC").trim();
  const forbidden = FORBIDDEN.exec(text);
  if (forbidden) {
    const what = describeForbidden(forbidden[0]);
    return issue(
      "FORBIDDEN_CHARACTER",
      `${c.en} contains ${what.en}, an invisible character that can make text display differently from what it is; remove it`,
      `${c["zh-HK"]}含有${what["zh-HK"]}。這是不可見的字元，可令文字的顯示與實際內容不符；請刪除。`,
    );
  }
  if (hkidColumn && (FULL_HKID_CELL.test(text) || FULL_HKID_INSIDE.test(text))) {
    return issue(
      "FULL_HKID",
      `${c.en} holds a full HKID number, which must never be uploaded; give only the first letter(s) and three digits, e.g. A123***(*). The value was not stored`,
      `${c["zh-HK"]}載有完整的香港身份證號碼，完整號碼絕不可上載；請只填寫開首的英文字母及三個數字，例如 A123***(*)。該數值並未儲存。`,
    );
  }
  // A whole cell that is a full HKID (`A1234567`) in another column too: otherwise a message such as
  // INVALID_DATE's "(got ...)" would repeat it (found by test/core/fuzz).
  if (FULL_HKID_INSIDE.test(text) || FULL_HKID_CELL.test(text)) {
    return issue(
      "FULL_HKID",
      `${c.en} appears to contain a full HKID number, which must never be uploaded; the value was not stored`,
      `${c["zh-HK"]}似乎載有完整的香港身份證號碼，完整號碼絕不可上載；該數值並未儲存。`,
    );
  }
  const length = codePointLength(text);
  if (length > maxLength) return tooLong(c, length, maxLength);
  return { text };
}

/** `subject` names what must be one of the values: the column, or "each item of" the column. */
function checkEnum(subject: Message, text: string, values: readonly string[]): CellOutcome {
  if (values.includes(text)) return { value: text };
  const list = listOf(values);
  const caseInsensitive = values.find((v) => v.toLowerCase() === text.toLowerCase());
  if (caseInsensitive !== undefined) {
    return issue(
      "ENUM_CASE",
      `${subject.en} must be one of ${list.en}; values are case-sensitive, so write ${quote(caseInsensitive)}, not ${quote(text)}`,
      `${subject["zh-HK"]}必須是 ${list["zh-HK"]} 其中之一；數值須區分大小寫，請填寫 ${quote(caseInsensitive)}，而非 ${quote(text)}。`,
    );
  }
  return issue(
    "NOT_IN_ENUM",
    `${subject.en} must be one of ${list.en} (got ${quote(text)})`,
    `${subject["zh-HK"]}必須是 ${list["zh-HK"]} 其中之一（現為 ${quote(text)}）。`,
  );
}

function checkDate(c: Message, text: string): CellOutcome {
  const m = DATE.exec(text);
  if (!m) {
    return issue(
      "INVALID_DATE",
      `${c.en} must be a date written YYYY-MM-DD, e.g. 2026-09-12 (got ${quote(text)})`,
      `${c["zh-HK"]}必須是以 YYYY-MM-DD 格式填寫的日期，例如 2026-09-12（現為 ${quote(text)}）。`,
    );
  }
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12) {
    return issue(
      "INVALID_DATE",
      `${c.en} ${text} is not a real date: there is no month ${m[2]}`,
      `${c["zh-HK"]}的 ${text} 並非真實日期：沒有第 ${m[2]} 個月。`,
    );
  }
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) {
    return issue(
      "INVALID_DATE",
      `${c.en} ${text} is not a real date: ${MONTHS[month - 1]} ${year} has ${last} days`,
      `${c["zh-HK"]}的 ${text} 並非真實日期：${year} 年 ${month} 月只有 ${last} 日。`,
    );
  }
  if (year < 1900 || year > 2199) {
    return issue(
      "INVALID_DATE",
      `${c.en} ${text} is outside the years 1900 to 2199`,
      `${c["zh-HK"]}的 ${text} 不在 1900 年至 2199 年之內。`,
    );
  }
  return { value: text };
}

function checkText(column: ColumnSchema & { kind: "text" }, c: Message, text: string): CellOutcome {
  if (column.pattern !== undefined && !new RegExp(`^(?:${column.pattern})$`, "u").test(text)) {
    const hint = column.patternHint ?? {
      en: `in the form ${column.pattern}`,
      "zh-HK": `符合格式 ${column.pattern}`,
    };
    return issue(
      "INVALID_FORMAT",
      `${c.en} must be ${hint.en} (got ${quote(text)})`,
      `${c["zh-HK"]}必須${hint["zh-HK"]}（現為 ${quote(text)}）。`,
    );
  }
  return { value: text };
}

function checkInteger(
  column: ColumnSchema & { kind: "integer" },
  c: Message,
  raw: unknown,
  text: string | undefined,
): CellOutcome {
  let n: number;
  if (typeof raw === "number") {
    n = raw;
    if (!Number.isSafeInteger(n))
      return issue("NOT_INTEGER", `${c.en} must be a whole number`, `${c["zh-HK"]}必須是整數。`);
  } else {
    if (text === undefined || !/^[0-9]{1,15}$/.test(text)) {
      return issue(
        "NOT_INTEGER",
        `${c.en} must be a whole number (got ${quote(text ?? "")})`,
        `${c["zh-HK"]}必須是整數（現為 ${quote(text ?? "")}）。`,
      );
    }
    n = Number(text);
  }
  if (n < column.min || n > column.max) {
    return issue(
      "OUT_OF_RANGE",
      `${c.en} must be between ${column.min} and ${column.max} (got ${n})`,
      `${c["zh-HK"]}必須介乎 ${column.min} 至 ${column.max}（現為 ${n}）。`,
    );
  }
  return { value: n };
}

function checkList(column: ColumnSchema & { kind: "list" }, c: Message, items: string[]): CellOutcome {
  const outcome = checkListItems(column, c, items);
  if (Array.isArray(outcome.value) && outcome.value.length === 0) return column.required ? requiredIssue(c) : {};
  return outcome;
}

function checkListItems(column: ColumnSchema & { kind: "list" }, c: Message, items: string[]): CellOutcome {
  const out: string[] = [];
  for (const rawItem of items) {
    const item = rawItem.trim();
    if (item === "") continue; // "1;2;" and "1;;2" are read as 1 and 2
    const { item: spec } = column;
    if (spec.kind === "text") {
      const length = codePointLength(item);
      if (length > spec.maxLength) {
        return issue(
          "TOO_LONG",
          `An item of ${c.en} is ${length} characters long; at most ${spec.maxLength} are allowed`,
          `${c["zh-HK"]}其中一項長 ${length} 個字元，每項最多只可有 ${spec.maxLength} 個字元。`,
        );
      }
    } else {
      const outcome = checkEnum({ en: `Each item of ${c.en}`, "zh-HK": `${c["zh-HK"]}的每一項都` }, item, spec.values);
      if (outcome.issue) return outcome;
    }
    if (column.unique && out.includes(item)) {
      return issue("DUPLICATE_ITEM", `${c.en} lists ${quote(item)} twice`, `${c["zh-HK"]}重複列出 ${quote(item)}。`);
    }
    out.push(item);
  }
  if (out.length > column.maxItems) {
    return issue(
      "TOO_MANY_ITEMS",
      `${c.en} has ${out.length} items; at most ${column.maxItems} are allowed`,
      `${c["zh-HK"]}有 ${out.length} 項，最多只可有 ${column.maxItems} 項。`,
    );
  }
  return { value: out };
}

function requiredIssue(c: Message): CellOutcome {
  return issue("REQUIRED", `${c.en} is required but empty`, `${c["zh-HK"]}必須填寫，但現時是空白的。`);
}

/** Validates one cell. `undefined` value and no issue: an empty optional cell. */
function validateCell(column: ColumnSchema | DateLike, raw: RawCell): CellOutcome {
  const c = columnTitle(column.column, column.label);
  if (raw === undefined || raw === null) return column.required ? requiredIssue(c) : {};

  // JSON-only shapes: numbers for integers, arrays for lists.
  if (typeof raw === "number" && column.kind === "integer") return checkInteger(column, c, raw, undefined);
  if (Array.isArray(raw) && column.kind === "list") {
    if (!raw.every((x) => typeof x === "string"))
      return issue("WRONG_TYPE", `${c.en} must be a list of strings`, `${c["zh-HK"]}必須是由字串組成的清單。`);
    const cleaned: string[] = [];
    for (const item of raw as string[]) {
      const outcome = cleanText(c, item, column.maxLength, false);
      if ("issue" in outcome) return outcome;
      cleaned.push(outcome.text);
    }
    // The same total as the CSV cell the items would make, so that JSON cannot carry more than a file.
    const total = codePointLength(cleaned.join(column.separator));
    if (total > column.maxLength) {
      return issue(
        "TOO_LONG",
        `${c.en} adds up to ${total} characters (its items joined by "${column.separator}"); at most ${column.maxLength} are allowed`,
        `${c["zh-HK"]}的各項以「${column.separator}」連接後共有 ${total} 個字元，最多只可有 ${column.maxLength} 個字元。`,
      );
    }
    return checkList(column, c, cleaned);
  }
  if (typeof raw !== "string") {
    const expected: Message =
      column.kind === "integer"
        ? { en: "a whole number", "zh-HK": "整數" }
        : column.kind === "list"
          ? { en: "a list of strings or a string", "zh-HK": "由字串組成的清單或字串" }
          : { en: "a string", "zh-HK": "字串" };
    return issue("WRONG_TYPE", `${c.en} must be ${expected.en}`, `${c["zh-HK"]}必須是${expected["zh-HK"]}。`);
  }

  const hkidColumn = column.kind === "partial-hkid";
  // Free text is held to its maxLength; a date, enum or number that is too long is better reported by
  // its own check ("must be one of L2, L1, Fail"), which quotes at most 40 characters of it.
  const lengthLimit =
    column.kind === "text" || column.kind === "list" ? column.maxLength : Math.max(column.maxLength, 100);
  const cleaned = cleanText(c, raw, lengthLimit, hkidColumn);
  if ("issue" in cleaned) return cleaned;
  const { text } = cleaned;
  if (text === "") return column.required ? requiredIssue(c) : {};

  switch (column.kind) {
    case "text":
      return checkText(column, c, text);
    case "date":
      return checkDate(c, text);
    case "enum":
      return checkEnum(c, text, column.values);
    case "integer":
      return checkInteger(column, c, raw, text);
    case "list":
      return checkList(column, c, text.split(column.separator));
    case "partial-hkid":
      // The value is not repeated: a malformed partial HKID may still be more of a real HKID than allowed.
      if (!PARTIAL_HKID.test(text)) {
        return issue(
          "INVALID_FORMAT",
          `${c.en} must be one or two capital letters, three digits and ***(*), e.g. A123***(*)`,
          `${c["zh-HK"]}必須由一至兩個大寫英文字母、三個數字及 ***(*) 組成，例如 A123***(*)。`,
        );
      }
      return { value: text };
  }
}

/** The longest accepted e-mail address (RFC 5321's limit on a path, less its brackets). */
export const MAX_EMAIL_LENGTH = 254;

/**
 * The optional contact column (`email`): absent, `null` or an empty cell is no address. Otherwise, after
 * NFC normalisation and trimming: at most {@link MAX_EMAIL_LENGTH} characters, exactly one `@` with text
 * before it, a domain with a dot between non-empty parts, no white space, control or invisible
 * formatting character, and no formula start. The letter case is kept. Messages never repeat the value.
 */
function validateEmail(raw: RawCell): { email?: string; issue?: CellIssue } {
  if (raw === undefined || raw === null) return {};
  const c = columnTitle(EMAIL_COLUMN, EMAIL_LABEL);
  const invalid = (en: string, zh: string) => issue("INVALID_EMAIL", `${c.en} ${en}`, `${c["zh-HK"]}${zh}`);
  if (typeof raw !== "string") return issue("WRONG_TYPE", `${c.en} must be a string`, `${c["zh-HK"]}必須是字串。`);
  if (raw.length > MAX_EMAIL_LENGTH * 4 + 64) {
    return invalid(`is longer than ${MAX_EMAIL_LENGTH} characters`, `超過 ${MAX_EMAIL_LENGTH} 個字元。`);
  }
  const text = raw.normalize("NFC").trim();
  if (text === "") return {};
  const length = codePointLength(text);
  if (length > MAX_EMAIL_LENGTH) {
    return invalid(
      `is ${length} characters long; at most ${MAX_EMAIL_LENGTH} are allowed`,
      `長 ${length} 個字元，最多只可有 ${MAX_EMAIL_LENGTH} 個字元。`,
    );
  }
  if (FORBIDDEN.test(text) || /\s/u.test(text)) {
    return invalid(
      "contains a space, a control character or an invisible character; an e-mail address has none",
      "含有空格、控制字元或不可見的字元；電郵地址不可包含這些字元。",
    );
  }
  const at = text.split("@");
  if (at.length !== 2) {
    return invalid(
      `must contain exactly one @ (it has ${at.length - 1}); give one address, e.g. name@example.gov.hk`,
      `必須有且只有一個 @（現有 ${at.length - 1} 個）；請只填寫一個電郵地址，例如 name@example.gov.hk。`,
    );
  }
  const [local, domain] = at;
  const labels = domain.split(".");
  if (local === "" || labels.length < 2 || labels.some((label) => label === "")) {
    return invalid(
      "must be written name@domain, with a dot in the domain, e.g. name@example.gov.hk",
      "必須以「名稱@網域」的格式填寫，網域須包含點號，例如 name@example.gov.hk。",
    );
  }
  if (FORMULA_START.test(text)) {
    return invalid(
      "starts with =, + or -, which a spreadsheet would treat as a formula; give the address as name@example.gov.hk",
      "以 =、+ 或 - 開頭，試算表會把它當作公式處理；請以 name@example.gov.hk 的格式填寫。",
    );
  }
  return { email: text };
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
  /** The optional contact address (the `email` column), when given and valid: never part of `record`. */
  email?: string;
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
    if (outcome.issue)
      issues.push({ row, column: column.column, columnLabel: copyLabel(column.label), ...outcome.issue });
    else if (outcome.value !== undefined) values[column.column] = outcome.value;
  }
  const contact = validateEmail(cell(EMAIL_COLUMN));
  if (contact.issue) issues.push({ row, column: EMAIL_COLUMN, columnLabel: copyLabel(EMAIL_LABEL), ...contact.issue });
  const keyValue = values[schema.keyColumn];
  const key = typeof keyValue === "string" ? keyValue : undefined;

  // Cross-field rules, on the cells that are individually valid.
  const labelOf = (name: string) => columns.find((c) => c.column === name)?.label;
  for (const problem of schema.check?.(values) ?? []) {
    const label = labelOf(problem.column);
    const columnLabel = label && copyLabel(label);
    issues.push({
      row,
      column: problem.column,
      ...(columnLabel ? { columnLabel } : {}),
      code: problem.code,
      message: problem.message,
    });
  }
  let validFrom: string | undefined;
  let validUntil: string | undefined;
  if (schema.validity.kind === "period") {
    const from = values[schema.validity.validFrom.column];
    const until = values[schema.validity.validUntil.column];
    if (typeof from === "string" && typeof until === "string") {
      if (from >= until) {
        const { validFrom: fromColumn, validUntil: untilColumn } = schema.validity;
        const f = columnTitle(fromColumn.column, fromColumn.label);
        const u = columnTitle(untilColumn.column, untilColumn.label);
        issues.push({
          row,
          column: untilColumn.column,
          columnLabel: copyLabel(untilColumn.label),
          code: "DATE_ORDER",
          message: {
            en: `${u.en} must be after ${f.en}: ${until} is not after ${from}`,
            "zh-HK": `${u["zh-HK"]}必須遲於${f["zh-HK"]}：${until} 並不遲於 ${from}。`,
          },
        });
      }
      validFrom = startOfDayHongKong(from);
      validUntil = endOfDayHongKong(until);
    }
  }
  if (issues.length > 0) return { issues, key };
  const email = contact.email;

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
  return { record, issues, key, ...(email !== undefined ? { email } : {}) };
}
