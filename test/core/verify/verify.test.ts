import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { Wallet, encodeBytes32String } from "ethers";
import { PDFDocument } from "pdf-lib";
import { z } from "zod";
import {
  CHECK_IDS,
  REASON_CODES,
  hideClaims,
  verify,
  type CheckId,
  type Credential,
  type VerificationResult,
  type VerifyOptions,
} from "../../../core/index.ts";
import { DEV_KEYS } from "../../../server/chain/local-chain.ts";
import { startEcertFixture, type EcertFixture, type IssuedBatch } from "../../helpers/ecert-fixture.ts";
import {
  appendIncrementalUpdate,
  flipByte,
  offsetOf,
  replaceEmbeddedCredential,
  stripSignatureValue,
} from "../../helpers/pdf-surgery.ts";

/** The status of every check, by id. */
function checkStatuses(result: VerificationResult): Record<CheckId, string> {
  return Object.fromEntries(result.checks.map((c) => [c.id, c.status])) as Record<CheckId, string>;
}

function withMerkle(credential: Credential, change: Partial<NonNullable<Credential["proof"]["merkle"]>>): Credential {
  return { ...credential, proof: { ...credential.proof, merkle: { ...credential.proof.merkle!, ...change } } };
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const CHAIN_CHECKS: CheckId[] = ["signing-certificate", "anchor", "issuer", "certificate-status"];

/** The result JSON of DESIGN.md, strictly. */
const localized = z.strictObject({ en: z.string().min(1), "zh-HK": z.string().min(1) });
const resultSchema = z.strictObject({
  status: z.enum(["VALID", "INVALID", "UNABLE_TO_CHECK"]),
  reasons: z.array(z.enum(REASON_CODES)),
  checks: z.array(
    z.strictObject({ id: z.enum(CHECK_IDS), status: z.enum(["pass", "fail", "skip", "error"]), message: localized }),
  ),
  certificate: z
    .strictObject({
      id: z.string().regex(/^urn:uuid:/),
      type: z.string(),
      fields: z.record(z.string(), z.unknown()),
      hidden: z.array(z.string()),
      validFrom: z.string(),
      validUntil: z.string().nullable(),
      successor: z
        .string()
        .regex(/^0x[0-9a-f]{64}$/)
        .optional(),
    })
    .nullable(),
  issuer: z.strictObject({ id: z.string(), name: localized, domain: z.string() }).nullable(),
  anchor: z
    .strictObject({
      chainId: z.number().int(),
      registry: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
      root: z.string().regex(/^0x[0-9a-f]{64}$/),
      txHash: z
        .string()
        .regex(/^0x[0-9a-f]{64}$/)
        .nullable(),
      blockNumber: z.number().int(),
      anchoredAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    })
    .nullable(),
});

describe("verify: certificates against the local chain", function () {
  this.timeout(60_000);
  let f: EcertFixture;
  let options: VerifyOptions;
  /** csb-cre.csv, anchored by CSB. Row 0 stays valid; 1 is revoked, 2 suspended; the others untouched. */
  let cre: IssuedBatch;
  /** fsd-dg-licence.csv, anchored by FSD: row 0 expired, row 3 valid, row 1 superseded by row 9. */
  let licences: IssuedBatch;
  /** fsd-fsi-contractor.csv, anchored by FSD: row 9 valid only from 2026-12-26. */
  let contractors: IssuedBatch;
  let pdf: Uint8Array;

  before(async () => {
    f = await startEcertFixture();
    options = f.options();
    cre = await f.issue("csb-cre.csv", "csb-cre");
    licences = await f.issue("fsd-dg-licence.csv", "fsd-dg-licence");
    contractors = await f.issue("fsd-fsi-contractor.csv", "fsd-fsi-contractor");
    pdf = f.pdf(cre.credentials[0]);
  });
  after(async () => f?.close());

  describe("VALID", () => {
    it("returns VALID with every check passed, the issuer and the anchor for a signed csb-cre PDF", async () => {
      const result = await verify(pdf, options);
      expect(result.status).to.equal("VALID");
      expect(result.reasons).to.deep.equal([]);
      expect(result.checks.map((c) => c.id)).to.deep.equal(CHECK_IDS);
      expect(result.checks.every((c) => c.status === "pass")).to.equal(true);
      const credential = cre.credentials[0];
      const { type, ...fields } = credential.credentialSubject;
      expect(result.certificate).to.deep.equal({
        id: credential.id,
        type,
        fields,
        hidden: [],
        validFrom: credential.validFrom,
        validUntil: null,
      });
      expect(result.issuer).to.deep.equal({
        id: "CSB",
        name: { en: "Civil Service Bureau", "zh-HK": "公務員事務局" },
        domain: "csb.gov.hk",
      });
      const block = await f.provider.getBlock(cre.blockNumber!);
      expect(result.anchor).to.deep.equal({
        chainId: 31337,
        registry: f.registry,
        root: cre.root,
        txHash: cre.txHash,
        blockNumber: cre.blockNumber,
        anchoredAt: new Date(block!.timestamp * 1000).toISOString().replace(".000Z", "Z"),
      });
    });

    it("returns the result JSON of DESIGN.md, with a message in English and Traditional Chinese for every check", async () => {
      const result = await verify(pdf, options);
      expect(() => resultSchema.parse(result)).to.not.throw();
      expect(JSON.parse(JSON.stringify(result))).to.deep.equal(result);
      for (const check of result.checks) expect(check.message["zh-HK"]).to.match(/[\u4e00-\u9fff]/);
    });

    it("returns VALID for the credential as JSON bytes, JSON text and a parsed object, with the PDF checks skipped", async () => {
      const credential = cre.credentials[0];
      const inputs = [
        new TextEncoder().encode(JSON.stringify(credential)),
        JSON.stringify(credential, null, 2),
        { credential },
        credential,
      ];
      for (const input of inputs) {
        const result = await verify(input, options);
        expect(result.status, JSON.stringify(result.reasons)).to.equal("VALID");
        expect(checkStatuses(result)["pdf-signature"]).to.equal("skip");
        expect(checkStatuses(result)["signing-certificate"]).to.equal("skip");
      }
    });

    it("returns VALID for the QR URL printed on the certificate, as a string and as { url }", async () => {
      const url = f.qrUrl(cre.credentials[0]);
      for (const input of [url, { url }]) {
        const result = await verify(input, options);
        expect(result.status).to.equal("VALID");
        expect(result.checks.find((c) => c.id === "well-formed")!.message.en).to.match(/QR code/);
      }
    });

    it("returns VALID for an FSD dangerous goods licence PDF within its validity period", async () => {
      const result = await verify(f.pdf(licences.credentials[3]), options);
      expect(result.status, JSON.stringify(result.checks)).to.equal("VALID");
      expect(result.issuer!.id).to.equal("FSD");
      expect(result.certificate!.validUntil).to.equal("2027-10-21T23:59:59+08:00");
    });

    it("returns VALID with the hidden claims listed when the holder hides fields with hideClaims", async () => {
      const hidden = hideClaims(cre.credentials[0], [
        "/credentialSubject/hkidPartial",
        "/credentialSubject/name/zh-HK",
      ]);
      for (const input of [{ credential: hidden }, f.qrUrl(hidden)]) {
        const result = await verify(input, options);
        expect(result.status).to.equal("VALID");
        expect(result.certificate!.hidden).to.deep.equal([
          "/credentialSubject/hkidPartial",
          "/credentialSubject/name/zh-HK",
        ]);
        expect(result.certificate!.fields).to.not.have.property("hkidPartial");
        expect((result.certificate!.fields.name as Record<string, string>).en).to.equal("WONG Hiu Tung");
      }
    });

    it("returns VALID for a PDF whose signature also carries the department's CA certificate", async () => {
      const result = await verify(f.pdf(cre.credentials[0], { signer: await f.chainedSigner("CSB") }), options);
      expect(result.status).to.equal("VALID");
    });

    it("reads the chain through an EIP-1193 provider (Hardhat's in-process one) as well as a URL", async () => {
      const result = await verify(pdf, f.options({ providers: [f.chain.provider] }));
      expect(result.status).to.equal("VALID");
    });
  });

  describe("TAMPERED", () => {
    it("returns INVALID TAMPERED when one byte of the PDF changes", async () => {
      const at = offsetOf(pdf, "/Producer (HK e-Cert)") + "/Producer (HK e-".length;
      const result = await verify(flipByte(pdf, at, 0x20), options); // "Cert" -> "cert"
      expect(result.status).to.equal("INVALID");
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      expect(result.checks.find((c) => c.id === "pdf-signature")!.message.en).to.match(
        /no longer match the digest that was signed/,
      );
    });

    it("returns INVALID TAMPERED when an incremental update is appended after signing", async () => {
      const result = await verify(appendIncrementalUpdate(pdf), options);
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      expect(result.checks.find((c) => c.id === "pdf-signature")!.message.en).to.match(
        /bytes were added after the signed part/,
      );
      // The credential itself is the genuine one: only the PDF is rejected.
      expect(checkStatuses(result)["merkle-proof"]).to.equal("pass");
    });

    it("returns INVALID TAMPERED when the embedded credential is swapped for another candidate's", async () => {
      const swapped = replaceEmbeddedCredential(pdf, cre.credentials[5]);
      expect(swapped.length).to.equal(pdf.length);
      const result = await verify(swapped, options);
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      expect(result.certificate!.id).to.equal(cre.credentials[5].id);
      expect(checkStatuses(result)["pdf-signature"]).to.equal("fail");
    });

    it("returns INVALID TAMPERED when a field of the QR payload is changed", async () => {
      const credential = structuredClone(cre.credentials[0]);
      credential.credentialSubject.results = { uc: "L2", ue: "L2", at: "Pass" };
      const result = await verify(f.qrUrl(credential), options);
      expect(result.status).to.equal("INVALID");
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      expect(checkStatuses(result)["merkle-proof"]).to.equal("fail");
      expect(checkStatuses(result)["certificate-status"]).to.equal("skip");
    });

    it("returns INVALID TAMPERED when a field of the credential JSON is changed", async () => {
      const credential = structuredClone(cre.credentials[0]);
      (credential.credentialSubject.name as Record<string, string>).en = "CHAN Tai Man";
      const result = await verify({ credential }, options);
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
    });

    it("returns INVALID TAMPERED when the end of the PDF is cut off", async () => {
      const result = await verify(pdf.subarray(0, pdf.length - 100), options);
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      expect(result.checks.find((c) => c.id === "pdf-signature")!.message.en).to.match(/truncated/);
    });

    it("returns INVALID TAMPERED when the padding after the signature value is changed", async () => {
      const contentsEnd = offsetOf(pdf, "> /Reason");
      const result = await verify(flipByte(pdf, contentsEnd - 1, 0x01), options); // "0" -> "1"
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
    });
  });

  describe("signature", () => {
    it("returns INVALID SIGNER_NOT_REGISTERED when the PDF is re-signed with a self-signed certificate named like the department", async () => {
      const lookAlike = await f.lookAlikeSigner("CSB");
      const result = await verify(f.pdf(cre.credentials[0], { signer: lookAlike }), options);
      expect(result.status).to.equal("INVALID");
      expect(result.reasons).to.deep.equal(["SIGNER_NOT_REGISTERED"]);
      expect(checkStatuses(result)["pdf-signature"]).to.equal("pass");
      expect(result.checks.find((c) => c.id === "signing-certificate")!.message.en).to.match(
        /"Civil Service Bureau \(development\)".*not registered for Civil Service Bureau/,
      );
    });

    it("returns INVALID SIGNER_NOT_REGISTERED when a CSB certificate is signed with FSD's registered certificate", async () => {
      const result = await verify(f.pdf(cre.credentials[0], { signer: f.padesSigners.FSD }), options);
      expect(result.reasons).to.deep.equal(["SIGNER_NOT_REGISTERED"]);
    });

    it("returns INVALID SIGNATURE_MISSING when the signature value is stripped from the PDF", async () => {
      const result = await verify(stripSignatureValue(pdf), options);
      expect(result.reasons).to.deep.equal(["SIGNATURE_MISSING"]);
      expect(checkStatuses(result)["signing-certificate"]).to.equal("skip");
    });

    it("returns INVALID SIGNATURE_MISSING for a certificate PDF that was never signed", async () => {
      const result = await verify(f.unsignedPdf(cre.credentials[0]), options);
      expect(result.reasons).to.deep.equal(["SIGNATURE_MISSING"]);
      expect(result.checks.find((c) => c.id === "pdf-signature")!.message.en).to.match(/never signed/);
    });
  });

  describe("MALFORMED", () => {
    it("returns INVALID MALFORMED for an empty file", async () => {
      const result = await verify(new Uint8Array(0), options);
      expect(result).to.deep.include({
        status: "INVALID",
        reasons: ["MALFORMED"],
        certificate: null,
        issuer: null,
        anchor: null,
      });
      expect(result.checks[0].message.en).to.match(/empty/);
      expect(result.checks.slice(1).every((c) => c.status === "skip")).to.equal(true);
    });

    it("returns INVALID MALFORMED for random bytes", async () => {
      const random = new Uint8Array(4096);
      for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251;
      const result = await verify(random, options);
      expect(result.reasons).to.deep.equal(["MALFORMED"]);
    });

    it("returns INVALID MALFORMED for a PDF truncated to its first half", async () => {
      const result = await verify(pdf.subarray(0, pdf.length >> 1), options);
      expect(result.reasons).to.deep.equal(["MALFORMED"]);
      expect(result.checks[0].message.en).to.match(/no HK e-Cert credential attachment/);
    });

    it("returns INVALID MALFORMED for a PDF that is not an HK e-Cert certificate", async () => {
      const doc = await PDFDocument.create();
      doc.addPage();
      const result = await verify(await doc.save(), options);
      expect(result.reasons).to.deep.equal(["MALFORMED"]);
    });

    it("returns INVALID MALFORMED for JSON that is not a credential, naming the problem", async () => {
      const credential = structuredClone(cre.credentials[0]) as unknown as Record<string, Record<string, unknown>>;
      credential.credentialSubject.favouriteColour = "blue";
      const result = await verify({ credential }, options);
      expect(result.reasons).to.deep.equal(["MALFORMED"]);
      expect(result.checks.find((c) => c.id === "credential-digest")!.message.en).to.match(/favouriteColour/);
      expect(await verify("{ not json", options)).to.deep.include({ reasons: ["MALFORMED"] });
    });

    it("returns INVALID MALFORMED for a damaged QR payload", async () => {
      const url = f.qrUrl(cre.credentials[0]);
      const result = await verify(url.slice(0, -5), options);
      expect(result.reasons).to.deep.equal(["MALFORMED"]);
      expect(result.checks[0].message.en).to.match(/QR code or link is damaged/);
    });
  });

  describe("anchoring and issuers", () => {
    it("returns INVALID NOT_ANCHORED for a batch whose root was never anchored", async () => {
      const batch = await f.issue("csb-blnst.csv", "csb-blnst", { rows: [0, 1], anchorKey: null });
      const result = await verify(f.pdf(batch.credentials[0]), options);
      expect(result.reasons).to.deep.equal(["NOT_ANCHORED"]);
      expect(result.issuer).to.equal(null);
      expect(result.anchor).to.equal(null);
    });

    it("returns INVALID NOT_ANCHORED for a credential without a Merkle proof", async () => {
      const { merkle: _, ...proof } = cre.credentials[0].proof;
      const result = await verify({ credential: { ...cre.credentials[0], proof } }, options);
      expect(result.reasons).to.deep.equal(["NOT_ANCHORED"]);
      expect(checkStatuses(result)["network"]).to.equal("skip");
    });

    it("returns INVALID WRONG_NETWORK when the credential names another chain id", async () => {
      const result = await verify({ credential: withMerkle(cre.credentials[0], { chainId: 1 }) }, options);
      expect(result.reasons).to.deep.equal(["WRONG_NETWORK"]);
      for (const id of CHAIN_CHECKS.slice(1)) expect(checkStatuses(result)[id]).to.equal("skip");
    });

    it("returns INVALID WRONG_NETWORK for a certificate anchored in another registry deployment by a look-alike CSB", async () => {
      const forger = await f.fundedWallet();
      const lookAlike = await f.lookAlikeSigner("CSB");
      const otherRegistry = await f.deployRegistry({
        adminKey: forger.privateKey,
        issuers: [{ department: "CSB", signerAddress: forger.address, fingerprint: `0x${"ab".repeat(32)}` }],
      });
      const batch = await f.issue("csb-cre.csv", "csb-cre", {
        rows: [8],
        registry: otherRegistry,
        anchorKey: forger.privateKey,
      });
      const forged = f.pdf(batch.credentials[0], { signer: lookAlike });
      const result = await verify(forged, options);
      expect(result.reasons).to.deep.equal(["WRONG_NETWORK"]);
      // Pointing its proof at the trusted registry does not help: the root is not anchored there.
      const pointed = await verify({ credential: withMerkle(batch.credentials[0], { registry: f.registry }) }, options);
      expect(pointed.reasons).to.deep.equal(["NOT_ANCHORED"]);
    });

    it("returns INVALID ISSUER_KEY_REVOKED for a root anchored by a signer at or after its cut-off", async () => {
      const signer = await f.fundedWallet();
      const admin = f.registryAs(DEV_KEYS.admin);
      await (await admin.addSigner(encodeBytes32String("CSB"), signer.address, 1767225600n, 2n ** 64n - 1n)).wait();
      const batch = await f.issue("csb-cre.csv", "csb-cre", { rows: [9, 10], anchorKey: signer.privateKey });
      expect((await verify({ credential: batch.credentials[0] }, options)).status).to.equal("VALID");
      const anchoredAt = (await f.provider.getBlock(batch.blockNumber!))!.timestamp;
      await (await admin.cutOffSigner(signer.address, anchoredAt)).wait();
      const result = await verify({ credential: batch.credentials[0] }, options);
      expect(result.reasons).to.deep.equal(["ISSUER_KEY_REVOKED"]);
      expect(result.checks.find((c) => c.id === "anchor")!.message.en).to.include(signer.address);
    });

    it("returns INVALID UNKNOWN_ISSUER when FSD's signer anchored a CSB certificate", async () => {
      const batch = await f.issue("csb-cre.csv", "csb-cre", { rows: [6, 7], anchorKey: DEV_KEYS.FSD });
      const result = await verify({ credential: batch.credentials[0] }, options);
      expect(result.reasons).to.deep.equal(["UNKNOWN_ISSUER"]);
      expect(result.issuer!.id).to.equal("FSD");
    });

    it("returns VALID for CSB's certificates when FSD's signer front-ran CSB's anchor of the same root", async () => {
      // FSD's key (a compromised one, or a front-runner watching the mempool) anchors CSB's next root first.
      const batch = await f.issue("csb-cre.csv", "csb-cre", { rows: [12, 13], anchorKey: DEV_KEYS.FSD });
      expect((await verify({ credential: batch.credentials[0] }, options)).reasons).to.deep.equal(["UNKNOWN_ISSUER"]);

      // CSB's own anchor is not pre-empted: it succeeds, in CSB's namespace.
      const receipt = await (await f.registryAs(DEV_KEYS.CSB).anchor(batch.root, batch.credentials.length)).wait();
      expect(receipt.status).to.equal(1);

      for (const credential of batch.credentials) {
        const result = await verify(f.pdf(credential), options);
        expect(result.status, JSON.stringify(result.reasons)).to.equal("VALID");
        expect(result.issuer!.id).to.equal("CSB");
        expect(result.anchor!.blockNumber).to.equal(receipt.blockNumber);
        expect(result.anchor!.txHash).to.equal(receipt.hash.toLowerCase());
      }
      // FSD's anchor stays FSD's, and revoking it (as FSD can) does not touch CSB's certificates.
      await (await f.registryAs(DEV_KEYS.FSD).revokeBatch(batch.root, 5)).wait();
      expect((await verify({ credential: batch.credentials[1] }, options)).status).to.equal("VALID");
    });

    it("returns INVALID UNKNOWN_ISSUER when the issuer has been deactivated in the registry", async () => {
      const admin = new Wallet(DEV_KEYS.admin);
      const csbSigner = new Wallet(DEV_KEYS.CSB);
      const registry = await f.deployRegistry({
        adminKey: admin.privateKey,
        issuers: [{ department: "CSB", signerAddress: csbSigner.address, fingerprint: f.identities.CSB.fingerprint }],
      });
      const batch = await f.issue("csb-cre.csv", "csb-cre", { rows: [11], registry });
      const trusted = f.options({ trusted: { chainId: f.chainId, registry } });
      expect((await verify(f.pdf(batch.credentials[0]), trusted)).status).to.equal("VALID");
      await (await f.registryAs(DEV_KEYS.admin, registry).setIssuerActive(encodeBytes32String("CSB"), false)).wait();
      const result = await verify(f.pdf(batch.credentials[0]), trusted);
      expect(result.reasons).to.deep.equal(["UNKNOWN_ISSUER"]);
      expect(result.checks.find((c) => c.id === "issuer")!.message.en).to.match(/no longer active/);
    });
  });

  describe("certificate status", () => {
    it("returns INVALID REVOKED for a revoked certificate", async () => {
      await (await f.registryAs(DEV_KEYS.CSB).revoke(cre.digests[1], 3)).wait();
      const result = await verify(f.pdf(cre.credentials[1]), options);
      expect(result.reasons).to.deep.equal(["REVOKED"]);
      expect(result.checks.find((c) => c.id === "certificate-status")!.message.en).to.match(
        /revoked on \d{4}-\d{2}-\d{2} \(reason: Obtained by fraud\)/,
      );
      // Its neighbours in the batch are untouched.
      expect((await verify(pdf, options)).status).to.equal("VALID");
    });

    it("returns INVALID REVOKED for a certificate whose whole batch is revoked", async () => {
      const batch = await f.issue("csb-blnst.csv", "csb-blnst", { rows: [2, 3, 4] });
      await (await f.registryAs(DEV_KEYS.CSB).revokeBatch(batch.root, 5)).wait();
      const result = await verify(f.qrUrl(batch.credentials[1]), options);
      expect(result.reasons).to.deep.equal(["REVOKED"]);
      expect(result.checks.find((c) => c.id === "certificate-status")!.message.en).to.match(/whole batch/);
    });

    it("returns INVALID SUSPENDED for a suspended certificate, and VALID again once it is reinstated", async () => {
      const registry = f.registryAs(DEV_KEYS.CSB);
      await (await registry.suspend(cre.digests[2], 1)).wait();
      expect((await verify({ credential: cre.credentials[2] }, options)).reasons).to.deep.equal(["SUSPENDED"]);
      await (await registry.reinstate(cre.digests[2])).wait();
      expect((await verify({ credential: cre.credentials[2] }, options)).status).to.equal("VALID");
    });

    it("returns INVALID SUPERSEDED with the successor for a licence replaced by its renewal", async () => {
      await (await f.registryAs(DEV_KEYS.FSD).supersede(licences.digests[1], licences.digests[9])).wait();
      const result = await verify(f.pdf(licences.credentials[1]), options);
      expect(result.reasons).to.deep.equal(["SUPERSEDED"]);
      expect(result.certificate!.successor).to.equal(licences.digests[9]);
      expect(result.checks.find((c) => c.id === "certificate-status")!.message.en).to.include(licences.digests[9]);
    });

    it("returns INVALID EXPIRED for a dangerous goods licence that expired before now", async () => {
      const result = await verify(f.pdf(licences.credentials[0]), options);
      expect(result.reasons).to.deep.equal(["EXPIRED"]);
      expect(result.checks.find((c) => c.id === "validity-period")!.message.en).to.equal(
        "The certificate expired: it was valid until 2026-10-08.",
      );
      // The same licence was valid in its year.
      const inItsYear = await verify(
        f.pdf(licences.credentials[0]),
        f.options({ now: new Date("2026-10-08T23:59:59+08:00") }),
      );
      expect(inItsYear.status).to.equal("VALID");
    });

    it("returns INVALID NOT_YET_VALID for a contractor registration that starts after now", async () => {
      const result = await verify(f.pdf(contractors.credentials[9]), options);
      expect(result.reasons).to.deep.equal(["NOT_YET_VALID"]);
      expect(result.checks.find((c) => c.id === "validity-period")!.message["zh-HK"]).to.equal(
        "證書要到 2026-12-26 才生效。",
      );
    });

    it("lists every failing reason in check order", async () => {
      // A valid licence's PDF carrying an expired licence's credential (whichever pair fits in place).
      let swapped: Uint8Array | undefined;
      for (const host of [2, 3, 5, 8, 11]) {
        for (const guest of [0, 4, 6, 7, 10]) {
          try {
            swapped ??= replaceEmbeddedCredential(f.pdf(licences.credentials[host]), licences.credentials[guest]);
          } catch {
            // does not fit: try another pair
          }
        }
      }
      const result = await verify(swapped!, options);
      expect(result.reasons).to.deep.equal(["TAMPERED", "EXPIRED"]);
    });
  });

  describe("chain access", () => {
    let hanging: Server;
    let hangingUrl: string;

    before(async () => {
      hanging = createServer(() => {}); // accepts requests, never answers
      await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
      hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    });
    after(async () => {
      hanging.closeAllConnections();
      await new Promise<void>((resolve) => hanging.close(() => resolve()));
    });

    it("returns UNABLE_TO_CHECK CHAIN_UNREACHABLE when the only endpoint is a closed port", async () => {
      const result = await verify(pdf, f.options({ providers: [`http://127.0.0.1:${await closedPort()}`] }));
      expect(result.status).to.equal("UNABLE_TO_CHECK");
      expect(result.reasons).to.deep.equal(["CHAIN_UNREACHABLE"]);
      for (const id of CHAIN_CHECKS) expect(checkStatuses(result)[id]).to.equal("error");
      expect(result.checks.find((c) => c.id === "anchor")!.message.en).to.match(
        /endpoint 1 \(127\.0\.0\.1:\d+\): connection refused/,
      );
      expect(result.issuer).to.equal(null);
      expect(result.certificate!.id).to.equal(cre.credentials[0].id);
    });

    it("returns VALID when the first endpoint is dead and the second is live", async () => {
      const result = await verify(pdf, f.options({ providers: [`http://127.0.0.1:${await closedPort()}`, f.rpcUrl] }));
      expect(result.status).to.equal("VALID");
      expect(result.anchor!.txHash).to.equal(cre.txHash);
    });

    it("returns UNABLE_TO_CHECK CHAIN_UNREACHABLE when the endpoint never answers, after the time limit", async () => {
      const started = Date.now();
      const result = await verify(pdf, f.options({ providers: [hangingUrl], timeoutMs: 200 }));
      expect(result.reasons).to.deep.equal(["CHAIN_UNREACHABLE"]);
      expect(result.checks.find((c) => c.id === "anchor")!.message.en).to.match(/no answer within 200 ms/);
      expect(Date.now() - started).to.be.below(2000);
    });

    it("moves on to the next endpoint when one never answers", async () => {
      const result = await verify(pdf, f.options({ providers: [hangingUrl, f.rpcUrl], timeoutMs: 200 }));
      expect(result.status).to.equal("VALID");
    });

    it("returns UNABLE_TO_CHECK CHAIN_UNREACHABLE when the only endpoint serves another chain id", async () => {
      const credential = withMerkle(cre.credentials[0], { chainId: 1 });
      const result = await verify({ credential }, f.options({ trusted: { chainId: 1, registry: f.registry } }));
      expect(result.reasons).to.deep.equal(["CHAIN_UNREACHABLE"]);
      expect(result.checks.find((c) => c.id === "anchor")!.message.en).to.match(
        /serves chain 31337, not the trusted chain 1/,
      );
    });

    it("returns UNABLE_TO_CHECK CHAIN_UNREACHABLE with no endpoint at all", async () => {
      const result = await verify(pdf, f.options({ providers: [] }));
      expect(result.reasons).to.deep.equal(["CHAIN_UNREACHABLE"]);
    });

    it("returns INVALID TAMPERED, not UNABLE_TO_CHECK, for a changed PDF while the chain is down, with the chain checks in error", async () => {
      const result = await verify(
        appendIncrementalUpdate(pdf),
        f.options({ providers: [`http://127.0.0.1:${await closedPort()}`] }),
      );
      expect(result.status).to.equal("INVALID");
      expect(result.reasons).to.deep.equal(["TAMPERED"]);
      for (const id of CHAIN_CHECKS.slice(1)) expect(checkStatuses(result)[id]).to.equal("error");
    });

    it("never reports an unreachable chain as INVALID for a genuine certificate of any type", async () => {
      const down = f.options({ providers: [`http://127.0.0.1:${await closedPort()}`] });
      for (const credential of [cre.credentials[0], licences.credentials[3], contractors.credentials[0]]) {
        const result = await verify(f.pdf(credential), down);
        expect(result.status).to.equal("UNABLE_TO_CHECK");
      }
    });
  });
});
