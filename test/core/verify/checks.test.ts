import { expect } from "chai";
import { checkAnchor } from "../../../core/verify/checks/checkAnchor.ts";
import { checkCertificateStatus } from "../../../core/verify/checks/checkCertificateStatus.ts";
import { checkIssuer } from "../../../core/verify/checks/checkIssuer.ts";
import { checkNetwork } from "../../../core/verify/checks/checkNetwork.ts";
import { checkPdfSignature } from "../../../core/verify/checks/checkPdfSignature.ts";
import { checkSigningCertificate } from "../../../core/verify/checks/checkSigningCertificate.ts";
import { checkValidityPeriod } from "../../../core/verify/checks/checkValidityPeriod.ts";
import type { VerificationContext } from "../../../core/verify/context.ts";
import type { RegistryCertificateStatus } from "../../../core/verify/readCertificateStatus.ts";
import type { Credential, Hex } from "../../../core/index.ts";

const ROOT = `0x${"11".repeat(32)}` as Hex;
const REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

/** A period-type credential, as far as the checks look at it. */
const credential = {
  id: "urn:uuid:00000000-0000-4000-8000-000000000000",
  issuer: "urn:hk-ecert:issuer:FSD",
  validFrom: "2026-10-21T00:00:00+08:00",
  validUntil: "2027-10-21T23:59:59+08:00",
  credentialSubject: { type: "fsd-dg-licence", certificateNumber: "DGL/2026/00004" },
  proof: { merkle: { root: ROOT, path: [], chainId: 31337, registry: REGISTRY } },
} as unknown as Credential;

const status: RegistryCertificateStatus = {
  anchored: true,
  issuerId: "FSD",
  issuerNumber: 2,
  issuerActive: true,
  issuerNameEn: "Fire Services Department",
  issuerNameZh: "消防處",
  issuerDomain: "hkfsd.gov.hk",
  signingCertificateRegistered: true,
  signer: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
  signerValidAtAnchor: true,
  anchoredAt: 1795000000,
  anchorBlock: 12,
  certificateCount: 12,
  batchRevoked: false,
  batchRevocationReason: 0,
  batchRevokedAt: 0,
  leafStatus: "valid",
  leafReason: 0,
  leafChangedAt: 0,
  successor: `0x${"00".repeat(32)}` as Hex,
};

function context(
  overrides: Partial<VerificationContext> = {},
  chain: Partial<RegistryCertificateStatus> = {},
): VerificationContext {
  return {
    now: new Date("2026-12-01T12:00:00+08:00"),
    trusted: { chainId: 31337, registry: REGISTRY },
    input: { kind: "credential" },
    credential: { ok: true, credential, digest: `0x${"22".repeat(32)}` as Hex, disclosed: 14, hidden: [] },
    merkle: { state: "ok", root: ROOT },
    chain: { ok: true, status: { ...status, ...chain }, txHash: null },
    ...overrides,
  };
}

describe("checks (each a pure function of the verification context)", () => {
  describe("validity-period", () => {
    it("passes on the last second of the last day and fails EXPIRED one second later", () => {
      expect(checkValidityPeriod(context({ now: new Date("2027-10-21T23:59:59+08:00") })).status).to.equal("pass");
      const expired = checkValidityPeriod(context({ now: new Date("2027-10-22T00:00:00+08:00") }));
      expect(expired).to.deep.include({ status: "fail", reason: "EXPIRED" });
    });

    it("fails NOT_YET_VALID one second before the first day", () => {
      const early = checkValidityPeriod(context({ now: new Date("2026-10-20T23:59:59+08:00") }));
      expect(early).to.deep.include({ status: "fail", reason: "NOT_YET_VALID" });
      expect(early.message.en).to.equal("The certificate is valid only from 2026-10-21.");
    });
  });

  describe("network", () => {
    it("accepts the trusted registry in any letter case and fails WRONG_NETWORK for another registry", () => {
      const lower = {
        ...credential,
        proof: { merkle: { ...credential.proof.merkle!, registry: REGISTRY.toLowerCase() } },
      } as Credential;
      expect(
        checkNetwork(context({ credential: { ok: true, credential: lower, digest: ROOT, disclosed: 1, hidden: [] } }))
          .status,
      ).to.equal("pass");
      const other = {
        ...credential,
        proof: { merkle: { ...credential.proof.merkle!, registry: `0x${"ab".repeat(20)}` } },
      } as Credential;
      expect(
        checkNetwork(context({ credential: { ok: true, credential: other, digest: ROOT, disclosed: 1, hidden: [] } })),
      ).to.deep.include({
        status: "fail",
        reason: "WRONG_NETWORK",
      });
    });
  });

  describe("anchor", () => {
    it("fails NOT_ANCHORED when the registry has no such root, and skips the checks that depend on it", () => {
      const c = context({}, { anchored: false });
      expect(checkAnchor(c)).to.deep.include({ status: "fail", reason: "NOT_ANCHORED" });
      expect(checkIssuer(c).status).to.equal("skip");
      expect(checkCertificateStatus(c).status).to.equal("skip");
    });

    it("fails ISSUER_KEY_REVOKED when the signer's window did not cover the anchoring time", () => {
      expect(checkAnchor(context({}, { signerValidAtAnchor: false }))).to.deep.include({
        status: "fail",
        reason: "ISSUER_KEY_REVOKED",
      });
    });

    it("is an error with CHAIN_UNREACHABLE, naming each endpoint's failure, when the chain could not be read", () => {
      const fragment = checkAnchor(
        context({
          chain: { ok: false, failures: ["endpoint 1 (a): connection refused", "endpoint 2: no answer within 10 ms"] },
        }),
      );
      expect(fragment).to.deep.include({ status: "error", reason: "CHAIN_UNREACHABLE" });
      expect(fragment.message.en).to.include("endpoint 1 (a): connection refused; endpoint 2: no answer within 10 ms");
      expect(fragment.message["zh-HK"]).to.match(/^未能檢查：無法連接區塊鏈/);
    });

    it("is an error with CHAIN_DISAGREEMENT in every chain check when the endpoints disagree", () => {
      const failures = [
        "the endpoints disagree on the certificate's status at block 7: one answer from endpoint 1 (a)",
      ];
      const c = context({ chain: { ok: false, failures, disagreement: true } });
      for (const check of [checkAnchor, checkIssuer, checkCertificateStatus]) {
        const fragment = check(c);
        expect(fragment).to.deep.include({ status: "error", reason: "CHAIN_DISAGREEMENT" });
        expect(fragment.message.en).to.include("gave different answers").and.to.include(failures[0]);
        expect(fragment.message["zh-HK"]).to.match(/^未能檢查：各區塊鏈節點的答覆不一致/);
      }
    });
  });

  describe("issuer", () => {
    it("fails UNKNOWN_ISSUER when another issuer anchored the root, and when the issuer is inactive", () => {
      expect(checkIssuer(context({}, { issuerId: "CSB" }))).to.deep.include({
        status: "fail",
        reason: "UNKNOWN_ISSUER",
      });
      expect(checkIssuer(context({}, { issuerActive: false }))).to.deep.include({
        status: "fail",
        reason: "UNKNOWN_ISSUER",
      });
      expect(checkIssuer(context()).message["zh-HK"]).to.equal("由已登記及有效的簽發機構消防處（hkfsd.gov.hk）簽發。");
    });
  });

  describe("certificate-status", () => {
    it("reports a revoked batch before the leaf's own status", () => {
      const fragment = checkCertificateStatus(
        context({}, { batchRevoked: true, batchRevokedAt: 1795000000, leafStatus: "suspended" }),
      );
      expect(fragment).to.deep.include({ status: "fail", reason: "REVOKED" });
    });

    it("is skipped when the Merkle proof does not hold: the status of a digest outside the batch says nothing", () => {
      expect(
        checkCertificateStatus(context({ merkle: { state: "mismatch", root: ROOT } }, { leafStatus: "revoked" }))
          .status,
      ).to.equal("skip");
    });
  });

  describe("pdf-signature and signing-certificate", () => {
    const signer = { fingerprint: `0x${"cd".repeat(32)}` as Hex, commonName: "Fire Services Department (development)" };

    it("skip for a credential or a QR URL", () => {
      expect(checkPdfSignature(context()).status).to.equal("skip");
      expect(checkSigningCertificate(context()).status).to.equal("skip");
    });

    it("skips the signing certificate when the signature itself is not valid", () => {
      const c = context({
        input: { kind: "pdf" },
        signature: { state: "invalid", detail: { en: "x", "zh-HK": "x" }, signer },
      });
      expect(checkPdfSignature(c)).to.deep.include({ status: "fail", reason: "TAMPERED" });
      expect(checkSigningCertificate(c).status).to.equal("skip");
    });

    it("fails SIGNER_NOT_REGISTERED for a valid signature whose certificate the registry does not list for the issuer", () => {
      const c = context(
        { input: { kind: "pdf" }, signature: { state: "valid", signer } },
        { signingCertificateRegistered: false },
      );
      expect(checkPdfSignature(c).status).to.equal("pass");
      expect(checkSigningCertificate(c)).to.deep.include({ status: "fail", reason: "SIGNER_NOT_REGISTERED" });
    });
  });
});
