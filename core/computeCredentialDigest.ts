import { analyseCredential, digestOfAnalysed } from "./credential.ts";
import type { Hex } from "./credential.ts";

/** The credential to digest: any value (typically parsed JSON); it is checked before it is hashed. */
export type ComputeCredentialDigestParameters = unknown;

/** The credential digest, `0x` + 64 lowercase hex: the credential's Merkle leaf. */
export type ComputeCredentialDigestResult = Hex;

/**
 * Recomputes the credential digest from the disclosed claims, their salts and the hidden field digests
 * (see `core/credential.ts` for the scheme). The `proof.merkle` part is not covered and not checked
 * against the digest here (use `verifyMerkleProof`).
 *
 * @param credential a credential, with any subset of its hideable claims hidden.
 * @returns the digest, the same whatever was hidden, however the JSON was re-serialised.
 * @throws CoreError `MALFORMED` when the credential breaks a rule of the format (a claim without a salt,
 *   a salt or hidden entry without a claim slot, a pointer both salted and hidden, a salt shorter than
 *   16 bytes, a hidden non-hideable pointer, a bad hex digest, a field the type does not define ...);
 *   `UNKNOWN_TYPE` when `credentialSubject.type` is not a known certificate type.
 *
 * @example
 * ```ts
 * const vc = JSON.parse(embeddedJson);
 * const leaf = computeCredentialDigest(vc);
 * const included = verifyMerkleProof(leaf, vc.proof.merkle.path, vc.proof.merkle.root);
 * ```
 */
export function computeCredentialDigest(credential: ComputeCredentialDigestParameters): ComputeCredentialDigestResult {
  return digestOfAnalysed(analyseCredential(credential));
}
