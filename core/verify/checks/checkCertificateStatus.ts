import {
  anchoredByAnotherIssuer,
  chainUnavailable,
  registryStatus,
  fail,
  hongKongDate,
  pass,
  skip,
} from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";
import { REVOCATION_REASONS, revocationReasonOf } from "../../revocationReasons.ts";

/**
 * `certificate-status`: neither the certificate (its leaf, in the anchoring issuer's namespace) nor its
 * whole batch is revoked (REVOKED), and the certificate is not suspended (SUSPENDED) or replaced by a
 * renewal (SUPERSEDED; the successor's digest is in `certificate.successor`). Only checked when the
 * Merkle proof holds: the status of a digest that is not in the batch says nothing.
 */
export function checkCertificateStatus(context: VerificationContext): CheckFragment {
  if (context.merkle?.state === "mismatch") {
    return skip(
      "certificate-status",
      "Not checked: the certificate is not in the anchored batch.",
      "未檢查：證書並不屬於已錨定的批次。",
    );
  }
  const unavailable = chainUnavailable("certificate-status", context);
  if (unavailable) return unavailable;
  const other = anchoredByAnotherIssuer("certificate-status", context);
  if (other) return other;
  const status = registryStatus(context);
  if (status.batchRevoked) {
    const on = hongKongDate(status.batchRevokedAt);
    return fail(
      "certificate-status",
      "REVOKED",
      `The whole batch this certificate belongs to was revoked on ${on} (${reasonEn(status.batchRevocationReason)}).`,
      `此證書所屬的整批證書已於 ${on} 被撤銷（${reasonZh(status.batchRevocationReason)}）。`,
    );
  }
  const on = hongKongDate(status.leafChangedAt);
  switch (status.leafStatus) {
    case "revoked":
      return fail(
        "certificate-status",
        "REVOKED",
        `The certificate was revoked on ${on} (${reasonEn(status.leafReason)}).`,
        `證書已於 ${on} 被撤銷（${reasonZh(status.leafReason)}）。`,
      );
    case "suspended":
      return fail(
        "certificate-status",
        "SUSPENDED",
        `The certificate was suspended on ${on} (${reasonEn(status.leafReason)}).`,
        `證書已於 ${on} 被暫停（${reasonZh(status.leafReason)}）。`,
      );
    case "superseded":
      return fail(
        "certificate-status",
        "SUPERSEDED",
        `The certificate was replaced by a renewal on ${on} (the new certificate's digest is ${status.successor}).`,
        `證書已於 ${on} 被續期證書取代（新證書的摘要為 ${status.successor}）。`,
      );
    case "valid":
      return pass(
        "certificate-status",
        "The certificate is not revoked, suspended or superseded.",
        "證書並未被撤銷、暫停或取代。",
      );
  }
}

/** The registry's reason code in words ("reason: Obtained by fraud"), or the bare code if it is unknown. */
function reasonEn(code: number): string {
  const name = revocationReasonOf(code);
  return name ? `reason: ${REVOCATION_REASONS[name].en}` : `reason code ${code}`;
}

function reasonZh(code: number): string {
  const name = revocationReasonOf(code);
  return name ? `原因：${REVOCATION_REASONS[name]["zh-HK"]}` : `原因代碼 ${code}`;
}
