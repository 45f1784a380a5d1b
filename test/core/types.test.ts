import { expect } from "chai";

import { CERTIFICATE_TYPES, assertValidSchema, getCertificateType } from "../../core/types/index.ts";
import type { CertificateTypeSchema } from "../../core/types/index.ts";

const cre = getCertificateType("csb-cre");

/** csb-cre with changes, to check that assertValidSchema catches each inconsistency. */
function broken(change: (schema: Record<string, unknown>) => void): CertificateTypeSchema {
  const copy = { ...cre, columns: cre.columns.map((c) => ({ ...c })) } as unknown as Record<string, unknown>;
  change(copy);
  return copy as unknown as CertificateTypeSchema;
}

/** A disclosure rule over `columns`, with a reason in both languages. */
function rule(columns: string[]) {
  return { atLeastOneOf: columns, reason: { en: "Why", "zh-HK": "原因" } };
}

describe("certificate type registry", function () {
  it("lists the four types, each from its issuer, with bilingual titles and labels", function () {
    expect(CERTIFICATE_TYPES.map((t) => [t.id, t.issuer, t.validity.kind])).to.deep.equal([
      ["csb-cre", "CSB", "permanent"],
      ["csb-blnst", "CSB", "permanent"],
      ["fsd-dg-licence", "FSD", "period"],
      ["fsd-fsi-contractor", "FSD", "period"],
    ]);
    for (const type of CERTIFICATE_TYPES) {
      expect(type.title.en).to.not.equal("");
      expect(type.title["zh-HK"]).to.not.equal("");
      for (const column of type.columns) expect(column.label["zh-HK"], `${type.id}.${column.column}`).to.not.equal("");
    }
  });

  it("keeps at least one name of a CSB candidate disclosed, with the reason in both languages; FSD types hide nothing", function () {
    for (const id of ["csb-cre", "csb-blnst"]) {
      const [only, ...more] = getCertificateType(id).disclosure ?? [];
      expect(more, id).to.deep.equal([]);
      expect(only.atLeastOneOf, id).to.deep.equal(["name_en", "name_zh"]);
      expect(only.reason.en).to.match(/name/);
      expect(only.reason["zh-HK"]).to.match(/姓名/);
    }
    for (const id of ["fsd-dg-licence", "fsd-fsi-contractor"]) {
      expect(getCertificateType(id).disclosure, id).to.equal(undefined);
      expect(
        getCertificateType(id).columns.some((c) => c.hideable),
        id,
      ).to.equal(false);
    }
  });

  it("throws UNKNOWN_TYPE for an id no schema has", function () {
    expect(() => getCertificateType("csb-nope"))
      .to.throw()
      .with.property("code", "UNKNOWN_TYPE");
    expect(() => getCertificateType(undefined as unknown as string))
      .to.throw()
      .with.property("code", "UNKNOWN_TYPE");
  });

  it("derives exam certificate numbers from the candidate number and the sitting", function () {
    expect(cre.certificateNumber?.derive({ candidate_number: "CRE2026000001", sitting_date: "2026-09-12" })).to.equal(
      "CRE2026000001-20260912",
    );
  });

  describe("assertValidSchema throws INVALID_SCHEMA", function () {
    const cases: [string, (s: Record<string, unknown>) => void][] = [
      ["for an id that is not lowercase words", (s) => (s.id = "CSB CRE")],
      ["for a version of 0", (s) => (s.version = 0)],
      ["for two columns with one name", (s) => ((s.columns as { column: string }[])[2].column = "name_en")],
      ["for two columns with one path", (s) => ((s.columns as { path: string }[])[2].path = "/name/en")],
      ["for a path inside another path", (s) => ((s.columns as { path: string }[])[2].path = "/hkidPartial/x")],
      ["for a path that is not a pointer", (s) => ((s.columns as { path: string }[])[2].path = "name")],
      ["for a column that sets /type", (s) => ((s.columns as { path: string }[])[2].path = "/type")],
      ["for a key column that is not a column", (s) => (s.keyColumn = "nope")],
      ["for no certificate number", (s) => delete s.certificateNumber],
      ["for two certificate numbers", (s) => ((s.columns as { path: string }[])[0].path = "/certificateNumber")],
      ["for an enum value longer than maxLength", (s) => ((s.columns as { maxLength: number }[])[5].maxLength = 1)],
      ["for a disclosure rule on a column that does not exist", (s) => (s.disclosure = [rule(["name_en", "nope"])])],
      [
        "for a disclosure rule on a column that is not hideable",
        (s) => (s.disclosure = [rule(["name_en", "sitting_date"])]),
      ],
      ["for a disclosure rule of one column", (s) => (s.disclosure = [rule(["name_en"])])],
      ["for a disclosure rule naming a column twice", (s) => (s.disclosure = [rule(["name_en", "name_en"])])],
      [
        "for a disclosure rule with no Chinese reason",
        (s) => (s.disclosure = [{ ...rule(["name_en", "name_zh"]), reason: { en: "Why", "zh-HK": " " } }]),
      ],
    ];
    for (const [label, change] of cases) {
      it(label, function () {
        expect(() => assertValidSchema(broken(change)))
          .to.throw()
          .with.property("code", "INVALID_SCHEMA");
      });
    }

    it("and accepts every registered schema", function () {
      for (const type of CERTIFICATE_TYPES) expect(() => assertValidSchema(type)).to.not.throw();
    });
  });
});
