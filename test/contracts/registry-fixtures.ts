/**
 * Test data and fixtures shared by the `Registry.*.test.ts` files: one network connection (so
 * `loadFixture` snapshots are reused across the files), CSB and FSD, their leaves, and the fixtures
 * deployRegistry -> registeredIssuers -> anchoredBatches.
 */
import { network } from "hardhat";

import type { Registry } from "../../types/ethers-contracts/index.js";
import { buildMerkleTree } from "./merkle.js";

export const { ethers, networkHelpers } = await network.create();
export const { loadFixture, time } = networkHelpers;

// ---------------------------------------------------------------------------------------------
// Test data
// ---------------------------------------------------------------------------------------------

/** Mirrors `IRegistry.LeafStatus` (a plain object: TypeScript enums are not erasable syntax). */
export const LeafStatus = { Valid: 0, Revoked: 1, Suspended: 2, Superseded: 3 } as const;
export type LeafStatusName = keyof typeof LeafStatus;

export const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
export const ADMIN_DELAY = time.duration.days(3);
export const SIGNER_WINDOW = time.duration.years(1);
export const MAX_SIGNERS = 16;
export const REASON_FRAUD = 3;
export const REASON_UNDER_REVIEW = 7;

export const CSB = {
  id: ethers.encodeBytes32String("CSB"),
  number: 1,
  nameEn: "Civil Service Bureau",
  nameZh: "公務員事務局",
  domain: "csb.gov.hk",
  /** SHA-256 fingerprint of the X.509 certificate CSB signs PDFs with (a stand-in). */
  fingerprint: ethers.sha256(ethers.toUtf8Bytes("CN=Civil Service Bureau PDF signing 2025")),
};

export const FSD = {
  id: ethers.encodeBytes32String("FSD"),
  number: 2,
  nameEn: "Fire Services Department",
  nameZh: "消防處",
  domain: "hkfsd.gov.hk",
  fingerprint: ethers.sha256(ethers.toUtf8Bytes("CN=Fire Services Department PDF signing 2025")),
};

export const UNKNOWN_ID = ethers.encodeBytes32String("EPD");

/** Credential digests: the leaves of each department's batch. */
export const CSB_LEAVES = ["csb-cre A0001", "csb-cre A0002", "csb-cre A0003", "csb-blnst B0001", "csb-blnst B0002"].map(
  (name) => ethers.id(name),
);
export const FSD_LEAVES = ["fsd-dg-licence DG-0001", "fsd-dg-licence DG-0002", "fsd-fsi-contractor FSI-0001"].map(
  (name) => ethers.id(name),
);
export const RENEWAL_LEAF = ethers.id("fsd-dg-licence DG-0001 renewed");

/** A deterministic address that is no account of the test chain. */
export function address(n: number): string {
  return ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x5eed0000 + n), 20));
}

/** Fixes the timestamp of the next mined block `seconds` after the latest one, and returns it. */
export async function nextBlockAt(seconds = 60): Promise<number> {
  const at = (await time.latest()) + seconds;
  await time.setNextBlockTimestamp(at);
  return at;
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

export async function deployRegistry() {
  const [admin, csbSigner, csbSigner2, fsdSigner, outsider, newAdmin] = await ethers.getSigners();
  // Typed explicitly: tsconfig.json does not include the generated `types/` folder, so the typechain
  // overloads of `deployContract` are not visible to `tsc`.
  const registry = (await ethers.deployContract("Registry", [ADMIN_DELAY, admin.address])) as unknown as Registry;
  return { registry, admin, csbSigner, csbSigner2, fsdSigner, outsider, newAdmin };
}

/** CSB (number 1) and FSD (number 2) registered, each with one signer valid for a year from now. */
export async function registeredIssuers() {
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
export async function anchoredBatches() {
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

export type Anchored = Awaited<ReturnType<typeof anchoredBatches>>;

/** Brings CSB's first leaf into `status` in CSB's namespace, through CSB's own signer. */
export async function putCsbLeafIn({ registry, csbSigner }: Anchored, status: LeafStatusName): Promise<string> {
  const leaf = CSB_LEAVES[0];
  const asCsb = registry.connect(csbSigner);
  if (status === "Revoked") await asCsb.revoke(leaf, REASON_FRAUD);
  if (status === "Suspended") await asCsb.suspend(leaf, REASON_UNDER_REVIEW);
  if (status === "Superseded") await asCsb.supersede(leaf, RENEWAL_LEAF);
  return leaf;
}
