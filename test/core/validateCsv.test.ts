import { expect } from "chai";

import { validateCsv } from "../../core/validateCsv.ts";
import type { ValidateCsvResult } from "../../core/validateCsv.ts";
import { csv, csvOf, sample } from "./helpers.ts";

/** Every message of a result, file-level and row-level, joined: for "never repeats X" assertions. */
function allText(result: ValidateCsvResult): string {
  return JSON.stringify([result.fileError ?? null, result.errors]);
}

describe("validateCsv: the shared sample files", function () {
  it("accepts all 20 rows of csb-cre.csv, keeping 歐陽, 峯 and the supplementary-plane 𡃁 intact", function () {
    const result = validateCsv(sample("csb-cre.csv"), "csb-cre");

    expect(result.fileError).to.equal(undefined);
    expect(result.errors).to.deep.equal([]);
    // Rows as the spreadsheet shows them: the header is row 1.
    expect(result.records.map((r) => r.row)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 2));
    const names = result.records.map((r) => (r.subject.name as Record<string, string>)["zh-HK"]);
    expect(names).to.include("張詠𡃁");
    expect(names).to.include("歐陽健峯");
    const withSupplementary = result.records.find((r) => r.subject.candidateNumber === "CRE2026000012")!;
    expect(withSupplementary.subject.name).to.deep.equal({ en: "CHEUNG Wing Sze", "zh-HK": "張詠𡃁" });
    expect([...(withSupplementary.subject.name as Record<string, string>)["zh-HK"]]).to.have.length(3);
  });

  it("leaves name/zh-HK out for candidates with no Chinese name, and keeps apostrophes and hyphens", function () {
    const result = validateCsv(sample("csb-cre.csv"), "csb-cre");

    const oneill = result.records.find((r) => r.subject.candidateNumber === "CRE2026000008")!;
    expect(oneill.subject.name).to.deep.equal({ en: "O'NEILL Siobhan Mary-Kate" });
    expect(oneill.subject).to.deep.include({
      type: "csb-cre",
      certificateNumber: "CRE2026000008-20260912",
      hkidPartial: "P184***(*)",
      sittingDate: "2026-09-12",
      results: { uc: "L2", ue: "Fail", at: "Fail" },
    });
    expect(oneill).to.not.have.property("validFrom");
  });

  it("accepts csb-blnst.csv with its UTF-8 byte-order mark and CRLF line ends, scores as numbers", function () {
    const bytes = sample("csb-blnst.csv");
    expect([...bytes.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);

    const result = validateCsv(bytes, "csb-blnst");

    expect(result.fileError).to.equal(undefined);
    expect(result.errors).to.deep.equal([]);
    expect(result.records).to.have.length(20);
    expect(result.records[0].subject).to.deep.equal({
      type: "csb-blnst",
      certificateNumber: "BLNST2026000001-20261003",
      candidateNumber: "BLNST2026000001",
      name: { en: "LO Cheuk Hei", "zh-HK": "盧卓希" },
      hkidPartial: "R429***(*)",
      testDate: "2026-10-03",
      score: 65,
      result: "Pass",
    });
    expect(result.records[3].subject.name).to.deep.equal({ en: "AU-YEUNG Tsz Hin, Jason", "zh-HK": "歐陽子軒" });
  });

  it("accepts fsd-dg-licence.csv, splitting goods at ; and conditions at |, including already-expired licences", function () {
    const result = validateCsv(sample("fsd-dg-licence.csv"), "fsd-dg-licence");

    expect(result.errors).to.deep.equal([]);
    expect(result.records).to.have.length(12);
    const first = result.records[0];
    expect(first.subject.certificateNumber).to.equal("DGL/2025/00001");
    expect(first.subject.dangerousGoods).to.deep.equal([
      "Category 5 Class 1 (flammable liquids, flash point below 23°C): 1,000 L",
      "Category 7 (strong supporters of combustion): 500 kg",
    ]);
    expect(first.subject.conditions).to.deep.equal([
      "Quantities shall not exceed those stated on this licence.",
      "No smoking or naked flame within 6 m of the store.",
    ]);
    expect(first.subject.premises).to.deep.equal({
      en: "Lot 1234 in D.D. 130, Lam Tei, Tuen Mun, N.T.",
      "zh-HK": "新界屯門藍地丈量約份第130約地段第1234號",
    });
    expect(first.validFrom).to.equal("2025-10-08T00:00:00+08:00");
    expect(first.validUntil).to.equal("2026-10-08T23:59:59+08:00");
    const expired = result.records.find((r) => r.subject.certificateNumber === "DGL/2025/00011")!;
    expect(expired.validUntil).to.equal("2026-02-10T23:59:59+08:00");
  });

  it("accepts fsd-fsi-contractor.csv with classes as a list", function () {
    const result = validateCsv(sample("fsd-fsi-contractor.csv"), "fsd-fsi-contractor");

    expect(result.errors).to.deep.equal([]);
    expect(result.records.map((r) => r.subject.classes)).to.deep.equal([
      ["1", "2", "3"],
      ["2"],
      ["1"],
      ["1", "2", "3"],
      ["1"],
      ["1", "2", "3"],
      ["1"],
      ["1", "2", "3"],
      ["2", "3"],
      ["1", "3"],
    ]);
    expect(result.records[0].subject.contractor).to.deep.equal({ en: "Aberdeen Boatyard Co.", "zh-HK": "香港仔船廠" });
  });

  it("accepts all 10,000 rows of csb-cre-10k.csv", function () {
    const result = validateCsv(sample("csb-cre-10k.csv"), "csb-cre");

    expect(result.errors).to.deep.equal([]);
    expect(result.records).to.have.length(10_000);
    expect(result.records[9_999].row).to.equal(10_001);
  });

  describe("csb-cre-bad-rows.csv", function () {
    const expected = [
      { row: 3, column: "uc_result", code: "NOT_IN_ENUM" },
      { row: 4, column: "sitting_date", code: "INVALID_DATE" },
      { row: 5, column: "hkid_partial", code: "FULL_HKID" },
      { row: 6, column: "name_en", code: "FORMULA" },
      { row: 7, column: "candidate_number", code: "DUPLICATE_KEY" },
      { row: 8, column: "name_en", code: "REQUIRED" },
      { row: 9, column: "name_en", code: "TOO_LONG" },
      { row: 10, column: "at_result", code: "ENUM_CASE" },
      { row: 11, column: "name_zh", code: "FORBIDDEN_CHARACTER" },
    ];

    it("rejects exactly spreadsheet rows 3 to 11 (data rows 2 to 10), each once, naming the right column and problem", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");

      expect(result.fileError).to.equal(undefined);
      expect(result.errors.map(({ row, column, code }) => ({ row, column, code }))).to.deep.equal(expected);
    });

    it("accepts spreadsheet rows 2, 12 and 13", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");

      expect(result.records.map((r) => r.row)).to.deep.equal([2, 12, 13]);
      expect(result.records.map((r) => r.subject.candidateNumber)).to.deep.equal([
        "CRE2026000101",
        "CRE2026000111",
        "CRE2026000112",
      ]);
    });

    it("never repeats the full HKID, in any message or in the records", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");

      const everything = JSON.stringify(result);
      expect(everything).to.not.include("A123456");
      expect(everything).to.not.include("123456(7)");
    });

    it("explains each problem: allowed values, the impossible date, case-sensitivity, the earlier duplicate row", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");
      const message = (row: number): string => result.errors.find((e) => e.row === row)!.message.en;

      expect(message(3)).to.include("L2, L1, Fail").and.include("Level 3");
      expect(message(4)).to.include("2026-02-30").and.include("not a real date");
      expect(message(7)).to.include("row 2");
      expect(message(10)).to.include("case-sensitive").and.include('"Pass"');
      expect(message(11)).to.include("U+202E");
    });

    it("explains each problem in Chinese too, naming the column by its Chinese label and its name", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");
      const zh = (row: number): string => result.errors.find((e) => e.row === row)!.message["zh-HK"];

      expect(zh(3)).to.include("中文運用（uc_result）").and.include("L2、L1、Fail").and.include("Level 3");
      expect(zh(4)).to.include("考試日期（sitting_date）").and.include("2026-02-30").and.include("並非真實日期");
      expect(zh(7)).to.include("考生編號（candidate_number）").and.include("第 2 列");
      expect(zh(8)).to.include("英文姓名（name_en）必須填寫");
      expect(zh(10)).to.include("區分大小寫").and.include('"Pass"');
      expect(zh(11)).to.include("U+202E");
    });

    it("names the column by its English label with its name in brackets, and gives the label", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");
      const issue = result.errors.find((e) => e.row === 3)!;

      expect(issue.message.en).to.match(/^Use of Chinese \(uc_result\) must be one of L2, L1, Fail/);
      expect(issue.columnLabel).to.deep.equal({ en: "Use of Chinese", "zh-HK": "中文運用" });
    });

    it("repeats neither the formula nor the 5,000-character name", function () {
      const result = validateCsv(sample("csb-cre-bad-rows.csv"), "csb-cre");

      expect(allText(result)).to.not.include("HYPERLINK");
      expect(allText(result)).to.not.include("AAAAAAAAAA");
      for (const e of result.errors) {
        expect(e.message.en.length).to.be.below(300);
        expect(e.message["zh-HK"].length).to.be.below(300);
      }
    });
  });

  it("refuses csb-cre-missing-column.csv as a whole, naming hkid_partial and at_result", function () {
    const result = validateCsv(sample("csb-cre-missing-column.csv"), "csb-cre");

    expect(result.records).to.deep.equal([]);
    expect(result.errors).to.deep.equal([]);
    expect(result.fileError?.code).to.equal("MISSING_COLUMNS");
    expect(result.fileError?.columns).to.deep.equal(["hkid_partial", "at_result"]);
    expect(result.fileError?.message.en)
      .to.include("HKID No. (partial) (hkid_partial)")
      .and.include("Aptitude Test (at_result)");
    expect(result.fileError?.message["zh-HK"])
      .to.include("香港身份證號碼（部分）（hkid_partial）")
      .and.include("能力傾向測試（at_result）");
  });

  it("refuses csb-cre-not-utf8.csv, saying it is not UTF-8 and looks like Big5", function () {
    const result = validateCsv(sample("csb-cre-not-utf8.csv"), "csb-cre");

    expect(result.records).to.deep.equal([]);
    expect(result.fileError?.code).to.equal("NOT_UTF8");
    expect(result.fileError?.message.en).to.include("not UTF-8").and.include("Big5");
    expect(result.fileError?.message["zh-HK"]).to.include("並非 UTF-8").and.include("Big5").and.include("第 2 行");
    expect(result.fileError?.line).to.equal(2);
  });
});

describe("validateCsv: whole-file refusals", function () {
  it("refuses an unknown extra column, naming it", function () {
    const result = validateCsv(csvOf("csb-cre", { remarks: "x", nickname: "y" }), "csb-cre");

    expect(result.fileError?.code).to.equal("UNKNOWN_COLUMNS");
    expect(result.fileError?.columns).to.deep.equal(["remarks", "nickname"]);
    expect(result.fileError?.message.en).to.include("remarks").and.include("nickname");
    expect(result.fileError?.message["zh-HK"]).to.include("remarks、nickname");
  });

  it("refuses a header naming a column twice", function () {
    const text = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,name_en\n";
    const result = validateCsv(csv(text + "CRE1,A,,A123***(*),2026-09-12,L2,L2,Pass,B\n"), "csb-cre");

    expect(result.fileError?.code).to.equal("DUPLICATE_COLUMNS");
    expect(result.fileError?.columns).to.deep.equal(["name_en"]);
  });

  it("accepts the columns in any order", function () {
    const text = "at_result,ue_result,uc_result,sitting_date,hkid_partial,name_zh,name_en,candidate_number\n";
    const result = validateCsv(csv(text + "Pass,L2,L1,2026-09-12,A123***(*),,CHAN Tai Man,CRE2026000001\n"), "csb-cre");

    expect(result.errors).to.deep.equal([]);
    expect(result.records[0].subject.results).to.deep.equal({ uc: "L1", ue: "L2", at: "Pass" });
  });

  it("refuses an empty file and a header with no rows", function () {
    expect(validateCsv(csv(""), "csb-cre").fileError?.code).to.equal("EMPTY_FILE");
    expect(validateCsv(csv("\r\n"), "csb-cre").fileError?.code).to.equal("EMPTY_FILE");
    const headerOnly = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n";
    expect(validateCsv(csv(headerOnly), "csb-cre").fileError?.code).to.equal("NO_ROWS");
  });

  it("refuses a file larger than maxBytes and one with more than maxRows rows", function () {
    expect(validateCsv(sample("csb-cre.csv"), "csb-cre", { maxBytes: 100 }).fileError?.code).to.equal("FILE_TOO_LARGE");
    expect(validateCsv(sample("csb-cre.csv"), "csb-cre", { maxRows: 19 }).fileError?.code).to.equal("TOO_MANY_ROWS");
  });

  it("refuses an unclosed quote as CSV_SYNTAX, naming the line", function () {
    const result = validateCsv(csv('candidate_number,name_en\nCRE1,"CHAN\n'), "csb-cre");

    expect(result.fileError?.code).to.equal("CSV_SYNTAX");
    expect(result.fileError?.message.en).to.include("line");
    expect(result.fileError?.message["zh-HK"]).to.match(/第 \d+ 行/);
  });

  it("refuses UTF-16 with a message that says so", function () {
    const result = validateCsv(new Uint8Array([0xff, 0xfe, 0x61, 0x00]), "csb-cre");

    expect(result.fileError?.code).to.equal("NOT_UTF8");
    expect(result.fileError?.message.en).to.include("UTF-16");
    expect(result.fileError?.message["zh-HK"]).to.include("UTF-16");
  });

  it("refuses invalid UTF-8 that is not Big5 without mentioning Big5", function () {
    const result = validateCsv(new Uint8Array([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xff]), "csb-cre");

    expect(result.fileError?.code).to.equal("NOT_UTF8");
    expect(result.fileError?.message.en).to.not.include("Big5");
    expect(result.fileError?.message["zh-HK"]).to.not.include("Big5");
  });

  it("hints at the separator when a semicolon-separated file arrives", function () {
    const text = "candidate_number;name_en;name_zh;hkid_partial;sitting_date;uc_result;ue_result;at_result\n";
    const result = validateCsv(csv(text + "CRE1;A;;A123***(*);2026-09-12;L2;L2;Pass\n"), "csb-cre");

    expect(result.fileError?.code).to.equal("MISSING_COLUMNS");
    expect(result.fileError?.message.en).to.include("semicolons");
    expect(result.fileError?.message["zh-HK"]).to.include("分號");
  });
});

describe("validateCsv: row and cell checks", function () {
  it("keeps valid rows when other rows fail", function () {
    const result = validateCsv(
      csvOf(
        "csb-cre",
        {},
        { candidate_number: "CRE2026000002", uc_result: "L3" },
        { candidate_number: "CRE2026000003" },
      ),
      "csb-cre",
    );

    expect(result.records.map((r) => r.row)).to.deep.equal([2, 4]);
    expect(result.errors.map((e) => [e.row, e.column])).to.deep.equal([[3, "uc_result"]]);
  });

  it("reports every bad cell of a row, not only the first", function () {
    const result = validateCsv(
      csvOf("csb-cre", { uc_result: "L3", sitting_date: "2026-13-01", name_en: "" }),
      "csb-cre",
    );

    expect(result.errors.map((e) => e.column)).to.have.members(["uc_result", "sitting_date", "name_en"]);
  });

  it("refuses a row with a missing cell as COLUMN_COUNT rather than guessing", function () {
    const text = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n";
    const result = validateCsv(csv(text + "CRE2026000001,CHAN,,A123***(*),2026-09-12,L2,Pass\n"), "csb-cre");

    expect(result.errors).to.have.length(1);
    expect(result.errors[0]).to.include({ row: 2, column: null, code: "COLUMN_COUNT" });
    expect(result.errors[0].message.en).to.include("Row 2 has 7 cells");
    expect(result.errors[0].message["zh-HK"]).to.include("第 2 列有 7 個儲存格");
  });

  it("skips blank lines but keeps counting them, so row numbers match the spreadsheet", function () {
    const text = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result\n";
    const row = (n: string, uc: string): string => `CRE202600000${n},CHAN,,A123***(*),2026-09-12,${uc},L2,Pass\n`;
    const result = validateCsv(csv(text + row("1", "L2") + "\n,,,,,,,\n" + row("4", "bad")), "csb-cre");

    expect(result.records.map((r) => r.row)).to.deep.equal([2]);
    expect(result.errors.map((e) => e.row)).to.deep.equal([5]);
  });

  it("NFC-normalises and trims text", function () {
    const decomposed = "Jose\u0301 CHAN"; // e + combining acute accent
    const result = validateCsv(csvOf("csb-cre", { name_en: `  ${decomposed}  `, uc_result: " L2 " }), "csb-cre");

    expect(result.errors).to.deep.equal([]);
    expect((result.records[0].subject.name as Record<string, string>).en).to.equal("Jos\u00e9 CHAN");
    expect((result.records[0].subject.results as Record<string, string>).uc).to.equal("L2");
  });

  for (const [label, value] of [
    ["=", "=1+1"],
    ["+", "+852 1234"],
    ["-", "-2+3"],
    ["@", "@SUM(A1)"],
    ["tab", "\tCHAN"],
    ["carriage return", "\rCHAN"],
    ["= after spaces", "  =cmd"],
  ] as const) {
    it(`refuses a cell starting with ${label} as FORMULA without repeating it`, function () {
      const result = validateCsv(csvOf("csb-cre", { name_en: value }), "csb-cre");

      expect(result.errors.map((e) => [e.column, e.code])).to.deep.equal([["name_en", "FORMULA"]]);
      expect(JSON.stringify(result.errors[0].message)).to.not.include(JSON.stringify(value.trim()).slice(1, -1));
    });
  }

  for (const [label, char] of [
    ["left-to-right embedding U+202A", "\u202a"],
    ["right-to-left override U+202E", "\u202e"],
    ["left-to-right isolate U+2066", "\u2066"],
    ["pop directional isolate U+2069", "\u2069"],
    ["left-to-right mark U+200E", "\u200e"],
    ["right-to-left mark U+200F", "\u200f"],
    ["zero-width space U+200B", "\u200b"],
    ["zero-width non-joiner U+200C", "\u200c"],
    ["zero-width joiner U+200D", "\u200d"],
    ["word joiner U+2060", "\u2060"],
    ["NUL", "\u0000"],
    ["bell (C0)", "\u0007"],
    ["line break", "\n"],
    ["DEL", "\u007f"],
    ["C1 control U+0085", "\u0085"],
    ["C1 control U+009B", "\u009b"],
  ] as const) {
    it(`refuses a ${label} inside a name as FORBIDDEN_CHARACTER`, function () {
      const result = validateCsv(csvOf("csb-cre", { name_zh: `陳${char}大文` }), "csb-cre");

      expect(result.errors.map((e) => [e.column, e.code])).to.deep.equal([["name_zh", "FORBIDDEN_CHARACTER"]]);
      const hex = char.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
      if (char >= "\u2000") expect(result.errors[0].message.en).to.include(`U+${hex}`);
      if (char >= "\u2000") expect(result.errors[0].message["zh-HK"]).to.include(`U+${hex}`);
    });
  }

  it("refuses a full HKID in any form in hkid_partial, and inside a name, never repeating it", function () {
    for (const hkid of ["A123456(7)", "a123456(7)", "AB123456(A)", "A1234567", "A123456 (7)", "HKID A123456(7)"]) {
      const result = validateCsv(csvOf("csb-cre", { hkid_partial: hkid }), "csb-cre");
      expect(
        result.errors.map((e) => e.code),
        hkid,
      ).to.deep.equal(["FULL_HKID"]);
      expect(allText(result)).to.not.include("123456");
    }
    const inName = validateCsv(csvOf("csb-cre", { name_en: "CHAN Tai Man A123456(7)" }), "csb-cre");
    expect(inName.errors.map((e) => [e.column, e.code])).to.deep.equal([["name_en", "FULL_HKID"]]);
    expect(allText(inName)).to.not.include("123456");
  });

  it("accepts one- and two-letter partial HKIDs and refuses other shapes without repeating them", function () {
    expect(validateCsv(csvOf("csb-cre", { hkid_partial: "AB123***(*)" }), "csb-cre").errors).to.deep.equal([]);
    const bad = validateCsv(csvOf("csb-cre", { hkid_partial: "A12***(*)" }), "csb-cre");
    expect(bad.errors.map((e) => e.code)).to.deep.equal(["INVALID_FORMAT"]);
    expect(JSON.stringify(bad.errors[0].message)).to.not.include("A12*");
  });

  it("refuses impossible and badly written dates, accepting 29 February in a leap year", function () {
    const codes = (date: string): string[] =>
      validateCsv(csvOf("csb-cre", { sitting_date: date }), "csb-cre").errors.map((e) => e.code);
    expect(codes("2028-02-29")).to.deep.equal([]);
    expect(codes("2026-02-29")).to.deep.equal(["INVALID_DATE"]);
    expect(codes("2026-04-31")).to.deep.equal(["INVALID_DATE"]);
    expect(codes("2026-00-10")).to.deep.equal(["INVALID_DATE"]);
    expect(codes("12/09/2026")).to.deep.equal(["INVALID_DATE"]);
    expect(codes("2026-9-12")).to.deep.equal(["INVALID_DATE"]);
  });

  it("refuses a duplicate key on the later row, naming the earlier one, and accepts the earlier row", function () {
    const result = validateCsv(csvOf("fsd-fsi-contractor", {}, { contractor_en: "Other Co." }), "fsd-fsi-contractor");

    expect(result.records.map((r) => r.row)).to.deep.equal([2]);
    expect(result.errors).to.have.length(1);
    expect(result.errors[0]).to.include({ row: 3, column: "registration_number", code: "DUPLICATE_KEY" });
    expect(result.errors[0].message.en).to.include("row 2");
    expect(result.errors[0].message["zh-HK"]).to.include("第 2 列");
  });

  it("refuses an over-long text with its length and the limit, not the text", function () {
    const result = validateCsv(csvOf("csb-cre", { name_en: "B".repeat(201) }), "csb-cre");

    expect(result.errors.map((e) => e.code)).to.deep.equal(["TOO_LONG"]);
    expect(result.errors[0].message.en).to.include("201").and.include("200").and.not.include("BBBB");
    expect(result.errors[0].message["zh-HK"]).to.include("201").and.include("200").and.not.include("BBBB");
    expect(validateCsv(csvOf("csb-cre", { name_en: "B".repeat(200) }), "csb-cre").errors).to.deep.equal([]);
  });

  it("counts length in characters, so 50 supplementary-plane characters fit a 50-character Chinese name", function () {
    expect(validateCsv(csvOf("csb-cre", { name_zh: "𡃁".repeat(50) }), "csb-cre").errors).to.deep.equal([]);
    expect(
      validateCsv(csvOf("csb-cre", { name_zh: "𡃁".repeat(51) }), "csb-cre").errors.map((e) => e.code),
    ).to.deep.equal(["TOO_LONG"]);
  });

  it("checks BLNST scores: whole numbers 0 to 100, and the result must agree with the pass mark of 50", function () {
    const errors = (overrides: Record<string, string>): string[][] =>
      validateCsv(csvOf("csb-blnst", overrides), "csb-blnst").errors.map((e) => [e.column!, e.code]);
    expect(errors({ score: "50", result: "Pass" })).to.deep.equal([]);
    expect(errors({ score: "49", result: "Fail" })).to.deep.equal([]);
    expect(errors({ score: "0", result: "Fail" })).to.deep.equal([]);
    expect(errors({ score: "100", result: "Pass" })).to.deep.equal([]);
    expect(errors({ score: "49", result: "Pass" })).to.deep.equal([["result", "RESULT_MISMATCH"]]);
    expect(errors({ score: "50", result: "Fail" })).to.deep.equal([["result", "RESULT_MISMATCH"]]);
    expect(errors({ score: "101", result: "Pass" })).to.deep.equal([["score", "OUT_OF_RANGE"]]);
    expect(errors({ score: "65.0", result: "Pass" })).to.deep.equal([["score", "NOT_INTEGER"]]);
    expect(errors({ score: "sixty", result: "Pass" })).to.deep.equal([["score", "NOT_INTEGER"]]);
    expect(errors({ score: "-5", result: "Fail" })).to.deep.equal([["score", "FORMULA"]]);
  });

  it("requires valid_from before valid_until", function () {
    const errors = (from: string, until: string): string[][] =>
      validateCsv(
        csvOf("fsd-fsi-contractor", { valid_from: from, valid_until: until }),
        "fsd-fsi-contractor",
      ).errors.map((e) => [e.column!, e.code]);
    expect(errors("2026-01-01", "2026-01-02")).to.deep.equal([]);
    expect(errors("2026-01-01", "2026-01-01")).to.deep.equal([["valid_until", "DATE_ORDER"]]);
    expect(errors("2027-01-01", "2026-01-01")).to.deep.equal([["valid_until", "DATE_ORDER"]]);
  });

  it("checks list items: allowed classes only, no repeats, trailing separators ignored", function () {
    const check = (classes: string): unknown =>
      validateCsv(csvOf("fsd-fsi-contractor", { classes }), "fsd-fsi-contractor");
    expect((check("3; 1;") as ValidateCsvResult).records[0].subject.classes).to.deep.equal(["3", "1"]);
    expect((check("1;4") as ValidateCsvResult).errors.map((e) => e.code)).to.deep.equal(["NOT_IN_ENUM"]);
    expect((check("1;1") as ValidateCsvResult).errors.map((e) => e.code)).to.deep.equal(["DUPLICATE_ITEM"]);
    expect((check(";") as ValidateCsvResult).errors.map((e) => e.code)).to.deep.equal(["REQUIRED"]);
  });

  it("refuses a candidate number that is not capital letters and digits", function () {
    const result = validateCsv(csvOf("csb-cre", { candidate_number: "cre 1" }), "csb-cre");

    expect(result.errors.map((e) => [e.column, e.code])).to.deep.equal([["candidate_number", "INVALID_FORMAT"]]);
  });

  it("leaves an optional empty licensee_zh out of the subject", function () {
    const result = validateCsv(csvOf("fsd-dg-licence", { licensee_zh: "" }), "fsd-dg-licence");

    expect(result.records[0].subject.licensee).to.deep.equal({ en: "Golden Dragon Restaurant Group Limited" });
  });

  it("throws UNKNOWN_TYPE for a type id no schema defines", function () {
    expect(() => validateCsv(sample("csb-cre.csv"), "csb-nope"))
      .to.throw()
      .with.property("code", "UNKNOWN_TYPE");
  });
});

describe("validateCsv: spreadsheet leftovers", function () {
  it("ignores trailing columns with no name and no content", function () {
    const text = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,,\r\n";
    const result = validateCsv(csv(text + "CRE2026000001,CHAN,,A123***(*),2026-09-12,L2,L2,Pass,,\r\n"), "csb-cre");

    expect(result.fileError).to.equal(undefined);
    expect(result.records).to.have.length(1);
  });

  it("refuses an unnamed column that has content, naming its position", function () {
    const text = "candidate_number,name_en,name_zh,hkid_partial,sitting_date,uc_result,ue_result,at_result,\n";
    const result = validateCsv(csv(text + "CRE2026000001,CHAN,,A123***(*),2026-09-12,L2,L2,Pass,note\n"), "csb-cre");

    expect(result.fileError?.code).to.equal("UNKNOWN_COLUMNS");
    expect(result.fileError?.columns).to.deep.equal(["(unnamed column 9)"]);
  });
});
