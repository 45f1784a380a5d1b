import { expect } from "chai";

import {
  ethers,
  loadFixture,
  time,
  LeafStatus,
  SIGNER_WINDOW,
  MAX_SIGNERS,
  REASON_FRAUD,
  CSB,
  FSD,
  CSB_LEAVES,
  address,
  nextBlockAt,
  registeredIssuers,
  anchoredBatches,
} from "./registry-fixtures.js";

// Signers: their windows, the signer view, cut-offs after a key compromise, the emergency stop.

describe("Registry", function () {
  describe("addSigner", function () {
    it("adds a CSB signer with its window and emits SignerAdded", async function () {
      const { registry, csbSigner2, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil))
        .to.emit(registry, "SignerAdded")
        .withArgs(CSB.id, csbSigner2.address, validFrom, validUntil);

      const view = await registry.signerRecord(csbSigner2.address);
      expect(view.issuerId).to.equal(CSB.id);
      expect(view.validFrom).to.equal(validFrom);
      expect(view.validUntil).to.equal(validUntil);
    });

    it("lists the signers of each issuer in issuer(id).signers", async function () {
      const { registry, csbSigner, csbSigner2, fsdSigner, validFrom, validUntil } =
        await loadFixture(registeredIssuers);

      await registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil);

      expect([...(await registry.issuer(CSB.id)).signers]).to.deep.equal([csbSigner.address, csbSigner2.address]);
      expect([...(await registry.issuer(FSD.id)).signers]).to.deep.equal([fsdSigner.address]);
    });

    it("reverts with RegistryZeroSigner when the signer address is zero", async function () {
      const { registry, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, ethers.ZeroAddress, validFrom, validUntil)).to.be.revertedWithCustomError(
        registry,
        "RegistryZeroSigner",
      );
    });

    it("reverts with RegistrySignerExists when adding a CSB signer to CSB again", async function () {
      const { registry, csbSigner, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, csbSigner.address, validFrom, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistrySignerExists")
        .withArgs(csbSigner.address);
    });

    it("reverts with RegistrySignerExists when adding a CSB signer to FSD", async function () {
      const { registry, csbSigner, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(FSD.id, csbSigner.address, validFrom, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistrySignerExists")
        .withArgs(csbSigner.address);
    });

    it("reverts with RegistrySignerExists when re-adding a signer that was cut off", async function () {
      const { registry, csbSigner, validFrom, validUntil } = await loadFixture(registeredIssuers);
      await registry.cutOffSigner(csbSigner.address, validFrom);

      await expect(registry.addSigner(CSB.id, csbSigner.address, validFrom, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistrySignerExists")
        .withArgs(csbSigner.address);
    });

    it("reverts with RegistryInvalidWindow when validFrom equals validUntil", async function () {
      const { registry, csbSigner2, validFrom } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, csbSigner2.address, validFrom, validFrom))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidWindow")
        .withArgs(validFrom, validFrom);
    });

    it("reverts with RegistryInvalidWindow when validFrom is after validUntil", async function () {
      const { registry, csbSigner2, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, csbSigner2.address, validUntil, validFrom))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidWindow")
        .withArgs(validUntil, validFrom);
    });

    it("accepts signers up to MAX_SIGNERS_PER_ISSUER and reverts with RegistryTooManySigners for one more", async function () {
      const { registry, validFrom, validUntil } = await loadFixture(registeredIssuers);
      for (let n = 1; n < MAX_SIGNERS; n++) await registry.addSigner(CSB.id, address(n), validFrom, validUntil);
      expect((await registry.issuer(CSB.id)).signers).to.have.length(MAX_SIGNERS);

      await expect(registry.addSigner(CSB.id, address(MAX_SIGNERS), validFrom, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistryTooManySigners")
        .withArgs(CSB.id);
    });

    it("still adds an FSD signer when CSB is full", async function () {
      const { registry, validFrom, validUntil } = await loadFixture(registeredIssuers);
      for (let n = 1; n < MAX_SIGNERS; n++) await registry.addSigner(CSB.id, address(n), validFrom, validUntil);

      await expect(registry.addSigner(FSD.id, address(MAX_SIGNERS), validFrom, validUntil))
        .to.emit(registry, "SignerAdded")
        .withArgs(FSD.id, address(MAX_SIGNERS), validFrom, validUntil);
    });

    it("reverts with RegistryUnauthorizedSigner when a signer anchors before its window opens", async function () {
      const { registry, csbSigner2 } = await loadFixture(registeredIssuers);
      const opens = (await time.latest()) + time.duration.days(1);
      await registry.addSigner(CSB.id, csbSigner2.address, opens, opens + SIGNER_WINDOW);

      await expect(registry.connect(csbSigner2).anchor(ethers.id("early batch"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner2.address);
    });

    it("lets a signer anchor once its window has opened", async function () {
      const { registry, csbSigner2 } = await loadFixture(registeredIssuers);
      const opens = (await time.latest()) + time.duration.days(1);
      await registry.addSigner(CSB.id, csbSigner2.address, opens, opens + SIGNER_WINDOW);
      await time.setNextBlockTimestamp(opens);

      await expect(registry.connect(csbSigner2).anchor(ethers.id("on-time batch"), 1))
        .to.emit(registry, "RootAnchored")
        .withArgs(ethers.id("on-time batch"), 1);
    });
  });

  describe("signer (view)", function () {
    it("reverts with RegistryUnknownSigner for an address that was never added", async function () {
      const { registry, outsider } = await loadFixture(registeredIssuers);

      await expect(registry.signerRecord(outsider.address))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownSigner")
        .withArgs(outsider.address);
    });
  });

  describe("cutOffSigner (key compromise)", function () {
    it("keeps signerValidAtAnchor true for a root anchored one second before a cut-off in the past", async function () {
      const { registry, csbSigner, csbTree, csbAnchoredAt } = await loadFixture(anchoredBatches);
      await time.increase(time.duration.hours(1));

      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt + 1);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.signerValidAtAnchor).to.equal(true);
    });

    it("reports signerValidAtAnchor false for a root anchored exactly at the cut-off", async function () {
      const { registry, csbSigner, csbTree, csbAnchoredAt } = await loadFixture(anchoredBatches);
      await time.increase(time.duration.hours(1));

      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.signerValidAtAnchor).to.equal(false);
    });

    it("invalidates roots anchored after a past cut-off and keeps earlier ones valid", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const compromisedAt = await nextBlockAt(time.duration.days(1));
      await registry.connect(csbSigner).anchor(ethers.id("batch by the thief"), 1);
      await time.increase(time.duration.days(1));

      await registry.cutOffSigner(csbSigner.address, compromisedAt - 1);

      const before = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      const after = await registry.certificateStatus(
        CSB.id,
        ethers.id("batch by the thief"),
        ethers.id("x"),
        CSB.fingerprint,
      );
      expect(before.signerValidAtAnchor).to.equal(true);
      expect(after.signerValidAtAnchor).to.equal(false);
    });

    it("emits SignerCutOff and ends the signer's window at the cut-off", async function () {
      const { registry, csbSigner, validFrom, csbAnchoredAt } = await loadFixture(anchoredBatches);

      await expect(registry.cutOffSigner(csbSigner.address, csbAnchoredAt))
        .to.emit(registry, "SignerCutOff")
        .withArgs(CSB.id, csbSigner.address, csbAnchoredAt);

      const view = await registry.signerRecord(csbSigner.address);
      expect(view.validFrom).to.equal(validFrom);
      expect(view.validUntil).to.equal(csbAnchoredAt);
    });

    it("lets a signer anchor one second before a future cut-off", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);
      const cutOff = (await time.latest()) + time.duration.hours(1);
      await registry.cutOffSigner(csbSigner.address, cutOff);
      await time.setNextBlockTimestamp(cutOff - 1);

      await expect(registry.connect(csbSigner).anchor(ethers.id("last batch"), 1))
        .to.emit(registry, "RootAnchored")
        .withArgs(ethers.id("last batch"), 1);
    });

    it("reverts with RegistryUnauthorizedSigner when a signer anchors at its cut-off time", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);
      const cutOff = (await time.latest()) + time.duration.hours(1);
      await registry.cutOffSigner(csbSigner.address, cutOff);
      await time.setNextBlockTimestamp(cutOff);

      await expect(registry.connect(csbSigner).anchor(ethers.id("late batch"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner.address);
    });

    it("moves a cut-off earlier a second time", async function () {
      const { registry, csbSigner, csbAnchoredAt } = await loadFixture(anchoredBatches);
      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt + 10);

      await expect(registry.cutOffSigner(csbSigner.address, csbAnchoredAt))
        .to.emit(registry, "SignerCutOff")
        .withArgs(CSB.id, csbSigner.address, csbAnchoredAt);
      expect((await registry.signerRecord(csbSigner.address)).validUntil).to.equal(csbAnchoredAt);
    });

    it("reverts with RegistryCutOffNotEarlier when the cut-off equals the end of the window", async function () {
      const { registry, csbSigner, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.cutOffSigner(csbSigner.address, validUntil))
        .to.be.revertedWithCustomError(registry, "RegistryCutOffNotEarlier")
        .withArgs(csbSigner.address, validUntil, validUntil);
    });

    it("reverts with RegistryCutOffNotEarlier when a second cut-off would move the end later", async function () {
      const { registry, csbSigner, csbAnchoredAt } = await loadFixture(anchoredBatches);
      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt);

      await expect(registry.cutOffSigner(csbSigner.address, csbAnchoredAt + 10))
        .to.be.revertedWithCustomError(registry, "RegistryCutOffNotEarlier")
        .withArgs(csbSigner.address, csbAnchoredAt + 10, csbAnchoredAt);
    });

    it("reverts with RegistryUnknownSigner when cutting off an address that was never added", async function () {
      const { registry, outsider } = await loadFixture(registeredIssuers);

      await expect(registry.cutOffSigner(outsider.address, 0))
        .to.be.revertedWithCustomError(registry, "RegistryUnknownSigner")
        .withArgs(outsider.address);
    });

    it("leaves FSD's signer untouched when a CSB signer is cut off", async function () {
      const { registry, csbSigner, fsdSigner, validUntil, csbAnchoredAt } = await loadFixture(anchoredBatches);

      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt);

      expect((await registry.signerRecord(fsdSigner.address)).validUntil).to.equal(validUntil);
    });
  });

  describe("stopIssuer (emergency stop)", function () {
    it("cuts off every CSB signer at the stop time, records stoppedAt and emits IssuerStopped and SignerCutOff", async function () {
      const { registry, csbSigner, csbSigner2, validFrom, validUntil } = await loadFixture(anchoredBatches);
      await registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil);
      const stoppedAt = await nextBlockAt();

      await expect(registry.stopIssuer(CSB.id))
        .to.emit(registry, "IssuerStopped")
        .withArgs(CSB.id, stoppedAt)
        .and.to.emit(registry, "SignerCutOff")
        .withArgs(CSB.id, csbSigner.address, stoppedAt)
        .and.to.emit(registry, "SignerCutOff")
        .withArgs(CSB.id, csbSigner2.address, stoppedAt);

      expect((await registry.issuer(CSB.id)).stoppedAt).to.equal(stoppedAt);
      expect((await registry.signerRecord(csbSigner.address)).validUntil).to.equal(stoppedAt);
      expect((await registry.signerRecord(csbSigner2.address)).validUntil).to.equal(stoppedAt);
    });

    it("keeps the issuer active: stopping is not deactivating", async function () {
      const { registry } = await loadFixture(anchoredBatches);

      await registry.stopIssuer(CSB.id);

      expect((await registry.issuer(CSB.id)).active).to.equal(true);
    });

    it("reverts with RegistryUnauthorizedSigner when a CSB signer anchors after the stop", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);
      await registry.stopIssuer(CSB.id);

      await expect(registry.connect(csbSigner).anchor(ethers.id("after the stop"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner.address);
    });

    it("leaves FSD unaffected: its signer still anchors and its window is unchanged", async function () {
      const { registry, fsdSigner, validUntil } = await loadFixture(anchoredBatches);
      await registry.stopIssuer(CSB.id);

      await expect(registry.connect(fsdSigner).anchor(ethers.id("FSD batch after CSB stop"), 2))
        .to.emit(registry, "RootAnchored")
        .withArgs(ethers.id("FSD batch after CSB stop"), 2);
      expect((await registry.signerRecord(fsdSigner.address)).validUntil).to.equal(validUntil);
      expect((await registry.issuer(FSD.id)).stoppedAt).to.equal(0);
    });

    it("keeps CSB roots anchored before the stop valid", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);

      await registry.stopIssuer(CSB.id);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.signerValidAtAnchor).to.equal(true);
      expect(status.issuerActive).to.equal(true);
    });

    it("lets CSB resume with a new signer added after the stop", async function () {
      const { registry, csbSigner2 } = await loadFixture(anchoredBatches);
      await registry.stopIssuer(CSB.id);
      const now = await time.latest();
      await registry.addSigner(CSB.id, csbSigner2.address, now, now + SIGNER_WINDOW);
      const resumedRoot = ethers.id("CSB batch after resuming");

      await registry.connect(csbSigner2).anchor(resumedRoot, 1);

      const status = await registry.certificateStatus(CSB.id, resumedRoot, ethers.id("leaf"), CSB.fingerprint);
      expect(status.signer).to.equal(csbSigner2.address);
      expect(status.signerValidAtAnchor).to.equal(true);
    });

    it("does not move the end of a signer window that had already ended", async function () {
      const { registry, csbSigner, csbSigner2, validFrom, validUntil, csbAnchoredAt } =
        await loadFixture(anchoredBatches);
      await registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil);
      await registry.cutOffSigner(csbSigner.address, csbAnchoredAt);

      const receipt = await (await registry.stopIssuer(CSB.id)).wait();

      const cutOffs = receipt!.logs
        .map((log) => registry.interface.parseLog(log))
        .filter((event) => event?.name === "SignerCutOff")
        .map((event) => event!.args.signer);
      expect(cutOffs).to.deep.equal([csbSigner2.address]);
      expect((await registry.signerRecord(csbSigner.address)).validUntil).to.equal(csbAnchoredAt);
    });

    it("lets the admin still revoke a CSB certificate after the stop", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);
      await registry.stopIssuer(CSB.id);

      await registry.revokeFor(CSB.id, CSB_LEAVES[1], REASON_FRAUD);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[1], CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Revoked);
    });

    it("lets an issuer that has used all 16 signer slots resume after an emergency stop, dropping ended signers", async function () {
      const { registry, csbSigner2, validFrom, validUntil } = await loadFixture(registeredIssuers);
      for (let n = 1; n < MAX_SIGNERS; n++) await registry.addSigner(CSB.id, address(n), validFrom, validUntil);
      await registry.stopIssuer(CSB.id);
      const now = await time.latest();

      await expect(registry.addSigner(CSB.id, csbSigner2.address, now, now + SIGNER_WINDOW)).to.emit(
        registry,
        "SignerAdded",
      );
      expect((await registry.issuer(CSB.id)).signers).to.deep.equal([csbSigner2.address]);
    });
  });
});
