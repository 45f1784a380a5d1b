/**
 * Whether a verification result's certificate details may be shown as the issuer's: the one rule of the
 * verifier page and `certs verify`.
 */
import type { CheckStatus } from "./codes.ts";
import type { VerificationResult } from "./types.ts";

/**
 * Whether the credential's details can be shown as the issuer's: its digest and Merkle proof hold, its
 * root is anchored in the trusted registry by its issuer, and a PDF's signature did not fail. Then a
 * revoked or expired certificate still shows its (authentic) details; a changed one, or one the chain
 * could not confirm, does not.
 */
export function authenticDetails(result: VerificationResult): boolean {
  if (!result.certificate) return false;
  const status = (id: string): CheckStatus | undefined => result.checks.find((c) => c.id === id)?.status;
  const passed = ["credential-digest", "merkle-proof", "network", "anchor", "issuer"].every(
    (id) => status(id) === "pass",
  );
  const signatureOk = ["pdf-signature", "signing-certificate"].every(
    (id) => status(id) === "pass" || status(id) === "skip",
  );
  return passed && signatureOk;
}
