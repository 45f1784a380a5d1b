import { concat, keccak256 } from "ethers";

/**
 * A small sorted-pair keccak256 Merkle tree for tests, compatible with OpenZeppelin `MerkleProof`:
 * each pair is sorted as bytes before hashing, and an odd node at the end of a layer is carried up
 * unchanged. Importing this file runs nothing.
 */
export interface TestMerkleTree {
  /** The root of the tree (the single leaf itself for a one-leaf tree). */
  readonly root: string;
  /** The leaves, in the order given. */
  readonly leaves: readonly string[];
  /** The sibling hashes from `leaf` up to the root; throws when `leaf` is not in the tree. */
  proof(leaf: string): string[];
}

/** Hashes a pair the way OpenZeppelin `Hashes.commutativeKeccak256` does: smaller word first. */
export function hashPair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/**
 * Builds the tree of `leaves` (32-byte hex strings).
 * @example
 * const tree = buildMerkleTree([leafA, leafB, leafC]);
 * await registry.verifyProof(tree.root, leafA, tree.proof(leafA)); // true
 */
export function buildMerkleTree(leaves: readonly string[]): TestMerkleTree {
  if (leaves.length === 0) throw new Error("a Merkle tree needs at least one leaf");
  const layers: string[][] = [leaves.map((leaf) => leaf.toLowerCase())];
  while (layers[layers.length - 1].length > 1) {
    const below = layers[layers.length - 1];
    const above: string[] = [];
    for (let i = 0; i < below.length; i += 2) {
      above.push(i + 1 < below.length ? hashPair(below[i], below[i + 1]) : below[i]);
    }
    layers.push(above);
  }
  return {
    root: layers[layers.length - 1][0],
    leaves: [...leaves],
    proof(leaf: string): string[] {
      let index = layers[0].indexOf(leaf.toLowerCase());
      if (index < 0) throw new Error(`leaf ${leaf} is not in the tree`);
      const proof: string[] = [];
      for (const layer of layers.slice(0, -1)) {
        const sibling = index ^ 1;
        if (sibling < layer.length) proof.push(layer[sibling]);
        index >>= 1;
      }
      return proof;
    },
  };
}
