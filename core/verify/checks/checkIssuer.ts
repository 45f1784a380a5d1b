import { issuerUrn } from "../../credential.ts";
import { chainUnavailable, registryStatus, fail, pass } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `issuer`: the issuer that anchored the root is the one the credential names (`urn:hk-ecert:issuer:<id>`),
 * and it is active in the registry. UNKNOWN_ISSUER otherwise: one department cannot anchor another's
 * certificates, and the registry treats every certificate of a deactivated issuer as unknown.
 */
export function checkIssuer(context: VerificationContext): CheckFragment {
  const unavailable = chainUnavailable("issuer", context);
  if (unavailable) return unavailable;
  const status = registryStatus(context);
  const { issuer } = (context.credential as { ok: true; credential: { issuer: string } }).credential;
  if (issuer !== issuerUrn(status.issuerId)) {
    return fail(
      "issuer",
      "UNKNOWN_ISSUER",
      `The root was anchored by issuer ${status.issuerId} (${status.issuerNameEn}), but the certificate names ${issuer}.`,
      `根值由簽發機構 ${status.issuerId}（${status.issuerNameZh}）錨定，但證書指明的簽發機構為 ${issuer}。`,
    );
  }
  if (!status.issuerActive) {
    return fail(
      "issuer",
      "UNKNOWN_ISSUER",
      `The issuer ${status.issuerNameEn} (${status.issuerId}) is no longer active in the registry.`,
      `簽發機構${status.issuerNameZh}（${status.issuerId}）在登記冊中已不再有效。`,
    );
  }
  return pass(
    "issuer",
    `Issued by ${status.issuerNameEn} (${status.issuerDomain}), a registered and active issuer.`,
    `由已登記及有效的簽發機構${status.issuerNameZh}（${status.issuerDomain}）簽發。`,
  );
}
