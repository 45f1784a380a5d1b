import { checksumAddress } from "./address.ts";
import { analyseCredential, copyJson, digestOfAnalysed, merkleAnchorSchema, ZOD_ENGLISH } from "./credential.ts";
import type { Credential, Hex, MerkleAnchor } from "./credential.ts";
import { CoreError } from "./errors.ts";
import { verifyMerkleProof } from "./merkle.ts";

/** Where the batch is anchored, and this credential's path in the batch tree. */
export type WithMerkleProofParameters = {
  root: string;
  path: readonly string[];
  chainId: number;
  registry: string;
};

export type WithMerkleProofOptions = {
  /**
   * The credential's digest, when the caller already has it (from `createCredential`), to skip
   * recomputing it. It must be the credential's real digest; the proof is checked against it.
   */
  digest?: Hex;
};

/** The last registry address checksummed: a batch attaches the same registry to every credential. */
let lastRegistry: { input: string; checksummed: string } | undefined;

function checksumRegistry(address: string): string {
  if (lastRegistry?.input !== address) lastRegistry = { input: address, checksummed: checksumAddress(address) };
  return lastRegistry.checksummed;
}

/** A new credential with `proof.merkle` set; the input is not modified. */
export type WithMerkleProofResult = Credential;

/**
 * Attaches the batch anchor to a credential: the Merkle root, the credential's path to it, and the
 * chain and registry the root is anchored in. Checks that the path really leads from the credential's
 * digest to the root before writing it. Hex is stored lowercase, the registry address checksummed.
 *
 * @param credential a valid credential (any claims hidden or not).
 * @param anchor root, path, chainId, registry.
 * @param options.digest the credential digest, if already known.
 * @returns a new credential.
 * @throws CoreError `INVALID_ARGUMENT` for a malformed anchor; `INVALID_PROOF` when the path does not
 *   lead from the digest to the root; `MALFORMED` / `UNKNOWN_TYPE` for a malformed credential.
 *
 * @example
 * ```ts
 * const tree = buildMerkleTree(issued.map((c) => c.digest));
 * const vcs = issued.map(({ credential, digest }, i) =>
 *   withMerkleProof(credential, { root: tree.root, path: tree.proof(i), chainId: 31337, registry }, { digest }),
 * );
 * ```
 */
export function withMerkleProof(
  credential: Credential,
  anchor: WithMerkleProofParameters,
  options: WithMerkleProofOptions = {},
): WithMerkleProofResult {
  const merkle: MerkleAnchor = {
    root: String(anchor?.root).toLowerCase() as Hex,
    path: Array.isArray(anchor?.path) ? anchor.path.map((p) => String(p).toLowerCase() as Hex) : [],
    chainId: anchor?.chainId,
    registry: String(anchor?.registry),
  };
  const parsed = merkleAnchorSchema.safeParse(merkle, ZOD_ENGLISH);
  if (!parsed.success || !Array.isArray(anchor.path)) {
    const issue = parsed.error?.issues[0];
    throw new CoreError(
      "INVALID_ARGUMENT",
      `Bad Merkle anchor: ${issue ? `${issue.path.join(".")} ${issue.message}` : "path must be an array"}`,
      {
        cause: parsed.error,
      },
    );
  }
  merkle.registry = checksumRegistry(merkle.registry);
  const digest = options.digest ?? digestOfAnalysed(analyseCredential(credential));
  if (!verifyMerkleProof(digest, merkle.path, merkle.root)) {
    throw new CoreError("INVALID_PROOF", "The Merkle path does not lead from this credential's digest to the root");
  }
  const result = copyJson(credential);
  result.proof.merkle = merkle;
  return result;
}
