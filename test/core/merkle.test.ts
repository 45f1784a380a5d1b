import { expect } from "chai";
import { concat, keccak256 } from "ethers";
import fc from "fast-check";

import { isCoreError } from "../../core/errors.ts";
import { buildMerkleTree, verifyMerkleProof } from "../../core/merkle.ts";

/** An independent, slow restatement of the tree with ethers: OpenZeppelin's sorted-pair hashing. */
function referenceRoot(leaves: string[]): string {
  let level = leaves.map((l) => l.toLowerCase());
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      if (i + 1 === level.length) next.push(level[i]);
      else next.push(keccak256(concat(level[i] <= level[i + 1] ? [level[i], level[i + 1]] : [level[i + 1], level[i]])));
    }
    level = next;
  }
  return level[0];
}

const leaf = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${Buffer.from(b).toString("hex")}`);

function leaves(n: number): string[] {
  return Array.from({ length: n }, (_, i) => keccak256(new Uint8Array([i & 255, i >> 8])));
}

describe("buildMerkleTree / verifyMerkleProof", function () {
  it("makes a single leaf its own root, with an empty proof", function () {
    const [only] = leaves(1);
    const tree = buildMerkleTree([only]);

    expect(tree.root).to.equal(only);
    expect(tree.proof(0)).to.deep.equal([]);
    expect(verifyMerkleProof(only, [], only)).to.equal(true);
  });

  it("hashes two leaves smaller-first, whatever their order", function () {
    const [a, b] = leaves(2).sort();
    const expected = keccak256(concat([a, b]));

    expect(buildMerkleTree([a, b]).root).to.equal(expected);
    expect(buildMerkleTree([b, a]).root).to.equal(expected);
  });

  it("carries an odd last node up unchanged, so its proof skips that level", function () {
    const [a, b, c] = leaves(3);
    const tree = buildMerkleTree([a, b, c]);

    expect(tree.root).to.equal(referenceRoot([a, b, c]));
    expect(tree.proof(2)).to.deep.equal([referenceRoot([a, b])]);
    expect(tree.proof(0)).to.deep.equal([b, c]);
  });

  it("accepts leaves as bytes or hex in either case, and returns lowercase hex", function () {
    const hex = leaves(5);
    const bytes = hex.map((h) => Uint8Array.from(Buffer.from(h.slice(2), "hex")));
    const upper = hex.map((h) => "0x" + h.slice(2).toUpperCase());

    expect(buildMerkleTree(bytes).root).to.equal(buildMerkleTree(hex).root);
    expect(buildMerkleTree(upper).root).to.equal(buildMerkleTree(hex).root);
    expect(buildMerkleTree(upper).leaf(3)).to.equal(hex[3]);
  });

  it("refuses an empty batch, a leaf that is not 32 bytes and an index outside the tree with INVALID_ARGUMENT", function () {
    const codes: unknown[] = [];
    for (const fn of [
      () => buildMerkleTree([]),
      () => buildMerkleTree(["0x1234"]),
      () => buildMerkleTree([new Uint8Array(31)]),
      () => buildMerkleTree(["0x" + "zz".repeat(32)]),
      () => buildMerkleTree(leaves(3)).proof(3),
      () => buildMerkleTree(leaves(3)).proof(-1),
      () => buildMerkleTree(leaves(3)).proof(1.5),
    ]) {
      try {
        fn();
        codes.push("no error");
      } catch (e) {
        codes.push(isCoreError(e) ? e.code : e);
      }
    }
    expect(codes).to.deep.equal(Array(7).fill("INVALID_ARGUMENT"));
  });

  it("throws MALFORMED for a proof element, leaf or root that is not 32-byte hex", function () {
    const [a] = leaves(1);
    for (const [l, p, r] of [
      ["0x12", [], a],
      [a, ["0x12"], a],
      [a, [], "root"],
      [a, [42], a],
    ] as [string, string[], string][]) {
      expect(() => verifyMerkleProof(l, p, r))
        .to.throw()
        .with.property("code", "MALFORMED");
    }
  });

  it("builds 100,000 leaves to the reference root", function () {
    this.timeout(20_000);
    const many = leaves(100_000).map((l, i) => (i < 65_536 ? l : keccak256(l)));

    expect(buildMerkleTree(many).root).to.equal(referenceRoot(many));
  });

  it("verifies every index of random trees of 1 to 300 leaves and matches the reference root (fast-check)", function () {
    this.timeout(60_000);
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 1, maxLength: 300 }), (ls) => {
        const tree = buildMerkleTree(ls);
        expect(tree.root).to.equal(referenceRoot(ls));
        for (let i = 0; i < ls.length; i++) expect(verifyMerkleProof(ls[i], tree.proof(i), tree.root)).to.equal(true);
      }),
      { numRuns: 60 },
    );
  });

  it("rejects a wrong leaf, a wrong root and a tampered proof for every index (fast-check)", function () {
    this.timeout(60_000);
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 2, maxLength: 300 }), leaf, (ls, other) => {
        fc.pre(!ls.includes(other));
        const tree = buildMerkleTree(ls);
        for (let i = 0; i < ls.length; i++) {
          const proof = tree.proof(i);
          expect(verifyMerkleProof(other, proof, tree.root)).to.equal(false);
          expect(verifyMerkleProof(ls[i], proof, other)).to.equal(false);
          if (proof.length > 0) {
            const tampered: string[] = [...proof];
            tampered[0] = other;
            expect(verifyMerkleProof(ls[i], tampered, tree.root)).to.equal(false);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
