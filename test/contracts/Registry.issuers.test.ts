import { expect } from "chai";

import {
  ethers,
  loadFixture,
  time,
  SIGNER_WINDOW,
  CSB,
  FSD,
  CSB_LEAVES,
  FSD_LEAVES,
  nextBlockAt,
  deployRegistry,
  registeredIssuers,
  anchoredBatches,
} from "./registry-fixtures.js";

// Issuers: registration, updates, signing-certificate fingerprints, deactivation and reactivation.

describe("Registry", function () {
  describe("registerIssuer", function () {
    it("admits CSB as issuer number 1, active, and emits IssuerRegistered", async function () {
      const { registry } = await loadFixture(deployRegistry);

      await expect(registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint))
        .to.emit(registry, "IssuerRegistered")
        .withArgs(CSB.id, 1, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint);

      const view = await registry.issuer(CSB.id);
      expect(view.id).to.equal(CSB.id);
      expect(view.number).to.equal(1);
      expect(view.active).to.equal(true);
      expect(view.stoppedAt).to.equal(0);
      expect(view.nameEn).to.equal(CSB.nameEn);
      expect(view.nameZh).to.equal(CSB.nameZh);
      expect(view.domain).to.equal(CSB.domain);
      expect(view.signingCertificate).to.equal(CSB.fingerprint);
      expect([...view.signers]).to.deep.equal([]);
    });

    it("registers the first signing-certificate fingerprint of the issuer", async function () {
      const { registry } = await loadFixture(deployRegistry);

      await registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint);

      expect(await registry.isSigningCertificate(CSB.id, CSB.fingerprint)).to.equal(true);
    });

    it("numbers the second issuer 2", async function () {
      const { registry } = await loadFixture(deployRegistry);
      await registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint);

      await expect(registry.registerIssuer(FSD.id, FSD.nameEn, FSD.nameZh, FSD.domain, FSD.fingerprint))
        .to.emit(registry, "IssuerRegistered")
        .withArgs(FSD.id, 2, FSD.nameEn, FSD.nameZh, FSD.domain, FSD.fingerprint);
      expect((await registry.issuer(FSD.id)).number).to.equal(2);
    });

    it("reverts with RegistryZeroIssuerId when the id is zero", async function () {
      const { registry } = await loadFixture(deployRegistry);

      await expect(
        registry.registerIssuer(ethers.ZeroHash, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint),
      ).to.be.revertedWithCustomError(registry, "RegistryZeroIssuerId");
    });

    it("reverts with RegistryIssuerExists when the id is already registered", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.registerIssuer(CSB.id, "Another", "另一", "other.gov.hk", ethers.id("other")))
        .to.be.revertedWithCustomError(registry, "RegistryIssuerExists")
        .withArgs(CSB.id);
    });

    for (const field of ["nameEn", "nameZh", "domain"] as const) {
      it(`reverts with RegistryEmptyIssuerField("${field}") when ${field} is empty`, async function () {
        const { registry } = await loadFixture(deployRegistry);
        const fields = { nameEn: CSB.nameEn, nameZh: CSB.nameZh, domain: CSB.domain, [field]: "" };

        await expect(registry.registerIssuer(CSB.id, fields.nameEn, fields.nameZh, fields.domain, CSB.fingerprint))
          .to.be.revertedWithCustomError(registry, "RegistryEmptyIssuerField")
          .withArgs(field);
      });
    }

    it("reverts with RegistryZeroFingerprint when the signing-certificate fingerprint is zero", async function () {
      const { registry } = await loadFixture(deployRegistry);

      await expect(
        registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, ethers.ZeroHash),
      ).to.be.revertedWithCustomError(registry, "RegistryZeroFingerprint");
    });
  });

  describe("updateIssuer", function () {
    it("changes CSB's names and domain and emits IssuerUpdated", async function () {
      const { registry } = await loadFixture(registeredIssuers);
      const renamed = {
        nameEn: "Civil Service Bureau (HKSAR)",
        nameZh: "香港特區公務員事務局",
        domain: "www.csb.gov.hk",
      };

      await expect(registry.updateIssuer(CSB.id, renamed.nameEn, renamed.nameZh, renamed.domain))
        .to.emit(registry, "IssuerUpdated")
        .withArgs(CSB.id, renamed.nameEn, renamed.nameZh, renamed.domain);

      const view = await registry.issuer(CSB.id);
      expect([view.nameEn, view.nameZh, view.domain]).to.deep.equal([renamed.nameEn, renamed.nameZh, renamed.domain]);
    });

    it("leaves FSD's record unchanged when CSB is updated", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await registry.updateIssuer(CSB.id, "Renamed", "改名", "renamed.gov.hk");

      const view = await registry.issuer(FSD.id);
      expect([view.nameEn, view.nameZh, view.domain]).to.deep.equal([FSD.nameEn, FSD.nameZh, FSD.domain]);
    });

    for (const field of ["nameEn", "nameZh", "domain"] as const) {
      it(`reverts with RegistryEmptyIssuerField("${field}") when the update empties ${field}`, async function () {
        const { registry } = await loadFixture(registeredIssuers);
        const fields = { nameEn: CSB.nameEn, nameZh: CSB.nameZh, domain: CSB.domain, [field]: "" };

        await expect(registry.updateIssuer(CSB.id, fields.nameEn, fields.nameZh, fields.domain))
          .to.be.revertedWithCustomError(registry, "RegistryEmptyIssuerField")
          .withArgs(field);
      });
    }
  });

  describe("signing certificates", function () {
    const RENEWED = ethers.sha256(ethers.toUtf8Bytes("CN=Civil Service Bureau PDF signing 2026"));

    it("registers a renewed fingerprint as current, keeps the earlier one and emits SigningCertificateAdded", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.addSigningCertificate(CSB.id, RENEWED))
        .to.emit(registry, "SigningCertificateAdded")
        .withArgs(CSB.id, RENEWED);

      expect((await registry.issuer(CSB.id)).signingCertificate).to.equal(RENEWED);
      expect(await registry.isSigningCertificate(CSB.id, RENEWED)).to.equal(true);
      expect(await registry.isSigningCertificate(CSB.id, CSB.fingerprint)).to.equal(true);
    });

    it("does not register CSB's fingerprint for FSD", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await registry.addSigningCertificate(CSB.id, RENEWED);

      expect(await registry.isSigningCertificate(FSD.id, RENEWED)).to.equal(false);
      expect(await registry.isSigningCertificate(FSD.id, CSB.fingerprint)).to.equal(false);
    });

    it("reverts with RegistryZeroFingerprint when adding a zero fingerprint", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.addSigningCertificate(CSB.id, ethers.ZeroHash)).to.be.revertedWithCustomError(
        registry,
        "RegistryZeroFingerprint",
      );
    });

    it("reverts with RegistryFingerprintExists when adding a fingerprint CSB already has", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.addSigningCertificate(CSB.id, CSB.fingerprint))
        .to.be.revertedWithCustomError(registry, "RegistryFingerprintExists")
        .withArgs(CSB.id, CSB.fingerprint);
    });

    it("accepts for FSD a fingerprint that CSB already has (fingerprints are per issuer)", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.addSigningCertificate(FSD.id, CSB.fingerprint))
        .to.emit(registry, "SigningCertificateAdded")
        .withArgs(FSD.id, CSB.fingerprint);
    });

    it("withdraws the current fingerprint, zeroes issuer(id).signingCertificate and emits SigningCertificateRemoved", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.removeSigningCertificate(CSB.id, CSB.fingerprint))
        .to.emit(registry, "SigningCertificateRemoved")
        .withArgs(CSB.id, CSB.fingerprint);

      expect(await registry.isSigningCertificate(CSB.id, CSB.fingerprint)).to.equal(false);
      expect((await registry.issuer(CSB.id)).signingCertificate).to.equal(ethers.ZeroHash);
    });

    it("keeps the current fingerprint when an earlier one is withdrawn", async function () {
      const { registry } = await loadFixture(registeredIssuers);
      await registry.addSigningCertificate(CSB.id, RENEWED);

      await registry.removeSigningCertificate(CSB.id, CSB.fingerprint);

      expect((await registry.issuer(CSB.id)).signingCertificate).to.equal(RENEWED);
      expect(await registry.isSigningCertificate(CSB.id, CSB.fingerprint)).to.equal(false);
      expect(await registry.isSigningCertificate(CSB.id, RENEWED)).to.equal(true);
    });

    it("reverts with RegistryUnknownFingerprint when withdrawing a fingerprint CSB does not have", async function () {
      const { registry } = await loadFixture(registeredIssuers);

      await expect(registry.removeSigningCertificate(CSB.id, FSD.fingerprint))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownFingerprint")
        .withArgs(CSB.id, FSD.fingerprint);
    });

    it("reverts with RegistryUnknownFingerprint when withdrawing the same fingerprint twice", async function () {
      const { registry } = await loadFixture(registeredIssuers);
      await registry.removeSigningCertificate(CSB.id, CSB.fingerprint);

      await expect(registry.removeSigningCertificate(CSB.id, CSB.fingerprint))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownFingerprint")
        .withArgs(CSB.id, CSB.fingerprint);
    });
  });

  describe("setIssuerActive (deactivation)", function () {
    it("deactivates CSB, emits IssuerActiveChanged(false) and cuts off its signers from now", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);
      const at = await nextBlockAt();

      await expect(registry.setIssuerActive(CSB.id, false))
        .to.emit(registry, "IssuerActiveChanged")
        .withArgs(CSB.id, false)
        .and.to.emit(registry, "SignerCutOff")
        .withArgs(CSB.id, csbSigner.address, at);

      expect((await registry.issuer(CSB.id)).active).to.equal(false);
      expect((await registry.signerRecord(csbSigner.address)).validUntil).to.equal(at);
    });

    it("reports issuerActive false in certificateStatus for a root of a deactivated issuer", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);

      await registry.setIssuerActive(CSB.id, false);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.anchored).to.equal(true);
      expect(status.issuerActive).to.equal(false);
      expect(status.signerValidAtAnchor).to.equal(true);
    });

    it("reverts with RegistryUnauthorizedSigner when a signer of a deactivated issuer anchors", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);
      await registry.setIssuerActive(CSB.id, false);

      await expect(registry.connect(csbSigner).anchor(ethers.id("after deactivation"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner.address);
    });

    it("leaves FSD active when CSB is deactivated", async function () {
      const { registry, fsdTree } = await loadFixture(anchoredBatches);

      await registry.setIssuerActive(CSB.id, false);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint);
      expect(status.issuerActive).to.equal(true);
    });

    it("reverts with RegistryIssuerInactive when adding a signer to a deactivated issuer", async function () {
      const { registry, csbSigner2, validFrom, validUntil } = await loadFixture(anchoredBatches);
      await registry.setIssuerActive(CSB.id, false);

      await expect(registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistryIssuerInactive")
        .withArgs(CSB.id);
    });

    it("reactivates CSB with IssuerActiveChanged(true) without reviving its cut-off signers", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);
      await registry.setIssuerActive(CSB.id, false);

      await expect(registry.setIssuerActive(CSB.id, true))
        .to.emit(registry, "IssuerActiveChanged")
        .withArgs(CSB.id, true);

      expect((await registry.issuer(CSB.id)).active).to.equal(true);
      await expect(registry.connect(csbSigner).anchor(ethers.id("after reactivation"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner.address);
    });

    it("lets a reactivated issuer anchor again through a new signer", async function () {
      const { registry, csbSigner2 } = await loadFixture(anchoredBatches);
      await registry.setIssuerActive(CSB.id, false);
      await registry.setIssuerActive(CSB.id, true);
      const now = await time.latest();
      await registry.addSigner(CSB.id, csbSigner2.address, now, now + SIGNER_WINDOW);

      await expect(registry.connect(csbSigner2).anchor(ethers.id("after reactivation"), 1))
        .to.emit(registry, "RootAnchored")
        .withArgs(ethers.id("after reactivation"), 1);
    });
  });
});
