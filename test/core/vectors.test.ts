import { expect } from "chai";
import canonicalize from "canonicalize";
import { concat, keccak256, sha256, toUtf8Bytes } from "ethers";
import { readFileSync } from "node:fs";

import { computeCredentialDigest } from "../../core/computeCredentialDigest.ts";
import { createCredential } from "../../core/createCredential.ts";
import type { Credential } from "../../core/credential.ts";
import { brokenDisclosureRule, hideClaims } from "../../core/hideClaims.ts";
import { buildMerkleTree, verifyMerkleProof } from "../../core/merkle.ts";
import { validateRecord } from "../../core/validateRecord.ts";
import { deterministicRandom, hideIgnoringDisclosureRules } from "./helpers.ts";

// Generated once by scripts/generate-core-vectors.ts. If a test here fails, the credential format
// changed: that breaks every certificate already issued, so fix the code, not the vectors.
type CredentialVector = {
  description: string;
  typeId: string;
  input: Record<string, string>;
  randomSeed: string;
  now: string;
  credential: Credential;
  fieldDigests: Record<string, string>;
  digest: string;
  hiddenPointers: string[];
  hiddenCredential: Credential;
};

function readVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8")) as T;
}

function valueAt(credential: Credential, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((node, token) => (node as Record<string, unknown>)[token], credential);
}

describe("committed test vectors", function () {
  const { vectors } = readVectors<{ vectors: CredentialVector[] }>("credentials.json");

  for (const vector of vectors) {
    describe(vector.description, function () {
      it("recomputes every field digest from its salt, pointer and value", function () {
        for (const [pointer, salt] of Object.entries(vector.credential.proof.salts)) {
          const jcs = canonicalize([salt, pointer, valueAt(vector.credential, pointer)])!;
          expect(sha256(toUtf8Bytes(jcs)), pointer).to.equal(vector.fieldDigests[pointer]);
        }
      });

      it("recomputes the credential digest, with ethers and with computeCredentialDigest", function () {
        const sorted = Object.values(vector.fieldDigests).sort();

        expect(keccak256(concat([toUtf8Bytes("hk-ecert:credential:v1"), ...sorted]))).to.equal(vector.digest);
        expect(computeCredentialDigest(vector.credential)).to.equal(vector.digest);
      });

      it("recreates the same credential from the same input, randomness and clock", function () {
        const { record, errors } = validateRecord(vector.typeId, vector.input);
        expect(errors).to.deep.equal([]);

        const { credential, digest } = createCredential({
          record: record!,
          getRandomValues: deterministicRandom(vector.randomSeed),
          now: () => new Date(vector.now),
        });

        expect(JSON.stringify(credential)).to.equal(JSON.stringify(vector.credential));
        expect(digest).to.equal(vector.digest);
      });

      it("hides the same way and keeps the digest", function () {
        if (brokenDisclosureRule(vector.credential, vector.hiddenPointers)) {
          // Made before the schema's disclosure rule (both names hidden): hideClaims now refuses this
          // hide, and the hidden credential, what hiding gave, still keeps the digest.
          expect(() => hideClaims(vector.credential, vector.hiddenPointers)).to.throw(/may not all be hidden/);
          expect(hideIgnoringDisclosureRules(vector.credential, vector.hiddenPointers)).to.deep.equal(
            vector.hiddenCredential,
          );
        } else {
          expect(hideClaims(vector.credential, vector.hiddenPointers)).to.deep.equal(vector.hiddenCredential);
        }
        expect(computeCredentialDigest(vector.hiddenCredential)).to.equal(vector.digest);
      });
    });
  }

  describe("5-leaf batch", function () {
    const batch = readVectors<{ credentials: Credential[]; leaves: string[]; root: string; proofs: string[][] }>(
      "merkle-batch.json",
    );

    it("recomputes each leaf from its credential", function () {
      expect(batch.credentials.map((c) => computeCredentialDigest(c))).to.deep.equal(batch.leaves);
    });

    it("rebuilds the root and every proof", function () {
      const tree = buildMerkleTree(batch.leaves);

      expect(tree.root).to.equal(batch.root);
      expect(batch.leaves.map((_, i) => tree.proof(i))).to.deep.equal(batch.proofs);
    });

    it("recomputes the root by hand: ((0,1),(2,3)) then the carried-up leaf 4", function () {
      const pair = (a: string, b: string): string => keccak256(concat(a <= b ? [a, b] : [b, a]));
      const [l0, l1, l2, l3, l4] = batch.leaves;

      expect(pair(pair(pair(l0, l1), pair(l2, l3)), l4)).to.equal(batch.root);
      expect(batch.proofs[4]).to.deep.equal([pair(pair(l0, l1), pair(l2, l3))]);
    });

    it("verifies every proof", function () {
      batch.leaves.forEach((leaf, i) => expect(verifyMerkleProof(leaf, batch.proofs[i], batch.root)).to.equal(true));
    });
  });
});
