// A minimal Merkle tree for the gas benchmark: keccak256 over sorted pairs, the scheme OpenZeppelin's
// MerkleProof verifies. Layers are built bottom-up; an odd node at the end of a layer moves up unchanged
// (it simply has no sibling at that level, so its proof skips it).
import { keccak256 } from "ethers";

export type Hash = Uint8Array; // 32 bytes

function hashPair(a: Hash, b: Hash): Hash {
  const pair = new Uint8Array(64);
  if (Buffer.compare(a, b) <= 0) {
    pair.set(a, 0);
    pair.set(b, 32);
  } else {
    pair.set(b, 0);
    pair.set(a, 32);
  }
  return Buffer.from(keccak256(pair).slice(2), "hex");
}

export class MerkleTree {
  /** layers[0] are the leaves, the last layer holds only the root. */
  readonly layers: Hash[][];

  constructor(leaves: Hash[]) {
    if (leaves.length === 0) throw new Error("empty tree");
    const layers: Hash[][] = [leaves];
    while (layers[layers.length - 1].length > 1) {
      const below = layers[layers.length - 1];
      const above: Hash[] = [];
      for (let i = 0; i < below.length; i += 2) {
        above.push(i + 1 < below.length ? hashPair(below[i], below[i + 1]) : below[i]);
      }
      layers.push(above);
    }
    this.layers = layers;
  }

  get root(): string {
    return hex(this.layers[this.layers.length - 1][0]);
  }

  /** The sibling hashes from leaf `index` up to the root. */
  proof(index: number): string[] {
    const proof: string[] = [];
    for (const layer of this.layers.slice(0, -1)) {
      const sibling = index ^ 1;
      if (sibling < layer.length) proof.push(hex(layer[sibling]));
      index >>= 1;
    }
    return proof;
  }
}

export function hex(hash: Hash): string {
  return "0x" + Buffer.from(hash).toString("hex");
}
