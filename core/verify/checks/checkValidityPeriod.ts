import { fail, hongKongDate, pass, skip } from "../context.ts";
import type { VerificationContext } from "../context.ts";
import type { CheckFragment } from "../types.ts";

/**
 * `validity-period`: `validFrom` <= now (NOT_YET_VALID otherwise) and, for period types, now <=
 * `validUntil` (EXPIRED otherwise; `validUntil` is the last second of the last day). Dates in the
 * messages are Hong Kong calendar dates.
 */
export function checkValidityPeriod(context: VerificationContext): CheckFragment {
  const { credential, now } = context;
  if (!credential?.ok)
    return skip("validity-period", "Not checked: no credential could be read.", "未檢查：無法讀取憑證。");
  const { validFrom, validUntil } = credential.credential;
  const from = hongKongDate(validFrom);
  if (now.getTime() < Date.parse(validFrom)) {
    return fail(
      "validity-period",
      "NOT_YET_VALID",
      `The certificate is valid only from ${from}.`,
      `證書要到 ${from} 才生效。`,
    );
  }
  if (validUntil === undefined) {
    return pass(
      "validity-period",
      `The certificate is permanent, issued on ${from}.`,
      `證書永久有效，於 ${from} 簽發。`,
    );
  }
  const until = hongKongDate(validUntil);
  if (now.getTime() > Date.parse(validUntil)) {
    return fail(
      "validity-period",
      "EXPIRED",
      `The certificate expired: it was valid until ${until}.`,
      `證書已過期：有效期至 ${until}。`,
    );
  }
  return pass(
    "validity-period",
    `The certificate is valid from ${from} to ${until}.`,
    `證書有效期由 ${from} 至 ${until}。`,
  );
}
