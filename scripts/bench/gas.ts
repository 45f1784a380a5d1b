// Gas benchmark: the HK e-Cert Registry against two peers (OpenAttestation DocumentStore and EAS), all on
// Hardhat's in-process chain in one run. Gas is each transaction receipt's gasUsed (21,000 base included).
// Prints a table, then as the last line one JSON object. Exits non-zero when a target is missed.
//
//   npm run bench:gas
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { network } from "hardhat";
import { AbiCoder, ContractFactory, ZeroAddress, ZeroHash, encodeBytes32String, hexlify } from "ethers";
import type { Contract, ContractTransactionResponse } from "ethers";
import { DocumentStore__factory } from "@govtechsg/document-store-ethers-v6";
import { buildMerkleTree, type MerkleTree } from "../../core/merkle.ts";

const require = createRequire(import.meta.url);
const easArtifact = require("@ethereum-attestation-service/eas-contracts/artifacts/contracts/EAS.sol/EAS.json");
const schemaRegistryArtifact = require("@ethereum-attestation-service/eas-contracts/artifacts/contracts/SchemaRegistry.sol/SchemaRegistry.json");

const ANCHOR_MAX = 48_500;
const REVOKE_LEAF_BELOW = 50_000;
const SIZES = [1, 100, 10_000, 100_000] as const;
const EAS_MULTI = 100;

const { ethers } = await network.create();
const [admin, signer, holder] = await ethers.getSigners();

async function gasOf(tx: Promise<ContractTransactionResponse | null>): Promise<number> {
  const receipt = await (await tx)!.wait();
  if (receipt === null || receipt.status !== 1) throw new Error("transaction failed");
  return Number(receipt.gasUsed);
}

async function deployGas(contract: Contract | { deploymentTransaction(): ContractTransactionResponse | null }) {
  return gasOf(Promise.resolve(contract.deploymentTransaction()));
}

const randomLeaves = (n: number) => Array.from({ length: n }, () => randomBytes(32));

// ---------------------------------------------------------------------------------------------
// Ours
// ---------------------------------------------------------------------------------------------
const registry = await ethers.deployContract("Registry", [3 * 24 * 3600, admin.address]);
const deploy = await deployGas(registry);

const issuerId = encodeBytes32String("EDB");
const admitIssuer = await gasOf(
  registry.registerIssuer(issuerId, "Education Bureau", "教育局", "edb.gov.hk", hexlify(randomBytes(32))),
);
const now = (await ethers.provider.getBlock("latest"))!.timestamp;
const addSigner = await gasOf(registry.addSigner(issuerId, signer.address, now, now + 10 * 365 * 24 * 3600));

const asSigner = registry.connect(signer) as typeof registry;
const anchor: Record<string, number> = {};
const trees: Record<number, MerkleTree> = {};
const buildMs: Record<number, number> = {};
for (const size of SIZES) {
  const start = performance.now();
  trees[size] = buildMerkleTree(randomLeaves(size));
  buildMs[size] = performance.now() - start;
  anchor[size] = await gasOf(asSigner.anchor(trees[size].root, size));
}

// Certificates from the 10,000 batch: check the one we revoke is really in the anchored tree.
const batch = trees[10_000];
const leafAt = (i: number) => batch.leaf(i);
const revoked = 4_321;
if (!(await registry.verifyProof(batch.root, leafAt(revoked), batch.proof(revoked)))) {
  throw new Error("verifyProof: leaf is not in the 10,000 tree");
}
const revokeLeaf = await gasOf(asSigner.revoke(leafAt(revoked), 1));
const suspend = await gasOf(asSigner.suspend(leafAt(1), 2));
const reinstate = await gasOf(asSigner.reinstate(leafAt(1)));
const supersede = await gasOf(asSigner.supersede(leafAt(2), hexlify(randomBytes(32))));
const revokeBatch = await gasOf(asSigner.revokeBatch(trees[100].root, 1));
// A leaf's second change (a revocation of a suspended certificate) rewrites its slot; the admin's repairs.
await gasOf(asSigner.suspend(leafAt(3), 2));
const revokeSuspended = await gasOf(asSigner.revoke(leafAt(3), 1));
const restoreCertificate = await gasOf(registry.restoreCertificate(issuerId, leafAt(revoked), 9));
const restoreBatch = await gasOf(registry.restoreBatch(issuerId, trees[100].root, 9));

// ---------------------------------------------------------------------------------------------
// Peer: OpenAttestation DocumentStore (issue a root; revoke one document of the batch with its proof)
// ---------------------------------------------------------------------------------------------
// The package bundles its own ethers copy: take only its ABI and bytecode.
const store = (await new ContractFactory(DocumentStore__factory.abi, DocumentStore__factory.bytecode, admin).deploy(
  "HK e-Cert bench",
  admin.address,
)) as Contract;
const documentStoreDeploy = await deployGas(store);
const documentStoreIssue = await gasOf(store.issue(batch.root));
const documentStoreRevokeLeaf = await gasOf(
  store["revoke(bytes32,bytes32,bytes32[])"](batch.root, leafAt(revoked), batch.proof(revoked)),
);

// ---------------------------------------------------------------------------------------------
// Peer: Ethereum Attestation Service (one attestation per certificate)
// ---------------------------------------------------------------------------------------------
const schemaRegistry = (await new ContractFactory(
  schemaRegistryArtifact.abi,
  schemaRegistryArtifact.bytecode,
  admin,
).deploy()) as Contract;
const eas = (await new ContractFactory(easArtifact.abi, easArtifact.bytecode, admin).deploy(
  await schemaRegistry.getAddress(),
)) as Contract;
const easDeploy = (await deployGas(schemaRegistry)) + (await deployGas(eas));

const registerReceipt = await (await schemaRegistry.register("bytes32 credentialDigest", ZeroAddress, true)).wait();
const schema: string = schemaRegistry.interface.parseLog(registerReceipt.logs[0])!.args.uid;
const attestation = () => ({
  recipient: holder.address,
  expirationTime: 0,
  revocable: true,
  refUID: ZeroHash,
  data: AbiCoder.defaultAbiCoder().encode(["bytes32"], [randomBytes(32)]),
  value: 0,
});

const attestReceipt = await (await eas.attest({ schema, data: attestation() })).wait();
const easAttest = Number(attestReceipt.gasUsed);
const uid: string = eas.interface.parseLog(attestReceipt.logs[0])!.args.uid;
const easMultiAttestEach = Math.round(
  (await gasOf(eas.multiAttest([{ schema, data: Array.from({ length: EAS_MULTI }, attestation) }]))) / EAS_MULTI,
);
const easRevoke = await gasOf(eas.revoke({ schema, data: { uid, value: 0 } }));

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
type Row = [operation: string, gas: number, target?: string, pass?: boolean];
const rows: Row[] = [
  ["Registry deploy", deploy],
  ["registerIssuer (admit issuer)", admitIssuer],
  ["addSigner", addSigner],
  ...SIZES.map((n): Row => [
    `anchor, batch of ${n.toLocaleString("en")} (tree built in ${buildMs[n].toFixed(0)} ms)`,
    anchor[n],
    `<= ${ANCHOR_MAX.toLocaleString("en")}`,
    anchor[n] <= ANCHOR_MAX,
  ]),
  [
    "revoke leaf (of 10,000)",
    revokeLeaf,
    `< ${REVOKE_LEAF_BELOW.toLocaleString("en")}`,
    revokeLeaf < REVOKE_LEAF_BELOW,
  ],
  ["suspend", suspend],
  ["reinstate", reinstate],
  ["supersede", supersede],
  [
    "revoke a suspended leaf (its second change)",
    revokeSuspended,
    `< ${REVOKE_LEAF_BELOW.toLocaleString("en")}`,
    revokeSuspended < REVOKE_LEAF_BELOW,
  ],
  ["revokeBatch", revokeBatch],
  ["restoreCertificate (admin)", restoreCertificate],
  ["restoreBatch (admin)", restoreBatch],
  ["DocumentStore deploy", documentStoreDeploy],
  ["DocumentStore issue(root)", documentStoreIssue],
  ["DocumentStore revoke(root, leaf, proof) (of 10,000)", documentStoreRevokeLeaf],
  ["EAS deploy (SchemaRegistry + EAS)", easDeploy],
  ["EAS attest (1 cert)", easAttest],
  [`EAS multiAttest, per cert (of ${EAS_MULTI})`, easMultiAttestEach],
  ["EAS revoke", easRevoke],
];
const width = Math.max(...rows.map(([op]) => op.length));
console.log(`${"operation".padEnd(width)}  ${"gas".padStart(9)}  ${"target".padEnd(9)}  result`);
for (const [op, gas, target = "", pass] of rows) {
  const result = pass === undefined ? "" : pass ? "PASS" : "FAIL";
  console.log(`${op.padEnd(width)}  ${gas.toLocaleString("en").padStart(9)}  ${target.padEnd(9)}  ${result}`);
}
if (rows.some(([, , , pass]) => pass === false)) process.exitCode = 1;

console.log(
  JSON.stringify({
    anchor,
    revokeLeaf,
    suspend,
    reinstate,
    supersede,
    revokeSuspended,
    revokeBatch,
    restoreCertificate,
    restoreBatch,
    deploy,
    admitIssuer,
    addSigner,
    peers: { documentStoreIssue, documentStoreRevokeLeaf, easAttest, easMultiAttestEach, easRevoke },
  }),
);
