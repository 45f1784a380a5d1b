import { expect } from "chai";
import fc from "fast-check";

import { computeCredentialDigest } from "../../core/computeCredentialDigest.ts";
import { createCredential } from "../../core/createCredential.ts";
import { claimSlots } from "../../core/credential.ts";
import type { CertificateRecord, Credential } from "../../core/credential.ts";
import { isCoreError } from "../../core/errors.ts";
import { brokenDisclosureRule, hideClaims } from "../../core/hideClaims.ts";
import { getCertificateType } from "../../core/types/index.ts";
import { hideIgnoringDisclosureRules } from "./helpers.ts";

const anyText = fc.string({ unit: "binary", minLength: 1, maxLength: 40 });
const date = fc
  .date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2099-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

/** Records of all four types, with arbitrary Unicode text (hashing must not care what the text is). */
const record: fc.Arbitrary<CertificateRecord> = fc.oneof(
  fc
    .record({
      number: fc.stringMatching(/^CRE[0-9]{10}$/),
      en: anyText,
      zh: fc.option(anyText, { nil: undefined }),
      hkid: fc.stringMatching(/^[A-Z][0-9]{3}\*\*\*\(\*\)$/),
      sitting: date,
      uc: fc.constantFrom("L2", "L1", "Fail"),
      ue: fc.constantFrom("L2", "L1", "Fail"),
      at: fc.constantFrom("Pass", "Fail"),
    })
    .map((r) => ({
      subject: {
        type: "csb-cre",
        certificateNumber: `${r.number}-${r.sitting.replaceAll("-", "")}`,
        candidateNumber: r.number,
        name: r.zh === undefined ? ({ en: r.en } as Record<string, string>) : { en: r.en, "zh-HK": r.zh },
        hkidPartial: r.hkid,
        sittingDate: r.sitting,
        results: { uc: r.uc, ue: r.ue, at: r.at },
      },
    })),
  fc.record({ en: anyText, zh: anyText, score: fc.integer({ min: 0, max: 100 }), date }).map((r) => ({
    subject: {
      type: "csb-blnst",
      certificateNumber: "BLNST2026000001-20261003",
      candidateNumber: "BLNST2026000001",
      name: { en: r.en, "zh-HK": r.zh },
      hkidPartial: "A123***(*)",
      testDate: r.date,
      score: r.score,
      result: r.score >= 50 ? "Pass" : "Fail",
    },
  })),
  fc
    .record({ en: anyText, items: fc.array(anyText, { minLength: 1, maxLength: 4 }), from: date, until: date })
    .map((r) => ({
      subject: {
        type: "fsd-dg-licence",
        certificateNumber: "DGL/2026/00001",
        licensee: { en: r.en },
        premises: { en: r.en, "zh-HK": r.en },
        dangerousGoods: r.items,
      },
      validFrom: `${r.from}T00:00:00+08:00`,
      validUntil: `${r.until}T23:59:59+08:00`,
    })),
  fc.record({ en: anyText, classes: fc.subarray(["1", "2", "3"], { minLength: 1 }) }).map((r) => ({
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

/** A credential together with a random seed for the choices a property makes about it. */
const issued = record.chain((r) =>
  fc.uint8Array({ minLength: 16, maxLength: 16 }).map((seed) => {
    let n = 0;
    const { credential, digest } = createCredential({
      record: r,
      // A cheap deterministic stream: fast-check shrinks the seed, not the bytes of a real CSPRNG.
      getRandomValues: (array) => {
        for (let i = 0; i < array.length; i++) array[i] = seed[i % 16] ^ (n++ * 131) ^ (i >> 4);
        return array;
      },
      now: () => new Date("2026-11-02T09:30:15Z"),
    });
    return { credential, digest };
  }),
);

function hideablePointers(vc: Credential): string[] {
  const slots = claimSlots(getCertificateType(vc.credentialSubject.type));
  return Object.keys(vc.proof.salts).filter((p) => slots.get(p)?.hideable);
}

/** Rebuilds every object with its keys in a random order (arrays keep their order: it is meaningful). */
function shuffleKeys(value: unknown, random: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, random));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [entries[i], entries[j]] = [entries[j], entries[i]];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, random)]));
}

/** Sets the value at a JSON pointer (no escaping needed for the pointers of these credentials). */
function setAt(vc: Credential, pointer: string, value: unknown): void {
  const tokens = pointer.split("/").slice(1);
  let node = vc as unknown as Record<string, unknown>;
  for (const t of tokens.slice(0, -1)) node = node[t] as Record<string, unknown>;
  node[tokens[tokens.length - 1]] = value;
}

function getAt(vc: Credential, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((node, t) => (node as Record<string, unknown>)[t], vc);
}

/** A different value of the same JSON type. */
function changed(value: unknown): unknown {
  if (typeof value === "number") return value + 1;
  if (typeof value === "string") return value + "x";
  if (Array.isArray(value)) return value.length > 1 ? [...value].reverse().concat(["x"]) : [...value, "x"];
  throw new Error(`unexpected claim value ${JSON.stringify(value)}`);
}

describe("credential digest properties (fast-check)", function () {
  it("hiding any subset of the hideable claims keeps the digest", function () {
    fc.assert(
      fc.property(
        issued.chain(({ credential, digest }) =>
          fc.subarray(hideablePointers(credential)).map((toHide) => ({ credential, digest, toHide })),
        ),
        ({ credential, digest, toHide }) => {
          // A hide that leaves neither name disclosed is refused (the schema's disclosure rule); made
          // anyway, as before the rule, it still keeps the digest.
          const names = ["/credentialSubject/name/en", "/credentialSubject/name/zh-HK"];
          const refused =
            toHide.some((p) => names.includes(p)) &&
            names.every((p) => toHide.includes(p) || !(p in credential.proof.salts));
          expect(brokenDisclosureRule(credential, toHide) !== undefined).to.equal(refused);
          if (refused) expect(() => hideClaims(credential, toHide)).to.throw(/may not all be hidden/);
          const shared = refused ? hideIgnoringDisclosureRules(credential, toHide) : hideClaims(credential, toHide);
          expect(Object.keys(shared.proof.hidden)).to.have.members(toHide);
          expect(computeCredentialDigest(shared)).to.equal(digest);
          expect(computeCredentialDigest(JSON.parse(JSON.stringify(shared)))).to.equal(digest);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("re-serialising and reordering keys keeps the digest", function () {
    fc.assert(
      fc.property(issued, fc.integer(), ({ credential, digest }, seed) => {
        let s = seed;
        const random = (): number => ((s = (s * 1103515245 + 12345) | 0) >>> 0) / 2 ** 32;
        const reordered = shuffleKeys(JSON.parse(JSON.stringify(credential)), random);
        expect(computeCredentialDigest(reordered)).to.equal(digest);
        expect(computeCredentialDigest(JSON.parse(JSON.stringify(reordered, null, 2)))).to.equal(digest);
      }),
      { numRuns: 150 },
    );
  });

  it("changing any disclosed value changes the digest (or makes the credential refused as malformed)", function () {
    fc.assert(
      fc.property(
        issued.chain(({ credential, digest }) =>
          fc.constantFrom(...Object.keys(credential.proof.salts)).map((pointer) => ({ credential, digest, pointer })),
        ),
        ({ credential, digest, pointer }) => {
          const tampered = JSON.parse(JSON.stringify(credential)) as Credential;
          setAt(tampered, pointer, changed(getAt(tampered, pointer)));
          try {
            expect(computeCredentialDigest(tampered)).to.not.equal(digest);
          } catch (e) {
            if (!isCoreError(e, "MALFORMED") && !isCoreError(e, "UNKNOWN_TYPE")) throw e;
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("changing any salt, or swapping two salts, changes the digest", function () {
    fc.assert(
      fc.property(
        issued.chain(({ credential, digest }) => {
          const pointers = Object.keys(credential.proof.salts);
          return fc
            .tuple(fc.constantFrom(...pointers), fc.constantFrom(...pointers))
            .map(([a, b]) => ({ credential, digest, a, b }));
        }),
        ({ credential, digest, a, b }) => {
          const resalted = JSON.parse(JSON.stringify(credential)) as Credential;
          const salt = resalted.proof.salts[a];
          resalted.proof.salts[a] = (salt[0] === "A" ? "B" : "A") + salt.slice(1);
          expect(computeCredentialDigest(resalted)).to.not.equal(digest);

          if (a !== b) {
            const swapped = JSON.parse(JSON.stringify(credential)) as Credential;
            [swapped.proof.salts[a], swapped.proof.salts[b]] = [swapped.proof.salts[b], swapped.proof.salts[a]];
            expect(computeCredentialDigest(swapped)).to.not.equal(digest);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("changing a hidden digest changes the credential digest", function () {
    fc.assert(
      fc.property(
        issued
          .filter(({ credential }) => hideablePointers(credential).length > 0)
          .chain(({ credential, digest }) =>
            fc.constantFrom(...hideablePointers(credential)).map((pointer) => ({ credential, digest, pointer })),
          ),
        ({ credential, digest, pointer }) => {
          const shared = brokenDisclosureRule(credential, [pointer])
            ? hideIgnoringDisclosureRules(credential, [pointer])
            : hideClaims(credential, [pointer]);
          const hidden = shared.proof.hidden[pointer];
          shared.proof.hidden[pointer] = `0x${hidden[2] === "0" ? "1" : "0"}${hidden.slice(3)}`;
          expect(computeCredentialDigest(shared)).to.not.equal(digest);
        },
      ),
      { numRuns: 100 },
    );
  });
});
