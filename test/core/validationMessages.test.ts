/**
 * Issue 14, part 4: every validation message in both languages. The validator runs over many bad inputs
 * (the edge-case sample files of `examples/`, the bad inputs of the other validation tests, and more, so
 * that every code `core/` can report is reached); every issue and every file-level refusal must carry a
 * non-empty English and Traditional Chinese message, the Chinese with Chinese characters and full-width
 * punctuation, and every issue of a known column its label.
 */
import { expect } from "chai";

import {
  CERTIFICATE_TYPES,
  EMAIL_COLUMN,
  VALIDATION_ISSUE_CODES,
  validateCsv,
  validateRecord,
  type CsvFileError,
  type ValidationIssue,
  type ValidationIssueCode,
} from "../../core/index.ts";
import { VALID_ROWS, csv, csvOf, sample } from "./helpers.ts";
import type { SampleTypeId } from "./helpers.ts";

const CRE_HEADER = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n";

/** Bad CSV files, as `[label, type, bytes, options]`. */
function badFiles(): [string, string, Uint8Array, { maxBytes?: number; maxRows?: number }?][] {
  const files: [string, string, Uint8Array, { maxBytes?: number; maxRows?: number }?][] = [
    ["examples/csb-cre-bad-rows.csv", "csb-cre", sample("csb-cre-bad-rows.csv")],
    ["examples/csb-cre-missing-column.csv", "csb-cre", sample("csb-cre-missing-column.csv")],
    ["examples/csb-cre-not-utf8.csv", "csb-cre", sample("csb-cre-not-utf8.csv")],
    ["a sample as another type", "fsd-dg-licence", sample("csb-cre.csv")],
    ["too large", "csb-cre", sample("csb-cre.csv"), { maxBytes: 100 }],
    ["too many rows", "csb-cre", sample("csb-cre.csv"), { maxRows: 19 }],
    ["empty", "csb-cre", csv("")],
    ["header only", "csb-cre", csv(CRE_HEADER)],
    ["unclosed quote", "csb-cre", csv('candidate_number,name_en\nCRE1,"CHAN\n')],
    ["UTF-16", "csb-cre", new Uint8Array([0xff, 0xfe, 0x61, 0x00])],
    ["invalid UTF-8", "csb-cre", new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xff])],
    ["semicolons", "csb-cre", csv(CRE_HEADER.replaceAll(",", ";") + "CRE1;A;;A123***(*);2026-09-12;L2;L2;Pass\n")],
    ["tabs", "csb-cre", csv(CRE_HEADER.replaceAll(",", "\t") + "CRE1\tA\n")],
    ["one unknown column", "csb-cre", csvOf("csb-cre", { remarks: "x" })],
    ["unknown columns", "csb-cre", csvOf("csb-cre", { remarks: "x", nickname: "y" })],
    ["a missing and an unknown column", "csb-cre", csvOf("csb-cre", { name_en: undefined, nickname: "y" })],
    ["a column twice", "csb-cre", csv(CRE_HEADER.trim() + ",name_en\nCRE1,A,,A123***(*),2026-09-12,L2,L2,Pass,B\n")],
    ["email twice", "csb-cre", csv(CRE_HEADER.trim() + ",email,email\nCRE1,A,,A123***(*),2026-09-12,L2,L2,Pass,,\n")],
    ["an unnamed column", "csb-cre", csv(CRE_HEADER.trim() + ",\nCRE1,A,,A123***(*),2026-09-12,L2,L2,Pass,note\n")],
    ["a short row", "csb-cre", csv(CRE_HEADER + "CRE2026000001,CHAN,,A123***(*),2026-09-12,L2,Pass\n")],
  ];
  const cells: [SampleTypeId, Record<string, string>][] = [
    ["csb-cre", { name_en: "=1+1" }],
    ["csb-cre", { name_en: "  =cmd" }],
    ["csb-cre", { name_en: "\tCHAN" }],
    ["csb-cre", { name_en: "B".repeat(201) }],
    ["csb-cre", { name_en: "B".repeat(5000) }],
    ["csb-cre", { name_en: "" }],
    ["csb-cre", { name_en: "CHAN Tai Man A123456(7)" }],
    ["csb-cre", { name_zh: "𡃁".repeat(51) }],
    ["csb-cre", { hkid_partial: "A123456(7)" }],
    ["csb-cre", { hkid_partial: "A12***(*)" }],
    ["csb-cre", { hkid_partial: "" }],
    ["csb-cre", { sitting_date: "2026-02-30" }],
    ["csb-cre", { sitting_date: "2026-13-01" }],
    ["csb-cre", { sitting_date: "1899-12-31" }],
    ["csb-cre", { sitting_date: "12/09/2026" }],
    ["csb-cre", { sitting_date: "A1234567" }],
    ["csb-cre", { uc_result: "Level 3" }],
    ["csb-cre", { at_result: "pass" }],
    ["csb-cre", { candidate_number: "cre 1" }],
    ["csb-blnst", { score: "101", result: "Pass" }],
    ["csb-blnst", { score: "65.0" }],
    ["csb-blnst", { score: "49", result: "Pass" }],
    ["csb-blnst", { score: "50", result: "Fail" }],
    ["fsd-fsi-contractor", { valid_from: "2027-01-01", valid_until: "2026-01-01" }],
    ["fsd-fsi-contractor", { classes: "1;4" }],
    ["fsd-fsi-contractor", { classes: "1;one" }],
    ["fsd-fsi-contractor", { classes: "1;1" }],
    ["fsd-fsi-contractor", { classes: ";" }],
    ["fsd-fsi-contractor", { registration_number: "fsic 1" }],
    ["fsd-dg-licence", { dg_items: Array.from({ length: 21 }, (_, i) => `item ${i}`).join(";") }],
    ["fsd-dg-licence", { dg_items: "x".repeat(301) }],
    ["fsd-dg-licence", { licence_number: "" }],
    ["csb-cre", { email: "two@at@example.hk" }],
    ["csb-cre", { email: "nobody" }],
    ["csb-cre", { email: "name@localhost" }],
    ["csb-cre", { email: "name @example.hk" }],
    ["csb-cre", { email: "=name@example.hk" }],
    ["csb-cre", { email: `${"a".repeat(250)}@example.hk` }],
    ["csb-cre", { email: `${"a".repeat(2000)}@example.hk` }],
  ];
  for (const [typeId, overrides] of cells)
    files.push([JSON.stringify(overrides).slice(0, 60), typeId, csvOf(typeId, overrides)]);
  const forbidden = [
    ...["\u0000", "\u0007", "\n", "\u007f", "\u0085", "\u009b", "\u061c", "\ufeff"],
    ...["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2028", "\u2029", "\u2060"],
    ...["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
  ];
  for (const char of forbidden)
    files.push([`U+${char.charCodeAt(0).toString(16)}`, "csb-cre", csvOf("csb-cre", { name_zh: `陳${char}大文` })]);
  files.push([
    "a duplicate key",
    "fsd-fsi-contractor",
    csvOf("fsd-fsi-contractor", {}, { contractor_en: "Other Co." }),
  ]);
  return files;
}

/** Bad JSON records, as `[type, input]`. */
function badRecords(): [string, unknown][] {
  const cre = VALID_ROWS["csb-cre"];
  return [
    ["csb-cre", null],
    ["csb-cre", []],
    ["csb-cre", "text"],
    ["csb-cre", { ...cre, nickname: "Ah Man", score: "1" }],
    ["csb-cre", { ...cre, name_en: null }],
    ["csb-cre", { ...cre, name_zh: "陳\ud840" }],
    ["csb-cre", { ...cre, email: 7 }],
    ["csb-cre", { ...cre, email: "not an address" }],
    ["csb-blnst", { ...VALID_ROWS["csb-blnst"], name_en: 42, score: true }],
    ["csb-blnst", { ...VALID_ROWS["csb-blnst"], score: 65.5 }],
    ["csb-blnst", { ...VALID_ROWS["csb-blnst"], score: 1e3 }],
    ["fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], classes: [1, 2] }],
    ["fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], classes: {} }],
    ["fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], classes: ["=1"] }],
    [
      "fsd-dg-licence",
      { ...VALID_ROWS["fsd-dg-licence"], dg_items: Array.from({ length: 20 }, () => "x".repeat(300)) },
    ],
  ];
}

const HAN = /\p{Script=Han}/u;
/** ASCII punctuation right beside a Chinese character: Chinese text takes full-width punctuation. */
const HALF_WIDTH_BESIDE_HAN = /\p{Script=Han}[,;:!?()]|[,;:!?()]\p{Script=Han}/u;

function expectBilingual(message: unknown, where: string): void {
  const m = message as { en?: unknown; "zh-HK"?: unknown };
  expect(m, where).to.be.an("object");
  expect(Object.keys(m).sort(), where).to.deep.equal(["en", "zh-HK"]);
  expect(m.en, `${where}: English`).to.be.a("string").and.match(/\S/);
  expect(m["zh-HK"], `${where}: Chinese`).to.be.a("string").and.match(HAN);
  // Text quoted in 「」 is exempt: a menu item's name as Excel spells it (「CSV UTF-8 (逗號分隔)」).
  const unquoted = (m["zh-HK"] as string).replace(/「[^」]*」/gu, "「」");
  expect(unquoted, `${where}: full-width punctuation in Chinese`).to.not.match(HALF_WIDTH_BESIDE_HAN);
  expect(m.en, `${where}: English without Chinese of its own`).to.not.match(/[\u3000-\u303f\uff01-\uff5e]/);
}

/** The columns of a type, and the contact column, by name: their labels. */
function labels(typeId: string): Map<string, unknown> {
  const schema = CERTIFICATE_TYPES.find((t) => t.id === typeId)!;
  const map = new Map<string, unknown>(schema.columns.map((c) => [c.column, c.label]));
  if (schema.validity.kind === "period") {
    map.set(schema.validity.validFrom.column, schema.validity.validFrom.label);
    map.set(schema.validity.validUntil.column, schema.validity.validUntil.label);
  }
  map.set(EMAIL_COLUMN, { en: "E-mail address", "zh-HK": "電郵地址" });
  return map;
}

function expectIssue(issue: ValidationIssue, typeId: string, where: string): void {
  expectBilingual(issue.message, where);
  const label = issue.column === null ? undefined : labels(typeId).get(issue.column);
  if (label) {
    const { en, "zh-HK": zh } = label as { en: string; "zh-HK": string };
    expect(issue.columnLabel, `${where}: the column's label`).to.deep.equal(label);
    // The message names the column by its label, with the column name in brackets.
    expect(issue.message.en, `${where}: the English label`).to.include(`${en} (${issue.column})`);
    expect(issue.message["zh-HK"], `${where}: the Chinese label`).to.include(`${zh}（${issue.column}）`);
  } else {
    expect(issue, `${where}: no label for a column the type does not define`).to.not.have.property("columnLabel");
  }
}

describe("validation messages: both languages, on every code path", function () {
  const seen = new Set<ValidationIssueCode>();
  const seenFile = new Set<ValidationIssueCode>();

  after(function () {
    // Every code the core reports was reached (the two the issuer service adds are tested with it).
    const serviceCodes: ValidationIssueCode[] = ["DUPLICATE_CERTIFICATE", "TOO_LARGE_FOR_QR"];
    const missing = VALIDATION_ISSUE_CODES.filter((c) => !serviceCodes.includes(c) && !seen.has(c) && !seenFile.has(c));
    expect(missing, "codes no input reached").to.deep.equal([]);
  });

  for (const [label, typeId, bytes, options] of badFiles()) {
    it(`CSV ${label}`, function () {
      const result = validateCsv(bytes, typeId, options);
      const fileError: CsvFileError | undefined = result.fileError;
      expect(fileError !== undefined || result.errors.length > 0, "something is wrong with it").to.equal(true);
      if (fileError) {
        expectBilingual(fileError.message, fileError.code);
        seenFile.add(fileError.code);
      }
      for (const issue of result.errors) {
        expectIssue(issue, typeId, `row ${issue.row} ${issue.column} ${issue.code}`);
        seen.add(issue.code);
      }
    });
  }

  for (const [typeId, input] of badRecords()) {
    it(`JSON ${typeId} ${JSON.stringify(input)?.slice(0, 60)}`, function () {
      const { errors } = validateRecord(typeId, input, { row: 3 });
      expect(errors).to.not.deep.equal([]);
      for (const issue of errors) {
        expect(issue.row).to.equal(3);
        expectIssue(issue, typeId, `${issue.column} ${issue.code}`);
        seen.add(issue.code);
      }
    });
  }
});
