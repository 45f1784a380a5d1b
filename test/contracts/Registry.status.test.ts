import { expect } from "chai";

import {
  ethers,
  loadFixture,
  LeafStatus,
  REASON_FRAUD,
  REASON_UNDER_REVIEW,
  CSB,
  FSD,
  CSB_LEAVES,
  FSD_LEAVES,
  RENEWAL_LEAF,
  nextBlockAt,
  anchoredBatches,
  putCsbLeafIn,
  type LeafStatusName,
  type Anchored,
} from "./registry-fixtures.js";

// Certificate (leaf) status: by the issuer's signer, the transition table, issuer namespaces, the admin's
// ...For functions.

describe("Registry", function () {
  describe("leaf status by the issuer's signer", function () {
    it("revokes a CSB leaf, recording reason and time, and emits CertificateRevoked in CSB's namespace", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const leaf = CSB_LEAVES[1];
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).revoke(leaf, REASON_FRAUD))
        .to.emit(registry, "CertificateRevoked")
        .withArgs(leaf, CSB.number, REASON_FRAUD);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, leaf, CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Revoked);
      expect(status.leafReason).to.equal(REASON_FRAUD);
      expect(status.leafChangedAt).to.equal(at);
      expect(status.batchRevoked).to.equal(false);
    });

    it("revokes only the named leaf: its sibling in the batch stays Valid", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);

      await registry.connect(csbSigner).revoke(CSB_LEAVES[1], REASON_FRAUD);

      const sibling = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[2], CSB.fingerprint);
      expect(sibling.leafStatus).to.equal(LeafStatus.Valid);
      expect(sibling.leafChangedAt).to.equal(0);
    });

    it("suspends a CSB leaf and emits CertificateSuspended", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const leaf = CSB_LEAVES[1];
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).suspend(leaf, REASON_UNDER_REVIEW))
        .to.emit(registry, "CertificateSuspended")
        .withArgs(leaf, CSB.number, REASON_UNDER_REVIEW);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, leaf, CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Suspended);
      expect(status.leafReason).to.equal(REASON_UNDER_REVIEW);
      expect(status.leafChangedAt).to.equal(at);
    });

    it("reinstates a suspended CSB leaf to Valid with reason 0 and emits CertificateReinstated", async function () {
      const fixture = await loadFixture(anchoredBatches);
      const { registry, csbSigner, csbTree } = fixture;
      const leaf = await putCsbLeafIn(fixture, "Suspended");
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).reinstate(leaf))
        .to.emit(registry, "CertificateReinstated")
        .withArgs(leaf, CSB.number);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, leaf, CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
      expect(status.leafReason).to.equal(0);
      expect(status.leafChangedAt).to.equal(at);
    });

    it("supersedes a CSB leaf by its renewal and emits CertificateSuperseded", async function () {
      const { registry, csbSigner, csbTree } = await loadFixture(anchoredBatches);
      const leaf = CSB_LEAVES[1];
      const at = await nextBlockAt();

      await expect(registry.connect(csbSigner).supersede(leaf, RENEWAL_LEAF))
        .to.emit(registry, "CertificateSuperseded")
        .withArgs(leaf, CSB.number, RENEWAL_LEAF);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, leaf, CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Superseded);
      expect(status.successor).to.equal(RENEWAL_LEAF);
      expect(status.leafReason).to.equal(0);
      expect(status.leafChangedAt).to.equal(at);
    });

    it("reverts with RegistryInvalidSuccessor when the successor is zero", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);

      await expect(registry.connect(csbSigner).supersede(CSB_LEAVES[1], ethers.ZeroHash))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSuccessor")
        .withArgs(CSB_LEAVES[1], ethers.ZeroHash);
    });

    it("reverts with RegistryInvalidSuccessor when the successor is the leaf itself", async function () {
      const { registry, csbSigner } = await loadFixture(anchoredBatches);

      await expect(registry.connect(csbSigner).supersede(CSB_LEAVES[1], CSB_LEAVES[1]))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSuccessor")
        .withArgs(CSB_LEAVES[1], CSB_LEAVES[1]);
    });

    const signerOperations: [string, (r: Anchored["registry"], leaf: string) => Promise<unknown>][] = [
      ["revoke", (r, leaf) => r.revoke(leaf, REASON_FRAUD)],
      ["suspend", (r, leaf) => r.suspend(leaf, REASON_UNDER_REVIEW)],
      ["reinstate", (r, leaf) => r.reinstate(leaf)],
      ["supersede", (r, leaf) => r.supersede(leaf, RENEWAL_LEAF)],
    ];

    for (const [name, operation] of signerOperations) {
      it(`reverts with RegistryZeroLeaf when a CSB signer calls ${name} on the zero leaf`, async function () {
        const { registry, csbSigner } = await loadFixture(anchoredBatches);

        await expect(operation(registry.connect(csbSigner), ethers.ZeroHash)).to.be.revertedWithCustomError(
          registry,
          "RegistryZeroLeaf",
        );
      });

      it(`reverts with RegistryUnauthorizedSigner when an outsider calls ${name}`, async function () {
        const { registry, outsider } = await loadFixture(anchoredBatches);

        await expect(operation(registry.connect(outsider), CSB_LEAVES[0]))
          .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
          .withArgs(outsider.address);
      });

      it(`reverts with RegistryUnauthorizedSigner when the admin, who is no signer, calls ${name}`, async function () {
        const { registry, admin } = await loadFixture(anchoredBatches);

        await expect(operation(registry, CSB_LEAVES[0]))
          .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
          .withArgs(admin.address);
      });

      it(`reverts with RegistryUnauthorizedSigner when a stopped CSB signer calls ${name}`, async function () {
        const { registry, csbSigner } = await loadFixture(anchoredBatches);
        await registry.stopIssuer(CSB.id);

        await expect(operation(registry.connect(csbSigner), CSB_LEAVES[0]))
          .to.be.revertedWithCustomError(registry, "RegistryUnauthorizedSigner")
          .withArgs(csbSigner.address);
      });
    }
  });

  describe("leaf transitions", function () {
    // [operation, from, allowed]: revoked and superseded are final; only a suspended leaf is reinstated.
    const operations = {
      revoke: (r: Anchored["registry"], leaf: string) => r.revoke(leaf, REASON_FRAUD),
      suspend: (r: Anchored["registry"], leaf: string) => r.suspend(leaf, REASON_UNDER_REVIEW),
      reinstate: (r: Anchored["registry"], leaf: string) => r.reinstate(leaf),
      supersede: (r: Anchored["registry"], leaf: string) => r.supersede(leaf, RENEWAL_LEAF),
    };
    const resulting = { revoke: "Revoked", suspend: "Suspended", reinstate: "Valid", supersede: "Superseded" } as const;
    const table: [keyof typeof operations, LeafStatusName, boolean][] = [
      ["revoke", "Valid", true],
      ["revoke", "Suspended", true],
      ["revoke", "Revoked", false],
      ["revoke", "Superseded", false],
      ["suspend", "Valid", true],
      ["suspend", "Suspended", false],
      ["suspend", "Revoked", false],
      ["suspend", "Superseded", false],
      ["reinstate", "Valid", false],
      ["reinstate", "Suspended", true],
      ["reinstate", "Revoked", false],
      ["reinstate", "Superseded", false],
      ["supersede", "Valid", true],
      ["supersede", "Suspended", true],
      ["supersede", "Revoked", false],
      ["supersede", "Superseded", false],
    ];

    for (const [name, from, allowed] of table) {
      if (allowed) {
        it(`moves a ${from} leaf to ${resulting[name]} on ${name}`, async function () {
          const fixture = await loadFixture(anchoredBatches);
          const { registry, csbSigner, csbTree } = fixture;
          const leaf = await putCsbLeafIn(fixture, from);

          await operations[name](registry.connect(csbSigner), leaf);

          const status = await registry.certificateStatus(CSB.id, csbTree.root, leaf, CSB.fingerprint);
          expect(status.leafStatus).to.equal(LeafStatus[resulting[name]]);
        });
      } else {
        it(`reverts with RegistryInvalidTransition when ${name} is called on a ${from} leaf`, async function () {
          const fixture = await loadFixture(anchoredBatches);
          const { registry, csbSigner } = fixture;
          const leaf = await putCsbLeafIn(fixture, from);

          await expect(operations[name](registry.connect(csbSigner), leaf))
            .to.be.revertedWithCustomError(registry, "RegistryInvalidTransition")
            .withArgs(leaf, LeafStatus[from]);
        });
      }
    }
  });

  describe("issuer namespaces (CSB signer acting on FSD certificates)", function () {
    it("writes only CSB's namespace when a CSB signer revokes an FSD leaf: the FSD certificate stays Valid", async function () {
      const { registry, csbSigner, fsdTree } = await loadFixture(anchoredBatches);
      const fsdLeaf = FSD_LEAVES[0];

      await expect(registry.connect(csbSigner).revoke(fsdLeaf, REASON_FRAUD))
        .to.emit(registry, "CertificateRevoked")
        .withArgs(fsdLeaf, CSB.number, REASON_FRAUD);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, fsdLeaf, FSD.fingerprint);
      expect(status.issuerId).to.equal(FSD.id);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
      expect(status.leafReason).to.equal(0);
      expect(status.leafChangedAt).to.equal(0);
    });

    it("writes only CSB's namespace when a CSB signer suspends an FSD leaf: the FSD certificate stays Valid", async function () {
      const { registry, csbSigner, fsdTree } = await loadFixture(anchoredBatches);
      const fsdLeaf = FSD_LEAVES[1];

      await expect(registry.connect(csbSigner).suspend(fsdLeaf, REASON_UNDER_REVIEW))
        .to.emit(registry, "CertificateSuspended")
        .withArgs(fsdLeaf, CSB.number, REASON_UNDER_REVIEW);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, fsdLeaf, FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
    });

    it("writes only CSB's namespace when a CSB signer supersedes an FSD leaf: the FSD certificate stays Valid with no successor", async function () {
      const { registry, csbSigner, fsdTree } = await loadFixture(anchoredBatches);
      const fsdLeaf = FSD_LEAVES[2];

      await expect(registry.connect(csbSigner).supersede(fsdLeaf, RENEWAL_LEAF))
        .to.emit(registry, "CertificateSuperseded")
        .withArgs(fsdLeaf, CSB.number, RENEWAL_LEAF);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, fsdLeaf, FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
      expect(status.successor).to.equal(ethers.ZeroHash);
    });

    it("still lets FSD revoke its leaf after CSB wrote the same leaf in its own namespace", async function () {
      const { registry, csbSigner, fsdSigner, fsdTree } = await loadFixture(anchoredBatches);
      const fsdLeaf = FSD_LEAVES[0];
      await registry.connect(csbSigner).revoke(fsdLeaf, REASON_FRAUD);

      await expect(registry.connect(fsdSigner).revoke(fsdLeaf, REASON_UNDER_REVIEW))
        .to.emit(registry, "CertificateRevoked")
        .withArgs(fsdLeaf, FSD.number, REASON_UNDER_REVIEW);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, fsdLeaf, FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Revoked);
      expect(status.leafReason).to.equal(REASON_UNDER_REVIEW);
    });

    it("leaves a CSB certificate Valid when an FSD signer revokes it", async function () {
      const { registry, fsdSigner, csbTree } = await loadFixture(anchoredBatches);

      await registry.connect(fsdSigner).revoke(CSB_LEAVES[0], REASON_FRAUD);

      const status = await registry.certificateStatus(CSB.id, csbTree.root, CSB_LEAVES[0], CSB.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
    });
  });

  describe("admin ...For functions", function () {
    it("revokes an FSD leaf in FSD's namespace with revokeFor", async function () {
      const { registry, fsdTree } = await loadFixture(anchoredBatches);
      const at = await nextBlockAt();

      await expect(registry.revokeFor(FSD.id, FSD_LEAVES[0], REASON_FRAUD))
        .to.emit(registry, "CertificateRevoked")
        .withArgs(FSD_LEAVES[0], FSD.number, REASON_FRAUD);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Revoked);
      expect(status.leafReason).to.equal(REASON_FRAUD);
      expect(status.leafChangedAt).to.equal(at);
    });

    it("suspends an FSD leaf in FSD's namespace with suspendFor", async function () {
      const { registry, fsdTree } = await loadFixture(anchoredBatches);

      await expect(registry.suspendFor(FSD.id, FSD_LEAVES[0], REASON_UNDER_REVIEW))
        .to.emit(registry, "CertificateSuspended")
        .withArgs(FSD_LEAVES[0], FSD.number, REASON_UNDER_REVIEW);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Suspended);
      expect(status.leafReason).to.equal(REASON_UNDER_REVIEW);
    });

    it("reinstates a suspended FSD leaf with reinstateFor", async function () {
      const { registry, fsdSigner, fsdTree } = await loadFixture(anchoredBatches);
      await registry.connect(fsdSigner).suspend(FSD_LEAVES[0], REASON_UNDER_REVIEW);

      await expect(registry.reinstateFor(FSD.id, FSD_LEAVES[0]))
        .to.emit(registry, "CertificateReinstated")
        .withArgs(FSD_LEAVES[0], FSD.number);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Valid);
    });

    it("supersedes an FSD leaf by its renewal with supersedeFor", async function () {
      const { registry, fsdTree } = await loadFixture(anchoredBatches);

      await expect(registry.supersedeFor(FSD.id, FSD_LEAVES[0], RENEWAL_LEAF))
        .to.emit(registry, "CertificateSuperseded")
        .withArgs(FSD_LEAVES[0], FSD.number, RENEWAL_LEAF);

      const status = await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint);
      expect(status.leafStatus).to.equal(LeafStatus.Superseded);
      expect(status.successor).to.equal(RENEWAL_LEAF);
    });

    it("does not touch CSB's namespace when the admin revokes for FSD", async function () {
      const { registry } = await loadFixture(anchoredBatches);
      const leaf = FSD_LEAVES[0];
      await registry.revokeFor(FSD.id, leaf, REASON_FRAUD);

      await expect(registry.revokeFor(CSB.id, leaf, REASON_FRAUD))
        .to.emit(registry, "CertificateRevoked")
        .withArgs(leaf, CSB.number, REASON_FRAUD);
    });

    it("reverts with RegistryInvalidTransition when the admin revokes an FSD leaf twice", async function () {
      const { registry } = await loadFixture(anchoredBatches);
      await registry.revokeFor(FSD.id, FSD_LEAVES[0], REASON_FRAUD);

      await expect(registry.revokeFor(FSD.id, FSD_LEAVES[0], REASON_FRAUD))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidTransition")
        .withArgs(FSD_LEAVES[0], LeafStatus.Revoked);
    });

    it("reverts with RegistryInvalidSuccessor when the admin supersedes with a zero successor", async function () {
      const { registry } = await loadFixture(anchoredBatches);

      await expect(registry.supersedeFor(FSD.id, FSD_LEAVES[0], ethers.ZeroHash))
        .to.be.revertedWithCustomError(registry, "RegistryInvalidSuccessor")
        .withArgs(FSD_LEAVES[0], ethers.ZeroHash);
    });

    const adminOperations: [string, (r: Anchored["registry"], leaf: string) => Promise<unknown>][] = [
      ["revokeFor", (r, leaf) => r.revokeFor(FSD.id, leaf, REASON_FRAUD)],
      ["suspendFor", (r, leaf) => r.suspendFor(FSD.id, leaf, REASON_UNDER_REVIEW)],
      ["reinstateFor", (r, leaf) => r.reinstateFor(FSD.id, leaf)],
      ["supersedeFor", (r, leaf) => r.supersedeFor(FSD.id, leaf, RENEWAL_LEAF)],
    ];

    for (const [name, operation] of adminOperations) {
      it(`reverts with RegistryZeroLeaf when the admin calls ${name} on the zero leaf`, async function () {
        const { registry } = await loadFixture(anchoredBatches);

        await expect(operation(registry, ethers.ZeroHash)).to.be.revertedWithCustomError(registry, "RegistryZeroLeaf");
      });
    }
  });
});
