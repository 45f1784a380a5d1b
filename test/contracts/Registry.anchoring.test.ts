import { expect } from "chai";

import { buildMerkleTree } from "./merkle.js";
import {
  ethers,
  loadFixture,
  time,
  DEFAULT_ADMIN_ROLE,
  REASON_FRAUD,
  REASON_UNDER_REVIEW,
  CSB,
  FSD,
  CSB_LEAVES,
  FSD_LEAVES,
  nextBlockAt,
  registeredIssuers,
  anchoredBatches,
} from "./registry-fixtures.js";

// Anchoring Merkle roots and revoking whole batches.

describe("Registry", function () {
  describe("anchor", function () {
    it("records the anchor of a CSB batch and emits RootAnchored with its size", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);
      const tree = buildMerkleTree(CSB_LEAVES);
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).anchor(tree.root, CSB_LEAVES.length))
        .to.emit(registry, "RootAnchored")
        .withArgs(tree.root, CSB_LEAVES.length);

      const status = await registry.certificateStatus(CSB.id, tree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.anchored).to.equal(true);
      expect(status.issuerId).to.equal(CSB.id);
      expect(status.signer).to.equal(csbSigner.address);
      expect(status.anchoredAt).to.equal(at);
      expect(status.anchorBlock).to.equal(await time.latestBlock());
      expect(status.certificateCount).to.equal(CSB_LEAVES.length);
    });

    it("stores the largest batch size a uint32 holds", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);
      const root = ethers.id("a very large batch");

      await registry.connect(csbSigner).anchor(root, 2n ** 32n - 1n);

      expect(
        (await registry.certificateStatus(CSB.id, root, ethers.id("x"), ethers.ZeroHash)).certificateCount,
      ).to.equal(2n ** 32n - 1n);
    });

    it("reverts with RegistryUnauthorizedSigner when an outsider anchors", async function () {
      const { registry, outsider } = await loadFixture(registeredIssuers);

      await expect(registry.connect(outsider).anchor(ethers.id("forged batch"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(outsider.address);
    });

    it("reverts with RegistryUnauthorizedSigner when the admin, who is no signer, anchors", async function () {
      const { registry, admin } = await loadFixture(registeredIssuers);

      await expect(registry.anchor(ethers.id("admin batch"), 1))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(admin.address);
    });

    it("reverts with RegistryZeroRoot when the root is zero", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);

      await expect(registry.connect(csbSigner).anchor(ethers.ZeroHash, 1)).to.be.revertedWithCustomError(
        registry,
        "RegistryZeroRoot",
      );
    });

    it("reverts with RegistryEmptyBatch when the batch has no certificates", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);

      await expect(registry.connect(csbSigner).anchor(ethers.id("empty"), 0)).to.be.revertedWithCustomError(
        registry,
        "RegistryEmptyBatch",
      );
    });

    it("reverts with RegistryRootAlreadyAnchored when CSB anchors its root a second time", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);

      await expect(registry.connect(csbSigner).anchor(csbTree.root, CSB_LEAVES.length))
        .to.be.revertedWithCustomError(registry, "RegistryRootAlreadyAnchored")
        .withArgs(csbTree.root);
    });

    it("lets FSD anchor a root CSB already anchored, in FSD's namespace only: CSB's anchor is untouched", async function () {
      const { registry, fsdSigner, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const before = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);

      await expect(registry.connect(fsdSigner).anchor(csbTree.root, 1))
        .to.emit(registry, "RootAnchored")
        .withArgs(csbTree.root, 1);

      const csb = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(csb).to.deep.equal(before);
      expect(csb.signer).to.equal(csbSigner.address);
      const fsd = await registry.certificateStatus(FSD.id, csbTree.root, CSB_LEAVES[0], FSD.fingerprint);
      expect(fsd.issuerId).to.equal(FSD.id);
      expect(fsd.signer).to.equal(fsdSigner.address);
      expect(fsd.certificateCount).to.equal(1);
    });

    it("lets CSB anchor its root after FSD front-ran it with the same root", async function () {
      const { registry, fsdSigner, csbSigner } = await loadFixture(registeredIssuers);
      const tree = buildMerkleTree(CSB_LEAVES);
      await registry.connect(fsdSigner).anchor(tree.root, 99);
      const beforeCsb = await registry.certificateStatus(CSB.id, tree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(beforeCsb.anchored).to.equal(true);
      expect(beforeCsb.issuerId, "the view names the issuer that did anchor it").to.equal(FSD.id);

      await registry.connect(csbSigner).anchor(tree.root, CSB_LEAVES.length);

      const status = await registry.certificateStatus(CSB.id, tree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.issuerId).to.equal(CSB.id);
      expect(status.signer).to.equal(csbSigner.address);
      expect(status.certificateCount).to.equal(CSB_LEAVES.length);
      expect(status.signingCertificateRegistered).to.equal(true);
    });
  });

  describe("revokeBatch", function () {
    it("lets a CSB signer revoke a CSB batch, recording reason and time, and emits BatchRevoked", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).revokeBatch(csbTree.root, REASON_FRAUD))
        .to.emit(registry, "BatchRevoked")
        .withArgs(csbTree.root, CSB.number, REASON_FRAUD);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[2], CSB.fingerprint);
      expect(status.batchRevoked).to.equal(true);
      expect(status.batchRevocationReason).to.equal(REASON_FRAUD);
      expect(status.batchRevokedAt).to.equal(at);
    });

    it("keeps the anchor record intact when the batch is revoked", async function () {
      const { registry, csbSigner, csbTree, csbAnchoredAt, csbAnchorBlock } = await loadFixture(anchoredBatches);

      await registry.connect(csbSigner).revokeBatch(csbTree.root, REASON_FRAUD);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[2], CSB.fingerprint);
      expect(status.issuerId).to.equal(CSB.id);
      expect(status.signer).to.equal(csbSigner.address);
      expect(status.anchoredAt).to.equal(csbAnchoredAt);
      expect(status.anchorBlock).to.equal(csbAnchorBlock);
      expect(status.certificateCount).to.equal(CSB_LEAVES.length);
      expect(status.signerValidAtAnchor).to.equal(true);
    });

    it("lets the admin revoke an FSD batch with revokeBatchFor", async function () {
      const { registry, fsdTree } = await loadFixture(anchoredBatches);

      await expect(registry.revokeBatchFor(FSD.id, fsdTree.root, REASON_FRAUD))
        .to.emit(registry, "BatchRevoked")
        .withArgs(fsdTree.root, FSD.number, REASON_FRAUD);

      expect(
        (await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint)).batchRevoked,
      ).to.equal(true);
    });

    it("reverts with RegistryRootNotAnchored when a CSB signer revokes an FSD batch", async function () {
      const { registry, csbSigner, fsdTree } = await loadFixture(anchoredBatches);

      await expect(registry.connect(csbSigner).revokeBatch(fsdTree.root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryRootNotAnchored")
        .withArgs(CSB.id, fsdTree.root);
    });

    it("reverts with RegistryUnauthorizedSigner when the admin calls revokeBatch (it uses revokeBatchFor)", async function () {
      const { registry, admin, csbTree } = await loadFixture(anchoredBatches);

      await expect(registry.revokeBatch(csbTree.root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(admin.address);
    });

    it("reverts with AccessControlUnauthorizedAccount when a signer calls revokeBatchFor", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);

      await expect(registry.connect(csbSigner).revokeBatchFor(CSB.id, csbTree.root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "AccessControlUnauthorizedAccount")
        .withArgs(csbSigner.address, DEFAULT_ADMIN_ROLE);
    });

    it("reverts with RegistryUnauthorizedSigner when an outsider revokes a CSB batch", async function () {
      const { registry, outsider, csbTree } = await loadFixture(anchoredBatches);

      await expect(registry.connect(outsider).revokeBatch(csbTree.root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(outsider.address);
    });

    it("reverts with RegistryUnauthorizedSigner when a cut-off CSB signer revokes its own batch", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      await registry.stopIssuer(CSB.id);

      await expect(registry.connect(csbSigner).revokeBatch(csbTree.root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
        .withArgs(csbSigner.address);
    });

    it("reverts with RegistryRootNotAnchored when the root was never anchored", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);
      const root = ethers.id("never anchored");

      await expect(registry.connect(csbSigner).revokeBatch(root, REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryRootNotAnchored")
        .withArgs(CSB.id, root);
    });

    it("reverts with RegistryBatchAlreadyRevoked when the batch is revoked twice", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      await registry.connect(csbSigner).revokeBatch(csbTree.root, REASON_FRAUD);

      await expect(registry.revokeBatchFor(CSB.id, csbTree.root, REASON_UNDER_REVIEW))
        .to.be.revertedWithCustomError(registry, "RegistryBatchAlreadyRevoked")
        .withArgs(csbTree.root);
    });
  });
});
