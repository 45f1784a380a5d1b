import { expect } from "chai";
import fc from "fast-check";
import { claimSlots } from "../../../core/credential.ts";
import {
  brokenDisclosureRule,
  getCertificateType,
  hideClaims,
  verify,
  type Credential,
  type VerifyOptions,
} from "../../../core/index.ts";
import { startEcertFixture, type EcertFixture } from "../../helpers/ecert-fixture.ts";
import { flipByte } from "../../helpers/pdf-surgery.ts";
import { hideIgnoringDisclosureRules } from "../helpers.ts";

/** The hideable claims a credential discloses. */
function hideablePointers(credential: Credential): string[] {
  const slots = claimSlots(getCertificateType(credential.credentialSubject.type));
  const present = (pointer: string): boolean => {
    let node: unknown = credential;
    for (const token of pointer.split("/").slice(1)) node = (node as Record<string, unknown> | undefined)?.[token];
    return node !== undefined;
  };
  return [...slots.values()].filter((slot) => slot.hideable && present(slot.pointer)).map((slot) => slot.pointer);
}

describe("verify: properties against the local chain", function () {
  this.timeout(60_000);
  let f: EcertFixture;
  let options: VerifyOptions;
  let credentials: Credential[];
  let pdf: Uint8Array;
  /** The same certificate signed with the department's CA embedded as the chain. */
  let chainedPdf: Uint8Array;

  before(async () => {
    f = await startEcertFixture();
    options = f.options();
    const cre = await f.issue("csb-cre.csv", "csb-cre", { rows: [0, 1, 2, 3] });
    const licences = await f.issue("fsd-dg-licence.csv", "fsd-dg-licence", { rows: [3, 5] });
    credentials = [...cre.credentials, ...licences.credentials];
    pdf = f.pdf(cre.credentials[0]);
    chainedPdf = f.pdf(cre.credentials[1], { signer: await f.chainedSigner("CSB") });
    expect((await verify(pdf, options)).status).to.equal("VALID");
    expect((await verify(chainedPdf, options)).status).to.equal("VALID");
  });
  after(async () => f?.close());

  it("keeps VALID, as JSON and as a QR URL, whatever hideable fields the holder hides", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 5 }).chain((i) => fc.tuple(fc.constant(i), fc.subarray(hideablePointers([...credentials][i])))),
        async ([i, pointers]) => {
          // Both names hidden, which hideClaims now refuses, is a credential made before the schema's
          // disclosure rule: still VALID.
          const shared = brokenDisclosureRule(credentials[i], pointers)
            ? hideIgnoringDisclosureRules(credentials[i], pointers)
            : hideClaims(credentials[i], pointers);
          for (const input of [{ credential: shared }, f.qrUrl(shared)]) {
            const result = await verify(input, options);
            expect(result.status, JSON.stringify(result.reasons)).to.equal("VALID");
            expect(result.certificate!.hidden).to.deep.equal([...pointers].sort());
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("never returns VALID, and always reports TAMPERED, when any one byte of a signed PDF changes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.integer({ min: 1, max: 255 }),
        async (chained, where, mask) => {
          const signed = chained ? chainedPdf : pdf;
          const result = await verify(flipByte(signed, Math.floor(where * signed.length), mask), options);
          expect(result.status).to.equal("INVALID");
          expect(result.reasons).to.include("TAMPERED");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never returns VALID, and always reports TAMPERED, when bytes are appended to a signed PDF", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), async (extra) => {
        const changed = new Uint8Array(pdf.length + extra.length);
        changed.set(pdf);
        changed.set(extra, pdf.length);
        const result = await verify(changed, options);
        expect(result.reasons).to.include("TAMPERED");
      }),
      { numRuns: 50 },
    );
  });

  it("never returns VALID when a signed PDF is cut short anywhere", async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: pdf.length - 1 }), async (length) => {
        const result = await verify(pdf.subarray(0, length), options);
        expect(result.status).to.equal("INVALID");
      }),
      { numRuns: 50 },
    );
  });
});
