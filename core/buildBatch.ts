import { checksumAddress } from "./address.ts";
import type { Credential, Hex } from "./credential.ts";
import { CoreError } from "./errors.ts";
import { buildMerkleTree } from "./merkle.ts";

export type BuildBatchParameters = {
  /** The batch's credentials with their digests, as `createCredential` returns them, in batch order. */
  issued: readonly { credential: Credential; digest: Hex }[];
  /** The chain and registry the root will be anchored on. */
  chainId: number;
  registry: string;
};

export type BuildBatchResult = {
  /** The Merkle root to anchor. */
  root: Hex;
  /** The credentials with `proof.merkle` set (new objects; the inputs are not modified). */
  credentials: Credential[];
};

/**
 * The Merkle stage of a batch: builds the tree over the credential digests and gives each credential its
 * path to the root. The paths come from the tree just built, so unlike `withMerkleProof` (for one
 * credential and a path from elsewhere) nothing is re-verified: a batch of 10,000 takes milliseconds.
 *
 * @example
 * ```ts
 * const issued = records.map((record) => createCredential({ record }));
 * const { root, credentials } = buildBatch({ issued, chainId: 31337, registry });
 * ```
 */
export function buildBatch(parameters: BuildBatchParameters): BuildBatchResult {
  const { issued, chainId } = parameters;
  if (!Number.isSafeInteger(chainId) || chainId <= 0) {
    throw new CoreError("INVALID_ARGUMENT", `Bad chain id: ${String(chainId)}`);
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(String(parameters.registry))) {
    throw new CoreError("INVALID_ARGUMENT", `Bad registry address: ${String(parameters.registry).slice(0, 50)}`);
  }
  const registry = checksumAddress(parameters.registry);
  const tree = buildMerkleTree(issued.map((i) => i.digest));
  const credentials = issued.map(({ credential }, i) => ({
    ...credential,
    proof: { ...credential.proof, merkle: { root: tree.root, path: tree.proof(i), chainId, registry } },
  }));
  return { root: tree.root, credentials };
}
