import { anchoredByAnotherIssuer, fail, isoSeconds, pass, skip, unreachable } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `anchor`: the Merkle root is anchored in the trusted registry (NOT_ANCHORED otherwise), by a signer
 * whose validity window covered the anchoring time (ISSUER_KEY_REVOKED otherwise: a key cut off from a
 * point in time invalidates what it anchored from then on). `error` when the chain could not be read.
 */
export function checkAnchor(context: VerificationContext): CheckFragment {
  const { credential, merkle, chain } = context;
  if (!credential?.ok) return skip("anchor", "Not checked: no credential could be read.", "未檢查：無法讀取憑證。");
  if (!merkle || merkle.state === "absent")
    return skip("anchor", "Not checked: the credential has no Merkle proof.", "未檢查：憑證沒有默克爾證明。");
  if (!chain) {
    return skip(
      "anchor",
      "Not checked: the certificate names a network this verifier does not trust.",
      "未檢查：證書指明的網絡並非本核實服務所信任的網絡。",
    );
  }
  if (!chain.ok) return unreachable("anchor", chain.failures, chain.disagreement);
  const { status } = chain;
  if (!status.anchored) {
    return fail(
      "anchor",
      "NOT_ANCHORED",
      `The root ${merkle.root} is not anchored in the trusted registry.`,
      `根值 ${merkle.root} 並未錨定於受信任的登記冊。`,
    );
  }
  const other = anchoredByAnotherIssuer("anchor", context);
  if (other) return other;
  const at = isoSeconds(status.anchoredAt);
  if (!status.signerValidAtAnchor) {
    return fail(
      "anchor",
      "ISSUER_KEY_REVOKED",
      `The root was anchored at ${at} by signer ${status.signer}, whose key was not valid at that time (it was cut off, or not yet valid).`,
      `根值於 ${at} 由簽署地址 ${status.signer} 錨定，但該密鑰當時無效（已被終止或尚未生效）。`,
    );
  }
  return pass(
    "anchor",
    `The root was anchored at ${at} in block ${status.anchorBlock} by signer ${status.signer}, whose key was valid at that time.`,
    `根值於 ${at} 在第 ${status.anchorBlock} 個區塊由簽署地址 ${status.signer} 錨定，該密鑰當時有效。`,
  );
}
