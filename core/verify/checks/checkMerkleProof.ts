import { fail, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `merkle-proof`: the credential digest leads through the Merkle path to the root. TAMPERED when it
 * does not (a changed field, or a proof taken from another certificate); NOT_ANCHORED when the
 * credential has no Merkle proof at all (it was never anchored).
 */
export function checkMerkleProof(context: VerificationContext): CheckFragment {
  const { merkle, credential } = context;
  if (!merkle || !credential?.ok)
    return skip(
      "merkle-proof",
      "Not checked: the credential digest could not be computed.",
      "未檢查：無法計算憑證摘要。",
    );
  switch (merkle.state) {
    case "absent":
      return fail(
        "merkle-proof",
        "NOT_ANCHORED",
        "The credential has no Merkle proof: it was never anchored on the blockchain.",
        "憑證沒有默克爾證明：從未錨定於區塊鏈。",
      );
    case "mismatch":
      return fail(
        "merkle-proof",
        "TAMPERED",
        "The credential's content does not match its Merkle proof: a field was changed, or the proof belongs to another certificate.",
        "憑證內容與其默克爾證明不符：有資料曾被改動，或該證明屬於另一張證書。",
      );
    case "ok": {
      const length = credential.credential.proof.merkle?.path.length ?? 0;
      return pass(
        "merkle-proof",
        `The credential digest leads through its Merkle proof (${length} hashes) to the root ${merkle.root}.`,
        `憑證摘要經其默克爾證明（${length}個雜湊值）可推導至根值 ${merkle.root}。`,
      );
    }
  }
}
