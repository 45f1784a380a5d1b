import { fail, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `credential-digest`: the credential digest is recomputed from the disclosed fields (each with its
 * salt) and the digests of the hidden fields. MALFORMED when the credential breaks the format (a field
 * without a salt, an unknown field, a bad hidden digest ...). A changed value still gives a digest: it is
 * the Merkle proof that then fails.
 */
export function checkCredentialDigest(context: VerificationContext): CheckFragment {
  const { credential } = context;
  if (!credential)
    return skip("credential-digest", "Not checked: no credential could be read.", "未檢查：無法讀取憑證。");
  if (!credential.ok) {
    return fail(
      "credential-digest",
      "MALFORMED",
      `The credential does not follow the HK e-Cert format: ${credential.problem}.`,
      `憑證不符合HK e-Cert的格式（${credential.problem}）。`,
    );
  }
  const { digest, disclosed, hidden } = credential;
  return pass(
    "credential-digest",
    `The credential digest ${digest} was recomputed from ${disclosed} disclosed fields and ${hidden.length} hidden field digests.`,
    `已根據${disclosed}項披露資料及${hidden.length}項隱藏資料的雜湊值，重新計算憑證摘要 ${digest}。`,
  );
}
