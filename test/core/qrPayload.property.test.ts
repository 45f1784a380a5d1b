import { expect } from "chai";
import fc from "fast-check";

import { toHex } from "../../core/bytes.ts";
import { computeCredentialDigest } from "../../core/computeCredentialDigest.ts";
import { createCredential } from "../../core/createCredential.ts";
import { claimSlots } from "../../core/credential.ts";
import type { CertificateRecord, Credential, Hex } from "../../core/credential.ts";
import { isCoreError } from "../../core/errors.ts";
import { brokenDisclosureRule, hideClaims } from "../../core/hideClaims.ts";
import {
  decodeCredentialPayload,
  decodeCredentialUrl,
  encodeCredentialPayload,
  encodeCredentialUrl,
} from "../../core/qr/index.ts";
import { getCertificateType } from "../../core/types/index.ts";
import { hideIgnoringDisclosureRules } from "./helpers.ts";

const anyText = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const date = fc
  .date({ min: new Date("1890-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b) as Hex);

/** Records of all four types, with arbitrary Unicode text and some values outside the compact forms. */
const record: fc.Arbitrary<CertificateRecord> = fc.oneof(
  fc
    .record({
      number: fc.stringMatching(/^CRE[0-9]{10}$/),
      en: anyText,
      zh: fc.option(anyText, { nil: undefined }),
      hkid: fc.stringMatching(/^[A-Z]{1,2}[0-9]{3}\*\*\*\(\*\)$/),
      sitting: fc.oneof(date, anyText),
      uc: fc.oneof(fc.constantFrom("L2", "L1", "Fail"), anyText),
      ue: fc.constantFrom("L2", "L1", "Fail"),
      at: fc.constantFrom("Pass", "Fail"),
      ownNumber: fc.option(anyText, { nil: undefined }),
    })
    .map((r) => ({
      subject: {
        type: "csb-cre",
        certificateNumber: r.ownNumber ?? `${r.number}-${r.sitting.replaceAll("-", "")}`,
        candidateNumber: r.number,
        name: r.zh === undefined ? ({ en: r.en } as Record<string, string>) : { en: r.en, "zh-HK": r.zh },
        hkidPartial: r.hkid,
        sittingDate: r.sitting,
        results: { uc: r.uc, ue: r.ue, at: r.at },
      },
    })),
  fc.record({ en: anyText, zh: anyText, score: fc.maxSafeInteger().map((n) => n), date }).map((r) => ({
    subject: {
      type: "csb-blnst",
      certificateNumber: `BLNST2026000001-${r.date.replaceAll("-", "")}`,
      candidateNumber: "BLNST2026000001",
      name: { en: r.en, "zh-HK": r.zh },
      hkidPartial: "A123***(*)",
      testDate: r.date,
      score: r.score,
      result: r.score >= 50 ? "Pass" : "Fail",
    },
  })),
  fc
    .record({
      en: anyText,
      zh: fc.option(anyText, { nil: undefined }),
      items: fc.array(anyText, { minLength: 1, maxLength: 4 }),
      conditions: fc.option(fc.array(anyText, { minLength: 1, maxLength: 4 }), { nil: undefined }),
      from: date,
      until: date,
      literalFrom: fc.boolean(),
    })
    .map((r) => ({
      subject: {
        type: "fsd-dg-licence",
        certificateNumber: "DGL/2026/00001",
        licensee: r.zh === undefined ? ({ en: r.en } as Record<string, string>) : { en: r.en, "zh-HK": r.zh },
        premises: { en: r.en },
        dangerousGoods: r.items,
        ...(r.conditions ? { conditions: r.conditions } : {}),
      },
      validFrom: r.literalFrom ? `${r.from}T08:00:00.25+08:00` : `${r.from}T00:00:00+08:00`,
      validUntil: `${r.until}T23:59:59+08:00`,
    })),
  fc.record({ en: anyText, classes: fc.subarray(["1", "2", "3", "4"], { minLength: 1 }) }).map((r) => ({
    subject: {
      type: "fsd-fsi-contractor",
      certificateNumber: "FSIC/0001/001",
      contractor: { en: r.en },
      classes: r.classes,
    },
    validFrom: "2026-01-01T00:00:00+08:00",
    validUntil: "2029-01-01T23:59:59+08:00",
  })),
);

/** A registry address in checksummed, lowercase or random letter case. */
const registry = fc
  .tuple(
    fc.uint8Array({ minLength: 20, maxLength: 20 }),
    fc.integer({ min: 0, max: 2 }),
    fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  )
  .map(([bytes, style, upper]) => {
    const lower = toHex(bytes).slice(2);
    if (style === 1) return "0x" + lower;
    // Style 0 and 2 both give a mixed case; the encoder decides whether it is the EIP-55 one.
    return "0x" + [...lower].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join("");
  });

/** An anchor (not checked against the digest: the codec carries whatever the credential holds). */
const merkle = fc.option(
  fc.record({
    root: bytes32,
    path: fc.array(bytes32, { maxLength: 20 }),
    chainId: fc.oneof(fc.constantFrom(1, 137, 31337), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    registry,
  }),
  { nil: undefined },
);

/** An issued credential, with an anchor and a random subset of its hideable claims hidden. */
const credential: fc.Arbitrary<Credential> = fc
  .tuple(
    record,
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
    fc.date({ min: new Date("1971-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }),
    merkle,
  )
  .chain(([r, seed, now, anchor]) => {
    let n = 0;
    const { credential: vc } = createCredential({
      record: r,
      getRandomValues: (array) => {
        for (let i = 0; i < array.length; i++) array[i] = seed[i % 16] ^ (n++ * 131) ^ (i >> 4);
        return array;
      },
      now: () => now,
    });
    if (anchor) vc.proof.merkle = anchor;
    const slots = claimSlots(getCertificateType(vc.credentialSubject.type));
    const hideable = Object.keys(vc.proof.salts).filter((p) => slots.get(p)?.hideable);
    // A hide that breaks the schema's disclosure rule (both names) is one made before the rule: hideClaims
    // refuses it now, and the payload must still carry it.
    return fc
      .subarray(hideable)
      .map((toHide) =>
        toHide.length === 0
          ? vc
          : brokenDisclosureRule(vc, toHide)
            ? hideIgnoringDisclosureRules(vc, toHide)
            : hideClaims(vc, toHide),
      );
  });

const form = fc.constantFrom("numeric" as const, "base64url" as const);

function getAt(vc: Credential, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((node, t) => (node as Record<string, unknown>)[t], vc);
}

function setAt(vc: Credential, pointer: string, value: unknown): void {
  const tokens = pointer.split("/").slice(1);
  let node = vc as unknown as Record<string, unknown>;
  for (const t of tokens.slice(0, -1)) node = node[t] as Record<string, unknown>;
  node[tokens[tokens.length - 1]] = value;
}

/** A different value of the same JSON type, still valid for the slot. */
function changed(pointer: string, value: unknown): unknown {
  if (pointer === "/id") return (value as string).slice(0, -1) + ((value as string).endsWith("0") ? "1" : "0");
  if (pointer === "/validFrom" || pointer === "/validUntil")
    return (value as string).replace(/^(\d{4})/, (y) => String(Number(y) + 1));
  if (typeof value === "number") return value === Number.MAX_SAFE_INTEGER ? value - 1 : value + 1;
  if (typeof value === "string") return value + "x";
  if (Array.isArray(value)) return [...value, "x"];
  throw new Error(`unexpected claim value ${JSON.stringify(value)}`);
}

/** Decoding either throws CoreError MALFORMED or returns a credential computeCredentialDigest accepts. */
function malformedOrValid(decode: () => Credential): void {
  let decoded: Credential;
  try {
    decoded = decode();
  } catch (e) {
    if (!isCoreError(e, "MALFORMED")) throw e;
    return;
  }
  computeCredentialDigest(decoded);
}

function base64Payload(bytes: Uint8Array): string {
  return "1." + Buffer.from(bytes).toString("base64url");
}

function payloadBytes(vc: Credential): Uint8Array {
  return new Uint8Array(Buffer.from(encodeCredentialPayload(vc, { form: "base64url" }).slice(2), "base64url"));
}

describe("QR / share-link payload properties (fast-check)", function () {
  this.timeout(60_000);

  it("decoding an encoded credential (any type, any hidden subset, either form) rebuilds it exactly, with the same digest", function () {
    fc.assert(
      fc.property(credential, form, (vc, f) => {
        const decoded = decodeCredentialUrl(encodeCredentialUrl("https://verify.example.hk/app", vc, { form: f }));
        expect(decoded).to.deep.equal(vc);
        expect(computeCredentialDigest(decoded)).to.equal(computeCredentialDigest(vc));
        expect(decodeCredentialPayload(encodeCredentialPayload(decoded, { form: f }))).to.deep.equal(vc);
      }),
      { numRuns: 400 },
    );
  });

  it("changing any disclosed value of a decoded credential changes its digest, and the change survives re-encoding", function () {
    fc.assert(
      fc.property(
        credential.chain((vc) => fc.constantFrom(...Object.keys(vc.proof.salts)).map((pointer) => ({ vc, pointer }))),
        ({ vc, pointer }) => {
          const decoded = decodeCredentialPayload(encodeCredentialPayload(vc));
          const digest = computeCredentialDigest(decoded);
          const derived = [
            "/@context",
            "/type",
            "/issuer",
            "/credentialSchema/id",
            "/credentialSchema/type",
            "/credentialSubject/type",
          ];
          fc.pre(!derived.includes(pointer)); // fixed by the type: changing them is refused, not re-digested
          setAt(decoded, pointer, changed(pointer, getAt(decoded, pointer)));
          expect(computeCredentialDigest(decoded)).to.not.equal(digest);
          const again = decodeCredentialPayload(encodeCredentialPayload(decoded));
          expect(again).to.deep.equal(decoded);
          expect(computeCredentialDigest(again)).to.not.equal(digest);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("random bytes as a payload, in either text form, give CoreError MALFORMED (or a valid credential), never another error", function () {
    const toDigits = (bytes: Uint8Array) => {
      let out = "";
      for (let i = 0; i < bytes.length; i += 7) {
        const group = bytes.subarray(i, i + 7);
        out += group
          .reduce((v, b) => (v << 8n) | BigInt(b), 0n)
          .toString()
          .padStart([0, 3, 5, 8, 10, 13, 15, 17][group.length], "0");
      }
      return out;
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (bytes, versionByte) => {
        if (versionByte && bytes.length > 0) bytes[0] = 1; // get past the version check more often
        malformedOrValid(() => decodeCredentialPayload(base64Payload(bytes)));
        malformedOrValid(() => decodeCredentialUrl("https://v.example/#1-" + toDigits(bytes)));
      }),
      { numRuns: 500 },
    );
  });

  it("random strings, with or without a payload prefix, give CoreError MALFORMED, never another error", function () {
    fc.assert(
      fc.property(
        fc.constantFrom("", "1.", "1-", "#1.", "x#1-", "1.A"),
        fc.string({ unit: "binary", maxLength: 300 }),
        (prefix, text) => {
          malformedOrValid(() => decodeCredentialUrl(prefix + text));
          malformedOrValid(() => decodeCredentialPayload(prefix + text));
        },
      ),
      { numRuns: 500 },
    );
  });

  it("every truncation of a valid payload's text gives CoreError MALFORMED or the very same credential; the whole text decodes", function () {
    fc.assert(
      fc.property(credential, form, fc.nat(), (vc, f, seed) => {
        const payload = encodeCredentialPayload(vc, { form: f });
        const cut = seed % payload.length;
        let thrown: unknown;
        let decoded: unknown;
        try {
          decoded = decodeCredentialPayload(payload.slice(0, cut));
        } catch (e) {
          thrown = e;
        }
        // Cutting only the last bits of the deflated values (padding of the final deflate block) can leave
        // the values whole: then the same credential comes back, which is harmless. Anything else is MALFORMED.
        if (thrown === undefined) expect(decoded).to.deep.equal(vc);
        else expect(isCoreError(thrown, "MALFORMED"), String(thrown)).to.equal(true);
        expect(decodeCredentialPayload(payload)).to.deep.equal(vc);
      }),
      { numRuns: 300 },
    );
  });

  it("a valid payload with bytes flipped, cut and replaced by random tails gives CoreError MALFORMED or a valid credential", function () {
    fc.assert(
      fc.property(
        credential,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (vc, seed, xor, tail) => {
          const bytes = payloadBytes(vc);
          const at = seed % bytes.length;
          const flipped = bytes.slice();
          flipped[at] ^= xor;
          malformedOrValid(() => decodeCredentialPayload(base64Payload(flipped)));
          malformedOrValid(() =>
            decodeCredentialPayload(base64Payload(new Uint8Array([...bytes.subarray(0, at), ...tail]))),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
