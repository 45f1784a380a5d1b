import { expect } from "chai";
import { getAddress, keccak256, sha256, toUtf8Bytes, concat } from "ethers";
import canonicalize from "canonicalize";

import { computeCredentialDigest } from "../../core/computeCredentialDigest.ts";
import { createCredential } from "../../core/createCredential.ts";
import type { Credential } from "../../core/credential.ts";
import { CoreError } from "../../core/errors.ts";
import { brokenDisclosureRule, hideClaims } from "../../core/hideClaims.ts";
import { buildMerkleTree } from "../../core/merkle.ts";
import { validateRecord } from "../../core/validateRecord.ts";
import { getCertificateType } from "../../core/types/index.ts";
import { withMerkleProof } from "../../core/withMerkleProof.ts";
import { VALID_ROWS, deterministicRandom, fixedClock, hideIgnoringDisclosureRules } from "./helpers.ts";
import type { SampleTypeId } from "./helpers.ts";

const REGISTRY = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

function issue(typeId: SampleTypeId, seed = "credential-test", overrides: Record<string, unknown> = {}) {
  const { record, errors } = validateRecord(typeId, { ...VALID_ROWS[typeId], ...overrides });
  if (!record) throw new Error(JSON.stringify(errors));
  return createCredential({
    record,
    getRandomValues: deterministicRandom(seed),
    now: fixedClock("2026-11-02T09:30:15.123Z"),
  });
}

/** A deep copy to tamper with. */
function copy(vc: Credential): Credential {
  return JSON.parse(JSON.stringify(vc)) as Credential;
}

/** Asserts that `fn` throws a CoreError with `code`. */
function expectCoreError(fn: () => unknown, code: string, messagePart?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a CoreError").to.be.instanceOf(CoreError);
  expect((thrown as CoreError).code).to.equal(code);
  if (messagePart) expect((thrown as CoreError).message).to.include(messagePart);
}

describe("createCredential", function () {
  it("builds a VC Data Model 2.0 document for a permanent type, validFrom from the clock in whole seconds", function () {
    const { credential } = issue("csb-cre");

    expect(credential["@context"]).to.deep.equal(["https://www.w3.org/ns/credentials/v2"]);
    expect(credential.type).to.deep.equal(["VerifiableCredential", "HkECertCredential"]);
    expect(credential.id).to.match(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(credential.issuer).to.equal("urn:hk-ecert:issuer:CSB");
    expect(credential.validFrom).to.equal("2026-11-02T09:30:15Z");
    expect(credential).to.not.have.property("validUntil");
    expect(credential.credentialSchema).to.deep.equal({ id: "urn:hk-ecert:schema:csb-cre:1", type: "JsonSchema" });
    expect(credential.credentialSubject).to.deep.equal({
      type: "csb-cre",
      certificateNumber: "CRE2026000001-20260912",
      candidateNumber: "CRE2026000001",
      name: { en: "WONG Hiu Tung", "zh-HK": "黃曉彤" },
      hkidPartial: "E654***(*)",
      sittingDate: "2026-09-12",
      results: { uc: "Fail", ue: "L2", at: "Pass" },
    });
    expect(credential.proof.type).to.equal("HkECertMerkleProof2026");
    expect(credential.proof.hidden).to.deep.equal({});
    expect(credential.proof).to.not.have.property("merkle");
  });

  it("puts validFrom and validUntil from the record for a period type, issued by FSD", function () {
    const { credential } = issue("fsd-dg-licence");

    expect(credential.issuer).to.equal("urn:hk-ecert:issuer:FSD");
    expect(credential.validFrom).to.equal("2026-10-21T00:00:00+08:00");
    expect(credential.validUntil).to.equal("2027-10-21T23:59:59+08:00");
    expect(credential.credentialSubject.certificateNumber).to.equal("DGL/2026/00004");
  });

  it("gives every claim its own 16-byte base64url salt, and nothing else a salt", function () {
    const { credential } = issue("csb-cre");

    expect(Object.keys(credential.proof.salts)).to.deep.equal([
      "/@context",
      "/type",
      "/id",
      "/issuer",
      "/validFrom",
      "/credentialSchema/id",
      "/credentialSchema/type",
      "/credentialSubject/type",
      "/credentialSubject/certificateNumber",
      "/credentialSubject/candidateNumber",
      "/credentialSubject/name/en",
      "/credentialSubject/name/zh-HK",
      "/credentialSubject/hkidPartial",
      "/credentialSubject/sittingDate",
      "/credentialSubject/results/uc",
      "/credentialSubject/results/ue",
      "/credentialSubject/results/at",
    ]);
    const salts = Object.values(credential.proof.salts);
    for (const salt of salts) expect(salt).to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(salts).size).to.equal(salts.length);
  });

  it("computes the digest as keccak256(domain || sorted sha256(JCS([salt, pointer, value])))", function () {
    const { credential, digest } = issue("fsd-fsi-contractor");

    // An independent restatement of the scheme with ethers and canonicalize only.
    const { proof, ...document } = credential;
    const leaves: [string, unknown][] = [];
    const walk = (node: Record<string, unknown>, prefix: string): void => {
      for (const [key, value] of Object.entries(node)) {
        const pointer = `${prefix}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
        if (value !== null && typeof value === "object" && !Array.isArray(value))
          walk(value as Record<string, unknown>, pointer);
        else leaves.push([pointer, value]);
      }
    };
    walk(document, "");
    const fieldDigests = leaves.map(([pointer, value]) =>
      sha256(toUtf8Bytes(canonicalize([proof.salts[pointer], pointer, value])!)),
    );
    const expected = keccak256(concat([toUtf8Bytes("hk-ecert:credential:v1"), ...fieldDigests.sort()]));

    expect(leaves.map(([p]) => p)).to.include("/credentialSubject/classes");
    expect(digest).to.equal(expected);
    expect(computeCredentialDigest(credential)).to.equal(expected);
  });

  it("draws different salts and ids from the default CSPRNG on every call", function () {
    const { record } = validateRecord("csb-cre", VALID_ROWS["csb-cre"]);
    const a = createCredential({ record: record! });
    const b = createCredential({ record: record! });

    expect(a.credential.id).to.not.equal(b.credential.id);
    expect(a.credential.proof.salts["/credentialSubject/name/en"]).to.not.equal(
      b.credential.proof.salts["/credentialSubject/name/en"],
    );
    expect(a.digest).to.not.equal(b.digest);
  });

  it("does not share objects with the record it was given", function () {
    const { record } = validateRecord("csb-cre", VALID_ROWS["csb-cre"]);
    const { credential } = createCredential({ record: record! });
    (credential.credentialSubject.name as Record<string, string>).en = "CHANGED";

    expect((record!.subject.name as Record<string, string>).en).to.equal("WONG Hiu Tung");
  });

  it("refuses records that do not fit their type with INVALID_RECORD", function () {
    const { record } = validateRecord("csb-cre", VALID_ROWS["csb-cre"]);
    const subject = record!.subject;
    const period = validateRecord("fsd-fsi-contractor", VALID_ROWS["fsd-fsi-contractor"]).record!;

    expectCoreError(
      () => createCredential({ record: { subject: { ...subject, nickname: "x" } } }),
      "INVALID_RECORD",
      "nickname",
    );
    expectCoreError(
      () => createCredential({ record: { subject: { ...subject, hkidPartial: undefined as never } } }),
      "INVALID_RECORD",
    );
    expectCoreError(() => createCredential({ record: { subject: { ...subject, score: 5 } } }), "INVALID_RECORD");
    expectCoreError(
      () => createCredential({ record: { subject: { ...subject, name: {} } } }),
      "INVALID_RECORD",
      "Empty object",
    );
    expectCoreError(
      () => createCredential({ record: { ...record!, validFrom: "2026-01-01T00:00:00Z" } }),
      "INVALID_RECORD",
    );
    expectCoreError(() => createCredential({ record: { subject: period.subject } }), "INVALID_RECORD", "validUntil");
    expectCoreError(() => createCredential({ record: { subject: { ...subject, type: "nope" } } }), "UNKNOWN_TYPE");
  });

  it("refuses a subject with an own __proto__ key as an unknown field, never as a prototype", function () {
    const { record } = validateRecord("csb-cre", VALID_ROWS["csb-cre"]);
    const subject = JSON.parse(JSON.stringify(record!.subject).replace('"type"', '"__proto__":{"x":1},"type"'));

    expectCoreError(() => createCredential({ record: { subject } }), "INVALID_RECORD", "__proto__");
  });
});

describe("computeCredentialDigest", function () {
  it("returns the digest createCredential returned, for every type", function () {
    for (const typeId of Object.keys(VALID_ROWS) as SampleTypeId[]) {
      const { credential, digest } = issue(typeId);
      expect(computeCredentialDigest(credential), typeId).to.equal(digest);
    }
  });

  it("ignores proof.merkle", function () {
    const { credential, digest } = issue("csb-cre");
    const anchored = withMerkleProof(credential, { root: digest, path: [], chainId: 31337, registry: REGISTRY });

    expect(computeCredentialDigest(anchored)).to.equal(digest);
  });

  describe("rejects a malformed credential with MALFORMED", function () {
    const cases: [string, (vc: Credential) => void, string?][] = [
      ["a claim without a salt", (vc) => delete vc.proof.salts["/credentialSubject/name/en"], "has no salt"],
      [
        "a salt without a claim",
        (vc) => (vc.proof.salts["/credentialSubject/nickname"] = "AAAAAAAAAAAAAAAAAAAAAA"),
        "not a disclosed claim",
      ],
      [
        "a hidden entry without a claim slot",
        (vc) => (vc.proof.hidden["/credentialSubject/nickname"] = `0x${"ab".repeat(32)}`),
        "not a field",
      ],
      [
        "a pointer both salted and hidden",
        (vc) => (vc.proof.hidden["/credentialSubject/hkidPartial"] = `0x${"ab".repeat(32)}`),
        "both disclosed and hidden",
      ],
      [
        "a salt shorter than 16 bytes",
        (vc) => (vc.proof.salts["/credentialSubject/name/en"] = "AAAAAAAAAAAAAAAAAAAAA"),
        "16 bytes",
      ],
      [
        "a salt that is not base64url",
        (vc) => (vc.proof.salts["/credentialSubject/name/en"] = "AAAAAAAAAAAAAAAAAAAAAA=="),
        "16 bytes",
      ],
      [
        "a hidden non-hideable pointer",
        (vc) => {
          delete (vc.credentialSubject as Record<string, unknown>).sittingDate;
          delete vc.proof.salts["/credentialSubject/sittingDate"];
          vc.proof.hidden["/credentialSubject/sittingDate"] = `0x${"ab".repeat(32)}`;
        },
        "may not be hidden",
      ],
      [
        "a hidden certificate number",
        (vc) => {
          delete (vc.credentialSubject as Record<string, unknown>).certificateNumber;
          delete vc.proof.salts["/credentialSubject/certificateNumber"];
          vc.proof.hidden["/credentialSubject/certificateNumber"] = `0x${"ab".repeat(32)}`;
        },
      ],
      [
        "a bad hex digest",
        (vc) => {
          delete (vc.credentialSubject as Record<string, unknown>).hkidPartial;
          delete vc.proof.salts["/credentialSubject/hkidPartial"];
          vc.proof.hidden["/credentialSubject/hkidPartial"] = `0x${"AB".repeat(32)}`;
        },
        "lowercase hex",
      ],
      [
        "a short hex digest",
        (vc) => {
          delete (vc.credentialSubject as Record<string, unknown>).hkidPartial;
          delete vc.proof.salts["/credentialSubject/hkidPartial"];
          vc.proof.hidden["/credentialSubject/hkidPartial"] = `0x${"ab".repeat(31)}`;
        },
      ],
      [
        "an extra claim with a salt",
        (vc) => {
          (vc.credentialSubject as Record<string, unknown>).nickname = "Ah Tung";
          vc.proof.salts["/credentialSubject/nickname"] = "AAAAAAAAAAAAAAAAAAAAAA";
        },
        "not a field",
      ],
      [
        "a required claim neither disclosed nor hidden",
        (vc) => {
          delete (vc.credentialSubject as Record<string, unknown>).hkidPartial;
          delete vc.proof.salts["/credentialSubject/hkidPartial"];
        },
        "missing",
      ],
      [
        "a claim of the wrong JSON type",
        (vc) => ((vc.credentialSubject as Record<string, unknown>).sittingDate = 20260912),
        "must be a string",
      ],
      ["an empty object", (vc) => ((vc.credentialSubject as Record<string, unknown>).extra = {}), "Empty object"],
      ["the wrong issuer for the type", (vc) => (vc.issuer = "urn:hk-ecert:issuer:FSD")],
      ["the wrong schema id", (vc) => (vc.credentialSchema.id = "urn:hk-ecert:schema:csb-cre:2")],
      ["an extra @context", (vc) => vc["@context"].push("https://example.org/ctx")],
      ["a non-UUID id", (vc) => (vc.id = "urn:uuid:not-a-uuid")],
      ["a validFrom that is not a date-time", (vc) => (vc.validFrom = "2026-11-02")],
      ["a validUntil on a permanent type", (vc) => (vc.validUntil = "2030-01-01T00:00:00Z")],
      ["an unknown proof type", (vc) => ((vc.proof as { type: string }).type = "DataIntegrityProof")],
      ["no proof", (vc) => delete (vc as Partial<Credential>).proof],
      ["an unknown key in proof", (vc) => ((vc.proof as Record<string, unknown>).extra = 1)],
      [
        "a malformed merkle anchor",
        (vc) => (vc.proof.merkle = { root: "0x12", path: [], chainId: 1, registry: REGISTRY } as never),
      ],
    ];
    for (const [label, tamper, messagePart] of cases) {
      it(`when it has ${label}`, function () {
        const vc = copy(issue("csb-cre").credential);
        tamper(vc);
        expectCoreError(() => computeCredentialDigest(vc), "MALFORMED", messagePart);
      });
    }

    it("when it is not an object at all", function () {
      for (const input of [null, 42, "vc", [], {}]) expectCoreError(() => computeCredentialDigest(input), "MALFORMED");
    });
  });

  it("rejects an unknown certificate type with UNKNOWN_TYPE", function () {
    const vc = copy(issue("csb-cre").credential);
    vc.credentialSubject.type = "csb-unknown";

    expectCoreError(() => computeCredentialDigest(vc), "UNKNOWN_TYPE");
  });
});

describe("hideClaims", function () {
  it("removes the claim and its salt, records its field digest, and keeps the credential digest", function () {
    const { credential, digest } = issue("csb-cre");

    const shared = hideClaims(credential, ["/credentialSubject/hkidPartial"]);

    expect(shared.credentialSubject).to.not.have.property("hkidPartial");
    expect(shared.proof.salts).to.not.have.property("/credentialSubject/hkidPartial");
    const salt = credential.proof.salts["/credentialSubject/hkidPartial"];
    expect(shared.proof.hidden).to.deep.equal({
      "/credentialSubject/hkidPartial": sha256(
        toUtf8Bytes(canonicalize([salt, "/credentialSubject/hkidPartial", "E654***(*)"])!),
      ),
    });
    expect(computeCredentialDigest(shared)).to.equal(digest);
  });

  it("hides every claim under an object pointer and removes the emptied object", function () {
    const { credential, digest } = issue("csb-cre");

    const shared = hideClaims(credential, ["/credentialSubject/results"]);

    expect(shared.credentialSubject).to.not.have.property("results");
    expect(Object.keys(shared.proof.hidden)).to.deep.equal([
      "/credentialSubject/results/uc",
      "/credentialSubject/results/ue",
      "/credentialSubject/results/at",
    ]);
    expect(computeCredentialDigest(shared)).to.equal(digest);
  });

  it("keeps the parent object while one of its claims is still disclosed", function () {
    const shared = hideClaims(issue("csb-cre").credential, ["/credentialSubject/results/uc"]);

    expect(shared.credentialSubject.results).to.deep.equal({ ue: "L2", at: "Pass" });
  });

  it("is idempotent and can be applied in steps", function () {
    const { credential, digest } = issue("csb-blnst");

    const once = hideClaims(credential, ["/credentialSubject/score"]);
    const twice = hideClaims(hideClaims(once, ["/credentialSubject/score"]), ["/credentialSubject/result"]);

    expect(Object.keys(twice.proof.hidden)).to.deep.equal(["/credentialSubject/score", "/credentialSubject/result"]);
    expect(computeCredentialDigest(twice)).to.equal(digest);
  });

  it("does not modify its input", function () {
    const { credential } = issue("csb-cre");
    const before = JSON.stringify(credential);

    hideClaims(credential, ["/credentialSubject/name/zh-HK", "/credentialSubject/hkidPartial"]);

    expect(JSON.stringify(credential)).to.equal(before);
  });

  it("keeps proof.merkle", function () {
    const { credential, digest } = issue("csb-cre");
    const anchored = withMerkleProof(credential, { root: digest, path: [], chainId: 31337, registry: REGISTRY });

    expect(hideClaims(anchored, ["/credentialSubject/hkidPartial"]).proof.merkle).to.deep.equal(anchored.proof.merkle);
  });

  it("refuses the never-hideable envelope claims with NOT_HIDEABLE", function () {
    const { credential } = issue("fsd-dg-licence");
    for (const pointer of [
      "/@context",
      "/type",
      "/id",
      "/issuer",
      "/validFrom",
      "/validUntil",
      "/credentialSchema/id",
      "/credentialSchema/type",
      "/credentialSchema",
      "/credentialSubject/type",
      "/credentialSubject/certificateNumber",
    ]) {
      expectCoreError(() => hideClaims(credential, [pointer]), "NOT_HIDEABLE");
    }
  });

  it("refuses fields the schema marks not hideable with NOT_HIDEABLE", function () {
    expectCoreError(() => hideClaims(issue("csb-cre").credential, ["/credentialSubject/sittingDate"]), "NOT_HIDEABLE");
    expectCoreError(
      () => hideClaims(issue("csb-cre").credential, ["/credentialSubject/candidateNumber"]),
      "NOT_HIDEABLE",
    );
    expectCoreError(
      () => hideClaims(issue("fsd-dg-licence").credential, ["/credentialSubject/premises/en"]),
      "NOT_HIDEABLE",
    );
    // An object pointer covering one non-hideable claim is refused as a whole.
    expectCoreError(() => hideClaims(issue("csb-cre").credential, ["/credentialSubject"]), "NOT_HIDEABLE");
  });

  describe("the schema's disclosure rule: at least one name stays disclosed", function () {
    const both = "/credentialSubject/name/en and /credentialSubject/name/zh-HK may not all be hidden";
    const reason = (typeId: SampleTypeId) => getCertificateType(typeId).disclosure![0].reason;

    it("refuses hiding both names, at once, by their object or in two steps, with NOT_HIDEABLE and the reason in both languages", function () {
      for (const typeId of ["csb-cre", "csb-blnst"] as const) {
        const { credential } = issue(typeId);
        const { en, "zh-HK": zh } = reason(typeId);
        for (const pointers of [
          ["/credentialSubject/name/en", "/credentialSubject/name/zh-HK"],
          ["/credentialSubject/name"],
          ["/credentialSubject/hkidPartial", "/credentialSubject/name"],
        ]) {
          expectCoreError(() => hideClaims(credential, pointers), "NOT_HIDEABLE", both);
          expect(brokenDisclosureRule(credential, pointers)?.reason.en).to.equal(en);
        }
        const once = hideClaims(credential, ["/credentialSubject/name/zh-HK"]);
        let thrown: CoreError | undefined;
        try {
          hideClaims(once, ["/credentialSubject/name/en"]);
        } catch (e) {
          thrown = e as CoreError;
        }
        expect(thrown?.code).to.equal("NOT_HIDEABLE");
        expect(thrown?.message).to.include(en).and.include(zh);
        expect(zh).to.match(/姓名/);
        expect(thrown?.details).to.deep.equal({
          pointers: ["/credentialSubject/name/en", "/credentialSubject/name/zh-HK"],
          columns: ["name_en", "name_zh"],
          reason: { en, "zh-HK": zh },
        });
      }
    });

    it("lets either name be hidden alone, with everything else", function () {
      const { credential, digest } = issue("csb-cre");
      for (const name of ["/credentialSubject/name/en", "/credentialSubject/name/zh-HK"]) {
        const others = ["/credentialSubject/hkidPartial", "/credentialSubject/results"];
        expect(brokenDisclosureRule(credential, [name, ...others])).to.equal(undefined);
        const shared = hideClaims(credential, [name, ...others]);
        expect(computeCredentialDigest(shared)).to.equal(digest);
      }
    });

    it("keeps the English name when there is no Chinese name", function () {
      const { credential } = issue("csb-cre", "no-chinese-name", { name_zh: "" });
      expect(credential.credentialSubject).to.not.have.nested.property("name.zh-HK");
      expectCoreError(() => hideClaims(credential, ["/credentialSubject/name/en"]), "NOT_HIDEABLE", both);
      expect(brokenDisclosureRule(credential, ["/credentialSubject/name/en"])).to.not.equal(undefined);
      expect(brokenDisclosureRule(credential, ["/credentialSubject/hkidPartial"])).to.equal(undefined);
    });

    it("still verifies a credential made before the rule with both names hidden, and hides its other claims", function () {
      const { credential, digest } = issue("csb-cre");
      const old = hideIgnoringDisclosureRules(credential, ["/credentialSubject/name"]);
      expect(Object.keys(old.proof.hidden)).to.have.members([
        "/credentialSubject/name/en",
        "/credentialSubject/name/zh-HK",
      ]);
      expect(computeCredentialDigest(old)).to.equal(digest);
      const more = hideClaims(old, ["/credentialSubject/hkidPartial", "/credentialSubject/name/en"]);
      expect(computeCredentialDigest(more)).to.equal(digest);
      expect(more.proof.hidden).to.have.property("/credentialSubject/hkidPartial");
    });

    it("asks nothing of types without a rule", function () {
      expect(brokenDisclosureRule(issue("fsd-dg-licence").credential, [])).to.equal(undefined);
    });
  });

  it("refuses a pointer that addresses no claim with UNKNOWN_CLAIM", function () {
    const { credential } = issue("csb-cre");
    for (const pointer of [
      "/credentialSubject/nickname",
      "/credentialSubject/name/fr",
      "/credentialSubject/na",
      "",
      "credentialSubject/name",
    ]) {
      expectCoreError(() => hideClaims(credential, [pointer]), "UNKNOWN_CLAIM");
    }
  });
});

describe("withMerkleProof", function () {
  it("attaches root, path, chain id and checksummed registry after checking the path", function () {
    const batch = (["csb-cre", "csb-blnst", "fsd-dg-licence"] as const).map((t) => issue(t));
    const tree = buildMerkleTree(batch.map((c) => c.digest));

    const vc = withMerkleProof(batch[1].credential, {
      root: tree.root,
      path: tree.proof(1),
      chainId: 31337,
      registry: REGISTRY,
    });

    expect(vc.proof.merkle).to.deep.equal({
      root: tree.root,
      path: tree.proof(1),
      chainId: 31337,
      registry: getAddress(REGISTRY),
    });
    expect(batch[1].credential.proof).to.not.have.property("merkle");
  });

  it("lowercases hex given in upper case", function () {
    const { credential, digest } = issue("csb-cre");

    const vc = withMerkleProof(credential, {
      root: digest.toUpperCase().replace("0X", "0x"),
      path: [],
      chainId: 1,
      registry: REGISTRY,
    });

    expect(vc.proof.merkle?.root).to.equal(digest);
  });

  it("refuses a path that does not lead to the root with INVALID_PROOF", function () {
    const batch = (["csb-cre", "csb-blnst", "fsd-dg-licence"] as const).map((t) => issue(t));
    const tree = buildMerkleTree(batch.map((c) => c.digest));

    expectCoreError(
      () =>
        withMerkleProof(batch[0].credential, {
          root: tree.root,
          path: tree.proof(1),
          chainId: 31337,
          registry: REGISTRY,
        }),
      "INVALID_PROOF",
    );
  });

  it("refuses a malformed anchor with INVALID_ARGUMENT", function () {
    const { credential, digest } = issue("csb-cre");
    const good = { root: digest, path: [] as string[], chainId: 31337, registry: REGISTRY };

    expectCoreError(() => withMerkleProof(credential, { ...good, root: "0x1234" }), "INVALID_ARGUMENT");
    expectCoreError(() => withMerkleProof(credential, { ...good, path: ["0x12"] }), "INVALID_ARGUMENT");
    expectCoreError(() => withMerkleProof(credential, { ...good, chainId: 0 }), "INVALID_ARGUMENT");
    expectCoreError(() => withMerkleProof(credential, { ...good, chainId: 1.5 }), "INVALID_ARGUMENT");
    expectCoreError(() => withMerkleProof(credential, { ...good, registry: "0x1234" }), "INVALID_ARGUMENT");
    expectCoreError(() => withMerkleProof(credential, { ...good, path: "0x12" as never }), "INVALID_ARGUMENT");
  });
});
