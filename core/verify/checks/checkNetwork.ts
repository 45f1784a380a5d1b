import { fail, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `network`: the credential's Merkle proof names the chain id and registry this verifier trusts.
 * WRONG_NETWORK otherwise: a root anchored on another chain, or in another registry deployment (which
 * anyone can deploy and fill with look-alike issuers), proves nothing here.
 */
export function checkNetwork(context: VerificationContext): CheckFragment {
  const { credential, trusted } = context;
  if (!credential?.ok) return skip("network", "Not checked: no credential could be read.", "未檢查：無法讀取憑證。");
  const merkle = credential.credential.proof.merkle;
  if (!merkle)
    return skip("network", "Not checked: the credential has no Merkle proof.", "未檢查：憑證沒有默克爾證明。");
  if (merkle.chainId !== trusted.chainId || merkle.registry.toLowerCase() !== trusted.registry.toLowerCase()) {
    return fail(
      "network",
      "WRONG_NETWORK",
      `The certificate names chain ${merkle.chainId} and registry ${merkle.registry}, but this verifier trusts chain ${trusted.chainId} and registry ${trusted.registry}.`,
      `證書指明鏈ID ${merkle.chainId}及登記冊 ${merkle.registry}，但本核實服務只信任鏈ID ${trusted.chainId}及登記冊 ${trusted.registry}。`,
    );
  }
  return pass(
    "network",
    `The certificate names chain ${trusted.chainId} and registry ${trusted.registry}, the network this verifier trusts.`,
    `證書指明的鏈ID ${trusted.chainId}及登記冊 ${trusted.registry}，正是本核實服務所信任的網絡。`,
  );
}
