// Writes the committed test vectors of the credential core (test/core/vectors/*.json), with fixed
// salts and ids from a deterministic stand-in for the CSPRNG. test/core/vectors.test.ts recomputes
// everything from these files, so any change to claims, salting, JCS, the digests or the Merkle tree
// fails the tests. Regenerate ONLY for a deliberate, versioned change of the format:
//
//   npx node scripts/generate-core-vectors.ts
import { writeFileSync } from "node:fs";

import { computeCredentialDigest } from "../core/computeCredentialDigest.ts";
import { createCredential } from "../core/createCredential.ts";
import { fieldDigest } from "../core/credential.ts";
import type { Credential } from "../core/credential.ts";
import { brokenDisclosureRule, hideClaims } from "../core/hideClaims.ts";
import { buildMerkleTree } from "../core/merkle.ts";
import { validateCsv } from "../core/validateCsv.ts";
import { deterministicRandom, hideIgnoringDisclosureRules, sample } from "../test/core/helpers.ts";

const NOW = "2026-11-02T09:30:15Z";

function fieldDigests(credential: Credential): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [pointer, salt] of Object.entries(credential.proof.salts)) {
    const value = pointer
      .split("/")
      .slice(1)
      .reduce<unknown>((node, token) => (node as Record<string, unknown>)[token], credential);
    out[pointer] = fieldDigest(salt, pointer, value);
  }
  return out;
}

function rowObject(file: string, row: number): Record<string, string> {
  const lines = new TextDecoder()
    .decode(sample(file))
    .replace(/^\ufeff/, "")
    .split(/\r?\n/);
  const header = lines[0].split(",");
  const cells = lines[row]
    .match(/("([^"]|"")*"|[^,]*)(,|$)/g)!
    .map((c) => c.replace(/,$/, "").replace(/^"|"$/g, "").replaceAll('""', '"'));
  return Object.fromEntries(header.map((h, i) => [h, cells[i]]));
}

function credentialVector(
  description: string,
  typeId: string,
  file: string,
  row: number,
  seed: string,
  hide: string[],
) {
  const { records } = validateCsv(sample(file), typeId);
  const { row: _row, ...record } = records.find((r) => r.row === row)!;
  const { credential, digest } = createCredential({
    record,
    getRandomValues: deterministicRandom(seed),
    now: () => new Date(NOW),
  });
  // The csb-cre vector hides both names, as hiding did before the schemas' disclosure rule (which
  // hideClaims now enforces): the committed vector is kept as it was, since verifiers still accept it.
  const hidden = brokenDisclosureRule(credential, hide)
    ? hideIgnoringDisclosureRules(credential, hide)
    : hideClaims(credential, hide);
  if (computeCredentialDigest(hidden) !== digest) throw new Error("hiding changed the digest");
  return {
    description,
    typeId,
    input: rowObject(file, row),
    randomSeed: seed,
    now: NOW,
    credential,
    fieldDigests: fieldDigests(credential),
    digest,
    hiddenPointers: hide,
    hiddenCredential: hidden,
  };
}

const credentials = {
  about:
    "HK e-Cert credential test vectors. Random bytes: sha256(utf8(`${randomSeed}:${counter}`)) blocks, counter from 0 (see test/core/helpers.ts deterministicRandom). Field digest = sha256(utf8(JCS([salt, pointer, value]))); digest = keccak256(utf8('hk-ecert:credential:v1') || sorted field digests).",
  vectors: [
    credentialVector(
      "csb-cre, csb-cre.csv row 12: a supplementary-plane character (U+210C1) in the Chinese name; name and partial HKID hidden",
      "csb-cre",
      "csb-cre.csv",
      12,
      "hk-ecert vector csb-cre",
      ["/credentialSubject/name", "/credentialSubject/hkidPartial"],
    ),
    credentialVector(
      "fsd-dg-licence, fsd-dg-licence.csv row 1: lists, a period, bilingual address; nothing is hideable",
      "fsd-dg-licence",
      "fsd-dg-licence.csv",
      1,
      "hk-ecert vector fsd-dg-licence",
      [],
    ),
    credentialVector(
      "csb-blnst, csb-blnst.csv row 3: the score (an integer claim) hidden",
      "csb-blnst",
      "csb-blnst.csv",
      3,
      "hk-ecert vector csb-blnst",
      ["/credentialSubject/score"],
    ),
  ],
};

const batchRecords = validateCsv(sample("csb-cre.csv"), "csb-cre").records.slice(0, 5);
const batch = batchRecords.map(({ row: _row, ...record }, i) =>
  createCredential({
    record,
    getRandomValues: deterministicRandom(`hk-ecert vector batch ${i}`),
    now: () => new Date(NOW),
  }),
);
const tree = buildMerkleTree(batch.map((c) => c.digest));
const merkle = {
  about:
    "A 5-leaf batch: csb-cre.csv rows 1 to 5, credential i made with randomSeed `hk-ecert vector batch ${i}`. Sorted-pair keccak256 (OpenZeppelin MerkleProof); the odd last node is carried up unchanged.",
  credentials: batch.map((c) => c.credential),
  leaves: batch.map((c) => c.digest),
  root: tree.root,
  proofs: batch.map((_, i) => tree.proof(i)),
};

const dir = new URL("../test/core/vectors/", import.meta.url);
writeFileSync(new URL("credentials.json", dir), JSON.stringify(credentials, null, 2) + "\n");
writeFileSync(new URL("merkle-batch.json", dir), JSON.stringify(merkle, null, 2) + "\n");
console.log(`wrote ${dir.pathname}credentials.json and merkle-batch.json; root ${tree.root}`);
