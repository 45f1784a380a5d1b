import { expect } from "chai";

import {
  ethers,
  loadFixture,
  time,
  DEFAULT_ADMIN_ROLE,
  ADMIN_DELAY,
  MAX_SIGNERS,
  REASON_FRAUD,
  REASON_UNDER_REVIEW,
  CSB,
  FSD,
  UNKNOWN_ID,
  CSB_LEAVES,
  FSD_LEAVES,
  RENEWAL_LEAF,
  address,
  deployRegistry,
  anchoredBatches,
  type Anchored,
} from "./registry-fixtures.js";

// Deployment, the admin handover, and the governance calls: only the admin makes them, and only on
// registered issuers.

describe("Registry", function () {
  describe("deployment", function () {
    it("gives the initial admin DEFAULT_ADMIN_ROLE with the handover delay", async function () {
      const { registry, admin } = await loadFixture(deployRegistry);

      expect(await registry.defaultAdmin()).to.equal(admin.address);
      expect(await registry.hasRole(DEFAULT_ADMIN_ROLE, admin.address)).to.equal(true);
      expect(await registry.defaultAdminDelay()).to.equal(ADMIN_DELAY);
    });

    it("caps signers per issuer at 16", async function () {
      const { registry } = await loadFixture(deployRegistry);

      expect(await registry.MAX_SIGNERS_PER_ISSUER()).to.equal(MAX_SIGNERS);
    });
  });

  describe("admin handover", function () {
    it("lets the new admin act only after accepting the transfer once the delay has passed", async function () {
      const { registry, admin, newAdmin } = await loadFixture(deployRegistry);
      const asNewAdmin = registry.connect(newAdmin);
      await registry.beginDefaultAdminTransfer(newAdmin.address);
      const [, schedule] = await registry.pendingDefaultAdmin();

      await expect(asNewAdmin.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(newAdmin.address, DEFAULT_ADMIN_ROLE);
      await expect(asNewAdmin.acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(registry, "AccessControlEnforcedDefaultAdminDelay")
        .withArgs(schedule);

      await time.increaseTo(schedule + 1n);
      await asNewAdmin.acceptDefaultAdminTransfer();

      await expect(asNewAdmin.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint))
        .to.emit(registry, "IssuerRegistered")
        .withArgs(CSB.id, CSB.number, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint);
      await expect(registry.registerIssuer(FSD.id, FSD.nameEn, FSD.nameZh, FSD.domain, FSD.fingerprint))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(admin.address, DEFAULT_ADMIN_ROLE);
    });
  });

  describe("governance access control", function () {
    const governanceCalls: [string, (r: Anchored["registry"]) => Promise<unknown>][] = [
      [
        "registerIssuer",
        (r) =>
          r.registerIssuer(
            UNKNOWN_ID,
            "Environmental Protection Department",
            "環境保護署",
            "epd.gov.hk",
            CSB.fingerprint,
          ),
      ],
      ["updateIssuer", (r) => r.updateIssuer(CSB.id, "x", "x", "x")],
      ["setIssuerActive", (r) => r.setIssuerActive(CSB.id, false)],
      ["stopIssuer", (r) => r.stopIssuer(CSB.id)],
      ["addSigningCertificate", (r) => r.addSigningCertificate(CSB.id, ethers.id("fingerprint"))],
      ["removeSigningCertificate", (r) => r.removeSigningCertificate(CSB.id, CSB.fingerprint)],
      ["addSigner", (r) => r.addSigner(CSB.id, address(1), 0, 1)],
      ["cutOffSigner", (r) => r.cutOffSigner(address(1), 0)],
      ["revokeFor", (r) => r.revokeFor(FSD.id, FSD_LEAVES[0], REASON_FRAUD)],
      ["suspendFor", (r) => r.suspendFor(FSD.id, FSD_LEAVES[0], REASON_UNDER_REVIEW)],
      ["reinstateFor", (r) => r.reinstateFor(FSD.id, FSD_LEAVES[0])],
      ["supersedeFor", (r) => r.supersedeFor(FSD.id, FSD_LEAVES[0], RENEWAL_LEAF)],
    ];

    for (const [name, call] of governanceCalls) {
      it(`reverts with AccessControlUnauthorizedAccount when an outsider calls ${name}`, async function () {
        const { registry, outsider } = await loadFixture(anchoredBatches);

        await expect(call(registry.connect(outsider)))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(outsider.address, DEFAULT_ADMIN_ROLE);
      });
    }

    for (const [name, call] of governanceCalls) {
      it(`reverts with AccessControlUnauthorizedAccount when a CSB signer calls ${name}`, async function () {
        const { registry, csbSigner } = await loadFixture(anchoredBatches);

        await expect(call(registry.connect(csbSigner)))
          .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
          .withArgs(csbSigner.address, DEFAULT_ADMIN_ROLE);
      });
    }
  });

  describe("unknown issuer", function () {
    const issuerCalls: [string, (r: Anchored["registry"]) => Promise<unknown>][] = [
      [
        "updateIssuer",
        (r) => r.updateIssuer(UNKNOWN_ID, "Environmental Protection Department", "環境保護署", "epd.gov.hk"),
      ],
      ["setIssuerActive", (r) => r.setIssuerActive(UNKNOWN_ID, false)],
      ["stopIssuer", (r) => r.stopIssuer(UNKNOWN_ID)],
      ["addSigningCertificate", (r) => r.addSigningCertificate(UNKNOWN_ID, ethers.id("fingerprint"))],
      ["removeSigningCertificate", (r) => r.removeSigningCertificate(UNKNOWN_ID, CSB.fingerprint)],
      ["addSigner", (r) => r.addSigner(UNKNOWN_ID, address(1), 0, 1)],
      ["revokeFor", (r) => r.revokeFor(UNKNOWN_ID, CSB_LEAVES[0], REASON_FRAUD)],
      ["suspendFor", (r) => r.suspendFor(UNKNOWN_ID, CSB_LEAVES[0], REASON_UNDER_REVIEW)],
      ["reinstateFor", (r) => r.reinstateFor(UNKNOWN_ID, CSB_LEAVES[0])],
      ["supersedeFor", (r) => r.supersedeFor(UNKNOWN_ID, CSB_LEAVES[0], RENEWAL_LEAF)],
      ["issuer (view)", (r) => r.issuer(UNKNOWN_ID)],
      ["isSigningCertificate (view)", (r) => r.isSigningCertificate(UNKNOWN_ID, CSB.fingerprint)],
    ];

    for (const [name, call] of issuerCalls) {
      it(`reverts with RegistryUnknownIssuer when ${name} names an unregistered issuer`, async function () {
        const { registry } = await loadFixture(anchoredBatches);

        await expect(call(registry))
          .to.be.revertedWithCustomError(registry, "RegistryUnknownIssuer")
          .withArgs(UNKNOWN_ID);
      });
    }
  });
});
