import { expect } from "chai";

import { validateCsv } from "../../core/validateCsv.ts";
import { validateRecord } from "../../core/validateRecord.ts";
import { VALID_ROWS, sample } from "./helpers.ts";
import type { SampleTypeId } from "./helpers.ts";

describe("validateRecord (one certificate as JSON)", function () {
  for (const typeId of Object.keys(VALID_ROWS) as SampleTypeId[]) {
    it(`accepts a valid ${typeId} record keyed by the CSV column names`, function () {
      const { record, errors } = validateRecord(typeId, { ...VALID_ROWS[typeId] });

      expect(errors).to.deep.equal([]);
      expect(record?.subject.type).to.equal(typeId);
    });
  }

  it("gives the same record as validateCsv for every row of csb-cre.csv", function () {
    const fromCsv = validateCsv(sample("csb-cre.csv"), "csb-cre").records;
    const lines = new TextDecoder().decode(sample("csb-cre.csv")).trim().split("\n");
    const header = lines[0].split(",");

    // csb-cre.csv has no quoted cells with commas in the Chinese or HKID columns; rebuild rows by position.
    // `row` is the spreadsheet row (the header is row 1), so the file's line row - 1 (0-based).
    for (const { row, ...record } of fromCsv) {
      const cells = lines[row - 1]
        .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
        .map((c) => c.replace(/,$/, "").replace(/^"|"$/g, ""));
      const object = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
      expect(validateRecord("csb-cre", object).record, `row ${row}`).to.deep.equal(record);
    }
  });

  it("accepts a JSON number for an integer column and an array for a list column", function () {
    const blnst = validateRecord("csb-blnst", { ...VALID_ROWS["csb-blnst"], score: 65 });
    const fsi = validateRecord("fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], classes: ["2", " 3 "] });

    expect(blnst.record?.subject.score).to.equal(65);
    expect(fsi.record?.subject.classes).to.deep.equal(["2", "3"]);
  });

  it("treats a missing field, null and an empty string alike: REQUIRED when the field is required", function () {
    const { name_en: _dropped, ...withoutName } = VALID_ROWS["csb-cre"];
    for (const input of [withoutName, { ...withoutName, name_en: null }, { ...withoutName, name_en: "" }]) {
      const { record, errors } = validateRecord("csb-cre", input);
      expect(record).to.equal(undefined);
      expect(errors).to.deep.equal([
        {
          row: 1,
          column: "name_en",
          columnLabel: { en: "Name (English)", "zh-HK": "英文姓名" },
          code: "REQUIRED",
          message: {
            en: "Name (English) (name_en) is required but empty",
            "zh-HK": "英文姓名（name_en）必須填寫，但現時是空白的。",
          },
        },
      ]);
    }
  });

  it("names the field of each problem as its column", function () {
    const { errors } = validateRecord("csb-cre", {
      ...VALID_ROWS["csb-cre"],
      uc_result: "Level 3",
      hkid_partial: "A123456(7)",
    });

    expect(errors.map((e) => [e.column, e.code])).to.have.deep.members([
      ["uc_result", "NOT_IN_ENUM"],
      ["hkid_partial", "FULL_HKID"],
    ]);
    expect(JSON.stringify(errors)).to.not.include("123456");
  });

  it("refuses fields the type does not define, naming each", function () {
    const { record, errors } = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], nickname: "Ah Man", score: "1" });

    expect(record).to.equal(undefined);
    expect(errors.map((e) => [e.column, e.code])).to.deep.equal([
      ["nickname", "UNKNOWN_FIELD"],
      ["score", "UNKNOWN_FIELD"],
    ]);
  });

  it("refuses values of the wrong JSON type", function () {
    const { errors } = validateRecord("csb-blnst", { ...VALID_ROWS["csb-blnst"], name_en: 42, score: true });

    expect(errors.map((e) => [e.column, e.code])).to.deep.equal([
      ["name_en", "WRONG_TYPE"],
      ["score", "WRONG_TYPE"],
    ]);
  });

  it("refuses a fractional or out-of-range JSON number", function () {
    expect(
      validateRecord("csb-blnst", { ...VALID_ROWS["csb-blnst"], score: 65.5 }).errors.map((e) => e.code),
    ).to.deep.equal(["NOT_INTEGER"]);
    expect(
      validateRecord("csb-blnst", { ...VALID_ROWS["csb-blnst"], score: 1e3 }).errors.map((e) => e.code),
    ).to.deep.equal(["OUT_OF_RANGE"]);
  });

  it("refuses a list containing a non-string", function () {
    const { errors } = validateRecord("fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], classes: [1, 2] });

    expect(errors.map((e) => [e.column, e.code])).to.deep.equal([["classes", "WRONG_TYPE"]]);
  });

  it("holds a JSON list to the same total as its CSV cell (items joined by the separator), and accepts one at the limit", function () {
    const item = (k: number, n: number) => `${String(k).padStart(2, "0")} ${"x".repeat(n - 3)}`;
    // 20 dangerous goods items of 300 characters each are allowed one by one, but 6,019 in all is more than 4,000.
    const over = validateRecord("fsd-dg-licence", {
      ...VALID_ROWS["fsd-dg-licence"],
      dg_items: Array.from({ length: 20 }, (_, k) => item(k, 300)),
    });
    expect(over.errors.map((e) => [e.column, e.code])).to.deep.equal([["dg_items", "TOO_LONG"]]);
    expect(over.errors[0].message.en).to.include("6019").and.include("4000");
    expect(over.errors[0].message["zh-HK"]).to.include("6019").and.include("4000");
    // 13 items of 300 and one of 80, joined by ";": exactly 4,000.
    const items = [...Array.from({ length: 13 }, (_, k) => item(k, 300)), item(13, 4000 - 13 * 301)];
    expect(items.join(";")).to.have.length(4000);
    const atLimit = validateRecord("fsd-dg-licence", { ...VALID_ROWS["fsd-dg-licence"], dg_items: items });
    expect(atLimit.errors).to.deep.equal([]);
  });

  it("refuses a lone surrogate in a JSON string", function () {
    const { errors } = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], name_zh: "陳\ud840" });

    expect(errors.map((e) => [e.column, e.code])).to.deep.equal([["name_zh", "FORBIDDEN_CHARACTER"]]);
  });

  it("refuses a body that is not an object with NOT_AN_OBJECT and a null column", function () {
    for (const input of [null, [], "text", 7]) {
      const { errors } = validateRecord("csb-cre", input);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.include({ column: null, code: "NOT_AN_OBJECT" });
    }
  });

  it("names an unknown field in both languages, without a label", function () {
    const { errors } = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], nickname: "Ah Man" });

    expect(errors[0]).to.not.have.property("columnLabel");
    expect(errors[0].message.en).to.include('"nickname" is not a field of csb-cre');
    expect(errors[0].message["zh-HK"]).to.include('"nickname" 不是 csb-cre 的欄位');
  });

  it("numbers the issues with the row option (the 1-based element index of a JSON array)", function () {
    const { errors } = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], at_result: "pass" }, { row: 7 });

    expect(errors).to.have.length(1);
    expect(errors[0]).to.include({ row: 7, column: "at_result", code: "ENUM_CASE" });
  });

  it("does not read inherited properties as fields", function () {
    const input = Object.create({ name_en: "INHERITED" }) as Record<string, string>;
    Object.assign(input, VALID_ROWS["csb-cre"]);
    delete input.name_en;

    expect(validateRecord("csb-cre", input).errors.map((e) => [e.column, e.code])).to.deep.equal([
      ["name_en", "REQUIRED"],
    ]);
  });
});
