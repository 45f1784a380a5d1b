import { expect } from "chai";

import { buildMerkleTree } from "./merkle.js";
import {
  ethers,
  loadFixture,
  time,
  LeafStatus,
  CSB,
  FSD,
  CSB_LEAVES,
  FSD_LEAVES,
  nextBlockAt,
  deployRegistry,
  registeredIssuers,
  anchoredBatches,
} from "./registry-fixtures.js";

// The read side: certificateStatus in one call, and verifyProof.

describe("Registry", function () {
  describe("certificateStatus", function () {
    it("returns anchored false and zero fields for a root that was never anchored", async function () {
      const { registry } = await loadFixture(anchoredBatches);

      const status = await registry.certificateStatus(
        CSB.id,
        ethers.id("never anchored"),
        CSB_LEAVES[0],
        CSB.fingerprint,
      );

      expect(status.anchored).to.equal(false);
      expect(status.issuerId).to.equal(ethers.ZeroHash);
      expect(status.issuerNumber).to.equal(0);
      expect(status.issuerNameEn).to.equal("");
      expect(status.signingCertificateRegistered).to.equal(false);
      expect(status.signer).to.equal(ethers.ZeroAddress);
      expect(status.signerValidAtAnchor).to.equal(false);
      expect(status.anchoredAt).to.equal(0);
    });

    it("answers every field for a valid FSD certificate in one call", async function () {
      const { registry, fsdSigner } = await loadFixture(registeredIssuers);
      const fsdTree = buildMerkleTree(FSD_LEAVES);
      const anchoredAt = await nextBlockAt();
      await registry.connect(fsdSigner).anchor(fsdTree.root, FSD_LEAVES.length);
      const anchorBlock = await time.latestBlock();

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[1], FSD.fingerprint);

      expect(status.anchored).to.equal(true);
      expect(status.issuerId).to.equal(FSD.id);
      expect(status.issuerNumber).to.equal(FSD.number);
      expect(status.issuerActive).to.equal(true);
      expect(status.issuerNameEn).to.equal("Fire Services Department");
      expect(status.issuerNameZh).to.equal("消防處");
      expect(status.issuerDomain).to.equal("hkfsd.gov.hk");
      expect(status.signingCertificateRegistered).to.equal(true);
      expect(status.signer).to.equal(fsdSigner.address);
      expect(status.signerValidAtAnchor).to.equal(true);
      expect(status.anchoredAt).to.equal(anchoredAt);
      expect(status.anchorBlock).to.equal(anchorBlock);
      expect(status.certificateCount).to.equal(FSD_LEAVES.length);
      expect(status.batchRevoked).to.equal(false);
      expect(status.batchRevocationReason).to.equal(0);
      expect(status.batchRevokedAt).to.equal(0);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
      expect(status.leafReason).to.equal(0);
      expect(status.leafChangedAt).to.equal(0);
      expect(status.successor).to.equal(ethers.ZeroHash);
    });

    it("reports the issuer's names as updated after anchoring", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);
      await registry.updateIssuer(CSB.id, "Civil Service Bureau (renamed)", "公務員事務局（新）", "new.csb.gov.hk");

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);

      expect(status.issuerNameEn).to.equal("Civil Service Bureau (renamed)");
      expect(status.issuerNameZh).to.equal("公務員事務局（新）");
      expect(status.issuerDomain).to.equal("new.csb.gov.hk");
    });

    it("reports signingCertificateRegistered false when no fingerprint is passed", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], ethers.ZeroHash);

      expect(status.signingCertificateRegistered).to.equal(false);
    });

    it("reports signingCertificateRegistered false for FSD's fingerprint under a CSB root", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], FSD.fingerprint);

      expect(status.signingCertificateRegistered).to.equal(false);
    });

    it("reports signingCertificateRegistered false once CSB's fingerprint is withdrawn", async function () {
      const { registry, csbTree } = await loadFixture(anchoredBatches);
      await registry.removeSigningCertificate(CSB.id, CSB.fingerprint);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);

      expect(status.signingCertificateRegistered).to.equal(false);
    });

    it("reports the CSB signer, issuer number 1 and CSB's names for a CSB root", async function () {
      const { registry, csbSigner, csbTree, csbAnchoredAt, csbAnchorBlock } = await loadFixture(anchoredBatches);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[4], CSB.fingerprint);

      expect(status.issuerId).to.equal(CSB.id);
      expect(status.issuerNumber).to.equal(CSB.number);
      expect(status.issuerNameEn).to.equal("Civil Service Bureau");
      expect(status.issuerNameZh).to.equal("公務員事務局");
      expect(status.issuerDomain).to.equal("csb.gov.hk");
      expect(status.signer).to.equal(csbSigner.address);
      expect(status.anchoredAt).to.equal(csbAnchoredAt);
      expect(status.anchorBlock).to.equal(csbAnchorBlock);
      expect(status.certificateCount).to.equal(CSB_LEAVES.length);
    });
  });

  describe("verifyProof", function () {
    it("accepts the proof of every leaf of a five-leaf CSB tree", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const tree = buildMerkleTree(CSB_LEAVES);

      const results = await Promise.all(
        CSB_LEAVES.map((leaf) => registry.verifyProof(tree.root, leaf, tree.proof(leaf))),
      );

      expect(results).to.deep.equal(CSB_LEAVES.map(() => true));
    });

    it("accepts a one-leaf tree whose root is the leaf, with an empty proof", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const tree = buildMerkleTree([FSD_LEAVES[0]]);

      expect(await registry.verifyProof(tree.root, FSD_LEAVES[0], [])).to.equal(true);
    });

    it("rejects a leaf that is not in the tree", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const tree = buildMerkleTree(CSB_LEAVES);

      expect(await registry.verifyProof(tree.root, FSD_LEAVES[0], tree.proof(CSB_LEAVES[0]))).to.equal(false);
    });

    it("rejects a proof with one hash altered", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const tree = buildMerkleTree(CSB_LEAVES);
      const proof = tree.proof(CSB_LEAVES[2]);
      proof[0] = ethers.id("tampered");

      expect(await registry.verifyProof(tree.root, CSB_LEAVES[2], proof)).to.equal(false);
    });

    it("rejects a valid proof checked against another tree's root", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const csbTree = buildMerkleTree(CSB_LEAVES);
      const fsdTree = buildMerkleTree(FSD_LEAVES);

      expect(await registry.verifyProof(fsdTree.root, CSB_LEAVES[0], csbTree.proof(CSB_LEAVES[0]))).to.equal(false);
    });

    it("rejects a proof that is missing its last hash", async function () {
      const { registry } = await loadFixture(deployRegistry);
      const tree = buildMerkleTree(CSB_LEAVES);

      expect(await registry.verifyProof(tree.root, CSB_LEAVES[0], tree.proof(CSB_LEAVES[0]).slice(0, -1))).to.equal(
        false,
      );
    });
  });
});
