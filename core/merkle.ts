/**
 * The batch Merkle tree (trust model point 2): leaves are credential digests (bytes32); a parent is
 * keccak256 of its two children concatenated smaller-first (byte order), exactly OpenZeppelin
 * `MerkleProof._hashPair`, so `MerkleProof.verify(proof, root, leaf)` and the registry's `verifyProof`
 * accept every proof made here.
 *
 * The tree is built level by level from the leaves in the order given (leaves are not sorted or
 * deduplicated); when a level has an odd number of nodes, the last one is carried up unchanged, and
 * proofs simply skip that level for it. One leaf is its own root, with an empty proof.
 *
 * Leaves must be credential digests, which are domain-separated (`core/credential.ts`), so no leaf can
 * be confused with a 64-byte internal node (the second-preimage caveat in OpenZeppelin's `MerkleProof`).
 *
 * Nodes live in one flat `Uint8Array` per level and are hashed with `core/keccak.ts` without allocating:
 * 100,000 leaves build in well under a second.
 */
import { CoreError } from "./errors.ts";
import { compare32, toHex, writeHex } from "./bytes.ts";
import { keccak256Into } from "./keccak.ts";

export type Hex = `0x${string}`;

/** A leaf: `0x` + 64 hex digits, or 32 bytes. */
export type MerkleLeaf = string | Uint8Array;

export type BuildMerkleTreeParameters = readonly MerkleLeaf[];

export type MerkleTree = {
  /** The root, `0x` + 64 lowercase hex digits: what is anchored on chain. */
  readonly root: Hex;
  /** How many leaves the tree was built from. */
  readonly leafCount: number;
  /** The leaf at `index`, as lowercase hex. */
  leaf(index: number): Hex;
  /**
   * The sibling hashes from leaf `index` up to the root (the `bytes32[] proof` of OpenZeppelin
   * `MerkleProof.verify`). Throws `CoreError("INVALID_ARGUMENT")` for an index outside the tree.
   */
  proof(index: number): Hex[];
};

export type BuildMerkleTreeResult = MerkleTree;

function parseLeaves(leaves: BuildMerkleTreeParameters): Uint8Array {
  const level = new Uint8Array(leaves.length * 32);
  leaves.forEach((leaf, i) => {
    if (leaf instanceof Uint8Array) {
      if (leaf.length !== 32) {
        throw new CoreError("INVALID_ARGUMENT", `Merkle leaf ${i} is ${leaf.length} bytes, not 32`, {
          details: { index: i },
        });
      }
      level.set(leaf, i * 32);
    } else if (typeof leaf !== "string" || !writeHex(leaf, 32, level, i * 32)) {
      throw new CoreError("INVALID_ARGUMENT", `Merkle leaf ${i} is not a 0x-prefixed 32-byte hex string`, {
        details: { index: i },
      });
    }
  });
  return level;
}

/** Hashes the sorted pair (a[ai..ai+32), b[bi..bi+32)) into out[oi..oi+32), using `scratch` (64 bytes). */
function hashPairInto(
  a: Uint8Array,
  ai: number,
  b: Uint8Array,
  bi: number,
  out: Uint8Array,
  oi: number,
  scratch: Uint8Array,
): void {
  const aOffset = compare32(a, ai, b, bi) <= 0 ? 0 : 32; // where a goes in the sorted pair
  const bOffset = 32 - aOffset;
  for (let k = 0; k < 32; k++) {
    scratch[aOffset + k] = a[ai + k];
    scratch[bOffset + k] = b[bi + k];
  }
  keccak256Into(scratch, out, oi);
}

/**
 * Builds the Merkle tree of a batch.
 *
 * @param leaves credential digests, in batch order (at least one).
 * @returns the root and a `proof(index)` function.
 * @throws CoreError `INVALID_ARGUMENT` for an empty list or a leaf that is not 32 bytes.
 *
 * @example
 * ```ts
 * const tree = buildMerkleTree(credentials.map((c) => c.digest));
 * await registry.anchor(tree.root, ...);
 * const vc = withMerkleProof(credentials[7].credential, { root: tree.root, path: tree.proof(7), chainId, registry });
 * ```
 */
export function buildMerkleTree(leaves: BuildMerkleTreeParameters): BuildMerkleTreeResult {
  if (leaves.length === 0) throw new CoreError("INVALID_ARGUMENT", "A Merkle tree needs at least one leaf");
  const levels: Uint8Array[] = [parseLeaves(leaves)];
  const scratch = new Uint8Array(64);
  for (let below = levels[0], count = leaves.length; count > 1; count = (count + 1) >> 1) {
    const above = new Uint8Array(((count + 1) >> 1) * 32);
    for (let i = 0; i + 1 < count; i += 2) hashPairInto(below, i * 32, below, i * 32 + 32, above, i * 16, scratch);
    if (count % 2 === 1) above.set(below.subarray((count - 1) * 32, count * 32), (count - 1) * 16); // carried up
    levels.push(above);
    below = above;
  }
  const leafCount = leaves.length;
  const hexCache: Hex[][] = levels.map(() => []);
  const checkIndex = (index: number): void => {
    if (!Number.isInteger(index) || index < 0 || index >= leafCount) {
      throw new CoreError("INVALID_ARGUMENT", `Leaf index ${index} is outside the tree (0..${leafCount - 1})`);
    }
  };
  return {
    root: toHex(levels[levels.length - 1], 0, 32),
    leafCount,
    leaf(index: number): Hex {
      checkIndex(index);
      return toHex(levels[0], index * 32, 32);
    },
    proof(index: number): Hex[] {
      checkIndex(index);
      const path: Hex[] = [];
      for (let level = 0; level < levels.length - 1; level++, index >>= 1) {
        const sibling = index ^ 1;
        if (sibling * 32 < levels[level].length) {
          // A node is the sibling in the proofs of 2^level leaves: convert it to hex once.
          path.push((hexCache[level][sibling] ??= toHex(levels[level], sibling * 32, 32)));
        }
      }
      return path;
    },
  };
}

/**
 * Checks that `proof` leads from `leaf` to `root` (the same computation as OpenZeppelin
 * `MerkleProof.processProof`). Hex may be in either letter case.
 *
 * @returns true when the recomputed root equals `root`, false otherwise.
 * @throws CoreError `MALFORMED` when the leaf, the root or a proof element is not a 32-byte hex string.
 *
 * @example
 * ```ts
 * verifyMerkleProof(digest, vc.proof.merkle.path, vc.proof.merkle.root); // true
 * ```
 */
export function verifyMerkleProof(leaf: string, proof: readonly string[], root: string): boolean {
  const node = new Uint8Array(32);
  const sibling = new Uint8Array(32);
  const expected = new Uint8Array(32);
  const scratch = new Uint8Array(64);
  if (!writeHex(leaf, 32, node, 0)) throw new CoreError("MALFORMED", "The Merkle leaf is not a 32-byte hex string");
  if (!writeHex(root, 32, expected, 0)) throw new CoreError("MALFORMED", "The Merkle root is not a 32-byte hex string");
  if (!Array.isArray(proof)) throw new CoreError("MALFORMED", "The Merkle proof is not an array");
  proof.forEach((element, i) => {
    if (typeof element !== "string" || !writeHex(element, 32, sibling, 0)) {
      throw new CoreError("MALFORMED", `Merkle proof element ${i} is not a 32-byte hex string`, {
        details: { index: i },
      });
    }
    hashPairInto(node, 0, sibling, 0, node, 0, scratch);
  });
  return compare32(node, 0, expected, 0) === 0;
}
