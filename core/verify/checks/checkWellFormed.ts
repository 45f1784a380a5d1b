import { pass, fail } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `well-formed`: the input could be read: a PDF carrying the credential attachment, credential JSON, or a
 * verifier URL whose payload decodes. Fails with MALFORMED otherwise (an empty, truncated or random file,
 * a PDF that is not an HK e-Cert, bad JSON, a damaged QR payload).
 */
export function checkWellFormed(context: VerificationContext): CheckFragment {
  const { kind, problem } = context.input;
  if (problem !== undefined) {
    return fail(
      "well-formed",
      "MALFORMED",
      `The input cannot be read: ${problem.en}.`,
      `無法讀取輸入內容：${problem["zh-HK"]}。`,
    );
  }
  switch (kind) {
    case "pdf":
      return pass(
        "well-formed",
        "The PDF is readable and carries the certificate's credential.",
        "PDF可以讀取，並附有證書的憑證資料。",
      );
    case "url":
      return pass("well-formed", "The QR code or link is readable.", "二維碼或連結可以讀取。");
    default:
      return pass("well-formed", "The credential is readable JSON.", "憑證為可讀取的JSON資料。");
  }
}
