import { fail, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `pdf-signature` (PDF only): the PAdES signature is valid and covers the whole file, with nothing
 * appended after it. TAMPERED when any byte changed, an update was appended or the file was truncated;
 * SIGNATURE_MISSING when the PDF carries no signature. Skipped for a credential or a QR URL, and for an
 * unsigned PDF that is not an HK e-Cert at all (MALFORMED, from `well-formed`, says it).
 */
export function checkPdfSignature(context: VerificationContext): CheckFragment {
  const { signature } = context;
  if (!signature && context.input.kind === "pdf") {
    return skip(
      "pdf-signature",
      "Not checked: the file could not be read as a PDF.",
      "未檢查：無法以PDF格式讀取檔案。",
    );
  }
  if (!signature) {
    return skip(
      "pdf-signature",
      "Not applicable: a credential or QR code carries no PDF signature.",
      "不適用：憑證或二維碼並不附有PDF數碼簽署。",
    );
  }
  if (signature.state === "missing" && context.input.problem !== undefined) {
    // A PDF that is not an HK e-Cert (no credential attachment) and has no signature: MALFORMED says it all.
    return skip(
      "pdf-signature",
      "Not checked: the PDF is not an HK e-Cert certificate.",
      "未檢查：PDF並非HK e-Cert證書。",
    );
  }
  switch (signature.state) {
    case "missing":
      return fail(
        "pdf-signature",
        "SIGNATURE_MISSING",
        `The PDF is not digitally signed: ${signature.detail.en}.`,
        `PDF沒有數碼簽署：${signature.detail["zh-HK"]}。`,
      );
    case "invalid":
      return fail(
        "pdf-signature",
        "TAMPERED",
        `The PDF was changed after it was signed: ${signature.detail.en}.`,
        `PDF在簽署後曾被改動：${signature.detail["zh-HK"]}。`,
      );
    case "valid":
      return pass(
        "pdf-signature",
        `The PDF's digital signature is valid and covers the whole file, with nothing added after it (signed by "${signature.signer.commonName}").`,
        `PDF的數碼簽署有效，涵蓋整個檔案，簽署後亦沒有任何增補（簽署者：「${signature.signer.commonName}」）。`,
      );
  }
}
