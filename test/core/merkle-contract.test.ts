import { expect } from "chai";
import { network } from "hardhat";

import { createCredential } from "../../core/createCredential.ts";
import { buildMerkleTree } from "../../core/merkle.ts";
import { validateCsv } from "../../core/validateCsv.ts";
import { withMerkleProof } from "../../core/withMerkleProof.ts";
import { sample } from "./helpers.ts";

const { ethers } = await network.create();

/** Credentials of every valid row of a sample file, and their batch tree. */
function batchOf(file: string, typeId: string) {
  const issuedAt = new Date("2026-11-02T09:30:15Z");
  const issued = validateCsv(sample(file), typeId).records.map((record) =>
    createCredential({ record, now: () => issuedAt }),
  );
  return { issued, tree: buildMerkleTree(issued.map((c) => c.digest)) };
}

describe("Merkle proofs from core/ verify in the Registry contract (OpenZeppelin MerkleProof)", function () {
  async function deployRegistry() {
    const [admin] = await ethers.getSigners();
    return ethers.deployContract("Registry", [0, admin.address]);
  }

  it("verifies the proof of every credential of a 20-certificate batch, as embedded in the credential", async function () {
    const registry = await deployRegistry();
    const { issued, tree } = batchOf("csb-cre.csv", "csb-cre");
    const chainId = Number((await ethers.provider.getNetwork()).chainId);

    for (const [i, { credential, digest }] of issued.entries()) {
      const anchored = withMerkleProof(
        credential,
        { root: tree.root, path: tree.proof(i), chainId, registry: await registry.getAddress() },
        { digest },
      );
      const { root, path } = anchored.proof.merkle!;
      expect(await registry.verifyProof(root, digest, path), `credential ${i}`).to.equal(true);
    }
  });

  it("verifies proofs at the edges of a 10,000-certificate batch, including the carried-up last leaf", async function () {
    this.timeout(60_000);
    const registry = await deployRegistry();
    const { issued, tree } = batchOf("csb-cre-10k.csv", "csb-cre");

    for (const i of [0, 1, 2, 4_999, 8_191, 8_192, 9_998, 9_999]) {
      expect(await registry.verifyProof(tree.root, issued[i].digest, tree.proof(i)), `leaf ${i}`).to.equal(true);
    }
  });

  it("rejects a leaf that is not in the batch and a proof for another index", async function () {
    const registry = await deployRegistry();
    const { issued, tree } = batchOf("fsd-dg-licence.csv", "fsd-dg-licence");
    const outsider = batchOf("fsd-fsi-contractor.csv", "fsd-fsi-contractor").issued[0].digest;

    expect(await registry.verifyProof(tree.root, outsider, tree.proof(0))).to.equal(false);
    expect(await registry.verifyProof(tree.root, issued[0].digest, tree.proof(1))).to.equal(false);
  });
});
