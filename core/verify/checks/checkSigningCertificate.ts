import { anchoredByAnotherIssuer, chainUnavailable, registryStatus, fail, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `signing-certificate` (PDF only): the SHA-256 fingerprint of the certificate that signed the PDF is
 * registered on chain for the issuer that anchored the root. SIGNER_NOT_REGISTERED otherwise (a PDF
 * re-signed with a look-alike certificate has a valid signature, but not the department's).
 */
export function checkSigningCertificate(context: VerificationContext): CheckFragment {
  const { signature } = context;
  if (!signature && context.input.kind === "pdf") {
    return skip(
      "signing-certificate",
      "Not checked: the file could not be read as a PDF.",
      "未檢查：無法以PDF格式讀取檔案。",
    );
  }
  if (!signature) {
    return skip(
      "signing-certificate",
      "Not applicable: a credential or QR code carries no PDF signature.",
      "不適用：憑證或二維碼並不附有PDF數碼簽署。",
    );
  }
  if (signature.state !== "valid") {
    return skip("signing-certificate", "Not checked: the PDF's signature is not valid.", "未檢查：PDF的數碼簽署無效。");
  }
  const unavailable = chainUnavailable("signing-certificate", context);
  if (unavailable) return unavailable;
  const other = anchoredByAnotherIssuer("signing-certificate", context);
  if (other) return other;
  const status = registryStatus(context);
  const { commonName, fingerprint } = signature.signer;
  if (!status.signingCertificateRegistered) {
    return fail(
      "signing-certificate",
      "SIGNER_NOT_REGISTERED",
      `The PDF was signed with a certificate ("${commonName}", SHA-256 ${fingerprint}) that is not registered for ${status.issuerNameEn}: it was not signed by the issuing department.`,
      `PDF的簽署證書（「${commonName}」，SHA-256 ${fingerprint}）並未登記為${status.issuerNameZh}所有：文件並非由簽發部門簽署。`,
    );
  }
  return pass(
    "signing-certificate",
    `The signing certificate ("${commonName}", SHA-256 ${fingerprint}) is registered on the blockchain for ${status.issuerNameEn}.`,
    `簽署證書（「${commonName}」，SHA-256 ${fingerprint}）已在區塊鏈上登記為${status.issuerNameZh}所有。`,
  );
}
