/**
 * Issue 14, part 4 (and 5): the optional contact column `email`. Validated, returned beside the record
 * (never in the subject), and never in the credential: a row with an address gives a credential
 * byte-identical to the same row without the column.
 */
import { expect } from "chai";

import {
  CERTIFICATE_TYPES,
  EMAIL_COLUMN,
  MAX_EMAIL_LENGTH,
  assertValidSchema,
  createCredential,
  validateCsv,
  validateRecord,
  type CertificateTypeSchema,
} from "../../core/index.ts";
import { VALID_ROWS, csv, csvOf, deterministicRandom, fixedClock } from "./helpers.ts";
import type { SampleTypeId } from "./helpers.ts";

const TYPES = Object.keys(VALID_ROWS) as SampleTypeId[];

describe("the contact column email", function () {
  it("is optional: a file without it, and an empty cell, give no address", function () {
    const without = validateCsv(csvOf("csb-cre", {}), "csb-cre");
    const empty = validateCsv(
      csvOf("csb-cre", { email: "" }, { candidate_number: "CRE2026000002", email: "  " }),
      "csb-cre",
    );

    expect(without.errors).to.deep.equal([]);
    expect(without.records[0]).to.not.have.property("email");
    expect(empty.errors).to.deep.equal([]);
    expect(empty.records).to.have.length(2);
    for (const record of empty.records) expect(record).to.not.have.property("email");
  });

  for (const typeId of TYPES) {
    it(`is accepted in any position of a ${typeId} file and returned beside the record, trimmed, its case kept`, function () {
      const columns = Object.keys(VALID_ROWS[typeId]);
      const header = [EMAIL_COLUMN, ...columns].join(",");
      const values = Object.values(VALID_ROWS[typeId] as Record<string, string>).map((v) =>
        /[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v,
      );
      const result = validateCsv(
        csv(`${header}\n  Chan.Tai-Man+exam@Mail.Example.GOV.hk ,${values.join(",")}\n`),
        typeId,
      );

      expect(result.errors).to.deep.equal([]);
      expect(result.records[0].email).to.equal("Chan.Tai-Man+exam@Mail.Example.GOV.hk");
      expect(result.records[0].row).to.equal(2);
      expect(JSON.stringify(result.records[0].subject)).to.not.include("Example");
    });
  }

  it(`accepts an address of ${MAX_EMAIL_LENGTH} characters and refuses one of ${MAX_EMAIL_LENGTH + 1}`, function () {
    const address = (length: number) => `${"a".repeat(length - "@example.hk".length)}@example.hk`;
    expect(address(MAX_EMAIL_LENGTH)).to.have.length(254);
    const ok = validateCsv(csvOf("csb-cre", { email: address(MAX_EMAIL_LENGTH) }), "csb-cre");
    const long = validateCsv(csvOf("csb-cre", { email: address(MAX_EMAIL_LENGTH + 1) }), "csb-cre");

    expect(ok.errors).to.deep.equal([]);
    expect(ok.records[0].email).to.equal(address(254));
    expect(long.errors.map((e) => [e.row, e.column, e.code])).to.deep.equal([[2, "email", "INVALID_EMAIL"]]);
    expect(long.errors[0].message.en).to.include("255").and.include("254");
    expect(long.errors[0].message["zh-HK"]).to.include("電郵地址（email）").and.include("255");
  });

  for (const [label, value] of [
    ["no @", "chan.example.hk"],
    ["two @", "chan@tai@example.hk"],
    ["nothing before the @", "@example.hk"],
    ["no dot in the domain", "chan@localhost"],
    ["an empty domain part", "chan@example..hk"],
    ["a trailing dot", "chan@example.hk."],
    ["a space", "chan tai@example.hk"],
    ["a non-breaking space", "chan\u00a0tai@example.hk"],
    ["a tab", "chan\ttai@example.hk"],
    ["a control character", "chan\u0007@example.hk"],
    ["a right-to-left override", "chan\u202e@example.hk"],
    ["two addresses", "a@example.hk, b@example.hk"],
    ["a formula", "=HYPERLINK(1)@example.hk"],
  ] as const) {
    it(`refuses an address with ${label} as INVALID_EMAIL, in both languages, without repeating it`, function () {
      const result = validateCsv(csvOf("csb-cre", { email: value }), "csb-cre");

      expect(result.records).to.deep.equal([]);
      expect(result.errors).to.have.length(1);
      expect(result.errors[0]).to.deep.include({
        row: 2,
        column: "email",
        code: "INVALID_EMAIL",
        columnLabel: { en: "E-mail address", "zh-HK": "電郵地址" },
      });
      expect(result.errors[0].message.en).to.match(/^E-mail address \(email\) /);
      expect(result.errors[0].message["zh-HK"]).to.match(/^電郵地址（email）/);
      const text = JSON.stringify(result.errors);
      for (const part of value.split(/[@\s,]+/).filter((p) => p.length > 3)) expect(text).to.not.include(part);
    });
  }

  it("is a field of every JSON record: returned as email beside the record; null and empty are none", function () {
    const given = validateRecord("fsd-fsi-contractor", {
      ...VALID_ROWS["fsd-fsi-contractor"],
      email: "Ops@Boatyard.hk",
    });
    expect(given.errors).to.deep.equal([]);
    expect(given.email).to.equal("Ops@Boatyard.hk");
    expect(given.record).to.not.have.property("email");
    expect(JSON.stringify(given.record)).to.not.include("Boatyard.hk");
    for (const email of [null, "", undefined]) {
      const none = validateRecord("fsd-fsi-contractor", { ...VALID_ROWS["fsd-fsi-contractor"], email });
      expect(none.errors).to.deep.equal([]);
      expect(none).to.not.have.property("email");
    }
  });

  it("refuses a JSON address that is not a string, or not an address, and returns no record", function () {
    const number = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], email: 7 }, { row: 4 });
    const bad = validateRecord("csb-cre", { ...VALID_ROWS["csb-cre"], email: "chan" }, { row: 4 });

    expect(number.errors.map((e) => [e.row, e.column, e.code])).to.deep.equal([[4, "email", "WRONG_TYPE"]]);
    expect(bad.errors.map((e) => [e.row, e.column, e.code])).to.deep.equal([[4, "email", "INVALID_EMAIL"]]);
    expect(bad.record).to.equal(undefined);
    expect(bad).to.not.have.property("email");
  });

  it("refuses a row with a bad address even when its other cells are fine, and keeps its other issues", function () {
    const result = validateCsv(csvOf("csb-cre", { email: "chan", uc_result: "L3" }), "csb-cre");

    expect(result.errors.map((e) => [e.column, e.code])).to.have.deep.members([
      ["uc_result", "NOT_IN_ENUM"],
      ["email", "INVALID_EMAIL"],
    ]);
  });

  for (const typeId of TYPES) {
    it(`leaves a ${typeId} credential byte-identical to one from the same row without the column`, function () {
      const issue = (bytes: Uint8Array) => {
        const { records, errors } = validateCsv(bytes, typeId);
        expect(errors).to.deep.equal([]);
        const { credential, digest } = createCredential({
          record: records[0],
          getRandomValues: deterministicRandom(`email-${typeId}`),
          now: fixedClock("2026-10-01T02:00:00Z"),
        });
        return { json: JSON.stringify(credential), digest };
      };
      const without = issue(csvOf(typeId, {}));
      const withAddress = issue(csvOf(typeId, { email: "candidate@example.gov.hk" }));

      expect(withAddress.json).to.equal(without.json);
      expect(withAddress.digest).to.equal(without.digest);
      expect(withAddress.json).to.not.include("candidate@example");

      // The same through JSON.
      const fromJson = validateRecord(typeId, { ...VALID_ROWS[typeId], email: "candidate@example.gov.hk" });
      const { credential } = createCredential({
        record: fromJson.record!,
        getRandomValues: deterministicRandom(`email-${typeId}`),
        now: fixedClock("2026-10-01T02:00:00Z"),
      });
      expect(JSON.stringify(credential)).to.equal(without.json);
    });
  }

  it("is reserved: no certificate type may define a column named email", function () {
    const base = CERTIFICATE_TYPES.find((t) => t.id === "fsd-fsi-contractor")!;
    const withEmail: CertificateTypeSchema = {
      ...base,
      columns: [
        ...base.columns,
        {
          column: "email",
          path: "/email",
          kind: "text",
          required: false,
          maxLength: 254,
          hideable: false,
          label: { en: "E-mail", "zh-HK": "電郵" },
        },
      ],
    };
    expect(() => assertValidSchema(withEmail))
      .to.throw(/reserved/)
      .with.property("code", "INVALID_SCHEMA");
  });
});
