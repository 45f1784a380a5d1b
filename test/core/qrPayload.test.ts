import { expect } from "chai";
import { getAddress } from "ethers";
import { deflateSync } from "fflate";
import jsQRModule from "jsqr";
import QRCode from "qrcode";

import { computeCredentialDigest } from "../../core/computeCredentialDigest.ts";
import { createCredential } from "../../core/createCredential.ts";
import type { Credential } from "../../core/credential.ts";
import { CoreError } from "../../core/errors.ts";
import { buildMerkleTree } from "../../core/merkle.ts";
import { keccak256Bytes } from "../../core/keccak.ts";
import { toHex } from "../../core/bytes.ts";
import {
  MAX_CREDENTIAL_PAYLOAD_BYTES,
  decodeCredentialPayload,
  decodeCredentialUrl,
  encodeCredentialPayload,
  encodeCredentialUrl,
} from "../../core/qr/index.ts";
import { validateCsv } from "../../core/validateCsv.ts";
import { withMerkleProof } from "../../core/withMerkleProof.ts";
import { deterministicRandom, fixedClock, hideIgnoringDisclosureRules, sample } from "./helpers.ts";

// jsqr is CommonJS with an ES-style `export default` in its types: at run time the import is the function.
const jsQR = ((jsQRModule as unknown as { default?: unknown }).default ??
  jsQRModule) as unknown as typeof jsQRModule.default;

const BASE = "https://verify.ecert.gov.hk";
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
const TREE_SIZE = 10_000;

/** Every valid row of a sample CSV, issued in one batch padded to 10,000 leaves (a 14-hash path). */
function issueSample(file: string, typeId: string): Credential[] {
  const { records, errors, fileError } = validateCsv(sample(file), typeId);
  if (fileError || errors.length > 0) throw new Error(JSON.stringify(fileError ?? errors));
  const issued = records.map((record, i) =>
    createCredential({
      record,
      getRandomValues: deterministicRandom(`${file}:${i}`),
      now: fixedClock("2026-11-02T09:30:15Z"),
    }),
  );
  const leaves: string[] = issued.map((c) => c.digest);
  for (let i = leaves.length; i < TREE_SIZE; i++)
    leaves.push(toHex(keccak256Bytes(new Uint8Array([i >> 16, i >> 8, i & 255]))));
  const tree = buildMerkleTree(leaves);
  return issued.map(({ credential, digest }, i) =>
    withMerkleProof(
      credential,
      { root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY },
      { digest },
    ),
  );
}

const SAMPLES = [
  ["csb-cre.csv", "csb-cre"],
  ["csb-blnst.csv", "csb-blnst"],
  ["fsd-dg-licence.csv", "fsd-dg-licence"],
  ["fsd-fsi-contractor.csv", "fsd-fsi-contractor"],
] as const;

const issuedByFile = new Map<string, Credential[]>();
function issuedFrom(file: string, typeId: string): Credential[] {
  if (!issuedByFile.has(file)) issuedByFile.set(file, issueSample(file, typeId));
  return issuedByFile.get(file)!;
}

/** Payload bytes of a payload in either text form. */
function payloadBytes(payload: string): Uint8Array {
  const body = payload.slice(2);
  if (payload.startsWith("1.")) return new Uint8Array(Buffer.from(body, "base64url"));
  const out: number[] = [];
  for (let i = 0; i < body.length; i += 17) {
    const digits = body.slice(i, i + 17);
    const size = [0, 3, 5, 8, 10, 13, 15, 17].indexOf(digits.length);
    let value = BigInt(digits);
    const group: number[] = [];
    for (let k = 0; k < size; k++, value >>= 8n) group.unshift(Number(value & 255n));
    out.push(...group);
  }
  return new Uint8Array(out);
}

function base64Payload(bytes: Uint8Array): string {
  return "1." + Buffer.from(bytes).toString("base64url");
}

/** Asserts that `fn` throws a CoreError with `code` (and, optionally, a message containing `part`). */
function expectCoreError(fn: () => unknown, code: string, part?: string | RegExp): CoreError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, "expected a CoreError").to.be.instanceOf(CoreError);
  expect((thrown as CoreError).code, (thrown as CoreError).message).to.equal(code);
  if (typeof part === "string") expect((thrown as CoreError).message).to.include(part);
  else if (part) expect((thrown as CoreError).message).to.match(part);
  return thrown as CoreError;
}

function copy(vc: Credential): Credential {
  return JSON.parse(JSON.stringify(vc)) as Credential;
}

describe("QR / share-link payload: round trips of the sample data", function () {
  this.timeout(20_000);

  for (const [file, typeId] of SAMPLES) {
    it(`every row of ${file}, issued with a 14-hash path, decodes from its URL to the same credential and digest (both text forms)`, function () {
      for (const vc of issuedFrom(file, typeId)) {
        expect(vc.proof.merkle!.path).to.have.length(14);
        const digest = computeCredentialDigest(vc);
        for (const form of ["numeric", "base64url"] as const) {
          const url = encodeCredentialUrl(BASE, vc, { form });
          expect(url.startsWith(`${BASE}/#1${form === "numeric" ? "-" : "."}`)).to.equal(true);
          const decoded = decodeCredentialUrl(url);
          expect(decoded).to.deep.equal(vc);
          expect(computeCredentialDigest(decoded)).to.equal(digest);
          expect(decodeCredentialPayload(encodeCredentialPayload(vc, { form }))).to.deep.equal(vc);
        }
      }
    });
  }

  it("every csb-cre row with its name, HKID and results hidden decodes to the same selectively disclosed credential and digest", function () {
    for (const vc of issuedFrom("csb-cre.csv", "csb-cre")) {
      // Both names hidden: made before the schema's disclosure rule, which hideClaims now refuses; the
      // payload still carries such a credential.
      const toHide = ["/credentialSubject/name", "/credentialSubject/hkidPartial", "/credentialSubject/results/uc"];
      const shared = hideIgnoringDisclosureRules(vc, toHide);
      const decoded = decodeCredentialUrl(encodeCredentialUrl(BASE, shared));
      expect(decoded).to.deep.equal(shared);
      expect(computeCredentialDigest(decoded)).to.equal(computeCredentialDigest(vc));
    }
  });

  it("the decoded credential keeps createCredential's key order (so its JSON reads the same)", function () {
    const vc = issuedFrom("csb-cre.csv", "csb-cre")[0];
    const decoded = decodeCredentialUrl(encodeCredentialUrl(BASE, vc));
    expect(Object.keys(decoded)).to.deep.equal(Object.keys(vc));
    expect(Object.keys(decoded.credentialSubject)).to.deep.equal(Object.keys(vc.credentialSubject));
  });

  it("a typical csb-cre certificate fits QR version 25 at level M and the longest licence fits version 30 (sizes printed)", function () {
    const measure = (vc: Credential) => {
      const numeric = encodeCredentialUrl(BASE, vc);
      const base64url = encodeCredentialUrl(BASE, vc, { form: "base64url" });
      const bytes = payloadBytes(encodeCredentialPayload(vc)).length;
      return {
        bytes,
        json: JSON.stringify(vc).length,
        numeric: {
          chars: numeric.length - BASE.length - 2,
          url: numeric.length,
          qrM: QRCode.create(numeric, { errorCorrectionLevel: "M" }).version,
        },
        base64url: {
          chars: base64url.length - BASE.length - 2,
          url: base64url.length,
          qrM: QRCode.create(base64url, { errorCorrectionLevel: "M" }).version,
        },
      };
    };
    const cre = issuedFrom("csb-cre.csv", "csb-cre");
    const creSizes = cre.map(measure).sort((a, b) => a.bytes - b.bytes);
    const typical = creSizes[creSizes.length >> 1];
    const licences = issuedFrom("fsd-dg-licence.csv", "fsd-dg-licence");
    const longest = licences.map(measure).sort((a, b) => b.bytes - a.bytes)[0];
    const creShared = measure(
      hideIgnoringDisclosureRules(cre[0], ["/credentialSubject/name", "/credentialSubject/hkidPartial"]),
    );
    console.log(`      typical csb-cre (median of 20, 14-hash path): ${JSON.stringify(typical)}`);
    console.log(`      longest fsd-dg-licence (14-hash path):        ${JSON.stringify(longest)}`);
    console.log(`      csb-cre with name and HKID hidden:            ${JSON.stringify(creShared)}`);

    expect(typical.bytes).to.be.below(1100);
    expect(typical.numeric.qrM).to.be.at.most(25);
    expect(longest.bytes).to.be.below(MAX_CREDENTIAL_PAYLOAD_BYTES);
    expect(longest.numeric.qrM).to.be.at.most(30);
  });

  it("the QR code of a typical csb-cre and of the longest licence, rasterised at 3 dots a module (0.25 mm at 300 dpi), scans back to the credential", function () {
    const typical = issuedFrom("csb-cre.csv", "csb-cre")[0];
    const longest = [...issuedFrom("fsd-dg-licence.csv", "fsd-dg-licence")].sort(
      (a, b) => encodeCredentialPayload(b).length - encodeCredentialPayload(a).length,
    )[0];
    for (const vc of [typical, longest]) {
      const url = encodeCredentialUrl(BASE, vc);
      const { modules, version } = QRCode.create(url, { errorCorrectionLevel: "M" });
      const dots = 3;
      const quiet = 4;
      const side = (modules.size + 2 * quiet) * dots;
      const image = new Uint8ClampedArray(side * side * 4).fill(255);
      for (let y = 0; y < side; y++) {
        for (let x = 0; x < side; x++) {
          const mx = Math.floor(x / dots) - quiet;
          const my = Math.floor(y / dots) - quiet;
          if (mx >= 0 && my >= 0 && mx < modules.size && my < modules.size && modules.get(my, mx)) {
            image.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
          }
        }
      }
      const scanned = jsQR(image, side, side);
      expect(scanned?.data, `version ${version}`).to.equal(url);
      expect(decodeCredentialUrl(scanned!.data)).to.deep.equal(vc);
      console.log(
        `      ${vc.credentialSubject.type}: version ${version}, ${modules.size} modules, ${(
          (side * 25.4) /
          300
        ).toFixed(1)} mm square at 300 dpi with the quiet zone`,
      );
    }
  });

  it("encoding and decoding take well under a millisecond each (timing printed)", function () {
    const vcs = SAMPLES.flatMap(([file, typeId]) => issuedFrom(file, typeId));
    const urls = vcs.map((vc) => encodeCredentialUrl(BASE, vc));
    const rounds = 20;
    let start = performance.now();
    for (let r = 0; r < rounds; r++) for (const vc of vcs) encodeCredentialUrl(BASE, vc);
    const encodeMs = (performance.now() - start) / (rounds * vcs.length);
    start = performance.now();
    for (let r = 0; r < rounds; r++) for (const url of urls) decodeCredentialUrl(url);
    const decodeMs = (performance.now() - start) / (rounds * vcs.length);
    console.log(
      `      per credential: encode ${encodeMs.toFixed(3)} ms, decode ${decodeMs.toFixed(3)} ms (${vcs.length} credentials x ${rounds})`,
    );
    expect(encodeMs).to.be.below(5);
    expect(decodeMs).to.be.below(5);
  });
});

describe("QR / share-link payload: credentials outside the compact forms", function () {
  const base = () => copy(issuedFrom("csb-cre.csv", "csb-cre")[0]);
  const roundTrip = (vc: Credential) => {
    const decoded = decodeCredentialPayload(encodeCredentialPayload(vc));
    expect(decoded).to.deep.equal(vc);
    expect(computeCredentialDigest(decoded)).to.equal(computeCredentialDigest(vc));
  };

  it("a salt longer than 16 bytes, or not canonical base64url, round-trips exactly (salts stored as text)", function () {
    const vc = base();
    vc.proof.salts["/credentialSubject/name/en"] = "A".repeat(32);
    roundTrip(vc);
    const other = base();
    other.proof.salts["/id"] = other.proof.salts["/id"].slice(0, 21) + "B"; // non-zero unused bits
    roundTrip(other);
  });

  it("a lowercase or arbitrarily cased registry address round-trips exactly", function () {
    for (const registry of [
      REGISTRY.toLowerCase(),
      "0x5FBDB2315678AFECB367F032D93F642F64180AA3",
      "0x5fBdb2315678afecb367f032d93F642f64180aA3",
    ]) {
      const vc = base();
      vc.proof.merkle!.registry = registry;
      roundTrip(vc);
    }
  });

  it("an EIP-55 checksummed registry is stored as 20 bytes alone, any other letter case with a case mask (flag bit 3)", function () {
    const flagsOf = (vc: Credential) => payloadBytes(encodeCredentialPayload(vc))[1];
    for (let i = 0; i < 50; i++) {
      const vc = base();
      const lower = toHex(keccak256Bytes(new Uint8Array([i]))).slice(0, 42);
      vc.proof.merkle!.registry = getAddress(lower);
      expect(flagsOf(vc) & 8, vc.proof.merkle!.registry).to.equal(0);
      expect(decodeCredentialPayload(encodeCredentialPayload(vc)).proof.merkle!.registry).to.equal(getAddress(lower));
      vc.proof.merkle!.registry = lower;
      expect(flagsOf(vc) & 8).to.equal(8);
    }
  });

  it("a credential without a Merkle proof round-trips", function () {
    const vc = base();
    delete vc.proof.merkle;
    roundTrip(vc);
  });

  it("unusual validFrom / validUntil / dates / enum values / certificate numbers round-trip as literals", function () {
    const vc = base();
    vc.validFrom = "2026-11-02T09:30:15.5+08:00";
    vc.credentialSubject.sittingDate = "1899-12-31";
    (vc.credentialSubject.results as Record<string, string>).uc = "L3";
    vc.credentialSubject.certificateNumber = "NOT-DERIVED";
    vc.proof.merkle!.chainId = Number.MAX_SAFE_INTEGER;
    roundTrip(vc);

    const licence = copy(issuedFrom("fsd-dg-licence.csv", "fsd-dg-licence")[0]);
    licence.validFrom = "1969-12-31T00:00:00+08:00";
    licence.validUntil = "9999-12-31T23:59:59+08:00";
    roundTrip(licence);
  });

  it("integer claims at the ends of the safe range round-trip", function () {
    for (const score of [0, 100, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      const vc = copy(issuedFrom("csb-blnst.csv", "csb-blnst")[0]);
      vc.credentialSubject.score = score;
      roundTrip(vc);
    }
  });

  it("a credential that computeCredentialDigest rejects is refused with MALFORMED", function () {
    const vc = base();
    delete vc.proof.salts["/credentialSubject/name/en"];
    expectCoreError(() => encodeCredentialPayload(vc), "MALFORMED", "has no salt");
    expectCoreError(() => encodeCredentialPayload(null as unknown as Credential), "MALFORMED");
  });

  it("a claim with an unpaired UTF-16 surrogate is refused with MALFORMED", function () {
    const vc = base();
    (vc.credentialSubject.name as Record<string, string>).en = "WONG \ud800";
    expectCoreError(() => encodeCredentialPayload(vc), "MALFORMED", "surrogate");
  });

  it("a credential too large for a payload is refused with INVALID_ARGUMENT", function () {
    const vc = copy(issuedFrom("fsd-dg-licence.csv", "fsd-dg-licence")[0]);
    // Incompressible text: deflate cannot shrink it below the limit.
    const random = deterministicRandom("big")(new Uint8Array(9000));
    vc.credentialSubject.conditions = [Buffer.from(random).toString("base64")];
    expectCoreError(() => encodeCredentialPayload(vc), "INVALID_ARGUMENT", "more than the 8192");
  });

  it("encodeCredentialUrl adds one slash before # and refuses a base URL that is not absolute http(s) or has a fragment", function () {
    const vc = base();
    expect(encodeCredentialUrl(`${BASE}/`, vc)).to.equal(encodeCredentialUrl(BASE, vc));
    expect(encodeCredentialUrl(`${BASE}/verify`, vc).startsWith(`${BASE}/verify/#1-`)).to.equal(true);
    for (const bad of ["verify.ecert.gov.hk", "", "javascript:alert(1)", `${BASE}/#x`, 42 as unknown as string]) {
      expectCoreError(() => encodeCredentialUrl(bad, vc), "INVALID_ARGUMENT");
    }
    expectCoreError(() => encodeCredentialPayload(vc, { form: "hex" as "numeric" }), "INVALID_ARGUMENT");
  });

  it("decodeCredentialUrl accepts the URL, the bare payload and either with white space around", function () {
    const vc = base();
    const url = encodeCredentialUrl(BASE, vc);
    const payload = url.slice(url.indexOf("#") + 1);
    for (const input of [url, payload, `  ${url}\n`, `\t${payload} `, `#${payload}`])
      expect(decodeCredentialUrl(input)).to.deep.equal(vc);
  });
});

describe("QR / share-link payload: the documented byte layout", function () {
  // A csb-cre credential written by hand from the module comment: permanent, no Merkle proof, every
  // claim disclosed. Sorted slots: /@context, /credentialSchema/id, /credentialSchema/type,
  // .../candidateNumber, .../certificateNumber, .../hkidPartial, .../name/en, .../name/zh-HK,
  // .../results/at, .../results/uc, .../results/ue, .../sittingDate, /credentialSubject/type, /id,
  // /issuer, /type, /validFrom (17). Variable: hkidPartial, name/en, name/zh-HK, results/at, uc, ue.
  const utf8 = (s: string) => [...new TextEncoder().encode(s)];
  const str = (s: string) => [utf8(s).length, ...utf8(s)];
  const id = [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef];
  const seconds = Date.parse("2026-11-02T09:30:15Z") / 1000;
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 128);
    return [...out, n];
  };
  const header = (flags: number) => [
    1,
    flags,
    ...str("csb-cre"),
    ...id,
    ...varint(seconds * 4 + 1),
    0b01010101,
    0b0101,
    ...Array.from({ length: 17 * 16 }, (_, i) => i & 255),
  ];
  /** Offset of the claim states: version, flags, type (1 + 7), id (16), validFrom (5). */
  const STATES = 2 + 8 + 16 + varint(seconds * 4 + 1).length;
  const days1900 = (Date.parse("2026-09-12T00:00:00Z") - Date.UTC(1900, 0, 1)) / 86_400_000;
  const values = [
    ...str("CRE2026000001"), // candidateNumber
    0, // certificateNumber: derived
    ...str("E654***(*)"),
    ...str("WONG Hiu Tung"),
    ...str("黃曉彤"),
    0, // results/at: Pass
    2, // results/uc: Fail
    0, // results/ue: L2
    ...varint(days1900 + 1), // sittingDate
  ];

  it("a payload built byte by byte from the module comment decodes to the expected credential", function () {
    const vc = decodeCredentialPayload(base64Payload(new Uint8Array([...header(0), ...values])));
    expect(vc.id).to.equal("urn:uuid:12345678-9abc-4def-8123-456789abcdef");
    expect(vc.validFrom).to.equal("2026-11-02T09:30:15Z");
    expect(vc.issuer).to.equal("urn:hk-ecert:issuer:CSB");
    expect(vc.credentialSubject).to.deep.equal({
      type: "csb-cre",
      certificateNumber: "CRE2026000001-20260912",
      candidateNumber: "CRE2026000001",
      name: { en: "WONG Hiu Tung", "zh-HK": "黃曉彤" },
      hkidPartial: "E654***(*)",
      sittingDate: "2026-09-12",
      results: { uc: "Fail", ue: "L2", at: "Pass" },
    });
    expect(vc.proof.salts["/@context"]).to.equal(
      Buffer.from(Array.from({ length: 16 }, (_, i) => i)).toString("base64url"),
    );
    expect(vc.proof.merkle).to.equal(undefined);
    computeCredentialDigest(vc);
    // The same bytes with the values deflated (flag bit 4), and in the numeric text form.
    const deflated = new Uint8Array([...header(16), ...deflateSync(new Uint8Array(values))]);
    expect(decodeCredentialPayload(base64Payload(deflated))).to.deep.equal(vc);
    expect(encodeCredentialPayload(vc, { form: "base64url" })).to.equal(
      base64Payload(new Uint8Array([...header(0), ...values])),
    );
  });

  it("a zip bomb in the values block (1 MiB of zeros in 1 KiB) is refused with MALFORMED, quickly", function () {
    const bomb = deflateSync(new Uint8Array(1 << 20), { level: 9 });
    expect(bomb.length).to.be.below(MAX_CREDENTIAL_PAYLOAD_BYTES);
    const start = performance.now();
    expectCoreError(
      () => decodeCredentialPayload(base64Payload(new Uint8Array([...header(16), ...bomb]))),
      "MALFORMED",
      "inflate to more than",
    );
    expect(performance.now() - start).to.be.below(500);
  });

  it("a corrupt or truncated deflate stream is refused with MALFORMED", function () {
    const deflated = deflateSync(new Uint8Array(values));
    for (const bad of [
      deflated.subarray(0, deflated.length - 2),
      new Uint8Array([0xff, 0xff, 0xff]),
      new Uint8Array(0),
    ]) {
      expectCoreError(
        () => decodeCredentialPayload(base64Payload(new Uint8Array([...header(16), ...bad]))),
        "MALFORMED",
      );
    }
  });

  it("each break of the layout is refused with MALFORMED and a message naming it", function () {
    const good = [...header(0), ...values];
    const cases: [string, number[], string | RegExp][] = [
      ["version 2", [2, ...good.slice(1)], "format version 2"],
      ["an unknown flag", [1, 0x20, ...good.slice(2)], "unknown flags"],
      ["an unknown type", [1, 0, ...str("csb-xyz"), ...good.slice(2 + 8)], 'unknown certificate type "csb-xyz"'],
      ["a byte left over", [...good, 0], "unexpected bytes"],
      ["a non-minimal varint", [...header(0), 0x8d, 0x00, ...values.slice(1)], "non-minimal"],
      ["state 3", [...good.slice(0, STATES), 0b01010111, ...good.slice(STATES + 1)], "invalid state"],
      [
        "a required claim left out",
        [...good.slice(0, STATES), 0b01010100, ...good.slice(STATES + 1)],
        "leaves out the required",
      ],
      [
        "unused state bits",
        [...good.slice(0, STATES + 1), 0b00010101, ...good.slice(STATES + 2)],
        "unused claim-state bits",
      ],
      [
        "a date after 9999",
        [
          ...header(0).slice(0, 26),
          ...varint(253_402_300_800 * 4 + 1),
          ...header(0).slice(26 + varint(seconds * 4 + 1).length),
          ...values,
        ],
        "after the year 9999",
      ],
      ["bad UTF-8", [...header(0), 2, 0xc3, 0x28, ...values.slice(14)], "not UTF-8"],
      ["an id that is not a UUID v4", [...good.slice(0, 2 + 8 + 6), 0x0d, ...good.slice(2 + 8 + 7)], "UUID v4"],
    ];
    for (const [what, bytes, message] of cases) {
      const error = expectCoreError(
        () => decodeCredentialPayload(base64Payload(new Uint8Array(bytes))),
        "MALFORMED",
        message,
      );
      expect(error.message, what).to.be.a("string");
    }
  });

  it("every truncation of a valid payload's bytes is refused with MALFORMED", function () {
    const vc = issuedFrom("fsd-dg-licence.csv", "fsd-dg-licence")[0];
    const bytes = payloadBytes(encodeCredentialPayload(vc));
    for (let length = 0; length < bytes.length; length++) {
      expectCoreError(() => decodeCredentialPayload(base64Payload(bytes.subarray(0, length))), "MALFORMED");
    }
  });
});

describe("QR / share-link payload: hostile text", function () {
  it("empty, prefix-only, wrong-prefix and non-string inputs are refused with MALFORMED", function () {
    const inputs: unknown[] = [
      "",
      "#",
      `${BASE}/#`,
      "1.",
      "1-",
      "2.AQ",
      "9-0000",
      "AQID",
      "1.AQ=",
      "1.A",
      "1-12",
      "1-1234567890123456x",
      null,
      undefined,
      42,
      {},
    ];
    for (const input of inputs) {
      expectCoreError(() => decodeCredentialUrl(input as string), "MALFORMED");
      expectCoreError(() => decodeCredentialPayload(input as string), "MALFORMED");
    }
    expectCoreError(() => decodeCredentialUrl("2.AQID"), "MALFORMED", "format 2");
  });

  it("a numeric group too large for its bytes, or a digit count no group has, is refused with MALFORMED", function () {
    expectCoreError(() => decodeCredentialPayload("1-99999999999999999"), "MALFORMED", "digits");
    expectCoreError(() => decodeCredentialPayload("1-256"), "MALFORMED", "digits");
    expectCoreError(() => decodeCredentialPayload("1-" + "0".repeat(18)), "MALFORMED", "digits");
  });

  it("a base64url body with non-zero unused bits is refused with MALFORMED (one text per payload)", function () {
    expectCoreError(() => decodeCredentialPayload("1.AB"), "MALFORMED", "base64url");
  });

  it("payloads over 8 KiB and inputs over 32 Ki characters are refused with MALFORMED before decoding", function () {
    const big = new Uint8Array(MAX_CREDENTIAL_PAYLOAD_BYTES + 3).fill(1);
    expectCoreError(() => decodeCredentialPayload(base64Payload(big)), "MALFORMED", "larger than 8192 bytes");
    expectCoreError(() => decodeCredentialPayload("1-" + "0".repeat(17 * 1200)), "MALFORMED", "larger than 8192 bytes");
    expectCoreError(() => decodeCredentialUrl(`${BASE}/#1.` + "A".repeat(40_000)), "MALFORMED", "longer than 32768");
  });
});
