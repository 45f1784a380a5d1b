import { expect } from "chai";
import { network } from "hardhat";

import type { Registry } from "../../types/ethers-contracts/index.js";
import { buildMerkleTree } from "./merkle.js";

const { ethers, networkHelpers } = await network.create();
const { loadFixture, time } = networkHelpers;

// ---------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------

/** Mirrors `IRegistry.LeafStatus` (a plain object: TypeScript enums are not erasable syntax). */
const LeafStatus = { Valid: 0, Revoked: 1, Suspended: 2, Superseded: 3 } as const;
type LeafStatusName = keyof typeof LeafStatus;

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const ADMIN_DELAY = time.duration.days(3);
const SIGNER_WINDOW = time.duration.years(1);
const MAX_SIGNERS = 16;
const REASON_FRAUD = 3;
const REASON_UNDER_REVIEW = 7;

const CSB = {
  id: ethers.encodeBytes32String("CSB"),
  number: 1,
  nameEn: "Civil Service Bureau",
  nameZh: "公務員事務局",
  domain: "csb.gov.hk",
  /** SHA-256 fingerprint of the X.509 certificate CSB signs PDFs with (a stand-in). */
  fingerprint: ethers.sha256(ethers.toUtf8Bytes("CN=Civil Service Bureau PDF signing 2025")),
};

const FSD = {
  id: ethers.encodeBytes32String("FSD"),
  number: 2,
  nameEn: "Fire Services Department",
  nameZh: "消防處",
  domain: "hkfsd.gov.hk",
  fingerprint: ethers.sha256(ethers.toUtf8Bytes("CN=Fire Services Department PDF signing 2025")),
};

const UNKNOWN_ID = ethers.encodeBytes32String("EPD");

/** Credential digests: the leaves of each department's batch. */
const CSB_LEAVES = ["csb-cre A0001", "csb-cre A0002", "csb-cre A0003", "csb-blnst B0001", "csb-blnst B0002"].map(
  (name) => ethers.id(name)
);
const FSD_LEAVES = ["fsd-dg-licence DG-0001", "fsd-dg-licence DG-0002", "fsd-fsi-contractor FSI-0001"].map((name) =>
  ethers.id(name)
);
const RENEWAL_LEAF = ethers.id("fsd-dg-licence DG-0001 renewed");

/** A deterministic address that is no account of the test chain. */
function address(n: number): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x5eed0000 + n), 20));
}

/** Fixes the timestamp of the next mined block `seconds` after the latest one, and returns it. */
async function nextBlockAt(seconds = 60): Promise<number> {
  const at = (await time.latest()) + seconds;
  await time.setNextBlockTimestamp(at);
  return at;
}


// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

async function deployRegistry() {
  const [admin, csbSigner, csbSigner2, fsdSigner, outsider, newAdmin] = await ethers.getSigners();
  // Typed explicitly: tsconfig.json does not include the generated `types/` folder, so the typechain
  // overloads of `deployContract` are not visible to `tsc`.
  const registry = (await ethers.deployContract("Registry", [ADMIN_DELAY, admin.address])) as unknown as Registry;
  return { registry, admin, csbSigner, csbSigner2, fsdSigner, outsider, newAdmin };
}

/** CSB (number 1) and FSD (number 2) registered, each with one signer valid for a year from now. */
async function registeredIssuers() {
  const fixture = await deployRegistry();
  const { registry, csbSigner, fsdSigner } = fixture;
  await registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint);
  await registry.registerIssuer(FSD.id, FSD.nameEn, FSD.nameZh, FSD.domain, FSD.fingerprint);
  const validFrom = await time.latest();
  const validUntil = validFrom + SIGNER_WINDOW;
  await registry.addSigner(CSB.id, csbSigner.address, validFrom, validUntil);
  await registry.addSigner(FSD.id, fsdSigner.address, validFrom, validUntil);
  return { ...fixture, validFrom, validUntil };
}

/** As `registeredIssuers`, plus one batch anchored by each department. */
async function anchoredBatches() {
  const fixture = await registeredIssuers();
  const { registry, csbSigner, fsdSigner } = fixture;
  const csbTree = buildMerkleTree(CSB_LEAVES);
  const fsdTree = buildMerkleTree(FSD_LEAVES);
  await registry.connect(csbSigner).anchor(csbTree.root, CSB_LEAVES.length);
  const csbAnchoredAt = await time.latest();
  const csbAnchorBlock = await time.latestBlock();
  await registry.connect(fsdSigner).anchor(fsdTree.root, FSD_LEAVES.length);
  const fsdAnchoredAt = await time.latest();
  return { ...fixture, csbTree, fsdTree, csbAnchoredAt, csbAnchorBlock, fsdAnchoredAt };
}

type Anchored = Awaited<ReturnType<typeof anchoredBatches>>;

/** Brings CSB's first leaf into `status` in CSB's namespace, through CSB's own signer. */
async function putCsbLeafIn({ registry, csbSigner }: Anchored, status: LeafStatusName): Promise<string> {
  const leaf = CSB_LEAVES[0];
  const asCsb = registry.connect(csbSigner);
  if (status === "Revoked") await asCsb.revoke(leaf, REASON_FRAUD);
  if (status === "Suspended") await asCsb.suspend(leaf, REASON_UNDER_REVIEW);
  if (status === "Superseded") await asCsb.supersede(leaf, RENEWAL_LEAF);
  return leaf;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

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
            CSB.fingerprint
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
        registry.registerIssuer(ethers.ZeroHash, CSB.nameEn, CSB.nameZh, CSB.domain, CSB.fingerprint)
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
        registry.registerIssuer(CSB.id, CSB.nameEn, CSB.nameZh, CSB.domain, ethers.ZeroHash)
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
        "RegistryZeroFingerprint"
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
      const { registry, csbSigner, csbSigner2, fsdSigner, validFrom, validUntil } = await loadFixture(
        registeredIssuers
      );

      await registry.addSigner(CSB.id, csbSigner2.address, validFrom, validUntil);

      expect([...(await registry.issuer(CSB.id)).signers]).to.deep.equal([csbSigner.address, csbSigner2.address]);
      expect([...(await registry.issuer(FSD.id)).signers]).to.deep.equal([fsdSigner.address]);
    });

    it("reverts with RegistryZeroSigner when the signer address is zero", async function () {
      const { registry, validFrom, validUntil } = await loadFixture(registeredIssuers);

      await expect(registry.addSigner(CSB.id, ethers.ZeroAddress, validFrom, validUntil)).to.be.revertedWithCustomError(
        registry,
        "RegistryZeroSigner"
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
      const after = await registry.certificateStatus(CSB.id, ethers.id("batch by the thief"), ethers.id("x"), CSB.fingerprint);
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
      const { registry, csbSigner, csbSigner2, validFrom, validUntil, csbAnchoredAt } = await loadFixture(
        anchoredBatches
      );
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
        "SignerAdded"
      );
      expect((await registry.issuer(CSB.id)).signers).to.deep.equal([csbSigner2.address]);
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

      expect((await registry.certificateStatus(CSB.id, root, ethers.id("x"), ethers.ZeroHash)).certificateCount).to.equal(
        2n ** 32n - 1n
      );
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
        "RegistryZeroRoot"
      );
    });

    it("reverts with RegistryEmptyBatch when the batch has no certificates", async function () {
      const { registry, csbSigner } = await loadFixture(registeredIssuers);

      await expect(registry.connect(csbSigner).anchor(ethers.id("empty"), 0)).to.be.revertedWithCustomError(
        registry,
        "RegistryEmptyBatch"
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

      await expect(registry.connect(fsdSigner).anchor(csbTree.root, 1)).to.emit(registry, "RootAnchored").withArgs(csbTree.root, 1);

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

      expect((await registry.certificateStatus(FSD.id, fsdTree.root, FSD_LEAVES[0], FSD.fingerprint)).batchRevoked).to.equal(
        true
      );
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
          "RegistryZeroLeaf"
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

  describe("certificateStatus", function () {
    it("returns anchored false and zero fields for a root that was never anchored", async function () {
      const { registry } = await loadFixture(anchoredBatches);

      const status = await registry.certificateStatus(CSB.id, ethers.id("never anchored"), CSB_LEAVES[0], CSB.fingerprint);

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
        CSB_LEAVES.map((leaf) => registry.verifyProof(tree.root, leaf, tree.proof(leaf)))
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
        false
      );
    });
  });
});
