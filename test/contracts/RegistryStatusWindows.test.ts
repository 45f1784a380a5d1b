import { expect } from "chai";
import { network } from "hardhat";

import type { Registry } from "../../types/ethers-contracts/index.js";
import { buildMerkleTree } from "./merkle.js";

// Status changes and signer windows: a change counts only while its signer's window covers its time, the
// admin's repairs (restoreCertificate, restoreBatch), and the listing views of the admin tool.

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

const LeafStatus = { Valid: 0n, Revoked: 1n, Suspended: 2n, Superseded: 3n } as const;
const YEAR = time.duration.years(1);
const REASON_FRAUD = 3;
const REASON_UNDER_REVIEW = 7;
const REASON_RESTORED = 9;
const CSB = { id: ethers.encodeBytes32String("CSB"), number: 1n, fingerprint: ethers.id("CSB fingerprint") };
const FSD = { id: ethers.encodeBytes32String("FSD"), number: 2n, fingerprint: ethers.id("FSD fingerprint") };
const LEAVES = ["A0001", "A0002", "A0003", "A0004"].map((n) => ethers.id(`csb-cre ${n}`));
const RENEWAL = ethers.id("csb-cre A0001 renewed");

async function fixture() {
  const [admin, csbSigner, thief, csbNew, fsdSigner, outsider] = await ethers.getSigners();
  const registry = (await ethers.deployContract("Registry", [
    time.duration.days(3),
    admin.address,
  ])) as unknown as Registry;
  await registry.registerIssuer(CSB.id, "Civil Service Bureau", "公務員事務局", "csb.gov.hk", CSB.fingerprint);
  await registry.registerIssuer(FSD.id, "Fire Services Department", "消防處", "hkfsd.gov.hk", FSD.fingerprint);
  const now = await time.latest();
  await registry.addSigner(CSB.id, csbSigner.address, now, now + YEAR);
  // The key that will be compromised: a second CSB signer.
  await registry.addSigner(CSB.id, thief.address, now, now + YEAR);
  await registry.addSigner(FSD.id, fsdSigner.address, now, now + YEAR);
  const tree = buildMerkleTree(LEAVES);
  await registry.connect(csbSigner).anchor(tree.root, LEAVES.length);
  return { registry, admin, csbSigner, thief, csbNew, fsdSigner, outsider, tree };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;

async function leafOf({ registry, tree }: Fixture, leaf: string) {
  const s = await registry.certificateStatus(CSB.id, tree.root, leaf, ethers.ZeroHash);
  return { status: s.leafStatus, reason: s.leafReason, changedAt: s.leafChangedAt, successor: s.successor };
}

/** The time of the next block, `seconds` after the latest one. */
async function nextAt(seconds = 60): Promise<number> {
  const at = (await time.latest()) + seconds;
  await time.setNextBlockTimestamp(at);
  return at;
}

describe("Registry: status changes count only inside their signer's window", function () {
  it("voids a reinstatement made by a key after its cut-off: the certificate is suspended again", async function () {
    const f = await loadFixture(fixture);
    const suspendedAt = await nextAt();
    await f.registry.connect(f.csbSigner).suspend(LEAVES[0], REASON_UNDER_REVIEW);
    const compromisedAt = await nextAt(3600);
    await f.registry.connect(f.thief).reinstate(LEAVES[0]);
    expect((await leafOf(f, LEAVES[0])).status).to.equal(LeafStatus.Valid);

    await f.registry.cutOffSigner(f.thief.address, compromisedAt);

    expect(await leafOf(f, LEAVES[0])).to.deep.equal({
      status: LeafStatus.Suspended,
      reason: BigInt(REASON_UNDER_REVIEW),
      changedAt: BigInt(suspendedAt),
      successor: ethers.ZeroHash,
    });
  });

  it("voids a revocation, a supersession and a batch revocation made after the cut-off, and they block nothing", async function () {
    const f = await loadFixture(fixture);
    const compromisedAt = await nextAt();
    await f.registry.connect(f.thief).revoke(LEAVES[1], REASON_FRAUD);
    await f.registry.connect(f.thief).supersede(LEAVES[2], RENEWAL);
    await f.registry.connect(f.thief).revokeBatch(f.tree.root, REASON_FRAUD);
    await f.registry.cutOffSigner(f.thief.address, compromisedAt);

    const status = await f.registry.certificateStatus(CSB.id, f.tree.root, LEAVES[1], ethers.ZeroHash);
    expect(status.batchRevoked).to.equal(false);
    expect(status.batchRevokedAt).to.equal(0n);
    expect((await leafOf(f, LEAVES[1])).status).to.equal(LeafStatus.Valid);
    expect(await leafOf(f, LEAVES[2])).to.deep.equal({
      status: LeafStatus.Valid,
      reason: 0n,
      changedAt: 0n,
      successor: ethers.ZeroHash,
    });

    // The department's own valid key acts on them as on untouched certificates.
    await f.registry.connect(f.csbSigner).suspend(LEAVES[1], REASON_UNDER_REVIEW);
    await f.registry.connect(f.csbSigner).revoke(LEAVES[2], REASON_FRAUD);
    await expect(f.registry.connect(f.csbSigner).revokeBatch(f.tree.root, REASON_UNDER_REVIEW))
      .to.emit(f.registry, "BatchRevoked")
      .withArgs(f.tree.root, CSB.number, REASON_UNDER_REVIEW);
    expect((await leafOf(f, LEAVES[1])).status).to.equal(LeafStatus.Suspended);
    expect((await leafOf(f, LEAVES[2])).status).to.equal(LeafStatus.Revoked);
    expect(
      (await f.registry.certificateStatus(CSB.id, f.tree.root, LEAVES[0], ethers.ZeroHash)).batchRevocationReason,
    ).to.equal(BigInt(REASON_UNDER_REVIEW));
  });

  it("keeps changes made before the cut-off, and walks back past any number of voided changes", async function () {
    const f = await loadFixture(fixture);
    const leaf = LEAVES[3];
    // Before the compromise: suspended, reinstated, suspended again (three changes that count).
    await f.registry.connect(f.thief).suspend(leaf, 1);
    await f.registry.connect(f.csbSigner).reinstate(leaf);
    const lastGood = await nextAt();
    await f.registry.connect(f.thief).suspend(leaf, 2);
    // After it: the thief flips the certificate back and forth.
    const compromisedAt = await nextAt(3600);
    for (let i = 0; i < 3; i++) {
      await f.registry.connect(f.thief).reinstate(leaf);
      await f.registry.connect(f.thief).suspend(leaf, 10 + i);
    }
    await f.registry.connect(f.thief).reinstate(leaf);
    expect((await leafOf(f, leaf)).status).to.equal(LeafStatus.Valid);

    await f.registry.cutOffSigner(f.thief.address, compromisedAt);
    expect(await leafOf(f, leaf)).to.deep.equal({
      status: LeafStatus.Suspended,
      reason: 2n,
      changedAt: BigInt(lastGood),
      successor: ethers.ZeroHash,
    });

    // Cutting the thief off earlier still, before its second suspension: the reinstatement counts.
    await f.registry.cutOffSigner(f.thief.address, lastGood);
    expect((await leafOf(f, leaf)).status).to.equal(LeafStatus.Valid);
    // And before its first: that suspension goes too, the certificate is valid (CSB's reinstatement counts).
    await f.registry.cutOffSigner(f.thief.address, 1);
    expect((await leafOf(f, leaf)).status).to.equal(LeafStatus.Valid);
    // A new change on top of it all is read first.
    await f.registry.connect(f.csbSigner).revoke(leaf, REASON_FRAUD);
    expect((await leafOf(f, leaf)).status).to.equal(LeafStatus.Revoked);
  });

  it("checks transitions against the status that counts: a voided suspension cannot be reinstated", async function () {
    const f = await loadFixture(fixture);
    const compromisedAt = await nextAt();
    await f.registry.connect(f.thief).suspend(LEAVES[0], REASON_FRAUD);
    await f.registry.cutOffSigner(f.thief.address, compromisedAt);

    await expect(f.registry.connect(f.csbSigner).reinstate(LEAVES[0]))
      .to.be.revertedWithCustomError(f.registry, "RegistryInvalidTransition")
      .withArgs(LEAVES[0], LeafStatus.Valid);
  });

  it("drops a voided latest change when the next one is written, keeping the one below it", async function () {
    const f = await loadFixture(fixture);
    const suspendedAt = await nextAt();
    await f.registry.connect(f.csbSigner).suspend(LEAVES[0], REASON_UNDER_REVIEW);
    const compromisedAt = await nextAt(3600);
    await f.registry.connect(f.thief).reinstate(LEAVES[0]);
    await f.registry.cutOffSigner(f.thief.address, compromisedAt);
    // Suspended (CSB's change counts); CSB reinstates it for real, then the CSB key itself is cut off later.
    const reinstatedAt = await nextAt(3600);
    await f.registry.connect(f.csbSigner).reinstate(LEAVES[0]);
    expect((await leafOf(f, LEAVES[0])).status).to.equal(LeafStatus.Valid);
    await f.registry.cutOffSigner(f.csbSigner.address, reinstatedAt);
    expect(await leafOf(f, LEAVES[0])).to.deep.equal({
      status: LeafStatus.Suspended,
      reason: BigInt(REASON_UNDER_REVIEW),
      changedAt: BigInt(suspendedAt),
      successor: ethers.ZeroHash,
    });
  });

  it("lets the admin's changes always count, and stopping the issuer voids nothing made before the stop", async function () {
    const f = await loadFixture(fixture);
    await f.registry.suspendFor(CSB.id, LEAVES[0], REASON_UNDER_REVIEW);
    await f.registry.connect(f.thief).revoke(LEAVES[1], REASON_FRAUD);
    await f.registry.stopIssuer(CSB.id);
    expect((await leafOf(f, LEAVES[0])).status).to.equal(LeafStatus.Suspended);
    expect((await leafOf(f, LEAVES[1])).status).to.equal(LeafStatus.Revoked);
  });
});

describe("Registry: the admin restores a status", function () {
  it("restores a revoked certificate to valid, with its reason, and emits CertificateRestored", async function () {
    const f = await loadFixture(fixture);
    await f.registry.connect(f.csbSigner).revoke(LEAVES[0], REASON_FRAUD);
    const at = await nextAt();

    await expect(f.registry.restoreCertificate(CSB.id, LEAVES[0], REASON_RESTORED))
      .to.emit(f.registry, "CertificateRestored")
      .withArgs(LEAVES[0], CSB.number, REASON_RESTORED);

    expect(await leafOf(f, LEAVES[0])).to.deep.equal({
      status: LeafStatus.Valid,
      reason: BigInt(REASON_RESTORED),
      changedAt: BigInt(at),
      successor: ethers.ZeroHash,
    });
    // It can be changed again like any valid certificate.
    await f.registry.connect(f.csbSigner).suspend(LEAVES[0], REASON_UNDER_REVIEW);
    expect((await leafOf(f, LEAVES[0])).status).to.equal(LeafStatus.Suspended);
  });

  it("restores a superseded certificate, whose successor is then no longer reported, and it can be renewed again", async function () {
    const f = await loadFixture(fixture);
    await f.registry.connect(f.csbSigner).supersede(LEAVES[0], RENEWAL);
    expect((await leafOf(f, LEAVES[0])).successor).to.equal(RENEWAL);
    await f.registry.restoreCertificate(CSB.id, LEAVES[0], REASON_RESTORED);
    expect((await leafOf(f, LEAVES[0])).successor).to.equal(ethers.ZeroHash);
    const second = ethers.id("second renewal");
    await f.registry.connect(f.csbSigner).supersede(LEAVES[0], second);
    expect(await leafOf(f, LEAVES[0])).to.deep.include({ status: LeafStatus.Superseded, successor: second });
  });

  it("reverts with RegistryInvalidTransition when restoring a certificate that is valid", async function () {
    const f = await loadFixture(fixture);
    await expect(f.registry.restoreCertificate(CSB.id, LEAVES[0], REASON_RESTORED))
      .to.be.revertedWithCustomError(f.registry, "RegistryInvalidTransition")
      .withArgs(LEAVES[0], LeafStatus.Valid);
  });

  it("restores a revoked batch and emits BatchRestored; the batch can be revoked again", async function () {
    const f = await loadFixture(fixture);
    await f.registry.connect(f.csbSigner).revokeBatch(f.tree.root, REASON_FRAUD);

    await expect(f.registry.restoreBatch(CSB.id, f.tree.root, REASON_RESTORED))
      .to.emit(f.registry, "BatchRestored")
      .withArgs(f.tree.root, CSB.number, REASON_RESTORED);

    const status = await f.registry.certificateStatus(CSB.id, f.tree.root, LEAVES[0], ethers.ZeroHash);
    expect(status.batchRevoked).to.equal(false);
    expect(status.certificateCount).to.equal(BigInt(LEAVES.length));
    expect(status.signerValidAtAnchor).to.equal(true);
    await f.registry.revokeBatchFor(CSB.id, f.tree.root, REASON_UNDER_REVIEW);
    expect((await f.registry.certificateStatus(CSB.id, f.tree.root, LEAVES[0], ethers.ZeroHash)).batchRevoked).to.equal(
      true,
    );
  });

  it("reverts with RegistryBatchNotRevoked when restoring a batch that is not revoked, or whose revocation was voided", async function () {
    const f = await loadFixture(fixture);
    await expect(f.registry.restoreBatch(CSB.id, f.tree.root, REASON_RESTORED))
      .to.be.revertedWithCustomError(f.registry, "RegistryBatchNotRevoked")
      .withArgs(CSB.id, f.tree.root);
    const at = await nextAt();
    await f.registry.connect(f.thief).revokeBatch(f.tree.root, REASON_FRAUD);
    await f.registry.cutOffSigner(f.thief.address, at);
    await expect(f.registry.restoreBatch(CSB.id, f.tree.root, REASON_RESTORED)).to.be.revertedWithCustomError(
      f.registry,
      "RegistryBatchNotRevoked",
    );
  });

  it("reverts with RegistryRootNotAnchored when restoring a batch the issuer never anchored", async function () {
    const f = await loadFixture(fixture);
    await expect(f.registry.restoreBatch(FSD.id, f.tree.root, REASON_RESTORED))
      .to.be.revertedWithCustomError(f.registry, "RegistryRootNotAnchored")
      .withArgs(FSD.id, f.tree.root);
  });

  it("refuses restores from anyone but the admin with AccessControlUnauthorizedAccount", async function () {
    const f = await loadFixture(fixture);
    await f.registry.connect(f.csbSigner).revoke(LEAVES[0], REASON_FRAUD);
    await f.registry.connect(f.csbSigner).revokeBatch(f.tree.root, REASON_FRAUD);
    for (const call of [
      f.registry.connect(f.csbSigner).restoreCertificate(CSB.id, LEAVES[0], REASON_RESTORED),
      f.registry.connect(f.outsider).restoreBatch(CSB.id, f.tree.root, REASON_RESTORED),
    ]) {
      await expect(call).to.be.revertedWithCustomError(f.registry, "AccessControlUnauthorizedAccount");
    }
  });

  it("reverts with RegistryUnknownIssuer when restoring in an unknown namespace", async function () {
    const f = await loadFixture(fixture);
    const unknown = ethers.encodeBytes32String("EPD");
    await expect(f.registry.restoreCertificate(unknown, LEAVES[0], 1))
      .to.be.revertedWithCustomError(f.registry, "RegistryUnknownIssuer")
      .withArgs(unknown);
  });
});

describe("Registry: listing views", function () {
  it("lists every issuer id by number, and every signer ever added to an issuer, ended ones included", async function () {
    const f = await loadFixture(fixture);
    await f.registry.stopIssuer(CSB.id);
    const now = await time.latest();
    await f.registry.addSigner(CSB.id, f.csbNew.address, now, now + YEAR);

    expect(await f.registry.issuerIds()).to.deep.equal([CSB.id, FSD.id]);
    expect(await f.registry.signersOf(CSB.id)).to.deep.equal([f.csbSigner.address, f.thief.address, f.csbNew.address]);
    expect(await f.registry.signersOf(FSD.id)).to.deep.equal([f.fsdSigner.address]);
    await expect(f.registry.signersOf(ethers.encodeBytes32String("EPD"))).to.be.revertedWithCustomError(
      f.registry,
      "RegistryUnknownIssuer",
    );
  });

  it("reports the anchoring issuer for an issuer id that is not registered", async function () {
    const f = await loadFixture(fixture);
    const status = await f.registry.certificateStatus(
      ethers.encodeBytes32String("EPD"),
      f.tree.root,
      LEAVES[0],
      CSB.fingerprint,
    );
    expect(status.anchored).to.equal(true);
    expect(status.issuerId).to.equal(CSB.id);
    expect(status.signingCertificateRegistered).to.equal(true);
  });
});
